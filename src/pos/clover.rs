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
//!
//! **The count is stamped with the moment it was read**, not with the notice's `ts`: the stock
//! read back already includes whatever moved between the change Clover noticed and the read, so
//! a movement the edge applied in between is inside the count, not added to it a second time.
//!
//! **At most [`MAX_READ_BACKS`] read-backs per notice.** Each is a subrequest, and a Worker
//! invocation may make only so many (50 on the free plan, together with the calls to the catalog
//! and the SKU objects): an unbounded notice would fail every time and Clover would retry it
//! forever. An item named twice in one notice is read once (its latest change). The items beyond
//! the bound are not read: they are counted in `ignored`, and that item's next notice (any change
//! to it) brings its stock up to date.

use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{check_size, parse_json, quantity_value, PosCount, PosError};
use crate::Timestamp;

const HEADER: &str = "X-Clover-Auth";
/// The most items one notice has read back; see the module documentation for the rest.
pub const MAX_READ_BACKS: usize = 10;
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
        /// Items created or updated, at most [`MAX_READ_BACKS`]: read back each one's stock.
        items: Vec<CloverItem>,
        /// Entries that are not inventory items, deleted items, an item's earlier changes in the
        /// same notice, and the items beyond [`MAX_READ_BACKS`]: the caller counts them as ignored.
        ignored: usize,
        /// Of `ignored`, the items not read because of [`MAX_READ_BACKS`] (for the caller's log).
        beyond_bound: usize,
    },
}

/// One inventory item that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloverItem {
    /// The merchant (`mId`): the `pos_refs.clover` of a location.
    pub merchant_id: String,
    /// The item id, without the `I:` prefix: the `pos_refs.clover` of a SKU.
    pub item_id: String,
    /// `<mId>:I:<itemId>:<ts>`: stable across redeliveries of the same change.
    pub dedupe_id: String,
    /// When Clover saw the change (`ts`): orders an item's changes within one notice.
    ts: i64,
}

impl CloverItem {
    /// The count once the stock is read back: `quantity` from [`read_item_stock`], observed at
    /// `read_at`, the moment the read-back answered.
    pub fn count(&self, quantity: i64, read_at: Timestamp) -> PosCount {
        PosCount {
            provider: "clover",
            dedupe_id: self.dedupe_id.clone(),
            item_ref: self.item_id.clone(),
            location_ref: self.merchant_id.clone(),
            quantity,
            observed_at: read_at,
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
    let mut items: Vec<CloverItem> = Vec::new();
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
            let item = CloverItem {
                merchant_id: mid.clone(),
                item_id: id.to_string(),
                dedupe_id: format!("{mid}:I:{id}:{ts}"),
                ts,
            };
            // The same item twice: one read-back gives its stock; keep the latest change's id.
            match items.iter_mut().find(|k| k.merchant_id == item.merchant_id && k.item_id == item.item_id) {
                Some(k) => {
                    ignored += 1;
                    if item.ts >= k.ts {
                        *k = item;
                    }
                }
                None => items.push(item),
            }
        }
    }
    let beyond_bound = items.len().saturating_sub(MAX_READ_BACKS);
    items.truncate(MAX_READ_BACKS);
    Ok(CloverNotice::Items { items, ignored: ignored + beyond_bound, beyond_bound })
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
            dedupe_id: "SJ925KXCC7H3T:I:JFVJTMQ2EW7NT:1537970958000".into(),
            ts: 1_537_970_958_000,
        };
        assert_eq!(n, CloverNotice::Items { items: vec![item.clone()], ignored: 3, beyond_bound: 0 });
        let read_at = Timestamp::from_millis(1_537_970_960_500);
        let c = item.count(127, read_at);
        assert_eq!(
            (c.provider, c.item_ref.as_str(), c.location_ref.as_str(), c.quantity),
            ("clover", "JFVJTMQ2EW7NT", "SJ925KXCC7H3T", 127)
        );
        assert_eq!(c.observed_at, read_at, "stamped when read, not when Clover noticed the change");
    }

    #[test]
    fn a_notice_reads_back_each_item_once_and_at_most_the_bound() {
        let update = |item: usize, ts: i64| format!(r#"{{"objectId":"I:ITEM{item}","type":"UPDATE","ts":{ts}}}"#);
        let mut updates: Vec<String> = (0..MAX_READ_BACKS + 5).map(|i| update(i, 1_000 + i as i64)).collect();
        updates.push(update(0, 5_000));
        updates.push(update(1, 10));
        let body = format!(r#"{{"appId":"A","merchants":{{"M":[{}]}}}}"#, updates.join(","));
        let CloverNotice::Items { items, ignored, beyond_bound } = read(body.as_bytes(), Some(CODE), CODE).unwrap()
        else {
            panic!("not items")
        };
        assert_eq!(items.len(), MAX_READ_BACKS);
        assert_eq!(beyond_bound, 5);
        assert_eq!(ignored, 2 + 5, "two repeats and the five beyond the bound");
        assert_eq!(items[0].dedupe_id, "M:I:ITEM0:5000", "an item's latest change");
        assert_eq!(items[1].dedupe_id, "M:I:ITEM1:1001");
    }

    #[test]
    fn a_read_time_far_ahead_is_taken_as_the_moment_it_arrived() {
        let item = match read(NOTICE.as_bytes(), Some(CODE), CODE).unwrap() {
            CloverNotice::Items { items, .. } => items[0].clone(),
            other => panic!("{other:?}"),
        };
        let arrived = Timestamp::parse("2026-11-26T10:00:00Z").unwrap();
        let skewed = item.count(3, Timestamp::parse("2027-12-01T00:00:00Z").unwrap());
        assert_eq!(skewed.event("A", "main-st", arrived).unwrap().occurred_at, arrived);
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
