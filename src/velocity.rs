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
    /// Counts `units` sold at `when`, learnt of at `now` (out-of-order sales are weighed by their
    /// own age). No time is taken as later than `now`: a sale dated in the future would otherwise
    /// weigh every later sale down to nothing until that date. That includes a rate stored by a
    /// release that did not bound times, which from here on decays from `now`.
    pub fn record(&mut self, units: i64, when: Timestamp, now: Timestamp) {
        let when = when.min(now);
        self.at = self.at.min(now);
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
                let at = start.plus(hour * crate::time::HOUR);
                v.record(2, at, at); // 8 a day
            }
        }
        let now = start.plus(60 * DAY);
        assert!((v.per_day(now) - 8.0).abs() < 0.5, "{}", v.per_day(now));
    }

    #[test]
    fn old_sales_fade_and_late_ones_count_by_age() {
        let mut v = Velocity::default();
        v.record(7, Timestamp(0), Timestamp(0));
        assert!((v.per_day(Timestamp(0)) - 1.0).abs() < 1e-9);
        assert!((v.per_day(Timestamp(7 * DAY)) - (-1f64).exp()).abs() < 1e-9);
        let mut late = Velocity::default();
        late.record(7, Timestamp(7 * DAY), Timestamp(7 * DAY));
        late.record(7, Timestamp(0), Timestamp(7 * DAY));
        assert!((late.per_day(Timestamp(7 * DAY)) - (1.0 + (-1f64).exp())).abs() < 1e-9);
    }

    #[test]
    fn a_sale_dated_in_the_future_does_not_freeze_the_rate() {
        let now = Timestamp(100 * DAY);
        let mut v = Velocity::default();
        v.record(7, Timestamp(500 * DAY), now);
        assert!((v.per_day(now) - 1.0).abs() < 1e-9, "taken as sold now");
        // As an earlier release stored it: the rate's time a year ahead.
        let mut stored = Velocity { rate: 1.0, at: Timestamp(465 * DAY) };
        stored.record(7, now, now);
        assert!((stored.per_day(now) - 2.0).abs() < 1e-9, "today's sale weighs in full");
        assert!(stored.per_day(now.plus(7 * DAY)) < 1.0, "and the rate decays again");
    }
}
