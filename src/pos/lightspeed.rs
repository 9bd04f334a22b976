//! Lightspeed Retail X-Series (formerly Vend): `POST /webhooks/lightspeed`, type `inventory.update`.
//!
//! The body is `application/x-www-form-urlencoded`: a `payload` field holding a JSON object,
//! usually with `type`, `domain_prefix`, `environment` and `retailer_id` beside it (the docs
//! guarantee only `payload`). The header is
//! `X-Signature: signature=<HMAC-SHA256 of the raw body>,algorithm=HMAC-SHA256`, keyed with the
//! app's client secret (`LIGHTSPEED_CLIENT_SECRET`). The digest is read as hex (as documented
//! for the header); a standard base64 digest is accepted too, since the two cannot be confused.
//!
//! The `inventory.update` payload is an inventory record. Accepted shapes:
//! - ids: `product_id` (or `product.id`) and `outlet_id` (or `outlet.id`);
//! - level: `inventory_level`, `current_amount` or `count` (first present wins), a number or a
//!   decimal string such as `"12.00000"` that must be whole;
//! - time: `updated_at` or `product.updated_at` when present, else `now` (when the Worker
//!   received it); the record's `id` and `version`, when present, make the dedupe id.

use super::{
    body_digest, check_secret, check_size, decode_base64_digest, decode_hex_digest, dedupe_key, header, id_value,
    parse_json, quantity_value, time_value, verify_hmac, PosCount, PosError,
};
use crate::Timestamp;

/// The one webhook type that carries stock levels.
pub const TYPE: &str = "inventory.update";

const HEADER: &str = "X-Signature";

/// Verifies and reads one Lightspeed X-Series delivery.
///
/// Another `type` gives `Ok(vec![])` once verified (the caller counts it as ignored).
/// The dedupe id is `<record id>:<version>` when the payload has both, else `body-<sha256 of
/// the raw body>` (a redelivery carries the same bytes). `now` is used as `observed_at` only
/// when the payload carries no time.
pub fn read(
    body: &[u8],
    signature_header: Option<&str>,
    client_secret: &str,
    now: Timestamp,
) -> Result<Vec<PosCount>, PosError> {
    check_size(body)?;
    check_secret(client_secret, "LIGHTSPEED_CLIENT_SECRET")?;
    let sig = parse_header(header(signature_header, HEADER)?)?;
    verify_hmac(client_secret.as_bytes(), &[body], &sig)?;

    let form = parse_form(body)?;
    let kind = form.iter().find(|(k, _)| k == "type").map(|(_, v)| v.as_str());
    if kind.is_some_and(|k| k != TYPE) {
        return Ok(Vec::new());
    }
    let payload = form
        .iter()
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| PosError::BadBody("the form has no `payload` field".into()))?;
    let p = parse_json(payload.as_bytes()).map_err(|e| PosError::BadBody(format!("`payload`: {e}")))?;
    if !p.is_object() {
        return Err(PosError::BadBody("`payload` must be a JSON object".into()));
    }

    let first = |paths: &[&str]| paths.iter().find_map(|path| p.pointer(path).filter(|v| !v.is_null()));
    let Some(level) = first(&["/inventory_level", "/current_amount", "/count"]) else {
        if kind.is_none() {
            // No type and no level: not an inventory record.
            return Ok(Vec::new());
        }
        return Err(PosError::BadBody("`payload` has no `inventory_level` or `count`".into()));
    };
    let quantity = quantity_value(level, "payload.count")?;
    let item_ref = id_value(
        first(&["/product_id", "/product/id"])
            .ok_or_else(|| PosError::BadBody("`payload.product_id` is missing".into()))?,
        "payload.product_id",
    )?;
    let location_ref = id_value(
        first(&["/outlet_id", "/outlet/id"])
            .ok_or_else(|| PosError::BadBody("`payload.outlet_id` is missing".into()))?,
        "payload.outlet_id",
    )?;
    let observed_at = match first(&["/updated_at", "/product/updated_at"]) {
        Some(t) => time_value(t, "payload.updated_at")?,
        None => now,
    };
    let dedupe_id = match (p.get("id").filter(|v| !v.is_null()), p.get("version").filter(|v| !v.is_null())) {
        (Some(id), Some(version)) => {
            let id = id_value(id, "payload.id")?;
            let version = id_value(version, "payload.version")?;
            dedupe_key(&[&id, &version])
        }
        _ => format!("body-{}", body_digest(body)),
    };
    Ok(vec![PosCount { provider: "lightspeed", dedupe_id, item_ref, location_ref, quantity, observed_at }])
}

/// `signature=<digest>` (required, once) and `algorithm=HMAC-SHA256` (optional, case-insensitive).
fn parse_header(h: &str) -> Result<Vec<u8>, PosError> {
    let malformed =
        || PosError::Unauthorized(format!("the {HEADER} header must be signature=<hex>,algorithm=HMAC-SHA256"));
    let mut sig = None;
    for part in h.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or_else(malformed)?;
        let v = v.trim();
        match k.trim() {
            "signature" if sig.is_none() => {
                sig = Some(if v.len() == 64 { decode_hex_digest(v, HEADER)? } else { decode_base64_digest(v, HEADER)? })
            }
            "signature" => return Err(malformed()),
            "algorithm" if !v.eq_ignore_ascii_case("HMAC-SHA256") => {
                return Err(PosError::Unauthorized(format!("the {HEADER} algorithm must be HMAC-SHA256")))
            }
            _ => {}
        }
    }
    sig.ok_or_else(malformed)
}

/// Strict `application/x-www-form-urlencoded`: `+` is a space, `%XX` must be two hex digits,
/// and every name and value must be UTF-8.
fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, PosError> {
    let mut out = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        out.push((percent_decode(k)?, percent_decode(v)?));
    }
    Ok(out)
}

fn percent_decode(s: &[u8]) -> Result<String, PosError> {
    let bad = || PosError::BadBody("the form encoding is malformed".into());
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = s.get(i + 1).and_then(|c| (*c as char).to_digit(16)).ok_or_else(bad)?;
                let lo = s.get(i + 2).and_then(|c| (*c as char).to_digit(16)).ok_or_else(bad)?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| PosError::BadBody("the form is not UTF-8".into()))
}

/// Test helper: encodes a form the way a browser or Lightspeed does.
#[cfg(test)]
fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => (b as char).to_string(),
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "hush-lightspeed";
    // Shaped like an X-Series inventory.update payload.
    const PAYLOAD: &str = r#"{"id":"0adfd74a-153e-11e9-fa42-67b5781ba1fb","product_id":"0adfd74a-153e-11e9-fa42-67b5780e8fd5","outlet_id":"0adaafb3-6583-11e5-fb60-e4bc3c8b1c02","count":"12.00000","reorder_point":"0","restock_level":"0","attributed_cost":"0.00000","version":13824123456}"#;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-26T10:00:00Z").unwrap()
    }

    fn body(kind: &str, payload: &str) -> String {
        form_encode(&[("type", kind), ("domain_prefix", "shop"), ("payload", payload), ("environment", "prod")])
    }

    fn sign_hex(secret: &str, body: &[u8]) -> String {
        format!(
            "signature={},algorithm=HMAC-SHA256",
            hex::encode(super::super::hmac_sha256(secret.as_bytes(), &[body]))
        )
    }

    fn read_signed(body: &str) -> Result<Vec<PosCount>, PosError> {
        read(body.as_bytes(), Some(&sign_hex(SECRET, body.as_bytes())), SECRET, now())
    }

    #[test]
    fn reads_a_signed_inventory_update() {
        let counts = read_signed(&body(TYPE, PAYLOAD)).unwrap();
        assert_eq!(
            counts,
            vec![PosCount {
                provider: "lightspeed",
                dedupe_id: "0adfd74a-153e-11e9-fa42-67b5781ba1fb:13824123456".into(),
                item_ref: "0adfd74a-153e-11e9-fa42-67b5780e8fd5".into(),
                location_ref: "0adaafb3-6583-11e5-fb60-e4bc3c8b1c02".into(),
                quantity: 12,
                observed_at: now(),
            }]
        );
    }

    #[test]
    fn accepts_the_other_documented_shapes() {
        // 2.0-style record: inventory_level as a number, nested ids, a time, no version.
        let p = r#"{"inventory_level":4,"product":{"id":"p-1","updated_at":"2026-11-26T09:00:00+00:00"},"outlet":{"id":"o-1"}}"#;
        let b = body(TYPE, p);
        let c = &read_signed(&b).unwrap()[0];
        assert_eq!((c.item_ref.as_str(), c.location_ref.as_str(), c.quantity), ("p-1", "o-1", 4));
        assert_eq!(c.observed_at, Timestamp::parse("2026-11-26T09:00:00Z").unwrap());
        assert!(c.dedupe_id.starts_with("body-"));
        // No `type` field: the payload decides. Header with a space and a base64 digest.
        let b = form_encode(&[("payload", PAYLOAD)]);
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD
            .encode(super::super::hmac_sha256(SECRET.as_bytes(), &[b.as_bytes()]));
        let h = format!("signature={b64}, algorithm=hmac-sha256");
        assert_eq!(read(b.as_bytes(), Some(&h), SECRET, now()).unwrap()[0].quantity, 12);
    }

    #[test]
    fn other_types_are_ignored() {
        assert_eq!(read_signed(&body("sale.update", r#"{"id":"s"}"#)).unwrap(), vec![]);
        assert_eq!(read_signed(&form_encode(&[("payload", r#"{"id":"s","name":"a product"}"#)])).unwrap(), vec![]);
    }

    #[test]
    fn refuses_what_lightspeed_did_not_sign() {
        let b = body(TYPE, PAYLOAD);
        let good = sign_hex(SECRET, b.as_bytes());
        let cases = [
            None,
            Some(String::new()),
            Some(sign_hex("wrong", b.as_bytes())),
            Some(good.replace("HMAC-SHA256", "HMAC-SHA1")),
            Some(good.replace("signature=", "signature=zz")),
            Some(good.split(',').next().unwrap().replace("signature=", "")),
            Some("algorithm=HMAC-SHA256".into()),
            Some(format!("{good},{}", good.split(',').next().unwrap())),
        ];
        for h in cases {
            assert!(matches!(read(b.as_bytes(), h.as_deref(), SECRET, now()), Err(PosError::Unauthorized(_))), "{h:?}");
        }
        assert!(matches!(read(b.as_bytes(), Some(&good), "", now()), Err(PosError::Unauthorized(_))));
        let tampered = b.replace("12.00000", "99.00000");
        assert!(matches!(read(tampered.as_bytes(), Some(&good), SECRET, now()), Err(PosError::Unauthorized(_))));
    }

    #[test]
    fn signed_garbage_is_a_bad_body() {
        let cases = [
            "payload=%ZZ".to_string(),
            "payload=%E9".into(),
            "type=inventory.update".into(),
            body(TYPE, "not json"),
            body(TYPE, "[1]"),
            body(TYPE, &PAYLOAD.replace("12.00000", "2.5")),
            body(TYPE, &PAYLOAD.replace(r#","count":"12.00000""#, "")),
            body(TYPE, &PAYLOAD.replace(r#""outlet_id":"0adaafb3-6583-11e5-fb60-e4bc3c8b1c02","#, "")),
        ];
        for b in cases {
            assert!(matches!(read_signed(&b), Err(PosError::BadBody(_))), "{b}");
        }
    }

    #[test]
    fn an_updated_at_far_ahead_is_taken_as_the_moment_it_arrived() {
        let p = r#"{"inventory_level":4,"product_id":"p-1","outlet_id":"o-1","updated_at":"2027-12-01T00:00:00Z"}"#;
        let c = &read_signed(&body(TYPE, p)).unwrap()[0];
        assert_eq!(c.event("A", "main-st", now()).unwrap().occurred_at, now());
    }

    #[test]
    fn oversize_is_refused_before_anything_else() {
        let big = vec![b'a'; super::super::MAX_BODY + 1];
        assert_eq!(read(&big, None, "", now()), Err(PosError::TooLarge));
    }
}
