//! Reorder advice: when to order a product and how many, from what it sells.
//!
//! The rule, per SKU:
//!
//! - **Reorder point** = the demand expected during the supplier's lead time
//!   (`⌈velocity × lead_days⌉`) plus the buffer kept for the store. When the stock position falls
//!   to it or below, an order placed now arrives just as the shelf reaches the buffer.
//! - **Stock position** = sellable units on hand at every location (a location below zero owes
//!   units, so it counts negative) plus every open purchase-order line: what is already on the
//!   way is never ordered again.
//! - **Reorder** = when the position is at or below the reorder point, enough to cover the lead
//!   time and the cover period on top of the buffer (`⌈velocity × (lead_days + cover_days)⌉ +
//!   buffer − position`); otherwise 0.
//!
//! A product that does not sell gets no advice to order (0), whatever its stock: velocity is the
//! only evidence of demand the engine has.
//!
//! The buffer is the one in force, except an automatic one with the store's hours: that one
//! follows the clock and the next delivery (nothing overnight, the store's sales until the
//! delivery by day), and those sales are already in the lead time's demand. The reorder point
//! takes its velocity-only size instead, so it does not move with the hour it is asked at.

use serde::{Deserialize, Serialize};

use crate::buffer::BufferModel;
use crate::{BufferPolicy, Error, SkuSummary, Timestamp};

/// The lead time when the operator names none (days from order to shelf).
pub const DEFAULT_LEAD_DAYS: f64 = 3.0;
/// The cover period when the operator names none (days an order should last once it lands).
pub const DEFAULT_COVER_DAYS: f64 = 14.0;
/// The longest lead time or cover period accepted (a year).
pub const MAX_DAYS: f64 = 365.0;

/// How far ahead the advice looks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReorderTerms {
    /// Days from placing an order to units on the shelf.
    pub lead_days: f64,
    /// Days an order should last after it arrives.
    pub cover_days: f64,
}

impl Default for ReorderTerms {
    fn default() -> Self {
        ReorderTerms { lead_days: DEFAULT_LEAD_DAYS, cover_days: DEFAULT_COVER_DAYS }
    }
}

impl ReorderTerms {
    /// Checked terms: each a number of days from 0 to [`MAX_DAYS`].
    pub fn new(lead_days: f64, cover_days: f64) -> Result<Self, Error> {
        for (field, d) in [("lead_days", lead_days), ("cover_days", cover_days)] {
            if !d.is_finite() || !(0.0..=MAX_DAYS).contains(&d) {
                return Err(Error::invalid(field, format!("must be a number of days from 0 to {MAX_DAYS}")));
            }
        }
        Ok(ReorderTerms { lead_days, cover_days })
    }
}

/// The advice for one SKU (`GET /admin/reorder`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReorderAdvice {
    /// The SKU.
    pub sku: String,
    /// Its title.
    pub title: String,
    /// Units to order now (0: none).
    pub reorder: i64,
    /// Order when the stock position is at or below this.
    pub reorder_point: i64,
    /// Sellable units on hand plus incoming.
    pub position: i64,
    /// Sellable units on hand, every location (negative ones owe units).
    pub on_hand: i64,
    /// Units on open purchase-order lines.
    pub incoming: i64,
    /// The buffer the reorder point keeps (the one in force, or an automatic buffer's
    /// velocity-only size when it has store hours).
    pub buffer: u32,
    /// Combined units per day.
    pub velocity_per_day: f64,
    /// Days from order to shelf.
    pub lead_days: f64,
    /// Days an order should last.
    pub cover_days: f64,
    /// The same in words.
    pub reasoning: String,
}

/// The buffer the reorder point keeps (see the module's docs).
fn safety_units(s: &SkuSummary, velocity: f64) -> u32 {
    match s.buffer_policy {
        BufferPolicy::Auto { min, max, store_hours: Some(_) } => BufferModel::default().advise(velocity, min, max).units,
        _ => s.buffer,
    }
}

/// The advice for one SKU at `now`.
pub fn advise(s: &SkuSummary, terms: ReorderTerms, now: Timestamp) -> ReorderAdvice {
    let velocity: f64 = s.velocity.values().map(|v| v.per_day(now)).sum();
    let on_hand: i64 = s.on_hand.values().sum();
    let incoming: i64 = s.incoming.iter().map(|l| l.quantity).sum();
    let position = on_hand + incoming;
    let safety = safety_units(s, velocity);
    let buffer = i64::from(safety);
    let units = |days: f64| (velocity * days - 1e-9).ceil().max(0.0) as i64;
    let reorder_point = units(terms.lead_days) + buffer;
    let order_up_to = units(terms.lead_days + terms.cover_days) + buffer;
    let selling = velocity > 1e-6;
    let reorder = if selling && position <= reorder_point { (order_up_to - position).max(0) } else { 0 };
    let f = |x: f64| {
        let r = (x * 10.0).round() / 10.0;
        if r.fract() == 0.0 {
            format!("{r:.0}")
        } else {
            format!("{r:.1}")
        }
    };
    let have = format!(
        "{on_hand} on hand{}",
        if incoming > 0 { format!(" and {incoming} already on order") } else { String::new() }
    );
    let reasoning = if !selling {
        format!("It is not selling, so there is nothing to reorder ({have}).")
    } else {
        let why = format!(
            "It sells {} a day: {} in the {}-day lead time plus a buffer of {buffer} makes a reorder point of {reorder_point}",
            f(velocity),
            units(terms.lead_days),
            f(terms.lead_days)
        );
        if reorder > 0 {
            format!(
                "{why}. With {have} ({position} in all) it is at or below it: order {reorder} to cover the lead time and {} days after (up to {order_up_to}).",
                f(terms.cover_days)
            )
        } else {
            format!("{why}. With {have} ({position} in all) it is above it: nothing to order now.")
        }
    };
    ReorderAdvice {
        sku: s.sku.clone(),
        title: s.title.clone(),
        reorder,
        reorder_point,
        position,
        on_hand,
        incoming,
        buffer: safety,
        velocity_per_day: velocity,
        lead_days: terms.lead_days,
        cover_days: terms.cover_days,
        reasoning,
    }
}

/// Advice for every SKU, those to order first (largest order first), then the rest by id.
pub fn advise_all(summaries: &[SkuSummary], terms: ReorderTerms, now: Timestamp) -> Vec<ReorderAdvice> {
    let mut all: Vec<ReorderAdvice> = summaries.iter().map(|s| advise(s, terms, now)).collect();
    all.sort_by(|a, b| b.reorder.cmp(&a.reorder).then_with(|| a.sku.cmp(&b.sku)));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{SkuConfig, Topology};
    use crate::event::EventBody;
    use crate::forecast::IncomingLine;
    use crate::sku::Sku;
    use crate::time::DAY;

    fn now() -> Timestamp {
        Timestamp(40 * DAY)
    }

    /// A SKU with `stock` at the shop, selling `per_day` for 20 days, buffer fixed at 2.
    fn selling(stock: i64, per_day: i64) -> Sku {
        selling_with(stock, per_day, crate::BufferPolicy::Fixed { units: 2 })
    }

    fn selling_with(stock: i64, per_day: i64, buffer: crate::BufferPolicy) -> Sku {
        let mut t = Topology { locations: vec!["shop".into()], ..Topology::default() };
        t.channels.insert("store".into(), vec!["shop".into()]);
        let config = SkuConfig { buffer, ..SkuConfig::default() };
        let start = now().plus(-20 * DAY);
        let mut s = Sku::new("tee", config, t, start).unwrap();
        let mut n = 0;
        let mut ev = |json: serde_json::Value, at: Timestamp, s: &mut Sku| {
            n += 1;
            let mut v = json;
            v["event_id"] = format!("e{n}").into();
            v["sku"] = "tee".into();
            v["occurred_at"] = at.to_string().into();
            let body: EventBody = serde_json::from_value(v).unwrap();
            s.apply(&body.check("admin", at).unwrap(), at).unwrap();
        };
        ev(serde_json::json!({"type":"receive","location":"shop","quantity": stock + 20 * per_day}), start, &mut s);
        for d in (0..20).filter(|_| per_day > 0) {
            let at = start.plus(d * DAY + DAY / 2);
            ev(serde_json::json!({"type":"sale","location":"shop","channel":"store","quantity":per_day}), at, &mut s);
        }
        s
    }

    #[test]
    fn orders_up_to_lead_and_cover_when_at_the_point() {
        let s = selling(10, 5);
        let a = advise(&s.summary(), ReorderTerms::default(), now());
        let v = a.velocity_per_day;
        assert!(v > 3.0 && v < 6.0, "{v}");
        let point = (v * 3.0).ceil() as i64 + 2;
        assert_eq!(a.reorder_point, point);
        assert_eq!(a.position, 10);
        assert!(10 <= point, "10 units is at or below a point of {point}");
        assert_eq!(a.reorder, (v * 17.0).ceil() as i64 + 2 - 10);
        assert!(a.reasoning.contains("order"), "{}", a.reasoning);
        assert!(a.reasoning.contains(&format!("reorder point of {point}")), "{}", a.reasoning);
    }

    #[test]
    fn counts_what_is_already_incoming() {
        let mut s = selling(10, 5);
        let before = advise(&s.summary(), ReorderTerms::default(), now()).reorder;
        let line = IncomingLine { po_id: "po-1".into(), location: "shop".into(), quantity: 30, expected_at: now().plus(DAY) };
        s.expect(line, now()).unwrap();
        let after = advise(&s.summary(), ReorderTerms::default(), now());
        assert_eq!(after.incoming, 30);
        assert_eq!(after.position, 40);
        assert!(before > 0);
        assert!(after.position > after.reorder_point, "40 units are above a point of {}", after.reorder_point);
        assert_eq!(after.reorder, 0, "never reorders what is on the way");
        assert!(after.reasoning.contains("30 already on order"), "{}", after.reasoning);
    }

    #[test]
    fn a_buffer_with_store_hours_keeps_the_reorder_point_still_round_the_clock() {
        let hours = crate::BufferPolicy::Auto { min: 0, max: 6, store_hours: Some("09:00-19:00".into()) };
        let mut s = selling_with(10, 5, hours);
        let line = IncomingLine { po_id: "po-1".into(), location: "shop".into(), quantity: 5, expected_at: now().plus(DAY + 8 * crate::time::HOUR) };
        s.expect(line, now()).unwrap();
        let (noon, night) = (now().plus(12 * crate::time::HOUR), now().plus(20 * crate::time::HOUR));
        s.recalibrate(noon);
        let by_day = (s.buffer_in_force(), advise(&s.summary(), ReorderTerms::default(), noon));
        s.recalibrate(night);
        let overnight = (s.buffer_in_force(), advise(&s.summary(), ReorderTerms::default(), night));
        assert!(by_day.0 > overnight.0, "the buffer in force follows the clock: {} then {}", by_day.0, overnight.0);
        assert_eq!(by_day.1.buffer, overnight.1.buffer, "the buffer the reorder point keeps does not");
        for (_, a) in [by_day, overnight] {
            let velocity_only = BufferModel::default().advise(a.velocity_per_day, 0, 6).units;
            assert_eq!(a.buffer, velocity_only);
            assert_eq!(a.reorder_point, (a.velocity_per_day * 3.0 - 1e-9).ceil() as i64 + i64::from(velocity_only));
        }
    }

    #[test]
    fn zero_when_covered() {
        let s = selling(500, 5);
        let a = advise(&s.summary(), ReorderTerms::default(), now());
        assert_eq!(a.reorder, 0);
        assert!(a.reasoning.contains("nothing to order"), "{}", a.reasoning);
        let idle = selling(3, 0);
        let a = advise(&idle.summary(), ReorderTerms::default(), now());
        assert_eq!(a.reorder, 0);
        assert!(a.reasoning.contains("not selling"));
    }

    #[test]
    fn longer_lead_raises_the_point() {
        let s = selling(30, 5);
        let short = advise(&s.summary(), ReorderTerms::new(1.0, 14.0).unwrap(), now());
        let long = advise(&s.summary(), ReorderTerms::new(10.0, 14.0).unwrap(), now());
        assert!(long.reorder_point > short.reorder_point);
        assert_eq!(short.reorder, 0, "30 units cover a day's lead");
        assert!(long.reorder > 0);
    }

    #[test]
    fn refuses_odd_terms() {
        assert!(ReorderTerms::new(-1.0, 14.0).is_err());
        assert!(ReorderTerms::new(3.0, f64::NAN).is_err());
        assert!(ReorderTerms::new(3.0, 400.0).is_err());
        assert!(ReorderTerms::new(0.0, 0.0).is_ok());
    }
}
