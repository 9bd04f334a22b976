//! One SKU's state, and every decision about it: the coordinator over the parts that each keep
//! one concept ([`Shelves`], [`Holds`], [`Allocations`], [`Replenishment`], [`SalesHistory`],
//! [`SeenEvents`]). A decision that spans parts (a sale moves stock, feeds the sales history,
//! uses up an allocation and may bump holds) is made here; the caller passes `now`. Every
//! change is also recorded for storing: the caller takes it as one [`ChangeSet`](crate::ChangeSet)
//! ([`Sku::take_changes`]) and rebuilds the SKU from what it stored with [`Sku::restore`].

use std::collections::BTreeMap;

mod events;
mod holding;
mod incidents;
mod square;
mod storing;

use crate::allocation::Allocations;
use crate::availability::{Availability, Status};
use crate::buffer::{BufferModel, StoreWindow};
use crate::catalog::{BufferPolicy, SkuConfig, Topology};
use crate::changes::Pending;
use crate::connect::square_out::SquareOutbox;
use crate::dedupe::SeenEvents;
use crate::forecast::IncomingLine;
use crate::holds::Holds;
use crate::incident::Incidents;
use crate::ledger::LedgerEntry;
use crate::names::STORE_CHANNEL;
use crate::replenishment::{Replenishment, Transit};
use crate::returns::ReturnStats;
use crate::sales_history::SalesHistory;
use crate::shelves::Shelves;
use crate::summary::SkuSummary;
use crate::{Error, Timestamp};

/// How long a SKU answers for a settled hold; the worker keeps the answers it stores as long.
pub use crate::holds::{SETTLED_KEPT, SETTLED_KEPT_MS};

/// What applying one event did.
// `Applied` is the common case by far; boxing it would allocate once more per event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Applied {
    /// Stock moved; the entry is for the ledger.
    Applied(LedgerEntry),
    /// The same event id was applied before: nothing changed.
    Duplicate,
    /// An absolute count older than the newest applied for this location, or a return of a
    /// sale never applied here: nothing changed.
    Stale,
    /// The PoS's count after lastunit's own adjustment, which changes nothing: kept as the
    /// newest count, counted `ignored`.
    Echo,
}

/// The state of one SKU. It is stored as a [`StoredSku`](crate::StoredSku) snapshot plus rows
/// (holds, applied event keys, ledger entries), all handed over in [`ChangeSet`](crate::ChangeSet)s.
#[derive(Clone, Debug)]
pub struct Sku {
    sku: String,
    config: SkuConfig,
    topology: Topology,
    shelves: Shelves,
    replenishment: Replenishment,
    /// Active holds and those settled lately. Like applied event keys they stay out of the
    /// snapshot, which is rewritten on every change: each is a row of its own.
    holds: Holds,
    /// Allocated units each named channel has left (the rule is in [`crate::allocation`]).
    allocation_left: Allocations,
    buffer_in_force: u32,
    sales: SalesHistory,
    version: u64,
    updated_at: Timestamp,
    /// Applied event keys: rows of their own, outside the snapshot.
    seen: SeenEvents,
    model: BufferModel,
    /// What Square is still to be told of (`sku/square.rs`).
    square: SquareOutbox,
    /// Recent online orders and open oversell incidents: rows of their own, outside the
    /// snapshot (`sku/incidents.rs`).
    incidents: Incidents,
    /// What changed since the caller last took the changes.
    pending: Pending,
}

impl Sku {
    /// A new SKU with no stock.
    pub fn new(sku: &str, config: SkuConfig, topology: Topology, now: Timestamp) -> Result<Self, Error> {
        config.validate(sku)?;
        let mut s = Sku {
            sku: sku.to_string(),
            config: SkuConfig::default(),
            topology,
            shelves: Shelves::default(),
            replenishment: Replenishment::default(),
            holds: Holds::default(),
            allocation_left: Allocations::default(),
            buffer_in_force: 0,
            sales: SalesHistory::default(),
            version: 0,
            updated_at: now,
            seen: SeenEvents::default(),
            model: BufferModel::default(),
            square: SquareOutbox::default(),
            incidents: Incidents::default(),
            pending: Pending::default(),
        };
        s.configure(config, now)?;
        Ok(s)
    }

    /// The SKU id.
    pub fn id(&self) -> &str {
        &self.sku
    }

    /// Its policy.
    pub fn config(&self) -> &SkuConfig {
        &self.config
    }

    /// The layout it decides with.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Rises with every change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When it last changed.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }

    /// Replaces the policy. A new allocation restarts every channel's allocation.
    pub fn configure(&mut self, config: SkuConfig, now: Timestamp) -> Result<(), Error> {
        config.validate(&self.sku)?;
        if config.allocation != self.config.allocation || self.version == 0 {
            self.allocation_left = Allocations::start(config.allocation.as_ref());
        }
        self.config = config;
        self.recompute_buffer(now);
        self.touch(now);
        Ok(())
    }

    /// Replaces the catalog layout (locations and channels).
    pub fn set_topology(&mut self, topology: Topology, now: Timestamp) {
        if topology != self.topology {
            self.topology = topology;
            self.stop_telling_square_where_it_no_longer_counts(now);
            self.touch(now);
        }
    }

    /// Uses other buffer parameters (the default is [`BufferModel::default`]).
    pub fn set_buffer_model(&mut self, model: BufferModel, now: Timestamp) {
        self.model = model;
        self.recalibrate(now);
    }

    fn touch(&mut self, now: Timestamp) {
        self.version += 1;
        self.updated_at = self.updated_at.max(now);
        self.pending.snapshot = true;
    }

    fn held_at(&self, location: &str) -> i64 {
        self.holds.active().at_location(location)
    }

    fn free_at(&self, location: &str) -> i64 {
        (self.shelves.on_hand(location) - self.held_at(location)).max(0)
    }

    /// Units held in carts now.
    pub fn reserved(&self) -> i64 {
        self.holds.active().total()
    }

    /// The buffer in force (units) for buffered channels.
    pub fn buffer_in_force(&self) -> u32 {
        self.buffer_in_force
    }

    fn require_location(&self, l: &str) -> Result<(), Error> {
        if self.topology.has_location(l) {
            Ok(())
        } else {
            Err(Error::UnknownLocation(l.to_string()))
        }
    }

    fn require_channel(&self, c: &str) -> Result<(), Error> {
        self.topology.channel(c).map(|_| ())
    }

    // ---- availability ----------------------------------------------------------------------

    /// Units `channel` may sell now: its locations' free units, less the buffer in force or,
    /// under an allocation, what the allocations leave.
    pub fn available(&self, channel: &str) -> Result<i64, Error> {
        let locations = self.topology.channel(channel)?;
        let pool: i64 = locations.iter().map(|l| self.free_at(l)).sum();
        let buffer = if self.config.buffers(channel) { i64::from(self.buffer_in_force) } else { 0 };
        Ok(self.allocation_left.available(channel, pool, buffer, |c| self.holds.active().on_channel(c)))
    }

    /// The availability object for `channel`.
    pub fn availability(&self, channel: &str) -> Result<Availability, Error> {
        let available = self.available(channel)?;
        let in_store_only = available == 0
            && channel != STORE_CHANNEL
            && self.topology.channels.contains_key(STORE_CHANNEL)
            && self.available(STORE_CHANNEL)? > 0;
        Ok(Availability {
            sku: self.sku.clone(),
            channel: channel.to_string(),
            available,
            status: Status::of(available, self.config.low_stock_threshold),
            in_store_only,
            version: self.version,
            updated_at: self.updated_at,
        })
    }

    /// Availability on every channel, by name.
    pub fn availability_all(&self) -> BTreeMap<String, Availability> {
        self.topology.channels.keys().filter_map(|c| Some((c.clone(), self.availability(c).ok()?))).collect()
    }

    /// Recomputes the buffer in force from the policy and, for `auto`, the velocity at `now`;
    /// returns whether it changed (and then the version rises, since availability changed).
    /// The Worker calls this from a periodic alarm so the buffer follows decaying velocity.
    pub fn recalibrate(&mut self, now: Timestamp) -> bool {
        let changed = self.recompute_buffer(now);
        if changed {
            self.touch(now);
        }
        changed
    }

    fn recompute_buffer(&mut self, now: Timestamp) -> bool {
        let units = match self.config.buffer {
            BufferPolicy::None => 0,
            BufferPolicy::Fixed { units } => units,
            BufferPolicy::Auto { min, max, .. } => match self.config.buffer.store_hours() {
                None => self.model.advise(self.total_velocity(now), min, max).units,
                Some(hours) => {
                let store = StoreWindow {
                    hours,
                    store_per_day: self.sales.velocity_per_day(now).get(STORE_CHANNEL).copied().unwrap_or(0.0),
                    next_delivery: self.next_store_delivery(now),
                };
                self.model.advise_for_store(self.total_velocity(now), &store, now, min, max).units
                }
            },
        };
        let changed = units != self.buffer_in_force;
        self.buffer_in_force = units;
        changed
    }

    /// The first purchase-order line still due after `now` at a location the store sells from
    /// (any location when there is no store channel).
    fn next_store_delivery(&self, now: Timestamp) -> Option<Timestamp> {
        let store = self.topology.channel(STORE_CHANNEL).ok();
        self.replenishment
            .incoming()
            .iter()
            .filter(|l| l.expected_at > now && store.is_none_or(|s| s.contains(&l.location)))
            .map(|l| l.expected_at)
            .min()
    }

    /// When the buffer in force next changes by the clock alone (the store opening or
    /// closing), for a policy with store hours; the caller recalibrates then.
    pub fn buffer_changes_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.config.buffer.store_hours().map(|h| h.next_change(now))
    }

    /// Combined units per day across channels.
    pub fn total_velocity(&self, now: Timestamp) -> f64 {
        self.sales.total_velocity(now)
    }

    // ---- purchase orders -----------------------------------------------------------------------

    /// Adds (or replaces) an incoming purchase-order line for this SKU.
    pub fn expect(&mut self, line: IncomingLine, now: Timestamp) -> Result<(), Error> {
        self.replenishment.expect(&self.sku, &self.topology, line)?;
        // The next delivery sizes a buffer with store hours.
        self.recompute_buffer(now);
        self.touch(now);
        Ok(())
    }

    // ---- views ---------------------------------------------------------------------------------

    /// Everything the dashboard and the admin view need, detached from the live state.
    pub fn summary(&self) -> SkuSummary {
        let stock = self.shelves.locations();
        SkuSummary {
            sku: self.sku.clone(),
            title: self.config.title.clone(),
            low_stock_threshold: self.config.low_stock_threshold,
            buffer_policy: self.config.buffer.clone(),
            on_hand: stock.iter().map(|(l, s)| (l.clone(), s.on_hand)).collect(),
            unsellable: stock
                .iter()
                .filter(|(_, s)| s.unsellable > 0)
                .map(|(l, s)| (l.clone(), s.unsellable))
                .collect(),
            in_transit: self.replenishment.in_transit().to_vec(),
            reserved: self.reserved(),
            holds: self.holds.active().len(),
            buffer: self.buffer_in_force,
            available: self.availability_all().into_iter().map(|(c, a)| (c, a.available)).collect(),
            channel_locations: self.topology.channels.clone(),
            velocity: self.sales.velocity().clone(),
            incoming: self.replenishment.incoming().to_vec(),
            returns: self.sales.returns().clone(),
            history: self.sales.days().cloned().collect(),
            incidents: self.incidents.open().into_iter().cloned().collect(),
            version: self.version,
            updated_at: self.updated_at,
            square: Some(self.square_status()).filter(|s| *s != Default::default()),
        }
    }

    /// Units on hand per location (sellable), for tests and views.
    pub fn on_hand_at(&self, location: &str) -> i64 {
        self.shelves.on_hand(location)
    }

    /// Returned units kept off the shelf at `location`.
    pub fn unsellable_at(&self, location: &str) -> i64 {
        self.shelves.unsellable(location)
    }

    /// Units in transit.
    pub fn in_transit(&self) -> &[Transit] {
        self.replenishment.in_transit()
    }

    /// Open purchase-order lines.
    pub fn incoming(&self) -> &[IncomingLine] {
        self.replenishment.incoming()
    }

    /// Returns per origin channel.
    pub fn returns(&self) -> &BTreeMap<String, ReturnStats> {
        self.sales.returns()
    }

    /// Velocity per channel at `now`.
    pub fn velocity_per_day(&self, now: Timestamp) -> BTreeMap<String, f64> {
        self.sales.velocity_per_day(now)
    }
}
