//! Orders from connected stores (Shopify, WooCommerce) as sales and returns.
//!
//! A store's webhook is read (`pos::shopify_orders`, `pos::woocommerce`) into one
//! [`OrderNotice`]: the order, and each of its lines that moves stock, in the store's terms. This
//! module turns it into checked [`StockEvent`]s on the connection's channel at its location.
//!
//! ## Each order line counts once
//! Every line carries an event id that names the order and the line (or the refund line) and
//! nothing about the delivery: `order:1001:line:7`, `refund-line:88`. A redelivery, a retry or
//! the same change arriving under another topic (Shopify's `orders/cancelled` carries the refund
//! that `refunds/create` also announces) gives the same ids, so the SKU's applied keys make it a
//! duplicate. The store's own stock webhook that follows an order (`inventory_levels/update`,
//! `product.updated`) is never a shelf count (`connect`'s echo rule), so an order is counted once
//! even when it arrives as an order and as the store's stock change.
//!
//! ## Matching a line to a SKU
//! By the store's SKU code when it is a lastunit SKU, else by the store's product id through the
//! SKUs' `pos_refs` ([`match_line`]): a Shopify line's `variant_id` against
//! `pos_refs.shopify_variant` (`pos_refs.shopify` is the inventory item, which writes need and
//! order lines never carry), a WooCommerce line's product or `parent/variation` against
//! `pos_refs.woocommerce` (the id writes use too). A line that matches nothing is *unknown*: it is counted
//! `ignored` and listed in the connection's status, never refused (a store would retry a refused
//! delivery for days).
//!
//! ## Online sales are edge sales
//! A sale read from a store is a sale the shop's register has not seen: the reconciliation rule
//! (`stock.rs`) treats it like a checkout committed at the edge, so a register count taken before
//! the register hears of it does not resurrect the unit.

use serde::{Deserialize, Serialize};

use crate::catalog::{PosIndex, SHOPIFY_VARIANT};
use crate::event::{EventBody, EventKind, MAX_AHEAD_MS};
use crate::names::check_sku;
use crate::{Error, StockEvent, Timestamp};

use super::Provider;

/// What one line does to stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum LineChange {
    /// Units sold online.
    Sold,
    /// Units back on the shelf (a cancellation or a refund the store restocked), and why.
    Restocked {
        /// Why they came back.
        reason: ReturnReason,
    },
}

/// Why units of an order came back (the return's `reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// The order was cancelled before it was fulfilled.
    Cancelled,
    /// A fulfilled unit came back.
    Returned,
    /// The order was refunded (WooCommerce).
    Refunded,
}

impl ReturnReason {
    /// The reason as the ledger and the returns statistics name it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnReason::Cancelled => "cancelled",
            ReturnReason::Returned => "returned",
            ReturnReason::Refunded => "refunded",
        }
    }
}

/// One line of a store's order that moves stock, in the store's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Stable across deliveries: names the order and its line, or the refund line.
    pub event_id: String,
    /// The store's SKU code, when the line has one.
    pub sku: Option<String>,
    /// The store's product id as `pos_refs` hold it (Shopify `variant_id`, held in
    /// `pos_refs.shopify_variant`; WooCommerce `product` or `parent/variation`), when the line
    /// has one.
    pub item_ref: Option<String>,
    /// Units, 1 to 1,000,000.
    pub quantity: i64,
    /// Sold or restocked.
    pub change: LineChange,
    /// For a line that takes back an order line the store never fulfilled (a cancellation):
    /// the event id of that line's sale. It gives back only what that sale took.
    pub undoes: Option<String>,
}

/// One verified store webhook about an order (the Worker hands it to the catalog, which knows
/// the connection and the SKUs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderNotice {
    /// The store.
    pub provider: Provider,
    /// The store's order id.
    pub order_id: String,
    /// When the store says it happened.
    pub occurred_at: Timestamp,
    /// The lines that move stock.
    pub lines: Vec<OrderLine>,
    /// Lines read that move no stock (a refund without restock, a status that moves nothing):
    /// counted `ignored`.
    pub unchanged: usize,
}

/// A line no SKU matched: counted `ignored` and listed in the connection's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownLine {
    /// The store's order id.
    pub order_id: String,
    /// The line's event id (so a redelivery lists it once).
    pub event_id: String,
    /// The store's SKU code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// The store's product id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_ref: Option<String>,
    /// Units.
    pub quantity: i64,
    /// When it arrived.
    pub seen_at: Timestamp,
}

/// An order as events: the lines that matched a SKU, and those that did not.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrderEvents {
    /// One checked event per matched line.
    pub events: Vec<StockEvent>,
    /// The lines no SKU matched.
    pub unknown: Vec<UnknownLine>,
}

/// The `pos_refs` key a store's order line is looked up under by its product id.
pub fn line_ref_key(provider: Provider) -> &'static str {
    match provider {
        Provider::Shopify => SHOPIFY_VARIANT,
        other => other.as_str(),
    }
}

/// The SKU a line names: its SKU code when that is a SKU of the catalog (`is_sku`), else the
/// owner of its product id among `refs` (the SKUs' `pos_refs` under [`line_ref_key`]).
pub fn match_line(
    line: &OrderLine,
    provider: Provider,
    is_sku: impl Fn(&str) -> bool,
    refs: &PosIndex,
) -> Option<String> {
    let by_code = line.sku.as_deref().map(str::trim).filter(|s| check_sku(s).is_ok() && is_sku(s));
    if let Some(code) = by_code {
        return Some(code.to_string());
    }
    line.item_ref.as_deref().and_then(|r| refs.owner(line_ref_key(provider), r)).map(str::to_string)
}

impl OrderNotice {
    /// The notice's lines as events on `channel` at `location` (the connection's), each line's SKU
    /// given by `sku_of` (in the notice's order, typically [`match_line`] answered by the
    /// catalog). The store's time more than 300 s ahead of `now` is taken as `now`, as for every
    /// provider. Refused (`invalid_input`) only when the connection names an invalid channel or
    /// location, which the catalog never stores.
    pub fn events(
        &self,
        channel: &str,
        location: &str,
        sku_of: &[Option<String>],
        now: Timestamp,
    ) -> Result<OrderEvents, Error> {
        let at = if self.occurred_at > now.plus(MAX_AHEAD_MS) { now } else { self.occurred_at };
        let mut out = OrderEvents::default();
        for (i, line) in self.lines.iter().enumerate() {
            let Some(sku) = sku_of.get(i).cloned().flatten() else {
                out.unknown.push(UnknownLine {
                    order_id: self.order_id.clone(),
                    event_id: line.event_id.clone(),
                    sku: line.sku.clone(),
                    item_ref: line.item_ref.clone(),
                    quantity: line.quantity,
                    seen_at: now,
                });
                continue;
            };
            let (kind, reason, restock) = match &line.change {
                LineChange::Sold => (EventKind::Sale, None, None),
                LineChange::Restocked { reason } => (EventKind::Return, Some(reason.as_str().to_string()), Some(true)),
            };
            let body = EventBody {
                channel: Some(channel.to_string()),
                occurred_at: Some(at),
                origin_channel: restock.map(|_| channel.to_string()),
                reason,
                restock,
                ..EventBody::new(kind, &line.event_id, &sku, location, line.quantity)
            };
            let mut event = body.check(self.provider.as_str(), now)?;
            event.undoes = line.undoes.as_ref().map(|id| format!("{}:{id}", self.provider));
            event.online = true;
            out.events.push(event);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PosRefs;
    use crate::Movement;
    use std::collections::BTreeMap;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-26T10:00:00Z").unwrap()
    }

    fn line(event_id: &str, sku: Option<&str>, item_ref: Option<&str>, change: LineChange) -> OrderLine {
        OrderLine {
            event_id: event_id.into(),
            sku: sku.map(str::to_string),
            item_ref: item_ref.map(str::to_string),
            quantity: 2,
            change,
            undoes: None,
        }
    }

    fn index() -> PosIndex {
        let refs: BTreeMap<String, PosRefs> = [
            (
                "shirt-m".to_string(),
                [("shopify".to_string(), "9001".to_string()), ("shopify_variant".to_string(), "4401".to_string())]
                    .into(),
            ),
            ("scarf".to_string(), [("woocommerce".to_string(), "812/815".to_string())].into()),
        ]
        .into();
        PosIndex::new(&refs)
    }

    #[test]
    fn lines_match_by_sku_code_then_by_the_stores_product_id() {
        let known = |s: &str| ["shirt-m", "scarf", "mug"].contains(&s);
        let m = |sku, item, p| match_line(&line("e", sku, item, LineChange::Sold), p, known, &index());
        assert_eq!(m(Some("mug"), Some("4401"), Provider::Shopify), Some("mug".into()), "the code wins");
        assert_eq!(m(Some("not-ours"), Some("4401"), Provider::Shopify), Some("shirt-m".into()));
        assert_eq!(m(None, Some("4401"), Provider::Shopify), Some("shirt-m".into()));
        assert_eq!(m(Some(""), Some("812/815"), Provider::Woocommerce), Some("scarf".into()));
        assert_eq!(m(Some("has space"), None, Provider::Shopify), None);
        assert_eq!(m(None, Some("4401"), Provider::Woocommerce), None, "another store's id");
        assert_eq!(m(None, Some("9001"), Provider::Shopify), None, "an inventory item id is not a variant id");
        assert_eq!(m(None, None, Provider::Shopify), None);
    }

    #[test]
    fn sold_lines_are_sales_and_restocked_lines_returns_on_the_connections_channel() {
        let notice = OrderNotice {
            provider: Provider::Shopify,
            order_id: "1001".into(),
            occurred_at: Timestamp::parse("2026-11-26T09:59:00Z").unwrap(),
            lines: vec![
                line("order:1001:line:1", Some("shirt-m"), None, LineChange::Sold),
                line("order:1001:line:2", Some("nope"), Some("999"), LineChange::Sold),
                line("refund-line:7", Some("mug"), None, LineChange::Restocked { reason: ReturnReason::Returned }),
            ],
            unchanged: 0,
        };
        let out = notice.events("web", "main-st", &[Some("shirt-m".into()), None, Some("mug".into())], now()).unwrap();
        assert_eq!(out.events.len(), 2);
        let sale = &out.events[0];
        assert_eq!(sale.source.key(), "shopify:order:1001:line:1");
        assert_eq!((sale.sku.as_str(), sale.location.as_str()), ("shirt-m", "main-st"));
        assert_eq!(sale.movement, Movement::Sale { channel: "web".into(), quantity: 2 });
        assert_eq!(sale.occurred_at.to_string(), "2026-11-26T09:59:00Z");
        assert!(sale.online, "the register has not seen it");
        assert_eq!(
            out.events[1].movement,
            Movement::Return {
                channel: "web".into(),
                origin_channel: "web".into(),
                quantity: 2,
                reason: "returned".into(),
                restock: true
            }
        );
        assert_eq!(
            out.unknown,
            vec![UnknownLine {
                order_id: "1001".into(),
                event_id: "order:1001:line:2".into(),
                sku: Some("nope".into()),
                item_ref: Some("999".into()),
                quantity: 2,
                seen_at: now(),
            }]
        );
    }

    #[test]
    fn a_cancelled_line_names_the_sale_it_gives_back_and_the_notice_travels_as_json() {
        let mut back =
            line("order:52:line:3:back", Some("mug"), None, LineChange::Restocked { reason: ReturnReason::Cancelled });
        back.undoes = Some("order:52:line:3".into());
        let notice = OrderNotice {
            provider: Provider::Woocommerce,
            order_id: "52".into(),
            occurred_at: now(),
            lines: vec![back],
            unchanged: 1,
        };
        let e = &notice.events("web", "main-st", &[Some("mug".into())], now()).unwrap().events[0];
        assert_eq!(e.undoes.as_deref(), Some("woocommerce:order:52:line:3"));
        assert!(matches!(&e.movement, Movement::Return { reason, restock: true, .. } if reason == "cancelled"));
        let text = serde_json::to_string(&notice).unwrap();
        assert_eq!(serde_json::from_str::<OrderNotice>(&text).unwrap(), notice);
    }

    #[test]
    fn a_store_clock_far_ahead_is_taken_as_the_moment_it_arrived() {
        let notice = |at: &str| OrderNotice {
            provider: Provider::Woocommerce,
            order_id: "52".into(),
            occurred_at: Timestamp::parse(at).unwrap(),
            lines: vec![line("order:52:line:3", Some("mug"), None, LineChange::Sold)],
            unchanged: 0,
        };
        let at =
            |t: &str| notice(t).events("web", "main-st", &[Some("mug".into())], now()).unwrap().events[0].occurred_at;
        assert_eq!(at("2027-01-01T00:00:00Z"), now());
        assert_eq!(at("2026-11-26T10:04:00Z").to_string(), "2026-11-26T10:04:00Z");
    }
}
