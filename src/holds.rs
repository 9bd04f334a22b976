//! One SKU's holds: the active ones ([`ActiveHolds`], indexed) and those settled lately
//! (committed, released, expired, bumped), remembered so that a retried commit or release gets
//! the same answer. Which holds to take, move or settle is the [`Sku`](crate::Sku)'s decision.

use std::collections::{BTreeMap, VecDeque};

use crate::reservation::{ActiveHolds, Hold, HoldState};
use crate::time::HOUR;
use crate::Timestamp;

/// Settled holds are remembered this long (unless more than [`SETTLED_KEPT`] settle sooner),
/// so a retried commit or release gets the same answer.
pub const SETTLED_KEPT_MS: i64 = 24 * HOUR;
/// At most this many settled holds are remembered; the oldest go first.
pub const SETTLED_KEPT: usize = 1_000;

/// Active and recently settled holds. Every hold is a stored row of its own.
#[derive(Clone, Debug, Default)]
pub struct Holds {
    active: ActiveHolds,
    settled: BTreeMap<String, Hold>,
    /// Settled ids, oldest first, to forget them in O(1).
    settled_order: VecDeque<String>,
}

impl Holds {
    /// The holds as stored, in any order. Settled holds past their time are forgotten.
    pub fn restore(holds: Vec<Hold>) -> Self {
        let mut book = Holds::default();
        let (active, mut settled): (Vec<Hold>, Vec<Hold>) = holds.into_iter().partition(Hold::is_active);
        for h in active {
            book.active.insert(h);
        }
        settled.sort_by(|a, b| (a.settled_at, &a.id).cmp(&(b.settled_at, &b.id)));
        for h in settled {
            let at = h.settled_at;
            book.remember_settled(h, at);
        }
        book
    }

    /// The active holds.
    pub fn active(&self) -> &ActiveHolds {
        &self.active
    }

    /// A hold by id, active or recently settled.
    pub fn get(&self, id: &str) -> Option<&Hold> {
        self.active.get(id).or_else(|| self.settled.get(id))
    }

    /// Takes an active hold.
    pub fn take(&mut self, hold: Hold) {
        debug_assert!(hold.is_active());
        self.active.insert(hold);
    }

    /// Moves `units` of an active hold from one location to another.
    pub fn move_units(&mut self, id: &str, from: &str, to: &str, units: i64) {
        self.active.move_units(id, from, to, units);
    }

    /// Settles an active hold in `state` at `now`, forgetting the oldest settled past
    /// [`SETTLED_KEPT_MS`] or [`SETTLED_KEPT`]; returns it as settled.
    ///
    /// # Panics
    /// When no active hold has this id: the caller settles only holds it found active.
    pub fn settle(&mut self, id: &str, state: HoldState, now: Timestamp) -> Hold {
        let mut h = self.active.remove(id).expect("settling an active hold");
        h.state = state;
        h.settled_at = now;
        self.remember_settled(h.clone(), now);
        h
    }

    fn remember_settled(&mut self, hold: Hold, now: Timestamp) {
        if self.settled.insert(hold.id.clone(), hold.clone()).is_none() {
            self.settled_order.push_back(hold.id);
        }
        let cutoff = now.plus(-SETTLED_KEPT_MS);
        while let Some(oldest) = self.settled_order.front() {
            let stale = self.settled.get(oldest).is_none_or(|h| h.settled_at < cutoff);
            if !stale && self.settled_order.len() <= SETTLED_KEPT {
                break;
            }
            if let Some(old) = self.settled_order.pop_front() {
                self.settled.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(id: &str, state: HoldState, settled_at: Timestamp) -> Hold {
        Hold {
            id: id.into(),
            cart_id: "c".into(),
            client: None,
            channel: "web".into(),
            quantity: 1,
            expires_at: Timestamp(600_000),
            created_at: Timestamp(0),
            state,
            placed: BTreeMap::from([("main-st".to_string(), 1)]),
            settled_at,
        }
    }

    #[test]
    fn a_settled_hold_answers_until_a_day_has_passed() {
        let mut h = Holds::default();
        h.take(hold("a", HoldState::Active, Timestamp(0)));
        h.take(hold("b", HoldState::Active, Timestamp(0)));
        let settled = h.settle("a", HoldState::Released, Timestamp(1_000));
        assert_eq!((&settled.state, settled.settled_at), (&HoldState::Released, Timestamp(1_000)));
        assert_eq!(h.get("a"), Some(&settled));
        assert_eq!(h.active().total(), 1);
        h.settle("b", HoldState::Expired, Timestamp(1_000 + SETTLED_KEPT_MS + 1));
        assert!(h.get("a").is_none(), "forgotten a day after it settled");
        assert!(h.get("b").is_some());
    }

    #[test]
    fn at_most_so_many_settled_holds_are_kept_oldest_forgotten_first() {
        let mut h = Holds::default();
        for i in 0..=SETTLED_KEPT {
            let id = format!("h{i}");
            h.take(hold(&id, HoldState::Active, Timestamp(0)));
            h.settle(&id, HoldState::Released, Timestamp(i as i64));
        }
        assert!(h.get("h0").is_none());
        assert!(h.get("h1").is_some() && h.get(&format!("h{SETTLED_KEPT}")).is_some());
    }

    #[test]
    fn restores_active_and_settled_rows_in_any_order() {
        let now = Timestamp(10 * SETTLED_KEPT_MS);
        let rows = vec![
            hold("old", HoldState::Released, Timestamp(0)),
            hold("live", HoldState::Active, Timestamp(0)),
            hold("done", HoldState::Committed { order_id: "o".into() }, now),
        ];
        let h = Holds::restore(rows);
        assert_eq!(h.active().len(), 1);
        assert!(h.get("live").unwrap().is_active());
        assert!(h.get("done").is_some());
        assert!(h.get("old").is_none(), "settled long before the newest: forgotten on the way in");
    }
}
