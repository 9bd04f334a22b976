//! The five ways of keeping the online channels in step with the shop.

use lastunit::time::{DAY, HOUR, MINUTE};

/// How the online channels learn of stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    DailySync,
    HourlySync,
    Poll15,
    Push,
    Lastunit,
}

impl Policy {
    pub const ALL: [Policy; 5] =
        [Policy::DailySync, Policy::HourlySync, Policy::Poll15, Policy::Push, Policy::Lastunit];

    pub fn label(self) -> &'static str {
        match self {
            Policy::DailySync => "daily batch sync",
            Policy::HourlySync => "hourly batch sync",
            Policy::Poll15 => "15-minute polling",
            Policy::Push => "push, no buffers or holds",
            Policy::Lastunit => "lastunit (push + buffers + holds)",
        }
    }

    /// The label under the chart's bars.
    pub fn short(self) -> &'static str {
        match self {
            Policy::DailySync => "daily sync",
            Policy::HourlySync => "hourly sync",
            Policy::Poll15 => "15-min poll",
            Policy::Push => "push",
            Policy::Lastunit => "lastunit",
        }
    }

    /// Batch policies: how often the channels' counts are copied from the shop's.
    pub fn sync_every(self) -> Option<i64> {
        match self {
            Policy::DailySync => Some(DAY),
            Policy::HourlySync => Some(HOUR),
            Policy::Poll15 => Some(15 * MINUTE),
            _ => None,
        }
    }
}
