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
//!   [`shopify::MAX_QUANTITIES`]), sent only when the cost bucket holds the mutation's cost.
//!   WooCommerce: the due SKUs in batches of [`woocommerce::MAX_BATCH`] per endpoint (a lone
//!   SKU is one `PUT`), at most [`woocommerce::WRITES_PER_SECOND`] requests a second.
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

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::echo::{Echoes, Observed};
use super::shopify::{self, Bucket, SetLine, SetOutcome};
use super::status::{ConnectionStatus, Health, FAILING_AFTER};
use super::woocommerce::{self, StockOutcome, WooRef};
use super::{Answer, Provider, StoreRequest};
use crate::time::SECOND;
use crate::Timestamp;

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
    fn pending(&self) -> bool {
        self.wanted.is_some_and(|w| self.forced || self.echoes.known != Some(w))
    }

    /// When this item may be written, if it is due at all.
    fn ready_at(&self, now: Timestamp) -> Option<Timestamp> {
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

/// What to send now: the requests (in order) and the number [`Outbox::record`] takes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Work {
    /// The in-flight request number.
    pub id: u64,
    /// The requests; answer each, in order.
    pub requests: Vec<StoreRequest>,
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

    /// When there is something to do (`None`: nothing pending).
    pub fn next_wake(&self, now: Timestamp) -> Option<Timestamp> {
        let read_back = self.items.values().any(|i| i.read_back && i.refused.is_none());
        let due = self
            .write_at(now)
            .into_iter()
            .chain((read_back || self.meta.in_flight.is_some()).then_some(now))
            .min()?;
        let gate = [self.meta.retry_at, self.meta.throttled_until].into_iter().flatten().max();
        Some(gate.map_or(due, |g| g.max(due)).max(now))
    }

    /// When the next write leaves: when the first item is due, held for the items that fall
    /// due within [`SETTLE_MS`] after it (a SKU written less than a second ago, in a resync) so
    /// they share its batch. The hold never outlasts that window, so nothing waits longer.
    fn write_at(&self, now: Timestamp) -> Option<Timestamp> {
        let ready: Vec<Timestamp> = self.items.values().filter_map(|i| i.ready_at(now)).collect();
        let window = ready.iter().min()?.plus(SETTLE_MS);
        ready.into_iter().filter(|t| *t <= window).max()
    }

    fn key(&self, id: u64) -> String {
        format!("lastunit-{}-{id}", self.meta.epoch)
    }

    /// What to send now, if anything: a request left unanswered (again, with the same key,
    /// while its numbers are the newest), read-backs, or the due writes. The request is
    /// recorded in flight before it is returned; store the changes before sending it.
    pub fn poll(&mut self, target: &Target, now: Timestamp) -> Option<Work> {
        if !target.write || self.meta.retry_at.is_some_and(|t| t > now) {
            return None;
        }
        if self.meta.throttled_until.is_some_and(|t| t > now) {
            return None;
        }
        let location = target.location_ref.as_deref();
        if self.meta.provider == Provider::Shopify && location.is_none() {
            return None;
        }
        if let Some(flight) = self.meta.in_flight.clone() {
            let current = flight.lines.iter().all(|l| {
                self.items.get(&l.sku).is_some_and(|i| {
                    i.item_ref == l.item_ref
                        && match flight.kind {
                            FlightKind::Write => i.wanted == Some(l.quantity) && i.echoes.known == l.change_from,
                            FlightKind::ReadBack => i.read_back,
                        }
                })
            });
            if current {
                return Some(self.build(&flight, location));
            }
            self.meta.in_flight = None;
            self.meta_dirty = true;
        }
        let flight = self.next_flight(now)?;
        if self.meta.provider == Provider::Shopify {
            let cost = match flight.kind {
                FlightKind::Write => self.meta.costs.write.unwrap_or(shopify::WRITE_COST),
                FlightKind::ReadBack => self
                    .meta
                    .costs
                    .read_back
                    .unwrap_or(shopify::READ_BACK_COST_PER_LEVEL * flight.lines.len() as f64),
            };
            if let Some(ready) = self.meta.bucket.map(|b| b.ready_for(cost, now)).filter(|t| *t > now) {
                self.meta.throttled_until = Some(ready);
                self.meta_dirty = true;
                return None;
            }
        }
        if flight.kind == FlightKind::Write {
            for l in &flight.lines {
                let item = self.items.get_mut(&l.sku).expect("chosen from the items");
                item.echoes.sending(l.quantity, now);
                item.sent_at = Some(now);
            }
            for l in &flight.lines {
                self.touch(&l.sku);
            }
        }
        self.meta.seq = flight.id;
        self.meta.in_flight = Some(flight.clone());
        self.meta_dirty = true;
        Some(self.build(&flight, location))
    }

    /// Chooses the next request: read-backs first (a write after a stale compare needs them).
    fn next_flight(&self, now: Timestamp) -> Option<InFlight> {
        let id = self.meta.seq + 1;
        if self.meta.provider == Provider::Shopify {
            let lines: Vec<FlightLine> = self
                .items
                .iter()
                .filter(|(_, i)| i.read_back && i.refused.is_none())
                .take(shopify::MAX_READ_BACKS)
                .map(|(s, i)| FlightLine {
                    sku: s.clone(),
                    item_ref: i.item_ref.clone(),
                    quantity: 0,
                    change_from: None,
                })
                .collect();
            if !lines.is_empty() {
                return Some(InFlight { id, kind: FlightKind::ReadBack, lines });
            }
        }
        let max = match self.meta.provider {
            Provider::Shopify => shopify::MAX_QUANTITIES,
            _ => woocommerce::WRITES_PER_SECOND * woocommerce::MAX_BATCH,
        };
        if self.write_at(now).is_some_and(|t| t > now) {
            return None;
        }
        let mut due: Vec<(Timestamp, &String, &Item)> =
            self.items.iter().filter_map(|(s, i)| i.ready_at(now).filter(|t| *t <= now).map(|t| (t, s, i))).collect();
        due.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let lines: Vec<FlightLine> = due
            .into_iter()
            .take(max)
            .map(|(_, s, i)| FlightLine {
                sku: s.clone(),
                item_ref: i.item_ref.clone(),
                quantity: i.wanted.unwrap_or(0),
                change_from: i.echoes.known,
            })
            .collect();
        let lines = if self.meta.provider == Provider::Shopify { lines } else { woo_first_requests(lines) };
        (!lines.is_empty()).then_some(InFlight { id, kind: FlightKind::Write, lines })
    }

    fn build(&self, flight: &InFlight, location: Option<&str>) -> Work {
        let location = location.unwrap_or("");
        let requests = match (self.meta.provider, flight.kind) {
            (Provider::Shopify, FlightKind::Write) => {
                let lines: Vec<SetLine> = flight
                    .lines
                    .iter()
                    .map(|l| SetLine { item_ref: l.item_ref.clone(), quantity: l.quantity, change_from: l.change_from })
                    .collect();
                vec![shopify::set_quantities(location, &lines, &self.key(flight.id))]
            }
            (Provider::Shopify, FlightKind::ReadBack) => {
                let refs: Vec<String> = flight.lines.iter().map(|l| l.item_ref.clone()).collect();
                vec![shopify::read_levels(location, &refs)]
            }
            (_, _) => woocommerce::stock_writes(&woo_lines(&flight.lines).0).into_iter().map(|(r, _)| r).collect(),
        };
        Work { id: flight.id, requests }
    }

    /// Takes the answers to work `id` (one per request, in order) at `now`; `seed` draws the
    /// backoff's jitter. Answers to anything but the request in flight change nothing.
    pub fn record(&mut self, id: u64, answers: &[Answer], now: Timestamp, seed: u64) {
        let Some(flight) = self.meta.in_flight.clone().filter(|f| f.id == id) else { return };
        self.meta_dirty = true;
        match (self.meta.provider, flight.kind) {
            (Provider::Shopify, FlightKind::Write) => self.record_shopify_write(&flight, answers, now, seed),
            (Provider::Shopify, FlightKind::ReadBack) => self.record_read_back(&flight, answers, now, seed),
            _ => self.record_woo(&flight, answers, now, seed),
        }
    }

    fn record_shopify_write(&mut self, flight: &InFlight, answers: &[Answer], now: Timestamp, seed: u64) {
        let Some(answer) = answers.first() else { return self.failed("no answer recorded".into(), now, seed) };
        let (outcome, bucket) = shopify::read_set_answer(answer, flight.lines.len(), now);
        if let Some(b) = bucket {
            self.meta.bucket = bucket;
            self.meta.costs.write = Some(b.requested).filter(|c| *c > 0.0).or(self.meta.costs.write);
        }
        match outcome {
            SetOutcome::Applied => {
                for l in &flight.lines {
                    self.confirmed(&l.sku, l.quantity);
                }
                self.succeeded(now);
            }
            SetOutcome::Stale(lines) => {
                for i in lines {
                    let sku = &flight.lines[i].sku;
                    if let Some(item) = self.items.get_mut(sku) {
                        item.read_back = true;
                    }
                    self.touch(sku);
                }
                self.meta.in_flight = None;
                self.meta.retry_at = None;
            }
            SetOutcome::Refused(lines) => {
                for (i, why) in lines {
                    let sku = &flight.lines[i].sku;
                    if let Some(item) = self.items.get_mut(sku) {
                        item.refused = Some(why);
                    }
                    self.touch(sku);
                }
                self.meta.in_flight = None;
            }
            SetOutcome::NewKey(why) => {
                self.meta.in_flight = None;
                self.failed(why, now, seed);
            }
            SetOutcome::Throttled { wait_ms } => self.throttled(wait_ms, now),
            SetOutcome::Failed(why) => self.failed(why, now, seed),
        }
    }

    fn record_read_back(&mut self, flight: &InFlight, answers: &[Answer], now: Timestamp, seed: u64) {
        let Some(answer) = answers.first() else { return self.failed("no answer recorded".into(), now, seed) };
        let (levels, bucket) = shopify::read_levels_answer(answer, flight.lines.len(), now);
        if let Some(b) = bucket {
            self.meta.bucket = bucket;
            self.meta.costs.read_back = Some(b.requested).filter(|c| *c > 0.0).or(self.meta.costs.read_back);
        }
        match levels {
            Ok(levels) => {
                for (l, level) in flight.lines.iter().zip(levels) {
                    if let Some(item) = self.items.get_mut(&l.sku) {
                        item.read_back = false;
                        match level {
                            Some(q) => item.echoes.store_holds(q, item.wanted, now),
                            None => item.refused = Some("the item is not stocked at the connection's location".into()),
                        }
                        if item.pending() {
                            item.pending_since = Some(now);
                        }
                    }
                    self.touch(&l.sku);
                }
                self.meta.in_flight = None;
                self.meta.failures = 0;
                self.meta.retry_at = None;
            }
            Err(SetOutcome::Throttled { wait_ms }) => self.throttled(wait_ms, now),
            Err(SetOutcome::Failed(why)) => self.failed(why, now, seed),
            Err(_) => self.failed("the read-back could not be read".into(), now, seed),
        }
    }

    fn record_woo(&mut self, flight: &InFlight, answers: &[Answer], now: Timestamp, seed: u64) {
        // Each request stands alone and sets absolute numbers: nothing is sent again under a
        // key, what failed is simply still due.
        self.meta.in_flight = None;
        let mut failure = None;
        let mut wait = None;
        let mut any_written = false;
        let (refs, index) = woo_lines(&flight.lines);
        let requests = woocommerce::stock_writes(&refs);
        let mut outcomes = Vec::with_capacity(refs.len());
        for ((request, members), answer) in requests.iter().zip(answers) {
            let sent: Vec<(WooRef, i64)> = members.iter().map(|&m| refs[m]).collect();
            let read = woocommerce::read_writes_answer(answer, request, &sent);
            outcomes.extend(members.iter().map(|&m| &flight.lines[index[m]]).zip(read));
        }
        for (l, outcome) in outcomes {
            match outcome {
                StockOutcome::Written(q) => {
                    self.confirmed(&l.sku, q);
                    any_written = true;
                }
                StockOutcome::Refused(why) => {
                    if let Some(item) = self.items.get_mut(&l.sku) {
                        item.refused = Some(why);
                    }
                    self.touch(&l.sku);
                }
                StockOutcome::Throttled { wait_ms } => wait = Some(wait.unwrap_or(0).max(wait_ms)),
                StockOutcome::Failed(why) => failure = Some(why),
            }
        }
        if any_written {
            self.meta.last_write_at = Some(now);
        }
        match (wait, failure) {
            (Some(ms), _) => self.throttled(ms, now),
            (None, Some(why)) => self.failed(why, now, seed),
            (None, None) => {
                self.succeeded(now);
                // Pace the next run: at most WRITES_PER_SECOND requests a second.
                let spent = requests.len() as i64 * SECOND / woocommerce::WRITES_PER_SECOND as i64;
                self.meta.retry_at = Some(now.plus(spent));
            }
        }
    }

    fn confirmed(&mut self, sku: &str, quantity: i64) {
        if let Some(item) = self.items.get_mut(sku) {
            item.echoes.written(quantity);
            if item.wanted == Some(quantity) {
                item.forced = false;
            }
            if !item.pending() {
                item.pending_since = None;
            }
        }
        self.touch(sku);
    }

    fn succeeded(&mut self, now: Timestamp) {
        self.meta.in_flight = None;
        self.meta.failures = 0;
        self.meta.retry_at = None;
        self.meta.throttled_until = None;
        self.meta.last_write_at = Some(now);
        self.meta.last_error = None;
    }

    fn throttled(&mut self, wait_ms: i64, now: Timestamp) {
        self.meta.throttled_until = Some(now.plus(wait_ms));
        self.meta.last_error = Some(format!("throttled by the store for {wait_ms} ms"));
    }

    fn failed(&mut self, why: String, now: Timestamp, seed: u64) {
        self.meta.failures += 1;
        self.meta.retry_at = Some(now.plus(backoff_ms(self.meta.failures, seed)));
        self.meta.last_error = Some(why);
    }
}

/// Flight lines as WooCommerce products and quantities, with each one's index among `lines`
/// (a ref that does not parse, which `pos_refs` checks never let in, is left out).
fn woo_lines(lines: &[FlightLine]) -> (Vec<(WooRef, i64)>, Vec<usize>) {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| WooRef::parse(&l.item_ref).ok().map(|r| ((r, l.quantity), i)))
        .unzip()
}

/// The lines of the first [`woocommerce::WRITES_PER_SECOND`] requests that would write `lines`,
/// in the order those requests carry them (the rest stay due for the next run).
fn woo_first_requests(lines: Vec<FlightLine>) -> Vec<FlightLine> {
    let (refs, index) = woo_lines(&lines);
    let plan = woocommerce::stock_writes(&refs);
    let keep: Vec<usize> =
        plan.iter().take(woocommerce::WRITES_PER_SECOND).flat_map(|(_, members)| members.iter().map(|&m| index[m])).collect();
    let mut slots: Vec<Option<FlightLine>> = lines.into_iter().map(Some).collect();
    keep.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The wait after `failures` failures in a row: 1 s, 2 s, 4 s, … at most [`MAX_BACKOFF_MS`],
/// each drawn between half and all of it (so many connections do not retry in step).
pub fn backoff_ms(failures: u32, seed: u64) -> i64 {
    let full = (SECOND << failures.saturating_sub(1).min(20)).min(MAX_BACKOFF_MS);
    // splitmix64 of the seed and the attempt: the same seed gives the same wait.
    let mut z = seed.wrapping_add(u64::from(failures).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    full / 2 + (z % (full as u64 / 2 + 1)) as i64
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
