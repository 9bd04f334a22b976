//! Arbitrary bytes and headers into every entry point: no panic, and nothing unsigned gets through.

use proptest::prelude::*;

use super::{clover, lastunit, lightspeed, shopify, square, PosError, MAX_BODY};
use crate::Timestamp;

const SECRET: &str = "fuzz-secret";

fn header() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        any::<String>().prop_map(Some),
        "[a-z0-9=,. +/-]{0,120}".prop_map(Some),
        // Well-formed but unsigned shapes.
        "[0-9a-f]{64}".prop_map(|h| Some(format!("signature={h},algorithm=HMAC-SHA256"))),
        ("[0-9]{1,12}", "[0-9a-f]{64}").prop_map(|(t, h)| Some(format!("t={t},v1={h}"))),
        "[A-Za-z0-9+/]{43}=".prop_map(Some),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        any::<String>().prop_map(String::into_bytes),
        Just(br#"{"verificationCode":"x"}"#.to_vec()),
        Just(br#"{"merchants":{"M":[{"objectId":"I:A","type":"UPDATE","ts":1}]}}"#.to_vec()),
        Just(
            br#"{"type":"inventory.count.updated","event_id":"e","data":{"object":{"inventory_counts":[]}}}"#.to_vec()
        ),
    ]
}

fn unauthorized<T: std::fmt::Debug>(r: Result<T, PosError>) -> bool {
    matches!(r, Err(PosError::Unauthorized(_)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn unsigned_input_never_panics_and_never_passes(body in body(), h in header(), h2 in header(), h3 in header(), now in any::<i64>(), t in any::<i64>()) {
        let h = h.as_deref();
        prop_assert!(unauthorized(shopify::read(&body, h, h2.as_deref(), h3.as_deref(), Some(shopify::TOPIC), SECRET)));
        prop_assert!(unauthorized(square::read(&body, h, "https://edge.example/webhooks/square", SECRET)));
        prop_assert!(unauthorized(lightspeed::read(&body, h, SECRET, Timestamp(now))));
        prop_assert!(unauthorized(lastunit::read(&body, h, SECRET, Timestamp(now))));
        // A stale or foreign lastunit signature over these very bytes is refused too.
        prop_assert!(unauthorized(lastunit::read(&body, Some(&lastunit::sign("other", t, &body)), SECRET, Timestamp(now))));
        // Clover: only the exact verification shape passes without the auth code.
        match clover::read(&body, h, SECRET) {
            Ok(clover::CloverNotice::Verification { .. }) => {}
            Ok(other) => prop_assert!(false, "unauthenticated clover notice accepted: {other:?}"),
            Err(e) => prop_assert!(matches!(e, PosError::Unauthorized(_))),
        }
        let _ = clover::read_item_stock(&body);
    }

    #[test]
    fn signed_arbitrary_bodies_never_panic(body in body(), now in 0i64..4_000_000_000_000) {
        use base64::Engine;
        let b64 = |parts: &[&[u8]]| base64::engine::general_purpose::STANDARD.encode(super::hmac_sha256(SECRET.as_bytes(), parts));
        let url = "https://edge.example/webhooks/square";
        let r = shopify::read(&body, Some(&b64(&[&body])), Some("e"), None, Some(shopify::TOPIC), SECRET);
        prop_assert!(!matches!(r, Err(PosError::Unauthorized(_)) | Err(PosError::TooLarge)));
        let r = square::read(&body, Some(&b64(&[url.as_bytes(), &body])), url, SECRET);
        prop_assert!(!matches!(r, Err(PosError::Unauthorized(_)) | Err(PosError::TooLarge)));
        let sig = format!("signature={}", hex::encode(super::hmac_sha256(SECRET.as_bytes(), &[&body])));
        let r = lightspeed::read(&body, Some(&sig), SECRET, Timestamp(now));
        prop_assert!(!matches!(r, Err(PosError::Unauthorized(_)) | Err(PosError::TooLarge)));
        let r = lastunit::read(&body, Some(&lastunit::sign(SECRET, now / 1000, &body)), SECRET, Timestamp(now));
        prop_assert!(!matches!(r, Err(PosError::Unauthorized(_)) | Err(PosError::TooLarge)));
        // Whatever passes keeps the promises of PosCount.
        if let Ok(counts) = shopify::read(&body, Some(&b64(&[&body])), None, None, Some(shopify::TOPIC), SECRET) {
            for c in counts {
                prop_assert!((0..=1_000_000).contains(&c.quantity));
                prop_assert!(!c.dedupe_id.is_empty() && c.dedupe_id.len() <= 128);
            }
        }
    }
}

#[test]
fn every_entry_point_checks_the_size_first() {
    let big = vec![0u8; MAX_BODY + 1];
    assert_eq!(shopify::read(&big, None, None, None, None, SECRET), Err(PosError::TooLarge));
    assert_eq!(square::read(&big, None, "u", SECRET), Err(PosError::TooLarge));
    assert_eq!(lightspeed::read(&big, None, SECRET, Timestamp(0)), Err(PosError::TooLarge));
    assert_eq!(lastunit::read(&big, None, SECRET, Timestamp(0)), Err(PosError::TooLarge));
    assert_eq!(clover::read(&big, None, SECRET), Err(PosError::TooLarge));
    assert_eq!(clover::read_item_stock(&big), Err(PosError::TooLarge));
    // Exactly MAX_BODY is read (and here refused for its signature, not its size).
    let max = vec![b' '; MAX_BODY];
    assert!(matches!(shopify::read(&max, None, None, None, None, SECRET), Err(PosError::Unauthorized(_))));
}

#[test]
fn messages_never_carry_the_secret_or_the_digest() {
    let body = b"{}";
    let wrong = "signature=0000000000000000000000000000000000000000000000000000000000000000";
    let expected = hex::encode(super::hmac_sha256(SECRET.as_bytes(), &[body]));
    let errors = [
        lightspeed::read(body, Some(wrong), SECRET, Timestamp(0)).unwrap_err(),
        shopify::read(body, Some("AAAA"), None, None, None, SECRET).unwrap_err(),
        clover::read(body, Some("nope"), SECRET).unwrap_err(),
        lastunit::read(body, Some("t=0,v1=00"), SECRET, Timestamp(0)).unwrap_err(),
    ];
    for e in errors {
        let text = e.to_string();
        assert!(!text.contains(SECRET) && !text.contains(&expected), "{text}");
    }
}
