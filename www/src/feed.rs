//! One live feed (a SKU on a channel at an edge): what the page shows for it and the
//! connection behind it, and the batch answer that polled feeds read.

use gloo_timers::callback::Timeout;
use lastunit::Availability;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::live::Socket;
use crate::{decode, net};

/// One live feed: a SKU on a channel at an edge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedKey {
    pub endpoint: String,
    pub sku: String,
    pub channel: String,
}

impl FeedKey {
    /// `/v1/availability/{sku}?channel=` on this feed's edge.
    pub fn availability_url(&self, channel: &str) -> String {
        let mut url = self.endpoint.clone();
        url.push_str("/v1/availability/");
        url.push_str(&net::encode(&self.sku));
        url.push_str("?channel=");
        url.push_str(&net::encode(channel));
        url
    }
}

/// What the page shows for one feed, and the connection behind it.
pub struct Feed {
    /// The `[data-lastunit-sku]` elements showing it.
    pub elements: Vec<Element>,
    /// The `[data-lastunit-add-to-cart]` buttons it governs.
    pub buttons: Vec<Element>,
    /// The newest availability received.
    pub shown: Option<Availability>,
    /// Contact with the edge is lost: show the neutral state.
    pub stale: bool,
    /// The edge answered `unknown_sku`.
    pub missing: bool,
    /// The grace timer after contact is lost (`Msg::Stale` when it fires).
    pub stale_timer: Option<Timeout>,
    /// Units the `store` channel has, asked when this channel is `in_store_only`.
    pub store_units: Option<i64>,
    /// The version at which `store_units` was asked (a newer answer replaces an older ask).
    pub store_asked: Option<u64>,
    /// A passing message (a refused hold), with its timer.
    pub notice: Option<(String, Timeout)>,
    /// The WebSocket, or the polling that stands in for it.
    pub socket: Socket,
}

impl Feed {
    /// A feed with nothing shown yet and no connection.
    pub fn new() -> Self {
        Feed {
            elements: Vec::new(),
            buttons: Vec::new(),
            shown: None,
            stale: false,
            missing: false,
            stale_timer: None,
            store_units: None,
            store_asked: None,
            notice: None,
            socket: Socket::default(),
        }
    }
}

/// A batch answer: `{"items": [...], "unknown": ["sku", ...]}`.
pub struct Batch {
    /// The availabilities the edge returned.
    pub items: Vec<Availability>,
    /// The SKUs it does not know.
    pub unknown: Vec<String>,
}

/// Reads a batch answer; `None` if the answer is not one. Items that are not availability
/// objects are skipped.
pub fn parse_items(body: &JsValue) -> Option<Batch> {
    let items = net::get(body, "items");
    if !js_sys::Array::is_array(&items) {
        return None;
    }
    let items: js_sys::Array = items.unchecked_into();
    let unknown = net::get(body, "unknown");
    let unknown = if js_sys::Array::is_array(&unknown) {
        unknown.unchecked_into::<js_sys::Array>().iter().filter_map(|v| v.as_string()).collect()
    } else {
        Vec::new()
    };
    Some(Batch { items: items.iter().filter_map(|v| decode::from_js(&v)).collect(), unknown })
}
