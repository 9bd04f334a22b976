//! Units sent from the warehouse to the store are not sellable while in transit.
mod common;
use common::*;

#[test]
fn transit_units_are_not_sellable_until_received() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "warehouse", 10);
    event(
        &mut a,
        "admin",
        r#"{"event_id":"t1","type":"transfer","location":"warehouse","to_location":"main-st","quantity":4}"#,
        minutes(0),
    );
    assert_eq!(a.on_hand_at("warehouse"), 6);
    assert_eq!(avail(&a, "web"), 6);
    assert_eq!(avail(&a, "store"), 0);
    assert_eq!(a.in_transit()[0].quantity, 4);
    event(
        &mut a,
        "admin",
        r#"{"event_id":"t1-in","type":"receive","location":"main-st","quantity":4,"transfer_id":"t1"}"#,
        minutes(90),
    );
    assert_eq!(avail(&a, "store"), 4);
    assert_eq!(avail(&a, "web"), 10);
    assert!(a.in_transit().is_empty());
}

#[test]
fn a_transfer_to_an_unknown_location_is_refused_and_changes_nothing() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "warehouse", 10);
    let v = a.version();
    let body: lastunit::EventBody = serde_json::from_str(
        r#"{"event_id":"t1","type":"transfer","sku":"A","location":"warehouse","to_location":"moon","quantity":4}"#,
    )
    .unwrap();
    let err = a.apply(&body.check("admin", T0).unwrap(), T0).unwrap_err();
    assert_eq!(err.code(), "unknown_location");
    assert_eq!((a.version(), a.on_hand_at("warehouse")), (v, 10));
    // And the refused event id is not burned: the corrected event can use it.
    let ok: lastunit::EventBody = serde_json::from_str(
        r#"{"event_id":"t1","type":"transfer","sku":"A","location":"warehouse","to_location":"main-st","quantity":4}"#,
    )
    .unwrap();
    assert!(matches!(a.apply(&ok.check("admin", T0).unwrap(), T0).unwrap(), lastunit::Applied::Applied(_)));
}
