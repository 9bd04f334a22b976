//! Units on hand at one location, and how an absolute PoS count is reconciled with what the
//! edge already knows.
//!
//! ## The reconciliation rule
//! A count `C` observed at time `t` describes the shelf at `t`. The location's stock becomes
//!
//! ```text
//! C + (every movement we applied that happened after t)
//!   - (edge sales committed within CATCH_UP before t, which the PoS may not have seen yet)
//! ```
//!
//! Example (CATCH_UP = 15 min), 5 units at main-st:
//! ```text
//! 10:00:00  web checkout commits 1 unit at the edge          on hand 4
//! 10:00:30  the register sells 1; Square's count (t=10:00:30)
//!           says 4, because Square has not yet seen the web order
//!           arrives: 4 - 1 (edge sale 30 s before t)          on hand 3  (not resurrected)
//! 10:20:00  Square's next count (t=10:20, web order synced) says 3:
//!           the edge sale is 20 min before t, no longer taken off    on hand 3
//! ```
//! And the other way round: a count observed at 09:59:50 that arrives after the 10:00:00 edge
//! sale is `C - 1` as well, since the sale happened after `t`. A count older than the newest
//! count applied here is ignored, and so is the on-hand effect of a movement that happened
//! before the newest count but arrives after it (the count already includes it; its sale still
//! counts for velocity and returns). So any delivery order ends in the same stock. If the PoS had in fact seen an edge sale inside the window, the
//! stock reads one low until the next count: the rule errs toward hiding a unit, never toward
//! selling one twice.
//!
//! ## No time from the future
//! The rule trusts event times, so a time ahead of the clock would outrank everything that really
//! happens later: a count dated next year would swallow every sale until then. Nothing is
//! observed after the moment the edge hears of it, so the caller passes times no later than
//! `now` ([`Sku::apply`](crate::Sku::apply) takes `min(occurred_at, now)`), and every call first
//! brings the remembered times back to `now` at the latest. That also heals state written by a
//! release that did not bound times: a stored count dated in the future is taken as observed at
//! the first change of this location after the upgrade, and later movements and counts apply
//! again from then on.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::time::{HOUR, MINUTE};
use crate::Timestamp;

/// How long after an edge sale a PoS count may still not include it.
pub const CATCH_UP_MS: i64 = 15 * MINUTE;
/// Movements older than this are forgotten when no count comes to prune them.
const HORIZON_MS: i64 = 24 * HOUR;
/// At most this many remembered movements per location (the snapshot is written on every
/// change, so this bounds its size on a busy SKU).
const MAX_RECENT: usize = 256;

/// One applied change of on-hand units, remembered to reconcile later counts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Movement {
    #[serde(rename = "t")]
    at: Timestamp,
    #[serde(rename = "q")]
    units: i64,
    /// A sale committed at the edge (a reservation), which the PoS learns of later.
    #[serde(rename = "e", default, skip_serializing_if = "std::ops::Not::not")]
    edge_sale: bool,
}

/// Stock at one location.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationStock {
    /// Sellable units on the shelf (negative when a PoS reports sales we had not seen).
    pub on_hand: i64,
    /// Returned units kept out of sellable stock.
    #[serde(default)]
    pub unsellable: i64,
    /// When the newest absolute count applied here was observed.
    #[serde(default)]
    pub counted_at: Option<Timestamp>,
    #[serde(default)]
    recent: VecDeque<Movement>,
    /// The newest time of a movement forgotten without a count: a count observed before it
    /// cannot be reconciled and is ignored as stale.
    #[serde(default)]
    forgotten_through: Option<Timestamp>,
}

/// What a count did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountOutcome {
    /// On hand changed by this many units (possibly 0).
    Applied(i64),
    /// Older than the newest count applied: ignored.
    Stale,
}

impl LocationStock {
    /// Applies a movement of `units` (signed) that happened at `at`; returns the change of
    /// units on hand. A movement from before the newest count reaches us late (retries and
    /// reordering do that): the count already includes it, so it changes nothing. At the same
    /// instant as the count, arrival order decides (a batch without times is in order). Edge
    /// sales always count; whether a count includes them is the window rule's business.
    pub fn apply(&mut self, units: i64, at: Timestamp, now: Timestamp, edge_sale: bool) -> i64 {
        self.bring_times_to(now);
        let at = at.min(now);
        if !edge_sale && self.counted_at.is_some_and(|c| at < c) {
            return 0;
        }
        self.on_hand += units;
        self.recent.push_back(Movement { at, units, edge_sale });
        self.prune(now);
        units
    }

    /// Applies an absolute count `count` observed at `at` under the reconciliation rule.
    pub fn count(&mut self, count: i64, at: Timestamp, now: Timestamp) -> CountOutcome {
        self.bring_times_to(now);
        let at = at.min(now);
        if self.counted_at.is_some_and(|c| at < c) || self.forgotten_through.is_some_and(|f| at < f) {
            return CountOutcome::Stale;
        }
        let after: i64 = self.recent.iter().filter(|m| m.at > at).map(|m| m.units).sum();
        let unseen_edge: i64 = self
            .recent
            .iter()
            .filter(|m| m.edge_sale && m.at <= at && m.at.plus(CATCH_UP_MS) > at)
            .map(|m| m.units)
            .sum();
        let before = self.on_hand;
        self.on_hand = count + after + unseen_edge;
        self.counted_at = Some(at);
        // What happened before the count is in it, except recent edge sales.
        self.recent.retain(|m| m.at > at || (m.edge_sale && m.at.plus(CATCH_UP_MS) > at));
        self.prune(now);
        CountOutcome::Applied(self.on_hand - before)
    }

    /// Remembered times after `now` become `now` (see "No time from the future" above). A
    /// no-op for state this release wrote, where every time is at most its call's `now`.
    fn bring_times_to(&mut self, now: Timestamp) {
        for t in self.counted_at.iter_mut().chain(self.forgotten_through.iter_mut()) {
            *t = (*t).min(now);
        }
        for m in &mut self.recent {
            m.at = m.at.min(now);
        }
    }

    fn prune(&mut self, now: Timestamp) {
        // Movements arrive almost in time order: trimming from the front keeps this O(1).
        let horizon = now.plus(-HORIZON_MS);
        while self.recent.front().is_some_and(|m| m.at < horizon) || self.recent.len() > MAX_RECENT {
            if let Some(m) = self.recent.pop_front() {
                self.forgotten_through = self.forgotten_through.max(Some(m.at));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_795_687_200_000; // 2026-11-26T10:00:00Z

    fn at(secs: i64) -> Timestamp {
        Timestamp(T + secs * 1000)
    }

    #[test]
    fn a_count_that_has_not_seen_an_edge_sale_does_not_resurrect_it() {
        let mut s = LocationStock::default();
        s.count(5, at(-60), at(-60));
        s.apply(-1, at(0), at(0), true); // web order at the edge
        s.apply(-1, at(30), at(30), false); // register sale, reported as an event
        assert_eq!(s.on_hand, 3);
        // Square counts 4 at 10:00:30: it saw the register sale, not the web order.
        assert_eq!(s.count(4, at(30), at(31)), CountOutcome::Applied(0));
        assert_eq!(s.on_hand, 3);
        // Twenty minutes later the web order has reached the PoS.
        s.count(3, at(20 * 60), at(20 * 60));
        assert_eq!(s.on_hand, 3);
    }

    #[test]
    fn a_count_observed_before_an_edge_sale_arriving_after_it() {
        let mut s = LocationStock::default();
        s.count(5, at(-60), at(-60));
        s.apply(-1, at(0), at(0), true);
        s.count(5, at(-10), at(5));
        assert_eq!(s.on_hand, 4, "the sale happened after the count was taken");
    }

    #[test]
    fn a_movement_delivered_after_a_count_that_includes_it_changes_nothing() {
        let mut s = LocationStock::default();
        s.count(5, at(0), at(0));
        s.count(4, at(20), at(20)); // the register sale at 10 s is in this count
        assert_eq!(s.apply(-1, at(10), at(25), false), 0);
        assert_eq!(s.on_hand, 4);
        assert_eq!(s.apply(-1, at(30), at(31), false), -1, "a later sale still counts");
        assert_eq!(s.on_hand, 3);
        // Same instant: what arrives after the count comes after it.
        s.count(3, at(40), at(40));
        assert_eq!(s.apply(-1, at(40), at(40), false), -1);
        assert_eq!(s.on_hand, 2);
    }

    #[test]
    fn stale_counts_are_ignored() {
        let mut s = LocationStock::default();
        s.count(5, at(10), at(10));
        assert_eq!(s.count(9, at(0), at(11)), CountOutcome::Stale);
        assert_eq!(s.on_hand, 5);
        assert_eq!(s.count(7, at(10), at(12)), CountOutcome::Applied(2), "same time is not older");
    }

    #[test]
    fn a_count_dated_in_the_future_does_not_freeze_the_location() {
        let mut s = LocationStock::default();
        // As an earlier release stored it: a count dated 2027-12-01 applied at 10:00.
        let next_year = Timestamp::parse("2027-12-01T00:00:00Z").unwrap();
        s.count(5, at(0), at(0));
        s.counted_at = Some(next_year);
        s.recent.push_back(Movement { at: next_year, units: -1, edge_sale: false });
        s.forgotten_through = Some(next_year);
        for i in 1..=3 {
            assert_eq!(s.apply(-1, at(i), at(i), false), -1, "sale {i} of today changes stock");
        }
        assert_eq!(s.on_hand, 2);
        assert_eq!(s.count(7, at(10), at(10)), CountOutcome::Applied(5), "a current count is not stale");
        assert_eq!(s.on_hand, 7, "and the future-dated movement is not added to it again");
        // Times given ahead of `now` are taken as `now`.
        assert_eq!(s.count(4, next_year, at(20)), CountOutcome::Applied(-3));
        assert_eq!(s.apply(-1, at(21), at(21), false), -1);
        assert_eq!(s.on_hand, 3);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut s = LocationStock::default();
        for i in 0..10_000 {
            s.apply(1, at(i), at(i), false);
        }
        assert!(s.recent.len() <= MAX_RECENT);
        assert_eq!(s.on_hand, 10_000);
        // A count from before what was forgotten cannot be reconciled.
        assert_eq!(s.count(5, at(100), at(10_001)), CountOutcome::Stale);
        assert_eq!(s.count(5, at(10_000), at(10_001)), CountOutcome::Applied(5 - 10_000));
    }
}
