//! The widget's state and the one place it changes: [`App::update`], fed by a queue of [`Msg`]
//! that every callback writes to and a microtask drains.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use gloo_timers::callback::Timeout;
use js_sys::Promise;
use lastunit::{Availability, Status};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use crate::config::config;
use crate::feed::{parse_items, Batch, Feed, FeedKey};
use crate::live::Poller;
use crate::reserve::{Hold, Holds};
use crate::{dom, net};

/// How long a lost connection may keep showing the last value before the neutral state.
const STALE_AFTER_MS: u32 = 2_000;
/// At most this many WebSockets per page; further feeds are polled (browsers cap sockets).
const MAX_SOCKETS: usize = 48;
/// How long a refused reservation's message stays up.
const NOTICE_MS: u32 = 6_000;

/// Everything that happens to the widget.
pub enum Msg {
    /// The DOM changed (or the page asked): find widget elements again.
    Scan,
    /// A socket delivered an availability.
    Pushed(FeedKey, Availability),
    /// A socket closed.
    Closed(FeedKey),
    /// Time to try the socket again.
    Reconnect(FeedKey),
    /// The grace period after losing contact is over.
    Stale(FeedKey),
    /// The polling timer fired.
    Poll,
    /// A batch poll answered (`None`: failed).
    Polled { endpoint: String, channel: String, skus: Vec<String>, items: Option<Batch> },
    /// A one-off read answered.
    Fetched(FeedKey, net::Read),
    /// The `store` channel's count for an `in_store_only` feed, asked at `version`.
    StoreUnits(FeedKey, u64, Option<i64>),
    /// A hold was taken.
    Held(Hold),
    /// The edge refused a hold: `available` units left.
    Refused { key: FeedKey, available: Option<i64> },
    /// A hold was released by the page.
    Released(String),
    /// The countdown's second passed.
    Tick,
    /// A notice's time is up.
    NoticeOver(FeedKey),
}

/// The widget.
pub struct App {
    feeds: BTreeMap<FeedKey, Feed>,
    holds: Holds,
    poller: Poller,
    _observer: Option<dom::Observer>,
}

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
    static QUEUE: RefCell<VecDeque<Msg>> = const { RefCell::new(VecDeque::new()) };
    static DRAIN: Closure<dyn FnMut(JsValue)> = Closure::new(|_| drain());
}

/// Queues `msg`; the queue is drained in a microtask, never inside the caller.
pub fn dispatch(msg: Msg) {
    let first = QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        q.push_back(msg);
        q.len() == 1
    });
    if first {
        DRAIN.with(|f| {
            let _ = Promise::resolve(&JsValue::UNDEFINED).then(f);
        });
    }
}

fn drain() {
    APP.with(|app| {
        let Ok(mut app) = app.try_borrow_mut() else { return };
        let Some(app) = app.as_mut() else {
            QUEUE.with(|q| q.borrow_mut().clear());
            return;
        };
        while let Some(msg) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
            app.update(msg);
        }
        app.poller.sync(app.feeds.values().any(|f| f.socket.polling()), config().poll_ms);
    });
}
/// Sets up from the script tag; once.
pub fn boot(script_url: &str) {
    if !crate::config::from_script_tag(script_url) {
        return;
    }
    let observer = dom::observe(|| dispatch(Msg::Scan));
    APP.with(|a| {
        *a.borrow_mut() = Some(App {
            feeds: BTreeMap::new(),
            holds: Holds::default(),
            poller: Poller::default(),
            _observer: observer,
        })
    });
    dispatch(Msg::Scan);
    for hold in crate::reserve::saved_holds(js_sys::Date::now()) {
        dispatch(Msg::Held(hold));
    }
}
impl App {
    /// Handles one message.
    fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Scan => self.scan(),
            Msg::Pushed(key, value) => {
                let fresh = match self.feeds.get_mut(&key) {
                    Some(feed) => feed.socket.delivered(),
                    None => return,
                };
                self.apply(&key, value, fresh);
            }
            Msg::Closed(key) => {
                let Some(feed) = self.feeds.get_mut(&key) else { return };
                if !feed.socket.closed(&key) {
                    return;
                }
                // A socket that never delivered: read once over HTTP, to show something (or learn
                // that the SKU does not exist) without waiting for the polling to start.
                let read_once = feed.socket.failures() == 1 && feed.shown.is_none();
                if feed.shown.is_some() && !feed.stale && feed.stale_timer.is_none() {
                    let k = key.clone();
                    feed.stale_timer = Some(Timeout::new(STALE_AFTER_MS, move || dispatch(Msg::Stale(k))));
                }
                if feed.socket.polling() {
                    dispatch(Msg::Poll);
                }
                if read_once {
                    self.fetch(&key);
                }
            }
            Msg::Reconnect(key) => {
                if let Some(feed) = self.feeds.get_mut(&key) {
                    feed.socket.connect(&key);
                }
            }
            Msg::Stale(key) => {
                let Some(feed) = self.feeds.get_mut(&key) else { return };
                feed.stale_timer = None;
                if !feed.socket.is_live() {
                    feed.stale = true;
                    self.render(&key);
                }
            }
            Msg::Poll => self.poll(),
            Msg::Polled { endpoint, channel, skus, items } => match items {
                Some(batch) => {
                    for value in batch.items {
                        let key =
                            FeedKey { endpoint: endpoint.clone(), sku: value.sku.clone(), channel: channel.clone() };
                        self.apply(&key, value, false);
                    }
                    for sku in batch.unknown {
                        self.missing(&FeedKey { endpoint: endpoint.clone(), sku, channel: channel.clone() });
                    }
                }
                None => {
                    for sku in skus {
                        let key = FeedKey { endpoint: endpoint.clone(), sku, channel: channel.clone() };
                        if let Some(feed) = self.feeds.get_mut(&key) {
                            if !feed.socket.is_live() && !feed.stale {
                                feed.stale = true;
                                self.render(&key);
                            }
                        }
                    }
                }
            },
            Msg::Fetched(key, read) => match read {
                net::Read::Found(value) => self.apply(&key, value, false),
                net::Read::UnknownSku => self.missing(&key),
                net::Read::Failed => {}
            },
            Msg::StoreUnits(key, version, units) => {
                let Some(feed) = self.feeds.get_mut(&key) else { return };
                if feed.store_asked == Some(version) {
                    feed.store_units = units;
                    self.render(&key);
                }
            }
            Msg::Held(hold) => {
                let key = hold.key.clone();
                self.holds.add(hold);
                if let Some(feed) = self.feeds.get_mut(&key) {
                    feed.notice = None;
                }
                self.render(&key);
            }
            Msg::Refused { key, available } => {
                let Some(feed) = self.feeds.get_mut(&key) else { return };
                let text = match available {
                    Some(n) if n > 0 => {
                        let mut s = String::from("Only ");
                        s.push_str(&net::digits(n));
                        s.push_str(" left — we couldn't hold that many");
                        s
                    }
                    _ => String::from("Sorry, that just sold out"),
                };
                let k = key.clone();
                feed.notice = Some((text, Timeout::new(NOTICE_MS, move || dispatch(Msg::NoticeOver(k)))));
                self.render(&key);
                self.fetch(&key);
            }
            Msg::Released(id) => {
                if let Some(hold) = self.holds.remove(&id) {
                    self.render(&hold.key);
                    self.fetch(&hold.key);
                }
            }
            Msg::Tick => {
                let now = js_sys::Date::now();
                for hold in self.holds.expire(now) {
                    self.fetch(&hold.key);
                    self.render(&hold.key);
                }
                for key in self.holds.keys() {
                    self.render(&key);
                }
            }
            Msg::NoticeOver(key) => {
                if let Some(feed) = self.feeds.get_mut(&key) {
                    feed.notice = None;
                    self.render(&key);
                }
            }
        }
    }

    /// Takes a newer availability (or any, on a fresh connection) and shows it.
    fn apply(&mut self, key: &FeedKey, value: Availability, fresh: bool) {
        let Some(feed) = self.feeds.get_mut(key) else { return };
        if value.sku != key.sku || value.channel != key.channel {
            return;
        }
        if let Some(shown) = &feed.shown {
            if !fresh && value.version < shown.version {
                return;
            }
        }
        feed.stale = false;
        feed.stale_timer = None;
        if feed.missing {
            // The SKU exists after all (it was just created): go live again.
            feed.missing = false;
            feed.socket.connect(key);
        }
        let ask_store =
            value.in_store_only && value.status == Status::OutOfStock && feed.store_asked != Some(value.version);
        let version = value.version;
        feed.shown = Some(value);
        if ask_store {
            feed.store_asked = Some(version);
            let k = key.clone();
            let url = key.availability_url("store");
            spawn_local(async move {
                let units = net::availability(&url).await.map(|a| a.available);
                dispatch(Msg::StoreUnits(k, version, units));
            });
        }
        self.render(key);
    }

    /// The edge does not know this SKU: say so, stop reconnecting, and only poll for it.
    fn missing(&mut self, key: &FeedKey) {
        let Some(feed) = self.feeds.get_mut(key) else { return };
        if feed.shown.is_some() && !feed.stale {
            return;
        }
        feed.missing = true;
        feed.socket.park();
        self.render(key);
    }

    /// A one-off read of one feed (after a hold ends or is refused, or a socket fails).
    fn fetch(&self, key: &FeedKey) {
        let k = key.clone();
        let url = key.availability_url(&key.channel);
        spawn_local(async move {
            let read = net::read(&url).await;
            dispatch(Msg::Fetched(k, read));
        });
    }

    /// Rebinds every widget element and button in the page; opens and closes feeds to match.
    fn scan(&mut self) {
        let cfg = config();
        for feed in self.feeds.values_mut() {
            feed.elements.clear();
            feed.buttons.clear();
        }
        let found = dom::find(&cfg);
        for (key, el, is_button) in found {
            let feed = self.feeds.entry(key).or_insert_with(Feed::new);
            if is_button {
                feed.buttons.push(el);
            } else {
                dom::prepare(&el);
                feed.elements.push(el);
            }
        }
        let holds = &self.holds;
        self.feeds.retain(|key, feed| !feed.elements.is_empty() || !feed.buttons.is_empty() || holds.has(key));
        // A socket per feed up to MAX_SOCKETS; beyond that, feeds are polled in batches, and take
        // a socket when one frees up.
        let mut sockets = self.feeds.values().filter(|f| f.socket.has_socket()).count();
        for (key, feed) in self.feeds.iter_mut() {
            if feed.socket.has_socket()
                || feed.socket.is_unsupported()
                || feed.missing
                || (feed.socket.started() && sockets >= MAX_SOCKETS)
            {
                continue;
            }
            if sockets < MAX_SOCKETS {
                feed.socket.connect(key);
                sockets += 1;
            } else {
                feed.socket.park();
            }
            if feed.socket.polling() {
                dispatch(Msg::Poll);
            }
        }
        let keys: Vec<FeedKey> = self.feeds.keys().cloned().collect();
        for key in keys {
            self.render(&key);
        }
    }

    /// Asks the edge for every feed that has no socket, grouped by edge and channel.
    fn poll(&mut self) {
        let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for (key, feed) in &self.feeds {
            if feed.socket.polling() {
                groups.entry((key.endpoint.clone(), key.channel.clone())).or_default().push(key.sku.clone());
            }
        }
        for ((endpoint, channel), skus) in groups {
            for chunk in skus.chunks(100) {
                let skus = chunk.to_vec();
                let mut url = endpoint.clone();
                url.push_str("/v1/availability?skus=");
                for (i, sku) in skus.iter().enumerate() {
                    if i > 0 {
                        url.push(',');
                    }
                    url.push_str(&net::encode(sku));
                }
                url.push_str("&channel=");
                url.push_str(&net::encode(&channel));
                let (endpoint, channel) = (endpoint.clone(), channel.clone());
                spawn_local(async move {
                    let items = match net::send("GET", &url, None, None, None).await {
                        Ok(answer) if answer.status == 200 => parse_items(&answer.body),
                        _ => None,
                    };
                    dispatch(Msg::Polled { endpoint, channel, skus, items });
                });
            }
        }
    }

    /// Draws one feed into its elements and buttons.
    fn render(&self, key: &FeedKey) {
        let Some(feed) = self.feeds.get(key) else { return };
        let hold = self.holds.summary(key, js_sys::Date::now());
        dom::render(key, feed, hold);
    }
}
