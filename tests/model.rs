//! A proptest state machine: random interleavings of PoS sales, returns, receivings, waste,
//! counts, duplicated and reordered deliveries, reservations, commits, releases and clock ticks,
//! driven through the real engine and checked against a naive reference ledger. The reference
//! also keeps each allocated channel's share by hand (every sale on the channel uses it up, a
//! restocked return of a unit bought there gives it back) and derives every channel's
//! availability from it.
//!
//! Every change set is stored as the Worker stores it, and a restart rebuilds the SKU from that
//! store alone; a refused call must change nothing, in memory or in what there is to store.
mod common;
use std::collections::{BTreeMap, BTreeSet};

use common::*;
use lastunit::{Applied, ChangeSet, EventBody, Hold, HoldState, SeenKey, Sku, StoredSku, Timestamp};
use proptest::prelude::*;

const LOCATIONS: [&str; 2] = ["main-st", "warehouse"];
const CHANNELS: [&str; 3] = ["store", "web", "marketplace"];

#[derive(Clone, Debug)]
enum Op {
    Sale { loc: usize, qty: i64, channel: usize },
    Return { loc: usize, qty: i64, restock: bool, origin: usize },
    Receive { loc: usize, qty: i64 },
    Waste { loc: usize, qty: i64 },
    Count { loc: usize, qty: i64, ago_s: i64 },
    Redeliver { which: usize },
    Reserve { channel: usize, qty: i64, ttl_min: i64 },
    Commit { which: usize },
    Release { which: usize },
    Tick { minutes: i64 },
    Restart,
    Refused { which: usize },
}

fn op(with_counts: bool) -> impl Strategy<Value = Op> {
    let loc = 0..LOCATIONS.len();
    prop_oneof![
        3 => (loc.clone(), 1..4i64, 0..CHANNELS.len()).prop_map(|(loc, qty, channel)| Op::Sale { loc, qty, channel }),
        1 => (loc.clone(), 1..3i64, any::<bool>(), 0..CHANNELS.len())
            .prop_map(|(loc, qty, restock, origin)| Op::Return { loc, qty, restock, origin }),
        2 => (loc.clone(), 1..6i64).prop_map(|(loc, qty)| Op::Receive { loc, qty }),
        1 => (loc.clone(), 1..2i64).prop_map(|(loc, qty)| Op::Waste { loc, qty }),
        (if with_counts { 1 } else { 0 }) => (loc, 0..12i64, 0..600i64).prop_map(|(loc, qty, ago_s)| Op::Count { loc, qty, ago_s }),
        2 => any::<usize>().prop_map(|which| Op::Redeliver { which }),
        4 => (0..CHANNELS.len(), 1..4i64, 1..30i64).prop_map(|(channel, qty, ttl_min)| Op::Reserve { channel, qty, ttl_min }),
        3 => any::<usize>().prop_map(|which| Op::Commit { which }),
        1 => any::<usize>().prop_map(|which| Op::Release { which }),
        // One arm for the three (proptest takes at most ten with a weight of 0 among them).
        4 => prop_oneof![
            2 => (1..20i64).prop_map(|minutes| Op::Tick { minutes }),
            1 => Just(Op::Restart),
            1 => any::<usize>().prop_map(|which| Op::Refused { which }),
        ],
    ]
}

/// What the Worker keeps of a SKU: the latest snapshot and one row per hold, applied key and
/// ledger entry, written only from change sets.
#[derive(Default)]
struct Store {
    snapshot: Option<String>,
    holds: BTreeMap<String, Hold>,
    seen: BTreeMap<String, Timestamp>,
    ledger: BTreeMap<(u64, String), String>,
}

impl Store {
    fn write(&mut self, changes: ChangeSet) {
        if let Some(s) = changes.snapshot {
            self.snapshot = Some(s.to_json());
        }
        for h in changes.holds {
            self.holds.insert(h.id.clone(), h);
        }
        for k in changes.seen {
            self.seen.insert(k.key, k.at);
        }
        for e in changes.ledger {
            let key = (e.version, e.location.clone());
            assert!(
                self.ledger.insert(key, serde_json::to_string(&e).unwrap()).is_none(),
                "a ledger row written twice"
            );
        }
    }

    fn load(&self) -> Sku {
        let stored = StoredSku::read(self.snapshot.as_deref().expect("a snapshot was stored")).unwrap();
        let seen = self.seen.iter().map(|(key, at)| SeenKey { key: key.clone(), at: *at }).collect();
        Sku::restore(stored, self.holds.values().cloned().collect(), seen)
    }
}

/// The naive reference: a list of applied deltas per location, by event id, and what each
/// allocated channel has left of its share.
#[derive(Default)]
struct Reference {
    applied: BTreeSet<String>,
    on_hand: BTreeMap<&'static str, i64>,
    share_size: BTreeMap<&'static str, i64>,
    share_left: BTreeMap<&'static str, i64>,
    buffer: i64,
}

impl Reference {
    fn sold(&mut self, channel: &str, units: i64) {
        if let Some(left) = self.share_left.get_mut(channel) {
            *left = (*left - units).max(0);
        }
    }

    fn restocked(&mut self, origin: &str, units: i64) {
        if let Some(left) = self.share_left.get_mut(origin) {
            *left = (*left + units).min(self.share_size[origin]);
        }
    }
}

struct Run {
    sku: Sku,
    now: Timestamp,
    next_id: usize,
    delivered: Vec<String>,
    holds: Vec<String>,
    reference: Reference,
    edge_sold: i64,
    with_counts: bool,
    store: Store,
}

impl Run {
    fn new(config: &str, with_counts: bool) -> Self {
        let mut sku = sku_with(config);
        stock(&mut sku, "main-st", 5);
        stock(&mut sku, "warehouse", 5);
        let mut reference = Reference::default();
        reference.on_hand.insert("main-st", 5);
        reference.on_hand.insert("warehouse", 5);
        let config: lastunit::SkuConfig = serde_json::from_str(config).unwrap();
        for (c, units) in config.allocation.iter().flatten() {
            let c: &'static str = CHANNELS.iter().find(|x| **x == c.as_str()).unwrap();
            reference.share_size.insert(c, i64::from(*units));
            reference.share_left.insert(c, i64::from(*units));
        }
        if let lastunit::BufferPolicy::Fixed { units } = config.buffer {
            reference.buffer = i64::from(units);
        }
        let mut store = Store::default();
        store.write(sku.take_changes());
        Run {
            sku,
            now: T0,
            next_id: 0,
            delivered: Vec::new(),
            holds: Vec::new(),
            reference,
            edge_sold: 0,
            with_counts,
            store,
        }
    }

    /// Everything a refusal could have touched: the snapshot and every hold as they are.
    fn picture(&self) -> (String, Vec<Option<Hold>>) {
        (self.sku.stored().to_json(), self.holds.iter().map(|id| self.sku.hold(id).cloned()).collect())
    }

    /// Calls `call` after expiring what is due, and checks it is refused and changed nothing.
    fn refused(&mut self, what: &str, call: impl FnOnce(&mut Sku) -> Result<(), lastunit::Error>) {
        self.sku.expire(self.now);
        self.store.write(self.sku.take_changes());
        let before = self.picture();
        assert!(call(&mut self.sku).is_err(), "{what} was accepted");
        assert!(self.sku.take_changes().is_empty(), "{what} was refused but left changes to store");
        assert_eq!(self.picture(), before, "{what} was refused but changed the SKU");
    }

    /// Rebuilds the SKU from the store alone, as a restarted Worker does, and checks it decides
    /// exactly as the one that ran.
    fn restart(&mut self) {
        self.store.write(self.sku.take_changes());
        let back = self.store.load();
        assert_eq!(back.stored(), self.sku.stored(), "the snapshot does not come back as it was");
        for id in &self.holds {
            assert_eq!(back.hold(id), self.sku.hold(id), "hold {id} after a restart");
        }
        for key in &self.reference.applied {
            assert_eq!(back.has_seen(key), self.sku.has_seen(key), "applied key {key} after a restart");
        }
        assert_eq!(back.next_expiry(), self.sku.next_expiry());
        self.sku = back;
    }

    /// Delivers an event; `share` is what it does to the reference's shares once applied.
    fn deliver(&mut self, json: String, loc: &'static str, delta: i64, share: impl FnOnce(&mut Reference)) {
        let body: EventBody = serde_json::from_str(&json).unwrap();
        let e = body.check("square", self.now).unwrap();
        let before = self.sku.version();
        let outcome = self.sku.apply(&e, self.now).unwrap();
        let first_time = self.reference.applied.insert(e.source.key());
        match outcome {
            Applied::Applied(_) => {
                assert!(first_time, "an event counted twice: {json}");
                *self.reference.on_hand.get_mut(loc).unwrap() += delta;
                share(&mut self.reference);
                assert!(self.sku.version() > before, "version must rise with every change");
            }
            Applied::Duplicate => assert!(!first_time, "a new event taken for a duplicate"),
            Applied::Stale => assert!(self.with_counts, "only counts can be stale"),
            Applied::Echo => unreachable!("nothing here is told to a PoS"),
        }
        if !self.delivered.contains(&json) {
            self.delivered.push(json);
        }
    }

    fn step(&mut self, op: &Op) {
        let id = self.next_id;
        self.next_id += 1;
        let at = self.now;
        match *op {
            Op::Sale { loc, qty, channel } => {
                let (l, c) = (LOCATIONS[loc], CHANNELS[channel]);
                self.deliver(format!(r#"{{"event_id":"e{id}","type":"sale","sku":"A","location":"{l}","quantity":{qty},"channel":"{c}","occurred_at":"{at}"}}"#), l, -qty, |r| r.sold(c, qty))
            }
            Op::Return { loc, qty, restock, origin } => {
                let (l, o) = (LOCATIONS[loc], CHANNELS[origin]);
                self.deliver(
                    format!(r#"{{"event_id":"e{id}","type":"return","sku":"A","location":"{l}","quantity":{qty},"origin_channel":"{o}","restock":{restock},"occurred_at":"{at}"}}"#),
                    l,
                    if restock { qty } else { 0 },
                    |r| if restock { r.restocked(o, qty) },
                )
            }
            Op::Receive { loc, qty } => {
                let l = LOCATIONS[loc];
                self.deliver(format!(r#"{{"event_id":"e{id}","type":"receive","sku":"A","location":"{l}","quantity":{qty},"occurred_at":"{at}"}}"#), l, qty, |_| ())
            }
            Op::Waste { loc, qty } => {
                let l = LOCATIONS[loc];
                self.deliver(format!(r#"{{"event_id":"e{id}","type":"waste","sku":"A","location":"{l}","quantity":{qty},"occurred_at":"{at}"}}"#), l, -qty, |_| ())
            }
            Op::Count { loc, qty, ago_s } => {
                let l = LOCATIONS[loc];
                let observed = at.plus(-ago_s * 1000);
                let json = format!(
                    r#"{{"event_id":"e{id}","type":"count","sku":"A","location":"{l}","quantity":{qty},"occurred_at":"{observed}"}}"#
                );
                let body: EventBody = serde_json::from_str(&json).unwrap();
                let outcome = self.sku.apply(&body.check("square", at).unwrap(), at).unwrap();
                if matches!(outcome, Applied::Applied(_)) {
                    // Counts reset the reference to what the engine decided; the safety
                    // invariants below still bind it.
                    self.reference.on_hand.insert(l, self.sku.on_hand_at(l));
                }
            }
            Op::Redeliver { which } => {
                if !self.delivered.is_empty() {
                    let json = self.delivered[which % self.delivered.len()].clone();
                    let before = self.sku.version();
                    let body: EventBody = serde_json::from_str(&json).unwrap();
                    let outcome = self.sku.apply(&body.check("square", at).unwrap(), at).unwrap();
                    assert_eq!(outcome, Applied::Duplicate, "a redelivery must change nothing");
                    assert_eq!(self.sku.version(), before);
                }
            }
            Op::Reserve { channel, qty, ttl_min } => {
                let c = CHANNELS[channel];
                let could = self.sku.available(c).unwrap();
                let req = hold(&format!("h{id}"), c, qty, at.plus(ttl_min * 60_000));
                match self.sku.reserve(&req, at) {
                    Ok(_) => {
                        assert!(qty <= could, "held {qty} while only {could} could be sold");
                        self.holds.push(req.id);
                    }
                    Err(e) => assert!(
                        e.code() == "over_cart_limit" || (e.code() == "insufficient_stock" && qty > could),
                        "refused {qty} with {could} available: {e}"
                    ),
                }
            }
            Op::Commit { which } => {
                if !self.holds.is_empty() {
                    let id = self.holds[which % self.holds.len()].clone();
                    self.sku.expire(at);
                    let h = self.sku.hold(&id).cloned();
                    let before: BTreeMap<_, _> = LOCATIONS.iter().map(|l| (*l, self.sku.on_hand_at(l))).collect();
                    let result = self.sku.commit(&id, &format!("o-{id}"), at);
                    match (h, result) {
                        (Some(h), Ok(_)) if h.state == HoldState::Active => {
                            for (l, q) in &h.placed {
                                assert!(
                                    before[l.as_str()] >= *q,
                                    "an edge sale of a unit that did not exist at {l}: {h:?} {before:?}"
                                );
                                let l: &'static str = LOCATIONS.iter().find(|x| **x == l.as_str()).unwrap();
                                *self.reference.on_hand.get_mut(l).unwrap() -= q;
                            }
                            self.edge_sold += h.quantity;
                            self.reference.sold(&h.channel, h.quantity);
                        }
                        (Some(h), Ok(_)) => assert!(
                            matches!(h.state, HoldState::Committed { .. }),
                            "only a committed hold commits again"
                        ),
                        (Some(h), Err(e)) => assert!(!h.is_active(), "a live hold failed to commit: {e}"),
                        (None, r) => assert!(r.is_err()),
                    }
                }
            }
            Op::Release { which } => {
                if !self.holds.is_empty() {
                    let id = self.holds[which % self.holds.len()].clone();
                    let _ = self.sku.release(&id, at);
                }
            }
            Op::Tick { minutes } => {
                self.now = self.now.plus(minutes * 60_000);
                self.sku.expire(self.now);
            }
            Op::Restart => self.restart(),
            Op::Refused { which } => {
                let held = self.holds.get(which % self.holds.len().max(1)).cloned();
                match which % 5 {
                    0 => {
                        let json = format!(
                            r#"{{"event_id":"bad{id}","type":"sale","sku":"A","location":"nowhere","quantity":1}}"#
                        );
                        let body: EventBody = serde_json::from_str(&json).unwrap();
                        let e = body.check("square", at).unwrap();
                        self.refused("an event at an unknown location", |s| s.apply(&e, at).map(|_| ()));
                    }
                    1 => {
                        let req = hold(&format!("h{id}"), "web", 1_000, at.plus(60_000));
                        self.refused("a reservation beyond the cart limit", |s| s.reserve(&req, at).map(|_| ()));
                    }
                    2 => self.refused("a commit of an unknown hold", |s| s.commit("nobody", "o", at).map(|_| ())),
                    3 => match held.filter(|id| self.sku.hold(id).is_some_and(|h| !h.is_active())) {
                        Some(id) if matches!(self.sku.hold(&id).unwrap().state, HoldState::Committed { .. }) => {
                            self.refused("releasing a committed hold", |s| s.release(&id, at).map(|_| ()))
                        }
                        Some(id) => self.refused("committing a settled hold", |s| s.commit(&id, "o", at).map(|_| ())),
                        None => {}
                    },
                    _ => {
                        let line = lastunit::forecast::IncomingLine {
                            po_id: "PO".into(),
                            location: "nowhere".into(),
                            quantity: 1,
                            expected_at: at,
                        };
                        self.refused("a purchase-order line at an unknown location", |s| s.expect(line, at));
                    }
                }
            }
        }
        self.store.write(self.sku.take_changes());
        self.check();
    }

    fn check(&self) {
        for l in LOCATIONS {
            assert_eq!(self.sku.on_hand_at(l), self.reference.on_hand[l], "on hand at {l}");
        }
        let reserved = self.sku.reserved();
        assert!(reserved >= 0);
        for c in CHANNELS {
            let a = self.sku.availability(c).unwrap();
            assert!(a.available >= 0);
            let locs: Vec<&str> =
                lastunit::Topology::channel(self.sku.topology(), c).unwrap().iter().map(String::as_str).collect();
            let shelf: i64 = locs.iter().map(|l| self.sku.on_hand_at(l).max(0)).sum();
            assert!(a.available <= shelf, "{c} offers {} of {shelf} on the shelf", a.available);
            assert_eq!(a.status == lastunit::Status::OutOfStock, a.available == 0);
        }
        self.check_availability();
        // Active holds never claim more than the shelf holds.
        let shelf: i64 = LOCATIONS.iter().map(|l| self.sku.on_hand_at(l).max(0)).sum();
        assert!(reserved <= shelf, "{reserved} held of {shelf}");
    }
}

impl Run {
    /// Every channel's availability, derived by hand from the reference's shelf, the active
    /// holds and the shares: a channel with a share sells what it has left beyond its holds;
    /// another the free shelf less what the shares keep and the buffer.
    fn check_availability(&self) {
        let active: Vec<lastunit::Hold> =
            self.holds.iter().filter_map(|id| self.sku.hold(id)).filter(|h| h.is_active()).cloned().collect();
        let held_on = |c: &str| active.iter().filter(|h| h.channel == c).map(|h| h.quantity).sum::<i64>();
        let held_at = |l: &str| active.iter().map(|h| h.placed.get(l).copied().unwrap_or(0)).sum::<i64>();
        let kept: i64 = self.reference.share_left.iter().map(|(c, left)| (left - held_on(c)).max(0)).sum();
        for c in CHANNELS {
            let locs = lastunit::Topology::channel(self.sku.topology(), c).unwrap();
            let pool: i64 = locs.iter().map(|l| (self.reference.on_hand[l.as_str()] - held_at(l)).max(0)).sum();
            let expected = match self.reference.share_left.get(c) {
                Some(left) => (left - held_on(c)).min(pool),
                None => pool - kept - if c == "store" { 0 } else { self.reference.buffer },
            };
            assert_eq!(self.sku.available(c).unwrap(), expected.max(0), "available on {c}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn the_engine_agrees_with_a_naive_ledger(ops in proptest::collection::vec(op(false), 1..80), buffer in 0u32..3) {
        let mut run = Run::new(&format!(r#"{{"buffer":{{"mode":"fixed","units":{buffer}}},"max_per_cart":4}}"#), false);
        for o in &ops {
            run.step(o);
        }
    }

    #[test]
    fn counts_never_break_the_safety_rules(ops in proptest::collection::vec(op(true), 1..80)) {
        let mut run = Run::new(r#"{"allocation":{"marketplace":3}}"#, true);
        for o in &ops {
            run.step(o);
        }
    }

    #[test]
    fn every_sale_on_a_channel_uses_its_share(ops in proptest::collection::vec(op(false), 1..80)) {
        let mut run = Run::new(r#"{"allocation":{"marketplace":3,"web":2},"max_per_cart":4}"#, false);
        for o in &ops {
            run.step(o);
        }
    }

    #[test]
    fn deliveries_in_any_order_with_repeats_end_in_the_same_state(
        moves in proptest::collection::vec((0..2usize, -3..6i64, any::<bool>()), 1..30),
        order in proptest::collection::vec(any::<proptest::sample::Index>(), 1..90),
    ) {
        // Each event happens at its own minute; some are absolute counts. Ordered delivery is
        // by the time they happened.
        let events: Vec<String> = moves.iter().enumerate().map(|(i, (loc, q, is_count))| {
            let l = LOCATIONS[*loc];
            let at = T0.plus(i as i64 * 60_000);
            if *is_count {
                format!(r#"{{"event_id":"e{i}","type":"count","sku":"A","location":"{l}","quantity":{},"occurred_at":"{at}"}}"#, q.abs() * 2)
            } else if *q > 0 {
                format!(r#"{{"event_id":"e{i}","type":"receive","sku":"A","location":"{l}","quantity":{q},"occurred_at":"{at}"}}"#)
            } else {
                format!(r#"{{"event_id":"e{i}","type":"sale","sku":"A","location":"{l}","quantity":{},"occurred_at":"{at}"}}"#, 1 - q)
            }
        }).collect();
        let delivered_at = T0.plus(events.len() as i64 * 60_000);
        let in_order = {
            let mut s = sku_with("{}");
            for e in &events { event(&mut s, "shopify", e, delivered_at); }
            s
        };
        let mut shuffled = sku_with("{}");
        // Every event at least once, in a random order, with random repeats (up to 8 each).
        let mut deliveries: Vec<usize> = (0..events.len()).collect();
        deliveries.extend(order.iter().map(|i| i.index(events.len())));
        let mut counts = vec![0; events.len()];
        let mut seq: Vec<usize> = Vec::new();
        for (k, d) in deliveries.iter().enumerate() {
            if counts[*d] < 8 { counts[*d] += 1; seq.push(*d); }
            let j = order.get(k).map_or(0, |i| i.index(seq.len()));
            let last = seq.len() - 1;
            seq.swap(j, last);
        }
        for d in seq { event(&mut shuffled, "shopify", &events[d], delivered_at); }
        for l in LOCATIONS {
            prop_assert_eq!(shuffled.on_hand_at(l), in_order.on_hand_at(l));
        }
        for c in CHANNELS {
            prop_assert_eq!(shuffled.available(c).unwrap(), in_order.available(c).unwrap());
        }
    }
}
