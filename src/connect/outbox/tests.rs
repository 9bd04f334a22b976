use serde_json::{json, Value};

use super::*;
use crate::connect::{woocommerce, Answer};
use crate::connect::echo::ORDER_GRACE_MS;

const T0: Timestamp = Timestamp(1_795_687_200_000);
const LOCATION: &str = "655441491";

fn at(ms: i64) -> Timestamp {
    T0.plus(ms)
}

fn target() -> Target {
    Target { write: true, location_ref: Some(LOCATION.into()) }
}

fn shopify() -> Outbox {
    Outbox::new(Provider::Shopify, T0)
}

fn body(work: &Work, i: usize) -> Value {
    serde_json::from_str(&work.requests[i].body).unwrap()
}

fn quantities(work: &Work) -> Vec<Value> {
    body(work, 0)["variables"]["input"]["quantities"].as_array().unwrap().clone()
}

fn response(status: u16, retry_after_ms: Option<i64>, body: Value) -> Answer {
    Answer::Response { status, retry_after_ms, body: body.to_string() }
}

fn cost(available: f64) -> Value {
    json!({"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
        "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available, "restoreRate": 100.0}}})
}

fn applied() -> Answer {
    response(
        200,
        None,
        json!({"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": {"id": "gid://shopify/InventoryAdjustmentGroup/1"}, "userErrors": []}}, "extensions": cost(990.0)}),
    )
}

fn user_errors(errors: Value) -> Answer {
    response(
        200,
        None,
        json!({"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": null, "userErrors": errors}}, "extensions": cost(990.0)}),
    )
}

/// Polls at `now` and answers with `answer`.
fn round(o: &mut Outbox, now: Timestamp, answer: impl Fn(&Work) -> Vec<Answer>) -> Option<Work> {
    let work = o.poll(&target(), now)?;
    let answers = answer(&work);
    o.record(work.id, &answers, now, 7);
    Some(work)
}

#[test]
fn a_burst_coalesces_into_one_write_of_the_newest_number() {
    let mut o = shopify();
    for v in 0..50 {
        o.want("A", "808950810", 50 - v, v as u64 + 1, false, at(v * 2));
    }
    o.want("B", "808950811", 7, 1, false, at(100));
    assert_eq!(o.poll(&target(), at(110)), None, "the burst settles first");
    let wake = o.next_wake(at(110)).unwrap();
    // A is due SETTLE_MS after the first change of its burst; B, due 100 ms later, is waited for.
    assert_eq!(wake, at(100 + SETTLE_MS), "held for the SKU that falls due right after");
    assert_eq!(o.poll(&target(), at(SETTLE_MS)), None, "A waits for B");
    let work = round(&mut o, at(SETTLE_MS + 100), |_| vec![applied()]).unwrap();
    assert_eq!(work.requests.len(), 1, "every SKU in one mutation");
    let q = quantities(&work);
    assert_eq!(q.len(), 2);
    assert_eq!(q[0]["quantity"], 1, "the newest number of A, and only it");
    assert_eq!(q[1]["quantity"], 7);
    assert_eq!(o.store_quantity("A"), Some(1));
    assert_eq!(o.next_wake(at(SETTLE_MS + 100)), None, "nothing left to write");
    assert_eq!(o.status(at(SETTLE_MS + 100)).pending_writes, 0);
}

#[test]
fn the_mutation_is_built_as_the_contract_says() {
    let mut o = shopify();
    o.want("A", "808950810", 5, 1, false, T0);
    let work = o.poll(&target(), at(SETTLE_MS)).unwrap();
    let r = &work.requests[0];
    assert_eq!((r.method, r.path.as_str()), ("POST", "/graphql.json"));
    let b = body(&work, 0);
    let query = b["query"].as_str().unwrap();
    assert!(query.contains("inventorySetQuantities(input: $input) @idempotent(key: $key)"), "{query}");
    assert!(query.contains("userErrors { code field message }"));
    let key = b["variables"]["key"].as_str().unwrap();
    assert_eq!(key, format!("lastunit-{}-1", T0.millis()));
    let input = &b["variables"]["input"];
    assert_eq!(input["name"], "available");
    assert_eq!(input["reason"], "correction");
    assert_eq!(input["referenceDocumentUri"], format!("gid://lastunit/AvailabilitySync/{key}"));
    assert_eq!(
        input["quantities"],
        json!([{"inventoryItemId": "gid://shopify/InventoryItem/808950810", "locationId": "gid://shopify/Location/655441491",
            "quantity": 5, "changeFromQuantity": null}]),
        "the first write knows nothing of the store: null skips the compare"
    );
    o.record(work.id, &[applied()], at(SETTLE_MS), 1);
    o.want("A", "808950810", 4, 2, false, at(5000));
    let next = o.poll(&target(), at(6000)).unwrap();
    assert_eq!(quantities(&next)[0]["changeFromQuantity"], 5, "then what lastunit last knew Shopify held");
    assert_ne!(body(&next, 0)["variables"]["key"], b["variables"]["key"], "a new request, a new key");
}

#[test]
fn a_stale_compare_reads_the_level_back_and_writes_again() {
    let mut o = shopify();
    o.want("A", "808950810", 5, 1, false, T0);
    o.want("B", "808950811", 2, 1, false, T0);
    round(&mut o, at(SETTLE_MS), |_| vec![applied()]);
    o.want("A", "808950810", 4, 2, false, at(2000));
    o.want("B", "808950811", 1, 2, false, at(2000));
    // An online order took one of A in Shopify meanwhile: its level is 4, not 5.
    round(&mut o, at(3000), |_| {
        vec![user_errors(
            json!([{"code": "CHANGE_FROM_QUANTITY_STALE", "field": ["input", "quantities", "0", "changeFromQuantity"], "message": "stale"}]),
        )]
    });
    assert_eq!(o.store_quantity("B"), Some(2), "nothing of the mutation was applied");
    let read = o.poll(&target(), at(3000)).unwrap();
    let b = body(&read, 0);
    assert!(b["query"].as_str().unwrap().contains("l0: inventoryLevel(id: $l0)"));
    assert_eq!(b["variables"]["l0"], "gid://shopify/InventoryLevel/655441491?inventory_item_id=808950810");
    let level = response(
        200,
        None,
        json!({"data": {"l0": {"quantities": [{"name": "available", "quantity": 4}]}}, "extensions": cost(995.0)}),
    );
    o.record(read.id, &[level], at(3000), 1);
    assert_eq!(o.store_quantity("A"), Some(4));
    // A already shows lastunit's 4: only B is written, against its known level.
    let again = round(&mut o, at(4100), |_| vec![applied()]).unwrap();
    assert_eq!(
        quantities(&again),
        vec![
            json!({"inventoryItemId": "gid://shopify/InventoryItem/808950811", "locationId": "gid://shopify/Location/655441491", "quantity": 1, "changeFromQuantity": 2})
        ]
    );
    assert_eq!(o.status(at(4100)).pending_writes, 0);
}

#[test]
fn throttled_waits_exactly_what_shopify_says() {
    let mut o = shopify();
    o.want("A", "808950810", 5, 1, false, T0);
    let throttled = response(
        200,
        None,
        json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": null,
                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 4.0, "restoreRate": 50.0}}}}),
    );
    let first = round(&mut o, at(SETTLE_MS), |_| vec![throttled.clone()]).unwrap();
    // (10 - 4) / 50 points a second = 120 ms.
    let until = at(SETTLE_MS + 120);
    assert_eq!(o.status(at(SETTLE_MS)).throttled_until, Some(until));
    assert_eq!(o.status(at(SETTLE_MS)).status, Health::Retrying);
    assert_eq!(o.poll(&target(), at(SETTLE_MS + 119)), None);
    assert_eq!(o.next_wake(at(SETTLE_MS)), Some(until));
    let again = o.poll(&target(), until).unwrap();
    assert_eq!(again, first, "the same request, the same key: it did not run");
    // A Retry-After header is taken as it is.
    o.record(again.id, &[response(429, Some(2000), json!({"errors": [{"message": "Throttled"}]}))], until, 1);
    assert_eq!(o.status(until).throttled_until, Some(until.plus(2000)));
    o.record(again.id, &[applied()], until.plus(2000), 1);
    assert_eq!(o.status(until.plus(2000)).status, Health::Ok);
}

fn low_body_with_rate(rate: f64) -> String {
    json!({"data": {"inventorySetQuantities": {"userErrors": []}},
        "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 2.0, "restoreRate": rate}}}})
    .to_string()
}

#[test]
fn the_bucket_is_respected_before_sending() {
    let mut o = shopify();
    o.want("A", "808950810", 5, 1, false, T0);
    let low = response(
        200,
        None,
        json!({"data": {"inventorySetQuantities": {"userErrors": []}},
            "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 2.0, "restoreRate": 100.0}}}}),
    );
    round(&mut o, at(SETTLE_MS), |_| vec![low.clone()]);
    o.want("A", "808950810", 4, 2, false, at(2000));
    // 2 points seen at 250 ms, 100 a second: 10 are there by 330 ms, long before 2.25 s.
    assert!(o.poll(&target(), at(2250)).is_some());
    // At 5 points a second, 1 s after seeing 2 there are 7: 3 short, 600 ms more.
    let slow = Answer::Response { status: 200, retry_after_ms: None, body: low_body_with_rate(5.0) };
    let mut o = shopify();
    o.want("A", "808950810", 5, 1, false, T0);
    round(&mut o, at(SETTLE_MS), |_| vec![slow.clone()]);
    o.want("A", "808950810", 4, 2, false, at(SETTLE_MS));
    assert_eq!(o.poll(&target(), at(SETTLE_MS + 1000)), None);
    assert_eq!(o.status(at(SETTLE_MS + 1000)).throttled_until, Some(at(SETTLE_MS + 1600)));
    assert!(o.poll(&target(), at(SETTLE_MS + 1600)).is_some());
}

#[test]
fn a_store_down_backs_off_with_jitter_and_retries_the_same_key_until_superseded() {
    let mut o = shopify();
    o.want("A", "808950810", 5, 1, false, T0);
    let first = round(&mut o, at(SETTLE_MS), |_| vec![response(503, None, json!(null))]).unwrap();
    let s = o.status(at(SETTLE_MS));
    assert_eq!((s.status, s.pending_writes), (Health::Retrying, 1));
    assert_eq!(s.last_error.as_deref(), Some("Shopify answered HTTP 503"));
    let wait = backoff_ms(1, 7);
    assert!((500..=1000).contains(&wait));
    assert_eq!(o.poll(&target(), at(SETTLE_MS + wait - 1)), None);
    let retry = round(&mut o, at(SETTLE_MS + wait), |_| vec![Answer::NoAnswer("timed out after 10 s".into())]).unwrap();
    assert_eq!(retry, first, "an unanswered write goes again with its key: applied at most once");
    for n in 3..=FAILING_AFTER {
        let now = o.next_wake(at(0)).unwrap();
        round(&mut o, now, |_| vec![response(500, None, json!(null))]);
        assert_eq!(o.status(now).status, if n >= FAILING_AFTER { Health::Failing } else { Health::Retrying });
    }
    // A newer number supersedes the unanswered one: a new request, a new key.
    let now = o.next_wake(at(0)).unwrap();
    o.want("A", "808950810", 3, 2, false, now);
    let fresh = o.poll(&target(), now.plus(SETTLE_MS)).unwrap();
    assert_ne!(fresh.id, first.id);
    assert_eq!(quantities(&fresh)[0]["quantity"], 3);
    o.record(fresh.id, &[applied()], now.plus(SETTLE_MS), 1);
    let s = o.status(now.plus(SETTLE_MS));
    assert_eq!((s.status, s.pending_writes, s.last_error), (Health::Ok, 0, None));
    assert_eq!(s.last_write_at, Some(now.plus(SETTLE_MS)));
}

#[test]
fn backoff_doubles_to_a_ceiling_and_the_seed_draws_the_jitter() {
    for n in 1..30 {
        let full = (SECOND << (n - 1).min(20)).min(MAX_BACKOFF_MS);
        for seed in [0, 1, 42, u64::MAX] {
            let w = backoff_ms(n, seed);
            assert!(w >= full / 2 && w <= full, "{n} {seed} {w}");
            assert_eq!(w, backoff_ms(n, seed));
        }
    }
    assert_ne!(backoff_ms(8, 1), backoff_ms(8, 2));
}

#[test]
fn a_refused_item_waits_aside_and_the_others_go_on() {
    let mut o = shopify();
    o.want("A", "1", 5, 1, false, T0);
    o.want("B", "2", 3, 1, false, T0);
    round(&mut o, at(SETTLE_MS), |_| {
        vec![user_errors(
            json!([{"code": "ITEM_NOT_STOCKED_AT_LOCATION", "field": ["input", "quantities", "1", "locationId"], "message": "The item is not stocked at the location."}]),
        )]
    });
    let s = o.status(at(SETTLE_MS));
    assert_eq!(s.status, Health::Failing);
    assert!(s.last_error.unwrap().contains("`B`: ITEM_NOT_STOCKED_AT_LOCATION"));
    let work = round(&mut o, at(SETTLE_MS + 1000), |_| vec![applied()]).unwrap();
    assert_eq!(quantities(&work).len(), 1, "A alone");
    assert_eq!(o.next_wake(at(SETTLE_MS + 1000)), None, "B waits for the operator");
    o.want("B", "2", 3, 2, true, at(5000));
    assert!(round(&mut o, at(6000), |_| vec![applied()]).is_some(), "a resync tries it again");
    assert_eq!(o.status(at(6000)).status, Health::Ok);
}

#[test]
fn a_resync_writes_what_the_store_seems_to_hold_and_old_reports_change_nothing() {
    let mut o = shopify();
    o.want("A", "1", 5, 3, false, T0);
    round(&mut o, at(SETTLE_MS), |_| vec![applied()]);
    o.want("A", "1", 9, 2, false, at(2000));
    assert_eq!(o.item("A").unwrap().wanted, Some(5), "version 2 is older than 3");
    assert_eq!(o.next_wake(at(2000)), None);
    o.want("A", "1", 5, 3, true, at(2000));
    let work = round(&mut o, at(2000 + SETTLE_MS), |_| vec![applied()]).unwrap();
    assert_eq!(quantities(&work)[0]["changeFromQuantity"], 5);
    assert_eq!(o.next_wake(at(3000)), None, "written: no longer forced");
}

#[test]
fn the_stores_own_change_is_written_back_and_its_echo_is_ignored() {
    let mut o = shopify();
    o.want("A", "1", 5, 1, false, T0);
    round(&mut o, at(SETTLE_MS), |_| vec![applied()]);
    assert_eq!(o.observe("A", 5, at(400)), Some(Observed::Unchanged));
    assert_eq!(o.observe("Z", 5, at(400)), None, "not a SKU of this connection");
    // A merchant types 9 in the admin: more than lastunit's 5, written back at once.
    assert_eq!(o.observe("A", 9, at(1000)), Some(Observed::StoreChange));
    let work = round(&mut o, at(1250), |_| vec![applied()]).unwrap();
    assert_eq!(
        (quantities(&work)[0]["quantity"].clone(), quantities(&work)[0]["changeFromQuantity"].clone()),
        (json!(5), json!(9))
    );
    assert_eq!(o.observe("A", 5, at(1300)), Some(Observed::Unchanged), "the echo of the write back");
    // An order in the store: less than lastunit's number, the order is waited for.
    assert_eq!(o.observe("A", 4, at(2000)), Some(Observed::StoreChange));
    assert_eq!(o.poll(&target(), at(2500)), None);
    assert_eq!(o.next_wake(at(2500)), Some(at(2000 + ORDER_GRACE_MS)));
    o.want("A", "1", 4, 2, false, at(3000)); // the order arrived: lastunit sold it too
    assert_eq!(o.next_wake(at(3000)), None, "nothing to write: the store holds lastunit's number");
}

#[test]
fn woocommerce_writes_many_skus_in_batches_within_its_rate() {
    let mut o = Outbox::new(Provider::Woocommerce, T0);
    let woo = Target { write: true, location_ref: None };
    for i in 0..8 {
        o.want(&format!("S{i}"), &format!("{}", 100 + i), i, 1, false, T0);
    }
    o.want("V", "812/815", 2, 1, false, T0);
    let work = o.poll(&woo, at(SETTLE_MS)).unwrap();
    let shape: Vec<(&str, &str)> = work.requests.iter().map(|r| (r.method, r.path.as_str())).collect();
    assert_eq!(shape, [("POST", "/products/batch"), ("PUT", "/products/812/variations/815")]);
    let update = body(&work, 0)["update"].clone();
    assert_eq!(update.as_array().unwrap().len(), 8);
    assert_eq!(update[0], json!({"id": 100, "manage_stock": true, "stock_quantity": 0}));
    // The batch: S1 refused by the store, the others written; the variation's PUT failed.
    let mut written: Vec<Value> =
        (0..8).map(|i| json!({"id": 100 + i, "stock_quantity": update[i as usize]["stock_quantity"]})).collect();
    written[1] = json!({"id": 101, "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID."}});
    let answers = [response(200, None, json!({"update": written})), response(500, None, json!({}))];
    o.record(work.id, &answers, at(SETTLE_MS), 3);
    assert_eq!(o.store_quantity("S0"), Some(0));
    assert_eq!(o.store_quantity("S7"), Some(7));
    assert!(o.item("S1").unwrap().refused.as_deref().unwrap().contains("woocommerce_rest_product_invalid_id"));
    assert_eq!(o.store_quantity("V"), None, "failed: still due");
    assert_eq!(o.poll(&woo, at(SETTLE_MS + 100)), None, "backing off");
    let next = o.next_wake(at(SETTLE_MS)).unwrap();
    let work = o.poll(&woo, next).unwrap();
    let paths: Vec<&str> = work.requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/products/812/variations/815"], "written or refused: not again");
    o.record(work.id, &[response(429, Some(3000), json!({}))], next, 3);
    assert_eq!(o.status(next).throttled_until, Some(next.plus(3000)));
    assert_eq!(o.poll(&woo, next.plus(2999)), None);
    let work = o.poll(&woo, next.plus(3000)).unwrap();
    o.record(work.id, &[response(200, None, json!({"stock_quantity": 2}))], next.plus(3000), 3);
    assert_eq!(o.store_quantity("V"), Some(2));
    // Pacing counts requests: one request spends a fifth of a second.
    let paced = next.plus(3000 + SECOND / woocommerce::WRITES_PER_SECOND as i64);
    o.want("S0", "100", 9, 2, false, next);
    assert_eq!(o.poll(&woo, paced.plus(-1)), None, "one request spends 1/5 of a second");
    assert!(o.poll(&woo, paced.max(next.plus(SETTLE_MS))).is_some());
}

#[test]
fn woocommerce_sends_at_most_its_rate_of_requests_a_run_however_many_endpoints() {
    let mut o = Outbox::new(Provider::Woocommerce, T0);
    let woo = Target { write: true, location_ref: None };
    // Seven variations of seven parents: seven endpoints, so seven requests in all.
    for i in 0..7 {
        o.want(&format!("V{i}"), &format!("{}/{}", 700 + i, 800 + i), 1, 1, false, T0);
    }
    for i in 0..250 {
        o.want(&format!("S{i:03}"), &format!("{}", 1000 + i), 3, 1, false, T0);
    }
    let work = o.poll(&woo, at(SETTLE_MS)).unwrap();
    assert_eq!(work.requests.len(), woocommerce::WRITES_PER_SECOND);
    let batches: Vec<usize> = work
        .requests
        .iter()
        .filter(|r| r.path == "/products/batch")
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["update"].as_array().unwrap().len())
        .collect();
    assert_eq!(batches, [100, 100, 50], "every simple product in three batches");
    let answers: Vec<Answer> = work
        .requests
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_str(&r.body).unwrap();
            match v["update"].as_array() {
                Some(u) => response(200, None, json!({"update": u})),
                None => response(200, None, json!({"stock_quantity": v["stock_quantity"]})),
            }
        })
        .collect();
    o.record(work.id, &answers, at(SETTLE_MS), 3);
    assert_eq!(o.status(at(SETTLE_MS)).pending_writes, 5, "five variations wait for the next run");
    let later = at(SETTLE_MS + SECOND);
    let work = o.poll(&woo, later).unwrap();
    assert_eq!(work.requests.len(), 5);
    assert!(work.requests.iter().all(|r| r.method == "PUT"));
}

#[test]
fn changes_are_what_to_store_and_restore_to_the_same_writer() {
    let mut o = shopify();
    assert!(o.take_changes().meta.is_some(), "a new writer is stored");
    o.want("A", "1", 5, 1, false, T0);
    o.want("B", "2", 1, 1, false, T0);
    let c = o.take_changes();
    assert_eq!(c.items.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(), ["A", "B"]);
    assert!(c.meta.is_none(), "wants change SKU rows only");
    let work = o.poll(&target(), at(SETTLE_MS)).unwrap();
    let c = o.take_changes();
    assert!(c.meta.as_ref().unwrap().in_flight.is_some(), "in flight is stored before it is sent");
    // A restart before the answer: the stored writer sends the same request again.
    let mut rows: BTreeMap<String, Item> = BTreeMap::new();
    for s in ["A", "B"] {
        rows.insert(s.into(), o.item(s).unwrap().clone());
    }
    let mut restored = Outbox::restore(c.meta.unwrap(), rows);
    assert_eq!(restored.poll(&target(), at(SETTLE_MS + 10)), Some(work));
    o.unmap("B");
    assert_eq!(o.take_changes().items, vec![("B".to_string(), None)]);
    assert!(o.take_changes().is_empty());
}

#[test]
fn nothing_is_written_when_writes_are_off_or_the_location_has_no_id() {
    let mut o = shopify();
    o.want("A", "1", 5, 1, false, T0);
    assert_eq!(o.poll(&Target { write: false, location_ref: Some(LOCATION.into()) }, at(1000)), None);
    assert_eq!(o.poll(&Target { write: true, location_ref: None }, at(1000)), None);
    assert_eq!(o.status(at(1000)).pending_writes, 1);
}

#[test]
fn items_falling_due_together_share_a_batch_and_the_hold_is_bounded() {
    let mut o = Outbox::new(Provider::Woocommerce, T0);
    let woo = Target { write: true, location_ref: None };
    // Three SKUs due 0, 200 and 400 ms apart: the first two share a request, the third does not
    // hold them past the window.
    o.want("A", "901", 1, 1, false, T0);
    o.want("B", "902", 2, 1, false, at(200));
    o.want("C", "903", 3, 1, false, at(400));
    assert_eq!(o.next_wake(T0), Some(at(200 + SETTLE_MS)));
    let work = o.poll(&woo, at(200 + SETTLE_MS)).unwrap();
    assert_eq!(work.requests.len(), 1);
    let ids: Vec<u64> =
        body(&work, 0)["update"].as_array().unwrap().iter().map(|u| u["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [901, 902]);
}

#[test]
fn a_key_shopify_will_not_take_again_is_replaced_and_a_busy_one_is_kept() {
    let mut o = shopify();
    o.want("A", "808950810", 5, 1, false, T0);
    let first = o.poll(&target(), at(SETTLE_MS)).unwrap();
    let key = |w: &Work| body(w, 0)["variables"]["key"].clone();
    // In progress elsewhere: the same request, the same key, after the backoff.
    let busy = json!([{"code": "IDEMPOTENCY_CONCURRENT_REQUEST", "field": null, "message": "try again"}]);
    o.record(first.id, &[user_errors(busy)], at(SETTLE_MS), 7);
    let again = o.poll(&target(), o.next_wake(at(SETTLE_MS)).unwrap()).unwrap();
    assert_eq!(key(&again), key(&first));
    // "Retry with a new idempotency key": the same numbers under a new key.
    let spent = json!([{"code": "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", "field": null, "message": "failed"}]);
    let t = o.next_wake(at(SETTLE_MS)).unwrap();
    o.record(again.id, &[user_errors(spent)], t, 7);
    assert!(o.status(t).last_error.unwrap().contains("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"));
    let fresh = o.poll(&target(), o.next_wake(t).unwrap()).unwrap();
    assert_ne!(key(&fresh), key(&first));
    assert_eq!(quantities(&fresh)[0]["quantity"], 5);
}

#[test]
fn each_kind_of_request_waits_for_what_the_last_of_its_kind_cost() {
    let mut o = shopify();
    o.want("A", "808950810", 5, 1, false, T0);
    let work = o.poll(&target(), at(SETTLE_MS)).unwrap();
    // The write cost 300 up front and left 100 in the bucket, which restores 100 a second.
    let answer = response(
        200,
        None,
        json!({"data": {"inventorySetQuantities": {"userErrors": []}}, "extensions": {"cost": {"requestedQueryCost": 300, "actualQueryCost": 120,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 100.0, "restoreRate": 100.0}}}}),
    );
    o.record(work.id, &[answer], at(SETTLE_MS), 7);
    o.want("A", "808950810", 4, 2, false, at(500));
    let due = at(SETTLE_MS + 1000); // a second after A's last write
    assert_eq!(o.poll(&target(), due), None, "100 points short at 100 a second");
    assert_eq!(o.status(due).throttled_until, Some(at(SETTLE_MS + 2000)));
    assert!(o.poll(&target(), at(SETTLE_MS + 2000)).is_some());
}
