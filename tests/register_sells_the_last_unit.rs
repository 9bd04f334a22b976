//! The register sells the last unit while a web cart holds one.
mod common;
use common::*;
use lastunit::{Error, HoldState};

#[test]
fn with_a_buffer_the_web_cart_never_holds_the_stores_last_unit() {
    let mut a = sku_with(r#"{"buffer":{"mode":"fixed","units":1}}"#);
    stock(&mut a, "main-st", 2);
    assert_eq!((avail(&a, "web"), avail(&a, "store")), (1, 2));
    a.reserve(&hold("r1", "web", 1, minutes(10)), minutes(0)).unwrap();
    assert_eq!((avail(&a, "web"), avail(&a, "store")), (0, 1));
    // The store shopper buys the last free unit at the register.
    event(&mut a, "square", r#"{"event_id":"s1","type":"sale","location":"main-st","quantity":1}"#, minutes(1));
    assert_eq!(avail(&a, "store"), 0);
    // The web checkout still gets its held unit.
    let h = a.commit("r1", "o-1", minutes(2)).unwrap();
    assert!(matches!(h.state, HoldState::Committed { .. }));
    assert_eq!(a.on_hand_at("main-st"), 0);
    assert_eq!(a.availability("web").unwrap().status, lastunit::Status::OutOfStock);
}

#[test]
fn without_a_buffer_the_register_wins_and_the_checkout_is_refused_before_payment() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "main-st", 1);
    a.reserve(&hold("r1", "web", 1, minutes(10)), minutes(0)).unwrap();
    assert_eq!(avail(&a, "store"), 0, "the held unit is not offered at the register's channel");
    // But the shopper in the store already has it in hand: the PoS reports the sale.
    event(&mut a, "square", r#"{"event_id":"s1","type":"sale","location":"main-st","quantity":1}"#, minutes(1));
    assert_eq!(a.hold("r1").unwrap().state, HoldState::Bumped);
    match a.commit("r1", "o-1", minutes(2)) {
        Err(Error::InsufficientStock { available: 0, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(a.on_hand_at("main-st"), 0, "nothing sold twice");
}

#[test]
fn a_hold_on_a_sold_unit_moves_to_another_location_when_it_can() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "main-st", 1);
    stock(&mut a, "warehouse", 1);
    // Web draws on the warehouse first; take both units into two carts.
    a.reserve(&hold("r1", "web", 1, minutes(10)), minutes(0)).unwrap();
    a.reserve(&hold("r2", "web", 1, minutes(10)), minutes(0)).unwrap();
    assert_eq!(avail(&a, "web"), 0);
    // The warehouse unit is damaged and written off; one hold must give way.
    event(
        &mut a,
        "admin",
        r#"{"event_id":"w1","type":"waste","location":"warehouse","quantity":1,"reason":"damaged"}"#,
        minutes(1),
    );
    let states: Vec<_> = ["r1", "r2"].iter().map(|id| a.hold(id).unwrap().state.clone()).collect();
    assert_eq!(states.iter().filter(|s| **s == HoldState::Bumped).count(), 1);
    assert_eq!(a.reserved(), 1);
}

#[test]
fn holds_expire_on_their_own_time() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "warehouse", 3);
    a.reserve(&hold("r1", "web", 2, minutes(10)), minutes(0)).unwrap();
    assert_eq!(a.next_expiry(), Some(minutes(10)));
    assert_eq!(a.expire(minutes(9)), 0);
    let v = a.version();
    assert_eq!(a.expire(minutes(10)), 1);
    assert!(a.version() > v);
    assert_eq!(avail(&a, "web"), 3);
    assert_eq!(a.commit("r1", "o-1", minutes(11)).unwrap_err().code(), "reservation_expired");
}

#[test]
fn holds_survive_a_reload_when_the_caller_stores_them() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "warehouse", 3);
    let first = a.take_changes();
    a.reserve(&hold("r1", "web", 1, minutes(10)), minutes(0)).unwrap();
    a.reserve(&hold("r2", "web", 1, minutes(10)), minutes(0)).unwrap();
    a.commit("r1", "o-1", minutes(1)).unwrap();
    let changes = a.take_changes();
    assert_eq!(changes.holds.len(), 2, "r1 committed, r2 still active");
    assert!(a.take_changes().is_empty(), "each change is handed over once");
    a.reserve(&hold("r3", "web", 1, minutes(20)), minutes(2)).unwrap();
    let last = a.take_changes();
    // The snapshot carries no holds: it stays small however many carts are open.
    let snapshot = last.snapshot.as_ref().unwrap().to_json();
    assert!(!snapshot.contains("cart-r3"));
    let mut rows: Vec<lastunit::Hold> = Vec::new();
    for h in first.holds.into_iter().chain(changes.holds).chain(last.holds) {
        rows.retain(|r| r.id != h.id);
        rows.push(h);
    }
    let mut back = lastunit::Sku::restore(lastunit::StoredSku::read(&snapshot).unwrap(), rows, Vec::new());
    assert_eq!((back.reserved(), avail(&back, "web")), (2, 0));
    assert!(matches!(back.commit("r1", "o-1", minutes(3)).unwrap().state, HoldState::Committed { .. }));
    assert_eq!(back.next_expiry(), Some(minutes(10)));
    back.expire(minutes(10));
    assert_eq!(back.commit("r2", "o-2", minutes(11)).unwrap_err().code(), "reservation_expired");
    assert_eq!(back.on_hand_at("warehouse"), 2);
    assert_eq!(back.take_changes().holds.len(), 1, "the expiry is a change to store");
}
