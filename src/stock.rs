//! Units on hand at one location, and how an absolute PoS count is reconciled with what the
//! edge already knows.
//!
//! ## The reconciliation rule
//! A count `C` observed at time `t` describes the shelf at `t`. The location's stock becomes
//!
//! ```text
//! C + (every movement we applied that happened after t)
//!   + (movements before t that the PoS had not seen at t)
//! ```
//!
//! Which movements the PoS had not seen at `t` depends on how it learns of them ([`Sighting`]):
//! - one it reported itself (or a physical fact it counts): every count after it includes it;
//! - a sale at the edge or online that nobody tells the PoS of: it may be missing from counts
//!   for [`CATCH_UP_MS`] after it happened;
//! - one lastunit is writing to the PoS (Square's `ADJUSTMENT`): missing from every count until
//!   the PoS acknowledges it, and from then on included in every count it observes. The
//!   acknowledgement carries the PoS's own time `A` (the `created_at` Square's answer gives the
//!   adjustment), so a count observed at `t >= A` has it, and one at `t < A` does not,
//!   whatever order the answer and the counts arrive in. When a count at `t >= A` was applied
//!   before the acknowledgement arrived, it took the movement off as unseen: the acknowledgement
//!   gives it back ([`LocationStock::acknowledge`]).
//!
//! Example (CATCH_UP = 15 min), 5 units at main-st, whose PoS nobody writes to:
//! ```text
//! 10:00:00  web checkout commits 1 unit at the edge          on hand 4
//! 10:00:30  the register sells 1; the PoS's count (t=10:00:30)
//!           says 4, because it has not yet seen the web order
//!           arrives: 4 - 1 (edge sale 30 s before t)          on hand 3  (not resurrected)
//! 10:20:00  the PoS's next count (t=10:20, web order synced) says 3:
//!           the edge sale is 20 min before t, no longer taken off    on hand 3
//! ```
//!
//! The same with Square connected, which lastunit tells of the web order:
//! ```text
//! 10:00:00  web checkout commits 1 unit (told to Square)     on hand 4
//! 10:00:30  the register sells 1; Square's count (t=10:00:30)
//!           says 4: 4 - 1 (still being told)                  on hand 3
//! 10:00:31  Square accepts the adjustment, created at A=10:00:31   on hand 3
//! 10:00:32  Square's inventory.count.updated (t=10:00:31) says 3:
//!           t >= A, so it has the web order: 3 + 0            on hand 3  (not counted twice)
//! ```
//! That count is the echo of lastunit's own write: it changes nothing and is counted `ignored`
//! ([`CountOutcome::Echo`]). Had it arrived before Square's answer, it would have read 3 - 1 = 2 for a moment, and
//! the answer (A = 10:00:31 <= t) gives the unit back: 3. Had Square been down for an hour, every
//! count of that hour would still take the web order off, where a fixed window would have
//! resurrected it after 15 minutes.
//!
//! And the other way round: a count observed at 09:59:50 that arrives after the 10:00:00 edge
//! sale is `C - 1` as well, since the sale happened after `t`. A count older than the newest
//! count applied here is ignored, and so is the on-hand effect of a movement the PoS reported
//! that happened before the newest count but arrives after it (the count already includes it;
//! its sale still counts for velocity and returns). Edge and online movements always count: the
//! PoS cannot have them before lastunit does. So any delivery order ends in the same stock. If
//! a PoS nobody writes to had in fact seen an edge sale inside the window, the stock reads one
//! low until the next count: the rule errs toward hiding a unit, never toward selling one twice.
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

/// How the location's PoS learns of a movement, which decides what later counts include.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sighting {
    /// The PoS reported it (or counts it on the shelf): a count taken after it includes it.
    ByPos,
    /// A sale at the edge or online that nobody tells the PoS of: counts may miss it for
    /// [`CATCH_UP_MS`].
    Edge,
    /// lastunit is writing it to the PoS under this key: no count has it until
    /// [`LocationStock::acknowledge`].
    Told(String),
}

/// One applied change of on-hand units, remembered to reconcile later counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Movement {
    #[serde(rename = "t")]
    at: Timestamp,
    #[serde(rename = "q")]
    units: i64,
    /// Happened at the edge or online: the PoS learns of it later, if at all.
    #[serde(rename = "e", default, skip_serializing_if = "std::ops::Not::not")]
    edge_sale: bool,
    /// Being written to the PoS under this key, not acknowledged yet.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    told: Option<String>,
    /// The PoS's time from which its counts include it.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    acked_at: Option<Timestamp>,
}

impl Movement {
    /// Whether a count observed at `t` (not before the movement) lacks it.
    fn unseen_at(&self, t: Timestamp) -> bool {
        match (&self.told, self.acked_at) {
            (_, Some(a)) => t < a,
            (Some(_), None) => true,
            (None, None) => self.edge_sale && self.at.plus(CATCH_UP_MS) > t,
        }
    }
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
    /// The PoS's count after an adjustment lastunit wrote to it, which it now acknowledges
    /// having and which changes nothing: applied (it is the newest count) but counted
    /// `ignored`, like every echo of lastunit's own writes.
    Echo,
}

impl LocationStock {
    /// Applies a movement of `units` (signed) that happened at `at`; returns the change of
    /// units on hand. A movement the PoS reported from before the newest count reaches us late
    /// (retries and reordering do that): the count already includes it, so it changes nothing.
    /// At the same instant as the count, arrival order decides (a batch without times is in
    /// order). Edge and told movements always count; whether a count includes them is the
    /// rule's business.
    pub fn apply(&mut self, units: i64, at: Timestamp, now: Timestamp, sighting: Sighting) -> i64 {
        self.bring_times_to(now);
        let at = at.min(now);
        if sighting == Sighting::ByPos && self.counted_at.is_some_and(|c| at < c) {
            return 0;
        }
        self.on_hand += units;
        let (edge_sale, told) = match sighting {
            Sighting::ByPos => (false, None),
            Sighting::Edge => (true, None),
            Sighting::Told(key) => (true, Some(key)),
        };
        self.recent.push_back(Movement { at, units, edge_sale, told, acked_at: None });
        self.prune(now);
        units
    }

    /// The PoS acknowledged the movement told under `key`: its counts observed from `at` (its
    /// own clock) on include it. A count applied here at or after `at` already included it, yet
    /// took it off as unseen, so it is given back. `at: None`: the PoS refused it for good, and
    /// it is an edge movement like any other. Returns the change of units on hand; a key no
    /// longer remembered changes nothing.
    pub fn acknowledge(&mut self, key: &str, at: Option<Timestamp>, now: Timestamp) -> i64 {
        self.bring_times_to(now);
        let Some(i) = self.recent.iter().position(|m| m.told.as_deref() == Some(key)) else { return 0 };
        let counted_at = self.counted_at;
        let m = &mut self.recent[i];
        m.told = None;
        let Some(acked) = at else { return 0 };
        // Nothing has it before it happened, nor after the moment we hear it is had.
        let acked = acked.min(now).max(m.at);
        if counted_at.is_some_and(|c| c >= acked) {
            let units = m.units;
            self.recent.remove(i);
            self.on_hand -= units;
            return -units;
        }
        m.acked_at = Some(acked);
        0
    }

    /// Applies an absolute count `count` observed at `at` under the reconciliation rule.
    pub fn count(&mut self, count: i64, at: Timestamp, now: Timestamp) -> CountOutcome {
        self.bring_times_to(now);
        let at = at.min(now);
        if self.counted_at.is_some_and(|c| at < c) || self.forgotten_through.is_some_and(|f| at < f) {
            return CountOutcome::Stale;
        }
        let after: i64 = self.recent.iter().filter(|m| m.at > at).map(|m| m.units).sum();
        let unseen: i64 = self.recent.iter().filter(|m| m.at <= at && m.unseen_at(at)).map(|m| m.units).sum();
        let before = self.on_hand;
        self.on_hand = count + after + unseen;
        self.counted_at = Some(at);
        let echoes = self.recent.iter().any(|m| m.at <= at && m.acked_at.is_some_and(|a| a <= at));
        // What happened before the count is in it, except what the PoS had not seen.
        self.recent.retain(|m| m.at > at || m.unseen_at(at));
        self.prune(now);
        match self.on_hand - before {
            0 if echoes => CountOutcome::Echo,
            delta => CountOutcome::Applied(delta),
        }
    }

    /// Remembered times after `now` become `now` (see "No time from the future" above). A
    /// no-op for state this release wrote, where every time is at most its call's `now`.
    fn bring_times_to(&mut self, now: Timestamp) {
        for t in self.counted_at.iter_mut().chain(self.forgotten_through.iter_mut()) {
            *t = (*t).min(now);
        }
        for m in &mut self.recent {
            m.at = m.at.min(now);
            if let Some(a) = &mut m.acked_at {
                *a = (*a).min(now);
            }
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
        s.apply(-1, at(0), at(0), Sighting::Edge); // web order at the edge
        s.apply(-1, at(30), at(30), Sighting::ByPos); // register sale, reported as an event
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
        s.apply(-1, at(0), at(0), Sighting::Edge);
        s.count(5, at(-10), at(5));
        assert_eq!(s.on_hand, 4, "the sale happened after the count was taken");
    }

    #[test]
    fn a_movement_delivered_after_a_count_that_includes_it_changes_nothing() {
        let mut s = LocationStock::default();
        s.count(5, at(0), at(0));
        s.count(4, at(20), at(20)); // the register sale at 10 s is in this count
        assert_eq!(s.apply(-1, at(10), at(25), Sighting::ByPos), 0);
        assert_eq!(s.on_hand, 4);
        assert_eq!(s.apply(-1, at(30), at(31), Sighting::ByPos), -1, "a later sale still counts");
        assert_eq!(s.on_hand, 3);
        // Same instant: what arrives after the count comes after it.
        s.count(3, at(40), at(40));
        assert_eq!(s.apply(-1, at(40), at(40), Sighting::ByPos), -1);
        assert_eq!(s.on_hand, 2);
    }

    /// The module doc's second timeline: a web order told to Square, then Square's counts.
    fn told_web_order() -> LocationStock {
        let mut s = LocationStock::default();
        s.count(5, at(-60), at(-60));
        s.apply(-1, at(0), at(0), Sighting::Told("sq-1".into()));
        s.apply(-1, at(30), at(30), Sighting::ByPos); // the register sale
        assert_eq!(s.count(4, at(30), at(30)), CountOutcome::Applied(0), "Square has not got it yet");
        assert_eq!(s.on_hand, 3);
        s
    }

    #[test]
    fn a_count_after_square_acknowledged_the_adjustment_does_not_take_the_sale_again() {
        // The answer first, then the count it triggers.
        let mut s = told_web_order();
        assert_eq!(s.acknowledge("sq-1", Some(at(31)), at(31)), 0);
        assert_eq!(s.count(3, at(31), at(32)), CountOutcome::Echo, "an echo of lastunit's write");
        assert_eq!(s.on_hand, 3, "not counted twice");
        assert_eq!(s.count(3, at(33), at(33)), CountOutcome::Applied(0), "the next one is a count like any other");
        // The count first (it took the sale off as unseen), then the answer: the unit comes back.
        let mut s = told_web_order();
        assert_eq!(s.count(3, at(31), at(31)), CountOutcome::Applied(-1));
        assert_eq!(s.on_hand, 2);
        assert_eq!(s.acknowledge("sq-1", Some(at(31)), at(32)), 1);
        assert_eq!(s.on_hand, 3);
        assert_eq!(s.acknowledge("sq-1", Some(at(31)), at(33)), 0, "a second answer changes nothing");
        assert_eq!(s.on_hand, 3);
    }

    #[test]
    fn a_count_from_before_the_acknowledgement_still_lacks_the_sale() {
        for ack_first in [true, false] {
            let mut s = told_web_order();
            let ack = |s: &mut LocationStock| s.acknowledge("sq-1", Some(at(40)), at(41));
            if ack_first {
                ack(&mut s);
            }
            // Observed at 10:00:35, before Square applied the adjustment at 10:00:40.
            assert_eq!(s.count(4, at(35), at(42)), CountOutcome::Applied(0));
            if !ack_first {
                assert_eq!(ack(&mut s), 0, "that count had taken it off rightly");
            }
            assert_eq!(s.on_hand, 3, "ack first: {ack_first}");
            s.count(3, at(45), at(45));
            assert_eq!(s.on_hand, 3, "and the count that has it, neither");
        }
    }

    #[test]
    fn a_told_movement_stays_unseen_past_the_window_until_acknowledged() {
        let mut s = told_web_order();
        // Square is down for an hour; the register's counts keep lacking the web order.
        assert_eq!(s.count(4, at(3600), at(3600)), CountOutcome::Applied(0));
        assert_eq!(s.on_hand, 3, "a fixed window would have resurrected it");
        s.acknowledge("sq-1", Some(at(3700)), at(3700));
        s.count(3, at(3701), at(3701));
        assert_eq!(s.on_hand, 3);
        // A restocked return told the same way: unseen until acknowledged, and it counts even
        // when it arrives after a later count.
        s.apply(1, at(3650), at(3710), Sighting::Told("sq-2".into()));
        assert_eq!(s.on_hand, 4);
        s.count(3, at(3720), at(3720));
        assert_eq!(s.on_hand, 4);
        s.acknowledge("sq-2", Some(at(3730)), at(3730));
        s.count(4, at(3731), at(3731));
        assert_eq!(s.on_hand, 4);
    }

    #[test]
    fn a_refused_movement_falls_back_to_the_edge_window() {
        let mut s = told_web_order();
        assert_eq!(s.acknowledge("sq-1", None, at(40)), 0);
        assert_eq!(s.count(4, at(60), at(60)), CountOutcome::Applied(0), "within the window: still unseen");
        assert_eq!(s.count(4, at(20 * 60), at(20 * 60)), CountOutcome::Applied(1), "past it: the count rules");
        assert_eq!(s.acknowledge("unknown", Some(at(0)), at(20 * 60)), 0);
    }

    #[test]
    fn movements_stored_before_acknowledgements_read_unchanged() {
        let old: LocationStock = serde_json::from_str(
            r#"{"on_hand":4,"counted_at":null,"recent":[{"t":"2026-11-26T10:00:00Z","q":-1,"e":true}]}"#,
        )
        .unwrap();
        let mut s = old.clone();
        s.count(5, at(10), at(10));
        assert_eq!(s.on_hand, 4, "an edge sale of 10 s before the count");
        let text = serde_json::to_string(&old).unwrap();
        assert!(!text.contains("\"k\"") && !text.contains("\"a\""), "{text}");
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
        s.recent.push_back(Movement { at: next_year, units: -1, edge_sale: false, told: None, acked_at: None });
        s.forgotten_through = Some(next_year);
        for i in 1..=3 {
            assert_eq!(s.apply(-1, at(i), at(i), Sighting::ByPos), -1, "sale {i} of today changes stock");
        }
        assert_eq!(s.on_hand, 2);
        assert_eq!(s.count(7, at(10), at(10)), CountOutcome::Applied(5), "a current count is not stale");
        assert_eq!(s.on_hand, 7, "and the future-dated movement is not added to it again");
        // Times given ahead of `now` are taken as `now`.
        assert_eq!(s.count(4, next_year, at(20)), CountOutcome::Applied(-3));
        assert_eq!(s.apply(-1, at(21), at(21), Sighting::ByPos), -1);
        assert_eq!(s.on_hand, 3);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut s = LocationStock::default();
        for i in 0..10_000 {
            s.apply(1, at(i), at(i), Sighting::ByPos);
        }
        assert!(s.recent.len() <= MAX_RECENT);
        assert_eq!(s.on_hand, 10_000);
        // A count from before what was forgotten cannot be reconciled.
        assert_eq!(s.count(5, at(100), at(10_001)), CountOutcome::Stale);
        assert_eq!(s.count(5, at(10_000), at(10_001)), CountOutcome::Applied(5 - 10_000));
    }
}
