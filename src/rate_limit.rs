//! How often one client may act: at most `limit` actions in any sliding window of
//! `window_ms` (the public storefront key: reservations a minute per shopper's address).
//!
//! A log of the admitted actions' times, never longer than `limit`, so the answer is exact (no
//! burst of twice the limit across a fixed window's edge) and a refusal says exactly when the
//! next action will be admitted. Refused actions are not logged: a client that keeps trying is
//! admitted again as soon as its oldest admitted action leaves the window.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The admitted actions of one client, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlidingWindow {
    admitted: VecDeque<Timestamp>,
}

/// A refused action: the client may try again after `retry_after_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    /// Milliseconds until the oldest admitted action leaves the window (at least 1).
    pub retry_after_ms: i64,
}

impl Limited {
    /// `Retry-After` in whole seconds, rounded up so a client that waits that long is admitted.
    pub fn retry_after_seconds(&self) -> i64 {
        (self.retry_after_ms + 999) / 1000
    }
}

impl SlidingWindow {
    /// Admits an action at `now` when fewer than `limit` were admitted in the `window_ms` before
    /// it, and logs it; otherwise refuses and changes nothing but forgetting what left the window.
    pub fn admit(&mut self, now: Timestamp, limit: u32, window_ms: i64) -> Result<(), Limited> {
        self.forget_before(now, window_ms);
        let limit = limit as usize;
        if self.admitted.len() >= limit {
            // A lowered limit may leave more logged than it allows: wait for enough to leave.
            let oldest_to_leave = self.admitted[self.admitted.len() - limit];
            let retry_after_ms = (oldest_to_leave.millis() + window_ms - now.millis()).max(1);
            return Err(Limited { retry_after_ms });
        }
        self.admitted.push_back(now);
        Ok(())
    }

    /// When the log will be empty (nothing left to remember), if it holds anything.
    pub fn idle_at(&self, window_ms: i64) -> Option<Timestamp> {
        self.admitted.back().map(|t| t.plus(window_ms))
    }

    fn forget_before(&mut self, now: Timestamp, window_ms: i64) {
        while self.admitted.front().is_some_and(|t| t.millis() + window_ms <= now.millis()) {
            self.admitted.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    #[test]
    fn admits_the_limit_in_any_minute_and_says_when_the_next_is_admitted() {
        let mut w = SlidingWindow::default();
        for i in 0..3 {
            assert_eq!(w.admit(Timestamp(i * 1_000), 3, MINUTE), Ok(()));
        }
        let refused = w.admit(Timestamp(10_000), 3, MINUTE).unwrap_err();
        assert_eq!(refused, Limited { retry_after_ms: 50_000 });
        assert_eq!(refused.retry_after_seconds(), 50);
        // Refusals are not logged: the first slot frees when the first admitted action is a minute old.
        assert!(w.admit(Timestamp(59_999), 3, MINUTE).is_err());
        assert_eq!(w.admit(Timestamp(60_000), 3, MINUTE), Ok(()));
        assert!(w.admit(Timestamp(60_500), 3, MINUTE).is_err());
        assert_eq!(w.idle_at(MINUTE), Some(Timestamp(120_000)));
    }

    #[test]
    fn a_lowered_limit_waits_until_enough_have_left() {
        let mut w = SlidingWindow::default();
        for i in 0..4 {
            w.admit(Timestamp(i * 1_000), 10, MINUTE).unwrap();
        }
        // Limit now 2: all but the newest must leave; the one taken at 2 s leaves at 62 s.
        assert_eq!(w.admit(Timestamp(5_000), 2, MINUTE), Err(Limited { retry_after_ms: 57_000 }));
        assert_eq!(w.admit(Timestamp(62_000), 2, MINUTE), Ok(()));
    }

    #[test]
    fn a_sub_second_wait_is_still_one_second_of_retry_after() {
        let mut w = SlidingWindow::default();
        w.admit(Timestamp(0), 1, MINUTE).unwrap();
        assert_eq!(w.admit(Timestamp(59_999), 1, MINUTE).unwrap_err().retry_after_seconds(), 1);
    }
}
