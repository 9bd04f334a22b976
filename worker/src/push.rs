//! Pushes to connected channels: which subscriber is owed a new value, the signed POST, and the
//! backoff after a failure. The SKU object's alarm drives it; the availability comes from the
//! engine.

use std::collections::BTreeMap;

use futures_util::future::{select, Either};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Fetch, Headers, Method, Request, RequestInit};

use lastunit::{Availability, Timestamp};

/// Longest wait between two attempts of a push.
pub const MAX_BACKOFF_MS: i64 = 5 * 60 * 1000;
/// How long one call (to a subscriber or the catalog) may take.
pub const NETWORK_TIMEOUT_MS: u32 = 10_000;

/// A connected channel to push to (kept by the catalog, `PUT /admin/subscribers/{name}`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Subscriber {
    pub name: String,
    pub url: String,
    pub secret: String,
    pub channel: String,
    /// Also receives oversell incidents as they open, grow and close (`"alerts": true`).
    #[serde(default)]
    pub alerts: bool,
}

/// What a SKU object's alarm keeps between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PushState {
    /// SKU version last sent to the catalog (`None`: not since this object started, so the
    /// first alarm sends it and learns the subscribers).
    #[serde(skip)]
    pub summary_version: Option<u64>,
    /// The subscribers, as the catalog last answered. Kept in memory only: their secrets stay
    /// in the catalog instead of being copied into the storage of every SKU.
    #[serde(skip)]
    pub subscribers: Vec<Subscriber>,
    /// Per subscriber: what it last received (url and the availability's visible fields).
    delivered: BTreeMap<String, String>,
    /// Per alert subscriber: the incidents it received, as `id@updated_at`.
    #[serde(default)]
    alerted: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Per subscriber: failed attempts in a row, and when to try again.
    attempts: BTreeMap<String, u32>,
    pub retry_at: BTreeMap<String, i64>,
    /// When the buffer was last recalibrated.
    pub recalibrated_at: i64,
    /// The connected stores' writers this SKU reports to, as the catalog last answered.
    #[serde(skip)]
    pub connections: Vec<lastunit::connect::report::Route>,
    /// What each connection's writer last acknowledged, and retries.
    #[serde(default)]
    pub reports: lastunit::connect::report::Reports,
}

/// One push to make now.
pub struct Due {
    pub subscriber: Subscriber,
    key: String,
    pub body: String,
}

impl PushState {
    /// The pushes owed now: each subscriber whose channel's availability differs from what it
    /// last received, unless it is waiting out a backoff. The newest value is always the one sent.
    pub fn due(&mut self, now: Timestamp, availability: impl Fn(&str) -> Option<Availability>) -> Vec<Due> {
        let names: Vec<String> = self.subscribers.iter().map(|s| s.name.clone()).collect();
        self.delivered.retain(|k, _| names.contains(k));
        self.attempts.retain(|k, _| names.contains(k));
        self.retry_at.retain(|k, _| names.contains(k));
        let mut due = Vec::new();
        for sub in &self.subscribers {
            let Some(a) = availability(&sub.channel) else { continue };
            let key =
                json!({"url": sub.url, "available": a.available, "status": a.status, "in_store_only": a.in_store_only})
                    .to_string();
            if self.delivered.get(&sub.name) == Some(&key) {
                self.attempts.remove(&sub.name);
                self.retry_at.remove(&sub.name);
                continue;
            }
            if self.retry_at.get(&sub.name).is_some_and(|t| *t > now.millis()) {
                continue;
            }
            due.push(Due { subscriber: sub.clone(), key, body: serde_json::to_string(&a).unwrap_or_default() });
        }
        due
    }

    /// The alerts owed now: each open incident an alert subscriber has not received as it
    /// stands (a new one, or one that grew). Closed incidents leave the memory once closed.
    pub fn alerts_due(&mut self, open: &[&lastunit::incident::Incident]) -> Vec<Due> {
        let keys: std::collections::BTreeSet<String> = open.iter().map(|i| alert_key(i)).collect();
        let names: Vec<String> = self.subscribers.iter().filter(|s| s.alerts).map(|s| s.name.clone()).collect();
        self.alerted.retain(|k, _| names.contains(k));
        let mut due = Vec::new();
        for sub in self.subscribers.iter().filter(|s| s.alerts) {
            let got = self.alerted.entry(sub.name.clone()).or_default();
            got.retain(|k| keys.contains(k));
            for i in open.iter().filter(|i| !got.contains(&alert_key(i))) {
                let body = serde_json::to_string(&json!({"type": "incident", "incident": i})).unwrap_or_default();
                due.push(Due { subscriber: sub.clone(), key: alert_key(i), body });
            }
        }
        due
    }

    /// Records a delivered alert (a failed one stays owed for the next alarm).
    pub fn alerted(&mut self, due: Due) {
        self.alerted.entry(due.subscriber.name).or_default().insert(due.key);
    }

    /// Records the outcome of one push: delivered, or retried after 1 s, 2 s, 4 s, … (at most 5 min).
    pub fn record(&mut self, due: Due, ok: bool, now: Timestamp) {
        let name = due.subscriber.name;
        if ok {
            self.delivered.insert(name.clone(), due.key);
            self.attempts.remove(&name);
            self.retry_at.remove(&name);
        } else {
            let n = self.attempts.get(&name).copied().unwrap_or(0) + 1;
            self.attempts.insert(name.clone(), n);
            let backoff = (1000i64 << (n - 1).min(20)).min(MAX_BACKOFF_MS);
            self.retry_at.insert(name, now.millis() + backoff);
        }
    }
}

fn alert_key(i: &lastunit::incident::Incident) -> String {
    format!("{}@{}", i.id, i.updated_at)
}

/// `Some(output)`, or `None` when `fut` takes longer than `ms`.
pub async fn with_timeout<F: core::future::Future>(fut: F, ms: u32) -> Option<F::Output> {
    let fut = Box::pin(fut);
    let timeout = Box::pin(worker::Delay::from(std::time::Duration::from_millis(u64::from(ms))));
    match select(fut, timeout).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// POSTs `body` to the subscriber, signed like `/webhooks/lastunit`; true on a 2xx.
pub async fn post_signed(sub: &Subscriber, body: &str, now: Timestamp) -> bool {
    let signature = lastunit::pos::lastunit::sign(&sub.secret, now.millis().div_euclid(1000), body.as_bytes());
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    let _ = headers.set("x-lastunit-signature", &signature);
    let _ = headers.set("user-agent", "lastunit-edge");
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let Ok(req) = Request::new_with_init(&sub.url, &init) else { return false };
    let fetch = Fetch::Request(req);
    match with_timeout(fetch.send(), NETWORK_TIMEOUT_MS).await {
        Some(Ok(resp)) => (200..300).contains(&resp.status_code()),
        _ => false,
    }
}
