//! The widget's settings: defaults, the script tag's `data-lastunit-*` attributes, and
//! `lastunit.configure`. Read as a copy ([`config`]) so no callback holds them borrowed.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::{dom, net};

/// Settings, from the script tag's `data-lastunit-*` attributes and `lastunit.configure`.
#[derive(Clone)]
pub struct Config {
    /// The edge's base URL, without a trailing slash.
    pub endpoint: String,
    /// The storefront key for reservations.
    pub key: Option<String>,
    /// The channel of elements that name none.
    pub channel: String,
    /// This page's cart.
    pub cart_id: String,
    /// Hold length for `reserve`.
    pub ttl_seconds: u32,
    /// The polling period when WebSockets are unavailable.
    pub poll_ms: u32,
}

thread_local! {
    static CONFIG: RefCell<Option<Config>> = const { RefCell::new(None) };
}

/// The current settings (a copy: never held across a callback).
pub fn config() -> Config {
    CONFIG.with(|c| c.borrow().clone()).unwrap_or_else(|| Config {
        endpoint: String::new(),
        key: None,
        channel: "web".into(),
        cart_id: String::new(),
        ttl_seconds: 600,
        poll_ms: 5_000,
    })
}

/// Reads the settings from the script tag the widget was loaded by. Once: `false` if the
/// widget was already set up (a second `boot` does nothing).
pub fn from_script_tag(script_url: &str) -> bool {
    if CONFIG.with(|c| c.borrow().is_some()) {
        return false;
    }
    let mut cfg = config();
    cfg.endpoint = dom::edge_from_script_url(script_url);
    cfg.cart_id = crate::reserve::cart_id();
    if let Some(tag) = dom::own_script_tag(script_url) {
        let attr = |name: &str| tag.get_attribute(name).filter(|v| !v.is_empty());
        if let Some(endpoint) = attr("data-lastunit-endpoint") {
            cfg.endpoint = dom::trim_slash(&endpoint);
        }
        cfg.key = attr("data-lastunit-key");
        if let Some(channel) = attr("data-lastunit-channel") {
            cfg.channel = channel;
        }
        if let Some(ms) = attr("data-lastunit-poll-ms").and_then(|v| v.parse::<u32>().ok()) {
            cfg.poll_ms = ms.max(250);
        }
    }
    CONFIG.with(|c| *c.borrow_mut() = Some(cfg));
    true
}

/// Applies `lastunit.configure(opts)`.
pub fn configure(opts: &JsValue) {
    let mut cfg = config();
    let text = |name: &str| net::get(opts, name).as_string();
    if let Some(key) = text("key") {
        cfg.key = Some(key);
    }
    if let Some(endpoint) = text("endpoint") {
        cfg.endpoint = dom::trim_slash(&endpoint);
    }
    if let Some(channel) = text("channel") {
        cfg.channel = channel;
    }
    if let Some(cart) = text("cartId") {
        cfg.cart_id = cart;
    }
    if let Some(ttl) = net::get(opts, "ttlSeconds").as_f64() {
        cfg.ttl_seconds = ttl.clamp(1.0, 3600.0) as u32;
    }
    if let Some(ms) = net::get(opts, "pollMs").as_f64() {
        cfg.poll_ms = ms.max(250.0) as u32;
    }
    CONFIG.with(|c| *c.borrow_mut() = Some(cfg));
}
