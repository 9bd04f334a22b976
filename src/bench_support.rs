//! A busy SKU for benchmarks (native criterion and the same operations in Wasm): 10 locations,
//! 5 channels, stock everywhere, a fixed buffer and a few holds already taken.

use crate::catalog::{BufferPolicy, ChannelConfig, SkuConfig, Topology};
use crate::reservation::HoldRequest;
use crate::sku::Sku;
use crate::{EventBody, Timestamp};

/// The benchmark SKU at `now`.
pub fn busy_sku(now: Timestamp) -> Sku {
    let mut t = Topology::default();
    let locations: Vec<String> = (0..10).map(|i| format!("loc-{i}")).collect();
    for l in &locations {
        t.put_location(l).expect("valid name");
    }
    for (i, c) in ["store", "web", "marketplace", "wholesale", "app"].iter().enumerate() {
        let locs = locations.iter().skip(i).step_by(1 + i % 3).cloned().collect();
        t.put_channel(c, &ChannelConfig { locations: locs }).expect("known locations");
    }
    let config = SkuConfig { title: "Bench".into(), buffer: BufferPolicy::Fixed { units: 2 }, max_per_cart: 1_000, ..SkuConfig::default() };
    let mut sku = Sku::new("A", config, t, now).expect("valid config");
    for (i, l) in locations.iter().enumerate() {
        let body = EventBody {
            event_id: format!("seed-{i}"),
            kind: "receive".into(),
            sku: "A".into(),
            location: l.clone(),
            quantity: 1_000_000,
            ..EventBody::default()
        };
        sku.apply(&body.check("bench", now).expect("valid"), now).expect("applies");
    }
    let mut ids = HoldIds::default();
    for _ in 0..5 {
        sku.reserve(&ids.next_request(now), now).expect("in stock");
    }
    sku
}

/// Fresh single-unit web hold requests.
#[derive(Default)]
pub struct HoldIds(u64);

impl HoldIds {
    /// The next request, expiring ten minutes after `now`.
    pub fn next_request(&mut self, now: Timestamp) -> HoldRequest {
        self.0 += 1;
        HoldRequest { id: format!("bench-{}", self.0), cart_id: format!("cart-{}", self.0), channel: "web".into(), quantity: 1, expires_at: now.plus(600_000) }
    }
}
