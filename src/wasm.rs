//! The engine as a JavaScript class, for any JS edge or storefront that wants to decide
//! locally (`--features wasm`, built for `wasm32-unknown-unknown` with wasm-bindgen).
//!
//! ```js
//! const e = new Engine("A", {title: "Linen shirt"}, {locations: ["main-st"], channels: {web: ["main-st"]}}, Date.now());
//! e.apply({event_id: "e1", type: "receive", sku: "A", location: "main-st", quantity: 3}, Date.now());
//! e.availability("web");   // {sku, channel, available: 3, status: "in_stock", ...}
//! ```
//! Times are milliseconds since the epoch (`Date.now()`); refusals throw `{error, message}`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::catalog::{SkuConfig, Topology};
use crate::reservation::HoldRequest;
use crate::sku::{Applied, Sku};
use crate::{Error, EventBody, Timestamp};

/// One SKU's engine.
#[wasm_bindgen]
pub struct Engine {
    sku: Sku,
}

#[derive(Serialize)]
struct Refusal<'a> {
    error: &'a str,
    message: String,
}

fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsValue::from_str(&e.to_string()))
}

fn refuse(e: Error) -> JsValue {
    to_js(&Refusal { error: e.code(), message: e.to_string() }).unwrap_or_else(|j| j)
}

fn from_js<T: serde::de::DeserializeOwned>(field: &'static str, v: JsValue) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(v).map_err(|e| refuse(Error::invalid(field, e.to_string())))
}

fn at(ms: f64) -> Timestamp {
    Timestamp(ms as i64)
}

#[derive(Serialize)]
struct Outcome<'a> {
    outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<crate::ledger::LedgerEntry>,
}

#[wasm_bindgen]
impl Engine {
    /// A new SKU: `config` as `PUT /admin/skus` takes it, `topology` as
    /// `{locations: [...], channels: {name: [locations]}}`.
    #[wasm_bindgen(constructor)]
    pub fn new(sku: &str, config: JsValue, topology: JsValue, now_ms: f64) -> Result<Engine, JsValue> {
        let config: SkuConfig = from_js("config", config)?;
        let topology: Topology = from_js("topology", topology)?;
        Sku::new(sku, config, topology, at(now_ms)).map(|sku| Engine { sku }).map_err(refuse)
    }

    /// Applies a generic event; returns `{outcome: "applied"|"duplicate"|"stale", entry}`.
    pub fn apply(&mut self, event: JsValue, now_ms: f64) -> Result<JsValue, JsValue> {
        let body: EventBody = from_js("event", event)?;
        let event = body.check("js", at(now_ms)).map_err(refuse)?;
        let outcome = match self.sku.apply(&event, at(now_ms)).map_err(refuse)? {
            Applied::Applied(entry) => Outcome { outcome: "applied", entry: Some(entry) },
            Applied::Duplicate => Outcome { outcome: "duplicate", entry: None },
            Applied::Stale => Outcome { outcome: "stale", entry: None },
            Applied::Echo => Outcome { outcome: "echo", entry: None },
        };
        to_js(&outcome)
    }

    /// Holds units: `{id, cart_id, channel, quantity, expires_at}` (RFC 3339).
    pub fn reserve(&mut self, request: JsValue, now_ms: f64) -> Result<JsValue, JsValue> {
        let req: HoldRequest = from_js("request", request)?;
        to_js(&self.sku.reserve(&req, at(now_ms)).map_err(refuse)?)
    }

    /// Commits a hold as a sale.
    pub fn commit(&mut self, id: &str, order_id: &str, now_ms: f64) -> Result<JsValue, JsValue> {
        to_js(&self.sku.commit(id, order_id, at(now_ms)).map_err(refuse)?)
    }

    /// Releases a hold.
    pub fn release(&mut self, id: &str, now_ms: f64) -> Result<JsValue, JsValue> {
        to_js(&self.sku.release(id, at(now_ms)).map_err(refuse)?)
    }

    /// Expires due holds; returns how many.
    pub fn expire(&mut self, now_ms: f64) -> u32 {
        self.sku.expire(at(now_ms)) as u32
    }

    /// The availability object for a channel.
    pub fn availability(&self, channel: &str) -> Result<JsValue, JsValue> {
        to_js(&self.sku.availability(channel).map_err(refuse)?)
    }

    /// The SKU's detached picture (as the dashboard sees it).
    pub fn summary(&self) -> Result<JsValue, JsValue> {
        to_js(&self.sku.summary())
    }

    /// What changed since the last call, to store in one step: `{snapshot, holds, ledger, seen}` (see `lastunit::ChangeSet`). Changes accumulate until they are taken.
    pub fn changes(&mut self) -> Result<JsValue, JsValue> {
        to_js(&self.sku.take_changes())
    }
}

/// The benchmark workload (see `bench_support`), for timing the engine in Wasm from JS
/// (`--features wasm,bench`).
#[cfg(feature = "bench")]
#[wasm_bindgen]
pub struct BenchWorkload(crate::bench_support::Workload);

#[cfg(feature = "bench")]
#[wasm_bindgen]
impl BenchWorkload {
    /// The busy SKU at `now_ms`.
    #[wasm_bindgen(constructor)]
    pub fn new(now_ms: f64) -> BenchWorkload {
        BenchWorkload(crate::bench_support::Workload::new(at(now_ms)))
    }
    /// `n` events applied.
    pub fn apply_events(&mut self, n: u32) {
        self.0.apply_events(n)
    }
    /// `n` reservations, each released.
    pub fn reserve_release(&mut self, n: u32) {
        self.0.reserve_release(n)
    }
    /// `n` reservations, each committed.
    pub fn reserve_commit(&mut self, n: u32) {
        self.0.reserve_commit(n)
    }
    /// `n` availability answers.
    pub fn availability(&self, n: u32) -> f64 {
        self.0.availability(n) as f64
    }
}
