//! Keeping availability live: one WebSocket per feed to `GET /v1/live/{sku}?channel=`,
//! reconnected with backoff; a batch poll of `GET /v1/availability?skus=` on a timer for the
//! feeds whose socket cannot be had.

use gloo_timers::callback::{Interval, Timeout};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, WebSocket};

use crate::app::{dispatch, FeedKey, Msg};
use crate::net;

/// Connections that close without a message before the feed is also polled.
const POLL_AFTER_FAILURES: u32 = 3;
/// First reconnection delay; doubles per failure up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: u32 = 500;
const MAX_BACKOFF_MS: u32 = 10_000;

/// One feed's WebSocket and its reconnection state.
#[derive(Default)]
pub struct Socket {
    ws: Option<WebSocket>,
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    retry: Option<Timeout>,
    failures: u32,
    started: bool,
    fresh: bool,
    live: bool,
    unsupported: bool,
    parked: bool,
    /// The feed is (also) read by polling.
    pub polling: bool,
}

impl Socket {
    /// Whether a connection was ever tried.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Connections in a row that closed without a message.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Gives up the socket (the SKU is unknown to the edge, or the page has too many): the feed
    /// is only polled until `connect` is called again.
    pub fn park(&mut self) {
        self.detach();
        self.started = true;
        self.retry = None;
        self.parked = true;
        self.polling = true;
    }

    /// Whether the browser has no WebSocket (the feed is polled for good).
    pub fn is_unsupported(&self) -> bool {
        self.unsupported
    }

    /// Whether this feed holds (or is trying to hold) a WebSocket.
    pub fn has_socket(&self) -> bool {
        self.started && !self.parked && !self.unsupported
    }

    /// Whether the current connection has delivered.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Opens (or reopens) the socket for `key`.
    pub fn connect(&mut self, key: &FeedKey) {
        self.started = true;
        self.parked = false;
        self.retry = None;
        self.detach();
        if self.unsupported || !websockets_available() {
            self.unsupported = true;
            self.polling = true;
            return;
        }
        let mut url = String::from(if key.endpoint.starts_with("https:") { "wss:" } else { "ws:" });
        url.push_str(key.endpoint.split_once(':').map(|(_, rest)| rest).unwrap_or(""));
        url.push_str("/v1/live/");
        url.push_str(&net::encode(&key.sku));
        url.push_str("?channel=");
        url.push_str(&net::encode(&key.channel));
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(_) => {
                self.failed(key);
                return;
            }
        };
        let k = key.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let data = ev.unchecked_into::<MessageEvent>().data();
            if let Some(value) = net::parse_push(&data) {
                dispatch(Msg::Pushed(k.clone(), value));
            }
        });
        let k = key.clone();
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| dispatch(Msg::Closed(k.clone())));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.handlers = vec![on_message, on_close];
        self.ws = Some(ws);
        self.fresh = true;
        self.live = false;
    }

    /// A message arrived; returns whether it is the first of this connection (the current
    /// state, to be taken whatever its version).
    pub fn delivered(&mut self) -> bool {
        let fresh = self.fresh;
        self.fresh = false;
        self.live = true;
        self.failures = 0;
        self.polling = false;
        fresh
    }

    /// The socket closed: try again later.
    pub fn closed(&mut self, key: &FeedKey) {
        self.detach();
        self.failed(key);
    }

    fn failed(&mut self, key: &FeedKey) {
        self.live = false;
        self.failures = self.failures.saturating_add(1);
        if self.failures >= POLL_AFTER_FAILURES {
            self.polling = true;
        }
        let shift = self.failures.saturating_sub(1).min(5);
        let delay = (FIRST_BACKOFF_MS << shift).min(MAX_BACKOFF_MS) + (js_sys::Math::random() * 300.0) as u32;
        let k = key.clone();
        self.retry = Some(Timeout::new(delay, move || dispatch(Msg::Reconnect(k))));
    }

    fn detach(&mut self) {
        if let Some(ws) = self.ws.take() {
            ws.set_onmessage(None);
            ws.set_onclose(None);
            let _ = ws.close();
        }
        self.handlers.clear();
        self.live = false;
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.detach();
    }
}

fn websockets_available() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("WebSocket")).ok())
        .is_some_and(|v| v.is_function())
}

/// The polling timer, running only while some feed needs it.
#[derive(Default)]
pub struct Poller {
    interval: Option<Interval>,
    period: u32,
}

impl Poller {
    /// Starts, restarts or stops the timer.
    pub fn sync(&mut self, needed: bool, period_ms: u32) {
        if !needed {
            self.interval = None;
        } else if self.interval.is_none() || self.period != period_ms {
            self.period = period_ms;
            self.interval = Some(Interval::new(period_ms, || dispatch(Msg::Poll)));
        }
    }
}
