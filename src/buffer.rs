//! Automatic safety buffers.
//!
//! A buffer protects the shopper standing in the store: between picking the last unit off the
//! shelf and the register's sale reaching every channel, an online order for the same unit is an
//! oversell. During that *exposure window* `E` (time from shelf to register, plus the longest
//! checkout hold, plus push latency) online demand is Poisson with mean `λ = v · E`, where `v` is
//! the SKU's combined daily velocity. The buffer is the smallest `b` with
//! `P(demand > b) ≤ target`, clamped to the SKU's `min..=max`.
//!
//! With the defaults (E ≈ 61 minutes, target 1 %) a product selling 10 a day gets 2 and one
//! selling 2 a week gets 1, the retail rule of thumb; a product that does not sell gets `min`.
//!
//! **With the store's opening hours** ([`StoreHours`], `"store_hours"` of the `auto` policy) the
//! buffer is sized for what it is for: the store's shoppers until the shelf is refilled.
//! - While the store is closed nobody carries a unit to the register: no exposure window.
//! - With a delivery on its way, the buffer also keeps back what the store is likely to sell
//!   before it arrives: store demand over the *opening time left until the delivery* is Poisson
//!   with mean `v_store · open_ms / open_ms_per_day`, and the buffer keeps its
//!   `store_service` quantile. A unit kept back past the delivery was an online sale lost for
//!   nothing; one given away before it leaves a store shopper at an empty shelf, which costs
//!   more (the visit, not one margin): so a little more than the median (0.6 by default).
//!   Overnight, with the delivery before the store opens, that is nothing: the web sells the
//!   last units and the delivery refills the shelf.
//! - Without a delivery on its way the buffer is the exposure window's, while the store is open.
//!
//! The buffer is the larger of the two, not their sum: the exposure window's demand is mostly the
//! next hour's, which the store part already counts.

use serde::{Deserialize, Serialize};

use crate::store_hours::StoreHours;
use crate::time::{DAY, MINUTE, SECOND};
use crate::Timestamp;

/// The parameters of the automatic buffer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BufferModel {
    /// Shelf to register: how long a store shopper carries a unit before it is sold (ms).
    pub shelf_to_register_ms: i64,
    /// The longest checkout hold online (ms).
    pub checkout_hold_ms: i64,
    /// From the register's sale to every channel knowing (ms).
    pub sync_latency_ms: i64,
    /// Acceptable chance of an oversell in one exposure window.
    pub target: f64,
    /// With store hours and a delivery on its way: the chance that every store shopper until the
    /// delivery finds a unit kept for them.
    #[serde(default = "default_store_service")]
    pub store_service: f64,
}

fn default_store_service() -> f64 {
    0.6
}

/// What the store's hours and the next delivery tell the buffer (see the module's docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoreWindow {
    /// The store's opening hours.
    pub hours: StoreHours,
    /// The store channel's sales a day.
    pub store_per_day: f64,
    /// When the next delivery is expected, if one is on its way.
    pub next_delivery: Option<Timestamp>,
}

impl Default for BufferModel {
    fn default() -> Self {
        BufferModel {
            shelf_to_register_ms: 50 * MINUTE,
            checkout_hold_ms: 10 * MINUTE,
            sync_latency_ms: 2 * SECOND,
            target: 0.01,
            store_service: default_store_service(),
        }
    }
}

/// A sized buffer with its reasoning.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BufferAdvice {
    /// Units to keep back.
    pub units: u32,
    /// Expected demand in one exposure window (λ).
    pub expected_demand: f64,
    /// Exposure window in minutes.
    pub exposure_minutes: f64,
    /// P(demand in the window > units): the chance of an oversell with this buffer.
    pub oversell_chance: f64,
    /// With store hours: the store's expected sales until the next delivery (0 without one).
    #[serde(default)]
    pub store_demand: f64,
}

impl BufferModel {
    /// Exposure window in days.
    pub fn exposure_days(&self) -> f64 {
        (self.shelf_to_register_ms + self.checkout_hold_ms + self.sync_latency_ms) as f64 / DAY as f64
    }

    /// The buffer for a SKU selling `velocity_per_day` (all channels), clamped to `min..=max`.
    pub fn advise(&self, velocity_per_day: f64, min: u32, max: u32) -> BufferAdvice {
        let lambda = velocity_per_day.max(0.0) * self.exposure_days();
        // Walk the Poisson CDF until the tail is small enough.
        let mut term = (-lambda).exp();
        let mut cdf = term;
        let mut b = 0u32;
        while 1.0 - cdf > self.target && b < max {
            b += 1;
            term *= lambda / f64::from(b);
            cdf += term;
        }
        let units = b.clamp(min, max.max(min));
        BufferAdvice {
            units,
            expected_demand: lambda,
            exposure_minutes: self.exposure_days() * 1440.0,
            oversell_chance: tail(lambda, units),
            store_demand: 0.0,
        }
    }

    /// The buffer at `now` for a SKU selling `velocity_per_day` (all channels) from a store
    /// with `store`'s hours and next delivery: the exposure window's units while the store is
    /// open, or the store's likely sales until the delivery if more, clamped to `min..=max`.
    pub fn advise_for_store(
        &self,
        velocity_per_day: f64,
        store: &StoreWindow,
        now: Timestamp,
        min: u32,
        max: u32,
    ) -> BufferAdvice {
        let open = store.hours.is_open(now);
        let exposure = self.advise(if open { velocity_per_day } else { 0.0 }, 0, max);
        let store_demand = match store.next_delivery.filter(|d| *d > now) {
            Some(d) => {
                let share = store.hours.open_between(now, d) as f64 / store.hours.open_per_day() as f64;
                store.store_per_day.max(0.0) * share
            }
            None => 0.0,
        };
        let kept = quantile(store_demand, self.store_service, max);
        let units = exposure.units.max(kept).clamp(min, max.max(min));
        BufferAdvice { units, store_demand, oversell_chance: tail(exposure.expected_demand, units), ..exposure }
    }
}

/// The smallest `k` (at most `cap`) with P(Poisson(λ) ≤ k) ≥ `p`.
fn quantile(lambda: f64, p: f64, cap: u32) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let mut term = (-lambda).exp();
    let mut cdf = term;
    let mut k = 0u32;
    while cdf < p && k < cap {
        k += 1;
        term *= lambda / f64::from(k);
        cdf += term;
    }
    k
}

/// P(Poisson(λ) > k).
fn tail(lambda: f64, k: u32) -> f64 {
    let mut term = (-lambda).exp();
    let mut cdf = term;
    for i in 1..=k {
        term *= lambda / f64::from(i);
        cdf += term;
    }
    (1.0 - cdf).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_rule_of_thumb() {
        let m = BufferModel::default();
        let ten_a_day = m.advise(10.0, 0, 100).units;
        assert!((2..=3).contains(&ten_a_day), "{ten_a_day}");
        assert_eq!(m.advise(2.0 / 7.0, 0, 100).units, 1);
        assert_eq!(m.advise(0.0, 0, 100).units, 0);
    }

    const MONDAY: i64 = 1_793_577_600_000; // 2026-11-02T00:00:00Z

    fn at(hour: i64) -> Timestamp {
        Timestamp(MONDAY + hour * crate::time::HOUR)
    }

    fn store(store_per_day: f64, next_delivery: Option<Timestamp>) -> StoreWindow {
        StoreWindow { hours: StoreHours::parse("09:00-19:00").unwrap(), store_per_day, next_delivery }
    }

    #[test]
    fn a_closed_store_keeps_nothing_back_when_the_delivery_comes_before_it_opens() {
        let m = BufferModel::default();
        // 20:00, the delivery at 08:00 tomorrow: nobody can come to the shelf before it.
        let night = m.advise_for_store(10.0, &store(5.0, Some(at(32))), at(20), 0, 6);
        assert_eq!((night.units, night.store_demand), (0, 0.0));
        assert_eq!(m.advise(10.0, 0, 6).units, 2, "where velocity alone keeps 2");
        // The same hour with no delivery on its way: closed, so no exposure either.
        assert_eq!(m.advise_for_store(10.0, &store(5.0, None), at(20), 0, 6).units, 0);
        // `min` still holds.
        assert_eq!(m.advise_for_store(10.0, &store(5.0, Some(at(32))), at(20), 1, 6).units, 1);
    }

    #[test]
    fn an_open_store_keeps_the_larger_of_the_exposure_window_and_its_sales_until_the_delivery() {
        let m = BufferModel::default();
        // Open, no delivery on its way: the velocity-only buffer.
        assert_eq!(m.advise_for_store(10.0, &store(5.0, None), at(12), 0, 6).units, 2);
        // 18:00, the delivery tomorrow at 08:00: one open hour left.
        let evening = m.advise_for_store(0.0, &store(10.0, Some(at(32))), at(18), 0, 6);
        assert!((evening.store_demand - 1.0).abs() < 1e-9, "{evening:?}");
        assert_eq!(evening.units, 1, "the 0.6 quantile of Poisson(1)");
        let quiet = m.advise_for_store(0.0, &store(5.0, Some(at(32))), at(18), 0, 6);
        assert_eq!(quiet.units, 0, "no store sale in the last hour is likelier than 0.6");
        let busy = m.advise_for_store(10.0, &store(30.0, Some(at(32))), at(18), 0, 6);
        assert_eq!(busy.units, 3, "the 0.6 quantile of Poisson(3) is above the exposure's 2");
        // 09:00, the delivery in three days: 30 open hours, 15 store sales expected; capped.
        let far = m.advise_for_store(10.0, &store(5.0, Some(at(80))), at(9), 0, 6);
        assert!((far.store_demand - 15.0).abs() < 1e-9, "{far:?}");
        assert_eq!(far.units, 6);
        // A delivery already past its time is not one on its way.
        assert_eq!(m.advise_for_store(10.0, &store(5.0, Some(at(8))), at(12), 0, 6).units, 2);
    }

    #[test]
    fn the_store_part_grows_with_the_open_time_left_and_the_service_wanted() {
        let mut m = BufferModel::default();
        let mut last = 0;
        for hour in (9..19).rev() {
            let b = m.advise_for_store(0.0, &store(5.0, Some(at(32))), at(hour), 0, 100).units;
            assert!(b >= last, "{hour}:00 keeps at least what a later hour keeps");
            last = b;
        }
        assert_eq!(last, 5, "a whole day of store sales ahead, Poisson(5)");
        m.store_service = 0.95;
        assert!(m.advise_for_store(0.0, &store(5.0, Some(at(32))), at(9), 0, 100).units > last);
    }

    #[test]
    fn clamps_and_grows_with_velocity() {
        let m = BufferModel::default();
        assert_eq!(m.advise(0.0, 2, 5).units, 2);
        assert_eq!(m.advise(1000.0, 0, 5).units, 5);
        let mut last = 0;
        for v in [0.1, 1.0, 5.0, 10.0, 20.0, 50.0] {
            let b = m.advise(v, 0, 100);
            assert!(b.units >= last);
            assert!(b.oversell_chance <= m.target + 1e-12);
            last = b.units;
        }
    }
}
