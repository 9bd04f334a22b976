//! A web order returned at the store, and a marketplace return that cannot be resold.
mod common;
use common::*;

#[test]
fn a_web_order_returned_at_the_store_goes_back_on_the_store_shelf() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "warehouse", 2);
    a.reserve(&hold("r1", "web", 1, minutes(10)), minutes(0)).unwrap();
    a.commit("r1", "o-1", minutes(1)).unwrap();
    assert_eq!(a.on_hand_at("warehouse"), 1);
    assert_eq!(avail(&a, "store"), 0);
    event(
        &mut a,
        "square",
        r#"{"event_id":"ret1","type":"return","location":"main-st","quantity":1,"channel":"store","origin_channel":"web","reason":"wrong size","restock":true}"#,
        minutes(60),
    );
    assert_eq!(a.on_hand_at("main-st"), 1);
    assert_eq!(avail(&a, "store"), 1);
    let web = &a.returns()["web"];
    assert_eq!((web.sold, web.returned), (1, 1));
    assert_eq!(web.reasons["wrong size"], 1);
    assert!(a.returns().get("store").is_none_or(|s| s.returned == 0));
}

#[test]
fn a_marketplace_return_that_is_not_restockable_stays_off_the_shelf() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "warehouse", 1);
    event(
        &mut a,
        "admin",
        r#"{"event_id":"m1","type":"sale","location":"warehouse","quantity":1,"channel":"marketplace"}"#,
        minutes(0),
    );
    assert_eq!(avail(&a, "marketplace"), 0);
    event(
        &mut a,
        "admin",
        r#"{"event_id":"m2","type":"return","location":"warehouse","quantity":1,"channel":"marketplace","origin_channel":"marketplace","reason":"damaged","restock":false}"#,
        minutes(30),
    );
    assert_eq!(avail(&a, "marketplace"), 0, "a damaged unit is not sellable");
    assert_eq!(a.unsellable_at("warehouse"), 1);
    assert_eq!(a.returns()["marketplace"].rate, 1.0);
}
