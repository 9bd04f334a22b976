//! Square hears of the sales it did not make, and its count after lastunit's adjustment does not
//! count the sale twice, whichever arrives first.
mod common;
use common::*;
use lastunit::connect::square_out::{read_answer, Answer};
use lastunit::{Applied, Sku, StoredSku, Timestamp};

/// `A` at a shop whose Square connection writes: main-st is Square location L1, `A` is VAR1.
fn connected() -> Sku {
    let mut topology = shop();
    topology.square_locations.insert("main-st".into(), "L1".into());
    let config = serde_json::from_str(r#"{"pos_refs":{"square":"VAR1"}}"#).unwrap();
    let mut a = Sku::new("A", config, topology, T0).unwrap();
    count(&mut a, "square", "c0", "main-st", 5, minutes(0), minutes(0));
    a
}

fn web_order(a: &mut Sku, id: &str, at: Timestamp) {
    let mut e = lastunit::EventBody {
        channel: Some("web".into()),
        ..lastunit::EventBody::new(lastunit::EventKind::Sale, id, "A", "main-st", 1)
    }
    .check("shopify", at)
    .unwrap();
    e.online = true;
    assert!(matches!(a.apply(&e, at).unwrap(), Applied::Applied(_)));
}

fn accepted(calculated_at: Timestamp, quantity: i64) -> Answer {
    read_answer(
        Some(200),
        None,
        format!(
            r#"{{"counts":[{{"catalog_object_id":"VAR1","location_id":"L1","state":"IN_STOCK","quantity":"{quantity}","calculated_at":"{calculated_at}"}}]}}"#
        )
        .as_bytes(),
    )
}

#[test]
fn an_online_sale_is_written_to_square_as_an_adjustment() {
    let mut a = connected();
    web_order(&mut a, "order:1:line:1", minutes(1));
    assert_eq!(a.on_hand_at("main-st"), 4);
    let batch = a.square_due(minutes(1)).unwrap();
    let body: serde_json::Value = serde_json::from_str(&batch.body()).unwrap();
    let adj = &body["changes"][0]["adjustment"];
    assert_eq!(
        (&adj["from_state"], &adj["to_state"], &adj["catalog_object_id"], &adj["location_id"], &adj["quantity"]),
        (&"IN_STOCK".into(), &"SOLD".into(), &"VAR1".into(), &"L1".into(), &"1".into())
    );
    assert_eq!(adj["reference_id"], "shopify:order:1:line:1");
    assert_eq!(a.square_status().pending, 1);
    // The frozen batch is part of the snapshot: after a restart the same batch goes again.
    let stored = a.take_changes().snapshot.expect("the outbox changed");
    let mut back = Sku::restore(StoredSku::read(&stored.to_json()).unwrap(), vec![], vec![]);
    assert_eq!(back.square_due(minutes(2)), Some(batch));
}

#[test]
fn squares_count_after_the_adjustment_does_not_count_the_sale_twice() {
    for answer_first in [true, false] {
        let mut a = connected();
        web_order(&mut a, "order:1:line:1", minutes(1));
        let batch = a.square_due(minutes(1)).unwrap();
        // Square applied it at 10:01:30 and sends its count of that moment: 4.
        let applied_at = minutes(1).plus(30_000);
        let square_count = |a: &mut Sku| count(a, "square", "c1", "main-st", 4, applied_at, minutes(2));
        if answer_first {
            a.square_settled(&batch.idempotency_key, accepted(applied_at, 4), minutes(2));
            assert_eq!(square_count(&mut a), Applied::Echo, "the echo of lastunit's adjustment");
        } else {
            square_count(&mut a);
            assert_eq!(a.on_hand_at("main-st"), 3, "for a moment the count reads as not having it");
            a.square_settled(&batch.idempotency_key, accepted(applied_at, 4), minutes(2));
            let ledger = a.take_changes().ledger;
            assert!(ledger.iter().any(|e| e.kind == lastunit::EventKind::Count && e.quantity == 1), "{ledger:?}");
        }
        assert_eq!(a.on_hand_at("main-st"), 4, "answer first: {answer_first}");
        assert_eq!(a.square_status().pending, 0);
        // A register sale later counts normally.
        count(&mut a, "square", "c2", "main-st", 3, minutes(5), minutes(5));
        assert_eq!(a.on_hand_at("main-st"), 3);
    }
}

#[test]
fn a_square_count_before_the_adjustment_still_takes_the_sale_off() {
    let mut a = connected();
    web_order(&mut a, "order:1:line:1", minutes(1));
    let batch = a.square_due(minutes(1)).unwrap();
    // Square is down: the register's counts for an hour do not have the web order.
    a.square_settled(&batch.idempotency_key, read_answer(Some(503), None, b""), minutes(2));
    count(&mut a, "square", "c1", "main-st", 5, minutes(60), minutes(60));
    assert_eq!(a.on_hand_at("main-st"), 4, "not resurrected after the 15-minute window");
    let again = a.square_due(minutes(61)).unwrap();
    assert_eq!(again, batch, "the same batch and key");
    a.square_settled(&again.idempotency_key, accepted(minutes(61), 4), minutes(61));
    count(&mut a, "square", "c2", "main-st", 4, minutes(62), minutes(62));
    assert_eq!(a.on_hand_at("main-st"), 4);
}

#[test]
fn when_square_stops_being_written_what_it_was_owed_is_given_up() {
    let mut a = connected();
    web_order(&mut a, "order:1:line:1", minutes(1));
    assert_eq!(a.square_status().pending, 1);
    let mut topology = a.topology().clone();
    topology.square_locations.clear(); // the Square connection now has "write": false
    a.set_topology(topology, minutes(2));
    assert_eq!(a.square_due(minutes(2)), None);
    assert_eq!((a.square_status().pending, a.square_status().given_up), (0, 1));
    // The web order is an edge sale again: a count within 15 minutes still takes it off.
    count(&mut a, "square", "c1", "main-st", 5, minutes(3), minutes(3));
    assert_eq!(a.on_hand_at("main-st"), 4);
}

#[test]
fn square_hears_of_checkouts_and_restocked_returns_but_not_of_its_own_sales() {
    let mut a = connected();
    a.reserve(&hold("r1", "web", 1, minutes(10)), minutes(1)).unwrap();
    a.commit("r1", "o-1", minutes(2)).unwrap();
    event(&mut a, "square", r#"{"event_id":"s1","type":"sale","location":"main-st","quantity":1}"#, minutes(3));
    event(
        &mut a,
        "admin",
        r#"{"event_id":"r-1","type":"return","location":"main-st","quantity":1,"channel":"web","reason":"fits badly"}"#,
        minutes(4),
    );
    event(
        &mut a,
        "admin",
        r#"{"event_id":"r-2","type":"return","location":"main-st","quantity":1,"channel":"web","restock":false}"#,
        minutes(4),
    );
    // Nothing is told of a location Square does not count.
    event(
        &mut a,
        "admin",
        r#"{"event_id":"w-1","type":"sale","location":"warehouse","quantity":1,"channel":"web"}"#,
        minutes(4),
    );
    let batch = a.square_due(minutes(5)).unwrap();
    let told: Vec<(String, bool)> = batch.changes.iter().map(|c| (c.key.clone(), c.sold)).collect();
    assert_eq!(told, [("edge:o-1@main-st".to_string(), true), ("admin:r-1@main-st".to_string(), false)]);
}
