//! How a [`Sku`] holds units for carts: taking a hold across a channel's locations, turning it
//! into a sale, giving it back, expiring it, and moving or bumping holds when the register
//! sells the units they stood on.

use std::collections::BTreeMap;

use super::Sku;
use crate::catalog::MAX_UNITS;
use crate::event::{EventKind, Source};
use crate::incident::OnlineOrder;
use crate::ledger::LedgerEntry;
use crate::names::check_id;
use crate::reservation::{Hold, HoldRequest, HoldState};
use crate::stock::Sighting;
use crate::{Error, Timestamp};

impl Sku {
    /// Re-homes or bumps holds at `location` when its stock fell below what they hold: the
    /// register sells physical units, so a hold on a unit it sold moves to another location of
    /// the hold's channel, or shrinks to nothing (`Bumped`) when none has a free unit.
    pub(super) fn rebalance_holds(&mut self, location: &str, now: Timestamp) {
        let mut excess = self.held_at(location) - self.shelves.on_hand(location).max(0);
        if excess <= 0 {
            return;
        }
        let mut newest_first: Vec<(Timestamp, String)> = self
            .holds
            .active()
            .iter()
            .filter(|h| h.placed.get(location).is_some_and(|q| *q > 0))
            .map(|h| (h.created_at, h.id.clone()))
            .collect();
        newest_first.sort_by(|a, b| b.cmp(a));
        for (_, id) in newest_first {
            if excess <= 0 {
                break;
            }
            let hold = self.holds.active().get(&id).expect("listed above");
            let here = hold.placed[location];
            let others: Vec<String> = self
                .topology
                .channel(&hold.channel)
                .map(|l| l.to_vec())
                .unwrap_or_default()
                .into_iter()
                .filter(|l| l != location)
                .collect();
            let mut to_move = here.min(excess);
            let mut moves = Vec::new();
            for other in others {
                let take = to_move.min(self.free_at(&other));
                if take > 0 {
                    moves.push((other, take));
                    to_move -= take;
                }
            }
            if to_move > 0 {
                // Not enough elsewhere: the hold is broken and gives up everything it holds.
                excess -= here;
                self.settle(&id, HoldState::Bumped, now);
            } else {
                for (other, take) in moves {
                    self.holds.move_units(&id, location, &other, take);
                    self.pending.holds.insert(id.clone());
                    excess -= take;
                }
            }
        }
    }

    // ---- reservations ------------------------------------------------------------------------

    /// Holds units for a cart. All or nothing; the same id again returns the same hold.
    pub fn reserve(&mut self, req: &HoldRequest, now: Timestamp) -> Result<Hold, Error> {
        if let Some(h) = self.hold(&req.id) {
            return Ok(h.clone());
        }
        check_id("reservation_id", &req.id)?;
        check_id("cart_id", &req.cart_id)?;
        if let Some(client) = &req.client {
            check_id("client", client)?;
        }
        if req.quantity <= 0 || req.quantity > i64::from(MAX_UNITS) {
            return Err(Error::invalid("quantity", format!("must be a whole number from 1 to {MAX_UNITS}")));
        }
        if req.expires_at <= now {
            return Err(Error::invalid("expires_at", "must be in the future"));
        }
        let locations = self.topology.channel(&req.channel)?.to_vec();
        self.expire(now);
        let max = i64::from(self.config.max_per_cart);
        if self.holds.active().in_cart(&req.cart_id) + req.quantity > max {
            return Err(Error::OverCartLimit { sku: self.sku.clone(), max_per_cart: self.config.max_per_cart });
        }
        // A public page's shopper chooses their own cart ids: the cap also spans all their carts.
        if let Some(client) = &req.client {
            if self.holds.active().of_client(client) + req.quantity > max {
                return Err(Error::OverClientLimit { sku: self.sku.clone(), max_per_cart: self.config.max_per_cart });
            }
        }
        let available = self.available(&req.channel)?;
        if available < req.quantity {
            return Err(Error::InsufficientStock { sku: self.sku.clone(), available });
        }
        let mut placed = BTreeMap::new();
        let mut left = req.quantity;
        for l in &locations {
            let take = left.min(self.free_at(l));
            if take > 0 {
                placed.insert(l.clone(), take);
                left -= take;
            }
        }
        debug_assert_eq!(left, 0, "available never exceeds the free units of the channel's locations");
        let hold = Hold {
            id: req.id.clone(),
            cart_id: req.cart_id.clone(),
            client: req.client.clone(),
            channel: req.channel.clone(),
            quantity: req.quantity,
            expires_at: req.expires_at,
            created_at: now,
            state: HoldState::Active,
            placed,
            settled_at: now,
        };
        self.holds.take(hold.clone());
        self.pending.holds.insert(hold.id.clone());
        self.touch(now);
        Ok(hold)
    }

    /// Turns a live hold into a sale on its channel. The same commit again answers the same.
    pub fn commit(&mut self, id: &str, order_id: &str, now: Timestamp) -> Result<Hold, Error> {
        check_id("order_id", order_id)?;
        self.expire(now);
        let hold = self.hold(id).ok_or_else(|| Error::UnknownReservation(id.to_string()))?.clone();
        match &hold.state {
            HoldState::Committed { .. } => return Ok(hold),
            HoldState::Expired => return Err(Error::ReservationExpired(id.to_string())),
            HoldState::Released => return Err(Error::ReservationReleased(id.to_string())),
            HoldState::Bumped => {
                let available = self.available(&hold.channel).unwrap_or(0);
                return Err(Error::InsufficientStock { sku: self.sku.clone(), available });
            }
            HoldState::Active => {}
        }
        let source = Source { provider: "edge".into(), event_id: order_id.to_string() };
        for (loc, units) in &hold.placed {
            let sighting = self.tell_square(&source, loc, -units, Sighting::Edge, now);
            self.shelves.sell_at_edge(loc, *units, now, sighting);
            self.version += 1;
            let mut entry = LedgerEntry::new(EventKind::Sale, &self.sku, loc, source.clone(), now, now);
            entry.version = self.version;
            entry.quantity = -units;
            entry.on_hand_after = self.shelves.on_hand(loc);
            entry.channel = Some(hold.channel.clone());
            entry.reason = Some(format!("reservation {id}"));
            self.pending.ledger.push(entry);
            let order =
                OnlineOrder { order_id: order_id.to_string(), channel: hold.channel.clone(), units: *units, committed_at: now };
            self.incidents.order_committed(loc, order);
        }
        self.allocation_left.sold(&hold.channel, hold.quantity);
        self.sales.sold(&hold.channel, hold.quantity, now, now);
        let committed = self.settle(id, HoldState::Committed { order_id: order_id.to_string() }, now);
        self.recompute_buffer(now);
        self.touch(now);
        self.sales.close(self.shelves.total_on_hand(), now);
        Ok(committed)
    }

    /// Gives held units back. Releasing a released, expired or bumped hold is a no-op.
    pub fn release(&mut self, id: &str, now: Timestamp) -> Result<Hold, Error> {
        self.expire(now);
        let h = self.hold(id).ok_or_else(|| Error::UnknownReservation(id.to_string()))?;
        match h.state {
            HoldState::Committed { .. } => Err(Error::ReservationCommitted(id.to_string())),
            HoldState::Active => {
                let h = self.settle(id, HoldState::Released, now);
                self.touch(now);
                Ok(h)
            }
            _ => Ok(h.clone()),
        }
    }

    /// A hold by id (active or recently settled).
    pub fn hold(&self, id: &str) -> Option<&Hold> {
        self.holds.get(id)
    }

    /// Expires every active hold whose time has come; returns how many.
    pub fn expire(&mut self, now: Timestamp) -> usize {
        let due = self.holds.active().due(now);
        for (at, id) in &due {
            self.settle(id, HoldState::Expired, *at);
        }
        if !due.is_empty() {
            self.touch(now);
        }
        due.len()
    }

    /// Settles an active hold, and records its row for storing.
    fn settle(&mut self, id: &str, state: HoldState, now: Timestamp) -> Hold {
        let h = self.holds.settle(id, state, now);
        self.pending.holds.insert(h.id.clone());
        h
    }

    /// The next moment the SKU changes on its own (a hold expiring), for the caller's alarm.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.holds.active().next_expiry()
    }
}
