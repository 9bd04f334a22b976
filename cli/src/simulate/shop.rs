//! The simulated shop: its catalog, its opening hours, how it reorders, and the shoppers drawn
//! once from the seed and replayed under every policy (common random numbers).

use lastunit::store_hours::StoreHours;
use lastunit::time::{DAY, HOUR, MINUTE};
use lastunit::Timestamp;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

pub const LOCATION: &str = "main-st";
pub const CHANNELS: [&str; 3] = ["store", "web", "marketplace"];
pub const STORE: usize = 0;
pub const MARKETPLACE: usize = 2;
/// Share of each product's demand per channel.
pub const SPLIT: [f64; 3] = [0.5, 0.35, 0.15];
/// The store's opening hours (UTC, the simulated shop's local time).
pub const OPENS: i64 = 9 * HOUR;
pub const CLOSES: i64 = 19 * HOUR;
/// The opening hours as the engine's buffer policy names them.
pub fn store_hours() -> StoreHours {
    let minutes = |ms: i64| (ms / MINUTE) as u32;
    StoreHours::new(minutes(OPENS), minutes(CLOSES)).expect("the shop opens before it closes")
}
/// The morning review, and when a delivery arrives (`LEAD_DAYS` after the review).
pub const REVIEW_AT: i64 = 6 * HOUR;
pub const DELIVERY_AT: i64 = 8 * HOUR;
pub const LEAD_DAYS: i64 = 3;
/// Reorder when stock and orders cover fewer days than this...
pub const REORDER_DAYS: f64 = 3.0;
/// ...up to this many days.
pub const TARGET_DAYS: f64 = 7.0;

/// The styles (units a day, all sizes together); each comes in four sizes that sell
/// [`SIZES`] of it. Each SKU starts with five days of stock and is reordered when what is on
/// hand and on order covers less than [`REORDER_DAYS`] of sales, up to [`TARGET_DAYS`]: a lean
/// shop that often sells its last units just before a delivery.
pub const STYLES: [(&str, f64); 12] = [
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
pub const SIZES: [(&str, f64); 4] = [("s", 0.2), ("m", 0.35), ("l", 0.3), ("xl", 0.15)];

/// One SKU of the simulated catalog.
#[derive(Clone, Debug)]
pub struct Product {
    pub id: String,
    /// Units a day, all channels.
    pub per_day: f64,
    pub start_stock: i64,
}

impl Product {
    /// The stock position at or below which the morning review orders.
    pub fn reorder_at(&self) -> i64 {
        (self.per_day * REORDER_DAYS).round() as i64
    }

    /// The stock position an order brings it up to.
    pub fn order_up_to(&self) -> i64 {
        (self.per_day * TARGET_DAYS).ceil() as i64 + 1
    }
}

/// The 48 SKUs, every one's demand multiplied by `scale` (stock levels, in days of sales, follow).
pub fn catalog(scale: f64) -> Vec<Product> {
    let mut out = Vec::new();
    for (style, per_day) in STYLES {
        for (size, share) in SIZES {
            let v = per_day * share * scale;
            out.push(Product { id: format!("{style}-{size}"), per_day: v, start_stock: (v * 5.0).ceil() as i64 });
        }
    }
    out
}

/// Midnight of the first simulated day.
pub fn start() -> i64 {
    Timestamp::parse("2026-11-02T00:00:00Z").expect("valid").millis()
}

/// One shopper, drawn once and replayed under every policy.
#[derive(Clone, Debug)]
pub struct Shopper {
    pub at: i64,
    pub sku: usize,
    /// [`STORE`], web or [`MARKETPLACE`].
    pub channel: usize,
    /// Store: shelf to register. Online: cart to checkout.
    pub delay: i64,
    pub abandons: bool,
}

/// A wait drawn from the exponential distribution with `mean` (the gaps of a Poisson process).
fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// Every shopper of `days` days from `start`, in arrival order.
pub fn shoppers(catalog: &[Product], seed: u64, days: u32, start: i64) -> Vec<Shopper> {
    // ChaCha8: a fixed, portable algorithm, so a seed names the same shop on every machine.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for (sku, p) in catalog.iter().enumerate() {
        for (channel, share) in SPLIT.iter().enumerate() {
            let per_day = p.per_day * share;
            // The store sells in its opening hours, online channels around the clock.
            let (open, hours) = if channel == STORE { (OPENS, ((CLOSES - OPENS) / HOUR) as f64) } else { (0, 24.0) };
            let mean_gap = hours * HOUR as f64 / per_day;
            for day in 0..i64::from(days) {
                let day_start = start + day * DAY + open;
                let mut t = exponential(&mut rng, mean_gap);
                while t < hours * HOUR as f64 {
                    let (delay, abandons) = if channel == STORE {
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
