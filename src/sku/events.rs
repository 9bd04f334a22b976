//! How a [`Sku`] applies stock events: what each movement does to the shelves, the sales
//! history, the allocations and the replenishment, and the ledger entry it writes.

use super::{Applied, Sku};
use crate::changes::SeenKey;
use crate::event::{Movement, StockEvent};
use crate::incident::OnlineOrder;
use crate::ledger::LedgerEntry;
use crate::replenishment::Transit;
use crate::stock::{CountOutcome, Sighting};
use crate::{Error, Timestamp};

impl Sku {
    /// Applies one checked event. Duplicates and stale counts change nothing; an event naming
    /// an unknown location or channel is refused and changes nothing. The event is taken as
    /// having happened at `min(occurred_at, now)`: nothing happened after the moment we hear of
    /// it, and a time ahead of the clock must not outrank what really comes later (see
    /// [`crate::event`], "Event times").
    pub fn apply(&mut self, event: &StockEvent, now: Timestamp) -> Result<Applied, Error> {
        let key = event.source.key();
        if event.sku == self.sku && self.seen.contains(&key) {
            return Ok(Applied::Duplicate);
        }
        self.check_event(event)?;
        if let Some(sale) = event.undoes.as_ref().filter(|sale| !self.seen.contains(sale)) {
            // It gives back a sale that was never applied here: nothing moves, and that sale,
            // should it still arrive, is given back already.
            for k in [key, sale.clone()] {
                self.seen.insert(k.clone(), now);
                self.pending.seen.push(SeenKey { key: k, at: now });
            }
            return Ok(Applied::Stale);
        }
        // An order from a connected store is a sale (or return) the register has not seen; and
        // one Square is told of is unseen by Square until it acknowledges it.
        let seen = if event.online { Sighting::Edge } else { Sighting::ByPos };
        let at = event.occurred_at.min(now);
        let loc = event.location.clone();
        let before = self.shelves.on_hand(&loc);
        let mut entry = LedgerEntry::new(event.movement.kind(), &self.sku, &loc, event.source.clone(), at, now);
        match &event.movement {
            Movement::Sale { channel, quantity } => {
                entry.channel = Some(channel.clone());
                let sighting = self.tell_square(&event.source, &loc, -quantity, seen, now);
                entry.quantity = self.shelve(&loc, -quantity, at, now, sighting, &mut entry);
                self.sales.sold(channel, *quantity, at, now);
                self.allocation_left.sold(channel, *quantity);
                let order = OnlineOrder {
                    order_id: event.source.event_id.clone(),
                    channel: channel.clone(),
                    units: -entry.quantity,
                    committed_at: at,
                };
                self.incidents.order_committed(&loc, order);
            }
            Movement::Return { channel, origin_channel, quantity, reason, restock } => {
                entry.channel = Some(channel.clone());
                entry.origin_channel = Some(origin_channel.clone());
                entry.reason = Some(reason.clone());
                if *restock {
                    let sighting = self.tell_square(&event.source, &loc, *quantity, seen, now);
                    entry.quantity = self.shelve(&loc, *quantity, at, now, sighting, &mut entry);
                    self.allocation_left.restocked(origin_channel, *quantity, self.config.allocation.as_ref());
                } else {
                    self.shelves.set_aside(&loc, *quantity);
                }
                self.sales.returned(origin_channel, *quantity, reason);
            }
            Movement::Receive { quantity, po_id, transfer_id } => {
                entry.reason = self.replenishment.receive(&loc, *quantity, po_id.as_deref(), transfer_id.as_deref());
                entry.quantity = self.shelve(&loc, *quantity, at, now, Sighting::ByPos, &mut entry);
                self.sales.received(*quantity, now);
            }
            Movement::Adjust { quantity, reason } => {
                entry.reason = Some(reason.clone());
                entry.quantity = self.shelve(&loc, *quantity, at, now, Sighting::ByPos, &mut entry);
            }
            Movement::Transfer { to_location, quantity } => {
                entry.reason = Some(format!("{quantity} in transit to {to_location}"));
                entry.quantity = self.shelve(&loc, -quantity, at, now, Sighting::ByPos, &mut entry);
                self.replenishment.send(Transit {
                    transfer_id: event.source.event_id.clone(),
                    from: loc.clone(),
                    to: to_location.clone(),
                    quantity: *quantity,
                    sent_at: at,
                });
            }
            Movement::Waste { quantity, reason } => {
                entry.reason = Some(reason.clone());
                entry.quantity = self.shelve(&loc, -quantity, at, now, Sighting::ByPos, &mut entry);
            }
            Movement::Count { quantity } => match self.shelves.count(&loc, *quantity, at, now) {
                CountOutcome::Stale => return Ok(Applied::Stale),
                CountOutcome::Echo => {
                    self.seen.insert(key.clone(), now);
                    self.pending.seen.push(SeenKey { key, at: now });
                    self.pending.snapshot = true;
                    return Ok(Applied::Echo);
                }
                CountOutcome::Applied(delta) => entry.quantity = delta,
            },
        }
        self.seen.insert(key.clone(), now);
        // A register's sale (not an order from a connected store) may take units sold online.
        let pos_sale = matches!(event.movement, Movement::Sale { .. }) && !event.online;
        self.check_shortfall(&loc, before, pos_sale, &key, now);
        self.pending.seen.push(SeenKey { key, at: now });
        self.rebalance_holds(&loc, now);
        self.recompute_buffer(now);
        self.touch(now);
        entry.version = self.version;
        entry.on_hand_after = self.shelves.on_hand(&loc);
        self.sales.close(self.shelves.total_on_hand(), now);
        self.pending.ledger.push(entry.clone());
        Ok(Applied::Applied(entry))
    }

    /// Applies a batch all or nothing: every event is checked against the catalog first, so a
    /// refused batch changes nothing and an accepted one cannot fail half way.
    pub fn apply_all(&mut self, events: &[StockEvent], now: Timestamp) -> Result<Vec<Applied>, Error> {
        for e in events {
            self.check_event(e)?;
        }
        events.iter().map(|e| self.apply(e, now)).collect()
    }

    /// Whether `apply` would accept the event (it may still be a duplicate or stale): a dry run
    /// for a batch that spans several SKUs, so none is applied unless all would be.
    pub fn check_event(&self, event: &StockEvent) -> Result<(), Error> {
        if event.sku != self.sku {
            return Err(Error::UnknownSku(event.sku.clone()));
        }
        self.require_location(&event.location)?;
        match &event.movement {
            Movement::Sale { channel, .. } => self.require_channel(channel),
            Movement::Return { channel, origin_channel, .. } => {
                self.require_channel(channel)?;
                self.require_channel(origin_channel)
            }
            Movement::Transfer { to_location, .. } => self.require_location(to_location),
            _ => Ok(()),
        }
    }

    /// Whether an event key was applied within the retention window.
    pub fn has_seen(&self, key: &str) -> bool {
        self.seen.contains(key)
    }

    /// Moves units on or off the shelf at `location`; returns the change of on-hand units, which
    /// is 0 for a movement that an absolute count taken after it already includes (the entry
    /// notes it).
    fn shelve(
        &mut self,
        location: &str,
        units: i64,
        at: Timestamp,
        now: Timestamp,
        sighting: Sighting,
        entry: &mut LedgerEntry,
    ) -> i64 {
        let (moved, note) = self.shelves.shelve(location, units, at, now, sighting);
        if let Some(note) = note {
            entry.note(&note);
        }
        moved
    }
}
