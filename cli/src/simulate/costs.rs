//! What each failure costs the shop, in whole currency units, and the total of an outcome.
//!
//! The defaults (`--oversell-cost 25 --lost-sale-cost 5 --stockout-cost 8`): a cancellation at
//! five times one sale's margin, a lost online sale at one margin, a store stockout (the visit,
//! not the unit, which sold online) above one margin; `docs/SIMULATION.md` says why at length
//! (the words are in [`super::report`]).

use super::sim::Outcome;

/// Cost per event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Costs {
    pub oversell: u32,
    pub lost_sale: u32,
    pub store_stockout: u32,
}

impl Default for Costs {
    fn default() -> Self {
        Costs { oversell: 25, lost_sale: 5, store_stockout: 8 }
    }
}

impl Costs {
    /// What `o` cost the shop.
    pub fn total(&self, o: &Outcome) -> u64 {
        o.oversells * u64::from(self.oversell)
            + o.lost_online * u64::from(self.lost_sale)
            + o.store_stockouts * u64::from(self.store_stockout)
    }
}
