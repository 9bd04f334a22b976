//! Days of supply, incoming replenishment and the projected stockout.

use serde::{Deserialize, Serialize};

use crate::time::DAY;
use crate::Timestamp;

/// An open purchase-order line for one SKU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingLine {
    /// The purchase order.
    pub po_id: String,
    /// Where it will arrive.
    pub location: String,
    /// Units still to arrive.
    pub quantity: i64,
    /// When they are expected.
    pub expected_at: Timestamp,
}

/// Whether a SKU runs out within the horizon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Runs out within the horizon, counting stock that arrives in time.
    AtRisk,
    /// Does not.
    Ok,
}

/// Below this many units a day a SKU is treated as not selling.
const NOT_SELLING: f64 = 1e-6;

/// `stock / velocity` in days, `None` when the SKU does not sell.
pub fn days_of_supply(stock: i64, velocity_per_day: f64) -> Option<f64> {
    (velocity_per_day > NOT_SELLING).then(|| stock.max(0) as f64 / velocity_per_day)
}

/// When `stock` units selling at `velocity_per_day` run out, counting `incoming` (units that
/// arrive at their expected time). `None`: never, at this velocity.
pub fn projected_stockout(
    stock: i64,
    velocity_per_day: f64,
    incoming: &[(Timestamp, i64)],
    now: Timestamp,
) -> Option<Timestamp> {
    if stock <= 0 {
        return Some(now);
    }
    if velocity_per_day <= NOT_SELLING {
        return None;
    }
    let mut lines: Vec<_> = incoming.iter().filter(|(_, q)| *q > 0).copied().collect();
    lines.sort();
    let per_ms = velocity_per_day / DAY as f64;
    let (mut t, mut s) = (now, stock as f64);
    for (arrives, units) in lines {
        let arrives = arrives.max(t);
        let runs_out = t.plus((s / per_ms) as i64);
        if runs_out <= arrives {
            return Some(runs_out);
        }
        s -= per_ms * (arrives.millis() - t.millis()) as f64;
        s += units as f64;
        t = arrives;
    }
    Some(t.plus((s / per_ms) as i64))
}

/// `AtRisk` when the projected stockout falls within `horizon_days` of `now`.
pub fn risk(stockout: Option<Timestamp>, now: Timestamp, horizon_days: f64) -> Risk {
    match stockout {
        Some(t) if t <= now.plus((horizon_days * DAY as f64) as i64) => Risk::AtRisk,
        _ => Risk::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stockout_without_incoming() {
        let now = Timestamp(0);
        assert_eq!(projected_stockout(10, 2.0, &[], now), Some(Timestamp(5 * DAY)));
        assert_eq!(projected_stockout(10, 0.0, &[], now), None);
        assert_eq!(projected_stockout(0, 0.0, &[], now), Some(now));
        assert_eq!(days_of_supply(10, 2.0), Some(5.0));
        assert_eq!(days_of_supply(10, 0.0), None);
    }

    #[test]
    fn incoming_in_time_pushes_the_stockout_back() {
        let now = Timestamp(0);
        let po = [(Timestamp(3 * DAY), 10)];
        assert_eq!(projected_stockout(10, 2.0, &po, now), Some(Timestamp(10 * DAY)));
        assert_eq!(risk(projected_stockout(10, 2.0, &po, now), now, 7.0), Risk::Ok);
        let late = [(Timestamp(6 * DAY), 10)];
        assert_eq!(projected_stockout(10, 2.0, &late, now), Some(Timestamp(5 * DAY)));
        assert_eq!(risk(projected_stockout(10, 2.0, &late, now), now, 7.0), Risk::AtRisk);
    }
}
