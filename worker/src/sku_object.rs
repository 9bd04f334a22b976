//! `SkuObject`: one Durable Object per SKU (named by the SKU).
//!
//! Holds the engine's `Sku` in memory. SQLite tables:
//! - `state(id=1, json)`: the snapshot (serde JSON of `Sku`);
//! - `seen(key, at)`: applied event keys (the snapshot skips them; restored with `restore_seen`);
//! - `ledger(version, location, json)`: every `LedgerEntry`, never pruned;
//! - `answers(id, status, body)`: no longer written (a reservation's first answer now lives in
//!   its `CartObject`, found by cart and `Idempotency-Key`); what an earlier release left is pruned;
//! - `meta(key, json)`: the push state (subscribers, what each was last sent, retries).
//!
//! Every mutation: engine call → snapshot, ledger and seen rows written (synchronous SQLite, so
//! the answer leaves only once they are durable) → live sockets told → alarm set. The alarm
//! does everything that talks to the network: summary to the catalog, subscriber pushes.

use std::cell::RefCell;
use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{
    durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use lastunit::event::StockEvent;
use lastunit::forecast::IncomingLine;
use lastunit::time::HOUR;
use lastunit::{Applied, HoldRequest, LedgerEntry, Sku, SkuConfig, Timestamp, Topology};

use crate::http::{self, engine_error, engine_error_body, json, json_text};
use crate::internal::{self, body, call_json, catalog_stub, query};
use crate::push::{self, with_timeout, PushState, Subscriber, NETWORK_TIMEOUT_MS};

/// Alarm delay after a change, so bursts share one summary push.
const SETTLE_MS: i64 = 200;

#[durable_object]
pub struct SkuObject {
    state: State,
    env: Env,
    sql: SqlStorage,
    sku: RefCell<Option<Sku>>,
    push: RefCell<PushState>,
}

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

#[derive(Deserialize)]
struct SeenRow {
    key: String,
    at: f64,
}

impl DurableObject for SkuObject {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for ddl in [
            "CREATE TABLE IF NOT EXISTS state(id INTEGER PRIMARY KEY, json TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS seen(key TEXT PRIMARY KEY, at INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger(version INTEGER NOT NULL, location TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY(version, location))",
            "CREATE TABLE IF NOT EXISTS answers(id TEXT PRIMARY KEY, status INTEGER NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, json TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS holds(id TEXT PRIMARY KEY, json TEXT NOT NULL, at INTEGER NOT NULL)",
        ] {
            sql.exec(ddl, None).expect("schema");
        }
        let sku = load_sku(&sql);
        let push = sql
            .exec("SELECT json FROM meta WHERE key = 'push'", None)
            .and_then(|c| c.to_array::<JsonRow>())
            .ok()
            .and_then(|rows| rows.into_iter().next())
            .and_then(|r| serde_json::from_str(&r.json).ok())
            .unwrap_or_default();
        SkuObject { state, env, sql, sku: RefCell::new(sku), push: RefCell::new(push) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let method = req.method();
        match (method, path.as_str()) {
            (Method::Get, "/availability") => self.availability(&req),
            (Method::Get, "/live") => self.live(&req),
            (Method::Get, "/view") => self.view(),
            (Method::Post, "/configure") => self.configure(&mut req).await,
            (Method::Post, "/topology") => self.topology(&mut req).await,
            (Method::Post, "/events") => self.events(&mut req).await,
            (Method::Post, "/reserve") => self.reserve(&mut req).await,
            (Method::Post, "/commit") => self.commit(&mut req).await,
            (Method::Post, "/release") => self.release(&mut req).await,
            (Method::Post, "/expect") => self.expect(&mut req).await,
            _ => http::not_found(),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.run_alarm().await?;
        Response::ok("ok")
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        // Clients only listen; a "ping" gets the current availability again.
        if let WebSocketIncomingMessage::String(s) = message {
            if s.trim() == "ping" {
                if let Some(channel) = self.state.get_tags(&ws).into_iter().next() {
                    if let Some(text) = self.live_message(&channel) {
                        let _ = ws.send_with_str(text);
                    }
                }
            }
        }
        Ok(())
    }

    async fn websocket_close(&self, ws: WebSocket, _code: usize, _reason: String, _was_clean: bool) -> Result<()> {
        let _ = ws.close(Some(1000), Some("bye"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        Ok(())
    }
}

fn unknown_sku() -> Result<Response> {
    http::error(404, "unknown_sku", "no such SKU in the catalog")
}

/// `{..., "now": ...}`: internal callers may fix `now` (a cart commits every line at one instant).
#[derive(Deserialize)]
struct WithNow<T> {
    #[serde(flatten)]
    inner: T,
    #[serde(default)]
    now: Option<Timestamp>,
}

impl<T> WithNow<T> {
    fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(internal::now)
    }
}

#[derive(Deserialize)]
struct ConfigureReq {
    sku: String,
    config: SkuConfig,
    topology: Topology,
}

#[derive(Deserialize)]
struct TopologyReq {
    topology: Topology,
}

#[derive(Deserialize)]
struct EventsReq {
    events: Vec<StockEvent>,
    /// Only check that every event would be accepted; change nothing.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize)]
struct ReserveReq {
    id: String,
    cart_id: String,
    channel: String,
    quantity: i64,
    expires_at: Timestamp,
    /// The storefront client whose carts `max_per_cart` also caps.
    #[serde(default)]
    client: Option<String>,
}

#[derive(Deserialize)]
struct CommitReq {
    id: String,
    order_id: String,
}

#[derive(Deserialize)]
struct ReleaseReq {
    id: String,
}

#[derive(Deserialize)]
struct ExpectReq {
    line: IncomingLine,
}

impl SkuObject {
    // ---- the one way state changes ----------------------------------------------------------

    /// Runs `f` on the SKU after expiring its holds at `now`; when anything changed (version
    /// rose, or `f` says so), writes the snapshot and new ledger entries, then tells live sockets.
    /// `None` when the SKU is not configured.
    fn mutate<R>(
        &self,
        now: Timestamp,
        f: impl FnOnce(&mut Sku, &SqlStorage) -> (R, bool),
    ) -> Result<Option<(R, bool)>> {
        let mut guard = self.sku.borrow_mut();
        let Some(sku) = guard.as_mut() else { return Ok(None) };
        let before = sku.version();
        sku.expire(now);
        let (r, forced) = f(sku, &self.sql);
        let changed = forced || sku.version() != before;
        let stored = if changed { self.persist(sku, before) } else { self.persist_holds(sku) };
        if let Err(e) = stored {
            // Memory must never run ahead of storage: take back what is stored and refuse.
            *guard = load_sku(&self.sql);
            return Err(e);
        }
        if changed {
            self.broadcast(sku);
        }
        Ok(Some((r, changed)))
    }

    fn persist(&self, sku: &mut Sku, before: u64) -> Result<()> {
        let snapshot = serde_json::to_string(&*sku).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec("INSERT OR REPLACE INTO state(id, json) VALUES (1, ?)", vec![snapshot.into()])?;
        for entry in sku.ledger().filter(|e| e.version > before) {
            insert_ledger(&self.sql, entry)?;
        }
        self.persist_holds(sku)
    }

    /// Holds live outside the snapshot, one row each: a busy SKU's snapshot stays small however
    /// many carts are open, and a retried commit or release after a restart gets the same
    /// answer. `at` is when a row may be pruned from: an active hold's expiry, a settled one's
    /// settling.
    fn persist_holds(&self, sku: &mut Sku) -> Result<()> {
        for h in sku.drain_holds() {
            let text = serde_json::to_string(&h).map_err(|e| worker::Error::RustError(e.to_string()))?;
            let at = if h.is_active() { h.expires_at } else { h.settled_at };
            self.sql.exec(
                "INSERT OR REPLACE INTO holds(id, json, at) VALUES (?, ?, ?)",
                vec![h.id.clone().into(), text.into(), at.millis().into()],
            )?;
        }
        Ok(())
    }

    fn save_push(&self) -> Result<()> {
        let text = serde_json::to_string(&*self.push.borrow()).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec("INSERT OR REPLACE INTO meta(key, json) VALUES ('push', ?)", vec![text.into()])?;
        Ok(())
    }

    /// After a change: make sure the alarm runs soon (summary, pushes, next expiry).
    async fn soon(&self, now: Timestamp) -> Result<()> {
        let at = now.millis() + SETTLE_MS;
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(t) if t <= at => Ok(()),
            _ => storage.set_alarm(at_time(at)).await,
        }
    }

    // ---- live ---------------------------------------------------------------------------------

    fn live_message(&self, channel: &str) -> Option<String> {
        let guard = self.sku.borrow();
        let sku = guard.as_ref()?;
        availability_message(sku, channel)
    }

    fn broadcast(&self, sku: &Sku) {
        let mut by_channel: BTreeMap<String, Option<String>> = BTreeMap::new();
        for ws in self.state.get_websockets() {
            let Some(channel) = self.state.get_tags(&ws).into_iter().next() else { continue };
            let text = by_channel.entry(channel.clone()).or_insert_with(|| availability_message(sku, &channel));
            if let Some(t) = text {
                let _ = ws.send_with_str(t);
            }
        }
    }

    fn live(&self, req: &Request) -> Result<Response> {
        if !req.headers().get("upgrade")?.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
            return http::error(426, "upgrade_required", "this route upgrades to a WebSocket");
        }
        let channel = query(req, "channel").unwrap_or_else(|| "web".into());
        let first = {
            let guard = self.sku.borrow();
            let Some(sku) = guard.as_ref() else { return unknown_sku() };
            if let Err(e) = sku.availability(&channel) {
                return engine_error(&e);
            }
            availability_message(sku, &channel)
        };
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[channel.as_str()]);
        if let Some(t) = first {
            pair.server.send_with_str(t)?;
        }
        Response::from_websocket(pair.client)
    }

    // ---- reads ----------------------------------------------------------------------------------

    fn availability(&self, req: &Request) -> Result<Response> {
        let channel = query(req, "channel").unwrap_or_else(|| "web".into());
        let now = internal::now();
        // Expiring is a change like any other: done through `mutate` so it is stored and pushed.
        let Some(((), _)) = self.mutate(now, |_, _| ((), false))? else { return unknown_sku() };
        let guard = self.sku.borrow();
        let sku = guard.as_ref().expect("configured");
        match sku.availability(&channel) {
            Ok(a) => json(200, &a),
            Err(e) => engine_error(&e),
        }
    }

    fn view(&self) -> Result<Response> {
        let now = internal::now();
        let Some(((), _)) = self.mutate(now, |_, _| ((), false))? else { return unknown_sku() };
        let guard = self.sku.borrow();
        let sku = guard.as_ref().expect("configured");
        let summary = sku.summary();
        let rows: Vec<JsonRow> =
            self.sql.exec("SELECT json FROM ledger ORDER BY version DESC, location LIMIT 50", None)?.to_array()?;
        let ledger: Vec<Value> = rows.iter().filter_map(|r| serde_json::from_str(&r.json).ok()).collect();
        let ledger_total: Vec<Value> = self.sql.exec("SELECT COUNT(*) AS n FROM ledger", None)?.to_array()?;
        let body = json!({
            "sku": sku.id(),
            "title": summary.title,
            "config": sku.config(),
            "on_hand": summary.on_hand,
            "unsellable": summary.unsellable,
            "in_transit": summary.in_transit,
            "reserved": summary.reserved,
            "holds": summary.holds,
            "buffer": summary.buffer,
            "buffer_policy": summary.buffer_policy,
            "available": summary.available,
            "availability": sku.availability_all(),
            "velocity_per_day": summary.velocity_per_day(now),
            "days_of_supply": summary.days_of_supply(now),
            "projected_stockout_at": summary.projected_stockout(now, None),
            "incoming": summary.incoming,
            "returns": summary.returns,
            "return_flags": summary.return_flags(),
            "history": summary.history,
            "ledger": ledger,
            "ledger_entries": ledger_total.first().and_then(|v| v.get("n")).cloned().unwrap_or(json!(0)),
            "version": summary.version,
            "updated_at": summary.updated_at,
        });
        json(200, &body)
    }

    // ---- changes --------------------------------------------------------------------------------

    async fn configure(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<ConfigureReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let ConfigureReq { sku: id, config, topology } = r.inner;
        let existing = self.sku.borrow().is_some();
        if !existing {
            let mut sku = match Sku::new(&id, config, topology, now) {
                Ok(s) => s,
                Err(e) => return engine_error(&e),
            };
            self.persist(&mut sku, 0)?;
            *self.sku.borrow_mut() = Some(sku);
            self.push.borrow_mut().recalibrated_at = now.millis();
            self.save_push()?;
        } else {
            let outcome = self.mutate(now, |s, _| {
                s.set_topology(topology, now);
                (s.configure(config, now), true)
            })?;
            if let Some((Err(e), _)) = outcome {
                return engine_error(&e);
            }
        }
        self.soon(now).await?;
        self.view()
    }

    async fn topology(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<TopologyReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let topology = r.inner.topology;
        match self.mutate(now, |s, _| {
            s.set_topology(topology, now);
            ((), false)
        })? {
            None => unknown_sku(),
            Some((_, changed)) => {
                if changed {
                    self.soon(now).await?;
                }
                json(200, &json!({"status": "ok"}))
            }
        }
    }

    async fn events(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<EventsReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let events = r.inner.events;
        let dry_run = r.inner.dry_run;
        if dry_run {
            let guard = self.sku.borrow();
            let Some(sku) = guard.as_ref() else { return unknown_sku() };
            for e in &events {
                if let Err(err) = sku.check_event(e) {
                    return engine_error(&err);
                }
            }
            return json(200, &json!({"status": "ok"}));
        }
        let outcome = self.mutate(now, |sku, sql| {
            // All or nothing: the engine checks every event before applying any.
            let results = match sku.apply_all(&events, now) {
                Ok(r) => r,
                Err(err) => return (Err(err), false),
            };
            let mut counts = (0u32, 0u32, 0u32);
            for (e, applied) in events.iter().zip(results) {
                match applied {
                    Applied::Applied(entry) => {
                        counts.0 += 1;
                        let stored = insert_ledger(sql, &entry).and_then(|_| {
                            sql.exec(
                                "INSERT OR REPLACE INTO seen(key, at) VALUES (?, ?)",
                                vec![e.source.key().into(), now.millis().into()],
                            )
                            .map(|_| ())
                        });
                        if let Err(err) = stored {
                            return (Err(lastunit::Error::invalid("storage", err.to_string())), false);
                        }
                    }
                    Applied::Duplicate => counts.1 += 1,
                    Applied::Stale => counts.2 += 1,
                }
            }
            (Ok(counts), false)
        })?;
        match outcome {
            None => unknown_sku(),
            Some((Err(e), _)) => engine_error(&e),
            Some((Ok((a, d, i)), changed)) => {
                if changed {
                    self.soon(now).await?;
                }
                json(200, &json!({"applied": a, "duplicates": d, "ignored": i}))
            }
        }
    }

    async fn reserve(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<ReserveReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let q = r.inner;
        let hold = HoldRequest {
            id: q.id.clone(),
            cart_id: q.cart_id.clone(),
            client: q.client.clone(),
            channel: q.channel.clone(),
            quantity: q.quantity,
            expires_at: q.expires_at,
        };
        let Some((result, changed)) = self.mutate(now, |s, _| (s.reserve(&hold, now), false))? else {
            return unknown_sku();
        };
        let sku_id = self.sku.borrow().as_ref().map(|s| s.id().to_string()).unwrap_or_default();
        let (status, body) = match &result {
            Ok(h) => (
                201u16,
                json!({
                    "reservation_id": h.id,
                    "cart_id": h.cart_id,
                    "channel": h.channel,
                    "lines": [{"sku": sku_id, "quantity": h.quantity}],
                    "expires_at": h.expires_at,
                }),
            ),
            Err(e) => (e.http_status(), engine_error_body(e)),
        };
        let text = body.to_string();
        if changed {
            self.soon(now).await?;
        }
        json_text(status, text)
    }

    async fn commit(&self, req: &mut Request) -> Result<Response> {
        self.settle_hold(req, "committed", |s, r: &CommitReq, now| s.commit(&r.id, &r.order_id, now)).await
    }

    async fn release(&self, req: &mut Request) -> Result<Response> {
        self.settle_hold(req, "released", |s, r: &ReleaseReq, now| s.release(&r.id, now)).await
    }

    /// Commit and release: one engine call on a hold, answered `{"status": <status>}`.
    async fn settle_hold<B: serde::de::DeserializeOwned>(
        &self,
        req: &mut Request,
        status: &str,
        op: impl FnOnce(&mut Sku, &B, Timestamp) -> std::result::Result<lastunit::Hold, lastunit::Error>,
    ) -> Result<Response> {
        let r: WithNow<B> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let Some((result, changed)) = self.mutate(now, |s, _| (op(s, &r.inner, now), false))? else {
            return unknown_sku();
        };
        if changed {
            self.soon(now).await?;
        }
        match result {
            Ok(_) => json(200, &json!({"status": status})),
            Err(e) => engine_error(&e),
        }
    }

    async fn expect(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<ExpectReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let line = r.inner.line;
        let Some((result, changed)) = self.mutate(now, |s, _| (s.expect(line, now), false))? else {
            return unknown_sku();
        };
        if changed {
            self.soon(now).await?;
        }
        match result {
            Ok(()) => json(200, &json!({"status": "ok"})),
            Err(e) => engine_error(&e),
        }
    }

    // ---- the alarm ------------------------------------------------------------------------------

    async fn run_alarm(&self) -> Result<()> {
        let now = internal::now();
        let recalibrate_due = now.millis() - self.push.borrow().recalibrated_at >= HOUR;
        let Some(_) = self.mutate(now, |s, _| {
            let changed = recalibrate_due && s.recalibrate(now);
            ((), changed)
        })?
        else {
            return Ok(());
        };
        if recalibrate_due {
            self.push.borrow_mut().recalibrated_at = now.millis();
        }
        // Prune remembered event ids past retention (the engine forgets them in memory too).
        self.sql.exec("DELETE FROM seen WHERE at < ?", vec![(now.millis() - lastunit::dedupe::RETENTION_MS).into()])?;
        self.sql
            .exec("DELETE FROM answers WHERE at < ?", vec![(now.millis() - lastunit::sku::SETTLED_KEPT_MS).into()])?;
        self.sql
            .exec("DELETE FROM holds WHERE at < ?", vec![(now.millis() - lastunit::sku::SETTLED_KEPT_MS).into()])?;

        // Holds must expire on time even if the network work below is slow: wake up for the
        // next expiry whatever happens to it.
        self.state.storage().set_alarm(at_time(self.next_wake(now, false))).await?;

        let retry_soon = match with_timeout(self.push_summary(), NETWORK_TIMEOUT_MS).await {
            Some(Ok(())) => false,
            Some(Err(e)) => {
                worker::console_error!("summary push failed: {e}");
                true
            }
            None => {
                worker::console_error!("summary push timed out");
                true
            }
        };
        self.deliver(now).await;
        self.save_push()?;
        self.state.storage().set_alarm(at_time(self.next_wake(now, retry_soon))).await?;
        Ok(())
    }

    /// The next moment the alarm has work: a hold expiring, a push to retry, the hourly
    /// recalibration, or (soon) a change not yet sent to the catalog.
    fn next_wake(&self, now: Timestamp, retry_soon: bool) -> i64 {
        let p = self.push.borrow();
        let mut next = p.recalibrated_at + HOUR;
        let guard = self.sku.borrow();
        if let Some(sku) = guard.as_ref() {
            if let Some(t) = sku.next_expiry() {
                next = next.min(t.millis());
            }
            if p.summary_version.is_some_and(|v| v != sku.version()) {
                next = next.min(internal::now().millis() + SETTLE_MS);
            }
        }
        for t in p.retry_at.values() {
            next = next.min(*t);
        }
        if retry_soon {
            next = next.min(now.millis() + 5_000);
        }
        next.max(internal::now().millis() + 50)
    }

    async fn push_summary(&self) -> Result<()> {
        let (version, summary) = {
            let guard = self.sku.borrow();
            let Some(sku) = guard.as_ref() else { return Ok(()) };
            if self.push.borrow().summary_version == Some(sku.version()) {
                return Ok(());
            }
            (sku.version(), sku.summary())
        };
        let catalog = catalog_stub(&self.env)?;
        let (status, answer): (u16, Value) = call_json(&catalog, Method::Post, "/summary", Some(&summary)).await?;
        if status != 200 {
            return Err(worker::Error::RustError(format!("catalog answered {status}: {answer}")));
        }
        if answer.get("known") == Some(&json!(false)) {
            return Err(worker::Error::RustError(format!("the catalog does not list `{}` yet", summary.sku)));
        }
        let subscribers: Vec<Subscriber> =
            serde_json::from_value(answer.get("subscribers").cloned().unwrap_or(json!([]))).unwrap_or_default();
        {
            let mut p = self.push.borrow_mut();
            p.summary_version = Some(version);
            p.subscribers = subscribers;
        }
        // The catalog's layout, in case a fan-out has not reached this SKU yet.
        if let Some(topology) = answer.get("topology").and_then(|t| serde_json::from_value::<Topology>(t.clone()).ok())
        {
            let now = internal::now();
            let changed = self.mutate(now, |s, _| {
                s.set_topology(topology, now);
                ((), false)
            })?;
            if changed.is_some_and(|(_, c)| c) {
                self.soon(now).await?;
            }
        }
        Ok(())
    }

    /// Sends each subscriber its channel's availability when it differs from what it last
    /// received; a failure is retried with exponential backoff, always with the newest value.
    async fn deliver(&self, now: Timestamp) {
        let due = {
            let guard = self.sku.borrow();
            let Some(sku) = guard.as_ref() else { return };
            self.push.borrow_mut().due(now, |channel| sku.availability(channel).ok())
        };
        let outcomes = join_all(due.iter().map(|d| push::post_signed(&d.subscriber, &d.body, now))).await;
        let mut p = self.push.borrow_mut();
        for (d, ok) in due.into_iter().zip(outcomes) {
            p.record(d, ok, now);
        }
    }
}

/// The SKU as stored: the snapshot, with its applied event ids and holds given back.
fn load_sku(sql: &SqlStorage) -> Option<Sku> {
    let mut sku: Option<Sku> = sql
        .exec("SELECT json FROM state WHERE id = 1", None)
        .and_then(|c| c.to_array::<JsonRow>())
        .ok()
        .and_then(|rows| rows.into_iter().next())
        .and_then(|r| serde_json::from_str(&r.json).ok());
    if let Some(s) = sku.as_mut() {
        if let Ok(rows) = sql.exec("SELECT key, at FROM seen ORDER BY at", None).and_then(|c| c.to_array::<SeenRow>()) {
            for r in rows {
                s.restore_seen(r.key, Timestamp(r.at as i64));
            }
        }
        if let Ok(rows) = sql.exec("SELECT json FROM holds ORDER BY at", None).and_then(|c| c.to_array::<JsonRow>()) {
            for r in rows {
                if let Ok(h) = serde_json::from_str(&r.json) {
                    s.restore_hold(h);
                }
            }
        }
    }
    sku
}

/// An absolute alarm time (a bare number would be an offset from now).
fn at_time(ms: i64) -> worker::ScheduledTime {
    worker::ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)))
}

fn insert_ledger(sql: &SqlStorage, entry: &LedgerEntry) -> Result<()> {
    let text = serde_json::to_string(entry).map_err(|e| worker::Error::RustError(e.to_string()))?;
    sql.exec(
        "INSERT OR IGNORE INTO ledger(version, location, json) VALUES (?, ?, ?)",
        vec![(entry.version as i64).into(), entry.location.clone().into(), text.into()],
    )?;
    Ok(())
}

/// The live message: the availability object with `"type": "availability"`.
fn availability_message(sku: &Sku, channel: &str) -> Option<String> {
    let a = sku.availability(channel).ok()?;
    let mut v = serde_json::to_value(&a).ok()?;
    v["type"] = json!("availability");
    Some(v.to_string())
}
