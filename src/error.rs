//! The one error type of the engine. Every refusal carries a stable snake_case code
//! (the `error` field of the HTTP answer), a human sentence, and changes no state.

use core::fmt;

/// Why the engine refused an input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A field is missing, malformed or out of range.
    InvalidInput {
        /// The field at fault (`quantity`, `sku`, `buffer.units`, ...).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The SKU is not in the catalog.
    UnknownSku(String),
    /// The location is not in the catalog.
    UnknownLocation(String),
    /// The channel is not in the catalog.
    UnknownChannel(String),
    /// The channel may not sell this many units now.
    InsufficientStock {
        /// The SKU that is short.
        sku: String,
        /// What the channel may sell now.
        available: i64,
    },
    /// More than `max_per_cart` units of one SKU in one cart.
    OverCartLimit {
        /// The SKU.
        sku: String,
        /// The SKU's `max_per_cart`.
        max_per_cart: u32,
    },
    /// More than `max_per_cart` units of one SKU held at once by all the carts of one client
    /// (the shopper's address behind the public storefront key). Answered as `over_cart_limit`.
    OverClientLimit {
        /// The SKU.
        sku: String,
        /// The SKU's `max_per_cart`.
        max_per_cart: u32,
    },
    /// An `Idempotency-Key` sent again for the same cart with a different request body.
    IdempotencyKeyReused,
    /// No reservation with this id.
    UnknownReservation(String),
    /// No open incident with this id.
    UnknownIncident(String),
    /// The reservation's hold ran out before it was committed.
    ReservationExpired(String),
    /// The reservation was released before this commit.
    ReservationReleased(String),
    /// A reservation that was already committed cannot be released.
    ReservationCommitted(String),
    /// A purchase order or transfer line that does not exist or is already closed.
    UnknownReference {
        /// `po_id` or `transfer_id`.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// The SKU's stored state cannot be read (corrupt, or written by a newer release). It is
    /// kept as it is, never written over, until an operator restores it.
    StateUnreadable(String),
    /// One client address already created its reservations of the minute with the public
    /// storefront key (answered with `Retry-After`).
    RateLimited {
        /// The limit (`STOREFRONT_RESERVATIONS_PER_MINUTE`).
        per_minute: u32,
        /// Whole seconds until the client is admitted again (at least 1).
        retry_after_seconds: i64,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput { field, reason: reason.into() }
    }

    /// When the caller may try again, in whole seconds (the `Retry-After` of a refusal that has one).
    pub fn retry_after_seconds(&self) -> Option<i64> {
        match self {
            Error::RateLimited { retry_after_seconds, .. } => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// The stable snake_case code of the contract's error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::UnknownSku(_) => "unknown_sku",
            Error::UnknownLocation(_) => "unknown_location",
            Error::UnknownChannel(_) => "unknown_channel",
            Error::InsufficientStock { .. } => "insufficient_stock",
            Error::OverCartLimit { .. } | Error::OverClientLimit { .. } => "over_cart_limit",
            Error::IdempotencyKeyReused => "idempotency_key_reused",
            Error::UnknownReservation(_) => "unknown_reservation",
            Error::UnknownIncident(_) => "unknown_incident",
            Error::ReservationExpired(_) => "reservation_expired",
            Error::ReservationReleased(_) => "reservation_released",
            Error::ReservationCommitted(_) => "reservation_committed",
            Error::UnknownReference { .. } => "unknown_reference",
            Error::StateUnreadable(_) => "state_unreadable",
            Error::RateLimited { .. } => "rate_limited",
        }
    }

    /// The HTTP status the contract gives this refusal.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::InvalidInput { .. }
            | Error::UnknownLocation(_)
            | Error::UnknownChannel(_)
            | Error::UnknownReference { .. } => 422,
            Error::OverCartLimit { .. } | Error::OverClientLimit { .. } | Error::IdempotencyKeyReused => 422,
            Error::UnknownSku(_) | Error::UnknownReservation(_) | Error::UnknownIncident(_) => 404,
            Error::InsufficientStock { .. } | Error::ReservationReleased(_) | Error::ReservationCommitted(_) => 409,
            Error::ReservationExpired(_) => 410,
            Error::StateUnreadable(_) => 503,
            Error::RateLimited { .. } => 429,
        }
    }

    /// The answer's body: `error` (the code), `message` (the sentence), and the fields a client
    /// acts on (the SKU and what is available, the cap, the field or name that was refused).
    pub fn body(&self) -> serde_json::Value {
        use serde_json::json;
        let mut body = json!({"error": self.code(), "message": self.to_string()});
        match self {
            Error::InsufficientStock { sku, available } => {
                body["sku"] = json!(sku);
                body["available"] = json!(available);
            }
            Error::OverCartLimit { sku, max_per_cart } | Error::OverClientLimit { sku, max_per_cart } => {
                body["sku"] = json!(sku);
                body["max_per_cart"] = json!(max_per_cart);
            }
            Error::UnknownSku(sku) => body["sku"] = json!(sku),
            Error::UnknownLocation(l) => body["location"] = json!(l),
            Error::UnknownChannel(c) => body["channel"] = json!(c),
            Error::InvalidInput { field, .. } => body["field"] = json!(field),
            _ => {}
        }
        body
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { field, reason } => write!(f, "`{field}` {reason}"),
            Error::UnknownSku(s) => write!(f, "no SKU `{s}` in the catalog"),
            Error::UnknownLocation(l) => write!(f, "no location `{l}` in the catalog"),
            Error::UnknownChannel(c) => write!(f, "no channel `{c}` in the catalog"),
            Error::InsufficientStock { sku, available } => {
                write!(f, "only {available} unit(s) of `{sku}` can be sold on this channel now")
            }
            Error::OverCartLimit { sku, max_per_cart } => {
                write!(f, "at most {max_per_cart} unit(s) of `{sku}` per cart")
            }
            Error::OverClientLimit { sku, max_per_cart } => {
                write!(f, "at most {max_per_cart} unit(s) of `{sku}` may be held at once by all the carts of one shopper")
            }
            Error::IdempotencyKeyReused => write!(
                f,
                "this Idempotency-Key was already used for this cart with a different request; send a new key for a new request"
            ),
            Error::UnknownReservation(id) => write!(f, "no reservation `{id}`"),
            Error::UnknownIncident(id) => write!(f, "no open incident `{id}`"),
            Error::ReservationExpired(id) => write!(f, "reservation `{id}` expired before it was committed"),
            Error::ReservationReleased(id) => write!(f, "reservation `{id}` was released"),
            Error::ReservationCommitted(id) => write!(f, "reservation `{id}` is already committed"),
            Error::UnknownReference { field, value } => write!(f, "no open `{field}` `{value}` for this SKU"),
            Error::StateUnreadable(why) => {
                write!(f, "this SKU's stored state cannot be read, and is kept untouched until it is restored: {why}")
            }
            Error::RateLimited { per_minute, retry_after_seconds } => write!(
                f,
                "at most {per_minute} reservations a minute from one address with the storefront key; try again in {retry_after_seconds} s"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refusal_carries_its_code_sentence_and_the_fields_a_client_acts_on() {
        let short = Error::InsufficientStock { sku: "A".into(), available: 2 };
        let body = short.body();
        assert_eq!(body["error"], "insufficient_stock");
        assert_eq!((body["sku"].clone(), body["available"].clone()), (json!("A"), json!(2)));
        assert_eq!(body["message"], short.to_string());
        let over = Error::OverClientLimit { sku: "A".into(), max_per_cart: 3 }.body();
        assert_eq!((over["error"].clone(), over["max_per_cart"].clone()), (json!("over_cart_limit"), json!(3)));
        assert_eq!(Error::invalid("quantity", "must be positive").body()["field"], "quantity");
        let plain = Error::IdempotencyKeyReused.body();
        assert_eq!(plain.as_object().map(|o| o.len()), Some(2), "only error and message: {plain}");
    }
}
