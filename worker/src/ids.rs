//! Reservation ids and client tags: unguessable, and carrying enough to route commit and release.
//!
//! - one SKU: `<32 hex>.<sku>`: the hold lives in that SKU's object;
//! - several SKUs: `<32 hex>`: the coordinator is the `CartObject` of that name.
//!
//! The 32 hex digits are 128 random bits from the Web Crypto API, or, with an
//! `Idempotency-Key`, an HMAC-SHA256 of the cart and the key under the reservation id secret: the
//! same key on the same cart gives the same id, so the stored first answer is found again; the
//! same key on another cart gives another id, so it never reaches the first cart's reservation;
//! and nobody without the secret can derive an id from a key.
//!
//! The secret is `RESERVATION_ID_SECRET` when set, else one drawn once at random and kept by the
//! catalog. It is its own secret, so rotating `ADMIN_TOKEN` or `CHECKOUT_TOKEN` changes no id.

use std::cell::RefCell;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use worker::{Env, Method, Result};

use crate::internal::{call_json, catalog_stub, setting};

/// Where a reservation lives.
#[derive(Debug, PartialEq, Eq)]
pub enum Home {
    /// In the object of this SKU.
    Sku(String),
    /// In the cart coordinator named by the id.
    Cart,
}

/// `n` random bytes from the Web Crypto API, hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the Workers runtime has crypto.getRandomValues");
    hex::encode(bytes)
}

thread_local! {
    /// The secret once read: a Worker isolate asks the catalog at most once.
    static SECRET: RefCell<Option<String>> = const { RefCell::new(None) };
}

#[derive(Deserialize)]
struct SecretAnswer {
    secret: String,
}

/// The reservation id secret: `RESERVATION_ID_SECRET`, or the default the catalog keeps.
pub async fn secret(env: &Env) -> Result<String> {
    let set = setting(env, "RESERVATION_ID_SECRET");
    if !set.is_empty() {
        return Ok(set);
    }
    if let Some(s) = SECRET.with(|c| c.borrow().clone()) {
        return Ok(s);
    }
    let (status, answer): (u16, SecretAnswer) =
        call_json::<(), _>(&catalog_stub(env)?, Method::Post, "/id-secret", None).await?;
    if status != 200 || answer.secret.is_empty() {
        return Err(worker::Error::RustError(format!("the catalog answered {status} for the id secret")));
    }
    SECRET.with(|c| *c.borrow_mut() = Some(answer.secret.clone()));
    Ok(answer.secret)
}

/// HMAC-SHA256 of the parts (each ended by a NUL, so no two splits of one text collide), the
/// first 128 bits in hex.
fn keyed(secret: &str, domain: &str, parts: &[&str]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    for p in std::iter::once(&domain).chain(parts) {
        mac.update(p.as_bytes());
        mac.update(b"\0");
    }
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// The id part for a request with an `Idempotency-Key`: one per cart and key.
pub fn idempotent_hex(secret: &str, cart_id: &str, key: &str) -> String {
    keyed(secret, "lastunit-idempotency-v2", &[cart_id, key])
}

/// The opaque tag of a client address, as holds and the rate limit know it: the same address
/// always has the same tag, and the address cannot be read back from it.
pub fn client_tag(secret: &str, address: &str) -> String {
    format!("c-{}", keyed(secret, "lastunit-client-v1", &[address]))
}

/// The id for `lines` SKUs.
pub fn reservation_id(random: &str, single_sku: Option<&str>) -> String {
    match single_sku {
        Some(sku) => format!("{random}.{sku}"),
        None => random.to_string(),
    }
}

/// Where the reservation `id` lives, or `None` for an id this edge never issued.
pub fn home(id: &str) -> Option<Home> {
    let (random, sku) = match id.split_once('.') {
        Some((r, s)) => (r, Some(s)),
        None => (id, None),
    };
    if random.len() != 32 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match sku {
        Some(s) => lastunit::names::check_sku(s).ok().map(|_| Home::Sku(s.to_string())),
        None => Some(Home::Cart),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn an_id_says_where_its_reservation_lives() {
        assert_eq!(home(&reservation_id(HEX, Some("TEE-M"))), Some(Home::Sku("TEE-M".into())));
        assert_eq!(home(&reservation_id(HEX, None)), Some(Home::Cart));
        assert_eq!(home(&random_hex(16)), Some(Home::Cart), "16 random bytes are 32 hex digits");
    }

    #[test]
    fn an_id_this_edge_never_issued_has_no_home() {
        for id in [
            "",
            "r1",
            &HEX[1..],
            &format!("{HEX}0"),
            &format!("{}g", &HEX[1..]),
            &format!("{HEX}."),
            &format!("{HEX}.a b"),
        ] {
            assert_eq!(home(id), None, "{id:?}");
        }
    }

    #[test]
    fn the_same_key_on_the_same_cart_is_the_same_id_and_on_another_cart_or_secret_another() {
        let id = idempotent_hex("s1", "cart-1", "k");
        assert_eq!(id.len(), 32);
        assert_eq!(id, idempotent_hex("s1", "cart-1", "k"));
        assert_ne!(id, idempotent_hex("s1", "cart-2", "k"));
        assert_ne!(id, idempotent_hex("s2", "cart-1", "k"));
        // Each part ends with a NUL: moving text from the cart to the key is another request.
        assert_ne!(idempotent_hex("s1", "ab", "c"), idempotent_hex("s1", "a", "bc"));
    }

    #[test]
    fn a_client_tag_is_stable_keyed_and_does_not_show_the_address() {
        let tag = client_tag("s1", "203.0.113.7");
        assert_eq!(tag, client_tag("s1", "203.0.113.7"));
        assert_ne!(tag, client_tag("s2", "203.0.113.7"));
        assert_ne!(tag, client_tag("s1", "203.0.113.8"));
        assert!(tag.starts_with("c-") && tag.len() == 34 && !tag.contains("203"), "{tag}");
        // Another domain: a client tag is never the id part of some cart and key.
        assert_ne!(&tag[2..], idempotent_hex("s1", "203.0.113.7", ""));
    }
}
