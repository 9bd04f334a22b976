//! Returns by the channel the unit was bought on, so a channel whose return rate stands out
//! can be flagged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Sales and returns of units bought on one channel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReturnStats {
    /// Units sold on the channel.
    pub sold: i64,
    /// Units bought on the channel and returned (anywhere).
    pub returned: i64,
    /// `returned / sold` (0 when nothing was sold).
    pub rate: f64,
    /// Returned units per reason.
    pub reasons: BTreeMap<String, i64>,
}

impl ReturnStats {
    /// Counts a sale.
    pub fn sold(&mut self, units: i64) {
        self.sold += units;
        self.refresh();
    }

    /// Counts a return.
    pub fn returned(&mut self, units: i64, reason: &str) {
        self.returned += units;
        *self.reasons.entry(reason.to_string()).or_default() += units;
        self.refresh();
    }

    fn refresh(&mut self) {
        self.rate = if self.sold > 0 { self.returned as f64 / self.sold as f64 } else { 0.0 };
    }

    /// The most frequent reasons, most first.
    pub fn top_reasons(&self, n: usize) -> Vec<(String, i64)> {
        let mut v: Vec<_> = self.reasons.iter().map(|(k, v)| (k.clone(), *v)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// A channel's return rate is flagged when it is at least this many times the store's...
pub const FLAG_RATIO: f64 = 2.0;
/// ...and at least this many units came back, so two returns do not raise an alarm.
pub const FLAG_MIN_RETURNS: i64 = 3;

/// Channels whose return rate is well above the store's (or above 10 % when the store has none).
pub fn flagged(stats: &BTreeMap<String, ReturnStats>) -> Vec<String> {
    let store_rate = stats.get(crate::names::STORE_CHANNEL).map(|s| s.rate).unwrap_or(0.0);
    let bar = if store_rate > 0.0 { store_rate * FLAG_RATIO } else { 0.10 };
    stats
        .iter()
        .filter(|(c, s)| c.as_str() != crate::names::STORE_CHANNEL && s.returned >= FLAG_MIN_RETURNS && s.rate >= bar)
        .map(|(c, _)| c.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_a_channel_far_above_the_store() {
        let mut m = BTreeMap::new();
        let store = m.entry("store".to_string()).or_insert_with(ReturnStats::default);
        store.sold(100);
        store.returned(5, "changed mind");
        let web = m.entry("web".to_string()).or_insert_with(ReturnStats::default);
        web.sold(40);
        web.returned(8, "wrong size");
        web.returned(2, "damaged");
        let mp = m.entry("marketplace".to_string()).or_insert_with(ReturnStats::default);
        mp.sold(40);
        mp.returned(3, "wrong size");
        assert_eq!(flagged(&m), vec!["web".to_string()]);
        assert_eq!(m["web"].top_reasons(1), vec![("wrong size".to_string(), 8)]);
        assert!((m["web"].rate - 0.25).abs() < 1e-9);
    }
}
