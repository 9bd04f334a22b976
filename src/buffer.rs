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

use serde::{Deserialize, Serialize};

use crate::time::{DAY, MINUTE, SECOND};

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
}

impl Default for BufferModel {
    fn default() -> Self {
        BufferModel {
            shelf_to_register_ms: 50 * MINUTE,
            checkout_hold_ms: 10 * MINUTE,
            sync_latency_ms: 2 * SECOND,
            target: 0.01,
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
        }
    }
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
