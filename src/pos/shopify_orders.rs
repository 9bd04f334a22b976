//! Shopify orders: `POST /webhooks/shopify` with `X-Shopify-Topic` `orders/create`,
//! `orders/cancelled` or `refunds/create`, signed like every Shopify webhook
//! ([`shopify`](super::shopify)). The body is the REST resource of the topic:
//!
//! - `orders/create`, `orders/cancelled`: an order,
//!   `{"id": 820982911946154508, "created_at": "...", "cancelled_at": "...", "line_items": [{"id":
//!   866550311766439020, "variant_id": 808950810, "sku": "IPOD2008PINK", "quantity": 1, ...}],
//!   "refunds": [...]}`;
//! - `refunds/create`: a refund, `{"id": 929361464, "order_id": 450789469, "created_at": "...",
//!   "refund_line_items": [{"id": 104689539, "line_item_id": 703073504, "quantity": 1,
//!   "restock_type": "return", "line_item": {"variant_id": ..., "sku": ...}}]}`.
//!
//! A new order sells each line (`order:<id>:line:<line>`). A refund brings back the lines Shopify
//! restocks: `restock_type` `return`, `cancel` or `legacy_restock` (`no_restock` moves nothing),
//! each under its refund line's id (`refund-line:<id>`), which the refund carries both in
//! `refunds/create` and inside the order's `refunds`, so it counts once however it arrives.
//!
//! A cancelled order is one Shopify has not fulfilled (it refuses to cancel fulfilled ones), so
//! its units never left the shelf: every unit of every line that no refund in the order already
//! restocked comes back (`order:<id>:line:<line>:cancel`), whether or not the merchant asked
//! Shopify to restock its own count. Lines match a SKU by `sku`, then by `variant_id` against
//! `pos_refs.shopify`.

use serde_json::Value;

use super::{bad, dedupe_key, field, id_value, parse_json, quantity_value, shopify, time_value, PosError};
use crate::connect::orders::{LineChange, OrderLine, OrderNotice, ReturnReason};
use crate::connect::Provider;

/// The order topics.
pub const ORDERS_CREATE: &str = "orders/create";
/// An order cancelled (its restocked lines come back).
pub const ORDERS_CANCELLED: &str = "orders/cancelled";
/// A refund (its restocked lines come back).
pub const REFUNDS_CREATE: &str = "refunds/create";

/// Whether `topic` is one this module reads.
pub fn is_order_topic(topic: &str) -> bool {
    [ORDERS_CREATE, ORDERS_CANCELLED, REFUNDS_CREATE].contains(&topic.trim())
}

/// Verifies and reads one Shopify order delivery (`hmac_header`: `X-Shopify-Hmac-Sha256`,
/// `topic`: `X-Shopify-Topic`). Another topic is `Ok(None)` once verified.
pub fn read(
    body: &[u8],
    hmac_header: Option<&str>,
    topic: Option<&str>,
    secret: &str,
) -> Result<Option<OrderNotice>, PosError> {
    let topic = shopify::verify(body, hmac_header, topic, secret)?;
    if !is_order_topic(topic) {
        return Ok(None);
    }
    let v = parse_json(body)?;
    if !v.is_object() {
        return Err(bad("expected a JSON object"));
    }
    let notice = match topic {
        ORDERS_CREATE => order_created(&v)?,
        ORDERS_CANCELLED => order_cancelled(&v)?,
        _ => refund_created(&v)?,
    };
    Ok(Some(notice))
}

fn order_created(v: &Value) -> Result<OrderNotice, PosError> {
    let order_id = id_value(field(v, "id")?, "id")?;
    let occurred_at = time_value(field(v, "created_at")?, "created_at")?;
    let mut notice =
        OrderNotice { provider: Provider::Shopify, order_id, occurred_at, lines: Vec::new(), unchanged: 0 };
    for (i, item) in list(v, "line_items")?.iter().enumerate() {
        let name = format!("line_items[{i}]");
        let line_id = id_value(field(item, "id")?, &format!("{name}.id"))?;
        let quantity = quantity_value(field(item, "quantity")?, &format!("{name}.quantity"))?;
        if quantity == 0 {
            notice.unchanged += 1;
            continue;
        }
        let (sku, item_ref) = product(item, &name)?;
        notice.lines.push(OrderLine {
            event_id: dedupe_key(&["order", &notice.order_id, "line", &line_id]),
            sku,
            item_ref,
            quantity,
            change: LineChange::Sold,
            undoes: None,
        });
    }
    Ok(notice)
}

fn order_cancelled(v: &Value) -> Result<OrderNotice, PosError> {
    let order_id = id_value(field(v, "id")?, "id")?;
    let at = v.get("cancelled_at").filter(|t| !t.is_null()).unwrap_or(field(v, "created_at")?);
    let occurred_at = time_value(at, "cancelled_at")?;
    let mut notice =
        OrderNotice { provider: Provider::Shopify, order_id, occurred_at, lines: Vec::new(), unchanged: 0 };
    // A refund line names its order line by id; the order's own lines say what it is.
    let items = list(v, "line_items")?;
    let refunds = match v.get("refunds") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(r)) => r.as_slice(),
        Some(_) => return Err(bad("`refunds` must be a list")),
    };
    let mut restocked: Vec<(String, i64)> = Vec::new();
    for (r, refund) in refunds.iter().enumerate() {
        restocked.extend(refund_lines(refund, &format!("refunds[{r}]"), items, &mut notice)?);
    }
    for (i, item) in items.iter().enumerate() {
        let name = format!("line_items[{i}]");
        let line_id = id_value(field(item, "id")?, &format!("{name}.id"))?;
        let quantity = quantity_value(field(item, "quantity")?, &format!("{name}.quantity"))?;
        let back: i64 = restocked.iter().filter(|(l, _)| *l == line_id).map(|(_, q)| q).sum();
        let left = quantity - back;
        if left <= 0 {
            continue;
        }
        let (sku, item_ref) = product(item, &name)?;
        notice.lines.push(OrderLine {
            event_id: dedupe_key(&["order", &notice.order_id, "line", &line_id, "cancel"]),
            sku,
            item_ref,
            quantity: left,
            change: LineChange::Restocked { reason: ReturnReason::Cancelled },
            undoes: Some(dedupe_key(&["order", &notice.order_id, "line", &line_id])),
        });
    }
    Ok(notice)
}

fn refund_created(v: &Value) -> Result<OrderNotice, PosError> {
    let order_id = id_value(field(v, "order_id")?, "order_id")?;
    let at = v.get("processed_at").filter(|t| !t.is_null()).unwrap_or(field(v, "created_at")?);
    let occurred_at = time_value(at, "created_at")?;
    let mut notice =
        OrderNotice { provider: Provider::Shopify, order_id, occurred_at, lines: Vec::new(), unchanged: 0 };
    refund_lines(v, "refund", &[], &mut notice)?;
    Ok(notice)
}

/// The restocked lines of one refund, added to `notice`; gives `(order line id, units)` of each.
/// `order_items` are the order's `line_items`, to find what a refund line without an embedded
/// `line_item` refers to.
fn refund_lines(
    refund: &Value,
    name: &str,
    order_items: &[Value],
    notice: &mut OrderNotice,
) -> Result<Vec<(String, i64)>, PosError> {
    let mut restocked = Vec::new();
    // `restock` (deprecated) is the whole refund's flag, for lines without a `restock_type`.
    let restock_all = refund.get("restock").and_then(Value::as_bool).unwrap_or(false);
    for (i, rli) in list(refund, "refund_line_items")?.iter().enumerate() {
        let name = format!("{name}.refund_line_items[{i}]");
        let id = id_value(field(rli, "id")?, &format!("{name}.id"))?;
        let quantity = quantity_value(field(rli, "quantity")?, &format!("{name}.quantity"))?;
        let reason = match rli.get("restock_type").and_then(Value::as_str) {
            Some("return" | "legacy_restock") => Some(ReturnReason::Returned),
            Some("cancel") => Some(ReturnReason::Cancelled),
            Some("no_restock") => None,
            Some(other) => return Err(bad(format!("`{name}.restock_type` `{other}` is not one Shopify sends"))),
            None => restock_all.then_some(ReturnReason::Returned),
        };
        let Some(reason) = reason.filter(|_| quantity > 0) else {
            notice.unchanged += 1;
            continue;
        };
        let embedded = rli.get("line_item").filter(|l| l.is_object());
        let line_id = match (rli.get("line_item_id").filter(|x| !x.is_null()), embedded) {
            (Some(x), _) => id_value(x, &format!("{name}.line_item_id"))?,
            (None, Some(item)) => id_value(field(item, "id")?, &format!("{name}.line_item.id"))?,
            (None, None) => return Err(bad(format!("`{name}.line_item_id` is missing"))),
        };
        let item = match embedded {
            Some(item) => item,
            None => order_items
                .iter()
                .find(|it| it.get("id").and_then(|x| id_value(x, "id").ok()).as_deref() == Some(line_id.as_str()))
                .ok_or_else(|| bad(format!("`{name}` names line item {line_id}, which the order does not have")))?,
        };
        let (sku, item_ref) = product(item, &format!("{name}.line_item"))?;
        // Restocking an unfulfilled line gives back what its sale took; a return is a unit
        // coming back through the door, sold here or not.
        let undoes =
            (reason == ReturnReason::Cancelled).then(|| dedupe_key(&["order", &notice.order_id, "line", &line_id]));
        notice.lines.push(OrderLine {
            event_id: dedupe_key(&["refund-line", &id]),
            sku,
            item_ref,
            quantity,
            change: LineChange::Restocked { reason },
            undoes,
        });
        restocked.push((line_id, quantity));
    }
    Ok(restocked)
}

/// A line's `sku` (blank: none) and `variant_id` (null for a custom line).
fn product(item: &Value, name: &str) -> Result<(Option<String>, Option<String>), PosError> {
    let sku = match item.get("sku") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Some(_) => return Err(bad(format!("`{name}.sku` must be a string"))),
    };
    let variant = match item.get("variant_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(id_value(v, &format!("{name}.variant_id"))?),
    };
    Ok((sku, variant))
}

fn list<'a>(v: &'a Value, name: &str) -> Result<&'a [Value], PosError> {
    field(v, name)?.as_array().map(Vec::as_slice).ok_or_else(|| bad(format!("`{name}` must be a list")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use base64::Engine;

    const SECRET: &str = "hush-shopify";

    // Shaped like Shopify's documented order and refund payloads (trimmed).
    const ORDER: &str = r#"{"id":820982911946154508,"name":"9999","created_at":"2026-11-26T04:58:00-05:00","cancelled_at":null,
        "line_items":[
          {"id":866550311766439020,"variant_id":808950810,"product_id":632910392,"sku":"IPOD2008PINK","quantity":1},
          {"id":141249953214522974,"variant_id":null,"sku":"","quantity":2,"title":"Gift wrap"},
          {"id":257004973105704598,"variant_id":457924702,"sku":null,"quantity":0}
        ]}"#;

    const REFUND: &str = r#"{"id":929361464,"order_id":820982911946154508,"created_at":"2026-11-26T11:00:00Z","processed_at":"2026-11-26T11:00:05Z","restock":true,
        "refund_line_items":[
          {"id":104689539,"line_item_id":866550311766439020,"location_id":655441491,"quantity":1,"restock_type":"return",
           "line_item":{"id":866550311766439020,"variant_id":808950810,"sku":"IPOD2008PINK","quantity":1}},
          {"id":104689540,"line_item_id":141249953214522974,"quantity":2,"restock_type":"no_restock",
           "line_item":{"id":141249953214522974,"variant_id":null,"sku":"","quantity":2}}
        ]}"#;

    fn sign(body: &str) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(super::super::hmac_sha256(SECRET.as_bytes(), &[body.as_bytes()]))
    }

    fn read_topic(topic: &str, body: &str) -> Result<Option<OrderNotice>, PosError> {
        read(body.as_bytes(), Some(&sign(body)), Some(topic), SECRET)
    }

    #[test]
    fn a_new_order_sells_every_line_under_an_id_of_the_order_and_the_line() {
        let n = read_topic(ORDERS_CREATE, ORDER).unwrap().unwrap();
        assert_eq!((n.provider, n.order_id.as_str()), (Provider::Shopify, "820982911946154508"));
        assert_eq!(n.occurred_at, Timestamp::parse("2026-11-26T09:58:00Z").unwrap());
        assert_eq!(
            n.lines,
            vec![
                OrderLine {
                    event_id: "order:820982911946154508:line:866550311766439020".into(),
                    sku: Some("IPOD2008PINK".into()),
                    item_ref: Some("808950810".into()),
                    quantity: 1,
                    change: LineChange::Sold,
                    undoes: None,
                },
                OrderLine {
                    event_id: "order:820982911946154508:line:141249953214522974".into(),
                    sku: None,
                    item_ref: None,
                    quantity: 2,
                    change: LineChange::Sold,
                    undoes: None,
                },
            ]
        );
        assert_eq!(n.unchanged, 1, "the line edited down to nothing");
        assert_eq!(read_topic(ORDERS_CREATE, ORDER).unwrap().unwrap(), n, "a redelivery reads the same ids");
    }

    #[test]
    fn a_refund_brings_back_only_restocked_lines() {
        let n = read_topic(REFUNDS_CREATE, REFUND).unwrap().unwrap();
        assert_eq!(n.order_id, "820982911946154508");
        assert_eq!(n.occurred_at.to_string(), "2026-11-26T11:00:05Z");
        assert_eq!(
            n.lines,
            vec![OrderLine {
                event_id: "refund-line:104689539".into(),
                sku: Some("IPOD2008PINK".into()),
                item_ref: Some("808950810".into()),
                quantity: 1,
                change: LineChange::Restocked { reason: ReturnReason::Returned },
                undoes: None,
            }]
        );
        assert_eq!(n.unchanged, 1, "no_restock moves nothing");
        let legacy = REFUND.replace(r#""restock_type":"return","#, "");
        assert_eq!(read_topic(REFUNDS_CREATE, &legacy).unwrap().unwrap().lines.len(), 1, "the refund's `restock`");
        let unknown = REFUND.replace(r#""restock_type":"return""#, r#""restock_type":"teleport""#);
        assert!(matches!(read_topic(REFUNDS_CREATE, &unknown), Err(PosError::BadBody(_))));
    }

    fn cancelled(refunds: &str) -> String {
        ORDER.replace(r#""cancelled_at":null"#, r#""cancelled_at":"2026-11-26T10:30:00Z""#).replacen(
            "\n        \"line_items\"",
            &format!("\"refunds\":[{refunds}],\n        \"line_items\""),
            1,
        )
    }

    #[test]
    fn a_cancelled_order_brings_back_every_unit_no_refund_restocked() {
        let n = read_topic(ORDERS_CANCELLED, &cancelled("")).unwrap().unwrap();
        assert_eq!(n.occurred_at.to_string(), "2026-11-26T10:30:00Z");
        let back: Vec<(&str, i64)> = n.lines.iter().map(|l| (l.event_id.as_str(), l.quantity)).collect();
        assert_eq!(
            back,
            [
                ("order:820982911946154508:line:866550311766439020:cancel", 1),
                ("order:820982911946154508:line:141249953214522974:cancel", 2)
            ]
        );
        assert!(n.lines.iter().all(|l| l.change == LineChange::Restocked { reason: ReturnReason::Cancelled }));
        assert_eq!(n.lines[0].item_ref.as_deref(), Some("808950810"));
        assert_eq!(n.lines[0].undoes.as_deref(), Some("order:820982911946154508:line:866550311766439020"));
    }

    #[test]
    fn a_refund_inside_the_cancelled_order_counts_once_under_its_own_ids() {
        let refund = REFUND.replace(r#""restock_type":"return""#, r#""restock_type":"cancel""#);
        // Embedded with and without its `line_item`, as the order's `refunds` may carry it.
        let bare = refund.replace(
            r#","line_item":{"id":866550311766439020,"variant_id":808950810,"sku":"IPOD2008PINK","quantity":1}"#,
            "",
        );
        let via_refund = read_topic(REFUNDS_CREATE, &refund).unwrap().unwrap();
        assert_eq!(via_refund.lines[0].change, LineChange::Restocked { reason: ReturnReason::Cancelled });
        assert_eq!(via_refund.lines[0].undoes.as_deref(), Some("order:820982911946154508:line:866550311766439020"));
        for embedded in [refund.as_str(), bare.as_str()] {
            let n = read_topic(ORDERS_CANCELLED, &cancelled(embedded)).unwrap().unwrap();
            // The refund's restocked line (a duplicate of refunds/create), then the units no
            // refund restocked: line 1's one unit was, line 2's two were not (no_restock).
            assert_eq!(n.lines[0], via_refund.lines[0]);
            let rest: Vec<(&str, i64)> = n.lines[1..].iter().map(|l| (l.event_id.as_str(), l.quantity)).collect();
            assert_eq!(rest, [("order:820982911946154508:line:141249953214522974:cancel", 2)]);
        }
    }

    #[test]
    fn other_topics_are_verified_then_left_alone() {
        assert_eq!(read_topic("orders/paid", ORDER).unwrap(), None);
        assert!(is_order_topic(" orders/create ") && !is_order_topic(shopify::TOPIC));
    }

    #[test]
    fn refuses_what_shopify_did_not_sign_before_reading_it() {
        let e = read(b"not even json", Some(&sign(ORDER)), Some(ORDERS_CREATE), SECRET).unwrap_err();
        assert!(matches!(e, PosError::Unauthorized(_)));
        assert!(matches!(read(ORDER.as_bytes(), None, Some(ORDERS_CREATE), SECRET), Err(PosError::Unauthorized(_))));
        assert!(matches!(
            read(ORDER.as_bytes(), Some(&sign(ORDER)), Some(ORDERS_CREATE), ""),
            Err(PosError::Unauthorized(_))
        ));
    }

    #[test]
    fn signed_garbage_is_a_bad_body() {
        for body in [
            "[]".to_string(),
            ORDER.replace(r#""id":820982911946154508,"#, ""),
            ORDER.replace(r#""quantity":1}"#, r#""quantity":1.5}"#),
            ORDER.replace(r#""sku":"IPOD2008PINK""#, r#""sku":7"#),
            ORDER.replace("2026-11-26T04:58:00-05:00", "soon"),
            // A refund line naming no order line at all.
            r#"{"id":1,"order_id":2,"created_at":"2026-11-26T11:00:00Z","refund_line_items":[{"id":3,"quantity":1,"restock_type":"return"}]}"#.to_string(),
        ] {
            let topic = if body.contains("refund_line_items") { REFUNDS_CREATE } else { ORDERS_CREATE };
            assert!(matches!(read_topic(topic, &body), Err(PosError::BadBody(_))), "{body}");
        }
    }
}
