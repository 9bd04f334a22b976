//! How a [`Sku`] tells Square of the sales and returns it did not make ([`crate::connect::square_out`]):
//! which movements go into its outbox, the batch its alarm sends, and what Square's answer does
//! to stock (the reconciliation rule's acknowledgements, [`crate::stock`]).

use super::Sku;
use crate::connect::square_out::{Adjustment, Answer, Batch, OutboxStatus};
use crate::event::{EventKind, Source};
use crate::ledger::LedgerEntry;
use crate::stock::Sighting;
use crate::Timestamp;

impl Sku {
    /// How the location's PoS learns of a sale (`units < 0`) or restocked return (`units > 0`)
    /// at `location` from `source`: Square is told of it when the layout writes to Square at
    /// that location, the SKU has a Square id and the movement did not come from Square; then
    /// it waits in the outbox and is [`Sighting::Told`]. Otherwise it is `otherwise`.
    pub(super) fn tell_square(
        &mut self,
        source: &Source,
        location: &str,
        units: i64,
        otherwise: Sighting,
        now: Timestamp,
    ) -> Sighting {
        let targets = (self.topology.square_locations.get(location), self.config.pos_refs.get("square"));
        let (Some(location_id), Some(object)) = targets else { return otherwise };
        if source.provider == "square" || units == 0 {
            return otherwise;
        }
        let key = format!("{}@{location}", source.key());
        let adjustment = Adjustment {
            key: key.clone(),
            location: location.to_string(),
            location_id: location_id.clone(),
            catalog_object_id: object.clone(),
            sold: units < 0,
            quantity: units.abs(),
            reference_id: source.key(),
            alone: false,
        };
        if let Some(dropped) = self.square.push(adjustment) {
            // Square will never hear of it: it is an edge movement like any other.
            self.shelves.acknowledge(&dropped.location, &dropped.key, None, now);
        }
        Sighting::Told(key)
    }

    /// After a layout change: what is owed to Square at a location it no longer counts (its
    /// connection stopped writing, or the location lost its Square id) is given up, and those
    /// movements fall back to the edge rule.
    pub(super) fn stop_telling_square_where_it_no_longer_counts(&mut self, now: Timestamp) {
        let counted = &self.topology.square_locations;
        let dropped = self.square.give_up_where(|a| counted.get(&a.location) != Some(&a.location_id));
        for a in dropped {
            self.shelves.acknowledge(&a.location, &a.key, None, now);
        }
    }

    /// The batch the alarm sends to Square now, if one is due. A batch leaving for the first
    /// time is frozen in the snapshot (the caller stores it before sending), so a retry after
    /// a restart sends the same batch under the same key.
    pub fn square_due(&mut self, now: Timestamp) -> Option<Batch> {
        let before = self.square.clone();
        let batch = self.square.due(now);
        if self.square != before {
            self.pending.snapshot = true;
        }
        batch
    }

    /// Square's answer to the batch `key`: each adjustment it accepted is acknowledged as of
    /// Square's own time (a count already applied from that time on had it, so the unit it took
    /// off is given back, in a `count` ledger entry), a refused one falls back to the edge
    /// rule, and a failure is retried later.
    pub fn square_settled(&mut self, key: &str, answer: Answer, now: Timestamp) {
        let settled = self.square.settle(key, answer, now);
        let mut moved = false;
        for (location, movement, at) in settled.acks {
            let delta = self.shelves.acknowledge(&location, &movement, at, now);
            if delta == 0 {
                continue;
            }
            moved = true;
            self.version += 1;
            let source = Source { provider: "square".into(), event_id: format!("ack:{key}") };
            let mut entry = LedgerEntry::new(EventKind::Count, &self.sku, &location, source, now, now);
            entry.version = self.version;
            entry.quantity = delta;
            entry.on_hand_after = self.shelves.on_hand(&location);
            entry.note(&format!("Square confirmed {movement}, which its count had already taken off"));
            self.pending.ledger.push(entry);
            self.rebalance_holds(&location, now);
        }
        if moved {
            self.recompute_buffer(now);
        }
        // A new version either way: the summary the catalog keeps carries the outbox's status.
        self.touch(now);
    }

    /// When the alarm should next send to Square, if anything is owed.
    pub fn square_next_attempt(&self) -> Option<Timestamp> {
        self.square.next_attempt()
    }

    /// What an operator reads of this SKU's writes to Square.
    pub fn square_status(&self) -> OutboxStatus {
        self.square.status()
    }
}
