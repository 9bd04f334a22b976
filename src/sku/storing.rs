//! How a [`Sku`] is handed over for storing and rebuilt from what was stored: the snapshot, the
//! change set of everything since the last hand-over, and the way back.

use super::Sku;
use crate::buffer::BufferModel;
use crate::changes::{ChangeSet, Pending, SeenKey};
use crate::dedupe::SeenEvents;
use crate::holds::Holds;
use crate::incident::Incidents;
use crate::replenishment::Replenishment;
use crate::reservation::Hold;
use crate::sales_history::SalesHistory;
use crate::shelves::Shelves;
use crate::stored::{StoredSku, FORMAT};

impl Sku {
    /// Everything changed since the last call, to store in one atomic step. A refused call
    /// adds nothing; holds expiring on the way to a refusal are changes like any other.
    pub fn take_changes(&mut self) -> ChangeSet {
        let pending = std::mem::take(&mut self.pending);
        ChangeSet {
            snapshot: pending.snapshot.then(|| self.stored()),
            holds: pending.holds.iter().filter_map(|id| self.hold(id).cloned()).collect(),
            ledger: pending.ledger,
            seen: pending.seen,
            incidents: pending.incidents,
        }
    }

    /// The snapshot as stored now.
    pub fn stored(&self) -> StoredSku {
        // Every field is named, so a field added to `Sku` must be placed here (or said to live
        // elsewhere) before this compiles: nothing is left out of storage by accident.
        let Sku {
            sku,
            config,
            topology,
            shelves,
            replenishment,
            holds: _,
            allocation_left,
            buffer_in_force,
            sales,
            version,
            updated_at,
            seen: _,
            model: _,
            square,
            incidents: _,
            pending: _,
        } = self;
        StoredSku {
            format: FORMAT,
            sku: sku.clone(),
            config: config.clone(),
            topology: topology.clone(),
            stock: shelves.locations().clone(),
            transit: replenishment.in_transit().to_vec(),
            allocation_left: allocation_left.clone(),
            buffer_in_force: *buffer_in_force,
            velocity: sales.velocity().clone(),
            returns: sales.returns().clone(),
            incoming: replenishment.incoming().to_vec(),
            history: sales.days().cloned().collect(),
            version: *version,
            updated_at: *updated_at,
            square: square.clone(),
        }
    }

    /// The SKU as stored: its snapshot, its hold rows (any order) and its applied event keys.
    /// Settled holds past their time and keys past retention are forgotten on the way in.
    pub fn restore(stored: StoredSku, holds: Vec<Hold>, seen: Vec<SeenKey>) -> Sku {
        let StoredSku {
            format: _,
            sku,
            config,
            topology,
            stock,
            transit,
            allocation_left,
            buffer_in_force,
            velocity,
            returns,
            incoming,
            history,
            version,
            updated_at,
            square,
        } = stored;
        let mut seen = seen;
        seen.sort_by_key(|k| k.at);
        let mut applied = SeenEvents::default();
        for k in seen {
            applied.insert(k.key, k.at);
        }
        Sku {
            sku,
            config,
            topology,
            shelves: Shelves::from_parts(stock),
            replenishment: Replenishment::from_parts(incoming, transit),
            holds: Holds::restore(holds),
            allocation_left,
            buffer_in_force,
            sales: SalesHistory::from_parts(velocity, returns, history),
            version,
            updated_at,
            seen: applied,
            model: BufferModel::default(),
            square,
            incidents: Incidents::default(),
            pending: Pending::default(),
        }
    }
}
