//! A SKU's picture detached from its live state: what `GET /admin/skus/{sku}` shows and what the
//! catalog keeps per SKU to answer the dashboard and questions for thousands of SKUs at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::BufferPolicy;
use crate::forecast::{days_of_supply, projected_stockout, risk, IncomingLine, Risk};
use crate::returns::{flagged, ReturnStats};
use crate::sku::Transit;
use crate::velocity::Velocity;
use crate::Timestamp;

/// One day of a SKU's history, for charts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DayStat {
    /// Days since the Unix epoch.
    pub day: i64,
    /// Sellable units on hand at the end of the day (or now, for today).
    pub closing_on_hand: i64,
    /// Units sold per channel.
    pub sales: BTreeMap<String, i64>,
    /// Units received.
    pub received: i64,
}

/// The detached picture of one SKU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkuSummary {
    /// The SKU.
    pub sku: String,
    /// Its title.
    pub title: String,
    /// `low_stock` at or below this.
    pub low_stock_threshold: u32,
    /// The configured buffer policy.
    pub buffer_policy: BufferPolicy,
    /// Sellable units on hand per location.
    pub on_hand: BTreeMap<String, i64>,
    /// Returned units kept off the shelf, per location.
    pub unsellable: BTreeMap<String, i64>,
    /// Units between locations.
    pub in_transit: Vec<Transit>,
    /// Units held in carts.
    pub reserved: i64,
    /// Active holds.
    pub holds: usize,
    /// Buffer in force (units).
    pub buffer: u32,
    /// Units each channel may sell.
    pub available: BTreeMap<String, i64>,
    /// Locations each channel sells from.
    pub channel_locations: BTreeMap<String, Vec<String>>,
    /// Decaying velocity per channel.
    pub velocity: BTreeMap<String, Velocity>,
    /// Open purchase-order lines.
    pub incoming: Vec<IncomingLine>,
    /// Returns by the channel the units were bought on.
    pub returns: BTreeMap<String, ReturnStats>,
    /// The last days, oldest first.
    pub history: Vec<DayStat>,
    /// The SKU's version.
    pub version: u64,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// One dashboard row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardRow {
    /// The SKU.
    pub sku: String,
    /// Its title.
    pub title: String,
    /// Units each channel may sell.
    pub available: BTreeMap<String, i64>,
    /// Sellable units per location.
    pub on_hand: BTreeMap<String, i64>,
    /// Units held in carts.
    pub reserved: i64,
    /// Buffer in force.
    pub buffer: u32,
    /// Units per day per channel.
    pub velocity_per_day: BTreeMap<String, f64>,
    /// Sellable stock over combined velocity (`null`: not selling).
    pub days_of_supply: Option<f64>,
    /// Open purchase-order lines.
    pub incoming: Vec<IncomingLine>,
    /// `at_risk` when the channel runs out within the horizon, counting incoming in time.
    pub stockout_risk: Risk,
    /// When the channel runs out at the current velocity (`null`: not in sight).
    pub projected_stockout_at: Option<Timestamp>,
    /// Channels whose return rate is well above the store's.
    pub return_flags: Vec<ReturnFlag>,
    /// Recent days, oldest first.
    pub history: Vec<DayStat>,
    /// The SKU's version.
    pub version: u64,
}

/// A channel whose returns stand out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnFlag {
    /// The origin channel.
    pub channel: String,
    /// Its return rate.
    pub rate: f64,
    /// The store's return rate.
    pub store_rate: f64,
    /// Most frequent reasons, most first.
    pub top_reasons: Vec<(String, i64)>,
}

impl SkuSummary {
    /// Units per day per channel at `now`.
    pub fn velocity_per_day(&self, now: Timestamp) -> BTreeMap<String, f64> {
        self.velocity.iter().map(|(c, v)| (c.clone(), round2(v.per_day(now)))).collect()
    }

    /// Combined units per day at `now`.
    pub fn total_velocity(&self, now: Timestamp) -> f64 {
        self.velocity.values().map(|v| v.per_day(now)).sum()
    }

    /// Sellable units across locations, less holds.
    pub fn sellable(&self) -> i64 {
        self.on_hand.values().map(|q| (*q).max(0)).sum::<i64>() - self.reserved
    }

    /// Days of supply at `now`.
    pub fn days_of_supply(&self, now: Timestamp) -> Option<f64> {
        days_of_supply(self.sellable(), self.total_velocity(now)).map(round2)
    }

    /// When `channel` (or, with `None`, the whole SKU) runs out, counting incoming lines at the
    /// channel's locations. Every channel draws on the same units, so the combined velocity
    /// drains them.
    pub fn projected_stockout(&self, now: Timestamp, channel: Option<&str>) -> Option<Timestamp> {
        let (stock, locations) = match channel.and_then(|c| Some((c, self.channel_locations.get(c)?))) {
            Some((c, locs)) => (self.available.get(c).copied().unwrap_or(0), Some(locs)),
            None => (self.sellable(), None),
        };
        let incoming: Vec<_> = self
            .incoming
            .iter()
            .filter(|l| locations.is_none_or(|locs| locs.contains(&l.location)))
            .map(|l| (l.expected_at, l.quantity))
            .collect();
        projected_stockout(stock, self.total_velocity(now), &incoming, now)
    }

    /// Channels whose returns stand out.
    pub fn return_flags(&self) -> Vec<ReturnFlag> {
        let store_rate = self.returns.get(crate::names::STORE_CHANNEL).map_or(0.0, |s| s.rate);
        flagged(&self.returns)
            .into_iter()
            .map(|c| {
                let s = &self.returns[&c];
                ReturnFlag { channel: c.clone(), rate: round2(s.rate), store_rate: round2(store_rate), top_reasons: s.top_reasons(3) }
            })
            .collect()
    }

    /// The dashboard row for a horizon and (optionally) one channel.
    pub fn row(&self, now: Timestamp, horizon_days: f64, channel: Option<&str>) -> DashboardRow {
        let stockout = self.projected_stockout(now, channel);
        DashboardRow {
            sku: self.sku.clone(),
            title: self.title.clone(),
            available: self.available.clone(),
            on_hand: self.on_hand.clone(),
            reserved: self.reserved,
            buffer: self.buffer,
            velocity_per_day: self.velocity_per_day(now),
            days_of_supply: self.days_of_supply(now),
            incoming: self.incoming.clone(),
            stockout_risk: risk(stockout, now, horizon_days),
            projected_stockout_at: stockout,
            return_flags: self.return_flags(),
            history: self.history.clone(),
            version: self.version,
        }
    }
}

/// Rows for every summary, riskiest first: at risk before ok, then the soonest stockout, then
/// the fewest days of supply, then by SKU.
pub fn dashboard(summaries: &[SkuSummary], now: Timestamp, horizon_days: f64, channel: Option<&str>) -> Vec<DashboardRow> {
    let mut rows: Vec<_> = summaries.iter().map(|s| s.row(now, horizon_days, channel)).collect();
    rows.sort_by(|a, b| {
        let risk_rank = |r: &DashboardRow| matches!(r.stockout_risk, Risk::Ok);
        risk_rank(a)
            .cmp(&risk_rank(b))
            .then_with(|| match (a.projected_stockout_at, b.projected_stockout_at) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => core::cmp::Ordering::Less,
                (None, Some(_)) => core::cmp::Ordering::Greater,
                (None, None) => core::cmp::Ordering::Equal,
            })
            .then_with(|| {
                let d = |r: &DashboardRow| r.days_of_supply.unwrap_or(f64::INFINITY);
                d(a).total_cmp(&d(b))
            })
            .then_with(|| a.sku.cmp(&b.sku))
    });
    rows
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
