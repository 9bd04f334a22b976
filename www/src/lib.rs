//! # lastunit-widget: live availability on any storefront page
//!
//! The browser half of lastunit. A page includes `https://EDGE/widget/lastunit.js`; that ES module
//! loads this crate and calls [`boot`] with its own URL. From then on the widget
//!
//! * finds every `[data-lastunit-sku]` element and `[data-lastunit-add-to-cart]` button, now and
//!   later (`dom.rs`, a `MutationObserver`),
//! * keeps one WebSocket per SKU and channel open to the edge, or polls when it cannot
//!   (`live.rs`),
//! * renders the availability into each element, sets `data-lastunit-status` /
//!   `data-lastunit-available`, and disables the add-to-cart buttons of sold-out SKUs (`dom.rs`),
//! * takes add-to-cart holds for the page and counts them down (`reserve.rs`).
//!
//! ## Architecture invariants
//! * The wire types (`Availability`, `Status`, `Timestamp`) are the engine's, shared through the
//!   `lastunit` crate; nothing here redefines them.
//! * Every callback (socket, timer, fetch, observer, the page's JS calls) only queues an
//!   [`app::Msg`]; the queue is drained in a microtask by [`app::App::update`], the one place that
//!   owns and changes state. No callback ever runs while state is borrowed, and no closure is
//!   dropped while it is running.
//! * Nothing here panics on input: the edge may be down or answer garbage; the widget then shows
//!   a neutral "Checking stock…" state.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod app;
mod config;
mod decode;
mod dom;
mod feed;
mod live;
mod net;
mod reserve;

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use app::{dispatch, Msg};

/// Starts the widget. `script_url` is the URL the module was loaded from (`import.meta.url`):
/// the edge is the folder above `widget/`, unless `data-lastunit-endpoint` says otherwise.
/// Calling it again does nothing.
#[wasm_bindgen]
pub fn boot(script_url: &str) {
    app::boot(script_url);
}

/// Changes settings after load. `opts` may hold `key` (the storefront key), `endpoint` (the
/// edge's base URL), `channel` (default channel), `cartId`, `ttlSeconds` and `pollMs`.
#[wasm_bindgen]
pub fn configure(opts: JsValue) {
    config::configure(&opts);
    dispatch(Msg::Scan);
}

/// Looks for new or removed widget elements now (the widget also does so by itself).
#[wasm_bindgen]
pub fn refresh() {
    dispatch(Msg::Scan);
}

/// Holds `quantity` units of `sku` for this page's cart: `POST /v1/reservations`.
/// `opts`: `channel`, `cartId`, `ttlSeconds`, `idempotencyKey` (default: one drawn for this call
/// and kept across its retries; pass your own to retry yourself). Resolves to the edge's reservation object;
/// rejects with an `Error` carrying `error`, `status` and, for a 409, `available`.
#[wasm_bindgen]
pub fn reserve(sku: String, quantity: JsValue, opts: JsValue) -> Promise {
    let quantity = quantity.as_f64().unwrap_or(1.0);
    let cfg = config::config();
    let opt =
        |name: &str| Reflect::get(&opts, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined() && !v.is_null());
    let channel = opt("channel").and_then(|v| v.as_string()).unwrap_or_else(|| cfg.channel.clone());
    let cart = opt("cartId").and_then(|v| v.as_string()).unwrap_or_else(|| cfg.cart_id.clone());
    let ttl = opt("ttlSeconds").and_then(|v| v.as_f64()).unwrap_or(f64::from(cfg.ttl_seconds));
    let key = opt("idempotencyKey").and_then(|v| v.as_string()).filter(|k| !k.is_empty());
    future_to_promise(reserve::reserve(cfg, sku, quantity, channel, cart, ttl, key))
}

/// Gives a hold back: `DELETE /v1/reservations/{id}`. Resolves to the edge's answer.
#[wasm_bindgen]
pub fn release(id: String) -> Promise {
    future_to_promise(reserve::release(config::config(), id))
}
