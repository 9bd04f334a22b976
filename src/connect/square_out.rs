//! Telling Square of the sales and returns it did not make.
//!
//! Square counts the register's stock, but it never hears of an online order, an edge checkout
//! or another system's sale. So every such sale (or restocked return) at a location with
//! `pos_refs.square`, of a SKU with `pos_refs.square`, becomes an [`Adjustment`] in the SKU's
//! [`SquareOutbox`]: `IN_STOCK` → `SOLD` (or back) of the SKU's catalog object, written from the
//! SKU object's alarm through `POST {SQUARE_API_BASE}/v2/inventory/changes/batch-create`, never
//! inside a sale. The outbox is part of the SKU's snapshot, so it is stored with the change that
//! filled it.
//!
//! ## Each adjustment reaches Square once
//! Adjustments leave in batches of at most [`MAX_BATCH`]. A batch is frozen when it first leaves
//! ([`SquareOutbox::due`]): its members, its `occurred_at` and its `idempotency_key` (a digest of
//! its members' keys) stay the same on every retry, so a batch Square applied but whose answer
//! was lost is not applied again; changes made meanwhile wait for the next batch. A batch Square
//! refuses as a whole (a `4xx` other than 429) is split, and each of its adjustments is sent
//! alone under a key of its own, so one bad catalog id does not hold back the others; an
//! adjustment refused alone is given up and reported.
//!
//! ## Retries
//! A 429, a 5xx, an unauthorised answer (a token being replaced), a timeout or a lost connection
//! is retried after 1 s, 2 s, 4 s, ... (at most [`MAX_BACKOFF_MS`]), and never before a
//! `Retry-After`.
//!
//! ## The answer feeds the reconciliation rule
//! Square answers with the changes it created, each with its `created_at` (when Square received
//! it, in Square's clock), and the counts it computed after. `created_at` is the moment from
//! which Square's counts include the adjustment: [`crate::stock`] needs it so that Square's
//! `inventory.count.updated` after the adjustment does not count the sale twice
//! ([`Settled::acks`]). Without it, the counts' `calculated_at` stands in (a later moment, so a
//! count in between reads one unit low until the next), and without either, the moment the
//! answer arrived.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::status::{ConnectionStatus, Health, FAILING_AFTER};
use crate::catalog::PosRefs;
use crate::time::{MINUTE, SECOND};
use crate::Timestamp;

/// The path of `batch-create` under `SQUARE_API_BASE`.
pub const BATCH_CREATE_PATH: &str = "/v2/inventory/changes/batch-create";
/// The `Square-Version` lastunit speaks.
pub const SQUARE_VERSION: &str = "2026-01-22";
/// Most changes in one `batch-create` (Square's limit).
pub const MAX_BATCH: usize = 100;
/// Most adjustments waiting per SKU; past it the oldest is given up (see [`SquareOutbox::push`]).
pub const MAX_PENDING: usize = 1_000;
/// Longest wait between two attempts.
pub const MAX_BACKOFF_MS: i64 = 5 * MINUTE;

/// The locations whose sales are told to Square ([`Topology::square_locations`](crate::Topology)):
/// with a Square connection that writes, every location with a `pos_refs.square`, by its Square
/// id; without one, none.
pub fn square_locations<'a>(
    writes: bool,
    locations: impl IntoIterator<Item = (&'a String, &'a PosRefs)>,
) -> BTreeMap<String, String> {
    if !writes {
        return BTreeMap::new();
    }
    locations.into_iter().filter_map(|(l, refs)| Some((l.clone(), refs.get("square")?.clone()))).collect()
}

/// One change to write to Square.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// Names the movement it tells (the stock rule's [`Sighting::Told`](crate::stock::Sighting)
    /// key); unique per movement.
    pub key: String,
    /// The lastunit location whose stock it moved.
    pub location: String,
    /// Square's location id (`pos_refs.square` of the location).
    pub location_id: String,
    /// Square's item variation id (`pos_refs.square` of the SKU).
    pub catalog_object_id: String,
    /// `true`: `IN_STOCK` → `SOLD` (a sale); `false`: `SOLD` → `IN_STOCK` (a restocked return).
    pub sold: bool,
    /// Units, > 0.
    pub quantity: i64,
    /// The order or event it comes from (`reference_id`).
    pub reference_id: String,
    /// Refused once in a batch: sent alone from now on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alone: bool,
}

/// A batch on its way, frozen until Square settles it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Square's `idempotency_key`: a digest of the members' keys.
    pub idempotency_key: String,
    /// When it first left: every change's `occurred_at` (Square sequences by it, and a later
    /// retry must send the same body).
    pub sent_at: Timestamp,
    /// Its adjustments, oldest first.
    pub changes: Vec<Adjustment>,
}

impl Batch {
    /// The `batch-create` body.
    pub fn body(&self) -> String {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|a| {
                let (from, to) = if a.sold { ("IN_STOCK", "SOLD") } else { ("SOLD", "IN_STOCK") };
                json!({"type": "ADJUSTMENT", "adjustment": {
                    "reference_id": a.reference_id,
                    "from_state": from,
                    "to_state": to,
                    "location_id": a.location_id,
                    "catalog_object_id": a.catalog_object_id,
                    "quantity": a.quantity.to_string(),
                    "occurred_at": self.sent_at,
                }})
            })
            .collect();
        json!({"idempotency_key": self.idempotency_key, "changes": changes, "ignore_unchanged_counts": true})
            .to_string()
    }
}

/// What Square answered, read by [`read_answer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Applied. `created`: `(reference_id, location_id, created_at)` of each adjustment Square
    /// created; `counts`: `(catalog_object_id, location_id, calculated_at)` of the `IN_STOCK`
    /// counts it returned.
    Accepted {
        /// The adjustments Square created.
        created: Vec<(String, String, Timestamp)>,
        /// The counts after the batch.
        counts: Vec<(String, String, Timestamp)>,
    },
    /// Not now: try again, not before `retry_after_ms` when Square said so.
    Retry {
        /// `Retry-After`, in milliseconds.
        retry_after_ms: Option<i64>,
        /// What went wrong, in words.
        error: String,
    },
    /// Never: Square refuses this batch as it is.
    Refused {
        /// Square's error code and detail.
        error: String,
    },
}

/// Reads Square's answer to a `batch-create`: its HTTP status, its `Retry-After` header and
/// its body. `None` status: no answer came (a timeout, a lost connection).
pub fn read_answer(status: Option<u16>, retry_after: Option<&str>, body: &[u8]) -> Answer {
    let Some(status) = status else {
        return Answer::Retry { retry_after_ms: None, error: "no answer from Square".into() };
    };
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let errors = v.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty());
    let error = errors
        .and_then(|e| e.first())
        .map(|e| {
            let code = e.get("code").and_then(Value::as_str).unwrap_or("ERROR");
            let detail = e.get("detail").and_then(Value::as_str).unwrap_or("");
            format!("{status} {code}: {}", detail.chars().take(200).collect::<String>())
        })
        .unwrap_or_else(|| format!("status {status}"));
    match status {
        200..=299 if errors.is_none() => {
            let counts = v
                .get("counts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| c.get("state").and_then(Value::as_str) == Some("IN_STOCK"))
                .filter_map(|c| {
                    let s = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
                    Some((s("catalog_object_id")?, s("location_id")?, Timestamp::parse(&s("calculated_at")?)?))
                })
                .collect();
            let created = v
                .get("changes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    let a = c.get("adjustment")?;
                    let s = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
                    Some((s("reference_id")?, s("location_id")?, Timestamp::parse(&s("created_at")?)?))
                })
                .collect();
            Answer::Accepted { created, counts }
        }
        429 | 401 | 403 | 408 | 500..=599 => {
            let retry_after_ms = retry_after
                .and_then(|r| r.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| ((s * 1000.0) as i64).min(MAX_BACKOFF_MS * 12));
            Answer::Retry { retry_after_ms, error }
        }
        _ => Answer::Refused { error },
    }
}

/// What settling a batch means for stock: acknowledge each movement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// `(location, key, Some(from when Square's counts include it))`, or `None` when Square
    /// will never have it (given up).
    pub acks: Vec<(String, String, Option<Timestamp>)>,
}

/// What is owed to Square for one SKU, and how sending it goes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquareOutbox {
    /// Waiting to leave, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<Adjustment>,
    /// On its way, retried as it is until settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    in_flight: Option<Batch>,
    /// Failed attempts in a row.
    #[serde(default, skip_serializing_if = "is_zero")]
    attempts: u32,
    /// Not before this (backoff, `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_at: Option<Timestamp>,
    /// When Square last accepted a batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_write_at: Option<Timestamp>,
    /// The last failure, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    /// Adjustments given up (refused by Square, or past [`MAX_PENDING`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    given_up: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The outbox as an operator reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxStatus {
    /// Adjustments not yet accepted by Square.
    pub pending: usize,
    /// Failed attempts in a row.
    pub attempts: u32,
    /// When the next attempt may go.
    pub retry_at: Option<Timestamp>,
    /// When Square last accepted a batch.
    pub last_write_at: Option<Timestamp>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Adjustments given up.
    pub given_up: u32,
}

/// The Square connection's status from every SKU's outbox: `failing` when one has failed
/// [`FAILING_AFTER`] times in a row or given an adjustment up, `retrying` while one waits to try
/// again, else `ok`; the newest accepted write, everything not yet accepted, the newest error,
/// and the latest moment a SKU waits until.
pub fn connection_status<'a>(outboxes: impl IntoIterator<Item = &'a OutboxStatus>) -> ConnectionStatus {
    let mut status = ConnectionStatus::default();
    let mut newest_error: Option<(Timestamp, &str)> = None;
    for o in outboxes {
        status.pending_writes += o.pending;
        status.last_write_at = status.last_write_at.max(o.last_write_at);
        let health = if o.attempts >= FAILING_AFTER || o.given_up > 0 {
            Health::Failing
        } else if o.attempts > 0 {
            Health::Retrying
        } else {
            Health::Ok
        };
        status.status = match (status.status, health) {
            (Health::Failing, _) | (_, Health::Failing) => Health::Failing,
            (Health::Retrying, _) | (_, Health::Retrying) => Health::Retrying,
            _ => Health::Ok,
        };
        if o.attempts > 0 {
            status.throttled_until = status.throttled_until.max(o.retry_at);
        }
        if let Some(e) = &o.last_error {
            let at = o.retry_at.or(o.last_write_at).unwrap_or_default();
            if newest_error.is_none_or(|(t, _)| at >= t) {
                newest_error = Some((at, e));
            }
        }
    }
    status.last_error = newest_error.map(|(_, e)| e.to_string());
    status
}

impl SquareOutbox {
    /// Whether nothing is owed.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.in_flight.is_none()
    }

    /// Queues one adjustment. Past [`MAX_PENDING`] the oldest waiting one is given up (Square
    /// has been unreachable for long: the operator sees it in the status) and returned, so its
    /// movement can fall back to the edge rule.
    pub fn push(&mut self, adjustment: Adjustment) -> Option<Adjustment> {
        self.pending.push(adjustment);
        if self.pending.len() + self.in_flight.as_ref().map_or(0, |b| b.changes.len()) > MAX_PENDING {
            self.given_up += 1;
            return Some(self.pending.remove(0));
        }
        None
    }

    /// Gives up every waiting adjustment `stale` says is no longer Square's to hear of, and
    /// returns them. The batch on its way is left to finish: Square may have applied it already,
    /// and only its own key can tell.
    pub fn give_up_where(&mut self, stale: impl Fn(&Adjustment) -> bool) -> Vec<Adjustment> {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending).into_iter().partition(|a| stale(a));
        self.pending = kept;
        self.given_up += gone.len() as u32;
        gone
    }

    /// When the alarm should next send, if anything is owed.
    pub fn next_attempt(&self) -> Option<Timestamp> {
        if self.is_empty() {
            return None;
        }
        Some(self.retry_at.unwrap_or_default())
    }

    /// The batch to send now, if one is due: the one on its way, or a new one frozen from the
    /// oldest waiting adjustments (the caller stores the outbox before sending it, so a retry
    /// after a restart sends the same batch).
    pub fn due(&mut self, now: Timestamp) -> Option<Batch> {
        if self.retry_at.is_some_and(|t| t > now) {
            return None;
        }
        if self.in_flight.is_none() && !self.pending.is_empty() {
            let take = if self.pending[0].alone {
                1
            } else {
                self.pending.iter().take(MAX_BATCH).take_while(|a| !a.alone).count()
            };
            let changes: Vec<Adjustment> = self.pending.drain(..take).collect();
            let mut digest = Sha256::new();
            for a in &changes {
                digest.update(a.key.as_bytes());
                digest.update(b"\n");
            }
            let idempotency_key = format!("lastunit-{}", &hex::encode(digest.finalize())[..48]);
            self.in_flight = Some(Batch { idempotency_key, sent_at: now, changes });
        }
        self.in_flight.clone()
    }

    /// Records Square's answer to the batch on its way (`key`: its idempotency key; an answer to
    /// a batch no longer on its way changes nothing).
    pub fn settle(&mut self, key: &str, answer: Answer, now: Timestamp) -> Settled {
        let mut settled = Settled::default();
        let Some(batch) = self.in_flight.take_if(|b| b.idempotency_key == key) else { return settled };
        match answer {
            Answer::Accepted { created, counts } => {
                for a in batch.changes {
                    let received = created
                        .iter()
                        .filter(|(r, l, _)| *r == a.reference_id && *l == a.location_id)
                        .map(|(_, _, t)| *t)
                        .min();
                    let counted = || {
                        counts
                            .iter()
                            .filter(|(o, l, _)| *o == a.catalog_object_id && *l == a.location_id)
                            .map(|(_, _, t)| *t)
                            .max()
                    };
                    let at = received.or_else(counted).unwrap_or(now);
                    settled.acks.push((a.location, a.key, Some(at)));
                }
                self.attempts = 0;
                self.retry_at = None;
                self.last_write_at = Some(now);
                self.last_error = None;
            }
            Answer::Retry { retry_after_ms, error } => {
                self.attempts += 1;
                let backoff = (SECOND << (self.attempts - 1).min(20)).min(MAX_BACKOFF_MS);
                self.retry_at = Some(now.plus(backoff.max(retry_after_ms.unwrap_or(0))));
                self.last_error = Some(error);
                self.in_flight = Some(batch);
            }
            Answer::Refused { error } => {
                self.last_error = Some(error);
                if batch.changes.len() > 1 {
                    // Square applies a batch whole or not at all: find the culprit one by one.
                    let mut again: Vec<Adjustment> =
                        batch.changes.into_iter().map(|a| Adjustment { alone: true, ..a }).collect();
                    again.append(&mut self.pending);
                    self.pending = again;
                } else {
                    for a in batch.changes {
                        self.given_up += 1;
                        settled.acks.push((a.location, a.key, None));
                    }
                }
            }
        }
        settled
    }

    /// What an operator reads.
    pub fn status(&self) -> OutboxStatus {
        OutboxStatus {
            pending: self.pending.len() + self.in_flight.as_ref().map_or(0, |b| b.changes.len()),
            attempts: self.attempts,
            retry_at: self.retry_at,
            last_write_at: self.last_write_at,
            last_error: self.last_error.clone(),
            given_up: self.given_up,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::parse("2026-11-26T10:00:00Z").unwrap().plus(secs * 1000)
    }

    fn adj(n: u32, sold: bool) -> Adjustment {
        Adjustment {
            key: format!("shopify:order:{n}:line:1@main-st"),
            location: "main-st".into(),
            location_id: "L1".into(),
            catalog_object_id: "VAR1".into(),
            sold,
            quantity: 1,
            reference_id: format!("shopify:order:{n}:line:1"),
            alone: false,
        }
    }

    fn accepted(calculated_at: &str) -> Answer {
        let body = format!(
            r#"{{"counts":[{{"catalog_object_id":"VAR1","catalog_object_type":"ITEM_VARIATION","state":"IN_STOCK","location_id":"L1","quantity":"3","calculated_at":"{calculated_at}"}},
                {{"catalog_object_id":"VAR1","state":"SOLD","location_id":"L1","quantity":"1","calculated_at":"2030-01-01T00:00:00Z"}}],"changes":[]}}"#
        );
        read_answer(Some(200), None, body.as_bytes())
    }

    #[test]
    fn sales_are_told_to_square_at_its_locations_while_its_connection_writes() {
        let refs: BTreeMap<String, PosRefs> = [
            ("main-st".to_string(), [("square".to_string(), "L9XZ3".to_string())].into()),
            ("warehouse".to_string(), [("shopify".to_string(), "1".to_string())].into()),
        ]
        .into();
        assert_eq!(square_locations(true, &refs), [("main-st".to_string(), "L9XZ3".to_string())].into());
        assert!(square_locations(false, &refs).is_empty());
    }

    #[test]
    fn a_sale_becomes_an_adjustment_in_square_shape() {
        let mut o = SquareOutbox::default();
        o.push(adj(1, true));
        o.push(adj(2, false));
        let b = o.due(at(0)).unwrap();
        let v: Value = serde_json::from_str(&b.body()).unwrap();
        assert_eq!(v["idempotency_key"], json!(b.idempotency_key));
        assert!(b.idempotency_key.len() <= 128);
        assert_eq!(
            v["changes"][0],
            json!({"type": "ADJUSTMENT", "adjustment": {"reference_id": "shopify:order:1:line:1", "from_state": "IN_STOCK",
                "to_state": "SOLD", "location_id": "L1", "catalog_object_id": "VAR1", "quantity": "1",
                "occurred_at": "2026-11-26T10:00:00Z"}})
        );
        assert_eq!(v["changes"][1]["adjustment"]["from_state"], "SOLD", "a restocked return goes back");
        assert_eq!(v["changes"][1]["adjustment"]["to_state"], "IN_STOCK");
    }

    #[test]
    fn a_batch_is_frozen_until_square_settles_it() {
        let mut o = SquareOutbox::default();
        o.push(adj(1, true));
        let first = o.due(at(0)).unwrap();
        o.push(adj(2, true)); // arrives while the first is on its way
        let s =
            o.settle(&first.idempotency_key, Answer::Retry { retry_after_ms: Some(3_000), error: "429".into() }, at(1));
        assert!(s.acks.is_empty());
        assert_eq!(o.due(at(2)), None, "Retry-After holds it back");
        assert_eq!(o.next_attempt(), Some(at(4)));
        let again = o.due(at(4)).unwrap();
        assert_eq!(again, first, "the same members, key and body: Square applies it once");
        let s = o.settle(&again.idempotency_key, accepted("2026-11-26T10:00:04.500Z"), at(5));
        assert_eq!(
            s.acks,
            vec![("main-st".into(), "shopify:order:1:line:1@main-st".into(), Some(at(4).plus(500)))],
            "Square's calculated_at, not ours, when it names no created change"
        );
        let next = o.due(at(5)).unwrap();
        assert_eq!(next.changes, vec![adj(2, true)]);
        assert_ne!(next.idempotency_key, first.idempotency_key);
        assert_eq!(o.settle("another", accepted("2026-11-26T10:00:05Z"), at(6)), Settled::default());
        o.settle(&next.idempotency_key, read_answer(Some(200), None, b"{}"), at(6));
        assert!(o.is_empty());
        assert_eq!(o.status().last_write_at, Some(at(6)));
    }

    #[test]
    fn squares_own_receipt_time_acknowledges_each_adjustment() {
        let mut o = SquareOutbox::default();
        o.push(adj(1, true));
        o.push(Adjustment { location: "other".into(), location_id: "L2".into(), ..adj(1, true) });
        let b = o.due(at(0)).unwrap();
        let body = r#"{"changes":[
            {"type":"ADJUSTMENT","adjustment":{"reference_id":"shopify:order:1:line:1","location_id":"L1","created_at":"2026-11-26T10:00:01Z"}},
            {"type":"ADJUSTMENT","adjustment":{"reference_id":"shopify:order:1:line:1","location_id":"L2","created_at":"2026-11-26T10:00:02Z"}}],
            "counts":[{"catalog_object_id":"VAR1","location_id":"L1","state":"IN_STOCK","quantity":"3","calculated_at":"2026-11-26T10:00:09Z"}]}"#;
        let s = o.settle(&b.idempotency_key, read_answer(Some(200), None, body.as_bytes()), at(10));
        let times: Vec<Option<Timestamp>> = s.acks.iter().map(|(_, _, t)| *t).collect();
        assert_eq!(times, [Some(at(1)), Some(at(2))], "created_at, per location");
    }

    #[test]
    fn the_connection_status_sums_every_skus_outbox() {
        let ok = OutboxStatus { last_write_at: Some(at(5)), ..OutboxStatus::default() };
        let retrying = OutboxStatus {
            pending: 2,
            attempts: 2,
            retry_at: Some(at(9)),
            last_error: Some("429 RATE_LIMITED: slow down".into()),
            last_write_at: Some(at(1)),
            ..OutboxStatus::default()
        };
        let s = connection_status([&ok, &retrying]);
        assert_eq!(s.status, Health::Retrying);
        assert_eq!((s.pending_writes, s.last_write_at, s.throttled_until), (2, Some(at(5)), Some(at(9))));
        assert_eq!(s.last_error.as_deref(), Some("429 RATE_LIMITED: slow down"));
        let failing = OutboxStatus { given_up: 1, last_error: Some("400 NOT_FOUND".into()), ..OutboxStatus::default() };
        assert_eq!(connection_status([&ok, &retrying, &failing]).status, Health::Failing);
        assert_eq!(connection_status([&ok]).status, Health::Ok);
        assert_eq!(connection_status([]), ConnectionStatus::default());
    }

    #[test]
    fn backoff_doubles_to_five_minutes() {
        let mut o = SquareOutbox::default();
        o.push(adj(1, true));
        let mut waits = Vec::new();
        let mut now = at(0);
        for _ in 0..12 {
            let b = o.due(now).unwrap();
            o.settle(&b.idempotency_key, read_answer(Some(503), None, b""), now);
            let next = o.next_attempt().unwrap();
            waits.push((next.millis() - now.millis()) / 1000);
            now = next;
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(o.status().attempts, 12);
        assert_eq!(o.status().last_error.as_deref(), Some("status 503"));
    }

    #[test]
    fn a_refused_batch_is_split_and_only_the_culprit_given_up() {
        let mut o = SquareOutbox::default();
        for n in 1..=3 {
            o.push(adj(n, true));
        }
        let refused = read_answer(
            Some(400),
            None,
            br#"{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"NOT_FOUND","detail":"Item variation VAR9 not found."}]}"#,
        );
        assert!(
            matches!(&refused, Answer::Refused { error } if error == "400 NOT_FOUND: Item variation VAR9 not found.")
        );
        let b = o.due(at(0)).unwrap();
        assert_eq!(b.changes.len(), 3);
        assert!(o.settle(&b.idempotency_key, refused.clone(), at(1)).acks.is_empty());
        let one = o.due(at(1)).unwrap();
        assert_eq!(one.changes.len(), 1, "alone now");
        let s = o.settle(&one.idempotency_key, refused, at(2));
        assert_eq!(s.acks, vec![("main-st".into(), "shopify:order:1:line:1@main-st".into(), None)]);
        let two = o.due(at(2)).unwrap();
        assert_eq!(two.changes.len(), 1);
        o.settle(&two.idempotency_key, accepted("2026-11-26T10:00:02Z"), at(3));
        assert_eq!(o.status().pending, 1);
        assert_eq!(o.status().given_up, 1);
    }

    #[test]
    fn answers_are_read_as_square_gives_them() {
        assert!(matches!(read_answer(None, None, b""), Answer::Retry { retry_after_ms: None, .. }));
        assert!(matches!(
            read_answer(Some(429), Some("7"), br#"{"errors":[{"category":"RATE_LIMIT_ERROR","code":"RATE_LIMITED"}]}"#),
            Answer::Retry { retry_after_ms: Some(7000), .. }
        ));
        assert!(matches!(read_answer(Some(401), None, b"{}"), Answer::Retry { .. }), "a token being replaced");
        assert!(matches!(read_answer(Some(200), None, br#"{"errors":[{"code":"X"}]}"#), Answer::Refused { .. }));
        assert!(matches!(read_answer(Some(400), None, b"<html>"), Answer::Refused { error } if error == "status 400"));
    }

    #[test]
    fn batches_hold_at_most_100_and_the_outbox_is_bounded() {
        let mut o = SquareOutbox::default();
        for n in 0..(MAX_PENDING as u32) {
            assert_eq!(o.push(adj(n, true)), None);
        }
        assert_eq!(o.push(adj(99_999, true)).map(|a| a.key), Some(adj(0, true).key), "the oldest gives way");
        assert_eq!(o.due(at(0)).unwrap().changes.len(), MAX_BATCH);
        assert_eq!(o.status().pending, MAX_PENDING);
        let back: SquareOutbox = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        assert_eq!(back, o);
        assert_eq!(serde_json::to_string(&SquareOutbox::default()).unwrap(), "{}");
    }
}
