//! Clover: `POST /webhooks/clover`, inventory (`I`) events, then a stock read-back.
//!
//! Clover signs nothing: every notice carries `X-Clover-Auth: <auth code>`, the code the
//! developer dashboard shows once the webhook URL is verified (`CLOVER_AUTH_CODE`); it is
//! compared in constant time. Before that, Clover posts `{"verificationCode": "..."}` once,
//! without the header, to prove the URL: that exact shape is the one body accepted unheaded,
//! and it changes nothing (the Worker answers 200 and logs the code for the operator).
//!
//! A notice is thin: `{"appId": "...", "merchants": {"<mId>": [{"objectId": "I:<itemId>",
//! "type": "CREATE" | "UPDATE" | "DELETE", "ts": <ms>}]}}`. Only `I:` objects that were created or
//! updated matter; for each the Worker reads
//! `GET {CLOVER_API_BASE}`[`item_stock_path`] with `Authorization: Bearer {CLOVER_API_TOKEN}`
//! and hands the answer to [`read_item_stock`], then builds the count with [`CloverItem::count`].

use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{check_size, parse_json, quantity_value, PosCount, PosError};
use crate::Timestamp;

const HEADER: &str = "X-Clover-Auth";
/// Latest `ts` accepted: 9999-12-31T23:59:59.999Z.
const MAX_TS: i64 = 253_402_300_799_999;

/// What one Clover post is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloverNotice {
    /// The one-time URL verification: show `code` to the operator; change nothing.
    Verification {
        /// The code to paste into Clover's dashboard.
        code: String,
    },
    /// An authenticated notice.
    Items {
        /// Items created or updated: read back each one's stock.
        items: Vec<CloverItem>,
        /// Entries that are not inventory items, or deleted items: the caller counts them as ignored.
        ignored: usize,
    },
}

/// One inventory item that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloverItem {
    /// The merchant (`mId`): the `pos_refs.clover` of a location.
    pub merchant_id: String,
    /// The item id, without the `I:` prefix: the `pos_refs.clover` of a SKU.
    pub item_id: String,
    /// When Clover saw the change (`ts`).
    pub observed_at: Timestamp,
    /// `<mId>:I:<itemId>:<ts>`: stable across redeliveries of the same change.
    pub dedupe_id: String,
}

impl CloverItem {
    /// The count once the stock is read back (`quantity` from [`read_item_stock`]).
    pub fn count(&self, quantity: i64) -> PosCount {
        PosCount {
            provider: "clover",
            dedupe_id: self.dedupe_id.clone(),
            item_ref: self.item_id.clone(),
            location_ref: self.merchant_id.clone(),
            quantity,
            observed_at: self.observed_at,
        }
    }
}

/// Verifies and reads one Clover post.
///
/// No `X-Clover-Auth` header: accepted only when the body is exactly
/// `{"verificationCode": "<code>"}`. With the header: it must equal `auth_code`.
pub fn read(body: &[u8], auth_header: Option<&str>, auth_code: &str) -> Result<CloverNotice, PosError> {
    check_size(body)?;
    let given = auth_header.map(str::trim).filter(|h| !h.is_empty());
    let Some(given) = given else {
        return verification(body).ok_or_else(|| PosError::Unauthorized(format!("the {HEADER} header is missing")));
    };
    if auth_code.is_empty() {
        return Err(PosError::Unauthorized("CLOVER_AUTH_CODE is not configured".into()));
    }
    // Compare digests so neither the content nor the length of the code leaks through timing.
    let same: bool = Sha256::digest(given.as_bytes()).ct_eq(&Sha256::digest(auth_code.as_bytes())).into();
    if !same {
        return Err(PosError::Unauthorized(format!("the {HEADER} header does not match")));
    }
    if let Some(v) = verification(body) {
        return Ok(v);
    }

    let v = parse_json(body)?;
    let merchants = v
        .get("merchants")
        .and_then(Value::as_object)
        .ok_or_else(|| PosError::BadBody("`merchants` must be an object".into()))?;
    let mut items = Vec::new();
    let mut ignored = 0;
    for (mid, updates) in merchants {
        if !is_clover_id(mid) {
            return Err(PosError::BadBody("a merchant id is not 1 to 64 letters and digits".into()));
        }
        let updates =
            updates.as_array().ok_or_else(|| PosError::BadBody(format!("`merchants.{mid}` must be a list")))?;
        for (i, u) in updates.iter().enumerate() {
            let at = |name: &str| format!("merchants.{mid}[{i}].{name}");
            let object_id = u
                .get("objectId")
                .and_then(Value::as_str)
                .ok_or_else(|| PosError::BadBody(format!("`{}` must be a string", at("objectId"))))?;
            let kind = u
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| PosError::BadBody(format!("`{}` must be a string", at("type"))))?;
            let ts = u
                .get("ts")
                .and_then(Value::as_i64)
                .filter(|t| (0..=MAX_TS).contains(t))
                .ok_or_else(|| PosError::BadBody(format!("`{}` must be milliseconds since 1970", at("ts"))))?;
            let Some((prefix, id)) = object_id.split_once(':') else {
                return Err(PosError::BadBody(format!("`{}` must be <type>:<id>", at("objectId"))));
            };
            if prefix != "I" || !matches!(kind, "CREATE" | "UPDATE") {
                ignored += 1;
                continue;
            }
            if !is_clover_id(id) {
                return Err(PosError::BadBody(format!("`{}` has no valid item id", at("objectId"))));
            }
            items.push(CloverItem {
                merchant_id: mid.clone(),
                item_id: id.to_string(),
                observed_at: Timestamp::from_millis(ts),
                dedupe_id: format!("{mid}:I:{id}:{ts}"),
            });
        }
    }
    Ok(CloverNotice::Items { items, ignored })
}

/// `/v3/merchants/{mId}/item_stocks/{itemId}`, to append to `CLOVER_API_BASE`. Ids that are
/// not plain Clover ids (letters and digits) are percent-encoded, dots included, so nothing can
/// change the path.
pub fn item_stock_path(merchant_id: &str, item_id: &str) -> String {
    format!("/v3/merchants/{}/item_stocks/{}", path_segment(merchant_id), path_segment(item_id))
}

/// Reads the answer of the stock read-back: `{"item": {"id": ...}, "stockCount": 127, "quantity": 127}`.
///
/// `quantity` is the stock (Clover allows decimals, refused here rather than rounded, and
/// negatives, read as 0); `stockCount` is the deprecated rounded form, used only when `quantity` is absent.
pub fn read_item_stock(body: &[u8]) -> Result<i64, PosError> {
    check_size(body)?;
    let v = parse_json(body)?;
    if !v.is_object() {
        return Err(PosError::BadBody("expected a JSON object".into()));
    }
    match (v.get("quantity").filter(|q| !q.is_null()), v.get("stockCount").filter(|q| !q.is_null())) {
        (Some(q), _) => quantity_value(q, "quantity"),
        (None, Some(q)) => quantity_value(q, "stockCount"),
        (None, None) => Err(PosError::BadBody("the item stock has no `quantity` or `stockCount`".into())),
    }
}

/// `{"verificationCode": "<1 to 128 printable ASCII>"}` and nothing else.
fn verification(body: &[u8]) -> Option<CloverNotice> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let obj = v.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    let code = obj.get("verificationCode")?.as_str()?;
    if code.is_empty() || code.len() > 128 || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    Some(CloverNotice::Verification { code: code.to_string() })
}

fn is_clover_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "0307e264-b33a-4913-88aa-37b10014a0b8";
    // Shaped like Clover's documented notice.
    const NOTICE: &str = r#"{"appId":"DRKVJT2ZRRRSC","merchants":{"SJ925KXCC7H3T":[{"objectId":"I:JFVJTMQ2EW7NT","type":"UPDATE","ts":1537970958000},{"objectId":"O:GHIVJT2ABCRSC","type":"CREATE","ts":1537970958001},{"objectId":"I:9JZP7X8H1QK3A","type":"DELETE","ts":1537970958002},{"objectId":"IC:ABCDEF","type":"UPDATE","ts":1537970958003}]}}"#;

    #[test]
    fn reads_an_authenticated_notice() {
        let n = read(NOTICE.as_bytes(), Some(CODE), CODE).unwrap();
        let item = CloverItem {
            merchant_id: "SJ925KXCC7H3T".into(),
            item_id: "JFVJTMQ2EW7NT".into(),
            observed_at: Timestamp::from_millis(1_537_970_958_000),
            dedupe_id: "SJ925KXCC7H3T:I:JFVJTMQ2EW7NT:1537970958000".into(),
        };
        assert_eq!(n, CloverNotice::Items { items: vec![item.clone()], ignored: 3 });
        let c = item.count(127);
        assert_eq!(
            (c.provider, c.item_ref.as_str(), c.location_ref.as_str(), c.quantity),
            ("clover", "JFVJTMQ2EW7NT", "SJ925KXCC7H3T", 127)
        );
    }

    #[test]
    fn the_verification_post_is_the_one_unheaded_body() {
        let v = br#"{"verificationCode":"ce7643c1-83ea-4218-abe6-da876c9c7a0a"}"#;
        let expected = CloverNotice::Verification { code: "ce7643c1-83ea-4218-abe6-da876c9c7a0a".into() };
        assert_eq!(read(v, None, ""), Ok(expected.clone()));
        assert_eq!(read(v, None, CODE), Ok(expected.clone()));
        assert_eq!(read(v, Some(CODE), CODE), Ok(expected));
        for body in [
            &br#"{"verificationCode":"x","merchants":{}}"#[..],
            br#"{"verificationCode":7}"#,
            br#"{"verificationCode":""}"#,
            br#"[{"verificationCode":"x"}]"#,
            NOTICE.as_bytes(),
        ] {
            assert!(
                matches!(read(body, None, CODE), Err(PosError::Unauthorized(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn refuses_a_wrong_or_unconfigured_auth_code() {
        for (h, code) in
            [(Some("nope"), CODE), (Some(""), CODE), (Some(CODE), ""), (Some(&CODE[..10]), CODE), (Some("x"), "")]
        {
            assert!(matches!(read(NOTICE.as_bytes(), h, code), Err(PosError::Unauthorized(_))), "{h:?}");
        }
        let v = br#"{"verificationCode":"c"}"#;
        assert!(matches!(read(v, Some("wrong"), CODE), Err(PosError::Unauthorized(_))));
    }

    #[test]
    fn authenticated_garbage_is_a_bad_body() {
        for body in [
            "garbage",
            "{}",
            r#"{"merchants":[]}"#,
            r#"{"merchants":{"M":{}}}"#,
            r#"{"merchants":{"M":[{"objectId":"I:A","type":"UPDATE"}]}}"#,
            r#"{"merchants":{"M":[{"objectId":"I:A","type":"UPDATE","ts":-1}]}}"#,
            r#"{"merchants":{"M":[{"objectId":"I:A","type":"UPDATE","ts":1.5}]}}"#,
            r#"{"merchants":{"M":[{"objectId":"IA","type":"UPDATE","ts":1}]}}"#,
            r#"{"merchants":{"M":[{"objectId":"I:../x","type":"UPDATE","ts":1}]}}"#,
            r#"{"merchants":{"M/x":[]}}"#,
        ] {
            assert!(matches!(read(body.as_bytes(), Some(CODE), CODE), Err(PosError::BadBody(_))), "{body}");
        }
    }

    #[test]
    fn reads_the_item_stock_answer() {
        assert_eq!(read_item_stock(br#"{"item":{"id":"3Z29BX6C013XC"},"stockCount":127,"quantity":127}"#), Ok(127));
        assert_eq!(read_item_stock(br#"{"item":{"id":"3Z29BX6C013XC"},"quantity":12.0}"#), Ok(12));
        assert_eq!(read_item_stock(br#"{"item":{"id":"3Z29BX6C013XC"},"stockCount":5}"#), Ok(5));
        assert_eq!(read_item_stock(br#"{"quantity":-2}"#), Ok(0), "oversold: nothing on the shelf");
        for body in [
            &br#"{"item":{"id":"3Z29BX6C013XC"},"stockCount":161,"quantity":160.5}"#[..],
            br#"{"quantity":1000001}"#,
            br#"{"item":{"id":"3Z29BX6C013XC"}}"#,
            b"[]",
            b"\xff",
        ] {
            assert!(matches!(read_item_stock(body), Err(PosError::BadBody(_))), "{}", String::from_utf8_lossy(body));
        }
        assert_eq!(read_item_stock(&vec![b' '; super::super::MAX_BODY + 1]), Err(PosError::TooLarge));
    }

    #[test]
    fn the_stock_path_cannot_be_steered() {
        assert_eq!(
            item_stock_path("SJ925KXCC7H3T", "JFVJTMQ2EW7NT"),
            "/v3/merchants/SJ925KXCC7H3T/item_stocks/JFVJTMQ2EW7NT"
        );
        assert_eq!(item_stock_path("M", "../../x?y"), "/v3/merchants/M/item_stocks/%2E%2E%2F%2E%2E%2Fx%3Fy");
    }

    #[test]
    fn oversize_is_refused_before_anything_else() {
        assert_eq!(read(&vec![b'{'; super::super::MAX_BODY + 1], None, ""), Err(PosError::TooLarge));
    }
}
