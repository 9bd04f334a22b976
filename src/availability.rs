//! The availability object every channel reads (`GET /v1/availability`, live pushes, the widget).

use serde::{de, Deserialize, Deserializer, Serialize};

use crate::Timestamp;

/// How the storefront should present a SKU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// More than `low_stock_threshold` units.
    InStock,
    /// At most `low_stock_threshold` units, but some.
    LowStock,
    /// None for this channel.
    OutOfStock,
}

impl Status {
    /// The status for `available` units under `threshold`.
    pub fn of(available: i64, threshold: u32) -> Self {
        if available <= 0 {
            Status::OutOfStock
        } else if available <= i64::from(threshold) {
            Status::LowStock
        } else {
            Status::InStock
        }
    }

    /// The contract's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InStock => "in_stock",
            Status::LowStock => "low_stock",
            Status::OutOfStock => "out_of_stock",
        }
    }
}

/// What one channel may sell of one SKU now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// The SKU.
    pub sku: String,
    /// The channel asked about.
    pub channel: String,
    /// Units this channel may sell now (never below 0: a negative count does not deserialize,
    /// so a reader such as the widget never shows one).
    #[serde(deserialize_with = "non_negative")]
    pub available: i64,
    /// Derived from `available` and the SKU's `low_stock_threshold`.
    pub status: Status,
    /// This channel shows 0 while the `store` channel still has units.
    pub in_store_only: bool,
    /// Rises with every change to the SKU.
    pub version: u64,
    /// When the SKU last changed.
    pub updated_at: Timestamp,
}

fn non_negative<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = i64::deserialize(d)?;
    if n < 0 {
        return Err(de::Error::invalid_value(de::Unexpected::Signed(n), &"a count of at least 0"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_threshold() {
        assert_eq!(Status::of(0, 3), Status::OutOfStock);
        assert_eq!(Status::of(3, 3), Status::LowStock);
        assert_eq!(Status::of(4, 3), Status::InStock);
        assert_eq!(Status::of(1, 0), Status::InStock);
    }

    #[test]
    fn serializes_as_the_contract_shows() {
        let a = Availability {
            sku: "A".into(),
            channel: "web".into(),
            available: 3,
            status: Status::LowStock,
            in_store_only: false,
            version: 42,
            updated_at: Timestamp::parse("2026-11-26T10:00:00Z").unwrap(),
        };
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"sku":"A","channel":"web","available":3,"status":"low_stock","in_store_only":false,"version":42,"updated_at":"2026-11-26T10:00:00Z"}"#
        );
    }

    #[test]
    fn reads_back_what_it_writes_and_refuses_a_negative_count() {
        let json = r#"{"sku":"A","channel":"web","available":0,"status":"out_of_stock","in_store_only":true,"version":1,"updated_at":"2026-11-26T10:00:00Z"}"#;
        let a: Availability = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), json);
        assert!(serde_json::from_str::<Availability>(&json.replace(r#""available":0"#, r#""available":-3"#)).is_err());
    }
}
