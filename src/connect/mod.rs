//! Connected stores: Shopify and WooCommerce sell online from their own stock counts, and Square
//! counts the register's stock. lastunit keeps each connected system's number equal to its own.
//!
//! - [`connection`]: what the operator configures per provider (`PUT /admin/connections/{provider}`).
//! - [`status`]: what an operator reads of a connection (ok / retrying / failing, last write, pending).
//! - [`woocommerce`]: WooCommerce product and variation ids (`pos_refs.woocommerce`) and their REST paths.
//!
//! Credentials never pass through here: the Worker reads them from its secrets and adds them to
//! the requests the engine builds.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

pub mod connection;
pub mod status;
pub mod woocommerce;

pub use connection::Connection;
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
}
