//! WooCommerce refunds: which units of an order came back, read from the order's refunds.
//!
//! An order webhook (`order.updated`) names its refunds but not what they hold: the REST order's
//! `refunds` is `[{"id": 726, "reason": "", "total": "-10.00"}]`. What a refund gave back is in
//! the refund itself, `GET {base}/orders/{id}/refunds`: each refund's `line_items`, with a
//! negative `quantity`, the `product_id`/`variation_id`/`sku` of the line, and the order line it
//! refunds in its meta `_refunded_item_id`. So when an order lists refunds, the Worker keeps a
//! [`RefundRead`] (the order's lines, and whether it is cancelled), reads the refunds from the
//! connection's alarm (retried until it answers), and [`RefundRead::notice`] makes the returns.
//!
//! What comes back, as WooCommerce itself restocks:
//! - **Each refund line** (`refund-line:<id>`, the refund line's own id, the same however often
//!   the order is delivered or read): its units, reason `refunded`. WooCommerce restocks refunded
//!   items by default (the refund form's *Restock refunded items* is ticked, the REST
//!   `api_restock` defaults to true), and only units it had taken off its stock, so a refund line
//!   gives back only what its order line's sale took (`undoes`).
//! - **A cancelled order**: each line's units that no refund brought back
//!   (`order:<id>:line:<line>:back`, the id a cancellation without refunds uses too, so an order
//!   cancelled once is given back once), reason `cancelled`. WooCommerce restores on cancellation
//!   what the order still held off its stock, which its restocked refunds had already lowered.
//! - **A refunded order** (the status): nothing by itself. Its refunds say what came back; an
//!   order marked refunded by hand gets a refund with no lines, and WooCommerce restocks nothing.
//!
//! Not known from WooCommerce's documented API, so read as the default: whether the merchant
//! unticked *Restock refunded items* for one refund (it is read as restocked), and a refund made
//! after the order was cancelled (WooCommerce restocks nothing then, as the cancellation already
//! restored the units; if lastunit saw the cancellation first, it gives the refund's units back
//! again). Either is put right with an `adjust` event (docs/POS.md says so).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{bad, dedupe_key, field, id_value, parse_json, PosError};
use crate::connect::orders::{LineChange, OrderLine, OrderNotice, ReturnReason};
use crate::connect::outbox::backoff_ms;
use crate::connect::{Answer, Provider, StoreRequest};
use crate::Timestamp;

/// Most refunds read of one order (one page of the REST list).
pub const MAX_REFUNDS: usize = 100;

/// One line of the order, as the order webhook carried it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WooLine {
    /// The order line's id.
    pub line_id: String,
    /// Its SKU code, if any.
    pub sku: Option<String>,
    /// `pos_refs.woocommerce` of its product (`"93"`, `"22/23"`), if it names one.
    pub item_ref: Option<String>,
    /// Units ordered.
    pub quantity: i64,
}

/// An order whose refunds must be read before its returns are known (kept by the connection
/// until the read succeeds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRead {
    /// The order.
    pub order_id: String,
    /// When the order last changed (its `date_modified_gmt`): when its returns happened.
    pub occurred_at: Timestamp,
    /// The order is cancelled: what no refund gave back comes back too.
    pub cancelled: bool,
    /// The order's lines.
    pub lines: Vec<WooLine>,
}

impl RefundRead {
    /// `GET {base}/orders/{id}/refunds?per_page=100`.
    pub fn request(&self) -> StoreRequest {
        StoreRequest {
            method: "GET",
            path: format!("/orders/{}/refunds?per_page={MAX_REFUNDS}", self.order_id),
            body: String::new(),
        }
    }

    /// The returns the order's refunds (the body of [`RefundRead::request`]'s answer) and its
    /// cancellation bring back. A body that is not a list of refunds: `BadBody`.
    pub fn notice(&self, refunds: &[u8]) -> Result<OrderNotice, PosError> {
        let v = parse_json(refunds)?;
        let refunds = v.as_array().ok_or_else(|| bad("the refunds must be a list"))?;
        let mut notice = OrderNotice {
            provider: Provider::Woocommerce,
            order_id: self.order_id.clone(),
            occurred_at: self.occurred_at,
            lines: Vec::new(),
            unchanged: 0,
        };
        let mut given_back: Vec<(String, i64)> = Vec::new();
        for (r, refund) in refunds.iter().take(MAX_REFUNDS).enumerate() {
            let items = field(refund, "line_items")?.as_array().ok_or_else(|| bad("`line_items` must be a list"))?;
            for (i, item) in items.iter().enumerate() {
                let name = format!("refunds[{r}].line_items[{i}]");
                let id = id_value(field(item, "id")?, &format!("{name}.id"))?;
                let units = refunded_units(field(item, "quantity")?, &name)?;
                if units == 0 {
                    notice.unchanged += 1;
                    continue;
                }
                let (sku, item_ref) = product(item, &name)?;
                let line = self.refunded_line(item, sku.as_deref(), item_ref.as_deref(), &name)?;
                if let Some(l) = line {
                    given_back.push((l.line_id.clone(), units));
                }
                notice.lines.push(OrderLine {
                    event_id: dedupe_key(&["refund-line", &id]),
                    sku: sku.or_else(|| line.and_then(|l| l.sku.clone())),
                    item_ref: item_ref.or_else(|| line.and_then(|l| l.item_ref.clone())),
                    quantity: units,
                    change: LineChange::Restocked { reason: ReturnReason::Refunded },
                    undoes: line.map(|l| self.sale(l)),
                });
            }
        }
        if self.cancelled {
            for l in &self.lines {
                let back: i64 = given_back.iter().filter(|(id, _)| *id == l.line_id).map(|(_, q)| q).sum();
                let left = l.quantity - back;
                if left <= 0 {
                    continue;
                }
                notice.lines.push(OrderLine {
                    event_id: dedupe_key(&["order", &self.order_id, "line", &l.line_id, "back"]),
                    sku: l.sku.clone(),
                    item_ref: l.item_ref.clone(),
                    quantity: left,
                    change: LineChange::Restocked { reason: ReturnReason::Cancelled },
                    undoes: Some(self.sale(l)),
                });
            }
        }
        Ok(notice)
    }

    fn sale(&self, line: &WooLine) -> String {
        dedupe_key(&["order", &self.order_id, "line", &line.line_id])
    }

    /// The order line a refund line refunds: the one its `_refunded_item_id` names, else the
    /// only one of the same product.
    fn refunded_line(
        &self,
        item: &Value,
        sku: Option<&str>,
        item_ref: Option<&str>,
        name: &str,
    ) -> Result<Option<&WooLine>, PosError> {
        let named = item.get("meta_data").and_then(Value::as_array).and_then(|meta| {
            meta.iter().find(|m| m.get("key").and_then(Value::as_str) == Some("_refunded_item_id"))
        });
        if let Some(m) = named {
            let id = id_value(field(m, "value")?, &format!("{name}.meta_data._refunded_item_id"))?;
            return Ok(self.lines.iter().find(|l| l.line_id == id));
        }
        let same = |l: &&WooLine| {
            (item_ref.is_some() && l.item_ref.as_deref() == item_ref) || (sku.is_some() && l.sku.as_deref() == sku)
        };
        let mut matching = self.lines.iter().filter(same);
        Ok(match (matching.next(), matching.next()) {
            (Some(l), None) => Some(l),
            _ => None,
        })
    }
}

/// A [`RefundRead`] the connection keeps until its refunds are read and their returns applied,
/// and when to try it next: at once, then after the writer's backoff for each failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRefundRead {
    /// The order and its lines.
    pub read: RefundRead,
    /// Failed tries so far.
    pub attempts: u32,
    /// When to try next.
    pub due_at: Timestamp,
}

impl PendingRefundRead {
    /// A read to try at once.
    pub fn new(read: RefundRead, now: Timestamp) -> Self {
        PendingRefundRead { read, attempts: 0, due_at: now }
    }

    /// The returns the store's answer to [`RefundRead::request`] brings back; `Err` with a
    /// sentence when the store did not answer with the refunds (the read is then tried again).
    pub fn answered(&self, answer: &Answer) -> Result<OrderNotice, String> {
        match answer {
            Answer::Response { status: 200..=299, body, .. } => {
                self.read.notice(body.as_bytes()).map_err(|e| e.to_string())
            }
            Answer::Response { status, .. } => Err(format!("WooCommerce answered HTTP {status}")),
            Answer::NoAnswer(why) => Err(why.clone()),
        }
    }

    /// The try failed: the next one waits the writer's backoff (`seed` draws its jitter).
    pub fn failed(&mut self, now: Timestamp, seed: u64) {
        self.attempts += 1;
        self.due_at = now.plus(backoff_ms(self.attempts, seed));
    }
}

/// A refund line's `quantity` is the units refunded, negative (`-1`); 0 moves nothing.
fn refunded_units(v: &Value, name: &str) -> Result<i64, PosError> {
    let q = v.as_i64().ok_or_else(|| bad(format!("`{name}.quantity` must be a whole number")))?;
    super::check_units(q.saturating_abs(), &format!("{name}.quantity"))
}

/// A line's SKU code (blank: none) and `pos_refs.woocommerce` (`product_id`, or
/// `product_id/variation_id`; none when the product was deleted, `product_id` 0).
pub(super) fn product(item: &Value, name: &str) -> Result<(Option<String>, Option<String>), PosError> {
    let sku = match item.get("sku") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Some(_) => return Err(bad(format!("`{name}.sku` must be a string"))),
    };
    let id = |key: &str| -> Result<u64, PosError> {
        match item.get(key) {
            None | Some(Value::Null) => Ok(0),
            Some(x) => x.as_u64().ok_or_else(|| bad(format!("`{name}.{key}` must be a whole number"))),
        }
    };
    let (product, variation) = (id("product_id")?, id("variation_id")?);
    let item_ref = (product != 0).then(|| {
        use crate::connect::woocommerce::WooRef;
        if variation == 0 { WooRef::of(product, 0) } else { WooRef::of(variation, product) }.to_string()
    });
    Ok((sku, item_ref))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped like WooCommerce's documented refund list (GET /orders/723/refunds, trimmed).
    const REFUNDS: &str = r#"[
      {"id":726,"date_created_gmt":"2026-11-26T12:07:11","amount":"10.00","reason":"","line_items":[]},
      {"id":724,"date_created_gmt":"2026-11-26T11:55:37","amount":"9.00","reason":"damaged box","line_items":[
        {"id":314,"name":"Woo Album #2","product_id":87,"variation_id":0,"quantity":-1,"sku":"",
         "meta_data":[{"id":2076,"key":"_refunded_item_id","value":"311"}]}
      ]},
      {"id":728,"date_created_gmt":"2026-11-26T12:30:00","amount":"20.00","reason":"","line_items":[
        {"id":330,"name":"Hoodie - Black","product_id":22,"variation_id":23,"quantity":-2,"sku":"hoodie-black","meta_data":[]}
      ]}
    ]"#;

    fn read(cancelled: bool) -> RefundRead {
        RefundRead {
            order_id: "723".into(),
            occurred_at: Timestamp::parse("2026-11-26T12:31:00Z").unwrap(),
            cancelled,
            lines: vec![
                WooLine { line_id: "311".into(), sku: None, item_ref: Some("87".into()), quantity: 3 },
                WooLine { line_id: "312".into(), sku: Some("hoodie-black".into()), item_ref: Some("22/23".into()), quantity: 2 },
                WooLine { line_id: "313".into(), sku: Some("mug".into()), item_ref: Some("93".into()), quantity: 1 },
            ],
        }
    }

    fn summary(n: &OrderNotice) -> Vec<(String, i64, LineChange, Option<String>)> {
        n.lines.iter().map(|l| (l.event_id.clone(), l.quantity, l.change, l.undoes.clone())).collect()
    }

    #[test]
    fn each_refund_line_comes_back_once_giving_back_only_what_its_sale_took() {
        let r = read(false);
        assert_eq!(r.request().path, "/orders/723/refunds?per_page=100");
        assert_eq!(r.request().method, "GET");
        let n = r.notice(REFUNDS.as_bytes()).unwrap();
        let refunded = LineChange::Restocked { reason: ReturnReason::Refunded };
        assert_eq!(
            summary(&n),
            vec![
                ("refund-line:314".into(), 1, refunded, Some("order:723:line:311".into())),
                // No `_refunded_item_id`: the only order line of that variation.
                ("refund-line:330".into(), 2, refunded, Some("order:723:line:312".into())),
            ]
        );
        assert_eq!(n.lines[0].item_ref.as_deref(), Some("87"));
        assert_eq!(n.lines[1].sku.as_deref(), Some("hoodie-black"));
        assert_eq!(n.occurred_at, r.occurred_at);
        assert_eq!(r.notice(REFUNDS.as_bytes()).unwrap(), n, "read again, the same ids");
        assert!(r.notice(b"[]").unwrap().lines.is_empty(), "a refund of money only moves nothing");
    }

    #[test]
    fn a_cancelled_order_brings_back_what_no_refund_did() {
        let n = read(true).notice(REFUNDS.as_bytes()).unwrap();
        let cancelled = LineChange::Restocked { reason: ReturnReason::Cancelled };
        assert_eq!(
            summary(&n)[2..],
            [
                ("order:723:line:311:back".into(), 2, cancelled, Some("order:723:line:311".into())),
                ("order:723:line:313:back".into(), 1, cancelled, Some("order:723:line:313".into())),
            ]
        );
        let without_refunds = read(true).notice(b"[]").unwrap();
        assert_eq!(without_refunds.lines.iter().map(|l| l.quantity).collect::<Vec<_>>(), [3, 2, 1]);
    }

    #[test]
    fn what_is_not_a_refund_list_is_a_bad_body() {
        for body in [
            "{}",
            "nope",
            r#"[{"id":1}]"#,
            r#"[{"id":1,"line_items":[{"id":2,"quantity":"-1"}]}]"#,
            r#"[{"id":1,"line_items":[{"id":2,"quantity":-1,"product_id":"87"}]}]"#,
            r#"[{"id":1,"line_items":[{"id":2,"quantity":-1,"meta_data":[{"key":"_refunded_item_id","value":null}]}]}]"#,
        ] {
            assert!(matches!(read(false).notice(body.as_bytes()), Err(PosError::BadBody(_))), "{body}");
        }
    }

    #[test]
    fn a_pending_read_is_done_when_the_store_answers_and_waits_the_backoff_when_not() {
        let now = Timestamp::parse("2026-11-26T12:32:00Z").unwrap();
        let mut pending = PendingRefundRead::new(read(false), now);
        assert_eq!((pending.attempts, pending.due_at), (0, now), "tried at once");
        let ok = |body: &str| Answer::Response { status: 200, retry_after_ms: None, body: body.into() };
        assert_eq!(pending.answered(&ok(REFUNDS)).unwrap(), read(false).notice(REFUNDS.as_bytes()).unwrap());
        let down = Answer::Response { status: 503, retry_after_ms: None, body: String::new() };
        assert_eq!(pending.answered(&down).unwrap_err(), "WooCommerce answered HTTP 503");
        assert_eq!(pending.answered(&Answer::NoAnswer("timed out".into())).unwrap_err(), "timed out");
        assert!(pending.answered(&ok("{}")).is_err(), "a body that is not the refunds");
        pending.failed(now, 7);
        assert_eq!(pending.attempts, 1);
        assert_eq!(pending.due_at, now.plus(backoff_ms(1, 7)));
        let first_wait = pending.due_at.millis() - now.millis();
        pending.failed(now, 7);
        assert!(pending.due_at.millis() - now.millis() > first_wait / 2, "the backoff grows");
        assert_eq!(pending.due_at, now.plus(backoff_ms(2, 7)));
    }
}
