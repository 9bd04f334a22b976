//! Shopify: `POST /webhooks/shopify`, topic `inventory_levels/update`.
//!
//! `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body, keyed with the app's
//! client secret (or the secret shown beside a webhook made in the admin):
//! `SHOPIFY_WEBHOOK_SECRET`. The payload is one inventory level:
//! `{"inventory_item_id": 271878346596884015, "location_id": 24826418, "available": 6,
//! "updated_at": "2021-12-31T19:00:00-05:00", ...}`; `available` is null for an item whose
//! inventory Shopify does not track.

use super::{
    body_digest, check_secret, check_size, decode_base64_digest, dedupe_key, field, header, id_value, parse_json,
    quantity_value, time_value, verify_hmac, PosCount, PosError,
};

/// The one topic that carries a stock level.
pub const TOPIC: &str = "inventory_levels/update";

/// Verifies and reads one Shopify delivery.
///
/// - `hmac_header`: `X-Shopify-Hmac-Sha256`; `event_id`: `X-Shopify-Event-Id`;
///   `webhook_id`: `X-Shopify-Webhook-Id`; `topic`: `X-Shopify-Topic`.
/// - Another topic, or `available: null` (untracked inventory), gives `Ok(vec![])` once verified:
///   the caller counts it as ignored.
/// - The dedupe id is `X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id`, else `body-<sha256 of
///   the body>` (a redelivery carries the same bytes).
pub fn read(
    body: &[u8],
    hmac_header: Option<&str>,
    event_id: Option<&str>,
    webhook_id: Option<&str>,
    topic: Option<&str>,
    secret: &str,
) -> Result<Vec<PosCount>, PosError> {
    let topic = verify(body, hmac_header, topic, secret)?;
    if topic != TOPIC {
        return Ok(Vec::new());
    }
    let v = parse_json(body)?;
    if !v.is_object() {
        return Err(PosError::BadBody("expected a JSON object".into()));
    }
    let available = match v.get("available") {
        Some(a) if !a.is_null() => quantity_value(a, "available")?,
        Some(_) => return Ok(Vec::new()),
        None => return Err(PosError::BadBody("`available` is missing".into())),
    };
    let item_ref = id_value(field(&v, "inventory_item_id")?, "inventory_item_id")?;
    let location_ref = id_value(field(&v, "location_id")?, "location_id")?;
    let observed_at = time_value(field(&v, "updated_at")?, "updated_at")?;
    let id = [event_id, webhook_id]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(|s| dedupe_key(&[s]))
        .unwrap_or_else(|| format!("body-{}", body_digest(body)));
    Ok(vec![PosCount { provider: "shopify", dedupe_id: id, item_ref, location_ref, quantity: available, observed_at }])
}

/// Steps 1 and 2 of every Shopify topic: the size, then `X-Shopify-Hmac-Sha256` over the raw
/// bytes. Gives the `X-Shopify-Topic` (trimmed; missing is a bad body once the signature holds).
pub(super) fn verify<'t>(
    body: &[u8],
    hmac_header: Option<&str>,
    topic: Option<&'t str>,
    secret: &str,
) -> Result<&'t str, PosError> {
    check_size(body)?;
    check_secret(secret, "SHOPIFY_WEBHOOK_SECRET")?;
    let sig = decode_base64_digest(header(hmac_header, "X-Shopify-Hmac-Sha256")?, "X-Shopify-Hmac-Sha256")?;
    verify_hmac(secret.as_bytes(), &[body], &sig)?;
    topic
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| PosError::BadBody("the X-Shopify-Topic header is missing".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use base64::Engine;

    const SECRET: &str = "hush-shopify";
    // Shaped like Shopify's documented inventory_levels/update example.
    const BODY: &str = r#"{"inventory_item_id":271878346596884015,"location_id":24826418,"available":6,"updated_at":"2021-12-31T19:00:00-05:00","admin_graphql_api_id":"gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015"}"#;

    fn sign(secret: &str, body: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(super::super::hmac_sha256(secret.as_bytes(), &[body]))
    }

    fn read_with(body: &str, sig: Option<&str>, topic: Option<&str>) -> Result<Vec<PosCount>, PosError> {
        read(body.as_bytes(), sig, Some("evt-1"), Some("wh-1"), topic, SECRET)
    }

    #[test]
    fn reads_a_signed_inventory_level() {
        let sig = sign(SECRET, BODY.as_bytes());
        let counts = read_with(BODY, Some(&sig), Some(TOPIC)).unwrap();
        assert_eq!(
            counts,
            vec![PosCount {
                provider: "shopify",
                dedupe_id: "evt-1".into(),
                item_ref: "271878346596884015".into(),
                location_ref: "24826418".into(),
                quantity: 6,
                observed_at: Timestamp::parse("2022-01-01T00:00:00Z").unwrap(),
            }]
        );
    }

    #[test]
    fn event_id_falls_back_to_webhook_id_then_the_body() {
        let sig = sign(SECRET, BODY.as_bytes());
        let by_webhook = read(BODY.as_bytes(), Some(&sig), None, Some("wh-9"), Some(TOPIC), SECRET).unwrap();
        assert_eq!(by_webhook[0].dedupe_id, "wh-9");
        let a = read(BODY.as_bytes(), Some(&sig), Some(" "), None, Some(TOPIC), SECRET).unwrap();
        let b = read(BODY.as_bytes(), Some(&sig), None, None, Some(TOPIC), SECRET).unwrap();
        assert!(a[0].dedupe_id.starts_with("body-"));
        assert_eq!(a[0].dedupe_id, b[0].dedupe_id);
    }

    #[test]
    fn refuses_what_shopify_did_not_sign() {
        let good = sign(SECRET, BODY.as_bytes());
        let wrong_secret = sign("other", BODY.as_bytes());
        let tampered = BODY.replace("\"available\":6", "\"available\":60");
        for (body, sig) in [
            (BODY, None),
            (BODY, Some("")),
            (BODY, Some(wrong_secret.as_str())),
            (tampered.as_str(), Some(good.as_str())),
            (BODY, Some("not base64!")),
            (BODY, Some("AAAA")),
        ] {
            assert!(matches!(read_with(body, sig, Some(TOPIC)), Err(PosError::Unauthorized(_))), "{sig:?}");
        }
        assert!(matches!(
            read(BODY.as_bytes(), Some(&good), None, None, Some(TOPIC), ""),
            Err(PosError::Unauthorized(_))
        ));
    }

    #[test]
    fn other_topics_and_untracked_items_are_ignored() {
        let sig = sign(SECRET, BODY.as_bytes());
        assert_eq!(read_with(BODY, Some(&sig), Some("products/update")).unwrap(), vec![]);
        let untracked = BODY.replace("\"available\":6", "\"available\":null");
        assert_eq!(read_with(&untracked, Some(&sign(SECRET, untracked.as_bytes())), Some(TOPIC)).unwrap(), vec![]);
    }

    #[test]
    fn an_oversold_level_reads_as_an_empty_shelf() {
        let body = BODY.replace("\"available\":6", "\"available\":-2");
        let sig = sign(SECRET, body.as_bytes());
        assert_eq!(read_with(&body, Some(&sig), Some(TOPIC)).unwrap()[0].quantity, 0);
    }

    #[test]
    fn signed_garbage_is_a_bad_body() {
        let cases = [
            "not json".to_string(),
            "[]".into(),
            BODY.replace("\"available\":6", "\"available\":2.5"),
            BODY.replace("\"available\":6", "\"available\":1000001"),
            BODY.replace("\"available\":6,", ""),
            BODY.replace("2021-12-31T19:00:00-05:00", "yesterday"),
            BODY.replace("\"location_id\":24826418", "\"location_id\":-1"),
        ];
        for body in cases {
            let sig = sign(SECRET, body.as_bytes());
            assert!(matches!(read_with(&body, Some(&sig), Some(TOPIC)), Err(PosError::BadBody(_))), "{body}");
        }
        let sig = sign(SECRET, BODY.as_bytes());
        assert!(matches!(read_with(BODY, Some(&sig), None), Err(PosError::BadBody(_))));
    }

    #[test]
    fn an_updated_at_far_ahead_is_taken_as_the_moment_it_arrived() {
        let arrived = Timestamp::parse("2026-11-26T10:00:00Z").unwrap();
        let body = BODY.replace("2021-12-31T19:00:00-05:00", "2027-12-01T00:00:00Z");
        let c = &read_with(&body, Some(&sign(SECRET, body.as_bytes())), Some(TOPIC)).unwrap()[0];
        assert_eq!(c.event("A", "main-st", arrived).unwrap().occurred_at, arrived);
        let body = BODY.replace("2021-12-31T19:00:00-05:00", "2026-11-26T10:04:00Z");
        let c = &read_with(&body, Some(&sign(SECRET, body.as_bytes())), Some(TOPIC)).unwrap()[0];
        assert_eq!(c.event("A", "main-st", arrived).unwrap().occurred_at, c.observed_at, "within 300 s: its own");
    }

    #[test]
    fn oversize_is_refused_before_anything_else() {
        let big = vec![b' '; super::super::MAX_BODY + 1];
        assert_eq!(read(&big, None, None, None, None, ""), Err(PosError::TooLarge));
    }
}
