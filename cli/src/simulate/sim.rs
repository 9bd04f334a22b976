//! One policy's run: a queue of timed events (shoppers arriving, registers ringing, checkouts,
//! syncs, reviews and deliveries) over the shop's stock, and what came of it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use lastunit::catalog::{BufferPolicy, SkuConfig, Topology};
use lastunit::event::EventBody;
use lastunit::forecast::IncomingLine;
use lastunit::reservation::HoldRequest;
use lastunit::time::{DAY, MINUTE};
use lastunit::{Sku, Timestamp};

use super::policy::Policy;
use super::shop::{self, Product, Shopper, CHANNELS, DELIVERY_AT, LEAD_DAYS, LOCATION, MARKETPLACE, STORE};

const HOLD_TTL: i64 = 15 * MINUTE;
/// Push policies: the marketplace processes count updates every this often...
const MARKET_FEED: i64 = 5 * MINUTE;
/// ...and its orders reach the shop this long after checkout (every policy).
const IMPORT_LAG: i64 = 10 * MINUTE;

/// What happened under one policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub store_sales: u64,
    pub online_orders: u64,
    /// Online orders accepted for a unit that was gone: cancelled.
    pub oversells: u64,
    /// Online shoppers turned away while a unit sat free, up to the units still unsold when
    /// the next delivery came.
    pub lost_online: u64,
    /// Store shoppers who found the shelf empty, up to the units sold online since the last
    /// delivery (each of those could have been on the shelf for them).
    pub store_stockouts: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Review,
    Deliver { sku: usize, units: i64, po: u64 },
    Sync,
    Register { sku: usize },
    Arrive { shopper: usize },
    Import { sku: usize },
    MarketFeed,
    Checkout { shopper: usize },
    Recalibrate,
}

/// One SKU's stock as every party sees it, and what the current delivery cycle has counted.
struct Stock {
    /// Units physically free: on the shelf, not in a shopper's hands, not picked for an order.
    physical: i64,
    /// The shop's own count: what it has recorded (units in shoppers' hands still count).
    master: i64,
    /// Batch policies: the web and marketplace counts; push policies: `[_, marketplace feed]`.
    views: [i64; 2],
    on_order: i64,
    /// Since the last delivery: online shoppers turned away while a unit was physically free...
    turned_away: u64,
    /// ...store shoppers who found the shelf empty...
    store_empty: u64,
    /// ...and units picked for online orders.
    online_picked: u64,
    engine: Option<Sku>,
}

struct Sim<'a> {
    policy: Policy,
    shoppers: &'a [Shopper],
    catalog: &'a [Product],
    products: Vec<Stock>,
    queue: BinaryHeap<Reverse<(i64, u64, Ev)>>,
    seq: u64,
    ids: u64,
    out: Outcome,
}

fn topology() -> Topology {
    Topology {
        locations: vec![LOCATION.to_string()],
        channels: CHANNELS.iter().map(|c| (c.to_string(), vec![LOCATION.to_string()])).collect(),
        ..Topology::default()
    }
}

/// A checked engine event for `sku` at `at`, from the generic wire format.
fn stock_event(sku: &str, id: String, at: i64, json: serde_json::Value) -> lastunit::StockEvent {
    let mut v = json;
    v["event_id"] = id.into();
    v["sku"] = sku.into();
    v["location"] = LOCATION.into();
    v["occurred_at"] = Timestamp(at).to_string().into();
    let body: EventBody = serde_json::from_value(v).expect("well-formed event");
    body.check("sim", Timestamp(at)).expect("valid event")
}

/// The lastunit engine under `buffer`, warmed with two weeks of sales at the product's pace so
/// its velocity (and so its automatic buffer) starts where a running shop's would be.
fn engine(p: &Product, buffer: &BufferPolicy, start: i64) -> Sku {
    let (id, per_day, stock) = (p.id.as_str(), p.per_day, p.start_stock);
    let config = SkuConfig { title: id.into(), buffer: buffer.clone(), ..SkuConfig::default() };
    let mut s = Sku::new(id, config, topology(), Timestamp(start - 14 * DAY)).expect("valid config");
    let gap = (DAY as f64 / per_day) as i64;
    let mut t = start - 14 * DAY + gap / 2;
    let mut n = 0;
    while t < start {
        let channel = CHANNELS[[0, 1, 0, 2, 1, 0][n % 6]];
        let sale = serde_json::json!({"type": "sale", "quantity": 1, "channel": channel});
        s.apply(&stock_event(id, format!("warm-{n}"), t, sale), Timestamp(t)).expect("applies");
        t += gap;
        n += 1;
    }
    let count = serde_json::json!({"type": "count", "quantity": stock});
    s.apply(&stock_event(id, format!("warm-{n}"), start, count), Timestamp(start)).expect("applies");
    s.take_changes(); // the warm-up is not stored either
    s
}

impl<'a> Sim<'a> {
    fn push(&mut self, at: i64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    /// Tells the engine (lastunit only) of a movement.
    fn event(&mut self, sku: usize, at: i64, json: serde_json::Value) {
        self.ids += 1;
        let e = stock_event(&self.catalog[sku].id, format!("e-{}", self.ids), at, json);
        if let Some(engine) = self.products[sku].engine.as_mut() {
            engine.apply(&e, Timestamp(at)).expect("known sku and location");
        }
    }

    /// What an online channel shows now.
    fn shown(&mut self, sku: usize, channel: usize, now: i64) -> i64 {
        let p = &mut self.products[sku];
        match self.policy {
            _ if channel == MARKETPLACE => p.views[1].max(0),
            Policy::Push => p.master.max(0),
            Policy::Lastunit => {
                let e = p.engine.as_mut().expect("engine");
                e.expire(Timestamp(now));
                e.available(CHANNELS[channel]).unwrap_or(0)
            }
            _ => p.views[channel - 1].max(0),
        }
    }

    fn turned_away(&mut self, sku: usize) {
        let p = &mut self.products[sku];
        if p.physical > 0 {
            p.turned_away += 1;
        }
    }

    /// Picks a unit for an accepted online order, or counts the oversell (the order is
    /// cancelled; lastunit's count is put right).
    fn pick_online(&mut self, sku: usize) -> bool {
        let p = &mut self.products[sku];
        if p.physical > 0 {
            p.physical -= 1;
            p.master -= 1;
            p.online_picked += 1;
            return true;
        }
        self.out.oversells += 1;
        false
    }

    /// Closes the delivery cycle: hidden units nobody bought are lost online sales, empty
    /// shelves that online orders emptied are store stockouts.
    fn settle_cycle(&mut self, sku: usize) {
        let p = &mut self.products[sku];
        self.out.lost_online += p.turned_away.min(p.physical.max(0) as u64);
        self.out.store_stockouts += p.store_empty.min(p.online_picked);
        (p.turned_away, p.store_empty, p.online_picked) = (0, 0, 0);
    }

    fn arrive(&mut self, now: i64, shopper: usize) {
        let all: &'a [Shopper] = self.shoppers;
        let s = &all[shopper];
        let (sku, channel) = (s.sku, s.channel);
        if channel == STORE {
            let p = &mut self.products[sku];
            if p.physical > 0 {
                p.physical -= 1;
                self.push(now + s.delay, Ev::Register { sku });
            } else {
                p.store_empty += 1;
            }
            return;
        }
        if self.shown(sku, channel, now) <= 0 {
            self.turned_away(sku);
            return;
        }
        if self.policy == Policy::Lastunit && channel != MARKETPLACE {
            let req = HoldRequest {
                id: format!("h-{shopper}"),
                cart_id: format!("c-{shopper}"),
                client: None,
                channel: CHANNELS[channel].into(),
                quantity: 1,
                expires_at: Timestamp(now + HOLD_TTL),
            };
            if self.products[sku].engine.as_mut().expect("engine").reserve(&req, Timestamp(now)).is_err() {
                self.turned_away(sku);
                return;
            }
        }
        if !s.abandons {
            self.push(now + s.delay, Ev::Checkout { shopper });
        }
    }

    fn checkout(&mut self, now: i64, shopper: usize) {
        let (sku, channel) = (self.shoppers[shopper].sku, self.shoppers[shopper].channel);
        if channel == MARKETPLACE {
            // The marketplace sells on its own count; the order reaches the shop later.
            let v = &mut self.products[sku].views[1];
            if *v > 0 {
                *v -= 1;
                self.out.online_orders += 1;
                self.push(now + IMPORT_LAG, Ev::Import { sku });
            } else {
                self.turned_away(sku);
            }
            return;
        }
        let accepted = match self.policy {
            Policy::Lastunit => {
                let e = self.products[sku].engine.as_mut().expect("engine");
                e.commit(&format!("h-{shopper}"), &format!("o-{shopper}"), Timestamp(now)).is_ok()
            }
            Policy::Push => self.products[sku].master > 0,
            _ => {
                let v = &mut self.products[sku].views[channel - 1];
                let ok = *v > 0;
                if ok {
                    *v -= 1;
                }
                ok
            }
        };
        if !accepted {
            self.turned_away(sku);
            return;
        }
        self.out.online_orders += 1;
        if !self.pick_online(sku) && self.policy == Policy::Lastunit {
            let adjust = serde_json::json!({"type": "adjust", "quantity": 1, "reason": "oversold order cancelled"});
            self.event(sku, now, adjust);
        }
    }

    /// The morning review: orders what is at or below its reorder point, and tells lastunit's
    /// engine of the purchase-order line (so it knows when the next delivery comes).
    fn review(&mut self, now: i64) {
        for sku in 0..self.catalog.len() {
            let product = &self.catalog[sku];
            let (reorder_at, up_to) = (product.reorder_at(), product.order_up_to());
            let p = &mut self.products[sku];
            let position = p.master + p.on_order;
            if position > reorder_at {
                continue;
            }
            let units = up_to - position;
            p.on_order += units;
            let arrives = now - now.rem_euclid(DAY) + LEAD_DAYS * DAY + DELIVERY_AT;
            self.seq += 1;
            let po = self.seq;
            if let Some(e) = p.engine.as_mut() {
                let line = IncomingLine {
                    po_id: format!("po-{po}"),
                    location: LOCATION.into(),
                    quantity: units,
                    expected_at: Timestamp(arrives),
                };
                e.expect(line, Timestamp(now)).expect("a valid line");
            }
            self.push(arrives, Ev::Deliver { sku, units, po });
        }
        for e in self.products.iter_mut().filter_map(|p| p.engine.as_mut()) {
            e.recalibrate(Timestamp(now));
        }
        self.push(now + DAY, Ev::Review);
    }

    fn step(&mut self, now: i64, ev: Ev) {
        match ev {
            Ev::Arrive { shopper } => self.arrive(now, shopper),
            Ev::Checkout { shopper } => self.checkout(now, shopper),
            Ev::Import { sku } => {
                if self.pick_online(sku) {
                    self.event(sku, now, serde_json::json!({"type": "sale", "quantity": 1, "channel": "marketplace"}));
                }
            }
            Ev::MarketFeed => {
                for p in &mut self.products {
                    p.views[1] = match p.engine.as_mut() {
                        Some(e) => {
                            e.expire(Timestamp(now));
                            e.available(CHANNELS[MARKETPLACE]).unwrap_or(0)
                        }
                        None => p.master.max(0),
                    };
                }
                self.push(now + MARKET_FEED, Ev::MarketFeed);
            }
            Ev::Register { sku } => {
                self.out.store_sales += 1;
                self.products[sku].master -= 1;
                self.event(sku, now, serde_json::json!({"type": "sale", "quantity": 1, "channel": "store"}));
            }
            Ev::Sync => {
                for p in &mut self.products {
                    p.views = [p.master.max(0); 2];
                }
                if let Some(every) = self.policy.sync_every() {
                    self.push(now + every, Ev::Sync);
                }
            }
            Ev::Review => self.review(now),
            Ev::Recalibrate => {
                // As the edge's alarm does: hourly, and when the store opens or closes.
                for e in self.products.iter_mut().filter_map(|p| p.engine.as_mut()) {
                    e.recalibrate(Timestamp(now));
                }
                self.push(now + lastunit::time::HOUR, Ev::Recalibrate);
            }
            Ev::Deliver { sku, units, po } => {
                self.settle_cycle(sku);
                let p = &mut self.products[sku];
                p.physical += units;
                p.master += units;
                p.on_order -= units;
                let receive = serde_json::json!({"type": "receive", "quantity": units, "po_id": format!("po-{po}")});
                self.event(sku, now, receive);
            }
        }
    }
}

/// Plays `shoppers` over `days` under `policy`; lastunit's engine keeps `buffer`.
pub fn simulate(
    policy: Policy,
    buffer: &BufferPolicy,
    catalog: &[Product],
    shoppers: &[Shopper],
    days: u32,
) -> Outcome {
    let start = shop::start();
    let end = start + i64::from(days) * DAY;
    let products = catalog
        .iter()
        .map(|p| Stock {
            physical: p.start_stock,
            master: p.start_stock,
            views: [p.start_stock; 2],
            on_order: 0,
            turned_away: 0,
            store_empty: 0,
            online_picked: 0,
            engine: (policy == Policy::Lastunit).then(|| engine(p, buffer, start)),
        })
        .collect();
    let mut sim =
        Sim { policy, shoppers, catalog, products, queue: BinaryHeap::new(), seq: 0, ids: 0, out: Outcome::default() };
    for (i, s) in shoppers.iter().enumerate() {
        sim.push(s.at, Ev::Arrive { shopper: i });
    }
    sim.push(start + shop::REVIEW_AT, Ev::Review);
    if matches!(policy, Policy::Push | Policy::Lastunit) {
        sim.push(start + MARKET_FEED, Ev::MarketFeed);
    }
    if policy == Policy::Lastunit {
        sim.push(start, Ev::Recalibrate);
    }
    if let Some(every) = policy.sync_every() {
        // Batch jobs run at night (03:00); polls and hourly syncs from midnight on.
        let first = if every == DAY { start + 3 * lastunit::time::HOUR } else { start + every };
        sim.push(first, Ev::Sync);
    }
    while let Some(Reverse((at, _, ev))) = sim.queue.pop() {
        if at >= end {
            break;
        }
        sim.step(at, ev);
        // A shop would store what each step changed; the simulation keeps none of it, so a
        // long run does not pile up change-sets in memory.
        for engine in sim.products.iter_mut().filter_map(|p| p.engine.as_mut()) {
            engine.take_changes();
        }
    }
    for sku in 0..catalog.len() {
        sim.settle_cycle(sku);
    }
    sim.out
}
