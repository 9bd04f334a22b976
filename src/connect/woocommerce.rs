//! WooCommerce: the ids lastunit keeps of its products (`pos_refs.woocommerce`) and the REST
//! paths they name.
//!
//! A simple product is one id (`"812"`); a variation of a variable product is written
//! `"parent/variation"` (`"812/815"`), because WooCommerce keeps a variation's stock under its
//! parent: `PUT {base}/products/812/variations/815`.

use core::fmt;

use crate::Error;

/// A WooCommerce product, or one variation of a variable product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WooRef {
    /// The product id (the parent, for a variation).
    pub product: u64,
    /// The variation id, for a variation.
    pub variation: Option<u64>,
}

impl WooRef {
    /// Reads `"812"` or `"812/815"`: positive whole ids, nothing else. Refused: `invalid_input`
    /// on `pos_refs`.
    pub fn parse(s: &str) -> Result<WooRef, Error> {
        let id = |part: &str| -> Option<u64> {
            if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok().filter(|n| *n > 0)
        };
        let parsed = match s.split_once('/') {
            None => id(s).map(|product| WooRef { product, variation: None }),
            Some((p, v)) => id(p).zip(id(v)).map(|(product, v)| WooRef { product, variation: Some(v) }),
        };
        parsed.ok_or_else(|| {
            Error::invalid(
                "pos_refs",
                format!(
                    "the woocommerce id `{s}` must be a product id (\"812\") or \"parent/variation\" (\"812/815\")"
                ),
            )
        })
    }

    /// The REST path of this product under the API base: `/products/812` or
    /// `/products/812/variations/815`.
    pub fn path(&self) -> String {
        match self.variation {
            None => format!("/products/{}", self.product),
            Some(v) => format!("/products/{}/variations/{v}", self.product),
        }
    }

    /// The ref of a product as WooCommerce describes it (`id`, and `parent_id` which is 0 for
    /// a product that is not a variation), e.g. in an order line or a `product.updated` body.
    pub fn of(id: u64, parent_id: u64) -> WooRef {
        if parent_id == 0 {
            WooRef { product: id, variation: None }
        } else {
            WooRef { product: parent_id, variation: Some(id) }
        }
    }
}

impl fmt::Display for WooRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.variation {
            None => write!(f, "{}", self.product),
            Some(v) => write!(f, "{}/{v}", self.product),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_variations() {
        let simple = WooRef::parse("812").unwrap();
        assert_eq!((simple.path(), simple.to_string()), ("/products/812".into(), "812".into()));
        let variation = WooRef::parse("812/815").unwrap();
        assert_eq!(variation.path(), "/products/812/variations/815");
        assert_eq!(variation.to_string(), "812/815");
        assert_eq!(WooRef::of(815, 812), variation);
        assert_eq!(WooRef::of(812, 0), simple);
    }

    #[test]
    fn anything_else_is_refused_with_the_rule() {
        for bad in ["", "0", "-1", "a1", "812/", "/815", "812/815/9", "1.5", " 812", "99999999999999999999", "812/0"] {
            let e = WooRef::parse(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_input", "{bad}");
            assert!(e.to_string().contains("\"parent/variation\""), "{bad}");
        }
    }
}
