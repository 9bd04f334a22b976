//! PoS webhooks: verify a delivery, then translate it. Pure: no I/O, no clock.
//!
//! The Worker hands each entry point the raw body bytes, the header values it needs and the
//! secret from its environment. Every entry point, in this order:
//!
//! 1. refuses a body above [`MAX_BODY`] ([`PosError::TooLarge`], 413);
//! 2. authenticates the *raw* bytes, in constant time ([`PosError::Unauthorized`], 401):
//!    nothing of the body is parsed before this, and an empty secret authenticates nothing;
//! 3. parses and checks the body ([`PosError::BadBody`], 400).
//!
//! What comes out is still in the provider's ids: the Worker maps `item_ref` and
//! `location_ref` to a SKU and a location through the catalog's `pos_refs`, and
//! [`PosCount::event`] makes each count an absolute `count` (deduped on `(provider, dedupe_id)`)
//! observed at `observed_at`, or at the moment the delivery arrived when the provider's clock
//! puts it more than 300 s ahead ([`MAX_AHEAD_MS`]): a PoS would retry a refused delivery
//! forever, so a skewed provider clock is corrected, never refused.
//!
//! ```text
//! pub const MAX_BODY: usize = 256 * 1024;
//! pub enum PosError { Unauthorized(String), BadBody(String), TooLarge, Refused(Error) }   // .code(), .http_status(), Display
//! pub struct PosCount { provider: &'static str, dedupe_id: String, item_ref: String,
//!                       location_ref: String, quantity: i64, observed_at: Timestamp }
//! PosCount::event(&self, sku, location, now)                              -> Result<StockEvent, Error>
//!
//! shopify::read(body, hmac_header, event_id, webhook_id, topic, secret)   -> Result<Vec<PosCount>, PosError>
//! square::read(body, signature, notification_url, signature_key)          -> Result<SquareNotice { counts, ignored }, PosError>
//! lightspeed::read(body, signature_header, client_secret, now)            -> Result<Vec<PosCount>, PosError>
//! clover::read(body, auth_header, auth_code)                              -> Result<CloverNotice, PosError>
//!     CloverNotice::Verification { code } | CloverNotice::Items { items: Vec<CloverItem>, ignored }
//!     CloverItem { merchant_id, item_id, dedupe_id }.count(quantity, read_at) -> PosCount
//! clover::item_stock_path(merchant_id, item_id)                           -> String   // "/v3/merchants/{mId}/item_stocks/{itemId}"
//! clover::read_item_stock(body)                                           -> Result<i64, PosError>
//! lastunit::read(body, signature_header, secret, now)                     -> Result<Vec<StockEvent>, PosError>
//! lastunit::sign(secret, t_unix_seconds, body)                            -> String   // "t=<t>,v1=<hex>"
//! ```
//!
//! | route | entry point | gives |
//! | --- | --- | --- |
//! | `/webhooks/shopify` | [`shopify::read`] | `Vec<PosCount>` (empty: another topic, or an untracked item: count it as ignored) |
//! | `/webhooks/square` | [`square::read`] | [`square::SquareNotice`]: counts in state `IN_STOCK`, and how many others were ignored |
//! | `/webhooks/lightspeed` | [`lightspeed::read`] | `Vec<PosCount>` (empty: another type: count it as ignored) |
//! | `/webhooks/clover` | [`clover::read`] | [`clover::CloverNotice`]: the one-time verification, or the items whose stock to read back with [`clover::item_stock_path`] and [`clover::read_item_stock`] |
//! | `/webhooks/lastunit` | [`lastunit::read`] | `Vec<StockEvent>`: 1 to 500 events read and checked by [`check_batch`](crate::event::check_batch); [`lastunit::sign`] makes the header, also for pushes to subscribers |
//!
//! Quantities are whole numbers of units up to 1,000,000; fractional or larger ones are
//! [`PosError::BadBody`], never rounded. A level below zero (Shopify and Clover report one when
//! a shop oversold) means nothing is on the shelf and reads as 0: refusing it would make the
//! PoS retry a true report until it gives up on the webhook. Messages never
//! carry a secret, a signature or a computed digest. `docs/POS.md` tells a shop how to wire
//! each provider.

use core::fmt;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::catalog::MAX_UNITS;
use crate::event::{EventBody, EventKind, StockEvent, MAX_AHEAD_MS};
use crate::{Error, Timestamp};

pub mod clover;
pub mod lastunit;
pub mod lightspeed;
pub mod shopify;
pub mod shopify_orders;
pub mod square;
pub mod woocommerce;
pub mod woocommerce_refunds;

// proptest is a native-only dev-dependency (see Cargo.toml).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod fuzz;

/// The largest body any PoS route reads: 256 KiB. Checked before anything else.
pub const MAX_BODY: usize = 256 * 1024;

/// Why a delivery was refused. It changes no state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PosError {
    /// The signature (or auth code) is missing, malformed or wrong, or no secret is configured. 401.
    Unauthorized(String),
    /// Correctly signed, but the body cannot be read. 400.
    BadBody(String),
    /// The body is larger than [`MAX_BODY`]. 413.
    TooLarge,
    /// Signed and readable, but the engine refuses an event in it (a generic event dated more
    /// than 300 s ahead). 422, with the engine's error body.
    Refused(Error),
}

impl PosError {
    /// The contract's snake_case error code.
    pub fn code(&self) -> &'static str {
        match self {
            PosError::Unauthorized(_) => "unauthorized",
            PosError::BadBody(_) => "bad_body",
            PosError::TooLarge => "payload_too_large",
            PosError::Refused(e) => e.code(),
        }
    }

    /// The HTTP status: 401, 400 or 413.
    pub fn http_status(&self) -> u16 {
        match self {
            PosError::Unauthorized(_) => 401,
            PosError::BadBody(_) => 400,
            PosError::TooLarge => 413,
            PosError::Refused(e) => e.http_status(),
        }
    }
}

impl fmt::Display for PosError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PosError::Unauthorized(why) => write!(f, "the delivery is not authenticated: {why}"),
            PosError::BadBody(why) => write!(f, "the body cannot be read: {why}"),
            PosError::TooLarge => write!(f, "the body is larger than {} KiB", MAX_BODY / 1024),
            PosError::Refused(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PosError {}

/// An absolute stock level reported by a PoS, still in the provider's ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosCount {
    /// `shopify`, `square`, `lightspeed` or `clover` (built by [`clover::CloverItem::count`] after the read-back).
    pub provider: &'static str,
    /// Unique per change, stable across redeliveries, 1 to 128 printable ASCII characters (fits
    /// [`Source::event_id`](crate::Source)): the provider's event id, with an item/location suffix
    /// when one notice carries several counts.
    pub dedupe_id: String,
    /// The provider's item id (Shopify inventory item, Square catalog object, Lightspeed product).
    pub item_ref: String,
    /// The provider's location id (Shopify location, Square location, Lightspeed outlet).
    pub location_ref: String,
    /// Units on hand, 0 to 1,000,000.
    pub quantity: i64,
    /// When the provider computed this level (Clover: when the edge read it back).
    pub observed_at: Timestamp,
}

impl PosCount {
    /// The count as an absolute `count` event of `sku` at `location` (what its ids map to),
    /// arriving at `now`. A provider time more than [`MAX_AHEAD_MS`] ahead of `now` is taken
    /// as `now`, the moment the delivery arrived.
    pub fn event(&self, sku: &str, location: &str, now: Timestamp) -> Result<StockEvent, Error> {
        let observed_at = if self.observed_at > now.plus(MAX_AHEAD_MS) { now } else { self.observed_at };
        EventBody {
            occurred_at: Some(observed_at),
            ..EventBody::new(EventKind::Count, &self.dedupe_id, sku, location, self.quantity)
        }
        .check(self.provider, now)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the providers.

fn unauthorized(why: &str) -> PosError {
    PosError::Unauthorized(why.to_string())
}

fn bad(why: impl Into<String>) -> PosError {
    PosError::BadBody(why.into())
}

/// Step 1 of every entry point.
fn check_size(body: &[u8]) -> Result<(), PosError> {
    if body.len() > MAX_BODY {
        return Err(PosError::TooLarge);
    }
    Ok(())
}

/// An empty secret means "not configured": nothing can be authenticated.
fn check_secret(secret: &str, env: &str) -> Result<(), PosError> {
    if secret.is_empty() {
        return Err(PosError::Unauthorized(format!("{env} is not configured")));
    }
    Ok(())
}

/// A header that must be present and not blank, trimmed.
fn header<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, PosError> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(PosError::Unauthorized(format!("the {name} header is missing"))),
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m
}

/// HMAC-SHA256 of the concatenated `parts`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    mac(key, parts).finalize().into_bytes().into()
}

/// Constant-time check of `signature` against HMAC-SHA256(key, parts).
fn verify_hmac(key: &[u8], parts: &[&[u8]], signature: &[u8]) -> Result<(), PosError> {
    mac(key, parts).verify_slice(signature).map_err(|_| unauthorized("the signature does not match"))
}

/// Strict standard base64 (with padding) of a 32-byte digest.
fn decode_base64_digest(s: &str, name: &str) -> Result<Vec<u8>, PosError> {
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(s) {
        Ok(bytes) if bytes.len() == 32 => Ok(bytes),
        _ => Err(PosError::Unauthorized(format!("the {name} header is not a base64 HMAC-SHA256"))),
    }
}

/// Strict hex (either case) of a 32-byte digest.
fn decode_hex_digest(s: &str, name: &str) -> Result<Vec<u8>, PosError> {
    match hex::decode(s) {
        Ok(bytes) if bytes.len() == 32 => Ok(bytes),
        _ => Err(PosError::Unauthorized(format!("the {name} header is not a hex HMAC-SHA256"))),
    }
}

/// Hex SHA-256 of the body: a stable id for a delivery that carries none.
fn body_digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Joins id parts with `:`; when the result is not 1 to 128 printable ASCII characters, a digest
/// of it instead (`h-<64 hex>`), so the id always fits the engine's event-id rule and stays stable.
fn dedupe_key(parts: &[&str]) -> String {
    let joined = parts.join(":");
    if !joined.is_empty() && joined.len() <= 128 && joined.bytes().all(|b| b.is_ascii_graphic()) {
        joined
    } else {
        format!("h-{}", body_digest(joined.as_bytes()))
    }
}

fn parse_json(body: &[u8]) -> Result<Value, PosError> {
    serde_json::from_slice(body).map_err(|e| bad(format!("not JSON ({e})")))
}

fn field<'a>(obj: &'a Value, name: &str) -> Result<&'a Value, PosError> {
    match obj.get(name) {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(bad(format!("`{name}` is missing"))),
    }
}

/// A provider id: a non-empty string or a non-negative integer, 1 to 128 printable ASCII characters.
fn id_value(v: &Value, name: &str) -> Result<String, PosError> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => return Err(bad(format!("`{name}` must be a string or a whole number"))),
    };
    if s.is_empty() || s.len() > 128 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(format!("`{name}` must be 1 to 128 printable ASCII characters")));
    }
    Ok(s)
}

fn time_value(v: &Value, name: &str) -> Result<Timestamp, PosError> {
    v.as_str()
        .and_then(Timestamp::parse)
        .ok_or_else(|| bad(format!("`{name}` must be an RFC 3339 time such as 2026-11-26T10:00:00Z")))
}

fn out_of_range(name: &str) -> PosError {
    bad(format!("`{name}` must be a whole number of units from 0 to {MAX_UNITS}"))
}

/// A stock level given as a JSON number or a decimal string; it must be whole (`3`, `3.0`,
/// `"3.00000"`) and within 0..=1,000,000. Nothing is rounded or clamped.
fn quantity_value(v: &Value, name: &str) -> Result<i64, PosError> {
    match v {
        Value::String(s) => decimal_quantity(s, name),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                check_units(i, name)
            } else if n.is_u64() {
                Err(out_of_range(name))
            } else {
                // A float: accept it only when it is exactly a whole number in range.
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.is_finite() && f.fract() == 0.0 && (0.0..=f64::from(MAX_UNITS)).contains(&f) {
                    Ok(f as i64)
                } else {
                    Err(out_of_range(name))
                }
            }
        }
        _ => Err(bad(format!("`{name}` must be a number"))),
    }
}

fn check_units(q: i64, name: &str) -> Result<i64, PosError> {
    if (-i64::from(MAX_UNITS)..=i64::from(MAX_UNITS)).contains(&q) {
        Ok(q.max(0))
    } else {
        Err(out_of_range(name))
    }
}

/// `[+-]?digits[.digits]`, whole-valued, within ±1,000,000; below zero reads as 0.
fn decimal_quantity(s: &str, name: &str) -> Result<i64, PosError> {
    let t = s.trim();
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(bad(format!("`{name}` must be a decimal number")));
    }
    if frac.is_some_and(|f| f.bytes().any(|b| b != b'0')) {
        return Err(bad(format!("`{name}` must be a whole number of units")));
    }
    let int = int.trim_start_matches('0');
    if int.len() > 7 {
        return Err(out_of_range(name));
    }
    let q: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| out_of_range(name))? };
    check_units(if negative { -q } else { q }, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_are_whole_and_in_range() {
        for (v, q) in [
            (json!(3), 3),
            (json!(3.0), 3),
            (json!("3"), 3),
            (json!("3.000"), 3),
            (json!("0"), 0),
            (json!("-0"), 0),
            (json!(1_000_000), 1_000_000),
            (json!("007"), 7),
            (json!(-1), 0),
            (json!("-3"), 0),
        ] {
            assert_eq!(quantity_value(&v, "q"), Ok(q), "{v}");
        }
        for v in [
            json!("2.5"),
            json!(2.5),
            json!(-1_000_001),
            json!(1_000_001),
            json!("1000001"),
            json!(u64::MAX),
            json!("1e3"),
            json!(""),
            json!("."),
            json!("3."),
            json!(".5"),
            json!(true),
            json!(null),
            json!("99999999999999999999999"),
            json!(1e300),
        ] {
            assert!(matches!(quantity_value(&v, "q"), Err(PosError::BadBody(_))), "{v}");
        }
    }

    #[test]
    fn a_provider_time_far_ahead_is_taken_as_the_moment_the_delivery_arrived() {
        let now = Timestamp::parse("2026-11-26T10:00:00Z").unwrap();
        let count = |observed_at: &str| PosCount {
            provider: "shopify",
            dedupe_id: "evt-1".into(),
            item_ref: "808950810".into(),
            location_ref: "655441491".into(),
            quantity: 6,
            observed_at: Timestamp::parse(observed_at).unwrap(),
        };
        let at = |observed_at: &str| count(observed_at).event("A", "main-st", now).unwrap().occurred_at.to_string();
        assert_eq!(at("2027-12-01T00:00:00Z"), "2026-11-26T10:00:00Z");
        assert_eq!(at("2026-11-26T10:05:00.001Z"), "2026-11-26T10:00:00Z");
        assert_eq!(at("2026-11-26T10:05:00Z"), "2026-11-26T10:05:00Z", "within the tolerance: the provider's own");
        assert_eq!(at("2026-11-26T09:00:00Z"), "2026-11-26T09:00:00Z");
        let e = count("2026-11-26T09:00:00Z").event("A", "main-st", now).unwrap();
        assert_eq!((e.source.key(), e.movement), ("shopify:evt-1".into(), crate::Movement::Count { quantity: 6 }));
    }

    #[test]
    fn dedupe_keys_always_fit_the_event_id_rule() {
        assert_eq!(dedupe_key(&["e1", "item", "loc"]), "e1:item:loc");
        let long = "x".repeat(200);
        let k = dedupe_key(&[&long]);
        assert!(k.starts_with("h-") && k.len() == 66);
        assert_eq!(k, dedupe_key(&[&long]));
        assert!(dedupe_key(&["a b"]).starts_with("h-"));
    }

    #[test]
    fn errors_have_codes_statuses_and_sentences() {
        let e =
            [unauthorized("x"), bad("y"), PosError::TooLarge, PosError::Refused(Error::invalid("occurred_at", "z"))];
        assert_eq!(
            e.iter().map(PosError::code).collect::<Vec<_>>(),
            ["unauthorized", "bad_body", "payload_too_large", "invalid_input"]
        );
        assert_eq!(e.iter().map(PosError::http_status).collect::<Vec<_>>(), [401, 400, 413, 422]);
        assert_eq!(PosError::TooLarge.to_string(), "the body is larger than 256 KiB");
    }
}
