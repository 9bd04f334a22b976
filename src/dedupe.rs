//! Remembering which deliveries were applied, so a retried one changes nothing.
//!
//! Keys are kept for at least [`RETENTION_MS`] (Square retries for up to 72 hours, Shopify for
//! 4) and at most [`MAX_KEYS`] per SKU, so memory stays bounded however busy the SKU is.

use std::collections::{HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::time::HOUR;
use crate::Timestamp;

/// How long an applied event id is remembered: 72 hours plus a day of slack.
pub const RETENTION_MS: i64 = 96 * HOUR;
/// The most ids remembered per SKU; the oldest go first past it.
pub const MAX_KEYS: usize = 50_000;

/// Recently applied event keys in arrival order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "VecDeque<(String, Timestamp)>", into = "VecDeque<(String, Timestamp)>")]
pub struct SeenEvents {
    order: VecDeque<(String, Timestamp)>,
    keys: HashSet<String>,
}

impl From<VecDeque<(String, Timestamp)>> for SeenEvents {
    fn from(order: VecDeque<(String, Timestamp)>) -> Self {
        let keys = order.iter().map(|(k, _)| k.clone()).collect();
        SeenEvents { order, keys }
    }
}

impl From<SeenEvents> for VecDeque<(String, Timestamp)> {
    fn from(s: SeenEvents) -> Self {
        s.order
    }
}

impl SeenEvents {
    /// Whether `key` was applied within the retention window.
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// Remembers `key` as applied at `now`, forgetting what is past retention.
    pub fn insert(&mut self, key: String, now: Timestamp) {
        self.forget_before(now.plus(-RETENTION_MS));
        if self.keys.insert(key.clone()) {
            self.order.push_back((key, now));
        }
        while self.order.len() > MAX_KEYS {
            if let Some((old, _)) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
    }

    fn forget_before(&mut self, cutoff: Timestamp) {
        while self.order.front().is_some_and(|(_, at)| *at < cutoff) {
            if let Some((old, _)) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_for_the_window_then_forgets() {
        let mut s = SeenEvents::default();
        s.insert("square:1".into(), Timestamp(0));
        assert!(s.contains("square:1"));
        s.insert("square:2".into(), Timestamp(72 * HOUR));
        assert!(s.contains("square:1"), "72 h later a Square retry must still be caught");
        s.insert("square:3".into(), Timestamp(RETENTION_MS + 1));
        assert!(!s.contains("square:1"));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn memory_is_bounded() {
        let mut s = SeenEvents::default();
        for i in 0..(MAX_KEYS + 10) {
            s.insert(format!("k{i}"), Timestamp(0));
        }
        assert_eq!(s.len(), MAX_KEYS);
        assert!(!s.contains("k0"));
        let json = serde_json::to_string(&s).unwrap();
        let back: SeenEvents = serde_json::from_str(&json).unwrap();
        assert!(back.contains(&format!("k{}", MAX_KEYS + 9)));
    }
}
