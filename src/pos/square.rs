//! Square: `POST /webhooks/square`, event `inventory.count.updated`.
//!
//! `x-square-hmacsha256-signature` is the base64 HMAC-SHA256 of the notification URL (exactly
//! as registered in the subscription: `SQUARE_NOTIFICATION_URL`) followed by the raw body,
//! keyed with the subscription's signature key (`SQUARE_SIGNATURE_KEY`, used as its UTF-8
//! bytes). The notice:
//!
//! ```json
//! {"merchant_id": "6SSW7HV8K2ST5", "type": "inventory.count.updated",
//!  "event_id": "df5f3813-a913-45a1-94e9-fdc3f7d5e3b6", "created_at": "2019-10-29T18:38:45.455006797Z",
//!  "data": {"type": "inventory", "id": "84e4ac73-...", "object": {"inventory_counts": [
//!    {"calculated_at": "2019-10-29T18:38:45.10296Z", "catalog_object_id": "FGQ5JJWT2PYTHF35CKZ2DSKP",
//!     "catalog_object_type": "ITEM_VARIATION", "location_id": "YYQR03DGCTXA4",
//!     "quantity": "10", "state": "IN_STOCK"}]}}}
//! ```
//!
//! One notice may carry several counts (one per state the change touched, e.g. `IN_STOCK` and
//! `SOLD`); only `IN_STOCK` is stock on hand. `quantity` is a decimal string with up to five
//! decimals: it must be whole.

use serde_json::Value;

use super::{
    check_secret, check_size, decode_base64_digest, dedupe_key, field, header, id_value, parse_json, quantity_value,
    time_value, verify_hmac, PosCount, PosError,
};

/// The one event type that carries stock levels.
pub const EVENT_TYPE: &str = "inventory.count.updated";
/// The one state that is stock on hand.
pub const IN_STOCK: &str = "IN_STOCK";

/// What one verified Square notice gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SquareNotice {
    /// The `IN_STOCK` counts, one per item and location. The dedupe id is the notice's
    /// `event_id`, with `:<catalog_object_id>:<location_id>` appended when the notice holds more
    /// than one such count.
    pub counts: Vec<PosCount>,
    /// Counts in any other state, plus 1 for a notice of another event type: the caller adds
    /// this to its `ignored` answer.
    pub ignored: usize,
}

/// Verifies and reads one Square notice.
///
/// `signature` is the `x-square-hmacsha256-signature` header; `notification_url` is
/// `SQUARE_NOTIFICATION_URL`, byte for byte as registered with Square.
pub fn read(
    body: &[u8],
    signature: Option<&str>,
    notification_url: &str,
    signature_key: &str,
) -> Result<SquareNotice, PosError> {
    check_size(body)?;
    check_secret(signature_key, "SQUARE_SIGNATURE_KEY")?;
    check_secret(notification_url, "SQUARE_NOTIFICATION_URL")?;
    let name = "x-square-hmacsha256-signature";
    let sig = decode_base64_digest(header(signature, name)?, name)?;
    verify_hmac(signature_key.as_bytes(), &[notification_url.as_bytes(), body], &sig)?;

    let v = parse_json(body)?;
    if !v.is_object() {
        return Err(PosError::BadBody("expected a JSON object".into()));
    }
    match field(&v, "type")?.as_str() {
        Some(EVENT_TYPE) => {}
        Some(_) => return Ok(SquareNotice { counts: Vec::new(), ignored: 1 }),
        None => return Err(PosError::BadBody("`type` must be a string".into())),
    }
    let event_id = id_value(field(&v, "event_id")?, "event_id")?;
    let created_at = v.get("created_at").filter(|c| !c.is_null()).map(|c| time_value(c, "created_at")).transpose()?;
    let list = v
        .pointer("/data/object/inventory_counts")
        .and_then(Value::as_array)
        .ok_or_else(|| PosError::BadBody("`data.object.inventory_counts` must be a list".into()))?;

    let mut ignored = 0;
    let mut counts: Vec<PosCount> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let at = |name: &str| format!("inventory_counts[{i}].{name}");
        if !c.is_object() {
            return Err(PosError::BadBody(format!("inventory_counts[{i}] must be an object")));
        }
        let state = field(c, "state").map_err(|_| PosError::BadBody(format!("`{}` is missing", at("state"))))?;
        if state.as_str() != Some(IN_STOCK) {
            if !state.is_string() {
                return Err(PosError::BadBody(format!("`{}` must be a string", at("state"))));
            }
            ignored += 1;
            continue;
        }
        let get = |name: &str| field(c, name).map_err(|_| PosError::BadBody(format!("`{}` is missing", at(name))));
        let item_ref = id_value(get("catalog_object_id")?, &at("catalog_object_id"))?;
        let location_ref = id_value(get("location_id")?, &at("location_id"))?;
        let quantity = quantity_value(get("quantity")?, &at("quantity"))?;
        let observed_at = match c.get("calculated_at").filter(|t| !t.is_null()) {
            Some(t) => time_value(t, &at("calculated_at"))?,
            None => created_at.ok_or_else(|| PosError::BadBody(format!("`{}` is missing", at("calculated_at"))))?,
        };
        let count =
            PosCount { provider: "square", dedupe_id: String::new(), item_ref, location_ref, quantity, observed_at };
        // The same item and location twice: keep the later calculation, ignore the other.
        match counts.iter_mut().find(|k| k.item_ref == count.item_ref && k.location_ref == count.location_ref) {
            Some(k) => {
                ignored += 1;
                if count.observed_at >= k.observed_at {
                    *k = count;
                }
            }
            None => counts.push(count),
        }
    }
    let several = counts.len() > 1;
    for c in &mut counts {
        c.dedupe_id =
            if several { dedupe_key(&[&event_id, &c.item_ref, &c.location_ref]) } else { dedupe_key(&[&event_id]) };
    }
    Ok(SquareNotice { counts, ignored })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use base64::Engine;

    const KEY: &str = "hush-square";
    const URL: &str = "https://edge.example/webhooks/square";
    // Square's documented inventory.count.updated example.
    const BODY: &str = r#"{"merchant_id":"6SSW7HV8K2ST5","type":"inventory.count.updated","event_id":"df5f3813-a913-45a1-94e9-fdc3f7d5e3b6","created_at":"2019-10-29T18:38:45.455006797Z","data":{"type":"inventory","id":"84e4ac73-d605-4dbd-a9e5-ffff794ddb9d","object":{"inventory_counts":[{"calculated_at":"2019-10-29T18:38:45.10296Z","catalog_object_id":"FGQ5JJWT2PYTHF35CKZ2DSKP","catalog_object_type":"ITEM_VARIATION","location_id":"YYQR03DGCTXA4","quantity":"10","state":"IN_STOCK"}]}}}"#;

    fn sign(key: &str, url: &str, body: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(super::super::hmac_sha256(key.as_bytes(), &[url.as_bytes(), body]))
    }

    fn read_signed(body: &str) -> Result<SquareNotice, PosError> {
        read(body.as_bytes(), Some(&sign(KEY, URL, body.as_bytes())), URL, KEY)
    }

    #[test]
    fn verifies_squares_own_test_vector() {
        // From Square's Node SDK tests (WebhooksHelper): a webhooks.test_notification.
        let body = r#"{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}"#;
        let url = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9";
        let header = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=";
        let notice = read(body.as_bytes(), Some(header), url, "Ibxx_5AKakO-3qeNVR61Dw").unwrap();
        assert_eq!(notice, SquareNotice { counts: vec![], ignored: 1 });
        let other_url = "https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9";
        assert!(matches!(
            read(body.as_bytes(), Some(header), other_url, "Ibxx_5AKakO-3qeNVR61Dw"),
            Err(PosError::Unauthorized(_))
        ));
    }

    #[test]
    fn reads_the_documented_example() {
        let notice = read_signed(BODY).unwrap();
        assert_eq!(notice.ignored, 0);
        assert_eq!(
            notice.counts,
            vec![PosCount {
                provider: "square",
                dedupe_id: "df5f3813-a913-45a1-94e9-fdc3f7d5e3b6".into(),
                item_ref: "FGQ5JJWT2PYTHF35CKZ2DSKP".into(),
                location_ref: "YYQR03DGCTXA4".into(),
                quantity: 10,
                observed_at: Timestamp::parse("2019-10-29T18:38:45.102Z").unwrap(),
            }]
        );
    }

    #[test]
    fn only_in_stock_counts_and_the_rest_is_ignored() {
        let sold = r#"{"calculated_at":"2019-10-29T18:38:45.10296Z","catalog_object_id":"FGQ5JJWT2PYTHF35CKZ2DSKP","catalog_object_type":"ITEM_VARIATION","location_id":"YYQR03DGCTXA4","quantity":"1","state":"SOLD"}"#;
        let body = BODY.replace(r#""state":"IN_STOCK"}"#, &format!(r#""state":"IN_STOCK"}},{sold}"#));
        let notice = read_signed(&body).unwrap();
        assert_eq!(notice.counts.len(), 1);
        assert_eq!(notice.counts[0].quantity, 10);
        assert_eq!(notice.ignored, 1);
    }

    #[test]
    fn several_in_stock_counts_get_distinct_dedupe_ids() {
        let other = r#"{"calculated_at":"2019-10-29T18:38:45Z","catalog_object_id":"OTHERVARIATION","location_id":"YYQR03DGCTXA4","quantity":"3.00000","state":"IN_STOCK"}"#;
        let body = BODY.replace(r#""state":"IN_STOCK"}"#, &format!(r#""state":"IN_STOCK"}},{other}"#));
        let notice = read_signed(&body).unwrap();
        let ids: Vec<_> = notice.counts.iter().map(|c| c.dedupe_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "df5f3813-a913-45a1-94e9-fdc3f7d5e3b6:FGQ5JJWT2PYTHF35CKZ2DSKP:YYQR03DGCTXA4",
                "df5f3813-a913-45a1-94e9-fdc3f7d5e3b6:OTHERVARIATION:YYQR03DGCTXA4"
            ]
        );
        assert_eq!(notice.counts[1].quantity, 3);
    }

    #[test]
    fn refuses_what_square_did_not_sign() {
        let good = sign(KEY, URL, BODY.as_bytes());
        let cases = [
            (None, URL, KEY),
            (Some(""), URL, KEY),
            (Some("%%%"), URL, KEY),
            (Some(good.as_str()), "https://edge.example/other", KEY),
            (Some(good.as_str()), URL, "wrong-key"),
            (Some(good.as_str()), "", KEY),
            (Some(good.as_str()), URL, ""),
        ];
        for (sig, url, key) in cases {
            assert!(
                matches!(read(BODY.as_bytes(), sig, url, key), Err(PosError::Unauthorized(_))),
                "{sig:?} {url} {key}"
            );
        }
        // Signed over the body alone (no URL): refused.
        let body_only = base64::engine::general_purpose::STANDARD
            .encode(super::super::hmac_sha256(KEY.as_bytes(), &[BODY.as_bytes()]));
        assert!(matches!(read(BODY.as_bytes(), Some(&body_only), URL, KEY), Err(PosError::Unauthorized(_))));
    }

    #[test]
    fn signed_garbage_is_a_bad_body() {
        let cases = [
            "garbage".to_string(),
            "{}".into(),
            BODY.replace(r#""quantity":"10""#, r#""quantity":"2.5""#),
            BODY.replace(r#""quantity":"10""#, r#""quantity":"1000001""#),
            BODY.replace(r#""quantity":"10""#, r#""quantity":"ten""#),
            BODY.replace(r#","quantity":"10""#, ""),
            BODY.replace(r#""event_id":"df5f3813-a913-45a1-94e9-fdc3f7d5e3b6","#, ""),
            BODY.replace(r#""inventory_counts":["#, r#""inventory_counts":[1,"#),
            BODY.replace("2019-10-29T18:38:45.10296Z", "soon"),
        ];
        for body in cases {
            assert!(matches!(read_signed(&body), Err(PosError::BadBody(_))), "{body}");
        }
    }

    #[test]
    fn a_calculated_at_far_ahead_is_taken_as_the_moment_it_arrived() {
        let arrived = Timestamp::parse("2026-11-26T10:00:00Z").unwrap();
        let body = BODY.replace("2019-10-29T18:38:45.10296Z", "2027-12-01T00:00:00Z");
        let c = &read_signed(&body).unwrap().counts[0];
        assert_eq!(c.event("A", "main-st", arrived).unwrap().occurred_at, arrived);
        let c = &read_signed(BODY).unwrap().counts[0];
        assert_eq!(c.event("A", "main-st", arrived).unwrap().occurred_at, c.observed_at, "the past: its own");
    }

    #[test]
    fn oversize_is_refused_before_anything_else() {
        let big = vec![b'x'; super::super::MAX_BODY + 1];
        assert_eq!(read(&big, None, "", ""), Err(PosError::TooLarge));
    }
}
