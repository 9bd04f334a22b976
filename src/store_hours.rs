//! The store's opening hours: when store shoppers can take units off the shelf.
//!
//! Written `HH:MM-HH:MM`, every day, in UTC (the engine has no time zones: `now` is UTC). A
//! closing time before the opening time crosses midnight: a shop open 09:00 to 19:00 in New
//! York in winter is `14:00-00:00`, one open 18:00 to 02:00 UTC is `18:00-02:00`. The buffer
//! ([`crate::buffer`]) reads them to keep units back only for store shoppers who can still come
//! before the next delivery.

use core::fmt;

use crate::time::{DAY, MINUTE};
use crate::{Error, Timestamp};

/// Opening hours, the same every day (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreHours {
    /// Opening, ms after midnight UTC.
    opens: i64,
    /// Closing, ms after midnight UTC (before `opens`: the next day).
    closes: i64,
}

impl StoreHours {
    /// Open from `opens` to `closes`, each minutes after midnight UTC (`0..1440`; `closes` may be
    /// 1440, midnight). Equal times are refused: a store open all day needs no hours.
    pub fn new(opens: u32, closes: u32) -> Result<Self, Error> {
        let bad = || Error::invalid("buffer.store_hours", "times run from 00:00 to 24:00 and open before they close");
        if opens >= 1440 || closes > 1440 || opens == closes % 1440 {
            return Err(bad());
        }
        Ok(StoreHours { opens: i64::from(opens) * MINUTE, closes: i64::from(closes % 1440) * MINUTE })
    }

    /// Reads `HH:MM-HH:MM`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = || Error::invalid("buffer.store_hours", format!("`{s}` is not `HH:MM-HH:MM` (UTC)"));
        let minutes = |t: &str| -> Result<u32, Error> {
            let (h, m) = t.split_once(':').ok_or_else(bad)?;
            let two_digits = |x: &str| x.len() == 2 && x.bytes().all(|b| b.is_ascii_digit());
            if !two_digits(h) || !two_digits(m) {
                return Err(bad());
            }
            let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if m >= 60 || h > 24 || (h == 24 && m > 0) {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let (opens, closes) = s.split_once('-').ok_or_else(bad)?;
        StoreHours::new(minutes(opens)?, minutes(closes)?)
    }

    /// Milliseconds open in one day.
    pub fn open_per_day(&self) -> i64 {
        (self.closes - self.opens).rem_euclid(DAY)
    }

    /// Whether the store is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let t = at.millis().rem_euclid(DAY);
        if self.opens < self.closes {
            (self.opens..self.closes).contains(&t)
        } else {
            t >= self.opens || t < self.closes
        }
    }

    /// Milliseconds the store is open from `from` to `to` (0 when `to` is not after `from`).
    pub fn open_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        let (from, to) = (from.millis(), to.millis());
        if to <= from {
            return 0;
        }
        let len = self.open_per_day();
        let whole_days = (to - from) / DAY;
        let mut total = whole_days * len;
        // What is left is shorter than a day: it meets at most the opening that starts the day
        // before it and the one that starts the day it starts in, and the next one.
        let rest_from = from + whole_days * DAY;
        let first_day = rest_from.div_euclid(DAY) - 1;
        for day in first_day..=first_day + 2 {
            let open = day * DAY + self.opens;
            let overlap = (open + len).min(to) - open.max(rest_from);
            total += overlap.max(0);
        }
        total
    }

    /// The first opening or closing after `at`: when the buffer these hours size next changes
    /// by the clock alone.
    pub fn next_change(&self, at: Timestamp) -> Timestamp {
        let day = at.millis().div_euclid(DAY);
        let t = at.millis().rem_euclid(DAY);
        let next = [self.opens, self.closes, self.opens + DAY, self.closes + DAY]
            .into_iter()
            .filter(|x| *x > t)
            .min()
            .expect("tomorrow's opening is after now");
        Timestamp(day * DAY + next)
    }
}

impl fmt::Display for StoreHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |ms: i64| (ms / (60 * MINUTE), ms / MINUTE % 60);
        let ((oh, om), (ch, cm)) = (hm(self.opens), hm(self.closes));
        // Midnight closes a day that opened after it: `24:00` reads as the end of the day.
        let ch = if ch == 0 && cm == 0 { 24 } else { ch };
        write!(f, "{oh:02}:{om:02}-{ch:02}:{cm:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::HOUR;

    const MONDAY: i64 = 1_793_577_600_000; // 2026-11-02T00:00:00Z

    fn at(h: i64, m: i64) -> Timestamp {
        Timestamp(MONDAY + h * HOUR + m * MINUTE)
    }

    #[test]
    fn reads_and_writes_hours() {
        let h = StoreHours::parse("09:00-19:30").unwrap();
        assert_eq!(h.to_string(), "09:00-19:30");
        assert_eq!(h.open_per_day(), 10 * HOUR + 30 * MINUTE);
        assert_eq!(StoreHours::parse("14:00-24:00").unwrap().to_string(), "14:00-24:00");
        assert_eq!(StoreHours::parse("14:00-00:00").unwrap(), StoreHours::parse("14:00-24:00").unwrap());
        assert_eq!(StoreHours::parse("18:00-02:00").unwrap().open_per_day(), 8 * HOUR);
        for bad in ["", "9:00-19:00", "09:00", "09:00-09:00", "00:00-24:00", "25:00-26:00", "09:60-10:00", "ab:cd-ef:gh"] {
            assert!(StoreHours::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn knows_when_the_store_is_open() {
        let day = StoreHours::parse("09:00-19:00").unwrap();
        assert!(!day.is_open(at(8, 59)) && day.is_open(at(9, 0)) && day.is_open(at(18, 59)) && !day.is_open(at(19, 0)));
        let night = StoreHours::parse("18:00-02:00").unwrap();
        assert!(night.is_open(at(1, 0)) && night.is_open(at(23, 0)) && !night.is_open(at(2, 0)) && !night.is_open(at(12, 0)));
    }

    #[test]
    fn counts_open_time_between_two_instants() {
        let h = StoreHours::parse("09:00-19:00").unwrap();
        assert_eq!(h.open_between(at(20, 0), at(32, 0)), 0, "closed overnight until 08:00 tomorrow");
        assert_eq!(h.open_between(at(17, 0), at(32, 0)), 2 * HOUR, "the rest of today");
        assert_eq!(h.open_between(at(6, 0), at(6 + 3 * 24 + 2, 0)), 30 * HOUR, "three whole days");
        assert_eq!(h.open_between(at(10, 0), at(10, 30)), 30 * MINUTE);
        assert_eq!(h.open_between(at(10, 0), at(9, 0)), 0);
        let night = StoreHours::parse("18:00-02:00").unwrap();
        assert_eq!(night.open_between(at(0, 0), at(24, 0)), 8 * HOUR);
        assert_eq!(night.open_between(at(1, 0), at(19, 0)), 2 * HOUR);
    }

    #[test]
    fn names_the_next_opening_or_closing() {
        let h = StoreHours::parse("09:00-19:00").unwrap();
        assert_eq!(h.next_change(at(8, 0)), at(9, 0));
        assert_eq!(h.next_change(at(9, 0)), at(19, 0));
        assert_eq!(h.next_change(at(20, 0)), at(33, 0));
    }
}
