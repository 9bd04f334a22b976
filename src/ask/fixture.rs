//! The small shop every `ask` test questions: five products with sales, returns, a hold and
//! purchase orders, summarised at [`now`].

use super::{answer, Answer};
use crate::catalog::{BufferPolicy, SkuConfig, Topology};
use crate::event::EventBody;
use crate::forecast::IncomingLine;
use crate::reservation::HoldRequest;
use crate::sku::Sku;
use crate::time::{DAY, MINUTE};
use crate::{SkuSummary, Timestamp};

/// The instant the shop is summarised at.
pub(super) fn now() -> Timestamp {
    Timestamp::parse("2026-11-26T10:00:00Z").unwrap()
}

fn topology() -> Topology {
    let mut t = Topology { locations: vec!["main-st".into(), "warehouse".into()], ..Topology::default() };
    t.channels.insert("store".into(), vec!["main-st".into()]);
    t.channels.insert("web".into(), vec!["warehouse".into(), "main-st".into()]);
    t.channels.insert("marketplace".into(), vec!["warehouse".into()]);
    t
}

fn event(sku: &str, n: &mut u32, json: serde_json::Value, at: Timestamp) -> crate::StockEvent {
    *n += 1;
    let mut v = json;
    v["event_id"] = format!("e{n}").into();
    v["sku"] = sku.into();
    v["occurred_at"] = at.to_string().into();
    let body: EventBody = serde_json::from_value(v).unwrap();
    body.check("admin", at).unwrap()
}

/// A SKU with `stock` units at the warehouse, selling `per_day` a day for 28 days (split
/// store/web/marketplace 50/30/20).
fn sku(id: &str, title: &str, stock: i64, per_day: f64) -> Sku {
    let start = now().plus(-28 * DAY);
    let config = SkuConfig { title: title.into(), buffer: BufferPolicy::Fixed { units: 1 }, ..SkuConfig::default() };
    let mut s = Sku::new(id, config, topology(), start).unwrap();
    let mut n = 0;
    let e = event(id, &mut n, serde_json::json!({"type":"receive","location":"warehouse","quantity":100000}), start);
    s.apply(&e, start).unwrap();
    if per_day > 0.0 {
        let step = (DAY as f64 / per_day) as i64;
        let mut t = start.plus(step / 2);
        let mut i = 0;
        while t < now() {
            let channel =
                ["store", "web", "store", "marketplace", "store", "web", "store", "store", "web", "marketplace"]
                    [i % 10];
            let loc = if channel == "store" { "main-st" } else { "warehouse" };
            let e =
                event(id, &mut n, serde_json::json!({"type":"sale","location":loc,"quantity":1,"channel":channel}), t);
            s.apply(&e, t).unwrap();
            t = t.plus(step);
            i += 1;
        }
    }
    let e = event(id, &mut n, serde_json::json!({"type":"count","location":"warehouse","quantity":stock}), now());
    s.apply(&e, now()).unwrap();
    s
}

/// The five products' summaries.
pub(super) fn catalog() -> Vec<SkuSummary> {
    let mut shirt = sku("linen-shirt-m", "Linen shirt, M", 20, 10.0);
    shirt
        .expect(
            IncomingLine {
                po_id: "PO-17".into(),
                location: "warehouse".into(),
                quantity: 24,
                expected_at: now().plus(5 * DAY),
            },
            now(),
        )
        .unwrap();
    let mut socks = sku("wool-socks", "Wool socks", 2, 3.0);
    let mut n = 100;
    for i in 0..5 {
        let e = event(
            "wool-socks",
            &mut n,
            serde_json::json!({"type":"return","location":"warehouse","quantity":1,"channel":"web","origin_channel":"web","reason": if i < 4 {"wrong size"} else {"damaged"}}),
            now(),
        );
        socks.apply(&e, now()).unwrap();
    }
    let e = event(
        "wool-socks",
        &mut n,
        serde_json::json!({"type":"count","location":"warehouse","quantity":2}),
        now().plus(1),
    );
    socks.apply(&e, now().plus(1)).unwrap();
    let mut scarf = sku("silk-scarf", "Silk scarf", 9, 2.0 / 7.0);
    scarf
        .reserve(
            &HoldRequest {
                id: "h1".into(),
                cart_id: "c1".into(),
                client: None,
                channel: "web".into(),
                quantity: 2,
                expires_at: now().plus(10 * MINUTE),
            },
            now(),
        )
        .unwrap();
    let tote = sku("canvas-tote", "Canvas tote", 40, 0.0);
    let mut tee = sku("tee-black-l", "Black tee, L", 300, 10.0);
    tee.expect(
        IncomingLine {
            po_id: "PO-18".into(),
            location: "main-st".into(),
            quantity: 50,
            expected_at: now().plus(20 * DAY),
        },
        now(),
    )
    .unwrap();
    vec![shirt.summary(), socks.summary(), scarf.summary(), tote.summary(), tee.summary()]
}

/// Asks the shop `q` at [`now`].
pub(super) fn ask(q: &str) -> Answer {
    answer(q, &catalog(), now())
}
