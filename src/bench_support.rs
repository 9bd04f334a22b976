//! Benchmark workloads (`--features bench`), shared by the native criterion benchmark and the
//! Wasm one so both time the same loops: a SKU with 10 locations and 5 channels, stock everywhere, a fixed buffer and
//! a few holds already taken. Like the edge, each operation hands what it changed over for
//! storing ([`Sku::take_changes`]).

use crate::catalog::{BufferPolicy, ChannelConfig, SkuConfig, Topology};
use crate::reservation::HoldRequest;
use crate::sku::Sku;
use crate::{EventBody, EventKind, StockEvent, Timestamp};

/// The busy SKU and counters for fresh ids.
pub struct Workload {
    sku: Sku,
    now: Timestamp,
    next: u64,
}

impl Workload {
    /// The benchmark SKU at `now`.
    pub fn new(now: Timestamp) -> Self {
        let mut t = Topology::default();
        let locations: Vec<String> = (0..10).map(|i| format!("loc-{i}")).collect();
        for l in &locations {
            t.put_location(l).expect("valid name");
        }
        for (i, c) in ["store", "web", "marketplace", "wholesale", "app"].iter().enumerate() {
            let locs = locations.iter().skip(i).step_by(1 + i % 3).cloned().collect();
            t.put_channel(c, &ChannelConfig { locations: locs }).expect("known locations");
        }
        let config = SkuConfig {
            title: "Bench".into(),
            buffer: BufferPolicy::Fixed { units: 2 },
            max_per_cart: 1_000,
            ..SkuConfig::default()
        };
        let sku = Sku::new("A", config, t, now).expect("valid config");
        let mut w = Workload { sku, now, next: 0 };
        // Enough stock that no benchmark run sells out (ten receivings per location).
        for l in &locations {
            for _ in 0..10 {
                let e = w.event(EventKind::Receive, l, i64::from(crate::catalog::MAX_UNITS));
                w.sku.apply(&e, now).expect("applies");
            }
        }
        for _ in 0..5 {
            let req = w.hold_request();
            w.sku.reserve(&req, now).expect("in stock");
        }
        w
    }

    fn event(&mut self, kind: EventKind, location: &str, quantity: i64) -> StockEvent {
        self.next += 1;
        let body = EventBody::new(kind, &format!("e{}", self.next), "A", location, quantity);
        body.check("bench", self.now).expect("valid")
    }

    fn hold_request(&mut self) -> HoldRequest {
        self.next += 1;
        HoldRequest {
            id: format!("h{}", self.next),
            cart_id: format!("c{}", self.next),
            client: None,
            channel: "web".into(),
            quantity: 1,
            expires_at: self.now.plus(600_000),
        }
    }

    /// `n` events applied (alternating a sale and a receiving, so stock stays level), each
    /// built and checked from its wire form first.
    pub fn apply_events(&mut self, n: u32) {
        for i in 0..n {
            let e = if i % 2 == 0 {
                self.event(EventKind::Sale, "loc-3", 1)
            } else {
                self.event(EventKind::Receive, "loc-3", 1)
            };
            self.sku.apply(&e, self.now).expect("applies");
            self.sku.take_changes();
        }
    }

    /// `n` reservations, each released again so the SKU does not fill up with holds.
    pub fn reserve_release(&mut self, n: u32) {
        for _ in 0..n {
            let req = self.hold_request();
            self.sku.reserve(&req, self.now).expect("in stock");
            self.sku.take_changes();
            self.sku.release(&req.id, self.now).expect("active");
            self.sku.take_changes();
        }
    }

    /// `n` reservations, each committed as a sale.
    pub fn reserve_commit(&mut self, n: u32) {
        for _ in 0..n {
            let req = self.hold_request();
            self.sku.reserve(&req, self.now).expect("in stock");
            self.sku.take_changes();
            self.sku.commit(&req.id, "o", self.now).expect("live hold");
            self.sku.take_changes();
        }
    }

    /// `n` availability answers for the web channel; returns their sum so nothing is elided.
    pub fn availability(&self, n: u32) -> i64 {
        (0..n).map(|_| self.sku.availability("web").expect("known channel").available).sum()
    }
}
