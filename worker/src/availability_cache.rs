//! The isolate's cache of public availability: a hot product page's `GET /v1/availability`
//! is answered from here for at most [`FRESH_MS`] after the SKU's object last answered it, so
//! readers do not wake the object on every view. The WebSocket (`/v1/live`) stays the live path:
//! every change is pushed there at once.
//!
//! What a reader sees:
//! - never an answer older than [`FRESH_MS`] (a sell-out shows within that, whatever isolate
//!   serves the reader);
//! - never an older version after a newer one from this isolate: an answer replaces the cached
//!   one only if its version is at least as new;
//! - its own writes at once: every call that may change a SKU goes through
//!   [`crate::internal::sku_stub`], which drops this isolate's entries of that SKU when the stub
//!   is taken and again when it is dropped (after the object answered). A read that was under
//!   way meanwhile is not cached, so it cannot put back what the write changed.
//!
//! Only `200` answers are kept (an unknown SKU or channel is asked again). Keyed by SKU and
//! channel; at most [`MAX_SKUS`] SKUs, past which the stale ones are dropped (or all, if every
//! one is fresh).

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Deserialize;
use worker::{Env, Result};

use crate::internal;

/// How long after the object answered its answer is served from here.
pub const FRESH_MS: f64 = 1000.0;
/// Most SKUs kept at once.
const MAX_SKUS: usize = 10_000;

struct Answer {
    body: String,
    version: u64,
    answered_at: f64,
}

#[derive(Default)]
struct SkuEntry {
    /// Raised by every write: a read begun before it is not cached.
    generation: u64,
    by_channel: Vec<(String, Answer)>,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, SkuEntry>> = RefCell::new(HashMap::new());
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The cached `200` answer of `sku` on `channel`, if the object gave it less than
/// [`FRESH_MS`] ago.
pub fn fresh(sku: &str, channel: &str) -> Option<String> {
    let now = now_ms();
    CACHE.with(|c| {
        let c = c.borrow();
        let (_, a) = c.get(sku)?.by_channel.iter().find(|(ch, _)| ch == channel)?;
        (now - a.answered_at < FRESH_MS).then(|| a.body.clone())
    })
}

/// Drops this isolate's answers of `sku`, and keeps any read under way from caching its answer.
pub fn forget(sku: &str) {
    CACHE.with(|c| {
        if let Some(e) = c.borrow_mut().get_mut(sku) {
            e.generation += 1;
            e.by_channel.clear();
        }
    });
}

/// The availability of `sku` on `channel` as `(status, JSON text)`: from the cache when fresh,
/// else from the SKU's object (and then kept, when `200`).
pub async fn availability(env: &Env, sku: &str, channel: &str) -> Result<(u16, String)> {
    if let Some(body) = fresh(sku, channel) {
        return Ok((200, body));
    }
    let generation = begin(sku);
    let stub = internal::sku_reader(env, sku)?;
    let mut resp =
        stub.fetch_with_str(&format!("https://do.internal/availability?channel={}", encode(channel))).await?;
    let status = resp.status_code();
    let body = resp.text().await?;
    if status == 200 {
        keep(sku, channel, generation, &body);
    }
    Ok((status, body))
}

/// The generation a read of `sku` starts under (its entry made if there is none).
fn begin(sku: &str) -> u64 {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_SKUS && !c.contains_key(sku) {
            let now = now_ms();
            c.retain(|_, e| e.by_channel.iter().any(|(_, a)| now - a.answered_at < FRESH_MS));
            if c.len() >= MAX_SKUS {
                c.clear();
            }
        }
        c.entry(sku.to_string()).or_default().generation
    })
}

/// Keeps `body` (the object's `200`) unless a write came since the read began, or a newer
/// version is already kept.
fn keep(sku: &str, channel: &str, generation: u64, body: &str) {
    #[derive(Deserialize)]
    struct Versioned {
        version: u64,
    }
    let Ok(Versioned { version }) = serde_json::from_str(body) else {
        worker::console_error!("availability of {sku} without a version: {body}");
        return;
    };
    let answer = Answer { body: body.to_string(), version, answered_at: now_ms() };
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let Some(e) = c.get_mut(sku).filter(|e| e.generation == generation) else { return };
        match e.by_channel.iter_mut().find(|(ch, _)| ch == channel) {
            Some((_, kept)) if kept.version > version => {}
            Some((_, kept)) => *kept = answer,
            None => e.by_channel.push((channel.to_string(), answer)),
        }
    });
}

fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}
