//! What a SKU sold, where and how fast: decaying velocity per channel, sales and returns per
//! channel the units were bought on, and the last [`HISTORY_DAYS`] days for charts. The buffer
//! and the forecasts read it; nothing here moves stock.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::returns::ReturnStats;
use crate::time::DAY;
use crate::velocity::Velocity;
use crate::{entry, Timestamp};

/// Days of history kept for charts.
pub const HISTORY_DAYS: usize = 30;

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

/// One SKU's sales history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SalesHistory {
    velocity: BTreeMap<String, Velocity>,
    returns: BTreeMap<String, ReturnStats>,
    days: VecDeque<DayStat>,
}

impl SalesHistory {
    /// The history as stored.
    pub fn from_parts(
        velocity: BTreeMap<String, Velocity>,
        returns: BTreeMap<String, ReturnStats>,
        days: Vec<DayStat>,
    ) -> Self {
        SalesHistory { velocity, returns, days: days.into() }
    }

    /// Decaying velocity per channel.
    pub fn velocity(&self) -> &BTreeMap<String, Velocity> {
        &self.velocity
    }

    /// Sales and returns per channel the units were bought on.
    pub fn returns(&self) -> &BTreeMap<String, ReturnStats> {
        &self.returns
    }

    /// The last days, oldest first.
    pub fn days(&self) -> impl ExactSizeIterator<Item = &DayStat> {
        self.days.iter()
    }

    /// Counts `units` sold on `channel` at `at`, learnt of at `now` (today is `now`'s day).
    pub fn sold(&mut self, channel: &str, units: i64, at: Timestamp, now: Timestamp) {
        entry(&mut self.velocity, channel).record(units, at, now);
        entry(&mut self.returns, channel).sold(units);
        *entry(&mut self.today(now).sales, channel) += units;
    }

    /// Counts `units` bought on `origin_channel` and brought back for `reason`.
    pub fn returned(&mut self, origin_channel: &str, units: i64, reason: &str) {
        entry(&mut self.returns, origin_channel).returned(units, reason);
    }

    /// Counts `units` received today.
    pub fn received(&mut self, units: i64, now: Timestamp) {
        self.today(now).received += units;
    }

    /// Records what is on hand after a change at `now`, as today's closing stock.
    pub fn close(&mut self, on_hand: i64, now: Timestamp) {
        self.today(now).closing_on_hand = on_hand;
    }

    /// Combined units per day across channels at `now`.
    pub fn total_velocity(&self, now: Timestamp) -> f64 {
        self.velocity.values().map(|v| v.per_day(now)).sum()
    }

    /// Units per day per channel at `now`.
    pub fn velocity_per_day(&self, now: Timestamp) -> BTreeMap<String, f64> {
        self.velocity.iter().map(|(c, v)| (c.clone(), v.per_day(now))).collect()
    }

    /// `now`'s day, started (and the oldest past [`HISTORY_DAYS`] forgotten) when it is new. Its
    /// closing stock is the last day's until the change at hand [closes](Self::close) it.
    fn today(&mut self, now: Timestamp) -> &mut DayStat {
        let day = now.millis().div_euclid(DAY);
        if self.days.back().is_none_or(|d| d.day != day) {
            let closing_on_hand = self.days.back().map_or(0, |d| d.closing_on_hand);
            self.days.push_back(DayStat { day, closing_on_hand, ..DayStat::default() });
            while self.days.len() > HISTORY_DAYS {
                self.days.pop_front();
            }
        }
        self.days.back_mut().expect("pushed above")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_795_687_200_000);

    #[test]
    fn sales_count_per_channel_per_day_and_in_velocity() {
        let mut h = SalesHistory::default();
        h.sold("web", 2, T0, T0);
        h.sold("store", 1, T0, T0);
        h.received(5, T0);
        h.close(12, T0);
        h.sold("web", 1, T0.plus(DAY), T0.plus(DAY));
        let days: Vec<_> = h.days().cloned().collect();
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].sales, BTreeMap::from([("store".into(), 1), ("web".into(), 2)]));
        assert_eq!((days[0].received, days[0].closing_on_hand), (5, 12));
        assert_eq!((days[1].day, days[1].closing_on_hand), (days[0].day + 1, 12), "a new day opens on the last close");
        let v = h.velocity_per_day(T0.plus(DAY));
        assert!(v["web"] > v["store"] && v["store"] > 0.0, "{v:?}");
        assert_eq!(h.total_velocity(T0.plus(DAY)), v.values().sum::<f64>());
        assert_eq!((h.returns()["web"].sold, h.returns()["store"].sold), (3, 1));
    }

    #[test]
    fn returns_count_against_the_channel_the_units_were_bought_on() {
        let mut h = SalesHistory::default();
        h.sold("web", 4, T0, T0);
        h.returned("web", 1, "wrong size");
        assert_eq!(h.returns()["web"].rate, 0.25);
        assert_eq!(h.days().len(), 1, "a return is not a day's sale");
    }

    #[test]
    fn keeps_the_last_thirty_days() {
        let mut h = SalesHistory::default();
        for d in 0..40 {
            h.close(d, T0.plus(d * DAY));
        }
        let first = T0.millis().div_euclid(DAY);
        let kept: Vec<_> = h.days().map(|d| d.day - first).collect();
        assert_eq!(kept, (10..40).collect::<Vec<_>>());
    }
}
