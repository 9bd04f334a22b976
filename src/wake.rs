//! When a SKU object's alarm next has work. One alarm per SKU does everything that runs on a
//! clock or waits on the network: it expires holds, recalibrates the buffer, sends the summary to
//! the catalog, pushes to subscribers, reports to connected stores and tells Square. [`Wake`]
//! gathers when each of those is next due and [`Wake::next`] answers the earliest.

use crate::time::HOUR;
use crate::Timestamp;

/// Delay after a change before the alarm runs, so a burst of changes shares one summary push.
pub const SETTLE_MS: i64 = 200;
/// Wait before trying again after a summary push or an alert failed (they have no backoff of
/// their own: the catalog is ours, and an alert must not wait for the next change).
pub const RETRY_SOON_MS: i64 = 5_000;
/// How often the buffer is recalibrated.
pub const RECALIBRATE_EVERY_MS: i64 = HOUR;
/// The soonest an alarm is set after now: never in the past, never a busy loop.
pub const MIN_DELAY_MS: i64 = 50;

/// Whether the buffer is due a recalibration at `now`: an hour after the last one, or once the
/// clock passed `changes_at`, when the buffer changes by the clock alone (the store opening or
/// closing: [`crate::Sku::buffer_changes_at`] the last recalibration).
pub fn recalibration_due(recalibrated_at: Timestamp, changes_at: Option<Timestamp>, now: Timestamp) -> bool {
    now.millis() - recalibrated_at.millis() >= RECALIBRATE_EVERY_MS || changes_at.is_some_and(|t| now >= t)
}

/// What the alarm has pending, each `None` (or `false`) when there is nothing of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    /// When the buffer was last recalibrated.
    pub recalibrated_at: Timestamp,
    /// When the buffer next changes by the clock alone (the store opening or closing).
    pub buffer_changes_at: Option<Timestamp>,
    /// The first active hold to expire.
    pub hold_expiry: Option<Timestamp>,
    /// A change not yet sent to the catalog.
    pub summary_unsent: bool,
    /// When a batch for Square is next to be sent.
    pub square: Option<Timestamp>,
    /// The first subscriber push waiting out its backoff.
    pub push_retry: Option<Timestamp>,
    /// The first report to a connected store's writer waiting out its backoff.
    pub report_retry: Option<Timestamp>,
    /// When the alarm run in which the summary push or an alert failed started.
    pub failed_at: Option<Timestamp>,
}

impl Wake {
    /// The earliest moment any of it is due, and never sooner than [`MIN_DELAY_MS`] after `now`.
    pub fn next(&self, now: Timestamp) -> Timestamp {
        let soon = [
            Some(self.recalibrated_at.plus(RECALIBRATE_EVERY_MS)),
            self.buffer_changes_at,
            self.hold_expiry,
            self.summary_unsent.then(|| now.plus(SETTLE_MS)),
            self.square,
            self.push_retry,
            self.report_retry,
            self.failed_at.map(|t| t.plus(RETRY_SOON_MS)),
        ];
        let next = soon.into_iter().flatten().min().expect("the recalibration is always there");
        next.max(now.plus(MIN_DELAY_MS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp(1_795_687_200_000);

    fn idle() -> Wake {
        Wake {
            recalibrated_at: T,
            buffer_changes_at: None,
            hold_expiry: None,
            summary_unsent: false,
            square: None,
            push_retry: None,
            report_retry: None,
            failed_at: None,
        }
    }

    #[test]
    fn with_nothing_pending_the_alarm_wakes_for_the_hourly_recalibration() {
        assert_eq!(idle().next(T.plus(10)), T.plus(HOUR));
        assert!(!recalibration_due(T, None, T.plus(HOUR - 1)));
        assert!(recalibration_due(T, None, T.plus(HOUR)));
    }

    #[test]
    fn the_store_opening_or_closing_recalibrates_on_time() {
        let closes = T.plus(20 * 60_000);
        let w = Wake { buffer_changes_at: Some(closes), ..idle() };
        assert_eq!(w.next(T.plus(10)), closes, "before the hourly recalibration");
        assert!(!recalibration_due(T, Some(closes), closes.plus(-1)));
        assert!(recalibration_due(T, Some(closes), closes));
    }

    #[test]
    fn the_earliest_pending_work_wins() {
        let now = T.plus(1_000);
        let w = Wake { hold_expiry: Some(T.plus(900_000)), push_retry: Some(T.plus(4_000)), ..idle() };
        assert_eq!(w.next(now), T.plus(4_000), "a push retry before the hold expiry");
        let w = Wake { report_retry: Some(T.plus(2_000)), ..w };
        assert_eq!(w.next(now), T.plus(2_000));
        let w = Wake { square: Some(T.plus(1_500)), ..w };
        assert_eq!(w.next(now), T.plus(1_500));
        let w = Wake { summary_unsent: true, ..w };
        assert_eq!(w.next(now), now.plus(SETTLE_MS), "an unsent change settles, then goes");
    }

    #[test]
    fn a_failed_summary_or_alert_is_retried_soon_not_after_the_next_change() {
        let started = T.plus(1_000);
        let w = Wake { hold_expiry: Some(T.plus(900_000)), failed_at: Some(started), ..idle() };
        assert_eq!(w.next(started.plus(300)), started.plus(RETRY_SOON_MS));
    }

    #[test]
    fn an_alarm_is_never_set_in_the_past() {
        let now = T.plus(10_000);
        let w = Wake { hold_expiry: Some(T.plus(1)), ..idle() };
        assert_eq!(w.next(now), now.plus(MIN_DELAY_MS), "an overdue expiry runs at once, not in the past");
    }
}
