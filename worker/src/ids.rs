//! Reservation ids: unguessable, and carrying enough to route commit and release.
//!
//! - one SKU: `<32 hex>.<sku>`: the hold lives in that SKU's object;
//! - several SKUs: `<32 hex>`: the coordinator is the `CartObject` of that name.
//!
//! The 32 hex digits are 128 random bits from `crypto.getRandomValues`, or, with an
//! `Idempotency-Key`, a SHA-256 of the key keyed by a server secret (the same key gives the same
//! id, so the stored first answer is found again; nobody without the secret can derive it).

use sha2::{Digest, Sha256};

/// Where a reservation lives.
#[derive(Debug, PartialEq, Eq)]
pub enum Home {
    /// In the object of this SKU.
    Sku(String),
    /// In the cart coordinator named by the id.
    Cart,
}

/// 128 random bits, hex.
pub fn random_hex() -> String {
    let bytes = js_sys::Uint8Array::new_with_length(16);
    let global = js_sys::global();
    let crypto = js_sys::Reflect::get(&global, &"crypto".into()).expect("crypto is global in Workers");
    let get: js_sys::Function =
        js_sys::Reflect::get(&crypto, &"getRandomValues".into()).expect("getRandomValues").into();
    get.call1(&crypto, &bytes).expect("getRandomValues fills the array");
    hex::encode(bytes.to_vec())
}

/// The id part for a request with an `Idempotency-Key`.
pub fn idempotent_hex(server_secret: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"lastunit-idempotency\0");
    h.update(server_secret.as_bytes());
    h.update(b"\0");
    h.update(key.as_bytes());
    hex::encode(&h.finalize()[..16])
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
