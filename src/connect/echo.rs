//! **The echo rule**: what a connected store's stock webhook means.
//!
//! When lastunit writes a number into a store, the store tells every subscriber of its stock
//! webhook (Shopify `inventory_levels/update`, WooCommerce `product.updated`), lastunit
//! included. That delivery is an *echo*: it carries nothing lastunit does not know, and it must
//! change nothing. A delivery that carries another number is the store's own change (an online
//! order the store took, or a merchant editing the count in the store's admin). It is never
//! taken as units on the shelf: a connected store's count is a copy of lastunit's number, not a
//! count of the shelf, and the orders that explain real sales arrive separately as orders.
//!
//! What lastunit remembers, per SKU and connection ([`Echoes`]): each number it sent in the last
//! [`ECHO_WINDOW_MS`] (at most [`ECHO_MEMORY`] of them), when it sent it, and the number it last
//! knew the store held (`known`, which Shopify's `changeFromQuantity` compares against). A
//! number is remembered from the moment it is sent, not when the answer arrives, because the
//! webhook may overtake the answer, and an answer that never came may still have been applied.
//!
//! What a delivery of quantity `q` does ([`Echoes::judge`]):
//!
//! | `q` is … | verdict | effect |
//! | --- | --- | --- |
//! | what lastunit last knew the store held | [`Observed::Unchanged`] | nothing (a webhook about another field, or a redelivery) |
//! | a number lastunit sent within the window | [`Observed::Echo`] | nothing; when it is the newest one sent, it confirms that write (`known = q`) |
//! | anything else | [`Observed::StoreChange`] | `known = q`; lastunit writes its own number back, at once when the store shows *more* than lastunit's number (the store could oversell), after [`ORDER_GRACE_MS`] when it shows *less* (the order that explains the drop is probably on its way, and writing back first would hand out units the order already took) |
//!
//! A timeline (Shopify, lastunit's number for the web channel, the store's `available`):
//!
//! ```text
//! t=0     register sale: lastunit 6 → 5; writes 5 (changeFromQuantity 6)      remembered: 5@0
//! t=0.3   Shopify answers ok                                                   known = 5
//! t=0.4   inventory_levels/update available=5     → Echo, ignored
//! t=2     writes 4 after another sale                                          remembered: 5@0, 4@2
//! t=2.5   a late redelivery of available=5 arrives  → Echo (an older write), ignored, known stays 4
//! t=10    an online order in Shopify: the store shows 3
//!         inventory_levels/update available=3     → StoreChange: known = 3; lastunit (4) is more
//!                                                   than the store: wait for the order (grace)
//! t=11    orders/create arrives (helper "in"): a web sale, lastunit 4 → 3   = known: nothing to write
//! t=20    a merchant types 9 in Shopify's admin
//!         inventory_levels/update available=9     → StoreChange: known = 9; the store shows more
//!                                                   than lastunit (3): write 3 now (changeFromQuantity 9)
//! ```
//!
//! Both ways are safe when the memory is wrong: a store change that happens to equal a number
//! lastunit sent is taken for an echo, and the next write's compare-and-set finds the store
//! elsewhere (`CHANGE_FROM_QUANTITY_STALE`), reads the level back and writes again.

use serde::{Deserialize, Serialize};

use crate::time::{MINUTE, SECOND};
use crate::Timestamp;

/// How long a sent number is remembered as a possible echo.
pub const ECHO_WINDOW_MS: i64 = 10 * MINUTE;
/// Most numbers remembered per SKU (a burst is coalesced, so a few writes a minute at most).
pub const ECHO_MEMORY: usize = 8;
/// How long lastunit waits for the order behind a drop in the store before writing a higher
/// number back.
pub const ORDER_GRACE_MS: i64 = 30 * SECOND;

/// One number sent to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// The quantity written.
    pub quantity: i64,
    /// When it was sent.
    pub at: Timestamp,
}

/// What lastunit remembers of its writes of one SKU to one store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Echoes {
    /// The quantity lastunit last knew the store held (`None`: not known yet).
    pub known: Option<i64>,
    /// Numbers sent in the last [`ECHO_WINDOW_MS`], oldest first.
    pub sent: Vec<Sent>,
    /// Until when a number above `known` must not be written (see [`ORDER_GRACE_MS`]).
    pub hold_until: Option<Timestamp>,
}

/// The verdict on one stock webhook of a connected store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// The number lastunit already knew: nothing happened.
    Unchanged,
    /// A number lastunit sent: its own write coming back. Ignored.
    Echo,
    /// The store's own change: `known` takes it, and lastunit's number is written back.
    StoreChange,
}

impl Echoes {
    /// Remembers a number as sent at `now` (forgetting what is past the window or the bound).
    pub fn sending(&mut self, quantity: i64, now: Timestamp) {
        self.forget(now);
        self.sent.push(Sent { quantity, at: now });
        if self.sent.len() > ECHO_MEMORY {
            self.sent.remove(0);
        }
    }

    /// The store confirmed a write of `quantity` (its answer, or its echo).
    pub fn written(&mut self, quantity: i64) {
        self.known = Some(quantity);
    }

    /// Judges a delivery saying the store holds `quantity` at `now`, with lastunit's own
    /// number `wanted`; updates `known` and the hold as the table above says.
    pub fn judge(&mut self, quantity: i64, wanted: Option<i64>, now: Timestamp) -> Observed {
        self.forget(now);
        if self.known == Some(quantity) {
            return Observed::Unchanged;
        }
        if let Some(i) = self.sent.iter().rposition(|s| s.quantity == quantity) {
            if i == self.sent.len() - 1 {
                self.known = Some(quantity);
            }
            return Observed::Echo;
        }
        self.store_holds(quantity, wanted, now);
        Observed::StoreChange
    }

    /// The store holds `quantity` (its own change, or a level read back): `known` takes it, and
    /// when that is less than lastunit's number, raising it back waits out the order grace.
    pub fn store_holds(&mut self, quantity: i64, wanted: Option<i64>, now: Timestamp) {
        self.known = Some(quantity);
        if wanted.is_some_and(|w| w > quantity) {
            self.hold_until = Some(now.plus(ORDER_GRACE_MS));
        }
    }

    /// Whether writing `wanted` now is due: it differs from what the store holds (or that is
    /// unknown), and it is not a raise during a hold.
    pub fn due(&self, wanted: i64, now: Timestamp) -> bool {
        match self.known {
            Some(k) if k == wanted => false,
            Some(k) if wanted > k => self.hold_until.is_none_or(|t| t <= now),
            _ => true,
        }
    }

    fn forget(&mut self, now: Timestamp) {
        self.sent.retain(|s| now.millis() - s.at.millis() < ECHO_WINDOW_MS);
        if self.hold_until.is_some_and(|t| t <= now) {
            self.hold_until = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_795_687_200_000);

    fn at(s: i64) -> Timestamp {
        T0.plus(s * SECOND)
    }

    #[test]
    fn the_timeline_of_the_module_doc() {
        let mut e = Echoes { known: Some(6), ..Default::default() };
        e.sending(5, at(0));
        e.written(5);
        assert_eq!(e.judge(5, Some(5), at(0)), Observed::Unchanged, "the answer came first: known already");
        e.sending(4, at(2));
        assert_eq!(e.judge(4, Some(4), at(2)), Observed::Echo, "the echo overtook the answer");
        assert_eq!(e.known, Some(4), "the newest write's echo confirms it");
        assert_eq!(e.judge(5, Some(4), at(2)), Observed::Echo, "a late echo of an older write");
        assert_eq!(e.known, Some(4), "an older echo confirms nothing");
        // An online order in the store: less than lastunit's number, wait for the order.
        assert_eq!(e.judge(3, Some(4), at(10)), Observed::StoreChange);
        assert_eq!(e.known, Some(3));
        assert!(!e.due(4, at(11)), "raising the store back waits for the order");
        assert!(!e.due(3, at(11)), "the order came: lastunit's number is the store's");
        assert!(e.due(4, at(40)), "no order after the grace: lastunit's number goes back");
        // A merchant types more than lastunit has: written back at once.
        assert_eq!(e.judge(9, Some(3), at(50)), Observed::StoreChange);
        assert_eq!(e.known, Some(9));
        assert!(e.due(3, at(50)));
    }

    #[test]
    fn a_store_change_is_never_an_echo_and_an_echo_never_a_store_change() {
        let mut e = Echoes { known: Some(10), ..Default::default() };
        e.sending(8, at(0));
        e.written(8);
        for (q, verdict) in [(8, Observed::Unchanged), (10, Observed::StoreChange)] {
            let mut copy = e.clone();
            assert_eq!(copy.judge(q, Some(8), at(1)), verdict, "{q}");
        }
        // 10 was the store's own number before the write, never sent by lastunit: a change.
        let mut copy = e.clone();
        assert_eq!(copy.judge(10, Some(8), at(1)), Observed::StoreChange);
        assert!(copy.due(8, at(1)), "more than lastunit in the store: written back at once");
        // A lower number: a change, waited for.
        assert_eq!(e.judge(7, Some(8), at(1)), Observed::StoreChange);
        assert!(!e.due(8, at(1)) && e.due(8, at(1 + ORDER_GRACE_MS / SECOND)));
    }

    #[test]
    fn sent_numbers_are_forgotten_after_the_window_and_beyond_the_bound() {
        let mut e = Echoes::default();
        e.sending(5, at(0));
        let later = T0.plus(ECHO_WINDOW_MS);
        assert_eq!(e.judge(5, Some(5), later), Observed::StoreChange, "too old to be an echo");
        for q in 0..20 {
            e.sending(q, later);
        }
        assert_eq!(e.sent.len(), ECHO_MEMORY);
        assert_eq!(e.sent[0].quantity, 20 - ECHO_MEMORY as i64);
    }

    #[test]
    fn an_unknown_store_level_is_always_due_and_a_lower_number_never_waits() {
        let e = Echoes::default();
        assert!(e.due(0, T0) && e.due(7, T0));
        let mut e = Echoes::default();
        e.store_holds(3, Some(5), T0);
        assert!(!e.due(5, T0), "a raise waits");
        assert!(e.due(2, T0), "lowering the store is never held back: that is what prevents oversells");
    }
}
