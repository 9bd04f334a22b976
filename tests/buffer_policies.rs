//! Availability under each policy: none, fixed on chosen channels, automatic, allocations.
mod common;
use common::*;
use lastunit::time::{DAY, HOUR};
use lastunit::{Status, Timestamp};

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

#[test]
fn with_store_hours_the_buffer_keeps_the_stores_sales_until_the_delivery_and_nothing_after_closing() {
    use lastunit::forecast::IncomingLine;
    let mut a = sku_with(r#"{"buffer":{"mode":"auto","min":0,"max":5,"store_hours":"09:00-19:00"}}"#);
    stock(&mut a, "main-st", 300);
    // Ten a day at the register for two weeks, every sale in opening hours (09:00 to 19:00).
    let midnight = |days: i64| Timestamp(T0.millis() - T0.millis().rem_euclid(DAY) + days * DAY);
    let mut n = 0;
    for day in 0..14 {
        for slot in 0..10 {
            let at = midnight(day).plus(9 * HOUR + slot * HOUR + 30 * 60_000);
            let json = format!(
                r#"{{"event_id":"s{n}","type":"sale","location":"main-st","quantity":1,"occurred_at":"{at}"}}"#
            );
            event(&mut a, "square", &json, at);
            n += 1;
        }
    }
    let (noon, evening, night) =
        (midnight(14).plus(12 * HOUR), midnight(14).plus(18 * HOUR), midnight(14).plus(20 * HOUR));
    a.recalibrate(noon);
    let velocity_only = a.buffer_in_force();
    assert!((2..=3).contains(&velocity_only), "no delivery on its way: the exposure window's {velocity_only}");
    assert_eq!(a.buffer_changes_at(noon), Some(midnight(14).plus(19 * HOUR)), "the store closes next");

    // A delivery tomorrow at 08:00, before the store opens.
    let line = IncomingLine {
        po_id: "PO-1".into(),
        location: "main-st".into(),
        quantity: 40,
        expected_at: midnight(15).plus(8 * HOUR),
    };
    a.expect(line, noon).unwrap();
    assert_eq!(a.buffer_in_force(), 5, "seven open hours of store sales (about 7) before it, capped at max");
    a.recalibrate(evening);
    assert_eq!(
        a.buffer_in_force(),
        velocity_only,
        "the last open hour: the exposure window's, more than the hour's store sales"
    );
    let v = a.version();
    assert!(a.recalibrate(night), "the store closed");
    assert_eq!(a.buffer_in_force(), 0, "nobody can come to the shelf before the delivery");
    assert_eq!(avail(&a, "web"), avail(&a, "store"), "the web sells every unit overnight");
    assert!(a.version() > v);
    assert_eq!(a.buffer_changes_at(night), Some(midnight(15).plus(9 * HOUR)));
}
