//! # The lastunit edge
//!
//! A Cloudflare Worker that carries bytes and time to the engine (the `lastunit` crate) and
//! keeps its state durable. The engine decides everything; this crate only routes, checks
//! credentials, stores and pushes.
//!
//! - [`router`]: the public routes of the contract; `fetch` only dispatches to small functions.
//! - [`public_reads`]: `GET /v1/health` and `GET /v1/availability/{sku}`, answered from the raw
//!   request; [`availability_cache`]: the isolate's availability, served for at most 1 s after
//!   the SKU's object answered it, so hot product pages do not wake the object on every view.
//! - [`sku_object::SkuObject`]: one Durable Object per SKU (named by the SKU): the engine's
//!   `Sku` in memory, its snapshot, applied event ids and full ledger in SQLite, live
//!   WebSockets, and an alarm that expires holds, pushes the summary to the catalog, delivers
//!   subscriber pushes and recalibrates buffers.
//! - [`catalog::CatalogObject`]: the single catalog: locations, channels, PoS id maps, SKUs,
//!   subscribers and one summary per SKU for the dashboard and questions.
//! - [`catalog_io`]: the catalog in and out as CSV (the import's upload, the SKU and ledger
//!   exports, streamed).
//! - [`cart::CartObject`]: one coordinator per multi-line reservation, and per cart and
//!   `Idempotency-Key`: it keeps the first answer and the request's fingerprint.
//! - [`client::ClientObject`]: one per storefront client address: its reservations per minute.
//! - [`push`]: signed pushes to connected channels, with backoff.
//! - [`connections`]: the operator's routes for connected stores (Shopify, WooCommerce, Square).
//! - [`connection_object::ConnectionObject`]: one per connected store: its writer (what lastunit
//!   still has to write there), stored in SQLite, sent from its alarm by [`stores`]' clients.
//! - [`transaction`]: one `transactionSync` per change, shared by the objects.
//!
//! Architecture invariant: no stock rule lives here; every decision is an engine call with
//! `now` taken from `Date.now()`.
//!
//! Like the engine and the widget, this crate forbids `unsafe` (nothing here needs it: the
//! bindings to the runtime are the `worker` and `wasm-bindgen` crates') and denies undocumented
//! public items: the modules are private, so that covers what the crate hands the runtime (the
//! Durable Object classes and the `fetch` entry) and keeps every other item's doc a choice the
//! reviewer sees. Its pure helpers have native unit tests (`make test-engine` runs them).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod admin;
mod auth;
mod availability_cache;
mod cart;
mod catalog;
mod catalog_io;
mod client;
mod connection_object;
mod connections;
mod http;
mod ids;
mod internal;
mod public_reads;
mod push;
mod reservations;
mod router;
mod sku_object;
mod square_out;
mod store_import;
mod stores;
mod transaction;
mod webhooks;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::worker_sys::{web_sys, Context};
use worker::Env;

/// The Worker's `fetch` handler, exported as `#[event(fetch)]` would export it (worker-build
/// wires any `fetch` export), except that it may answer at once instead of always through a
/// promise: see [`router::fetch`].
#[wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: Env, _ctx: Context) -> JsValue {
    router::fetch(req, env)
}
