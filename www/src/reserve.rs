//! Add-to-cart holds: `POST /v1/reservations` for the page, a countdown next to the SKU's
//! elements while the hold stands, `DELETE /v1/reservations/{id}` to give it back.

use gloo_timers::callback::Interval;
use js_sys::{Array, Object, JSON};
use lastunit::{ReservationLine, ReservationRequest};
use wasm_bindgen::{JsCast, JsValue};

use crate::app::{dispatch, Msg};
use crate::config::Config;
use crate::feed::FeedKey;
use crate::net;

/// One hold this page took.
pub struct Hold {
    /// The edge's reservation id.
    pub id: String,
    /// The SKU and channel held.
    pub key: FeedKey,
    /// Units held.
    pub quantity: u32,
    /// When it lapses, in `Date.now()` milliseconds. Counted from when the request was sent, so
    /// the countdown never promises more than the edge holds, whatever the page's clock says.
    pub deadline: f64,
}

/// What to show for a feed's holds: the units and the time left on the soonest.
pub struct HoldView {
    pub quantity: u32,
    pub remaining_ms: f64,
}

impl HoldView {
    /// "Held for you for 9:41" (or "2 held for you for 9:41").
    pub fn text(&self) -> String {
        let secs = (self.remaining_ms / 1000.0).ceil().max(0.0) as i64;
        let mut s = String::new();
        if self.quantity > 1 {
            s.push_str(&net::digits(i64::from(self.quantity)));
            s.push_str(" held for you for ");
        } else {
            s.push_str("Held for you for ");
        }
        s.push_str(&net::digits(secs / 60));
        s.push(':');
        if secs % 60 < 10 {
            s.push('0');
        }
        s.push_str(&net::digits(secs % 60));
        s
    }
}

/// The page's standing holds and the one-second countdown timer (running only while any stands).
#[derive(Default)]
pub struct Holds {
    list: Vec<Hold>,
    ticker: Option<Interval>,
}

impl Holds {
    /// Starts counting `hold` down.
    pub fn add(&mut self, hold: Hold) {
        self.list.retain(|h| h.id != hold.id);
        self.list.push(hold);
        if self.ticker.is_none() {
            self.ticker = Some(Interval::new(1_000, || dispatch(Msg::Tick)));
        }
        self.save();
    }

    /// Forgets the hold `id`.
    pub fn remove(&mut self, id: &str) -> Option<Hold> {
        let at = self.list.iter().position(|h| h.id == id)?;
        let hold = self.list.remove(at);
        self.stop_if_idle();
        Some(hold)
    }

    /// Removes and returns the holds that have lapsed by `now`.
    pub fn expire(&mut self, now: f64) -> Vec<Hold> {
        let (gone, kept): (Vec<Hold>, Vec<Hold>) =
            std::mem::take(&mut self.list).into_iter().partition(|h| h.deadline <= now);
        self.list = kept;
        if !gone.is_empty() {
            self.stop_if_idle();
        }
        gone
    }

    fn stop_if_idle(&mut self) {
        if self.list.is_empty() {
            self.ticker = None;
        }
        self.save();
    }

    /// Keeps the standing holds in `sessionStorage`, so the countdown follows the shopper to the
    /// next page of the shop (same tab, same origin). Storage may be unavailable: then not kept.
    fn save(&self) {
        let Some(storage) = session_storage() else { return };
        let list = Array::new();
        for h in &self.list {
            let o = Object::new();
            net::set(&o, "id", &JsValue::from_str(&h.id));
            net::set(&o, "endpoint", &JsValue::from_str(&h.key.endpoint));
            net::set(&o, "sku", &JsValue::from_str(&h.key.sku));
            net::set(&o, "channel", &JsValue::from_str(&h.key.channel));
            net::set(&o, "quantity", &JsValue::from(h.quantity));
            net::set(&o, "deadline", &JsValue::from_f64(h.deadline));
            list.push(&o);
        }
        if let Some(text) = JSON::stringify(&list).ok().and_then(|s| s.as_string()) {
            let _ = storage.set_item(HOLDS_KEY, &text);
        }
    }

    /// The feeds with a standing hold.
    pub fn keys(&self) -> Vec<FeedKey> {
        let mut keys: Vec<FeedKey> = Vec::new();
        for h in &self.list {
            if !keys.contains(&h.key) {
                keys.push(h.key.clone());
            }
        }
        keys
    }

    /// Whether `key` has a standing hold.
    pub fn has(&self, key: &FeedKey) -> bool {
        self.list.iter().any(|h| &h.key == key)
    }

    /// The holds on `key`, if any.
    pub fn summary(&self, key: &FeedKey, now: f64) -> Option<HoldView> {
        let mut view: Option<HoldView> = None;
        for h in self.list.iter().filter(|h| &h.key == key && h.deadline > now) {
            let v = view.get_or_insert(HoldView { quantity: 0, remaining_ms: f64::INFINITY });
            v.quantity += h.quantity;
            v.remaining_ms = v.remaining_ms.min(h.deadline - now);
        }
        view
    }
}

const HOLDS_KEY: &str = "lastunit:holds";
const CART_KEY: &str = "lastunit:cart";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The holds an earlier page of this tab left standing (lapsed ones dropped).
pub fn saved_holds(now: f64) -> Vec<Hold> {
    let Some(text) = session_storage().and_then(|s| s.get_item(HOLDS_KEY).ok().flatten()) else { return Vec::new() };
    let Ok(list) = JSON::parse(&text) else { return Vec::new() };
    if !Array::is_array(&list) {
        return Vec::new();
    }
    let list: Array = list.unchecked_into();
    list.iter()
        .filter_map(|o| {
            let text = |name: &str| net::get(&o, name).as_string();
            let key = FeedKey { endpoint: text("endpoint")?, sku: text("sku")?, channel: text("channel")? };
            let quantity = net::get(&o, "quantity").as_f64()?;
            let deadline = net::get(&o, "deadline").as_f64()?;
            let id = text("id")?;
            (deadline > now && quantity >= 1.0).then_some(Hold { id, key, quantity: quantity as u32, deadline })
        })
        .collect()
}

/// This tab's cart id: kept in `sessionStorage` across the shop's pages, new otherwise.
pub fn cart_id() -> String {
    let storage = session_storage();
    if let Some(id) = storage.as_ref().and_then(|s| s.get_item(CART_KEY).ok().flatten()).filter(|id| !id.is_empty()) {
        return id;
    }
    let mut id = String::from("cart-");
    id.push_str(&net::random_id());
    if let Some(s) = storage {
        let _ = s.set_item(CART_KEY, &id);
    }
    id
}

/// Sends of one add-to-cart when the edge cannot be reached or answers 502/503.
const TRIES: u32 = 3;

/// `lastunit.reserve(sku, quantity, opts)`; `key` is the caller's `Idempotency-Key`, if any.
pub async fn reserve(
    cfg: Config,
    sku: String,
    quantity: f64,
    channel: String,
    cart: String,
    ttl: f64,
    key: Option<String>,
) -> Result<JsValue, JsValue> {
    if !(1.0..=1e6).contains(&quantity) || quantity.fract() != 0.0 {
        return Err(error("invalid_quantity", "quantity must be a whole number of units, at least 1", 0));
    }
    let Some(token) = cfg.key.clone() else {
        return Err(error(
            "no_storefront_key",
            "set data-lastunit-key on the script tag or call lastunit.configure({key})",
            0,
        ));
    };
    let ttl = if ttl.is_finite() { ttl.clamp(1.0, 3600.0).floor() } else { 600.0 };
    // The engine's own wire type, the one the edge reads.
    let request = ReservationRequest {
        cart_id: cart,
        channel: channel.clone(),
        ttl_seconds: ttl as i64,
        lines: vec![ReservationLine { sku: sku.clone(), quantity: quantity as i64 }],
    };
    let body = serde_wasm_bindgen::to_value(&request)
        .ok()
        .and_then(|v| JSON::stringify(&v).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let mut url = cfg.endpoint.clone();
    url.push_str("/v1/reservations");
    let sent = js_sys::Date::now();
    // One key for this add-to-cart, kept across its retries: a retry after a lost answer gets
    // the first answer back and never holds twice.
    let idempotency_key = key.unwrap_or_else(net::random_id);
    let mut tries = 0;
    let answer = loop {
        tries += 1;
        match net::send("POST", &url, Some(&body), Some(&token), Some(&idempotency_key)).await {
            Ok(a) if !(a.status == 502 || a.status == 503) || tries >= TRIES => break a,
            Err(e) if tries >= TRIES => return Err(unreachable(&e)),
            _ => {}
        }
    };
    let feed = FeedKey { endpoint: cfg.endpoint, sku, channel };
    match answer.status {
        200 | 201 => {
            let Some(id) = net::get(&answer.body, "reservation_id").as_string() else {
                return Err(error("bad_answer", "the stock service answered without a reservation id", answer.status));
            };
            // The edge may grant less than asked (the storefront's longest hold): never count
            // down past its `expires_at`.
            let granted = net::get(&answer.body, "expires_at")
                .as_string()
                .and_then(|t| lastunit::Timestamp::parse(&t))
                .map_or(f64::INFINITY, |t| t.millis() as f64);
            let deadline = (sent + ttl * 1000.0).min(granted);
            dispatch(Msg::Held(Hold { id, key: feed, quantity: quantity as u32, deadline }));
            Ok(answer.body)
        }
        409 => {
            let available = net::get(&answer.body, "available").as_f64().map(|n| n as i64);
            dispatch(Msg::Refused { key: feed, available });
            Err(edge_error(&answer))
        }
        _ => Err(edge_error(&answer)),
    }
}

/// `lastunit.release(id)`.
pub async fn release(cfg: Config, id: String) -> Result<JsValue, JsValue> {
    let Some(token) = cfg.key.clone() else {
        return Err(error(
            "no_storefront_key",
            "set data-lastunit-key on the script tag or call lastunit.configure({key})",
            0,
        ));
    };
    let mut url = cfg.endpoint.clone();
    url.push_str("/v1/reservations/");
    url.push_str(&net::encode(&id));
    let answer = net::send("DELETE", &url, None, Some(&token), None).await.map_err(|e| unreachable(&e))?;
    match answer.status {
        200 => {
            dispatch(Msg::Released(id));
            Ok(answer.body)
        }
        404 | 410 => {
            dispatch(Msg::Released(id));
            Err(edge_error(&answer))
        }
        _ => Err(edge_error(&answer)),
    }
}

/// The `Error` for an edge that could not be reached; `cause` is the browser's own error.
fn unreachable(cause: &JsValue) -> JsValue {
    let e = error("unreachable", "the stock service could not be reached", 0);
    net::set(e.unchecked_ref(), "cause", cause);
    e
}

/// An `Error` with `error` (a snake_case code) and `status` (0 when no answer).
fn error(code: &str, message: &str, status: u16) -> JsValue {
    let e = js_sys::Error::new(message);
    net::set(&e, "error", &JsValue::from_str(code));
    net::set(&e, "status", &JsValue::from(status));
    e.into()
}

/// An `Error` carrying the edge's error body (`error`, `message`, `available`, ...).
fn edge_error(answer: &net::Answer) -> JsValue {
    let code = net::get(&answer.body, "error").as_string().unwrap_or_else(|| String::from("http_error"));
    let message = net::get(&answer.body, "message").as_string().unwrap_or_else(|| code.clone());
    let e = error(&code, &message, answer.status);
    if answer.body.is_object() {
        let target: &Object = e.unchecked_ref();
        let source: &Object = answer.body.unchecked_ref();
        let _ = Object::assign(target, source);
        net::set(target, "status", &JsValue::from(answer.status));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_in_minutes_and_seconds() {
        let view = |quantity, remaining_ms| HoldView { quantity, remaining_ms }.text();
        assert_eq!(view(1, 581_000.0), "Held for you for 9:41");
        assert_eq!(view(1, 600_000.0), "Held for you for 10:00");
        assert_eq!(view(1, 4_200.0), "Held for you for 0:05");
        assert_eq!(view(2, 59_001.0), "2 held for you for 1:00");
        assert_eq!(view(1, -5.0), "Held for you for 0:00");
    }
}
