//! The per-connection writer: what lastunit still has to write into one connected store.
//!
//! One [`Outbox`] per connection, kept by the Worker's `ConnectionObject`. It remembers per SKU
//! the newest number lastunit wants the store to show (a burst coalesces: only the newest value
//! of a SKU is ever sent), the number it last knew the store held (Shopify's
//! `changeFromQuantity`, [`super::echo`]), and the numbers it sent lately (for the echo rule).
//! It decides what to send and when ([`Outbox::poll`]), and what each answer means
//! ([`Outbox::record`]):
//!
//! - **Batches.** Shopify: every due SKU in one `inventorySetQuantities` (at most
//!   [`super::shopify::MAX_QUANTITIES`]), sent only when the cost bucket holds the mutation's cost.
//!   WooCommerce: the due SKUs in batches of [`super::woocommerce::MAX_BATCH`] per endpoint (a lone
//!   SKU is one `PUT`), at most [`super::woocommerce::WRITES_PER_SECOND`] requests a second.
//!   A change waits [`SETTLE_MS`] for its neighbours, and one SKU is written at most once per
//!   [`PER_SKU_INTERVAL_MS`].
//! - **One request at a time**, recorded before it is sent ([`Meta::in_flight`]). A request
//!   whose answer never came (a timeout, a 5xx, a restart) is sent again with the same
//!   idempotency key while its numbers are still the newest; once one is superseded, the newest
//!   numbers go out under a new key (the compare-and-set catches a lost answer that was applied).
//! - **Results.** Applied: the store holds what was sent. `CHANGE_FROM_QUANTITY_STALE`: those
//!   levels are read back (`inventoryLevel`) and written again. Throttled: wait exactly what
//!   Shopify (`throttleStatus`) or `Retry-After` says. A 5xx or no answer: exponential backoff
//!   with jitter, from 1 s to [`MAX_BACKOFF_MS`]. A store that refuses one item (unknown,
//!   not stocked there) keeps that item aside until it is remapped or resynced.
//!
//! Pure: `now` and the jitter seed come from the caller. Every change is recorded and taken as
//! one [`OutboxChanges`] ([`Outbox::take_changes`]): the meta row and the changed SKU rows,
//! which the Worker stores in one transaction.
//!
//! The rows it stores are in `rows.rs`; what it sends and when, `send.rs`; what an answer
//! means, `answers.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::echo::{Echoes, Observed};
use super::status::{ConnectionStatus, Health, FAILING_AFTER};
use super::Provider;
use crate::time::SECOND;
use crate::Timestamp;

mod answers;
mod rows;
mod send;

pub use answers::backoff_ms;
pub use rows::{Costs, FlightKind, FlightLine, InFlight, Item, Meta, OutboxChanges};
pub use send::Work;

/// How long a change waits for others to share its batch.
pub const SETTLE_MS: i64 = 250;
/// The shortest time between two writes of one SKU (a burst sends its newest value after it).
pub const PER_SKU_INTERVAL_MS: i64 = SECOND;
/// The longest backoff after failures in a row.
pub const MAX_BACKOFF_MS: i64 = 5 * 60 * SECOND;

/// What the writer needs of the connection's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Whether lastunit writes to the store at all.
    pub write: bool,
    /// The store's id of the connection's location (Shopify: required to write).
    pub location_ref: Option<String>,
}

/// One connection's writer.
#[derive(Clone, Debug, PartialEq)]
pub struct Outbox {
    meta: Meta,
    items: BTreeMap<String, Item>,
    dirty: BTreeSet<String>,
    meta_dirty: bool,
}

impl Outbox {
    /// A new, empty writer (stored at the first change).
    pub fn new(provider: Provider, now: Timestamp) -> Outbox {
        let meta = Meta {
            provider,
            epoch: now.millis(),
            seq: 0,
            in_flight: None,
            failures: 0,
            retry_at: None,
            throttled_until: None,
            bucket: None,
            costs: Costs::default(),
            last_write_at: None,
            last_error: None,
        };
        Outbox { meta, items: BTreeMap::new(), dirty: BTreeSet::new(), meta_dirty: true }
    }

    /// The writer as stored. A request recorded in flight is taken as unanswered.
    pub fn restore(meta: Meta, items: impl IntoIterator<Item = (String, Item)>) -> Outbox {
        Outbox { meta, items: items.into_iter().collect(), dirty: BTreeSet::new(), meta_dirty: false }
    }

    /// Everything changed since the last call, to store in one transaction.
    pub fn take_changes(&mut self) -> OutboxChanges {
        let meta = std::mem::take(&mut self.meta_dirty).then(|| self.meta.clone());
        let items = std::mem::take(&mut self.dirty).into_iter().map(|s| {
            let row = self.items.get(&s).cloned();
            (s, row)
        });
        OutboxChanges { meta, items: items.collect() }
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.meta.provider
    }

    /// One SKU's line.
    pub fn item(&self, sku: &str) -> Option<&Item> {
        self.items.get(sku)
    }

    /// The SKU whose store id is `item_ref`.
    pub fn sku_of(&self, item_ref: &str) -> Option<&str> {
        self.items.iter().find(|(_, i)| i.item_ref == item_ref).map(|(s, _)| s.as_str())
    }

    fn touch(&mut self, sku: &str) {
        self.dirty.insert(sku.to_string());
    }

    /// lastunit's number for `sku` is `available` (SKU version `version`): the store should show
    /// it. `item_ref` is the SKU's id in the store; `force` writes it even when the store seems
    /// to hold it (a resync). A report older than the one kept changes nothing.
    pub fn want(&mut self, sku: &str, item_ref: &str, available: i64, version: u64, force: bool, now: Timestamp) {
        let available = available.max(0);
        let item = self.items.entry(sku.to_string()).or_default();
        if item.item_ref != item_ref {
            // A new id is another item in the store: nothing known of it carries over.
            *item = Item { item_ref: item_ref.to_string(), ..Item::default() };
        } else if version < item.version {
            return;
        }
        let was_pending = item.pending();
        item.version = version;
        item.wanted = Some(available);
        if force {
            item.forced = true;
            item.refused = None;
        }
        if item.pending() && (!was_pending || force) {
            item.pending_since = Some(now);
        }
        self.touch(sku);
    }

    /// `sku` is no longer mapped to the store: forget it.
    pub fn unmap(&mut self, sku: &str) {
        if self.items.remove(sku).is_some() {
            self.touch(sku);
        }
    }

    /// The connection's location changed: nothing known of the store's levels holds, and
    /// every SKU is written again.
    pub fn retarget(&mut self, now: Timestamp) {
        let skus: Vec<String> = self.items.keys().cloned().collect();
        for sku in skus {
            let item = self.items.get_mut(&sku).expect("listed above");
            item.echoes = Echoes::default();
            item.forced = true;
            item.refused = None;
            item.read_back = false;
            item.pending_since = Some(now);
            self.touch(&sku);
        }
        self.meta.in_flight = None;
        self.meta_dirty = true;
    }

    /// The store's stock webhook says it holds `quantity` of `sku` (see [`super::echo`]).
    /// `None` when the SKU is not in this outbox (counted as ignored by the caller).
    pub fn observe(&mut self, sku: &str, quantity: i64, now: Timestamp) -> Option<Observed> {
        let item = self.items.get_mut(sku)?;
        let verdict = item.echoes.judge(quantity.max(0), item.wanted, now);
        if verdict == Observed::StoreChange && item.pending() {
            item.pending_since.get_or_insert(now);
        }
        self.touch(sku);
        Some(verdict)
    }

    /// What the store holds of `sku`, as lastunit last knew it.
    pub fn store_quantity(&self, sku: &str) -> Option<i64> {
        self.items.get(sku)?.echoes.known
    }

    /// The status an operator reads.
    pub fn status(&self, now: Timestamp) -> ConnectionStatus {
        let pending = self.items.values().filter(|i| i.pending()).count();
        let refused = self.items.iter().find(|(_, i)| i.refused.is_some());
        let throttled_until = self.meta.throttled_until.filter(|t| *t > now);
        let status = if self.meta.failures >= FAILING_AFTER || refused.is_some() {
            Health::Failing
        } else if self.meta.failures > 0 || throttled_until.is_some() {
            Health::Retrying
        } else {
            Health::Ok
        };
        let last_error = match (&self.meta.last_error, refused) {
            (Some(e), _) => Some(e.clone()),
            (None, Some((sku, i))) => Some(format!("`{sku}`: {}", i.refused.as_deref().unwrap_or(""))),
            (None, None) => None,
        };
        ConnectionStatus {
            status,
            last_write_at: self.meta.last_write_at,
            pending_writes: pending,
            last_error,
            throttled_until,
        }
    }
}

#[cfg(test)]
mod tests;
