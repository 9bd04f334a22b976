//! How a [`Sku`] notices oversells: after a movement that takes a location deeper below zero,
//! it opens (or grows) an incident naming the online orders that stock can no longer fill
//! ([`crate::incident`]); and how incidents are closed and rebuilt from storage.

use std::collections::BTreeMap;

use super::Sku;
use crate::incident::{FillFrom, Incident, Incidents, OnlineOrder, Shortfall};
use crate::event::EventKind;
use crate::ledger::LedgerEntry;
use crate::{Error, Timestamp};

impl Sku {
    /// Opens or adds to an oversell incident when a movement took `location` deeper below zero.
    pub(super) fn check_shortfall(
        &mut self,
        location: &str,
        before: i64,
        pos_sale: bool,
        movement: &str,
        now: Timestamp,
    ) {
        let after = self.shelves.on_hand(location);
        if after >= 0 || after >= before {
            return;
        }
        let free: BTreeMap<String, Vec<FillFrom>> = self
            .topology
            .channels
            .iter()
            .map(|(c, locs)| {
                (c.clone(), locs.iter().map(|l| FillFrom { location: l.clone(), free: self.free_at(l) }).collect())
            })
            .collect();
        let m = Shortfall { sku: &self.sku, location, before, after, pos_sale, movement: movement.to_string(), now };
        if let Some(i) = self.incidents.after_movement(m, |c| free.get(c).cloned().unwrap_or_default()) {
            self.pending.incidents.retain(|p| p.id != i.id);
            self.pending.incidents.push(i);
        }
    }

    /// Open oversell incidents, newest first.
    pub fn open_incidents(&self) -> Vec<&Incident> {
        self.incidents.open()
    }

    /// Closes an open incident (its row is in the next change set); unknown or already closed
    /// ids are refused and change nothing.
    pub fn close_incident(&mut self, id: &str, now: Timestamp) -> Result<Incident, Error> {
        let closed = self.incidents.close(id, now).ok_or_else(|| Error::UnknownIncident(id.to_string()))?;
        self.pending.incidents.retain(|p| p.id != closed.id);
        self.pending.incidents.push(closed.clone());
        // The summary changes (the catalog lists open incidents), so the version rises.
        self.touch(now);
        Ok(closed)
    }

    /// Gives back what storage keeps of incidents: the incident rows, and the ledger's recent
    /// sales (oldest first), whose online ones are the orders a later shortfall may name.
    pub fn restore_incidents(&mut self, rows: Vec<Incident>, recent_sales: &[LedgerEntry]) {
        let orders = recent_sales
            .iter()
            .filter(|e| e.kind == EventKind::Sale && e.quantity < 0)
            .filter_map(|e| {
                let order = OnlineOrder {
                    order_id: e.source.event_id.clone(),
                    channel: e.channel.clone()?,
                    units: -e.quantity,
                    committed_at: e.occurred_at,
                };
                Some((e.location.clone(), order))
            })
            .collect();
        self.incidents = Incidents::restore(rows, orders);
    }
}
