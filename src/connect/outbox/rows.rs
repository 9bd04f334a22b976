//! What the writer stores: one row per SKU ([`Item`]) and one for the connection ([`Meta`]),
//! with the request in flight recorded in it before it is sent.

use serde::{Deserialize, Serialize};

use super::{PER_SKU_INTERVAL_MS, SETTLE_MS};
use crate::connect::echo::Echoes;
use crate::connect::shopify::Bucket;
use crate::connect::Provider;
use crate::Timestamp;

/// One SKU's line in the outbox.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// The SKU's id in the store (`pos_refs[provider]`).
    pub item_ref: String,
    /// lastunit's number for the connection's channel (`None`: not told yet).
    pub wanted: Option<i64>,
    /// The SKU version `wanted` comes from: an older report never replaces a newer one.
    pub version: u64,
    /// What the store holds, what lastunit sent lately, and the order grace.
    pub echoes: Echoes,
    /// Written even if the store seems to hold it already (a resync).
    pub forced: bool,
    /// The store's level must be read back before the next write (a stale compare-and-set).
    pub read_back: bool,
    /// Why the store refuses this item; it is left aside until remapped or resynced.
    pub refused: Option<String>,
    /// When it was last sent.
    pub sent_at: Option<Timestamp>,
    /// Since when it waits to be written.
    pub pending_since: Option<Timestamp>,
}

impl Item {
    /// Whether lastunit has a number the store does not hold yet (or must write anyway).
    pub(super) fn pending(&self) -> bool {
        self.wanted.is_some_and(|w| self.forced || self.echoes.known != Some(w))
    }

    /// When this item may be written, if it is due at all.
    pub(super) fn ready_at(&self, now: Timestamp) -> Option<Timestamp> {
        let wanted = self.wanted?;
        if self.refused.is_some() || self.read_back || !self.pending() {
            return None;
        }
        let mut at = self.pending_since.unwrap_or(now).plus(SETTLE_MS);
        if let Some(sent) = self.sent_at {
            at = at.max(sent.plus(PER_SKU_INTERVAL_MS));
        }
        if !self.forced && !self.echoes.due(wanted, at.max(now)) {
            // Only a raise during the order grace is not due: it is, once the hold ends.
            at = at.max(self.echoes.hold_until?);
        }
        Some(at)
    }
}

/// One line of the request in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlightLine {
    /// The SKU.
    pub sku: String,
    /// Its id in the store.
    pub item_ref: String,
    /// The number sent (a write) or 0 (a read-back).
    pub quantity: i64,
    /// The compare-and-set value sent.
    pub change_from: Option<i64>,
}

/// What a request in flight does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlightKind {
    /// Writes the lines' quantities.
    Write,
    /// Reads the lines' levels back.
    ReadBack,
}

/// The request sent and not yet answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// Its number; its idempotency key is `lastunit-{epoch}-{id}`.
    pub id: u64,
    /// A write or a read-back.
    pub kind: FlightKind,
    /// What it carries.
    pub lines: Vec<FlightLine>,
}

/// The connection-wide part of the writer's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Whose store this is.
    pub provider: Provider,
    /// When this outbox was made: part of every idempotency key, so keys never repeat across
    /// a reset.
    pub epoch: i64,
    /// The last request number.
    pub seq: u64,
    /// The request sent and not yet answered.
    pub in_flight: Option<InFlight>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// No request before this (backoff).
    pub retry_at: Option<Timestamp>,
    /// No request before this (the store's throttle).
    pub throttled_until: Option<Timestamp>,
    /// Shopify's cost bucket as last seen.
    pub bucket: Option<Bucket>,
    /// What the last write and the last read-back cost Shopify up front (`requestedQueryCost`):
    /// the next one of each kind leaves only when the bucket holds that much, so a resync
    /// paces itself instead of being answered `THROTTLED`.
    #[serde(default)]
    pub costs: Costs,
    /// When a write last went through.
    pub last_write_at: Option<Timestamp>,
    /// The last failure, in words.
    pub last_error: Option<String>,
}

/// Shopify's up-front cost of the last request of each kind (`None`: not seen yet).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    /// The last `inventorySetQuantities`.
    pub write: Option<f64>,
    /// The last read-back.
    pub read_back: Option<f64>,
}

/// What the writer asks to be stored: the meta row when it changed, and each changed SKU row
/// (`None`: delete it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutboxChanges {
    /// The new meta row.
    pub meta: Option<Meta>,
    /// SKU rows to write or delete.
    pub items: Vec<(String, Option<Item>)>,
}

impl OutboxChanges {
    /// Nothing to store.
    pub fn is_empty(&self) -> bool {
        self.meta.is_none() && self.items.is_empty()
    }
}
