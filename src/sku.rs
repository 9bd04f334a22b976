//! One SKU's whole state: stock per location, holds, buffers, velocity, returns, incoming.
//! Every decision about one SKU is a method here; the caller passes `now`. Every change is also
//! recorded for storing: the caller takes it as one [`ChangeSet`] ([`Sku::take_changes`]) and
//! rebuilds the SKU from what it stored with [`Sku::restore`].

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::allocation::Allocations;
use crate::availability::{Availability, Status};
use crate::buffer::BufferModel;
use crate::catalog::{BufferPolicy, SkuConfig, Topology, MAX_UNITS};
use crate::changes::{ChangeSet, Pending, SeenKey};
use crate::dedupe::SeenEvents;
use crate::event::{Movement, Source, StockEvent};
use crate::forecast::IncomingLine;
use crate::names::{check_id, STORE_CHANNEL};
use crate::reservation::{ActiveHolds, Hold, HoldRequest, HoldState};
use crate::returns::ReturnStats;
use crate::stock::{CountOutcome, LocationStock};
use crate::stored::{StoredSku, FORMAT};
use crate::summary::{DayStat, SkuSummary};
use crate::time::{DAY, HOUR};
use crate::velocity::Velocity;
use crate::{entry, Error, Timestamp};

/// Days of history kept for charts.
pub const HISTORY_DAYS: usize = 30;
/// Settled holds are remembered this long (unless more than [`SETTLED_KEPT`] settle sooner),
/// so a retried commit or release gets the same answer.
pub const SETTLED_KEPT_MS: i64 = 24 * HOUR;
/// At most this many settled holds are remembered; the oldest go first.
pub const SETTLED_KEPT: usize = 1_000;
/// Most open purchase-order lines per SKU: a line closes only when its units arrive, and the
/// snapshot carrying them is rewritten on every change.
pub const MAX_OPEN_LINES: usize = 100;
/// Most transfers remembered in transit per SKU; past it the oldest is forgotten (its units left
/// their shelf when it was sent, so stock is unchanged; only the in-transit note goes).
pub const MAX_IN_TRANSIT: usize = 100;

/// One movement of stock, as the ledger records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The SKU version this entry produced.
    pub version: u64,
    /// `sale`, `return`, `receive`, `adjust`, `transfer`, `waste` or `count`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The SKU.
    pub sku: String,
    /// Where.
    pub location: String,
    /// Change of sellable units on hand at `location` (signed).
    pub quantity: i64,
    /// Sellable units on hand at `location` afterwards.
    pub on_hand_after: i64,
    /// The selling or receiving channel, for sales and returns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Where a returned unit was bought.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_channel: Option<String>,
    /// Why (returns, adjustments, waste), or a note on how the event was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who sent it.
    pub source: Source,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When it was applied.
    pub recorded_at: Timestamp,
}

/// What applying one event did.
// `Applied` is the common case by far; boxing it would allocate once more per event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Applied {
    /// Stock moved; the entry is for the ledger.
    Applied(LedgerEntry),
    /// The same event id was applied before: nothing changed.
    Duplicate,
    /// An absolute count older than the newest applied for this location: nothing changed.
    Stale,
}

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

/// The state of one SKU. It is stored as a [`StoredSku`] snapshot plus rows (holds, applied
/// event keys, ledger entries), all handed over in [`ChangeSet`]s.
#[derive(Clone, Debug)]
pub struct Sku {
    sku: String,
    config: SkuConfig,
    topology: Topology,
    stock: BTreeMap<String, LocationStock>,
    transit: Vec<Transit>,
    /// Active holds, indexed by location, channel, cart and expiry. Like settled holds they
    /// stay out of the snapshot, which is rewritten on every change: each is a row of its own.
    holds: ActiveHolds,
    /// Committed, released, expired and bumped holds, for idempotent answers.
    settled: BTreeMap<String, Hold>,
    /// Settled ids, oldest first, to forget them in O(1).
    settled_order: VecDeque<String>,
    /// Allocated units each named channel has left (the rule is in [`crate::allocation`]).
    allocation_left: Allocations,
    buffer_in_force: u32,
    velocity: BTreeMap<String, Velocity>,
    returns: BTreeMap<String, ReturnStats>,
    incoming: Vec<IncomingLine>,
    history: VecDeque<DayStat>,
    version: u64,
    updated_at: Timestamp,
    /// Applied event keys: rows of their own, outside the snapshot.
    seen: SeenEvents,
    model: BufferModel,
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
            stock: BTreeMap::new(),
            transit: Vec::new(),
            holds: ActiveHolds::default(),
            settled: BTreeMap::new(),
            settled_order: VecDeque::new(),
            allocation_left: Allocations::default(),
            buffer_in_force: 0,
            velocity: BTreeMap::new(),
            returns: BTreeMap::new(),
            incoming: Vec::new(),
            history: VecDeque::new(),
            version: 0,
            updated_at: now,
            seen: SeenEvents::default(),
            model: BufferModel::default(),
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

    // ---- storing -------------------------------------------------------------------------------

    /// Everything changed since the last call, to store in one atomic step. A refused call
    /// adds nothing; holds expiring on the way to a refusal are changes like any other.
    pub fn take_changes(&mut self) -> ChangeSet {
        let pending = std::mem::take(&mut self.pending);
        ChangeSet {
            snapshot: pending.snapshot.then(|| self.stored()),
            holds: pending.holds.iter().filter_map(|id| self.hold(id).cloned()).collect(),
            ledger: pending.ledger,
            seen: pending.seen,
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
            stock,
            transit,
            holds: _,
            settled: _,
            settled_order: _,
            allocation_left,
            buffer_in_force,
            velocity,
            returns,
            incoming,
            history,
            version,
            updated_at,
            seen: _,
            model: _,
            pending: _,
        } = self;
        StoredSku {
            format: FORMAT,
            sku: sku.clone(),
            config: config.clone(),
            topology: topology.clone(),
            stock: stock.clone(),
            transit: transit.clone(),
            allocation_left: allocation_left.clone(),
            buffer_in_force: *buffer_in_force,
            velocity: velocity.clone(),
            returns: returns.clone(),
            incoming: incoming.clone(),
            history: history.iter().cloned().collect(),
            version: *version,
            updated_at: *updated_at,
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
        } = stored;
        let mut s = Sku {
            sku,
            config,
            topology,
            stock,
            transit,
            holds: ActiveHolds::default(),
            settled: BTreeMap::new(),
            settled_order: VecDeque::new(),
            allocation_left,
            buffer_in_force,
            velocity,
            returns,
            incoming,
            history: history.into(),
            version,
            updated_at,
            seen: SeenEvents::default(),
            model: BufferModel::default(),
            pending: Pending::default(),
        };
        let mut seen = seen;
        seen.sort_by_key(|k| k.at);
        for k in seen {
            s.seen.insert(k.key, k.at);
        }
        let (active, mut settled): (Vec<Hold>, Vec<Hold>) = holds.into_iter().partition(Hold::is_active);
        for h in active {
            s.holds.insert(h);
        }
        settled.sort_by(|a, b| (a.settled_at, &a.id).cmp(&(b.settled_at, &b.id)));
        for h in settled {
            let at = h.settled_at;
            s.remember_settled(h, at);
        }
        s
    }

    fn loc_mut(&mut self, location: &str) -> &mut LocationStock {
        entry(&mut self.stock, location)
    }

    fn on_hand(&self, location: &str) -> i64 {
        self.stock.get(location).map_or(0, |s| s.on_hand)
    }

    fn held_at(&self, location: &str) -> i64 {
        self.holds.at_location(location)
    }

    fn free_at(&self, location: &str) -> i64 {
        (self.on_hand(location) - self.held_at(location)).max(0)
    }

    fn held_on(&self, channel: &str) -> i64 {
        self.holds.on_channel(channel)
    }

    /// Units held in carts now.
    pub fn reserved(&self) -> i64 {
        self.holds.total()
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
        Ok(self.allocation_left.available(channel, pool, buffer, |c| self.held_on(c)))
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

    // ---- events ------------------------------------------------------------------------------

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
        let at = event.occurred_at.min(now);
        let loc = event.location.clone();
        let mut entry = LedgerEntry {
            version: 0,
            kind: String::new(),
            sku: self.sku.clone(),
            location: loc.clone(),
            quantity: 0,
            on_hand_after: 0,
            channel: None,
            origin_channel: None,
            reason: None,
            source: event.source.clone(),
            occurred_at: at,
            recorded_at: now,
        };
        match &event.movement {
            Movement::Sale { channel, quantity } => {
                entry.kind = "sale".into();
                entry.channel = Some(channel.clone());
                entry.quantity = self.shelve(&loc, -quantity, at, now, &mut entry);
                self.record_sale(channel, *quantity, at, now);
                self.allocation_left.sold(channel, *quantity);
            }
            Movement::Return { channel, origin_channel, quantity, reason, restock } => {
                entry.kind = "return".into();
                entry.channel = Some(channel.clone());
                entry.origin_channel = Some(origin_channel.clone());
                entry.reason = Some(reason.clone());
                if *restock {
                    entry.quantity = self.shelve(&loc, *quantity, at, now, &mut entry);
                    self.allocation_left.restocked(origin_channel, *quantity, self.config.allocation.as_ref());
                } else {
                    self.loc_mut(&loc).unsellable += quantity;
                }
                self.returns.entry(origin_channel.clone()).or_default().returned(*quantity, reason);
            }
            Movement::Receive { quantity, po_id, transfer_id } => {
                entry.kind = "receive".into();
                entry.reason = self.close_reference(&loc, *quantity, po_id.as_deref(), transfer_id.as_deref());
                entry.quantity = self.shelve(&loc, *quantity, at, now, &mut entry);
                self.day(now).received += quantity;
            }
            Movement::Adjust { quantity, reason } => {
                entry.kind = "adjust".into();
                entry.reason = Some(reason.clone());
                entry.quantity = self.shelve(&loc, *quantity, at, now, &mut entry);
            }
            Movement::Transfer { to_location, quantity } => {
                entry.kind = "transfer".into();
                entry.reason = Some(format!("{quantity} in transit to {to_location}"));
                entry.quantity = self.shelve(&loc, -quantity, at, now, &mut entry);
                if self.transit.len() >= MAX_IN_TRANSIT {
                    self.transit.remove(0);
                }
                self.transit.push(Transit {
                    transfer_id: event.source.event_id.clone(),
                    from: loc.clone(),
                    to: to_location.clone(),
                    quantity: *quantity,
                    sent_at: at,
                });
            }
            Movement::Waste { quantity, reason } => {
                entry.kind = "waste".into();
                entry.reason = Some(reason.clone());
                entry.quantity = self.shelve(&loc, -quantity, at, now, &mut entry);
            }
            Movement::Count { quantity } => {
                entry.kind = "count".into();
                match self.loc_mut(&loc).count(*quantity, at, now) {
                    CountOutcome::Stale => return Ok(Applied::Stale),
                    CountOutcome::Applied(delta) => entry.quantity = delta,
                }
            }
        }
        self.seen.insert(key.clone(), now);
        self.pending.seen.push(SeenKey { key, at: now });
        self.rebalance_holds(&loc, now);
        self.recompute_buffer(now);
        self.touch(now);
        entry.version = self.version;
        entry.on_hand_after = self.on_hand(&loc);
        self.day(now).closing_on_hand = self.total_on_hand();
        self.push_ledger(entry.clone());
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
    /// is 0 for a movement that an absolute count taken after it already includes.
    fn shelve(&mut self, location: &str, units: i64, at: Timestamp, now: Timestamp, entry: &mut LedgerEntry) -> i64 {
        let moved = self.loc_mut(location).apply(units, at, now, false);
        if moved != units {
            let note = format!("already in the count of {}", self.stock[location].counted_at.unwrap_or_default());
            entry.reason = Some(match entry.reason.take() {
                Some(r) => format!("{r}; {note}"),
                None => note,
            });
        }
        moved
    }

    fn record_sale(&mut self, channel: &str, units: i64, at: Timestamp, now: Timestamp) {
        entry(&mut self.velocity, channel).record(units, at, now);
        entry(&mut self.returns, channel).sold(units);
        *entry(&mut self.day(now).sales, channel) += units;
    }

    /// Closes purchase-order or transfer lines. A receiving is a physical fact, so an unknown
    /// reference never refuses it; the ledger notes it instead.
    fn close_reference(
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

    /// A new ledger entry, for the caller to store (the ledger lives in storage only).
    fn push_ledger(&mut self, entry: LedgerEntry) {
        self.pending.ledger.push(entry);
    }

    fn total_on_hand(&self) -> i64 {
        self.stock.values().map(|s| s.on_hand.max(0)).sum()
    }

    fn day(&mut self, now: Timestamp) -> &mut DayStat {
        let day = now.millis().div_euclid(DAY);
        if self.history.back().is_none_or(|d| d.day != day) {
            let closing = self.stock.values().map(|s| s.on_hand.max(0)).sum();
            self.history.push_back(DayStat { day, closing_on_hand: closing, ..DayStat::default() });
            while self.history.len() > HISTORY_DAYS {
                self.history.pop_front();
            }
        }
        self.history.back_mut().expect("pushed above")
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
            BufferPolicy::Auto { min, max } => self.model.advise(self.total_velocity(now), min, max).units,
        };
        let changed = units != self.buffer_in_force;
        self.buffer_in_force = units;
        changed
    }

    /// Combined units per day across channels.
    pub fn total_velocity(&self, now: Timestamp) -> f64 {
        self.velocity.values().map(|v| v.per_day(now)).sum()
    }

    /// Re-homes or bumps holds at `location` when its stock fell below what they hold: the
    /// register sells physical units, so a hold on a unit it sold moves to another location of
    /// the hold's channel, or shrinks to nothing (`Bumped`) when none has a free unit.
    fn rebalance_holds(&mut self, location: &str, now: Timestamp) {
        let mut excess = self.held_at(location) - self.on_hand(location).max(0);
        if excess <= 0 {
            return;
        }
        let mut newest_first: Vec<(Timestamp, String)> = self
            .holds
            .iter()
            .filter(|h| h.placed.get(location).is_some_and(|q| *q > 0))
            .map(|h| (h.created_at, h.id.clone()))
            .collect();
        newest_first.sort_by(|a, b| b.cmp(a));
        for (_, id) in newest_first {
            if excess <= 0 {
                break;
            }
            let hold = self.holds.get(&id).expect("listed above");
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
        if self.holds.in_cart(&req.cart_id) + req.quantity > max {
            return Err(Error::OverCartLimit { sku: self.sku.clone(), max_per_cart: self.config.max_per_cart });
        }
        // A public page's shopper chooses their own cart ids: the cap also spans all their carts.
        if let Some(client) = &req.client {
            if self.holds.of_client(client) + req.quantity > max {
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
        self.holds.insert(hold.clone());
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
            self.loc_mut(loc).apply(-units, now, now, true);
            self.version += 1;
            let entry = LedgerEntry {
                version: self.version,
                kind: "sale".into(),
                sku: self.sku.clone(),
                location: loc.clone(),
                quantity: -units,
                on_hand_after: self.on_hand(loc),
                channel: Some(hold.channel.clone()),
                origin_channel: None,
                reason: Some(format!("reservation {id}")),
                source: source.clone(),
                occurred_at: now,
                recorded_at: now,
            };
            self.push_ledger(entry);
        }
        self.allocation_left.sold(&hold.channel, hold.quantity);
        self.record_sale(&hold.channel, hold.quantity, now, now);
        let committed = self.settle(id, HoldState::Committed { order_id: order_id.to_string() }, now);
        self.recompute_buffer(now);
        self.touch(now);
        self.day(now).closing_on_hand = self.total_on_hand();
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

    /// Remembers a settled hold, forgetting those past [`SETTLED_KEPT_MS`] or [`SETTLED_KEPT`].
    fn remember_settled(&mut self, hold: Hold, now: Timestamp) {
        if self.settled.insert(hold.id.clone(), hold.clone()).is_none() {
            self.settled_order.push_back(hold.id);
        }
        let cutoff = now.plus(-SETTLED_KEPT_MS);
        while let Some(oldest) = self.settled_order.front() {
            let stale = self.settled.get(oldest).is_none_or(|h| h.settled_at < cutoff);
            if !stale && self.settled_order.len() <= SETTLED_KEPT {
                break;
            }
            if let Some(old) = self.settled_order.pop_front() {
                self.settled.remove(&old);
            }
        }
    }

    /// A hold by id (active or recently settled).
    pub fn hold(&self, id: &str) -> Option<&Hold> {
        self.holds.get(id).or_else(|| self.settled.get(id))
    }

    /// Expires every active hold whose time has come; returns how many.
    pub fn expire(&mut self, now: Timestamp) -> usize {
        let due = self.holds.due(now);
        for (at, id) in &due {
            self.settle(id, HoldState::Expired, *at);
        }
        if !due.is_empty() {
            self.touch(now);
        }
        due.len()
    }

    /// Moves an active hold to the settled ones, forgetting the oldest settled past the limits.
    fn settle(&mut self, id: &str, state: HoldState, now: Timestamp) -> Hold {
        let mut h = self.holds.remove(id).expect("settling an active hold");
        h.state = state;
        h.settled_at = now;
        self.remember_settled(h.clone(), now);
        self.pending.holds.insert(h.id.clone());
        h
    }

    /// The next moment the SKU changes on its own (a hold expiring), for the caller's alarm.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.holds.next_expiry()
    }

    // ---- purchase orders -----------------------------------------------------------------------

    /// Adds (or replaces) an incoming purchase-order line for this SKU.
    pub fn expect(&mut self, line: IncomingLine, now: Timestamp) -> Result<(), Error> {
        check_id("po_id", &line.po_id)?;
        self.require_location(&line.location)?;
        if line.quantity <= 0 || line.quantity > i64::from(MAX_UNITS) {
            return Err(Error::invalid("quantity", format!("must be a whole number from 1 to {MAX_UNITS}")));
        }
        let replaces = self.incoming.iter().any(|l| l.po_id == line.po_id && l.location == line.location);
        if !replaces && self.incoming.len() >= MAX_OPEN_LINES {
            return Err(Error::invalid(
                "lines",
                format!("`{}` already has {MAX_OPEN_LINES} open purchase-order lines", self.sku),
            ));
        }
        self.incoming.retain(|l| !(l.po_id == line.po_id && l.location == line.location));
        self.incoming.push(line);
        self.incoming.sort_by_key(|l| l.expected_at);
        self.touch(now);
        Ok(())
    }

    // ---- views ---------------------------------------------------------------------------------

    /// Everything the dashboard and the admin view need, detached from the live state.
    pub fn summary(&self) -> SkuSummary {
        SkuSummary {
            sku: self.sku.clone(),
            title: self.config.title.clone(),
            low_stock_threshold: self.config.low_stock_threshold,
            buffer_policy: self.config.buffer.clone(),
            on_hand: self.stock.iter().map(|(l, s)| (l.clone(), s.on_hand)).collect(),
            unsellable: self
                .stock
                .iter()
                .filter(|(_, s)| s.unsellable > 0)
                .map(|(l, s)| (l.clone(), s.unsellable))
                .collect(),
            in_transit: self.transit.clone(),
            reserved: self.reserved(),
            holds: self.holds.len(),
            buffer: self.buffer_in_force,
            available: self.availability_all().into_iter().map(|(c, a)| (c, a.available)).collect(),
            channel_locations: self.topology.channels.clone(),
            velocity: self.velocity.clone(),
            incoming: self.incoming.clone(),
            returns: self.returns.clone(),
            history: self.history.iter().cloned().collect(),
            version: self.version,
            updated_at: self.updated_at,
        }
    }

    /// Units on hand per location (sellable), for tests and views.
    pub fn on_hand_at(&self, location: &str) -> i64 {
        self.on_hand(location)
    }

    /// Returned units kept off the shelf at `location`.
    pub fn unsellable_at(&self, location: &str) -> i64 {
        self.stock.get(location).map_or(0, |s| s.unsellable)
    }

    /// Units in transit.
    pub fn in_transit(&self) -> &[Transit] {
        &self.transit
    }

    /// Open purchase-order lines.
    pub fn incoming(&self) -> &[IncomingLine] {
        &self.incoming
    }

    /// Returns per origin channel.
    pub fn returns(&self) -> &BTreeMap<String, ReturnStats> {
        &self.returns
    }

    /// Velocity per channel at `now`.
    pub fn velocity_per_day(&self, now: Timestamp) -> BTreeMap<String, f64> {
        self.velocity.iter().map(|(c, v)| (c.clone(), v.per_day(now))).collect()
    }
}
