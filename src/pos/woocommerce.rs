//! WooCommerce: `POST /webhooks/woocommerce`, topics `order.created`, `order.updated` and
//! `product.updated`.
//!
//! `X-WC-Webhook-Signature` is the base64 HMAC-SHA256 of the raw body, keyed with the webhook's
//! secret (`WOOCOMMERCE_WEBHOOK_SECRET`); `X-WC-Webhook-Topic` names the topic. When a webhook is
//! created WooCommerce posts one unsigned ping, the form body `webhook_id=<n>`, and disables the
//! webhook unless it is answered 2xx: [`read`] gives [`WooDelivery::Ping`] for it, which changes
//! nothing. The body of an order topic is the REST order:
//! `{"id": 727, "status": "processing", "date_created_gmt": "2026-11-26T10:00:00",
//! "date_modified_gmt": "...", "line_items": [{"id": 315, "product_id": 93, "variation_id": 0,
//! "quantity": 2, "sku": "woo-tshirt", ...}]}`.
//!
//! What an order's status means for stock, as WooCommerce itself reduces and restores it:
//! - `on-hold`, `processing`, `completed`: each line is sold (`order:<id>:line:<line>`);
//!   the same ids whatever the topic, so an order announced by `order.created` and again by each
//!   `order.updated` is sold once, and an `order.created` that never arrived is made up for;
//! - `cancelled`: each line comes back (`order:<id>:line:<line>:back`), but only what its sale
//!   took: an order cancelled while `pending` (never paid, so WooCommerce never reduced its
//!   stock) gives nothing back ([`StockEvent::undoes`](crate::StockEvent));
//! - anything else (`pending`, `failed`, `checkout-draft`, `trash`, `refunded`, ...): nothing
//!   moves by the status alone.
//!
//! **Refunds**, partial or whole: the order lists them (`refunds: [{"id", "reason", "total"}]`)
//! without their lines, so an order that lists any comes with a
//! [`RefundRead`](super::woocommerce_refunds::RefundRead): the Worker reads the refunds and each
//! refunded line comes back once ([`super::woocommerce_refunds`]). A cancelled order with refunds
//! waits for that read too, as its cancellation brings back only what no refund did.
//!
//! The delivery id (`X-WC-Webhook-Delivery-ID`) changes with every attempt, so it names no
//! change: the line ids above do. Lines match a SKU by `sku`, then by `pos_refs.woocommerce`
//! (`product_id`, or `product_id/variation_id` for a variation).

use serde_json::Value;

use super::{
    bad, check_secret, check_size, decode_base64_digest, dedupe_key, field, header, id_value, parse_json,
    quantity_value, verify_hmac, PosError,
};
use crate::connect::orders::{LineChange, OrderLine, OrderNotice, ReturnReason};
use super::woocommerce_refunds::{RefundRead, WooLine};
use crate::connect::woocommerce::WooRef;
use crate::connect::Provider;
use crate::Timestamp;

/// A new order.
pub const ORDER_CREATED: &str = "order.created";
/// A changed order (its status says what it means for stock).
pub const ORDER_UPDATED: &str = "order.updated";
/// A changed product: the store's stock level, which is never a shelf count (the connection's
/// echo rule judges it, `connect::echo`).
pub const PRODUCT_UPDATED: &str = "product.updated";

/// Statuses under which WooCommerce has taken the order's units off its stock.
const SOLD: [&str; 3] = ["on-hold", "processing", "completed"];

/// One verified WooCommerce delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WooDelivery {
    /// The unsigned ping sent when the webhook is created: answer 200, change nothing.
    Ping {
        /// The webhook's id in WooCommerce.
        webhook_id: u64,
    },
    /// An order topic: what moves now, and the refunds to read when the order lists any.
    Order {
        /// The lines that move now (sales, a cancellation without refunds).
        notice: OrderNotice,
        /// The order's refunds, to read before its returns are known.
        refunds: Option<RefundRead>,
    },
    /// `product.updated`: the product (or variation) as `pos_refs.woocommerce` names it, and
    /// its stock when WooCommerce manages it.
    Product {
        /// `"812"`, or `"812/815"` for a variation.
        item_ref: String,
        /// `stock_quantity` while `manage_stock` is on.
        quantity: Option<i64>,
    },
    /// Another topic: counted `ignored`.
    Other,
}

/// Verifies and reads one WooCommerce delivery (`signature`: `X-WC-Webhook-Signature`,
/// `topic`: `X-WC-Webhook-Topic`). `now` dates an order that carries no GMT time.
pub fn read(
    body: &[u8],
    signature: Option<&str>,
    topic: Option<&str>,
    secret: &str,
    now: Timestamp,
) -> Result<WooDelivery, PosError> {
    check_size(body)?;
    if let Some(webhook_id) = ping(body) {
        return Ok(WooDelivery::Ping { webhook_id });
    }
    check_secret(secret, "WOOCOMMERCE_WEBHOOK_SECRET")?;
    let name = "X-WC-Webhook-Signature";
    let sig = decode_base64_digest(header(signature, name)?, name)?;
    verify_hmac(secret.as_bytes(), &[body], &sig)?;

    let topic = topic
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("the X-WC-Webhook-Topic header is missing"))?;
    if ![ORDER_CREATED, ORDER_UPDATED, PRODUCT_UPDATED].contains(&topic) {
        return Ok(WooDelivery::Other);
    }
    let v = parse_json(body)?;
    if !v.is_object() {
        return Err(bad("expected a JSON object"));
    }
    if topic == PRODUCT_UPDATED {
        return product(&v);
    }
    order(&v, topic, now)
}

fn product(v: &Value) -> Result<WooDelivery, PosError> {
    let number = |key: &str| match v.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(x) => x.as_u64().ok_or_else(|| bad(format!("`{key}` must be a whole number"))),
    };
    let id = number("id")?;
    if id == 0 {
        return Err(bad("`id` is missing"));
    }
    let item_ref = WooRef::of(id, number("parent_id")?).to_string();
    let managed = v.get("manage_stock").and_then(Value::as_bool).unwrap_or(false);
    let quantity = match v.get("stock_quantity") {
        Some(q) if managed && !q.is_null() => Some(quantity_value(q, "stock_quantity")?),
        _ => None,
    };
    Ok(WooDelivery::Product { item_ref, quantity })
}

/// `webhook_id=<digits>` and nothing else: the creation ping.
fn ping(body: &[u8]) -> Option<u64> {
    let rest = body.strip_prefix(b"webhook_id=")?;
    let digits = std::str::from_utf8(rest).ok()?.trim_end();
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn order(v: &Value, topic: &str, now: Timestamp) -> Result<WooDelivery, PosError> {
    let order_id = id_value(field(v, "id")?, "id")?;
    let status = field(v, "status")?.as_str().ok_or_else(|| bad("`status` must be a string"))?;
    let time_field = if topic == ORDER_CREATED { "date_created_gmt" } else { "date_modified_gmt" };
    let occurred_at = match v.get(time_field).filter(|t| !t.is_null()) {
        Some(t) => gmt_time(t, time_field)?,
        None => now,
    };
    let refund_ids = match v.get("refunds") {
        None | Some(Value::Null) => 0,
        Some(Value::Array(list)) => list.len(),
        Some(_) => return Err(bad("`refunds` must be a list")),
    };
    let cancelled = status == "cancelled";
    // A cancellation with refunds waits for them: it brings back only what they did not.
    let change = if SOLD.contains(&status) {
        Some(LineChange::Sold)
    } else if cancelled && refund_ids == 0 {
        Some(LineChange::Restocked { reason: ReturnReason::Cancelled })
    } else {
        None
    };
    let items = field(v, "line_items")?.as_array().ok_or_else(|| bad("`line_items` must be a list"))?;
    let mut notice =
        OrderNotice { provider: Provider::Woocommerce, order_id, occurred_at, lines: Vec::new(), unchanged: 0 };
    let mut lines = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = format!("line_items[{i}]");
        let line_id = id_value(field(item, "id")?, &format!("{name}.id"))?;
        let quantity = quantity_value(field(item, "quantity")?, &format!("{name}.quantity"))?;
        let (sku, item_ref) = super::woocommerce_refunds::product(item, &name)?;
        lines.push(WooLine { line_id: line_id.clone(), sku: sku.clone(), item_ref: item_ref.clone(), quantity });
        let Some(change) = change.filter(|_| quantity > 0) else {
            notice.unchanged += 1;
            continue;
        };
        let sale = dedupe_key(&["order", &notice.order_id, "line", &line_id]);
        let (event_id, undoes) = match change {
            LineChange::Sold => (sale, None),
            LineChange::Restocked { .. } => {
                (dedupe_key(&["order", &notice.order_id, "line", &line_id, "back"]), Some(sale))
            }
        };
        notice.lines.push(OrderLine { event_id, sku, item_ref, quantity, change, undoes });
    }
    let refunds = (refund_ids > 0).then(|| RefundRead {
        order_id: notice.order_id.clone(),
        occurred_at: notice.occurred_at,
        cancelled,
        lines,
    });
    Ok(WooDelivery::Order { notice, refunds })
}

/// WooCommerce's `*_gmt` times carry no offset (`2026-11-26T10:00:00`): they are UTC.
fn gmt_time(v: &Value, name: &str) -> Result<Timestamp, PosError> {
    let s = v.as_str().unwrap_or_default();
    let zoned = if s.len() == 19 { format!("{s}Z") } else { s.to_string() };
    Timestamp::parse(&zoned).ok_or_else(|| bad(format!("`{name}` must be a time such as 2026-11-26T10:00:00")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const SECRET: &str = "hush-woo";
    // Shaped like WooCommerce's REST v3 order (trimmed).
    const ORDER: &str = r#"{"id":727,"parent_id":0,"status":"processing","currency":"USD",
        "date_created":"2026-11-26T05:00:00","date_created_gmt":"2026-11-26T10:00:00",
        "date_modified":"2026-11-26T05:10:00","date_modified_gmt":"2026-11-26T10:10:00",
        "line_items":[
          {"id":315,"name":"Woo Single #1","product_id":93,"variation_id":0,"quantity":2,"sku":""},
          {"id":316,"name":"Ship Your Idea - Color: Black","product_id":22,"variation_id":23,"quantity":1,"sku":"idea-black"}
        ]}"#;

    fn sign(body: &str) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(super::super::hmac_sha256(SECRET.as_bytes(), &[body.as_bytes()]))
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-26T12:00:00Z").unwrap()
    }

    fn read_topic(topic: &str, body: &str) -> Result<WooDelivery, PosError> {
        read(body.as_bytes(), Some(&sign(body)), Some(topic), SECRET, now())
    }

    fn lines(d: WooDelivery) -> Vec<OrderLine> {
        match d {
            WooDelivery::Order { notice, .. } => notice.lines,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_new_order_sells_each_line_matched_by_sku_or_product() {
        let WooDelivery::Order { notice: n, refunds: None } = read_topic(ORDER_CREATED, ORDER).unwrap() else { panic!() };
        assert_eq!((n.provider, n.order_id.as_str()), (Provider::Woocommerce, "727"));
        assert_eq!(n.occurred_at.to_string(), "2026-11-26T10:00:00Z");
        assert_eq!(
            n.lines,
            vec![
                OrderLine {
                    event_id: "order:727:line:315".into(),
                    sku: None,
                    item_ref: Some("93".into()),
                    quantity: 2,
                    change: LineChange::Sold,
                    undoes: None,
                },
                OrderLine {
                    event_id: "order:727:line:316".into(),
                    sku: Some("idea-black".into()),
                    item_ref: Some("22/23".into()),
                    quantity: 1,
                    change: LineChange::Sold,
                    undoes: None,
                },
            ]
        );
    }

    #[test]
    fn an_update_sells_under_the_same_ids_or_brings_the_lines_back() {
        let created = lines(read_topic(ORDER_CREATED, ORDER).unwrap());
        let WooDelivery::Order { notice: updated, .. } = read_topic(ORDER_UPDATED, ORDER).unwrap() else { panic!() };
        assert_eq!(updated.lines, created, "a paid order's update is the same sale");
        assert_eq!(updated.occurred_at.to_string(), "2026-11-26T10:10:00Z");
        let back = |status: &str| lines(read_topic(ORDER_UPDATED, &ORDER.replace("processing", status)).unwrap());
        let cancelled = back("cancelled");
        assert_eq!(cancelled[0].event_id, "order:727:line:315:back");
        assert_eq!(cancelled[0].change, LineChange::Restocked { reason: ReturnReason::Cancelled });
        assert_eq!(cancelled[0].undoes.as_deref(), Some("order:727:line:315"), "gives back only what was sold");
        for status in ["pending", "failed", "checkout-draft", "trash", "refunded"] {
            let WooDelivery::Order { notice: n, .. } = read_topic(ORDER_UPDATED, &ORDER.replace("processing", status)).unwrap()
            else {
                panic!()
            };
            assert!(n.lines.is_empty() && n.unchanged == 2, "{status}");
        }
        for status in ["on-hold", "completed"] {
            assert_eq!(lines(read_topic(ORDER_CREATED, &ORDER.replace("processing", status)).unwrap()), created);
        }
    }

    #[test]
    fn an_order_that_lists_refunds_comes_with_the_read_of_them() {
        let with_refunds = |status: &str| {
            ORDER.replace("processing", status).replace(
                r#""line_items":["#,
                r#""refunds":[{"id":726,"reason":"","total":"-10.00"}],"line_items":["#,
            )
        };
        let read = |status: &str| match read_topic(ORDER_UPDATED, &with_refunds(status)).unwrap() {
            WooDelivery::Order { notice, refunds } => (notice, refunds.expect("the refunds to read")),
            other => panic!("{other:?}"),
        };
        // A paid order partly refunded: its sales still count, its refunds are read.
        let (sold, refunds) = read("processing");
        assert_eq!(sold.lines, lines(read_topic(ORDER_CREATED, ORDER).unwrap()));
        assert!(!refunds.cancelled);
        assert_eq!(refunds.request().path, "/orders/727/refunds?per_page=100");
        assert_eq!(
            refunds.lines,
            vec![
                WooLine { line_id: "315".into(), sku: None, item_ref: Some("93".into()), quantity: 2 },
                WooLine {
                    line_id: "316".into(),
                    sku: Some("idea-black".into()),
                    item_ref: Some("22/23".into()),
                    quantity: 1
                },
            ]
        );
        assert_eq!(refunds.occurred_at.to_string(), "2026-11-26T10:10:00Z");
        // Cancelled or refunded with refunds: nothing moves before they are read.
        for status in ["cancelled", "refunded"] {
            let (now_lines, refunds) = read(status);
            assert!(now_lines.lines.is_empty(), "{status}");
            assert_eq!(refunds.cancelled, status == "cancelled");
        }
        let bad = ORDER.replace(r#""line_items":["#, r#""refunds":{"id":1},"line_items":["#);
        assert!(matches!(read_topic(ORDER_UPDATED, &bad), Err(PosError::BadBody(_))));
    }

    #[test]
    fn the_creation_ping_is_answered_unsigned_and_other_topics_are_ignored() {
        assert_eq!(read(b"webhook_id=14", None, None, "", now()).unwrap(), WooDelivery::Ping { webhook_id: 14 });
        assert_eq!(read_topic("coupon.created", r#"{"id":93}"#).unwrap(), WooDelivery::Other);
        // Anything that is not exactly the ping must be signed.
        for body in ["webhook_id=", "webhook_id=14&x=1", "webhook_id=-1", "{\"webhook_id\":14}"] {
            assert!(matches!(
                read(body.as_bytes(), None, Some(ORDER_CREATED), SECRET, now()),
                Err(PosError::Unauthorized(_))
            ));
        }
    }

    #[test]
    fn a_product_update_names_the_product_and_its_managed_stock() {
        let read = |body: &str| read_topic(PRODUCT_UPDATED, body).unwrap();
        assert_eq!(
            read(r#"{"id":93,"parent_id":0,"manage_stock":true,"stock_quantity":4}"#),
            WooDelivery::Product { item_ref: "93".into(), quantity: Some(4) }
        );
        assert_eq!(
            read(r#"{"id":815,"parent_id":812,"manage_stock":true,"stock_quantity":0}"#),
            WooDelivery::Product { item_ref: "812/815".into(), quantity: Some(0) }
        );
        assert_eq!(
            read(r#"{"id":93,"manage_stock":false,"stock_quantity":null}"#),
            WooDelivery::Product { item_ref: "93".into(), quantity: None }
        );
        assert!(matches!(read_topic(PRODUCT_UPDATED, r#"{"name":"x"}"#), Err(PosError::BadBody(_))));
    }

    #[test]
    fn refuses_what_woocommerce_did_not_sign() {
        let good = sign(ORDER);
        let tampered = ORDER.replace("\"quantity\":2", "\"quantity\":20");
        for (body, sig, secret) in [
            (ORDER, None, SECRET),
            (ORDER, Some("nope"), SECRET),
            (tampered.as_str(), Some(good.as_str()), SECRET),
            (ORDER, Some(good.as_str()), ""),
            (ORDER, Some(good.as_str()), "other"),
        ] {
            assert!(
                matches!(
                    read(body.as_bytes(), sig, Some(ORDER_CREATED), secret, now()),
                    Err(PosError::Unauthorized(_))
                ),
                "{sig:?} {secret}"
            );
        }
    }

    #[test]
    fn signed_garbage_is_a_bad_body() {
        for body in [
            "[]".to_string(),
            "webhook_id=x".to_string(),
            ORDER.replace("\"status\":\"processing\",", ""),
            ORDER.replace("\"quantity\":2", "\"quantity\":2.5"),
            ORDER.replace("\"product_id\":93", "\"product_id\":\"93\""),
            ORDER.replace("2026-11-26T10:00:00\"", "yesterday\""),
        ] {
            assert!(matches!(read_topic(ORDER_CREATED, &body), Err(PosError::BadBody(_))), "{body}");
        }
        let sig = sign(ORDER);
        assert!(matches!(read(ORDER.as_bytes(), Some(&sig), None, SECRET, now()), Err(PosError::BadBody(_))));
    }
}
