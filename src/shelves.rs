//! One SKU's units at every location: sellable on the shelf, and returned units kept off it.
//! Each location's stock and its reconciliation rule are [`LocationStock`]'s; this is the map
//! of them and the few sums the SKU asks for.

use std::collections::BTreeMap;

use crate::stock::{CountOutcome, LocationStock, Sighting};
use crate::{entry, Timestamp};

/// Stock per location. A location with nothing ever moved is not listed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shelves {
    stock: BTreeMap<String, LocationStock>,
}

impl Shelves {
    /// The stock as stored.
    pub fn from_parts(stock: BTreeMap<String, LocationStock>) -> Self {
        Shelves { stock }
    }

    /// Each listed location's stock.
    pub fn locations(&self) -> &BTreeMap<String, LocationStock> {
        &self.stock
    }

    /// Sellable units on hand at `location` (negative when a PoS reported sales not seen yet).
    pub fn on_hand(&self, location: &str) -> i64 {
        self.stock.get(location).map_or(0, |s| s.on_hand)
    }

    /// Returned units kept off the shelf at `location`.
    pub fn unsellable(&self, location: &str) -> i64 {
        self.stock.get(location).map_or(0, |s| s.unsellable)
    }

    /// Sellable units on hand everywhere, a location short of units counting as none.
    pub fn total_on_hand(&self) -> i64 {
        self.stock.values().map(|s| s.on_hand.max(0)).sum()
    }

    /// Moves `units` (signed) on or off the shelf at `location` for an event that happened at
    /// `at`, which the location's PoS learns of as `sighting` says. Returns the change of units on hand and, when an absolute count taken after the
    /// movement already includes it (so it changes nothing), a note saying so for the ledger.
    pub fn shelve(
        &mut self,
        location: &str,
        units: i64,
        at: Timestamp,
        now: Timestamp,
        sighting: Sighting,
    ) -> (i64, Option<String>) {
        let stock = entry(&mut self.stock, location);
        let moved = stock.apply(units, at, now, sighting);
        let note =
            (moved != units).then(|| format!("already in the count of {}", stock.counted_at.unwrap_or_default()));
        (moved, note)
    }

    /// Takes `units` off the shelf at `location` for a sale committed at the edge at `now`,
    /// which a PoS count may not include yet (`sighting`: [`Sighting::Edge`], or
    /// [`Sighting::Told`] when lastunit tells the PoS).
    pub fn sell_at_edge(&mut self, location: &str, units: i64, now: Timestamp, sighting: Sighting) {
        entry(&mut self.stock, location).apply(-units, now, now, sighting);
    }

    /// The PoS acknowledged the movement told under `key` at `location` (see
    /// [`LocationStock::acknowledge`]); returns the change of units on hand.
    pub fn acknowledge(&mut self, location: &str, key: &str, at: Option<Timestamp>, now: Timestamp) -> i64 {
        self.stock.get_mut(location).map_or(0, |s| s.acknowledge(key, at, now))
    }

    /// Keeps `units` returned at `location` off the shelf.
    pub fn set_aside(&mut self, location: &str, units: i64) {
        entry(&mut self.stock, location).unsellable += units;
    }

    /// Applies an absolute count of `location` observed at `at`.
    pub fn count(&mut self, location: &str, quantity: i64, at: Timestamp, now: Timestamp) -> CountOutcome {
        entry(&mut self.stock, location).count(quantity, at, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_what_is_on_the_shelves() {
        let mut s = Shelves::default();
        let t = Timestamp(1_000);
        assert_eq!(s.shelve("main-st", 5, t, t, Sighting::ByPos), (5, None));
        assert_eq!(s.shelve("warehouse", -2, t, t, Sighting::ByPos), (-2, None));
        s.sell_at_edge("main-st", 1, t, Sighting::Edge);
        s.set_aside("main-st", 3);
        assert_eq!((s.on_hand("main-st"), s.on_hand("warehouse"), s.on_hand("kiosk")), (4, -2, 0));
        assert_eq!((s.unsellable("main-st"), s.unsellable("warehouse")), (3, 0));
        assert_eq!(s.total_on_hand(), 4, "a location short of units counts as none");
        assert_eq!(s.locations().len(), 2);
    }

    #[test]
    fn a_movement_the_newest_count_includes_is_noted_not_moved() {
        let mut s = Shelves::default();
        let (before, counted, now) = (Timestamp(1_000), Timestamp(2_000), Timestamp(3_000));
        assert_eq!(s.count("main-st", 7, counted, now), CountOutcome::Applied(7));
        let (moved, note) = s.shelve("main-st", -1, before, now, Sighting::ByPos);
        assert_eq!(moved, 0);
        assert_eq!(note.unwrap(), format!("already in the count of {counted}"));
        assert_eq!(s.on_hand("main-st"), 7);
        assert_eq!(s.count("main-st", 3, before, now), CountOutcome::Stale);
    }
}
