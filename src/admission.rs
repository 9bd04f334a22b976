//! Who may reserve what, before any stock is looked at: the checks on `POST /v1/reservations`
//! that depend on who calls and on the operator's settings (docs/LIMITS.md).
//!
//! - The checkout token ([`Caller::Checkout`]) holds for 1 to [`MAX_TTL_SECONDS`] and is not
//!   rate-limited.
//! - The public storefront key ([`Caller::Storefront`]) holds for at most the operator's
//!   [`STOREFRONT_MAX_TTL_SECONDS`] (a longer ask is granted that long, not refused), and each
//!   client address is counted: at most [`STOREFRONT_RESERVATIONS_PER_MINUTE`] reservations in any
//!   minute (the sliding window is [`crate::rate_limit`]), and its holds carry the client's tag so
//!   `max_per_cart` caps all of one shopper's carts together.
//! - An `Idempotency-Key` is 1 to [`MAX_IDEMPOTENCY_KEY`] characters.
//!
//! The edge reads the settings and headers as text and hands them here; what is admitted says
//! where the hold goes and what it needs (a secret for client tags and idempotent ids).

use serde::Deserialize;

use crate::reservation::MAX_TTL_SECONDS;
use crate::{Error, ReservationLine, ReservationRequest, Timestamp};

/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;
/// The client of storefront requests that carry no address (`CF-Connecting-IP`): only possible
/// off Cloudflare, e.g. under `wrangler dev`. They all count as this one client.
pub const UNKNOWN_ADDRESS: &str = "unknown";

/// A whole-number setting an operator may set, and what it is without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// Its name in the environment.
    pub name: &'static str,
    /// Its value when unset or unreadable.
    pub default: i64,
    /// The largest value it may take (the smallest is 1).
    pub max: i64,
}

/// The longest storefront hold, in seconds.
pub const STOREFRONT_MAX_TTL_SECONDS: Setting =
    Setting { name: "STOREFRONT_MAX_TTL_SECONDS", default: 900, max: MAX_TTL_SECONDS };
/// Storefront reservations one client address may create in any minute.
pub const STOREFRONT_RESERVATIONS_PER_MINUTE: Setting =
    Setting { name: "STOREFRONT_RESERVATIONS_PER_MINUTE", default: 30, max: 1_000_000 };

impl Setting {
    /// The value `text` sets: a whole number from 1 to `max`, or the default when it is empty.
    /// Anything else is the sentence to log, and the default stands (a typo in a setting must
    /// not stop sales).
    pub fn read(&self, text: &str) -> Result<i64, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(self.default);
        }
        match text.parse::<i64>() {
            Ok(n) if (1..=self.max).contains(&n) => Ok(n),
            _ => Err(format!(
                "{}={text:?} is not a whole number from 1 to {}; using {}",
                self.name, self.max, self.default
            )),
        }
    }

    /// [`Self::read`], with `log` told of an unreadable value.
    pub fn read_or_default(&self, text: &str, log: impl FnOnce(&str)) -> i64 {
        self.read(text).unwrap_or_else(|why| {
            log(&why);
            self.default
        })
    }
}

/// Who asks for a reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The checkout server, with the checkout token.
    Checkout,
    /// A shopper's browser, with the public storefront key.
    Storefront {
        /// Its address as the edge saw it (`CF-Connecting-IP`), if any.
        address: Option<String>,
        /// The operator's [`STOREFRONT_MAX_TTL_SECONDS`].
        max_ttl_seconds: i64,
    },
}

/// A reservation request that passed every check: what to hold, for how long, for whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    /// The lines, one per SKU (repeated SKUs merged).
    pub lines: Vec<ReservationLine>,
    /// The hold's granted length in seconds.
    pub ttl_seconds: i64,
    /// The `Idempotency-Key`, trimmed.
    pub key: Option<String>,
    /// The client address the request counts against (storefront calls only).
    pub client_address: Option<String>,
}

impl Admission {
    /// Whether the edge's secret is needed: for a client tag or an idempotent id.
    pub fn needs_secret(&self) -> bool {
        self.client_address.is_some() || self.key.is_some()
    }

    /// When a hold taken at `now` ends.
    pub fn expires_at(&self, now: Timestamp) -> Timestamp {
        now.plus(self.ttl_seconds * 1000)
    }

    /// The SKU, when there is only one: it is held straight in its own object, with no
    /// coordinator across SKUs.
    pub fn single_sku(&self) -> Option<&str> {
        match self.lines.as_slice() {
            [line] => Some(&line.sku),
            _ => None,
        }
    }
}

/// Checks a reservation request from `caller` with an optional `Idempotency-Key`: its length of
/// hold, its lines, then its key, each refusal naming its field.
pub fn admit(req: &ReservationRequest, caller: &Caller, key: Option<&str>) -> Result<Admission, Error> {
    let cap = match caller {
        Caller::Checkout => MAX_TTL_SECONDS,
        Caller::Storefront { max_ttl_seconds, .. } => *max_ttl_seconds,
    };
    let ttl_seconds = req.granted_ttl(cap)?;
    let lines = req.checked_lines()?;
    let key = match key.map(str::trim) {
        Some(k) if !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY => Some(k.to_string()),
        Some(_) => {
            return Err(Error::invalid("Idempotency-Key", format!("must be 1 to {MAX_IDEMPOTENCY_KEY} characters")))
        }
        None => None,
    };
    let client_address = match caller {
        Caller::Checkout => None,
        Caller::Storefront { address, .. } => Some(
            address.as_deref().map(str::trim).filter(|a| !a.is_empty()).unwrap_or(UNKNOWN_ADDRESS).to_string(),
        ),
    };
    Ok(Admission { lines, ttl_seconds, key, client_address })
}

/// The refusal of a storefront client over its limit: `retry_after_seconds` as the client's
/// window counted it, never less than 1 (a `Retry-After: 0` would invite a busy retry).
pub fn rate_limited(per_minute: u32, retry_after_seconds: i64) -> Error {
    Error::RateLimited { per_minute, retry_after_seconds: retry_after_seconds.max(1) }
}

/// `POST /v1/reservations/{id}/commit`'s optional body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitRequest {
    /// The order the units were sold in.
    #[serde(default)]
    pub order_id: Option<String>,
}

impl CommitRequest {
    /// The order id to commit under: the one given, or else the reservation's own id.
    pub fn order_id_for(self, reservation_id: &str) -> String {
        self.order_id.unwrap_or_else(|| reservation_id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ttl_seconds: i64, lines: &[(&str, i64)]) -> ReservationRequest {
        ReservationRequest {
            cart_id: "cart-1".into(),
            channel: "web".into(),
            ttl_seconds,
            lines: lines.iter().map(|(s, q)| ReservationLine { sku: s.to_string(), quantity: *q }).collect(),
        }
    }

    fn storefront(address: Option<&str>) -> Caller {
        Caller::Storefront { address: address.map(String::from), max_ttl_seconds: 900 }
    }

    #[test]
    fn settings_are_whole_numbers_in_range_else_the_default_with_a_reason() {
        let s = STOREFRONT_RESERVATIONS_PER_MINUTE;
        assert_eq!(s.read(""), Ok(30));
        assert_eq!(s.read("  "), Ok(30));
        assert_eq!(s.read(" 5 "), Ok(5));
        assert_eq!(s.read("1000000"), Ok(1_000_000));
        for bad in ["0", "-3", "1000001", "ten", "2.5"] {
            let why = s.read(bad).unwrap_err();
            assert!(why.contains("STOREFRONT_RESERVATIONS_PER_MINUTE") && why.contains("using 30"), "{bad}: {why}");
        }
        let mut logged = String::new();
        assert_eq!(STOREFRONT_MAX_TTL_SECONDS.read_or_default("3601", |w| logged = w.into()), 900);
        assert!(logged.contains("from 1 to 3600"), "{logged}");
    }

    #[test]
    fn the_storefront_is_granted_at_most_its_cap_and_the_checkout_up_to_an_hour() {
        let req = request(3600, &[("A", 1)]);
        assert_eq!(admit(&req, &storefront(Some("1.2.3.4")), None).unwrap().ttl_seconds, 900);
        assert_eq!(admit(&req, &Caller::Checkout, None).unwrap().ttl_seconds, 3600);
        let refused = admit(&request(3601, &[("A", 1)]), &Caller::Checkout, None).unwrap_err();
        assert_eq!(refused.code(), "invalid_input");
    }

    #[test]
    fn storefront_calls_count_against_their_address_and_checkout_calls_against_none() {
        let req = request(60, &[("A", 1)]);
        let a = admit(&req, &storefront(Some(" 1.2.3.4 ")), None).unwrap();
        assert_eq!(a.client_address.as_deref(), Some("1.2.3.4"));
        assert!(a.needs_secret(), "the client tag is keyed");
        assert_eq!(admit(&req, &storefront(None), None).unwrap().client_address.as_deref(), Some(UNKNOWN_ADDRESS));
        assert_eq!(admit(&req, &storefront(Some("")), None).unwrap().client_address.as_deref(), Some(UNKNOWN_ADDRESS));
        let c = admit(&req, &Caller::Checkout, None).unwrap();
        assert_eq!(c.client_address, None);
        assert!(!c.needs_secret(), "a random id needs no secret");
    }

    #[test]
    fn an_idempotency_key_is_one_to_255_characters_after_trimming() {
        let req = request(60, &[("A", 1), ("B", 2)]);
        let a = admit(&req, &Caller::Checkout, Some("  k-1 ")).unwrap();
        assert_eq!(a.key.as_deref(), Some("k-1"));
        assert!(a.needs_secret(), "an idempotent id is keyed");
        assert!(admit(&req, &Caller::Checkout, Some(&"k".repeat(255))).is_ok());
        for bad in ["", "   ", &"k".repeat(256)] {
            let e = admit(&req, &Caller::Checkout, Some(bad)).unwrap_err();
            assert_eq!(e, Error::invalid("Idempotency-Key", "must be 1 to 255 characters"));
        }
    }

    #[test]
    fn the_ttl_is_checked_before_the_lines_and_the_lines_before_the_key() {
        let e = admit(&request(0, &[]), &Caller::Checkout, Some("")).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { field: "ttl_seconds", .. }), "{e:?}");
        let e = admit(&request(60, &[]), &Caller::Checkout, Some("")).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { field: "lines", .. }), "{e:?}");
    }

    #[test]
    fn one_sku_is_held_in_its_own_object_and_several_through_a_cart() {
        let one = admit(&request(60, &[("A", 1), ("A", 2)]), &Caller::Checkout, None).unwrap();
        assert_eq!(one.single_sku(), Some("A"), "repeated lines of one SKU are one line");
        assert_eq!(one.lines[0].quantity, 3);
        let two = admit(&request(60, &[("A", 1), ("B", 1)]), &Caller::Checkout, None).unwrap();
        assert_eq!(two.single_sku(), None);
        assert_eq!(two.expires_at(Timestamp(1_000)), Timestamp(61_000));
    }

    #[test]
    fn a_limited_client_is_told_to_wait_at_least_a_second() {
        let e = rate_limited(30, 0);
        assert_eq!((e.http_status(), e.code()), (429, "rate_limited"));
        assert_eq!(e, Error::RateLimited { per_minute: 30, retry_after_seconds: 1 });
        assert!(e.to_string().contains("at most 30 reservations a minute") && e.to_string().ends_with("in 1 s"));
    }

    #[test]
    fn a_commit_without_an_order_id_is_committed_under_the_reservation_id() {
        assert_eq!(CommitRequest::default().order_id_for("r1"), "r1");
        let given: CommitRequest = serde_json::from_str(r#"{"order_id":"o-9"}"#).unwrap();
        assert_eq!(given.order_id_for("r1"), "o-9");
        assert!(serde_json::from_str::<CommitRequest>(r#"{"order":"o-9"}"#).is_err(), "unknown fields refused");
    }
}
