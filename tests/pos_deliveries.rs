//! Duplicated and late PoS deliveries, and absolute counts racing edge sales.
mod common;
use common::*;
use lastunit::Applied;

#[test]
fn a_duplicated_delivery_changes_nothing() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "main-st", 5);
    let sale = r#"{"event_id":"sq-1","type":"sale","location":"main-st","quantity":1}"#;
    assert!(matches!(event(&mut a, "square", sale, minutes(0)), Applied::Applied(_)));
    let v = a.version();
    assert_eq!(event(&mut a, "square", sale, minutes(60 * 71)), Applied::Duplicate, "Square retries for 72 hours");
    assert_eq!((a.on_hand_at("main-st"), a.version()), (4, v));
    // The same id from another provider is another event.
    assert!(matches!(event(&mut a, "shopify", sale, minutes(1)), Applied::Applied(_)));
}

#[test]
fn a_late_absolute_count_is_ignored() {
    let mut a = sku_with(r#"{}"#);
    count(&mut a, "shopify", "c2", "main-st", 7, minutes(5), minutes(5));
    assert_eq!(count(&mut a, "shopify", "c1", "main-st", 9, minutes(1), minutes(6)), Applied::Stale);
    assert_eq!(a.on_hand_at("main-st"), 7);
}

#[test]
fn a_count_that_has_not_seen_the_web_order_does_not_resurrect_it() {
    let mut a = sku_with(r#"{}"#);
    count(&mut a, "square", "c0", "main-st", 1, minutes(-5), minutes(-5));
    a.reserve(&hold("r1", "web", 1, minutes(10)), minutes(0)).unwrap();
    a.commit("r1", "o-1", minutes(1)).unwrap();
    assert_eq!(avail(&a, "web"), 0);
    // Square, not yet told of the web order, reports the shelf as it knows it.
    count(&mut a, "square", "c1", "main-st", 1, minutes(2), minutes(2));
    assert_eq!(avail(&a, "web"), 0, "the edge sale is counted once");
    assert_eq!(avail(&a, "store"), 0);
    // Once the order reached Square, its count agrees.
    count(&mut a, "square", "c2", "main-st", 0, minutes(30), minutes(30));
    assert_eq!(a.on_hand_at("main-st"), 0);
}

#[test]
fn a_count_taken_before_the_web_order_but_delivered_after_it() {
    let mut a = sku_with(r#"{}"#);
    count(&mut a, "square", "c0", "main-st", 3, minutes(-5), minutes(-5));
    a.reserve(&hold("r1", "web", 1, minutes(10)), minutes(0)).unwrap();
    a.commit("r1", "o-1", minutes(1)).unwrap();
    // A register sale at 10:00:30 made the PoS count 2; the count arrives at 10:02.
    count(&mut a, "square", "c1", "main-st", 2, T0.plus(30_000), minutes(2));
    assert_eq!(a.on_hand_at("main-st"), 1, "3 - register sale - web order");
}

#[test]
fn a_batch_with_one_bad_event_changes_nothing() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "main-st", 5);
    let v = a.version();
    let events: Vec<lastunit::StockEvent> = [
        r#"{"event_id":"b1","type":"sale","sku":"A","location":"main-st","quantity":1}"#,
        r#"{"event_id":"b2","type":"sale","sku":"A","location":"main-st","quantity":1,"channel":"kiosk"}"#,
    ]
    .iter()
    .map(|j| serde_json::from_str::<lastunit::EventBody>(j).unwrap().check("lastunit", T0).unwrap())
    .collect();
    assert_eq!(a.apply_all(&events, T0).unwrap_err().code(), "unknown_channel");
    assert_eq!((a.version(), a.on_hand_at("main-st")), (v, 5));
    assert!(!a.has_seen("lastunit:b1"));
    let outcomes = a.apply_all(&events[..1], T0).unwrap();
    assert!(matches!(outcomes[0], Applied::Applied(_)));
}

const NEXT_YEAR: &str = "2027-12-01T00:00:00Z";

fn store_sale(a: &mut lastunit::Sku, id: &str, now: lastunit::Timestamp) -> Applied {
    let json =
        format!(r#"{{"event_id":"{id}","type":"sale","location":"main-st","quantity":1,"occurred_at":"{now}"}}"#);
    event(a, "square", &json, now)
}

#[test]
fn a_count_dated_next_year_is_refused_and_later_sales_still_count() {
    let mut a = sku_with(r#"{}"#);
    stock(&mut a, "main-st", 5);
    let body: lastunit::EventBody = serde_json::from_str(&format!(
        r#"{{"event_id":"typo","type":"count","sku":"A","location":"main-st","quantity":9,"occurred_at":"{NEXT_YEAR}"}}"#
    ))
    .unwrap();
    match body.check("admin", minutes(1)) {
        Err(lastunit::Error::InvalidInput { field: "occurred_at", .. }) => {}
        other => panic!("{other:?}"),
    }
    for (i, id) in ["s1", "s2", "s3"].into_iter().enumerate() {
        assert!(matches!(store_sale(&mut a, id, minutes(2 + i as i64)), Applied::Applied(_)));
    }
    assert_eq!(a.on_hand_at("main-st"), 2, "each sale changed stock");
}

#[test]
fn a_provider_level_dated_next_year_is_taken_as_received_and_freezes_nothing() {
    for provider in ["shopify", "square", "lightspeed", "clover"] {
        let mut a = sku_with(r#"{}"#);
        let level = |id: &str, quantity: i64, observed_at: &str| lastunit::pos::PosCount {
            provider,
            dedupe_id: id.into(),
            item_ref: "item".into(),
            location_ref: "loc".into(),
            quantity,
            observed_at: lastunit::Timestamp::parse(observed_at).unwrap(),
        };
        let skewed = level("skewed", 9, NEXT_YEAR).event("A", "main-st", minutes(1)).unwrap();
        assert_eq!(skewed.occurred_at, minutes(1), "{provider}: the moment it arrived");
        assert!(matches!(a.apply(&skewed, minutes(1)).unwrap(), Applied::Applied(_)));
        for (i, id) in ["s1", "s2", "s3"].into_iter().enumerate() {
            assert!(matches!(store_sale(&mut a, id, minutes(2 + i as i64)), Applied::Applied(_)), "{provider}");
        }
        assert_eq!(a.on_hand_at("main-st"), 6, "{provider}: each sale changed stock");
        let current = level("now", 4, &minutes(10).to_string()).event("A", "main-st", minutes(10)).unwrap();
        assert!(matches!(a.apply(&current, minutes(10)).unwrap(), Applied::Applied(_)), "{provider}: not ignored");
        assert_eq!(a.on_hand_at("main-st"), 4);
    }
}

#[test]
fn a_count_a_few_minutes_ahead_is_taken_as_of_its_arrival() {
    let mut a = sku_with(r#"{}"#);
    // A PoS clock 4 minutes fast: within the tolerance, so accepted, but as of when it arrived.
    count(&mut a, "square", "c1", "main-st", 5, minutes(4), minutes(0));
    assert!(matches!(store_sale(&mut a, "s1", minutes(1)), Applied::Applied(_)));
    assert_eq!(a.on_hand_at("main-st"), 4, "the sale a minute later is not inside that count");
}
