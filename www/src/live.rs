//! Keeping availability live: one WebSocket per feed to `GET /v1/live/{sku}?channel=`,
//! reconnected with backoff; a batch poll of `GET /v1/availability?skus=` on a timer for the
//! feeds whose socket cannot be had.

use gloo_timers::callback::{Interval, Timeout};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, WebSocket};

use crate::app::{dispatch, Msg};
use crate::feed::FeedKey;
use crate::net;

/// Connections that close without a message before the feed is also polled.
const POLL_AFTER_FAILURES: u32 = 3;
/// First reconnection delay; doubles per failure up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: u32 = 500;
const MAX_BACKOFF_MS: u32 = 10_000;

/// One feed's WebSocket and its reconnection state.
#[derive(Default)]
pub struct Socket {
    link: Link,
    /// Connections in a row that closed without a message.
    failures: u32,
}

/// Where a feed's socket stands. Each state holds what only it has (the connection, the retry
/// timer), so no state can hold a socket it should have closed.
#[derive(Default)]
enum Link {
    /// No connection tried yet.
    #[default]
    Idle,
    /// Connecting or open, nothing delivered yet: the first message is the current state.
    /// `polled`: the feed is also polled until it delivers (it was parked, or keeps failing).
    Opening { conn: Conn, polled: bool },
    /// The current connection has delivered.
    Live(Conn),
    /// Closed; the timer reconnects. `polled` as in `Opening`.
    Waiting { _retry: Timeout, polled: bool },
    /// Given up (the SKU is unknown to the edge, or the page has too many sockets): only polled
    /// until `connect` is called again.
    Parked,
    /// The browser has no WebSocket: polled for good.
    Unsupported,
}

/// An open (or opening) WebSocket and the handlers it calls; dropping it closes the socket.
struct Conn {
    ws: WebSocket,
    _handlers: [Closure<dyn FnMut(JsValue)>; 2],
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Unhook first: the handlers are freed right after this.
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

impl Socket {
    /// Whether a connection was ever tried.
    pub fn started(&self) -> bool {
        !matches!(self.link, Link::Idle)
    }

    /// Connections in a row that closed without a message.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Whether the feed is (also) read by polling.
    pub fn polling(&self) -> bool {
        match self.link {
            Link::Idle | Link::Live(_) => false,
            Link::Opening { polled, .. } | Link::Waiting { polled, .. } => polled,
            Link::Parked | Link::Unsupported => true,
        }
    }

    /// Gives up the socket (the SKU is unknown to the edge, or the page has too many): the feed
    /// is only polled until `connect` is called again.
    pub fn park(&mut self) {
        if !matches!(self.link, Link::Unsupported) {
            self.link = Link::Parked;
        }
    }

    /// Whether the browser has no WebSocket (the feed is polled for good).
    pub fn is_unsupported(&self) -> bool {
        matches!(self.link, Link::Unsupported)
    }

    /// Whether this feed holds (or is trying to hold) a WebSocket.
    pub fn has_socket(&self) -> bool {
        matches!(self.link, Link::Opening { .. } | Link::Live(_) | Link::Waiting { .. })
    }

    /// Whether the current connection has delivered.
    pub fn is_live(&self) -> bool {
        matches!(self.link, Link::Live(_))
    }

    /// Opens (or reopens) the socket for `key`.
    pub fn connect(&mut self, key: &FeedKey) {
        if matches!(self.link, Link::Unsupported) || !websockets_available() {
            self.link = Link::Unsupported;
            return;
        }
        let polled = self.polling();
        // Closes the old connection (or drops the pending retry) before the new one opens.
        self.link = Link::Idle;
        match open(key) {
            Some(conn) => self.link = Link::Opening { conn, polled },
            None => self.failed(key, polled),
        }
    }

    /// A message arrived; returns whether it is the first of this connection (the current
    /// state, to be taken whatever its version).
    pub fn delivered(&mut self) -> bool {
        let first = match std::mem::take(&mut self.link) {
            Link::Opening { conn, .. } => {
                self.link = Link::Live(conn);
                true
            }
            Link::Live(conn) => {
                self.link = Link::Live(conn);
                false
            }
            // Queued before its connection was given up.
            other => {
                self.link = other;
                return false;
            }
        };
        self.failures = 0;
        first
    }

    /// The socket closed: try again later. Returns `false` for a close queued before its
    /// connection was given up (nothing to retry).
    pub fn closed(&mut self, key: &FeedKey) -> bool {
        let polled = match self.link {
            Link::Opening { polled, .. } => polled,
            Link::Live(_) => false,
            _ => return false,
        };
        self.link = Link::Idle;
        self.failed(key, polled);
        true
    }

    fn failed(&mut self, key: &FeedKey, polled: bool) {
        self.failures = self.failures.saturating_add(1);
        let shift = self.failures.saturating_sub(1).min(5);
        let delay = (FIRST_BACKOFF_MS << shift).min(MAX_BACKOFF_MS) + (js_sys::Math::random() * 300.0) as u32;
        let k = key.clone();
        self.link = Link::Waiting {
            _retry: Timeout::new(delay, move || dispatch(Msg::Reconnect(k))),
            polled: polled || self.failures >= POLL_AFTER_FAILURES,
        };
    }
}

/// Opens the socket for `key`, its messages and close queued as [`Msg`]s; `None` when the
/// browser refuses the URL.
fn open(key: &FeedKey) -> Option<Conn> {
    let mut url = String::from(if key.endpoint.starts_with("https:") { "wss:" } else { "ws:" });
    url.push_str(key.endpoint.split_once(':').map(|(_, rest)| rest).unwrap_or(""));
    url.push_str("/v1/live/");
    url.push_str(&net::encode(&key.sku));
    url.push_str("?channel=");
    url.push_str(&net::encode(&key.channel));
    let ws = WebSocket::new(&url).ok()?;
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
    Some(Conn { ws, _handlers: [on_message, on_close] })
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
