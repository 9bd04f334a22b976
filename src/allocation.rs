//! Units dedicated to named channels (`"allocation": {"web": 5, "marketplace": 2}`), and the one
//! rule for what each channel has left of its share:
//!
//! - every sale on an allocated channel uses up its share, whichever way it arrives (an edge
//!   commit, or a PoS or generic `sale` event naming the channel, as marketplace sales usually do);
//! - a restocked return of a unit bought on an allocated channel (its `origin_channel`) gives the
//!   unit back to that share, never beyond the configured size;
//! - a share never goes below 0: a sale beyond it (reported by a PoS that sold what the edge did
//!   not offer) came from the shared pool;
//! - a new allocation (a `PUT` that changes it) starts every share afresh.
//!
//! A channel that is not named draws on what the shares leave: the shelf, less what every named
//! channel still has left and does not hold in carts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What each allocated channel has left of its share, by channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Allocations {
    left: BTreeMap<String, i64>,
}

/// The configured shares, as `SkuConfig::allocation` holds them.
pub type Shares = BTreeMap<String, u32>;

impl Allocations {
    /// Every share full, as configured (`None`: one shared pool).
    pub fn start(shares: Option<&Shares>) -> Self {
        Allocations { left: shares.iter().flat_map(|s| s.iter()).map(|(c, u)| (c.clone(), i64::from(*u))).collect() }
    }

    /// Units `channel` has left of its share, or `None` when it has no share.
    pub fn left(&self, channel: &str) -> Option<i64> {
        self.left.get(channel).copied()
    }

    /// `units` sold on `channel`: they come out of its share, if it has one.
    pub fn sold(&mut self, channel: &str, units: i64) {
        if let Some(left) = self.left.get_mut(channel) {
            *left = (*left - units).max(0);
        }
    }

    /// `units` bought on `origin_channel` came back onto the shelf: they go back to its share,
    /// up to the size `shares` gives it.
    pub fn restocked(&mut self, origin_channel: &str, units: i64, shares: Option<&Shares>) {
        let size = shares.and_then(|s| s.get(origin_channel)).map_or(0, |u| i64::from(*u));
        if let Some(left) = self.left.get_mut(origin_channel) {
            *left = (*left + units).min(size);
        }
    }

    /// Units `channel` may sell, given the `pool` of free units at its locations, the `buffer` in
    /// force for it, and `held_on`, the units each channel holds in carts. A channel with a share
    /// sells what its share has left beyond its own holds (the buffer protects the shared pool,
    /// not a dedicated share); another sells the pool less what the shares still keep and the
    /// buffer. Never below 0.
    pub fn available(&self, channel: &str, pool: i64, buffer: i64, held_on: impl Fn(&str) -> i64) -> i64 {
        let available = match self.left(channel) {
            Some(left) => (left - held_on(channel)).min(pool),
            None => {
                let kept: i64 = self.left.iter().map(|(c, left)| (left - held_on(c)).max(0)).sum();
                pool - kept - buffer
            }
        };
        available.max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares() -> Shares {
        [("web".to_string(), 5), ("marketplace".to_string(), 2)].into_iter().collect()
    }

    #[test]
    fn sales_use_up_a_share_and_restocked_returns_give_it_back_up_to_its_size() {
        let s = shares();
        let mut a = Allocations::start(Some(&s));
        a.sold("marketplace", 1);
        assert_eq!(a.left("marketplace"), Some(1));
        a.sold("marketplace", 3);
        assert_eq!(a.left("marketplace"), Some(0), "never below 0");
        a.restocked("marketplace", 1, Some(&s));
        assert_eq!(a.left("marketplace"), Some(1));
        a.restocked("marketplace", 5, Some(&s));
        assert_eq!(a.left("marketplace"), Some(2), "never beyond the configured size");
        a.sold("store", 4);
        a.restocked("store", 4, Some(&s));
        assert_eq!(a, Allocations { left: [("marketplace".into(), 2), ("web".into(), 5)].into() });
    }

    #[test]
    fn a_shared_channel_sells_what_the_shares_leave() {
        let s = shares();
        let mut a = Allocations::start(Some(&s));
        let none = |_: &str| 0;
        assert_eq!(a.available("web", 10, 1, none), 5, "a share is not buffered");
        assert_eq!(a.available("web", 3, 1, none), 3, "nor more than the shelf");
        assert_eq!(a.available("store", 10, 1, none), 10 - 7 - 1);
        a.sold("web", 5);
        assert_eq!(a.available("store", 10, 1, none), 10 - 2 - 1);
        let web_holds_one = |c: &str| i64::from(c == "marketplace");
        assert_eq!(a.available("marketplace", 10, 0, web_holds_one), 1);
        assert_eq!(a.available("store", 4, 0, web_holds_one), 4 - 1, "held units are off the pool already");
        assert_eq!(Allocations::start(None).available("web", 4, 5, none), 0);
    }
}
