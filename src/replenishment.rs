//! Stock on its way to a SKU's shelves: open purchase-order lines and transfers in transit. A
//! receiving closes what it names; a line or transfer it does not find never refuses it (the
//! units are physically there), the ledger notes it instead.

use serde::{Deserialize, Serialize};

use crate::catalog::{Topology, MAX_UNITS};
use crate::forecast::IncomingLine;
use crate::names::check_id;
use crate::{Error, Timestamp};

/// Most open purchase-order lines per SKU: a line closes only when its units arrive, and the
/// snapshot carrying them is rewritten on every change.
pub const MAX_OPEN_LINES: usize = 100;
/// Most transfers remembered in transit per SKU; past it the oldest is forgotten (its units left
/// their shelf when it was sent, so stock is unchanged; only the in-transit note goes).
pub const MAX_IN_TRANSIT: usize = 100;

/// Units leaving one location for another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transit {
    /// The transfer's event id.
    pub transfer_id: String,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Units still on the way.
    pub quantity: i64,
    /// When they left.
    pub sent_at: Timestamp,
}

/// One SKU's open purchase-order lines (soonest first) and transfers in transit (oldest first).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replenishment {
    incoming: Vec<IncomingLine>,
    transit: Vec<Transit>,
}

impl Replenishment {
    /// The lines and transfers as stored.
    pub fn from_parts(incoming: Vec<IncomingLine>, transit: Vec<Transit>) -> Self {
        Replenishment { incoming, transit }
    }

    /// Open purchase-order lines, soonest first.
    pub fn incoming(&self) -> &[IncomingLine] {
        &self.incoming
    }

    /// Transfers in transit, oldest first.
    pub fn in_transit(&self) -> &[Transit] {
        &self.transit
    }

    /// Adds a purchase-order line of `sku` at one of `topology`'s locations, or replaces the open
    /// line of the same order at the same location.
    pub fn expect(&mut self, sku: &str, topology: &Topology, line: IncomingLine) -> Result<(), Error> {
        check_id("po_id", &line.po_id)?;
        if !topology.has_location(&line.location) {
            return Err(Error::UnknownLocation(line.location));
        }
        if line.quantity <= 0 || line.quantity > i64::from(MAX_UNITS) {
            return Err(Error::invalid("quantity", format!("must be a whole number from 1 to {MAX_UNITS}")));
        }
        let same = |l: &IncomingLine| l.po_id == line.po_id && l.location == line.location;
        let replaces = self.incoming.iter().any(same);
        if !replaces && self.incoming.len() >= MAX_OPEN_LINES {
            return Err(Error::invalid(
                "lines",
                format!("`{sku}` already has {MAX_OPEN_LINES} open purchase-order lines"),
            ));
        }
        self.incoming.retain(|l| !same(l));
        self.incoming.push(line);
        self.incoming.sort_by_key(|l| l.expected_at);
        Ok(())
    }

    /// Notes units sent on their way, forgetting the oldest transfer past [`MAX_IN_TRANSIT`].
    pub fn send(&mut self, transit: Transit) {
        if self.transit.len() >= MAX_IN_TRANSIT {
            self.transit.remove(0);
        }
        self.transit.push(transit);
    }

    /// Closes what a receiving of `units` at `location` names: the purchase order's open lines
    /// there, or the transfer's units on their way there. Returns a note for the ledger when it
    /// names something that is not open.
    pub fn receive(
        &mut self,
        location: &str,
        units: i64,
        po_id: Option<&str>,
        transfer_id: Option<&str>,
    ) -> Option<String> {
        if let Some(po) = po_id {
            let mut left = units;
            for line in self.incoming.iter_mut().filter(|l| l.po_id == po && l.location == location) {
                let take = left.min(line.quantity);
                line.quantity -= take;
                left -= take;
            }
            self.incoming.retain(|l| l.quantity > 0);
            return (left == units).then(|| format!("no open line of {po} at {location}"));
        }
        if let Some(t) = transfer_id {
            let Some(tr) = self.transit.iter_mut().find(|tr| tr.transfer_id == t && tr.to == location) else {
                return Some(format!("no transfer {t} in transit to {location}"));
            };
            tr.quantity -= units.min(tr.quantity);
            self.transit.retain(|tr| tr.quantity > 0);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(po: &str, location: &str, quantity: i64, day: i64) -> IncomingLine {
        IncomingLine {
            po_id: po.into(),
            location: location.into(),
            quantity,
            expected_at: Timestamp(day * crate::time::DAY),
        }
    }

    fn shop() -> Topology {
        let mut t = Topology::default();
        t.put_location("warehouse").unwrap();
        t.put_location("main-st").unwrap();
        t
    }

    fn transfer(id: &str, to: &str, quantity: i64) -> Transit {
        Transit { transfer_id: id.into(), from: "warehouse".into(), to: to.into(), quantity, sent_at: Timestamp(0) }
    }

    #[test]
    fn lines_are_soonest_first_and_the_same_order_and_place_replaces() {
        let mut r = Replenishment::default();
        r.expect("A", &shop(), line("po-2", "warehouse", 5, 9)).unwrap();
        r.expect("A", &shop(), line("po-1", "warehouse", 3, 4)).unwrap();
        r.expect("A", &shop(), line("po-1", "main-st", 2, 6)).unwrap();
        r.expect("A", &shop(), line("po-2", "warehouse", 7, 2)).unwrap();
        let open: Vec<_> = r.incoming().iter().map(|l| (l.po_id.as_str(), l.location.as_str(), l.quantity)).collect();
        assert_eq!(open, [("po-2", "warehouse", 7), ("po-1", "warehouse", 3), ("po-1", "main-st", 2)]);
        for bad in
            [line("po-3", "warehouse", 0, 1), line("po-3", "warehouse", 1_000_001, 1), line("", "warehouse", 1, 1)]
        {
            assert!(matches!(r.expect("A", &shop(), bad), Err(Error::InvalidInput { .. })));
        }
        assert_eq!(r.expect("A", &shop(), line("po-3", "moon", 1, 1)), Err(Error::UnknownLocation("moon".into())));
        assert_eq!(r.incoming().len(), 3, "a refused line changes nothing");
    }

    #[test]
    fn past_the_open_line_limit_only_replacing_makes_room() {
        let mut r = Replenishment::default();
        for i in 0..MAX_OPEN_LINES {
            r.expect("A", &shop(), line(&format!("po-{i}"), "warehouse", 1, 1)).unwrap();
        }
        assert!(matches!(
            r.expect("A", &shop(), line("po-new", "warehouse", 1, 1)),
            Err(Error::InvalidInput { field: "lines", .. })
        ));
        r.expect("A", &shop(), line("po-0", "warehouse", 9, 1)).unwrap();
        assert_eq!(r.receive("warehouse", 9, Some("po-0"), None), None);
        r.expect("A", &shop(), line("po-new", "warehouse", 1, 1)).unwrap();
        assert_eq!(r.incoming().len(), MAX_OPEN_LINES);
    }

    #[test]
    fn a_receiving_closes_what_it_names_and_notes_what_is_not_open() {
        let mut r = Replenishment::default();
        r.expect("A", &shop(), line("po-1", "warehouse", 10, 1)).unwrap();
        assert_eq!(r.receive("warehouse", 4, Some("po-1"), None), None);
        assert_eq!(r.incoming()[0].quantity, 6);
        assert_eq!(r.receive("main-st", 4, Some("po-1"), None).as_deref(), Some("no open line of po-1 at main-st"));
        assert_eq!(r.receive("warehouse", 8, Some("po-1"), None), None, "more than ordered closes the line");
        assert!(r.incoming().is_empty());

        r.send(transfer("t-1", "main-st", 3));
        assert_eq!(r.receive("main-st", 1, None, Some("t-1")), None);
        assert_eq!(r.in_transit()[0].quantity, 2);
        assert_eq!(r.receive("kiosk", 2, None, Some("t-1")).as_deref(), Some("no transfer t-1 in transit to kiosk"));
        assert_eq!(r.receive("main-st", 5, None, Some("t-1")), None);
        assert!(r.in_transit().is_empty());
        assert_eq!(r.receive("main-st", 5, None, None), None, "a plain receiving names nothing");
    }

    #[test]
    fn past_the_transit_limit_the_oldest_transfer_is_forgotten() {
        let mut r = Replenishment::default();
        for i in 0..=MAX_IN_TRANSIT {
            r.send(transfer(&format!("t-{i}"), "main-st", 1));
        }
        assert_eq!(r.in_transit().len(), MAX_IN_TRANSIT);
        assert_eq!(r.in_transit()[0].transfer_id, "t-1");
    }
}
