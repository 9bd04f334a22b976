//! Returns by the channel the unit was bought on, so a channel whose return rate stands out
//! can be flagged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Distinct return reasons kept per channel: the reason is free text from the PoS, and the
/// snapshot holding these is rewritten on every change. Past this, further reasons are counted
/// under [`OTHER_REASON`].
pub const MAX_REASONS: usize = 20;
/// Where returns of reasons past [`MAX_REASONS`] are counted.
pub const OTHER_REASON: &str = "other";

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
        let known = self.reasons.contains_key(reason) || self.reasons.len() < MAX_REASONS - 1;
        *self.reasons.entry(if known { reason } else { OTHER_REASON }.to_string()).or_default() += units;
        self.refresh();
    }

    /// Keeps the most frequent reasons within [`MAX_REASONS`], counting the rest as
    /// [`OTHER_REASON`] (for state stored before the bound).
    pub(crate) fn bound_reasons(&mut self) {
        if self.reasons.len() <= MAX_REASONS {
            return;
        }
        let mut top = self.top_reasons(usize::MAX);
        let rest: i64 = top.split_off(MAX_REASONS - 1).into_iter().map(|(_, n)| n).sum();
        self.reasons = top.into_iter().collect();
        *self.reasons.entry(OTHER_REASON.to_string()).or_default() += rest;
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

    #[test]
    fn reasons_stay_bounded() {
        let mut s = ReturnStats::default();
        for i in 0..100 {
            s.returned(1, &format!("reason {i}"));
        }
        s.returned(2, "reason 0");
        assert_eq!(s.reasons.len(), MAX_REASONS);
        assert_eq!(s.reasons["reason 0"], 3, "a known reason keeps counting");
        assert_eq!(s.reasons[OTHER_REASON], 100 - (MAX_REASONS as i64 - 1));
        assert_eq!(s.reasons.values().sum::<i64>(), s.returned);
    }
}
