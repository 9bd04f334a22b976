//! The generic webhook: `POST /webhooks/lastunit`, and the signature of the Worker's pushes.
//!
//! `X-Lastunit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed
//! with `LASTUNIT_WEBHOOK_SECRET`. A signature whose `t` is more than [`TOLERANCE_SECONDS`] from
//! `now` is refused, so a captured delivery cannot be replayed later. Several `v1=` entries may
//! be given (one per secret while a secret is rotated); one matching is enough. Unknown keys
//! are skipped.

use crate::event::{check_batch, StockEvent};
use crate::{Error, Timestamp};

use super::{check_secret, check_size, decode_hex_digest, header, hmac_sha256, parse_json, verify_hmac, PosError};

/// How far `t` may be from `now`, either way: 300 seconds.
pub const TOLERANCE_SECONDS: i64 = 300;

const HEADER: &str = "X-Lastunit-Signature";

/// Verifies and reads one generic delivery: one event, or `{"events": [...]}` (1 to
/// [`MAX_BATCH`](crate::event::MAX_BATCH)), checked by [`check_batch`] as from provider
/// `lastunit`. One bad event refuses the whole delivery ([`PosError::BadBody`] naming its
/// position), so nothing is half applied; an `occurred_at` more than 300 s ahead is
/// [`PosError::Refused`] (422, field `occurred_at`), as on `/admin/events`. The events come back
/// in order.
pub fn read(
    body: &[u8],
    signature_header: Option<&str>,
    secret: &str,
    now: Timestamp,
) -> Result<Vec<StockEvent>, PosError> {
    check_size(body)?;
    check_secret(secret, "LASTUNIT_WEBHOOK_SECRET")?;
    let (t, signatures) = parse_header(header(signature_header, HEADER)?)?;
    let skew = i128::from(now.millis()) - i128::from(t) * 1000;
    if skew.abs() > i128::from(TOLERANCE_SECONDS) * 1000 {
        return Err(PosError::Unauthorized(format!(
            "the signature's time is more than {TOLERANCE_SECONDS} s from now"
        )));
    }
    let t_text = t.to_string();
    let parts: [&[u8]; 3] = [t_text.as_bytes(), b".", body];
    if !signatures.iter().any(|sig| verify_hmac(secret.as_bytes(), &parts, sig).is_ok()) {
        return Err(PosError::Unauthorized("the signature does not match".into()));
    }

    check_batch(&parse_json(body)?, "lastunit", now).map_err(|e| match e {
        Error::InvalidInput { field: "occurred_at", .. } => PosError::Refused(e),
        other => PosError::BadBody(other.to_string()),
    })
}

/// The `X-Lastunit-Signature` value for `body` sent at `t_unix_seconds`:
/// `t=<t>,v1=<lowercase hex>`.
pub fn sign(secret: &str, t_unix_seconds: i64, body: &[u8]) -> String {
    let t = t_unix_seconds.to_string();
    let digest = hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={}", hex::encode(digest))
}

/// `t=<digits>` exactly once, at least one `v1=<64 hex>`.
fn parse_header(h: &str) -> Result<(i64, Vec<Vec<u8>>), PosError> {
    let malformed = || PosError::Unauthorized(format!("the {HEADER} header must be t=<unix seconds>,v1=<hex>"));
    let mut t = None;
    let mut sigs = Vec::new();
    for part in h.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or_else(malformed)?;
        match k.trim() {
            "t" => {
                let v = v.trim();
                if t.is_some() || v.is_empty() || v.len() > 12 || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(malformed());
                }
                t = Some(v.parse::<i64>().map_err(|_| malformed())?);
            }
            "v1" if sigs.len() < 8 => sigs.push(decode_hex_digest(v.trim(), HEADER)?),
            "v1" => return Err(malformed()),
            _ => {}
        }
    }
    match t {
        Some(t) if !sigs.is_empty() => Ok((t, sigs)),
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "hush-lastunit";
    const ONE: &str = r#"{"event_id":"e-991","type":"sale","sku":"A","location":"main-st","quantity":1,"channel":"store","occurred_at":"2026-11-26T10:00:00Z"}"#;
    const T: i64 = 1_795_687_200; // 2026-11-26T10:00:00Z

    fn now() -> Timestamp {
        Timestamp::from_millis(T * 1000)
    }

    #[test]
    fn reads_one_signed_event_or_a_batch() {
        let got = read(ONE.as_bytes(), Some(&sign(SECRET, T, ONE.as_bytes())), SECRET, now()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].source.event_id, "e-991");
        let batch = format!(r#"{{"events":[{ONE},{}]}}"#, ONE.replace("e-991", "e-992"));
        let got = read(batch.as_bytes(), Some(&sign(SECRET, T - 10, batch.as_bytes())), SECRET, now()).unwrap();
        assert_eq!(got.iter().map(|e| e.source.event_id.as_str()).collect::<Vec<_>>(), ["e-991", "e-992"]);
    }

    #[test]
    fn the_signature_format_is_the_documented_one() {
        // Same as: printf '%s' "1795687200.{}" | openssl dgst -sha256 -hmac hush-lastunit
        let h = sign(SECRET, T, b"{}");
        assert!(h.starts_with("t=1795687200,v1="));
        assert_eq!(h.len(), "t=1795687200,v1=".len() + 64);
        let expected = hex::encode(hmac_sha256(SECRET.as_bytes(), &[b"1795687200.{}"]));
        assert_eq!(h, format!("t=1795687200,v1={expected}"));
    }

    #[test]
    fn matches_the_openssl_example_in_docs_pos() {
        // docs/POS.md: printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET"
        assert_eq!(
            sign("whsec_demo", T, ONE.as_bytes()),
            "t=1795687200,v1=a57c441d46a716165ee5480ef2b6368c77e6ea5488477c4f232342cfc7234595"
        );
    }

    #[test]
    fn refuses_stale_unsigned_or_wrongly_signed_deliveries() {
        let body = ONE.as_bytes();
        let good = sign(SECRET, T, body);
        assert!(read(body, Some(&sign(SECRET, T - 300, body)), SECRET, now()).is_ok());
        assert!(read(body, Some(&sign(SECRET, T + 300, body)), SECRET, now()).is_ok());
        let cases = [
            None,
            Some(String::new()),
            Some(sign(SECRET, T - 301, body)),
            Some(sign(SECRET, T + 301, body)),
            Some(sign("wrong", T, body)),
            Some(good.replace("t=", "t=1")),
            Some(good.replace("v1=", "v1=0")),
            Some(format!("t={T}")),
            Some(good.split(',').nth(1).unwrap().to_string()),
            Some(format!("t=-{T},v1={}", "00".repeat(32))),
            Some(format!("t=99999999999999999999,{}", good.split(',').nth(1).unwrap())),
        ];
        for h in cases {
            assert!(matches!(read(body, h.as_deref(), SECRET, now()), Err(PosError::Unauthorized(_))), "{h:?}");
        }
        assert!(matches!(read(body, Some(&good), "", now()), Err(PosError::Unauthorized(_))));
        // A second v1 (secret rotation) and unknown keys are fine.
        let rotated = format!("{},v1={},v0=zz", sign("old", T, body), good.split("v1=").nth(1).unwrap());
        assert!(read(body, Some(&rotated), SECRET, now()).is_ok());
    }

    #[test]
    fn signed_garbage_is_a_bad_body() {
        let many = format!(r#"{{"events":[{}]}}"#, vec![ONE; crate::event::MAX_BATCH + 1].join(","));
        let cases = [
            "garbage".to_string(),
            "[]".into(),
            r#"{"events":[]}"#.into(),
            r#"{"events":{}}"#.into(),
            many,
            ONE.replace("\"quantity\":1", "\"quantity\":0"),
            ONE.replace("\"sku\":\"A\"", "\"sku\":\"A B\""),
            ONE.replace("\"type\":\"sale\"", "\"type\":\"steal\""),
            ONE.replace("}", ",\"extra\":1}"),
        ];
        for body in cases {
            let h = sign(SECRET, T, body.as_bytes());
            assert!(matches!(read(body.as_bytes(), Some(&h), SECRET, now()), Err(PosError::BadBody(_))), "{body:.80}");
        }
    }

    #[test]
    fn an_event_dated_more_than_300_s_ahead_is_refused_as_on_admin_events() {
        let body = ONE.replace("2026-11-26T10:00:00Z", "2027-12-01T00:00:00Z");
        let h = sign(SECRET, T, body.as_bytes());
        match read(body.as_bytes(), Some(&h), SECRET, now()) {
            Err(PosError::Refused(Error::InvalidInput { field: "occurred_at", .. })) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn oversize_is_refused_before_anything_else() {
        let big = vec![b'{'; super::super::MAX_BODY + 1];
        assert_eq!(read(&big, None, "", now()), Err(PosError::TooLarge));
    }
}
