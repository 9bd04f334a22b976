//! Validation of the names the contract constrains: SKUs, channels, locations, ids.

use crate::Error;

/// The physical point of sale's channel.
pub const STORE_CHANNEL: &str = "store";

/// `[A-Za-z0-9._-]{1,64}`.
pub fn check_sku(s: &str) -> Result<(), Error> {
    check(s, "sku", 64, |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'), "[A-Za-z0-9._-]{1,64}")
}

/// `[a-z0-9_-]{1,32}`.
pub fn check_channel(s: &str) -> Result<(), Error> {
    check(
        s,
        "channel",
        32,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'),
        "[a-z0-9_-]{1,32}",
    )
}

/// Locations follow the channel rule: `[a-z0-9_-]{1,32}`.
pub fn check_location(s: &str) -> Result<(), Error> {
    check(
        s,
        "location",
        32,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'),
        "[a-z0-9_-]{1,32}",
    )
}

/// Event, order, cart and purchase-order ids: 1 to 128 printable ASCII characters.
pub fn check_id(field: &'static str, s: &str) -> Result<(), Error> {
    check(s, field, 128, |c| c.is_ascii_graphic(), "1 to 128 printable ASCII characters")
}

fn check(s: &str, field: &'static str, max: usize, ok: impl Fn(char) -> bool, rule: &str) -> Result<(), Error> {
    if s.is_empty() || s.len() > max || !s.chars().all(ok) {
        return Err(Error::invalid(field, format!("must match {rule}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_contract() {
        assert!(check_sku("Linen-shirt_M.2").is_ok());
        assert!(check_sku(&"a".repeat(64)).is_ok());
        assert!(check_sku(&"a".repeat(65)).is_err());
        assert!(check_sku("a b").is_err());
        assert!(check_channel("web").is_ok());
        assert!(check_channel("Web").is_err());
        assert!(check_channel("").is_err());
        assert!(check_id("event_id", "e-991").is_ok());
        assert!(check_id("event_id", "e 991").is_err());
    }
}
