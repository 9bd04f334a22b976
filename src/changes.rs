//! What a SKU's changes ask to be stored, as one value.
//!
//! Every mutation of a [`Sku`](crate::Sku) (events, reservations, commits, releases, expiry,
//! configuration, purchase orders, recalibration) records what it changed. The caller takes it
//! with [`Sku::take_changes`](crate::Sku::take_changes) as one [`ChangeSet`] and stores all of
//! it in one atomic step before it answers: the Worker writes it in one SQLite transaction.
//! Nothing else is ever written for a SKU, so what is stored is always a state the engine was in.

use serde::Serialize;

use crate::ledger::LedgerEntry;
use crate::incident::Incident;
use crate::reservation::Hold;
use crate::stored::StoredSku;
use crate::Timestamp;

/// Everything to store since the last [`Sku::take_changes`](crate::Sku::take_changes).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChangeSet {
    /// The new snapshot, when any part of it changed (it is written whole, and it is small:
    /// holds, applied event ids and the ledger live in rows of their own).
    pub snapshot: Option<StoredSku>,
    /// Holds taken, moved or settled, as they are now: one row each, replaced by id.
    pub holds: Vec<Hold>,
    /// New ledger entries, oldest first: appended, never rewritten.
    pub ledger: Vec<LedgerEntry>,
    /// Event keys applied, with when: one row each (the snapshot never carries them).
    pub seen: Vec<SeenKey>,
    /// Oversell incidents opened, grown or closed, as they are now: one row each, replaced by id.
    pub incidents: Vec<Incident>,
}

/// An event key applied at a moment (rows of the `seen` table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeenKey {
    /// `provider:event_id`.
    pub key: String,
    /// When it was applied (it is remembered from then for [`crate::dedupe::RETENTION_MS`]).
    pub at: Timestamp,
}

impl ChangeSet {
    /// Whether there is nothing to store.
    pub fn is_empty(&self) -> bool {
        self.snapshot.is_none() && self.holds.is_empty() && self.ledger.is_empty() && self.seen.is_empty() && self.incidents.is_empty()
    }

    /// Whether what channels see may have changed (the snapshot or a hold did), so live
    /// sockets and the alarm's pushes have news.
    pub fn changes_availability(&self) -> bool {
        self.snapshot.is_some() || !self.holds.is_empty()
    }
}

/// What a SKU changed and has not handed over yet (kept inside the `Sku`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Pending {
    /// Some part of the snapshot changed.
    pub snapshot: bool,
    /// Ids of holds taken, moved or settled.
    pub holds: std::collections::BTreeSet<String>,
    pub ledger: Vec<LedgerEntry>,
    pub seen: Vec<SeenKey>,
    pub incidents: Vec<Incident>,
}
