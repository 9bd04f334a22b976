//! WooCommerce: the ids lastunit keeps of its products (`pos_refs.woocommerce`), the REST
//! writes it sends, what their answers mean, and the stock a `product.updated` webhook carries.
//!
//! A simple product is one id (`"812"`); a variation of a variable product is written
//! `"parent/variation"` (`"812/815"`), because WooCommerce keeps a variation's stock under its
//! parent: `PUT {base}/products/812/variations/815` with
//! `{"manage_stock": true, "stock_quantity": n}`. Many SKUs at once (a resync, a burst across
//! SKUs) go in batches ([`stock_writes`]): `POST {base}/products/batch` with
//! `{"update": [{"id", "manage_stock", "stock_quantity"}, ...]}` for simple products and
//! `POST {base}/products/{parent}/variations/batch` for a parent's variations, at most
//! [`MAX_BATCH`] a request (WooCommerce: "limited to up to 100 objects"); the answer lists each
//! update in order, the product as written or `{"id", "error": {"code", "message"}}`. A lone
//! SKU is one `PUT`. The Worker adds HTTP Basic with the consumer key and secret. WooCommerce
//! itself has no rate limit, but hosts and firewalls in front of it do: lastunit sends at most
//! [`WRITES_PER_SECOND`] requests a second, and a `429` waits out its `Retry-After`.

use core::fmt;

use serde_json::{json, Value};

use super::{Answer, StoreRequest};
use crate::Error;

/// Most requests lastunit sends to one WooCommerce store in a second.
pub const WRITES_PER_SECOND: usize = 5;
/// Most updates in one batch request (WooCommerce's default limit).
pub const MAX_BATCH: usize = 100;

/// The `Authorization` header of the REST API: HTTP Basic of the consumer key and secret.
pub fn basic_auth(consumer_key: &str, consumer_secret: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{consumer_key}:{consumer_secret}")))
}

/// The write of `quantity` as the product's (or variation's) stock.
pub fn set_stock(woo: WooRef, quantity: i64) -> StoreRequest {
    StoreRequest {
        method: "PUT",
        path: woo.path(),
        body: json!({"manage_stock": true, "stock_quantity": quantity}).to_string(),
    }
}

/// The requests that write each `(product, quantity)` of `lines`, each with the indexes of the
/// lines it carries, in order: the lines of one endpoint (the simple products, or one parent's
/// variations) together, [`MAX_BATCH`] a request, in the order each endpoint first appears; an
/// endpoint with one line is a `PUT` of it.
pub fn stock_writes(lines: &[(WooRef, i64)]) -> Vec<(StoreRequest, Vec<usize>)> {
    let mut endpoints: Vec<(Option<u64>, Vec<usize>)> = Vec::new();
    for (i, (woo, _)) in lines.iter().enumerate() {
        let parent = woo.variation.map(|_| woo.product);
        match endpoints.iter_mut().find(|(p, _)| *p == parent) {
            Some((_, members)) => members.push(i),
            None => endpoints.push((parent, vec![i])),
        }
    }
    let mut out = Vec::new();
    for (parent, members) in endpoints {
        if let [only] = members[..] {
            let (woo, quantity) = lines[only];
            out.push((set_stock(woo, quantity), members));
            continue;
        }
        for chunk in members.chunks(MAX_BATCH) {
            let update: Vec<Value> = chunk
                .iter()
                .map(|&i| {
                    let (woo, quantity) = lines[i];
                    json!({"id": woo.variation.unwrap_or(woo.product), "manage_stock": true, "stock_quantity": quantity})
                })
                .collect();
            let path = match parent {
                None => "/products/batch".to_string(),
                Some(p) => format!("/products/{p}/variations/batch"),
            };
            out.push((StoreRequest { method: "POST", path, body: json!({"update": update}).to_string() }, chunk.to_vec()));
        }
    }
    out
}

/// What the answer to one of [`stock_writes`]' requests means for each line it carries
/// (`sent`, in the request's order). A `PUT`'s answer is one product; a batch's lists each
/// update in order, each the product written or its own error. An answer to the whole request
/// (a `429`, a 5xx, a refused key, no answer) is the same for every line.
pub fn read_writes_answer(answer: &Answer, request: &StoreRequest, sent: &[(WooRef, i64)]) -> Vec<StockOutcome> {
    let single = |o: StockOutcome| vec![o; sent.len()];
    if request.method == "PUT" {
        return sent.iter().map(|(_, q)| read_stock_answer(answer, *q)).collect();
    }
    let body = match answer {
        Answer::Response { status: 200..=299, body, .. } => body,
        other => return single(read_stock_answer(other, 0)),
    };
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let Some(updates) = v["update"].as_array() else {
        return single(StockOutcome::Failed("WooCommerce's batch answer has no `update` list".into()));
    };
    sent.iter()
        .enumerate()
        .map(|(i, (woo, quantity))| {
            let id = woo.variation.unwrap_or(woo.product);
            // In order, as WooCommerce answers; by id if the list was reordered.
            let u = updates.get(i).filter(|u| u["id"].as_u64() == Some(id)).or_else(|| {
                updates.iter().find(|u| u["id"].as_u64() == Some(id))
            });
            match u {
                None => StockOutcome::Failed(format!("WooCommerce's batch answer does not name product {id}")),
                Some(u) if u.get("error").is_some_and(|e| !e.is_null()) => {
                    let code = u["error"]["code"].as_str().unwrap_or("error").chars().take(80).collect::<String>();
                    StockOutcome::Refused(format!("WooCommerce refused the update: {code}"))
                }
                Some(u) => StockOutcome::Written(u["stock_quantity"].as_i64().unwrap_or(*quantity)),
            }
        })
        .collect()
}

/// What an answer to one write means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StockOutcome {
    /// Written; the store now holds this (its answer's `stock_quantity`).
    Written(i64),
    /// The store refuses this product (unknown id, a bad value): it waits for the operator.
    Refused(String),
    /// `429`: wait this long (its `Retry-After`, else a second).
    Throttled {
        /// Milliseconds to wait.
        wait_ms: i64,
    },
    /// No usable answer (a 5xx, no answer, a refused key): retried with backoff.
    Failed(String),
}

/// Reads the answer to a write of `quantity`.
pub fn read_stock_answer(answer: &Answer, quantity: i64) -> StockOutcome {
    let (status, retry_after_ms, body) = match answer {
        Answer::NoAnswer(why) => return StockOutcome::Failed(format!("no answer from WooCommerce: {why}")),
        Answer::Response { status, retry_after_ms, body } => (*status, *retry_after_ms, body),
    };
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let code = v["code"].as_str().unwrap_or("").chars().take(80).collect::<String>();
    match status {
        200..=299 => StockOutcome::Written(v["stock_quantity"].as_i64().unwrap_or(quantity)),
        429 => StockOutcome::Throttled { wait_ms: retry_after_ms.unwrap_or(1000).max(0) },
        401 | 403 => StockOutcome::Failed(format!(
            "WooCommerce refused the REST key (HTTP {status} {code}): check WOOCOMMERCE_CONSUMER_KEY, WOOCOMMERCE_CONSUMER_SECRET and their read/write permission"
        )),
        400 | 404 | 410 | 422 => StockOutcome::Refused(format!("WooCommerce answered HTTP {status} {code}")),
        _ => StockOutcome::Failed(format!("WooCommerce answered HTTP {status}")),
    }
}

/// The stock a `product.updated` body says the store holds: the product (or variation) and its
/// `stock_quantity`, `None` when the store does not manage its stock. Not JSON, or without an
/// `id`: `Err` with a sentence.
pub fn read_product_stock(body: &[u8]) -> Result<(WooRef, Option<i64>), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("the product is not JSON ({e})"))?;
    let id = v["id"].as_u64().filter(|n| *n > 0).ok_or("the product has no `id`")?;
    let woo = WooRef::of(id, v["parent_id"].as_u64().unwrap_or(0));
    let managed = v["manage_stock"].as_bool().unwrap_or(true);
    Ok((woo, v["stock_quantity"].as_i64().filter(|_| managed).map(|q| q.max(0))))
}

/// A WooCommerce product, or one variation of a variable product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WooRef {
    /// The product id (the parent, for a variation).
    pub product: u64,
    /// The variation id, for a variation.
    pub variation: Option<u64>,
}

impl WooRef {
    /// Reads `"812"` or `"812/815"`: positive whole ids, nothing else. Refused: `invalid_input`
    /// on `pos_refs`.
    pub fn parse(s: &str) -> Result<WooRef, Error> {
        let id = |part: &str| -> Option<u64> {
            if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok().filter(|n| *n > 0)
        };
        let parsed = match s.split_once('/') {
            None => id(s).map(|product| WooRef { product, variation: None }),
            Some((p, v)) => id(p).zip(id(v)).map(|(product, v)| WooRef { product, variation: Some(v) }),
        };
        parsed.ok_or_else(|| {
            Error::invalid(
                "pos_refs",
                format!(
                    "the woocommerce id `{s}` must be a product id (\"812\") or \"parent/variation\" (\"812/815\")"
                ),
            )
        })
    }

    /// The REST path of this product under the API base: `/products/812` or
    /// `/products/812/variations/815`.
    pub fn path(&self) -> String {
        match self.variation {
            None => format!("/products/{}", self.product),
            Some(v) => format!("/products/{}/variations/{v}", self.product),
        }
    }

    /// The ref of a product as WooCommerce describes it (`id`, and `parent_id` which is 0 for
    /// a product that is not a variation), e.g. in an order line or a `product.updated` body.
    pub fn of(id: u64, parent_id: u64) -> WooRef {
        if parent_id == 0 {
            WooRef { product: id, variation: None }
        } else {
            WooRef { product: parent_id, variation: Some(id) }
        }
    }
}

impl fmt::Display for WooRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.variation {
            None => write!(f, "{}", self.product),
            Some(v) => write!(f, "{}/{v}", self.product),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_variations() {
        let simple = WooRef::parse("812").unwrap();
        assert_eq!((simple.path(), simple.to_string()), ("/products/812".into(), "812".into()));
        let variation = WooRef::parse("812/815").unwrap();
        assert_eq!(variation.path(), "/products/812/variations/815");
        assert_eq!(variation.to_string(), "812/815");
        assert_eq!(WooRef::of(815, 812), variation);
        assert_eq!(WooRef::of(812, 0), simple);
    }

    #[test]
    fn the_key_and_secret_are_http_basic() {
        assert_eq!(basic_auth("ck_standin", "cs_standin"), "Basic Y2tfc3RhbmRpbjpjc19zdGFuZGlu");
    }

    #[test]
    fn one_put_per_sku_and_what_each_answer_means() {
        let r = set_stock(WooRef::parse("812/815").unwrap(), 4);
        assert_eq!((r.method, r.path.as_str()), ("PUT", "/products/812/variations/815"));
        assert_eq!(serde_json::from_str::<Value>(&r.body).unwrap(), json!({"manage_stock": true, "stock_quantity": 4}));
        let answer = |status: u16, retry: Option<i64>, body: &str| Answer::Response {
            status,
            retry_after_ms: retry,
            body: body.into(),
        };
        assert_eq!(
            read_stock_answer(&answer(200, None, r#"{"id":815,"stock_quantity":4}"#), 4),
            StockOutcome::Written(4)
        );
        assert_eq!(read_stock_answer(&answer(429, Some(7000), ""), 4), StockOutcome::Throttled { wait_ms: 7000 });
        assert_eq!(read_stock_answer(&answer(429, None, ""), 4), StockOutcome::Throttled { wait_ms: 1000 });
        assert!(matches!(
            read_stock_answer(&answer(404, None, r#"{"code":"woocommerce_rest_product_invalid_id"}"#), 4),
            StockOutcome::Refused(m) if m.contains("woocommerce_rest_product_invalid_id")
        ));
        assert!(matches!(read_stock_answer(&answer(503, None, "<html>"), 4), StockOutcome::Failed(_)));
        assert!(
            matches!(read_stock_answer(&answer(401, None, "{}"), 4), StockOutcome::Failed(m) if m.contains("REST key"))
        );
        assert!(matches!(read_stock_answer(&Answer::NoAnswer("timed out".into()), 4), StockOutcome::Failed(_)));
    }

    #[test]
    fn many_skus_go_in_batches_of_one_endpoint_and_a_lone_one_is_a_put() {
        let r = |s: &str| WooRef::parse(s).unwrap();
        let mut lines = vec![(r("901"), 3), (r("812/815"), 1), (r("902"), 0), (r("700/701"), 9), (r("812/816"), 2)];
        let plan = stock_writes(&lines);
        let shape: Vec<(&str, &str, &[usize])> =
            plan.iter().map(|(q, i)| (q.method, q.path.as_str(), i.as_slice())).collect();
        assert_eq!(
            shape,
            [
                ("POST", "/products/batch", &[0, 2][..]),
                ("POST", "/products/812/variations/batch", &[1, 4][..]),
                ("PUT", "/products/700/variations/701", &[3][..]),
            ]
        );
        assert_eq!(
            serde_json::from_str::<Value>(&plan[1].0.body).unwrap(),
            json!({"update": [{"id": 815, "manage_stock": true, "stock_quantity": 1}, {"id": 816, "manage_stock": true, "stock_quantity": 2}]})
        );
        lines = (1..=250).map(|i| (WooRef { product: i, variation: None }, 1)).collect();
        let sizes: Vec<usize> = stock_writes(&lines).iter().map(|(_, i)| i.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
    }

    #[test]
    fn a_batch_answer_says_what_became_of_each_update() {
        let r = |s: &str| WooRef::parse(s).unwrap();
        let sent = [(r("901"), 3), (r("902"), 4), (r("903"), 5)];
        let (request, _) = stock_writes(&sent).remove(0);
        let ok = |body: &str| Answer::Response { status: 200, retry_after_ms: None, body: body.into() };
        let body = r#"{"update":[{"id":901,"stock_quantity":3},
            {"id":902,"error":{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":400}}},
            {"id":903,"stock_quantity":5}]}"#;
        let out = read_writes_answer(&ok(body), &request, &sent);
        assert_eq!(out[0], StockOutcome::Written(3));
        assert!(matches!(&out[1], StockOutcome::Refused(m) if m.contains("woocommerce_rest_product_invalid_id")));
        assert_eq!(out[2], StockOutcome::Written(5));
        let throttled = Answer::Response { status: 429, retry_after_ms: Some(3000), body: String::new() };
        assert_eq!(read_writes_answer(&throttled, &request, &sent), vec![StockOutcome::Throttled { wait_ms: 3000 }; 3]);
        assert!(read_writes_answer(&ok("{}"), &request, &sent).iter().all(|o| matches!(o, StockOutcome::Failed(_))));
        let missing = read_writes_answer(&ok(r#"{"update":[{"id":901,"stock_quantity":3}]}"#), &request, &sent);
        assert!(matches!(&missing[2], StockOutcome::Failed(m) if m.contains("903")));
        let (put, _) = stock_writes(&sent[..1]).remove(0);
        assert_eq!(read_writes_answer(&ok(r#"{"id":901,"stock_quantity":3}"#), &put, &sent[..1]), [StockOutcome::Written(3)]);
    }

    #[test]
    fn a_product_updated_body_says_which_product_holds_how_many() {
        let variation = br#"{"id":815,"parent_id":812,"sku":"shirt-m","manage_stock":true,"stock_quantity":3}"#;
        assert_eq!(read_product_stock(variation), Ok((WooRef::parse("812/815").unwrap(), Some(3))));
        let simple = br#"{"id":901,"parent_id":0,"manage_stock":true,"stock_quantity":-2}"#;
        assert_eq!(read_product_stock(simple), Ok((WooRef::parse("901").unwrap(), Some(0))));
        let unmanaged = br#"{"id":901,"manage_stock":false,"stock_quantity":null}"#;
        assert_eq!(read_product_stock(unmanaged).unwrap().1, None);
        assert!(read_product_stock(b"[]").is_err() && read_product_stock(b"nope").is_err());
    }

    #[test]
    fn anything_else_is_refused_with_the_rule() {
        for bad in ["", "0", "-1", "a1", "812/", "/815", "812/815/9", "1.5", " 812", "99999999999999999999", "812/0"] {
            let e = WooRef::parse(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_input", "{bad}");
            assert!(e.to_string().contains("\"parent/variation\""), "{bad}");
        }
    }
}
