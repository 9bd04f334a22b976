//! A SKU's picture detached from its live state: what `GET /admin/skus/{sku}` shows and what the
//! catalog keeps per SKU to answer the dashboard and questions for thousands of SKUs at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{BufferPolicy, Topology};
use crate::incident::Incident;
use crate::forecast::{days_of_supply, projected_stockout, risk, IncomingLine, Risk};
use crate::replenishment::Transit;
use crate::returns::{flagged, ReturnStats};
use crate::sales_history::DayStat;
use crate::velocity::Velocity;
use crate::{Error, Timestamp};

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
    /// Open oversell incidents, newest first (the catalog lists them across SKUs).
    #[serde(default)]
    pub incidents: Vec<Incident>,
    /// The SKU's version.
    pub version: u64,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Its writes to Square, when there were any (the Square connection's status sums them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub square: Option<crate::connect::square_out::OutboxStatus>,
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
    /// Recent days, oldest first: only when asked for ([`DashboardQuery::with_history`]), since
    /// thirty days for 10,000 SKUs would be megabytes the catalog view does not need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<DayStat>>,
    /// The SKU's version.
    pub version: u64,
}

/// What the dashboard asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct DashboardQuery<'a> {
    /// The stockout-risk horizon.
    pub horizon_days: f64,
    /// One channel's view (`None`: the whole SKU).
    pub channel: Option<&'a str>,
    /// Rows to skip, riskiest first.
    pub offset: usize,
    /// Most rows to return (`None`: all).
    pub limit: Option<usize>,
    /// Whether rows carry their daily history (for charts of the rows on screen).
    pub with_history: bool,
}

/// The dashboard's query string (`GET /admin/dashboard`) as the edge read it, each value as sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DashboardParams<'a> {
    /// `horizon_days`: 0 to 365 (default 7).
    pub horizon_days: Option<&'a str>,
    /// `channel`: a channel of the catalog; empty is none.
    pub channel: Option<&'a str>,
    /// `offset`: 0 to 1,000,000 (default 0).
    pub offset: Option<&'a str>,
    /// `limit`: 0 to 1,000,000 (default: every row).
    pub limit: Option<&'a str>,
    /// `history`: `1` or `true` for the rows' daily history.
    pub history: Option<&'a str>,
}

impl<'a> DashboardQuery<'a> {
    /// The query `params` ask for, checked in the order horizon, channel (in `topology`),
    /// offset, limit; the first refusal names its field.
    pub fn read(params: &DashboardParams<'a>, topology: &Topology) -> Result<Self, Error> {
        let horizon_days = match params.horizon_days.map(str::parse::<f64>) {
            None => 7.0,
            Some(Ok(h)) if h.is_finite() && (0.0..=365.0).contains(&h) => h,
            Some(_) => return Err(Error::invalid("horizon_days", "must be a number of days from 0 to 365")),
        };
        let channel = params.channel.filter(|c| !c.is_empty());
        if let Some(c) = channel {
            topology.channel(c)?;
        }
        let count = |name: &'static str, value: Option<&str>| match value.map(str::parse::<usize>) {
            None => Ok(None),
            Some(Ok(n)) if n <= 1_000_000 => Ok(Some(n)),
            Some(_) => Err(Error::invalid(name, "must be a whole number from 0 to 1000000")),
        };
        let offset = count("offset", params.offset)?.unwrap_or(0);
        let limit = count("limit", params.limit)?;
        let with_history = matches!(params.history, Some("1" | "true"));
        Ok(DashboardQuery { horizon_days, channel, offset, limit, with_history })
    }
}

impl Default for DashboardQuery<'_> {
    fn default() -> Self {
        DashboardQuery { horizon_days: 7.0, channel: None, offset: 0, limit: None, with_history: false }
    }
}

/// One page of dashboard rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardPage {
    /// Rows in the whole catalog.
    pub total: usize,
    /// Rows skipped.
    pub offset: usize,
    /// This page's rows, riskiest first.
    pub rows: Vec<DashboardRow>,
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
                ReturnFlag {
                    channel: c.clone(),
                    rate: round2(s.rate),
                    store_rate: round2(store_rate),
                    top_reasons: s.top_reasons(3),
                }
            })
            .collect()
    }

    /// The dashboard row for a horizon and (optionally) one channel, without history.
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
            history: None,
            version: self.version,
        }
    }
}

/// A page of rows, riskiest first: at risk before ok, then the soonest stockout, then the
/// fewest days of supply, then by SKU.
pub fn dashboard(summaries: &[SkuSummary], now: Timestamp, q: &DashboardQuery) -> DashboardPage {
    let mut rows: Vec<(DashboardRow, &SkuSummary)> =
        summaries.iter().map(|s| (s.row(now, q.horizon_days, q.channel), s)).collect();
    rows.sort_by(|(a, _), (b, _)| {
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
    let total = rows.len();
    let rows = rows
        .into_iter()
        .skip(q.offset)
        .take(q.limit.unwrap_or(usize::MAX))
        .map(|(mut row, s)| {
            if q.with_history {
                row.history = Some(s.history.clone());
            }
            row
        })
        .collect();
    DashboardPage { total, offset: q.offset, rows }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_query_is_read_with_its_defaults_and_each_bad_value_named() {
        let mut topology = Topology::default();
        topology.put_location("main-st").unwrap();
        topology.put_channel("web", &crate::catalog::ChannelConfig { locations: vec!["main-st".into()] }).unwrap();
        let read = |p: DashboardParams<'static>| DashboardQuery::read(&p, &topology);
        assert_eq!(read(DashboardParams::default()).unwrap(), DashboardQuery::default());
        let q = read(DashboardParams {
            horizon_days: Some("30.5"),
            channel: Some("web"),
            offset: Some("20"),
            limit: Some("1000000"),
            history: Some("true"),
        })
        .unwrap();
        assert_eq!(
            q,
            DashboardQuery { horizon_days: 30.5, channel: Some("web"), offset: 20, limit: Some(1_000_000), with_history: true }
        );
        assert_eq!(read(DashboardParams { channel: Some(""), history: Some("yes"), ..Default::default() }).unwrap(), DashboardQuery::default());
        let field = |p: DashboardParams<'static>| match read(p) {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        for h in ["-1", "365.1", "NaN", "inf", "week"] {
            assert_eq!(field(DashboardParams { horizon_days: Some(h), ..Default::default() }), "horizon_days", "{h}");
        }
        assert_eq!(field(DashboardParams { offset: Some("-1"), limit: Some("x"), ..Default::default() }), "offset");
        assert_eq!(field(DashboardParams { limit: Some("1000001"), ..Default::default() }), "limit");
        assert_eq!(
            read(DashboardParams { channel: Some("mars"), offset: Some("x"), ..Default::default() }),
            Err(Error::UnknownChannel("mars".into())),
            "the channel is checked before the counts"
        );
    }
    use crate::catalog::{ChannelConfig, SkuConfig};
    use crate::{EventBody, EventKind, Sku, Topology};

    fn summary(sku: &str, stock: i64, sold_per_day: i64, now: Timestamp) -> SkuSummary {
        let mut t = Topology::default();
        t.put_location("main-st").unwrap();
        t.put_channel("web", &ChannelConfig { locations: vec!["main-st".into()] }).unwrap();
        let mut s = Sku::new(sku, SkuConfig::default(), t, now.plus(-14 * crate::time::DAY)).unwrap();
        let mut apply = |id: String, kind: EventKind, q: i64, at: Timestamp| {
            let b = EventBody {
                channel: Some("web".into()),
                occurred_at: Some(at),
                ..EventBody::new(kind, &id, sku, "main-st", q)
            };
            s.apply(&b.check("t", at).unwrap(), at).unwrap();
        };
        apply("r".into(), EventKind::Receive, stock + 14 * sold_per_day, now.plus(-14 * crate::time::DAY));
        for d in 0..14 {
            if sold_per_day > 0 {
                let at = now.plus(-(14 - d) * crate::time::DAY);
                apply(format!("s{d}"), EventKind::Sale, sold_per_day, at);
            }
        }
        s.summary()
    }

    #[test]
    fn pages_are_riskiest_first_and_carry_history_only_when_asked() {
        let now = Timestamp(1_795_687_200_000);
        let all = [summary("slow", 50, 0, now), summary("soon", 3, 2, now), summary("later", 10, 1, now)];
        let page = dashboard(&all, now, &DashboardQuery::default());
        let order: Vec<_> = page.rows.iter().map(|r| r.sku.as_str()).collect();
        assert_eq!(order, ["soon", "later", "slow"]);
        assert_eq!(page.rows[0].stockout_risk, Risk::AtRisk);
        assert!(page.rows.iter().all(|r| r.history.is_none()));
        let second = dashboard(
            &all,
            now,
            &DashboardQuery { offset: 1, limit: Some(1), with_history: true, ..DashboardQuery::default() },
        );
        assert_eq!((second.total, second.offset, second.rows.len()), (3, 1, 1));
        assert_eq!(second.rows[0].sku, "later");
        assert!(!second.rows[0].history.as_ref().unwrap().is_empty());
    }
}
