//! Availability under each policy: none, fixed on chosen channels, automatic, allocations.
mod common;
use common::*;
use lastunit::Status;

#[test]
fn no_buffer_shows_every_unit() {
    let mut a = sku_with(r#"{"buffer":{"mode":"none"}}"#);
    stock(&mut a, "main-st", 3);
    stock(&mut a, "warehouse", 2);
    assert_eq!((avail(&a, "store"), avail(&a, "web"), avail(&a, "marketplace")), (3, 5, 2));
}

#[test]
fn a_fixed_buffer_applies_to_the_chosen_channels_only() {
    let mut a = sku_with(r#"{"buffer":{"mode":"fixed","units":2},"buffer_channels":["web"],"low_stock_threshold":1}"#);
    stock(&mut a, "main-st", 3);
    assert_eq!((avail(&a, "store"), avail(&a, "web")), (3, 1));
    let w = a.availability("web").unwrap();
    assert_eq!(w.status, Status::LowStock);
    event(&mut a, "square", r#"{"event_id":"s","type":"sale","location":"main-st","quantity":1}"#, minutes(1));
    let w = a.availability("web").unwrap();
    assert_eq!((w.available, w.status, w.in_store_only), (0, Status::OutOfStock, true));
}

#[test]
fn the_default_buffer_channels_are_all_but_the_store() {
    let mut a = sku_with(r#"{"buffer":{"mode":"fixed","units":1}}"#);
    stock(&mut a, "warehouse", 3);
    assert_eq!((avail(&a, "web"), avail(&a, "marketplace")), (2, 2));
}

#[test]
fn an_automatic_buffer_follows_velocity() {
    let mut a = sku_with(r#"{"buffer":{"mode":"auto","min":0,"max":5}}"#);
    stock(&mut a, "main-st", 300);
    assert_eq!(a.buffer_in_force(), 0, "no sales yet");
    // Ten a day at the register for three weeks.
    for i in 0..210 {
        let at = T0.plus(i * 2 * 3_600_000 + 3_600_000);
        event(
            &mut a,
            "square",
            &format!(r#"{{"event_id":"s{i}","type":"sale","location":"main-st","quantity":1,"occurred_at":"{at}"}}"#),
            at,
        );
    }
    assert!((2..=3).contains(&a.buffer_in_force()), "{}", a.buffer_in_force());
    assert_eq!(avail(&a, "web"), avail(&a, "store") - i64::from(a.buffer_in_force()));
    // Weeks without a sale: the buffer decays back once recalibrated, and the version rises
    // because availability changed.
    let v = a.version();
    assert!(a.recalibrate(T0.plus(90 * 86_400_000)));
    assert_eq!(a.buffer_in_force(), 0);
    assert!(a.version() > v);
    assert!(!a.recalibrate(T0.plus(91 * 86_400_000)), "nothing changed");
}

#[test]
fn allocations_dedicate_units_and_others_share_the_rest() {
    let mut a = sku_with(r#"{"allocation":{"marketplace":2}}"#);
    stock(&mut a, "warehouse", 5);
    assert_eq!(avail(&a, "marketplace"), 2);
    assert_eq!(avail(&a, "web"), 3);
    a.reserve(&hold("m1", "marketplace", 1, minutes(10)), minutes(0)).unwrap();
    a.commit("m1", "mo-1", minutes(1)).unwrap();
    assert_eq!(avail(&a, "marketplace"), 1, "the allocation is used up as it sells");
    assert_eq!(avail(&a, "web"), 3);
    // A web shopper cannot take the marketplace's unit.
    assert_eq!(a.reserve(&hold("w1", "web", 4, minutes(10)), minutes(1)).unwrap_err().code(), "insufficient_stock");
}

#[test]
fn availability_never_goes_below_zero_when_a_pos_oversold() {
    let mut a = sku_with(r#"{"buffer":{"mode":"fixed","units":2}}"#);
    stock(&mut a, "main-st", 1);
    event(&mut a, "square", r#"{"event_id":"s","type":"sale","location":"main-st","quantity":3}"#, minutes(1));
    assert_eq!(a.on_hand_at("main-st"), -2);
    assert_eq!((avail(&a, "store"), avail(&a, "web")), (0, 0));
}

#[test]
fn cart_limits_and_all_or_nothing() {
    let mut a = sku_with(r#"{"max_per_cart":2}"#);
    stock(&mut a, "warehouse", 5);
    assert_eq!(a.reserve(&hold("r1", "web", 3, minutes(10)), T0).unwrap_err().code(), "over_cart_limit");
    a.reserve(&hold("r1", "web", 2, minutes(10)), T0).unwrap();
    let mut again = hold("r2", "web", 1, minutes(10));
    again.cart_id = "cart-r1".into();
    assert_eq!(a.reserve(&again, T0).unwrap_err().code(), "over_cart_limit");
    assert_eq!(a.reserved(), 2);
    // The same reservation id is the same hold, holding nothing more.
    a.reserve(&hold("r1", "web", 2, minutes(10)), T0).unwrap();
    assert_eq!(a.reserved(), 2);
}
