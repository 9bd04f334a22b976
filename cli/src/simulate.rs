//! `lastunit simulate`: a seeded shop under five ways of keeping channels in step.
//!
//! The shop: one stock room (`main-st`) shared by three channels, `store` (the register),
//! `web` and `marketplace`. Every policy replays the same shoppers (common random numbers):
//!
//! - A store shopper (opening hours 09:00 to 19:00) takes a unit off the shelf if one is there,
//!   carries it for 3 to 45 minutes, and the register records the sale when they pay.
//! - An online shopper sees the channel's count, adds one unit to the cart if it shows any,
//!   and checks out 1 to 12 minutes later (a quarter abandon the cart). An accepted order is
//!   picked at once (marketplace orders when they reach the shop, 10 minutes later); if no unit
//!   is physically free the order is an **oversell** and is cancelled.
//! - Every morning at 06:00 a product whose stock plus what is on order is at or below its reorder
//!   point is ordered up to its target; the delivery arrives three days later at 08:00.
//!
//! What the online channels see:
//!
//! | policy | channel count |
//! | --- | --- |
//! | daily / hourly batch sync, 15-minute polling | the shop's count copied at each sync, less the channel's own orders since |
//! | push, no buffers or holds | web: the shop's count at every moment; marketplace: that count through a 5-minute feed |
//! | lastunit | the real engine: `Sku::availability` with an automatic buffer, `reserve` at add to cart, `commit` at checkout (web); the marketplace gets the engine's availability through the same feed |
//!
//! **Lost online sales**: online shoppers turned away (count 0, or refused at checkout) while a
//! unit was free on the shelf, up to the units still unsold when the next delivery came (or the
//! simulation ended). Under lastunit these are the units the buffer hid that the store did not
//! sell in time; under batch sync they are stale zeros after a delivery.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use lastunit::catalog::{BufferPolicy, SkuConfig, Topology};
use lastunit::event::EventBody;
use lastunit::reservation::HoldRequest;
use lastunit::time::{DAY, HOUR, MINUTE};
use lastunit::{Sku, Timestamp};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Days simulated by default.
pub const DEFAULT_DAYS: u32 = 28;

const LOCATION: &str = "main-st";
const CHANNELS: [&str; 3] = ["store", "web", "marketplace"];
/// Share of each product's demand per channel.
const SPLIT: [f64; 3] = [0.5, 0.35, 0.15];
const HOLD_TTL: i64 = 15 * MINUTE;
const LEAD_DAYS: i64 = 3;
const MARKETPLACE: usize = 2;
/// Push policies: the marketplace processes count updates every this often...
const MARKET_FEED: i64 = 5 * MINUTE;
/// ...and its orders reach the shop this long after checkout (every policy).
const IMPORT_LAG: i64 = 10 * MINUTE;

/// The styles (units a day, all sizes together); each comes in four sizes that sell
/// [`SIZES`] of it. Each SKU starts with five days of stock and is reordered when what is on
/// hand and on order covers less than [`REORDER_DAYS`] of sales, up to [`TARGET_DAYS`]: a lean
/// shop that often sells its last units just before a delivery.
const STYLES: [(&str, f64); 12] = [
    ("wool-socks", 30.0),
    ("tee-black", 20.0),
    ("linen-shirt", 12.0),
    ("canvas-tote", 8.0),
    ("wool-beanie", 5.0),
    ("denim-jacket", 3.0),
    ("rain-boots", 2.0),
    ("leather-belt", 1.6),
    ("cashmere-cardigan", 1.0),
    ("silk-blouse", 1.0),
    ("silk-scarf", 4.0 / 7.0),
    ("wool-coat", 4.0 / 7.0),
];
/// Sizes and their share of a style's sales.
const SIZES: [(&str, f64); 4] = [("s", 0.2), ("m", 0.35), ("l", 0.3), ("xl", 0.15)];

/// One SKU of the simulated catalog.
#[derive(Clone, Debug)]
struct Product {
    id: String,
    per_day: f64,
    start_stock: i64,
}

fn catalog(scale: f64) -> Vec<Product> {
    let mut out = Vec::new();
    for (style, per_day) in STYLES {
        for (size, share) in SIZES {
            let v = per_day * share * scale;
            out.push(Product { id: format!("{style}-{size}"), per_day: v, start_stock: (v * 5.0).ceil() as i64 });
        }
    }
    out
}

/// Reorder when stock and orders cover fewer days than this...
const REORDER_DAYS: f64 = 3.0;
/// ...up to this many days.
const TARGET_DAYS: f64 = 7.0;

/// A wait drawn from the exponential distribution with `mean` (the gaps of a Poisson process).
fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// How the online channels learn of stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    DailySync,
    HourlySync,
    Poll15,
    Push,
    Lastunit,
}

impl Policy {
    pub const ALL: [Policy; 5] =
        [Policy::DailySync, Policy::HourlySync, Policy::Poll15, Policy::Push, Policy::Lastunit];

    pub fn label(self) -> &'static str {
        match self {
            Policy::DailySync => "daily batch sync",
            Policy::HourlySync => "hourly batch sync",
            Policy::Poll15 => "15-minute polling",
            Policy::Push => "push, no buffers or holds",
            Policy::Lastunit => "lastunit (push + buffers + holds)",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Policy::DailySync => "daily sync",
            Policy::HourlySync => "hourly sync",
            Policy::Poll15 => "15-min poll",
            Policy::Push => "push",
            Policy::Lastunit => "lastunit",
        }
    }

    fn sync_every(self) -> Option<i64> {
        match self {
            Policy::DailySync => Some(DAY),
            Policy::HourlySync => Some(HOUR),
            Policy::Poll15 => Some(15 * MINUTE),
            _ => None,
        }
    }
}

/// One shopper, drawn once and replayed under every policy.
#[derive(Clone, Debug)]
struct Shopper {
    at: i64,
    sku: usize,
    /// 0 store, 1 web, 2 marketplace.
    channel: usize,
    /// Store: shelf to register. Online: cart to checkout.
    delay: i64,
    abandons: bool,
}

fn shoppers(catalog: &[Product], seed: u64, days: u32, start: i64) -> Vec<Shopper> {
    // ChaCha8: a fixed, portable algorithm, so a seed names the same shop on every machine.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for (sku, p) in catalog.iter().enumerate() {
        for (channel, share) in SPLIT.iter().enumerate() {
            let per_day = p.per_day * share;
            // The store sells in 10 opening hours, online channels around the clock.
            let (open, hours) = if channel == 0 { (9 * HOUR, 10.0) } else { (0, 24.0) };
            let mean_gap = hours * HOUR as f64 / per_day;
            for day in 0..i64::from(days) {
                let day_start = start + day * DAY + open;
                let mut t = exponential(&mut rng, mean_gap);
                while t < hours * HOUR as f64 {
                    let (delay, abandons) = if channel == 0 {
                        ((rng.random_range(3.0..45.0) * MINUTE as f64) as i64, false)
                    } else {
                        ((rng.random_range(1.0..12.0) * MINUTE as f64) as i64, rng.random_bool(0.25))
                    };
                    out.push(Shopper { at: day_start + t as i64, sku, channel, delay, abandons });
                    t += exponential(&mut rng, mean_gap);
                }
            }
        }
    }
    out.sort_by_key(|s| (s.at, s.sku, s.channel));
    out
}

/// What happened under one policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub store_sales: u64,
    pub online_orders: u64,
    pub oversells: u64,
    pub lost_online: u64,
    /// Store shoppers who found the shelf empty.
    pub store_missed: u64,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub seed: u64,
    pub days: u32,
    /// Demand multiplier (1: the shop as described).
    pub scale: f64,
    pub shoppers: usize,
    pub outcomes: Vec<(Policy, Outcome)>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Review,
    Deliver { sku: usize, units: i64 },
    Sync,
    Register { sku: usize },
    Arrive { shopper: usize },
    Import { sku: usize },
    MarketFeed,
    Checkout { shopper: usize },
}

struct Stock {
    /// Units physically free: on the shelf, not in a shopper's hands, not picked for an order.
    physical: i64,
    /// The shop's own count: what it has recorded (units in shoppers' hands still count).
    master: i64,
    /// Batch policies: the web and marketplace counts.
    views: [i64; 2],
    on_order: i64,
    /// Online shoppers turned away while a unit was physically free, since the last delivery.
    turned_away: u64,
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

impl<'a> Sim<'a> {
    fn push(&mut self, at: i64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    fn id(&mut self, prefix: &str) -> String {
        self.ids += 1;
        format!("{prefix}-{}", self.ids)
    }

    fn event(&mut self, sku: usize, at: i64, json: serde_json::Value) {
        let id = self.id("e");
        let mut v = json;
        v["event_id"] = id.into();
        v["sku"] = self.catalog[sku].id.as_str().into();
        v["location"] = LOCATION.into();
        v["occurred_at"] = Timestamp(at).to_string().into();
        let body: EventBody = serde_json::from_value(v).expect("well-formed event");
        let e = body.check("sim", Timestamp(at)).expect("valid event");
        if let Some(engine) = self.products[sku].engine.as_mut() {
            engine.apply(&e, Timestamp(at)).expect("known sku and location");
        }
    }

    /// The lastunit engine, warmed with two weeks of sales at the product's pace so its
    /// velocity (and so its automatic buffer) starts where a running shop's would be.
    fn engine(p: &Product, start: i64) -> Sku {
        let (id, per_day, stock) = (p.id.as_str(), p.per_day, p.start_stock);
        let config =
            SkuConfig { title: id.into(), buffer: BufferPolicy::Auto { min: 0, max: 6 }, ..SkuConfig::default() };
        let mut s = Sku::new(id, config, topology(), Timestamp(start - 14 * DAY)).expect("valid config");
        let mut apply = |n: usize, at: i64, json: serde_json::Value| {
            let mut v = json;
            v["event_id"] = format!("warm-{n}").into();
            v["sku"] = id.into();
            v["location"] = LOCATION.into();
            v["occurred_at"] = Timestamp(at).to_string().into();
            let body: EventBody = serde_json::from_value(v).expect("well-formed");
            s.apply(&body.check("sim", Timestamp(at)).expect("valid"), Timestamp(at)).expect("applies");
        };
        let gap = (DAY as f64 / per_day) as i64;
        let mut t = start - 14 * DAY + gap / 2;
        let mut n = 0;
        while t < start {
            let channel = CHANNELS[[0, 1, 0, 2, 1, 0][n % 6]];
            apply(n, t, serde_json::json!({"type": "sale", "quantity": 1, "channel": channel}));
            t += gap;
            n += 1;
        }
        apply(n, start, serde_json::json!({"type": "count", "quantity": stock}));
        s.take_changes(); // the warm-up is not stored either
        s
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

    fn settle_lost(&mut self, sku: usize) {
        let p = &mut self.products[sku];
        self.out.lost_online += p.turned_away.min(p.physical.max(0) as u64);
        p.turned_away = 0;
    }

    fn step(&mut self, now: i64, ev: Ev) {
        match ev {
            Ev::Arrive { shopper } => {
                let all: &'a [Shopper] = self.shoppers;
                let s = &all[shopper];
                let (sku, channel) = (s.sku, s.channel);
                if channel == 0 {
                    let p = &mut self.products[sku];
                    if p.physical > 0 {
                        p.physical -= 1;
                        self.push(now + s.delay, Ev::Register { sku });
                    } else {
                        self.out.store_missed += 1;
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
                    let held = self.products[sku].engine.as_mut().expect("engine").reserve(&req, Timestamp(now));
                    if held.is_err() {
                        self.turned_away(sku);
                        return;
                    }
                }
                if !s.abandons {
                    self.push(now + s.delay, Ev::Checkout { shopper });
                }
            }
            Ev::Checkout { shopper } => {
                let (sku, channel) = (self.shoppers[shopper].sku, self.shoppers[shopper].channel);
                let accepted = match self.policy {
                    _ if channel == MARKETPLACE => {
                        // The marketplace sells on its own count; the order reaches the shop later.
                        let v = &mut self.products[sku].views[1];
                        let ok = *v > 0;
                        if ok {
                            *v -= 1;
                            self.out.online_orders += 1;
                            self.push(now + IMPORT_LAG, Ev::Import { sku });
                        } else {
                            self.turned_away(sku);
                        }
                        return;
                    }
                    Policy::Lastunit => {
                        let order = format!("o-{shopper}");
                        let e = self.products[sku].engine.as_mut().expect("engine");
                        e.commit(&format!("h-{shopper}"), &order, Timestamp(now)).is_ok()
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
                let p = &mut self.products[sku];
                if p.physical > 0 {
                    p.physical -= 1;
                    p.master -= 1;
                } else {
                    // Nothing to pick: the order is cancelled and the count put right.
                    self.out.oversells += 1;
                    if self.policy == Policy::Lastunit {
                        self.event(
                            sku,
                            now,
                            serde_json::json!({"type": "adjust", "quantity": 1, "reason": "oversold order cancelled"}),
                        );
                    }
                }
            }
            Ev::Import { sku } => {
                let p = &mut self.products[sku];
                if p.physical > 0 {
                    p.physical -= 1;
                    p.master -= 1;
                    self.event(sku, now, serde_json::json!({"type": "sale", "quantity": 1, "channel": "marketplace"}));
                } else {
                    self.out.oversells += 1;
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
            Ev::Review => {
                for sku in 0..self.catalog.len() {
                    let per_day = self.catalog[sku].per_day;
                    let reorder_at = (per_day * REORDER_DAYS).round() as i64;
                    let up_to = (per_day * TARGET_DAYS).ceil() as i64 + 1;
                    let p = &mut self.products[sku];
                    let position = p.master + p.on_order;
                    if let Some(e) = p.engine.as_mut() {
                        e.recalibrate(Timestamp(now));
                    }
                    if position <= reorder_at {
                        let units = up_to - position;
                        p.on_order += units;
                        let day = now - now.rem_euclid(DAY);
                        self.push(day + LEAD_DAYS * DAY + 8 * HOUR, Ev::Deliver { sku, units });
                    }
                }
                self.push(now + DAY, Ev::Review);
            }
            Ev::Deliver { sku, units } => {
                self.settle_lost(sku);
                let p = &mut self.products[sku];
                p.physical += units;
                p.master += units;
                p.on_order -= units;
                self.event(sku, now, serde_json::json!({"type": "receive", "quantity": units}));
            }
        }
    }
}

fn start() -> i64 {
    Timestamp::parse("2026-11-02T00:00:00Z").expect("valid").millis()
}

fn simulate(policy: Policy, catalog: &[Product], shoppers: &[Shopper], days: u32) -> Outcome {
    let start = start();
    let end = start + i64::from(days) * DAY;
    let products = catalog
        .iter()
        .map(|p| Stock {
            physical: p.start_stock,
            master: p.start_stock,
            views: [p.start_stock; 2],
            on_order: 0,
            turned_away: 0,
            engine: (policy == Policy::Lastunit).then(|| Sim::engine(p, start)),
        })
        .collect();
    let mut sim =
        Sim { policy, shoppers, catalog, products, queue: BinaryHeap::new(), seq: 0, ids: 0, out: Outcome::default() };
    for (i, s) in shoppers.iter().enumerate() {
        sim.push(s.at, Ev::Arrive { shopper: i });
    }
    sim.push(start + 6 * HOUR, Ev::Review);
    if matches!(policy, Policy::Push | Policy::Lastunit) {
        sim.push(start + MARKET_FEED, Ev::MarketFeed);
    }
    if let Some(every) = policy.sync_every() {
        // Batch jobs run at night (03:00); polls and hourly syncs from midnight on.
        let first = if every == DAY { start + 3 * HOUR } else { start + every };
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
        sim.settle_lost(sku);
    }
    sim.out
}

/// Runs every policy on the same shoppers; `scale` multiplies every SKU's demand (and so its
/// stock levels, which are in days of sales).
pub fn run(seed: u64, days: u32, scale: f64) -> Report {
    let catalog = catalog(scale);
    let shoppers = shoppers(&catalog, seed, days, start());
    let outcomes = Policy::ALL.iter().map(|p| (*p, simulate(*p, &catalog, &shoppers, days))).collect();
    Report { seed, days, scale, shoppers: shoppers.len(), outcomes }
}

/// How busier shops fare (scale 1 is the shop above).
pub const BUSIER: [f64; 2] = [3.0, 10.0];

impl Report {
    /// The markdown table.
    pub fn table(&self) -> String {
        let mut t = String::from(
            "| policy | store sales | online orders | oversells (cancelled) | oversell rate | lost online sales |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for (p, o) in &self.outcomes {
            let rate = if o.online_orders > 0 { 100.0 * o.oversells as f64 / o.online_orders as f64 } else { 0.0 };
            t.push_str(&format!(
                "| {} | {} | {} | {} | {:.1}% | {} |\n",
                p.label(),
                o.store_sales,
                o.online_orders,
                o.oversells,
                rate,
                o.lost_online
            ));
        }
        t
    }

    /// `docs/SIMULATION.md`, with the same shop at other demand scales.
    pub fn markdown(&self, busier: &[Report]) -> String {
        let products: Vec<String> = STYLES.iter().map(|(id, v)| format!("{id} {}", rate(*v * self.scale))).collect();
        let mut md = format!(
            "# Simulation: five ways to keep channels in step\n\n\
             Generated by `cargo run --release -p lastunit-cli -- simulate --seed {seed} --days {days}{scale_flag}` \
             (deterministic: the same seed gives the same numbers).\n\n\
             {days} days of one shop: a store, a web store and a marketplace selling the same stock room; \
             {shoppers} shoppers, replayed identically under every policy.\n\n\
             {table}\n\
             ![Oversells and lost online sales per policy](img/simulation.svg)\n\n\
             ## What is simulated\n\n\
             - **Products**: {skus} SKUs, twelve styles in four sizes (S 20%, M 35%, L 30%, XL 15% of a style's sales). \
               Styles, all sizes and channels together: {products}. Demand is split 50% store, 35% web, 15% marketplace.\n\
             - **Store shoppers** (09:00 to 19:00) take a unit off the shelf, carry it 3 to 45 minutes, and the register \
               records the sale when they pay. Until then every system still counts the unit.\n\
             - **Online shoppers** (around the clock) see the channel's count, add one unit to the cart if it shows any, and \
               check out 1 to 12 minutes later; a quarter abandon the cart. An accepted order is picked at once; \
               if no unit is physically free it is an **oversell**: the order is cancelled. Marketplace orders reach the \
               shop 10 minutes after checkout (under every policy) and are picked then.\n\
             - **Replenishment** (a lean shop): every SKU starts with five days of stock; every morning a SKU whose stock \
               and orders cover less than three days of sales is ordered up to seven days; it arrives three days later at \
               08:00. So SKUs often sell their last units just before a delivery, where oversells happen.\n\n\
             ## The policies\n\n\
             | policy | what the web store and the marketplace see |\n| --- | --- |\n\
             | daily batch sync | the shop's count copied at 03:00, less the channel's own orders since |\n\
             | hourly batch sync | the same, copied every hour |\n\
             | 15-minute polling | the same, copied every 15 minutes |\n\
             | push, no buffers or holds | the web store: the shop's count at every moment, a cart holds nothing; the \
             marketplace: the count its feed took in, every 5 minutes |\n\
             | lastunit | the real engine (`lastunit::Sku`): register sales and deliveries are `apply`d as events, \
             add to cart is `reserve` (15-minute hold), checkout is `commit`, the count shown is `availability`, with an \
             automatic buffer (`{{\"mode\":\"auto\",\"min\":0,\"max\":6}}`) sized from each product's velocity; the \
             marketplace gets the engine's availability through the same 5-minute feed and holds nothing |\n\n\
             ## Reading the columns\n\n\
             - **oversells**: online orders accepted for a unit that was no longer there (a shopper was carrying it to \
               the register, or the channel's count was stale). Each is a cancellation and an unhappy customer.\n\
             - **lost online sales**: online shoppers turned away (the channel showed 0, or checkout refused) while a unit \
               sat free on the shelf, counted only up to the units still unsold when the next delivery came. Under lastunit \
               these are units hidden by the buffer that the store did not sell in time; under batch sync they are stale \
               zeros after a delivery.\n\
             - **What this shop shows**: the daily batch is the costly policy (oversells *and* stale zeros after deliveries). \
               Once counts move within minutes, oversells come only from a narrow window: a store shopper carrying the last \
               unit to the register, or a marketplace order still on its way to the shop. At this shop's pace that window \
               is rarely hit; it is hit more often as the shop gets busier (below). lastunit closes it (buffers, and holds \
               that stop two carts buying the same last unit) and pays with the lost online sales column: units the buffer \
               hid that the store did not sell before the next delivery. Whether that trade is worth it depends on what an \
               oversell costs (a cancellation, a refund, a marketplace's penalty) against one missed online sale; the \
               automatic buffer aims at a 1% oversell chance per exposure window, and a lower `max` (or `none` on slow \
               sellers) moves the balance the other way.\n",
            seed = self.seed,
            days = self.days,
            scale_flag = if self.scale == 1.0 { String::new() } else { format!(" --scale {}", self.scale) },
            shoppers = self.shoppers,
            table = self.table(),
            products = products.join(", "),
            skus = STYLES.len() * SIZES.len(),
        );
        for b in busier {
            md.push_str(&format!(
                "\n## The same shop, {scale} times busier\n\n\
                 `lastunit simulate --seed {seed} --days {days} --scale {scale}`: every SKU sells {scale} times as much \
                 (stock levels, kept in days of sales, follow); {shoppers} shoppers.\n\n{table}",
                scale = b.scale,
                seed = b.seed,
                days = b.days,
                shoppers = b.shoppers,
                table = b.table()
            ));
        }
        md
    }

    /// `docs/img/simulation.svg`: oversells and lost online sales per policy, as grouped bars.
    pub fn svg(&self) -> String {
        let (w, h) = (760.0, 380.0);
        let (left, right, top, bottom) = (56.0, 20.0, 72.0, 70.0);
        let plot_w = w - left - right;
        let plot_h = h - top - bottom;
        let max = self.outcomes.iter().map(|(_, o)| o.oversells.max(o.lost_online)).max().unwrap_or(0).max(1) as f64;
        let step = nice_step(max / 5.0);
        let top_value = (max * 1.08 / step).ceil() * step;
        let y = |v: f64| top + plot_h - v / top_value * plot_h;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
             aria-labelledby=\"t d\" font-family=\"system-ui, -apple-system, Segoe UI, sans-serif\" font-size=\"13\">\n\
             <title id=\"t\">Oversells and lost online sales per policy</title>\n\
             <desc id=\"d\">{} days, seed {}. {}</desc>\n\
             <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n\
             <text x=\"{left}\" y=\"26\" font-size=\"17\" font-weight=\"600\" fill=\"#1f2937\">Oversells and lost online sales, {} days (seed {})</text>\n",
            self.days,
            self.seed,
            self.outcomes
                .iter()
                .map(|(p, o)| format!("{}: {} oversells, {} lost online sales.", p.label(), o.oversells, o.lost_online))
                .collect::<Vec<_>>()
                .join(" "),
            self.days,
            self.seed
        );
        // Legend.
        s.push_str(&format!(
            "<rect x=\"{left}\" y=\"40\" width=\"12\" height=\"12\" fill=\"#dc2626\"/><text x=\"{}\" y=\"51\" fill=\"#374151\">oversells (cancelled orders)</text>\n\
             <rect x=\"{}\" y=\"40\" width=\"12\" height=\"12\" fill=\"#f59e0b\"/><text x=\"{}\" y=\"51\" fill=\"#374151\">lost online sales</text>\n",
            left + 18.0,
            left + 230.0,
            left + 248.0
        ));
        // Grid and axis labels.
        let mut v = 0.0;
        while v <= top_value + 1e-9 {
            let yy = y(v);
            s.push_str(&format!(
                "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e7eb\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#6b7280\">{}</text>\n",
                w - right,
                left - 8.0,
                yy + 4.0,
                v as u64
            ));
            v += step;
        }
        let group = plot_w / self.outcomes.len() as f64;
        let bar = (group * 0.3).min(48.0);
        for (i, (p, o)) in self.outcomes.iter().enumerate() {
            let cx = left + group * (i as f64 + 0.5);
            for (j, (value, colour)) in [(o.oversells, "#dc2626"), (o.lost_online, "#f59e0b")].iter().enumerate() {
                let x = cx - bar - 2.0 + j as f64 * (bar + 4.0);
                let yy = y(*value as f64);
                s.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{yy:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {value}</title></rect>\n\
                     <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#111827\" font-size=\"12\">{value}</text>\n",
                    (top + plot_h - yy).max(0.0),
                    p.label(),
                    x + bar / 2.0,
                    yy - 5.0
                ));
            }
            s.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#1f2937\"{}>{}</text>\n",
                top + plot_h + 22.0,
                if *p == Policy::Lastunit { " font-weight=\"700\"" } else { "" },
                p.short()
            ));
            s.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#6b7280\" font-size=\"11\">{} online orders</text>\n",
                top + plot_h + 40.0,
                o.online_orders
            ));
        }
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ca3af\"/>\n</svg>\n",
            w - right,
            top + plot_h,
            top + plot_h
        ));
        s
    }
}

fn rate(per_day: f64) -> String {
    if per_day >= 1.0 {
        format!("{per_day}/day")
    } else {
        format!("{:.0}/week", per_day * 7.0)
    }
}

/// 1, 2, 5, 10, 20, 50... at or above `x`.
fn nice_step(x: f64) -> f64 {
    let mut s = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if s * m >= x {
                return s * m;
            }
        }
        s *= 10.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_report() {
        let a = run(7, 14, 1.0);
        let b = run(7, 14, 1.0);
        assert_eq!(a, b);
        assert_eq!(a.markdown(&[run(7, 14, 3.0)]), b.markdown(&[run(7, 14, 3.0)]));
        assert_eq!(a.svg(), b.svg());
        assert_ne!(run(8, 14, 1.0).outcomes, a.outcomes, "another seed, another shop");
    }

    #[test]
    fn lastunit_oversells_less_than_a_daily_sync() {
        for seed in [1, 2, 3] {
            let r = run(seed, DEFAULT_DAYS, 1.0);
            let get = |p: Policy| r.outcomes.iter().find(|(q, _)| *q == p).map(|(_, o)| o.clone()).unwrap();
            let (daily, push, lu) = (get(Policy::DailySync), get(Policy::Push), get(Policy::Lastunit));
            assert!(lu.oversells < daily.oversells, "seed {seed}: {lu:?} vs {daily:?}");
            assert!(lu.oversells <= push.oversells, "seed {seed}: {lu:?} vs {push:?}");
            assert!(lu.online_orders > 0 && lu.store_sales > 0);
            assert_eq!(push.lost_online, 0, "nothing hides units under push");
        }
        let busy = run(1, DEFAULT_DAYS, 3.0);
        let get = |p: Policy| busy.outcomes.iter().find(|(q, _)| *q == p).map(|(_, o)| o.clone()).unwrap();
        assert!(get(Policy::Lastunit).oversells < get(Policy::Push).oversells, "{:?}", busy.outcomes);
    }

    #[test]
    fn the_svg_is_well_formed_enough() {
        let svg = run(1, 3, 1.0).svg();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(
            svg.matches("<rect").count(),
            svg.matches("</rect>").count() + 3,
            "bars close, background and legend are empty"
        );
    }
}
