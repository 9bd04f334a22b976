//! Sales velocity: units per day as an exponentially decaying average, so recent sales weigh
//! more. Each sale adds `q / tau` to a rate that decays by `exp(-dt / tau)`; a steady seller of
//! `v` units a day converges to `v`. `tau` is [`TAU_DAYS`].

use serde::{Deserialize, Serialize};

use crate::time::DAY;
use crate::Timestamp;

/// The averaging time constant, in days: a sale a week old weighs e⁻¹ of one today.
pub const TAU_DAYS: f64 = 7.0;

/// One decaying rate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Velocity {
    /// Units per day as of `at`.
    #[serde(rename = "r")]
    rate: f64,
    /// When `rate` was last brought up to date.
    #[serde(rename = "t")]
    at: Timestamp,
}

impl Velocity {
    /// Counts `units` sold at `when` (out-of-order sales are weighed by their own age).
    pub fn record(&mut self, units: i64, when: Timestamp) {
        let add = units as f64 / TAU_DAYS;
        if when >= self.at {
            self.rate = self.rate * decay(when.millis() - self.at.millis()) + add;
            self.at = when;
        } else {
            self.rate += add * decay(self.at.millis() - when.millis());
        }
    }

    /// Units per day at `now`.
    pub fn per_day(&self, now: Timestamp) -> f64 {
        if now <= self.at {
            self.rate
        } else {
            self.rate * decay(now.millis() - self.at.millis())
        }
    }
}

fn decay(ms: i64) -> f64 {
    (-(ms as f64) / (TAU_DAYS * DAY as f64)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_seller_converges_to_its_rate() {
        let mut v = Velocity::default();
        let start = Timestamp(0);
        for hour in 0..(60 * 24) {
            if hour % 6 == 0 {
                v.record(2, start.plus(hour * crate::time::HOUR)); // 8 a day
            }
        }
        let now = start.plus(60 * DAY);
        assert!((v.per_day(now) - 8.0).abs() < 0.5, "{}", v.per_day(now));
    }

    #[test]
    fn old_sales_fade_and_late_ones_count_by_age() {
        let mut v = Velocity::default();
        v.record(7, Timestamp(0));
        assert!((v.per_day(Timestamp(0)) - 1.0).abs() < 1e-9);
        assert!((v.per_day(Timestamp(7 * DAY)) - (-1f64).exp()).abs() < 1e-9);
        let mut late = Velocity::default();
        late.record(7, Timestamp(7 * DAY));
        late.record(7, Timestamp(0));
        assert!((late.per_day(Timestamp(7 * DAY)) - (1.0 + (-1f64).exp())).abs() < 1e-9);
    }
}
