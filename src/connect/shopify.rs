//! Shopify's Admin GraphQL API: the requests lastunit sends (built here, so they are tested
//! here; the Worker only adds `X-Shopify-Access-Token` and POSTs them to
//! `{SHOPIFY_ADMIN_API_BASE}/graphql.json`) and what their answers mean.
//!
//! - Writes: one `inventorySetQuantities` for many SKUs (at most [`MAX_QUANTITIES`], Shopify's
//!   limit on any input array), `name: "available"`, `reason: "correction"`, a
//!   `referenceDocumentUri` naming lastunit, `@idempotent(key:)`, and per SKU
//!   `changeFromQuantity`: the quantity lastunit last knew Shopify held (`null` when unknown,
//!   which skips the compare). Shopify applies all of a mutation or none of it.
//! - Read-backs: `inventoryLevel(id: "gid://shopify/InventoryLevel/{location}?inventory_item_id={item}")`,
//!   many in one query under aliases, after `CHANGE_FROM_QUANTITY_STALE`.
//! - Cost: every answer carries `extensions.cost.throttleStatus`; a `THROTTLED` answer (HTTP 200
//!   or 429) says how long to wait: `(requestedQueryCost - currentlyAvailable) / restoreRate`
//!   seconds, or `Retry-After` when sent.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Answer, StoreRequest};
use crate::Timestamp;

/// Most quantities in one mutation, and levels in one read-back (Shopify: input arrays of at
/// most 250; read-backs are few and cheap, 50 keeps a query far below any cost limit).
pub const MAX_QUANTITIES: usize = 250;
/// Most levels read back in one query.
pub const MAX_READ_BACKS: usize = 50;
/// What a mutation costs before Shopify has told us (its documented base cost).
pub const WRITE_COST: f64 = 10.0;
/// What one level of a read-back costs before Shopify has told us (an object and its list of
/// quantities, a point each).
pub const READ_BACK_COST_PER_LEVEL: f64 = 2.0;

const SET_QUANTITIES: &str = "mutation SetAvailable($input: InventorySetQuantitiesInput!, $key: String!) { \
inventorySetQuantities(input: $input) @idempotent(key: $key) { \
inventoryAdjustmentGroup { id } userErrors { code field message } } }";

/// One SKU in a write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetLine {
    /// `pos_refs.shopify` of the SKU: its inventory item id.
    pub item_ref: String,
    /// The channel's available units.
    pub quantity: i64,
    /// What lastunit last knew Shopify held (`None`: unknown, sent as `null`).
    pub change_from: Option<i64>,
}

/// `gid://shopify/{kind}/{id}`.
pub fn gid(kind: &str, id: &str) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// The write of `lines` at the Shopify location `location_ref`, under idempotency key `key`.
pub fn set_quantities(location_ref: &str, lines: &[SetLine], key: &str) -> StoreRequest {
    let quantities: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "inventoryItemId": gid("InventoryItem", &l.item_ref),
                "locationId": gid("Location", location_ref),
                "quantity": l.quantity,
                "changeFromQuantity": l.change_from,
            })
        })
        .collect();
    let variables = json!({
        "key": key,
        "input": {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": format!("gid://lastunit/AvailabilitySync/{key}"),
            "quantities": quantities,
        }
    });
    graphql(SET_QUANTITIES, variables)
}

/// A read-back of the `available` level of each item at the location, one alias per item.
pub fn read_levels(location_ref: &str, item_refs: &[String]) -> StoreRequest {
    let mut params = Vec::new();
    let mut fields = Vec::new();
    let mut variables = serde_json::Map::new();
    for (i, item) in item_refs.iter().enumerate() {
        params.push(format!("$l{i}: ID!"));
        fields.push(format!(
            "l{i}: inventoryLevel(id: $l{i}) {{ quantities(names: [\"available\"]) {{ name quantity }} }}"
        ));
        variables.insert(
            format!("l{i}"),
            json!(format!("gid://shopify/InventoryLevel/{location_ref}?inventory_item_id={item}")),
        );
    }
    let query = format!("query ReadBack({}) {{ {} }}", params.join(", "), fields.join(" "));
    graphql(&query, Value::Object(variables))
}

fn graphql(query: &str, variables: Value) -> StoreRequest {
    StoreRequest {
        method: "POST",
        path: "/graphql.json".into(),
        body: json!({"query": query, "variables": variables}).to_string(),
    }
}

/// Shopify's cost bucket as an answer last described it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Points available when seen.
    pub available: f64,
    /// Points restored per second.
    pub restore_rate: f64,
    /// The bucket's size.
    pub maximum: f64,
    /// When it was seen.
    pub at: Timestamp,
    /// What the request it answered cost up front (`requestedQueryCost`; 0 when not said).
    #[serde(default)]
    pub requested: f64,
}

impl Bucket {
    /// Points available at `now` (restored since it was seen, never above the maximum).
    pub fn available_at(&self, now: Timestamp) -> f64 {
        let restored = self.restore_rate * (now.millis() - self.at.millis()).max(0) as f64 / 1000.0;
        (self.available + restored).min(self.maximum)
    }

    /// When `cost` points will be available (now, if they are).
    pub fn ready_for(&self, cost: f64, now: Timestamp) -> Timestamp {
        let short = cost - self.available_at(now);
        if short <= 0.0 || self.restore_rate <= 0.0 {
            return now;
        }
        now.plus((short / self.restore_rate * 1000.0).ceil() as i64)
    }
}

/// What an answer to a write means.
#[derive(Clone, Debug, PartialEq)]
pub enum SetOutcome {
    /// Every quantity was set.
    Applied,
    /// Nothing was applied; these lines (indexes) compared against a stale quantity. The
    /// others are sent again after those are read back.
    Stale(Vec<usize>),
    /// Nothing was applied; Shopify refuses these lines (index, code and message): an unknown
    /// item, an item not stocked at the location. They wait for the operator.
    Refused(Vec<(usize, String)>),
    /// Nothing was applied, and Shopify will not take this idempotency key again
    /// (`IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED`: "Retry with a new idempotency key";
    /// `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`): the newest numbers go out under a new key, after
    /// the backoff.
    NewKey(String),
    /// Over the cost bucket: wait this long, then send the same request again.
    Throttled {
        /// Milliseconds to wait.
        wait_ms: i64,
    },
    /// No usable answer (a 5xx, a refused token, an unreadable body, a GraphQL error): retried
    /// with backoff. The sentence says what happened, never what was sent.
    Failed(String),
}

/// Reads the answer to a write, and the cost bucket it describes, at `now`.
pub fn read_set_answer(answer: &Answer, lines: usize, now: Timestamp) -> (SetOutcome, Option<Bucket>) {
    let (status, retry_after, v) = match decode(answer) {
        Ok(x) => x,
        Err(why) => return (SetOutcome::Failed(why), None),
    };
    let bucket = bucket(&v, now);
    if let Some(wait_ms) = throttled(status, retry_after, &v) {
        return (SetOutcome::Throttled { wait_ms }, bucket);
    }
    if let Some(why) = failure(status, &v) {
        return (SetOutcome::Failed(why), bucket);
    }
    let payload = &v["data"]["inventorySetQuantities"];
    if !payload.is_object() {
        return (SetOutcome::Failed("Shopify's answer has no inventorySetQuantities".into()), bucket);
    }
    let errors = payload["userErrors"].as_array().cloned().unwrap_or_default();
    if errors.is_empty() {
        return (SetOutcome::Applied, bucket);
    }
    let mut stale = Vec::new();
    let mut refused = Vec::new();
    for e in &errors {
        let code = e["code"].as_str().unwrap_or("UNKNOWN").to_string();
        let message = e["message"].as_str().unwrap_or("").chars().take(200).collect::<String>();
        // `field` is the path to the input at fault: ["input", "quantities", "3", "changeFromQuantity"].
        let index = e["field"]
            .as_array()
            .and_then(|f| f.iter().skip_while(|p| p.as_str() != Some("quantities")).nth(1).cloned())
            .and_then(|p| p.as_str().and_then(|s| s.parse::<usize>().ok()).or(p.as_u64().map(|n| n as usize)))
            .filter(|i| *i < lines);
        if matches!(code.as_str(), "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" | "IDEMPOTENCY_KEY_PARAMETER_MISMATCH") {
            return (SetOutcome::NewKey(format!("Shopify refused the idempotency key: {code}: {message}")), bucket);
        }
        match (code.as_str(), index) {
            ("CHANGE_FROM_QUANTITY_STALE" | "COMPARE_QUANTITY_STALE", Some(i)) => stale.push(i),
            (_, Some(i)) => refused.push((i, format!("{code}: {message}"))),
            (_, None) => return (SetOutcome::Failed(format!("Shopify refused the write: {code}: {message}")), bucket),
        }
    }
    if refused.is_empty() {
        (SetOutcome::Stale(stale), bucket)
    } else {
        (SetOutcome::Refused(refused), bucket)
    }
}

/// What an answer to a read-back means: each item's `available` (`None`: not stocked at the
/// location), or why it could not be read.
pub fn read_levels_answer(
    answer: &Answer,
    items: usize,
    now: Timestamp,
) -> (Result<Vec<Option<i64>>, SetOutcome>, Option<Bucket>) {
    let (status, retry_after, v) = match decode(answer) {
        Ok(x) => x,
        Err(why) => return (Err(SetOutcome::Failed(why)), None),
    };
    let bucket = bucket(&v, now);
    if let Some(wait_ms) = throttled(status, retry_after, &v) {
        return (Err(SetOutcome::Throttled { wait_ms }), bucket);
    }
    if let Some(why) = failure(status, &v) {
        return (Err(SetOutcome::Failed(why)), bucket);
    }
    let levels = (0..items)
        .map(|i| {
            v["data"][format!("l{i}")]["quantities"]
                .as_array()?
                .iter()
                .find(|q| q["name"] == "available")
                .and_then(|q| q["quantity"].as_i64())
        })
        .collect();
    (Ok(levels), bucket)
}

fn decode(answer: &Answer) -> Result<(u16, Option<i64>, Value), String> {
    match answer {
        Answer::NoAnswer(why) => Err(format!("no answer from Shopify: {why}")),
        Answer::Response { status, retry_after_ms, body } => {
            let v = serde_json::from_str(body).unwrap_or(Value::Null);
            Ok((*status, *retry_after_ms, v))
        }
    }
}

fn bucket(v: &Value, now: Timestamp) -> Option<Bucket> {
    let t = &v["extensions"]["cost"]["throttleStatus"];
    Some(Bucket {
        available: t["currentlyAvailable"].as_f64()?,
        restore_rate: t["restoreRate"].as_f64()?,
        maximum: t["maximumAvailable"].as_f64()?,
        at: now,
        requested: v["extensions"]["cost"]["requestedQueryCost"].as_f64().unwrap_or(0.0),
    })
}

/// How long a throttled answer says to wait: `Retry-After` when sent, else what the bucket
/// lacks for the requested cost at its restore rate (at least a second when it says nothing).
pub(super) fn throttled(status: u16, retry_after_ms: Option<i64>, v: &Value) -> Option<i64> {
    let code_throttled = v["errors"]
        .as_array()
        .is_some_and(|es| es.iter().any(|e| e["extensions"]["code"] == "THROTTLED" || e["message"] == "Throttled"));
    if !code_throttled && status != 429 {
        return None;
    }
    if let Some(ms) = retry_after_ms {
        return Some(ms.max(0));
    }
    let cost = &v["extensions"]["cost"];
    let requested = cost["requestedQueryCost"].as_f64();
    let available = cost["throttleStatus"]["currentlyAvailable"].as_f64();
    let rate = cost["throttleStatus"]["restoreRate"].as_f64().filter(|r| *r > 0.0);
    match (requested, available, rate) {
        (Some(r), Some(a), Some(rate)) => Some((((r - a).max(0.0) / rate) * 1000.0).ceil() as i64),
        _ => Some(1000),
    }
}

fn failure(status: u16, v: &Value) -> Option<String> {
    if status == 401 || status == 403 {
        return Some(format!(
            "Shopify refused the access token (HTTP {status}): check SHOPIFY_ADMIN_TOKEN and its scopes"
        ));
    }
    if !(200..300).contains(&status) {
        return Some(format!("Shopify answered HTTP {status}"));
    }
    if let Some(first) = v["errors"].as_array().and_then(|e| e.first()) {
        let message = first["message"].as_str().unwrap_or("a GraphQL error").chars().take(200).collect::<String>();
        return Some(format!("Shopify answered a GraphQL error: {message}"));
    }
    if v.is_null() {
        return Some("Shopify's answer is not JSON".into());
    }
    None
}
