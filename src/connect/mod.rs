//! Connected stores: Shopify and WooCommerce sell online from their own stock counts, and Square
//! counts the register's stock. lastunit keeps each connected system's number equal to its own.
//!
//! - [`connection`]: what the operator configures per provider (`PUT /admin/connections/{provider}`).
//! - [`outbox`]: the per-connection writer: the newest number per SKU, batches, results, retries.
//! - [`report`]: what a SKU tells each connection's writer after a change.
//! - [`echo`]: **the echo rule**: what the store's own stock webhook means (with a timeline).
//! - [`orders`]: the stores' orders as sales and returns, each line once.
//! - [`square_out`]: telling Square of the sales it did not make (the SKU's outbox).
//! - [`shopify`]: the GraphQL requests lastunit sends to Shopify, and what the answers mean.
//! - [`status`]: what an operator reads of a connection (ok / retrying / failing, last write, pending).
//! - [`woocommerce`]: WooCommerce product and variation ids (`pos_refs.woocommerce`) and their REST paths.
//! - [`store_catalog`]: reading a store's catalog page by page (SKU codes and ids) for the store import.
//!
//! Credentials never pass through here: the Worker reads them from its secrets and adds them to
//! the requests the engine builds.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

pub mod connection;
pub mod echo;
pub mod orders;
pub mod outbox;
pub mod report;
pub mod shopify;
pub mod square_out;
pub mod status;
pub mod store_catalog;
pub mod woocommerce;

pub use connection::Connection;
pub use outbox::{Outbox, OutboxChanges, Target, Work};
pub use status::{ConnectionStatus, Health};

/// A connected system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Shopify's online store: availability written through the Admin GraphQL API.
    Shopify,
    /// A WooCommerce store: availability written through its REST API.
    Woocommerce,
    /// Square, the register: online sales written as inventory adjustments.
    Square,
}

impl Provider {
    /// Every provider, in a stable order.
    pub const ALL: [Provider; 3] = [Provider::Shopify, Provider::Woocommerce, Provider::Square];

    /// The lowercase name used in routes, `pos_refs` and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Shopify => "shopify",
            Provider::Woocommerce => "woocommerce",
            Provider::Square => "square",
        }
    }

    /// The provider named in a route: `shopify`, `woocommerce` or `square`, else `invalid_input`.
    pub fn parse(name: &str) -> Result<Provider, Error> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == name)
            .ok_or_else(|| Error::invalid("provider", format!("`{name}` is not one of shopify, woocommerce, square")))
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One HTTP request to a store, built by the engine. The Worker sends `body` with `method` to
/// the store's API base followed by `path`, adding the credentials from its secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreRequest {
    /// `POST`, `PUT` or `GET` (a `GET` sends no body).
    pub method: &'static str,
    /// Under the API base: `/graphql.json`, `/products/812`.
    pub path: String,
    /// The JSON body.
    pub body: String,
}

/// What came back from one [`StoreRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// An HTTP answer: its status, its `Retry-After` (in ms, when it had one in seconds), its body.
    Response {
        /// The HTTP status.
        status: u16,
        /// `Retry-After`, in milliseconds.
        retry_after_ms: Option<i64>,
        /// The body as text.
        body: String,
    },
    /// No answer: a timeout or a network error (the request may still have been applied).
    NoAnswer(String),
}

/// `Retry-After` in milliseconds: delta-seconds (`"2"`, `"1.5"`); an HTTP date or anything
/// else is `None` (the backoff applies instead).
pub fn retry_after_ms(header: Option<&str>) -> Option<i64> {
    let s = header?.trim();
    let secs: f64 = s.parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0 && *v <= 86_400.0)?;
    Some((secs * 1000.0).ceil() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_lowercase_names() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert_eq!(serde_json::from_str::<Provider>("\"woocommerce\"").unwrap(), Provider::Woocommerce);
        assert_eq!(Provider::parse("Shopify").unwrap_err().code(), "invalid_input");
        assert!(serde_json::from_str::<Provider>("\"etsy\"").is_err());
    }

    #[test]
    fn retry_after_is_seconds() {
        assert_eq!(retry_after_ms(Some("2")), Some(2000));
        assert_eq!(retry_after_ms(Some(" 1.5 ")), Some(1500));
        assert_eq!(retry_after_ms(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after_ms(Some("-1")), None);
        assert_eq!(retry_after_ms(None), None);
    }
}
