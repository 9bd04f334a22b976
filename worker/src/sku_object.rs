//! `SkuObject`: one Durable Object per SKU (named by the SKU).
//!
//! Holds the engine's `Sku` in memory. SQLite tables:
//! - `state(id=1, json)`: the snapshot, a `lastunit::StoredSku` (versioned; an older format is
//!   read through the engine's migrations, and one that does not read answers 503 and is kept);
//! - `holds(id, json, at)`: one row per hold, active or recently settled;
//! - `seen(key, at)`: applied event keys;
//! - `ledger(version, location, json)`: every `LedgerEntry`, never pruned;
//! - `answers(id, status, body)`: no longer written (a reservation's first answer now lives in
//!   its `CartObject`, found by cart and `Idempotency-Key`); what an earlier release left is pruned;
//! - `meta(key, json)`: the push state (what each subscriber was last sent, retries).
//!
//! Every mutation: engine call → its `ChangeSet` written in one `transactionSync` (all rows or
//! none; the answer leaves only once they are durable) → live sockets told → alarm set. The
//! alarm does everything that talks to the network: summary to the catalog, subscriber pushes.

use std::cell::RefCell;
use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::worker_sys::DurableObjectStorage;
use worker::{
    durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, SqlStorageValue,
    State, WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use lastunit::event::StockEvent;
use lastunit::forecast::IncomingLine;
use lastunit::stored::{read_hold, StoredSku};
use lastunit::time::HOUR;
use lastunit::{Applied, ChangeSet, HoldRequest, SeenKey, Sku, SkuConfig, Timestamp, Topology};

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
    /// `ctx.storage` itself, for `transactionSync` (which workers-rs 0.8.7 does not wrap).
    storage: DurableObjectStorage,
    sku: RefCell<Loaded>,
    push: RefCell<PushState>,
    faults: Option<Faults>,
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
        let raw = state._inner();
        let storage = raw.storage().expect("a Durable Object has storage");
        let state = State::from(raw);
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
        let sku = load(&sql);
        let push = sql
            .exec("SELECT json FROM meta WHERE key = 'push'", None)
            .and_then(|c| c.to_array::<JsonRow>())
            .ok()
            .and_then(|rows| rows.into_iter().next())
            .and_then(|r| serde_json::from_str(&r.json).ok())
            .unwrap_or_default();
        let faults = Faults::from_env(&env);
        SkuObject { state, env, sql, storage, sku: RefCell::new(sku), push: RefCell::new(push), faults }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let method = req.method();
        match (method, path.as_str()) {
            (Method::Get, "/availability") => self.availability(&req).await,
            (Method::Get, "/live") => self.live(&req).await,
            (Method::Get, "/view") => self.view().await,
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

/// What the object holds in memory.
// One per object, and nearly always `Ready`: boxing the SKU would only add an indirection.
#[allow(clippy::large_enum_variant)]
enum Loaded {
    /// No SKU was ever configured under this name.
    Absent,
    Ready(Sku),
    /// The stored state does not read: every route answers 503 and nothing is written over it.
    Unreadable(lastunit::Error),
}

/// Why a change or a read did not happen.
enum Blocked {
    Absent,
    Unreadable(lastunit::Error),
    /// Storing failed: nothing was written, and memory was taken back to what is stored.
    Storage(worker::Error),
}

impl Blocked {
    fn answer(self) -> Result<Response> {
        match self {
            Blocked::Absent => unknown_sku(),
            Blocked::Unreadable(e) => engine_error(&e),
            Blocked::Storage(e) => {
                worker::console_error!("storing a change failed, nothing was changed: {e}");
                http::error(500, "internal_error", "storing the change failed; nothing was changed, try again")
            }
        }
    }
}

/// One statement of a change set's transaction.
enum Statement {
    Exec(&'static str, Vec<SqlStorageValue>),
    /// A failure injected by a test ([`Faults`]).
    Fault(String),
}

/// Test-only storage faults. Honoured only when `LASTUNIT_TEST` is `1` and
/// `LASTUNIT_TEST_FAULTS` is `ledger-row:<n>:<sku>`: every transaction storing a change of that
/// SKU fails just before its n-th ledger row (1-based), so nothing of it is stored. Neither
/// setting is in wrangler.toml or `.dev.vars.example`; only the tests pass them (docs/LIMITS.md).
struct Faults {
    sku: String,
    ledger_row: usize,
}

impl Faults {
    fn from_env(env: &Env) -> Option<Faults> {
        if internal::setting(env, "LASTUNIT_TEST") != "1" {
            return None;
        }
        let spec = internal::setting(env, "LASTUNIT_TEST_FAULTS");
        let mut parts = spec.splitn(3, ':');
        let (Some("ledger-row"), Some(n), Some(sku)) = (parts.next(), parts.next(), parts.next()) else { return None };
        let ledger_row = n.parse().ok()?;
        worker::console_warn!("test faults on: storing `{sku}` fails at ledger row {ledger_row}");
        Some(Faults { sku: sku.to_string(), ledger_row })
    }
}

impl SkuObject {
    // ---- the one way state changes ----------------------------------------------------------

    /// Runs `f` on the SKU after expiring its holds at `now`, then stores everything the engine
    /// recorded in one transaction before anything is
    /// answered; live sockets and the alarm learn of it after. A storage failure stores nothing
    /// and takes memory back to what is stored.
    async fn change<R>(&self, now: Timestamp, f: impl FnOnce(&mut Sku) -> R) -> std::result::Result<R, Blocked> {
        let (value, stored) = self.change_now(now, f)?;
        if stored {
            self.soon(now).await.map_err(Blocked::Storage)?;
        }
        Ok(value)
    }

    /// [`Self::change`] without the alarm: the value, and whether anything was stored.
    fn change_now<R>(&self, now: Timestamp, f: impl FnOnce(&mut Sku) -> R) -> std::result::Result<(R, bool), Blocked> {
        let mut slot = self.sku.borrow_mut();
        if matches!(*slot, Loaded::Unreadable(_)) {
            // A failed read may have been passing: look again (nothing is written either way).
            *slot = load(&self.sql);
        }
        let sku = match &mut *slot {
            Loaded::Ready(s) => s,
            Loaded::Absent => return Err(Blocked::Absent),
            Loaded::Unreadable(e) => return Err(Blocked::Unreadable(e.clone())),
        };
        sku.expire(now);
        let value = f(sku);
        let changes = sku.take_changes();
        if changes.is_empty() {
            return Ok((value, false));
        }
        if let Err(e) = self.store(sku.id(), &changes) {
            *slot = load(&self.sql);
            return Err(Blocked::Storage(e));
        }
        if changes.changes_availability() {
            if let Loaded::Ready(sku) = &*slot {
                self.broadcast(sku);
            }
        }
        Ok((value, true))
    }

    /// Reads the SKU (after expiring its holds at `now`, stored like any change).
    async fn read<R>(&self, now: Timestamp, f: impl FnOnce(&Sku) -> R) -> std::result::Result<R, Blocked> {
        self.change(now, |_| ()).await?;
        match &*self.sku.borrow() {
            Loaded::Ready(sku) => Ok(f(sku)),
            Loaded::Absent => Err(Blocked::Absent),
            Loaded::Unreadable(e) => Err(Blocked::Unreadable(e.clone())),
        }
    }

    /// Writes a change set in one `transactionSync`: every row or none.
    fn store(&self, sku: &str, changes: &ChangeSet) -> Result<()> {
        let mut statements = Vec::new();
        if let Some(snapshot) = &changes.snapshot {
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO state(id, json) VALUES (1, ?)",
                vec![snapshot.to_json().into()],
            ));
        }
        for h in &changes.holds {
            // `at` is when a row may be pruned from: an active hold's expiry, a settled one's settling.
            let at = if h.is_active() { h.expires_at } else { h.settled_at };
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO holds(id, json, at) VALUES (?, ?, ?)",
                vec![h.id.clone().into(), lastunit::stored::hold_json(h).into(), at.millis().into()],
            ));
        }
        for (i, entry) in changes.ledger.iter().enumerate() {
            if self.faults.as_ref().is_some_and(|f| f.sku == sku && f.ledger_row == i + 1) {
                statements.push(Statement::Fault(format!("test fault: ledger row {} of `{sku}`", i + 1)));
            }
            let text = serde_json::to_string(entry).map_err(|e| worker::Error::RustError(e.to_string()))?;
            // A row left by a release that did not write atomically may hold this version:
            // the entry that now has it replaces it.
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO ledger(version, location, json) VALUES (?, ?, ?)",
                vec![(entry.version as i64).into(), entry.location.clone().into(), text.into()],
            ));
        }
        for k in &changes.seen {
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO seen(key, at) VALUES (?, ?)",
                vec![k.key.clone().into(), k.at.millis().into()],
            ));
        }
        transaction_sync(&self.storage, &self.sql, statements)
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
        match &*self.sku.borrow() {
            Loaded::Ready(sku) => availability_message(sku, channel),
            _ => None,
        }
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

    async fn live(&self, req: &Request) -> Result<Response> {
        if !req.headers().get("upgrade")?.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
            return http::error(426, "upgrade_required", "this route upgrades to a WebSocket");
        }
        let channel = query(req, "channel").unwrap_or_else(|| "web".into());
        let first = match self
            .read(internal::now(), |sku| sku.availability(&channel).map(|_| availability_message(sku, &channel)))
            .await
        {
            Err(b) => return b.answer(),
            Ok(Err(e)) => return engine_error(&e),
            Ok(Ok(first)) => first,
        };
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[channel.as_str()]);
        if let Some(t) = first {
            pair.server.send_with_str(t)?;
        }
        Response::from_websocket(pair.client)
    }

    // ---- reads ----------------------------------------------------------------------------------

    async fn availability(&self, req: &Request) -> Result<Response> {
        let channel = query(req, "channel").unwrap_or_else(|| "web".into());
        // Expiring is a change like any other: stored and pushed before the answer.
        match self.read(internal::now(), |sku| sku.availability(&channel)).await {
            Err(b) => b.answer(),
            Ok(Ok(a)) => json(200, &a),
            Ok(Err(e)) => engine_error(&e),
        }
    }

    async fn view(&self) -> Result<Response> {
        let now = internal::now();
        let body = self.read(now, |sku| {
            let summary = sku.summary();
            json!({
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
                "version": summary.version,
                "updated_at": summary.updated_at,
            })
        });
        let mut body = match body.await {
            Ok(b) => b,
            Err(b) => return b.answer(),
        };
        let rows: Vec<JsonRow> =
            self.sql.exec("SELECT json FROM ledger ORDER BY version DESC, location LIMIT 50", None)?.to_array()?;
        let ledger: Vec<Value> = rows.iter().filter_map(|r| serde_json::from_str(&r.json).ok()).collect();
        let ledger_total: Vec<Value> = self.sql.exec("SELECT COUNT(*) AS n FROM ledger", None)?.to_array()?;
        body["ledger"] = json!(ledger);
        body["ledger_entries"] = ledger_total.first().and_then(|v| v.get("n")).cloned().unwrap_or(json!(0));
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
        let absent = matches!(*self.sku.borrow(), Loaded::Absent);
        if absent {
            let mut sku = match Sku::new(&id, config, topology, now) {
                Ok(s) => s,
                Err(e) => return engine_error(&e),
            };
            if let Err(e) = self.store(&id, &sku.take_changes()) {
                return Blocked::Storage(e).answer();
            }
            *self.sku.borrow_mut() = Loaded::Ready(sku);
            self.push.borrow_mut().recalibrated_at = now.millis();
            self.save_push()?;
            self.soon(now).await?;
        } else {
            // An unreadable SKU answers 503 here and is never configured over.
            let outcome = self
                .change(now, |s| {
                    s.set_topology(topology, now);
                    s.configure(config, now)
                })
                .await;
            match outcome {
                Err(b) => return b.answer(),
                Ok(Err(e)) => return engine_error(&e),
                Ok(Ok(())) => {}
            }
        }
        self.view().await
    }

    async fn topology(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<TopologyReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let topology = r.inner.topology;
        match self.change(now, |s| s.set_topology(topology, now)).await {
            Err(b) => b.answer(),
            Ok(()) => json(200, &json!({"status": "ok"})),
        }
    }

    async fn events(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<EventsReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let events = r.inner.events;
        if r.inner.dry_run {
            let checked = match &*self.sku.borrow() {
                Loaded::Ready(sku) => events.iter().try_for_each(|e| sku.check_event(e)),
                Loaded::Absent => return unknown_sku(),
                Loaded::Unreadable(e) => return engine_error(e),
            };
            return match checked {
                Ok(()) => json(200, &json!({"status": "ok"})),
                Err(err) => engine_error(&err),
            };
        }
        // All or nothing: the engine checks every event before applying any, and the ledger
        // rows and applied keys of the whole batch are stored in one transaction.
        match self.change(now, |sku| sku.apply_all(&events, now)).await {
            Err(b) => b.answer(),
            Ok(Err(e)) => engine_error(&e),
            Ok(Ok(results)) => {
                let count = |kind: fn(&Applied) -> bool| results.iter().filter(|a| kind(a)).count();
                json(
                    200,
                    &json!({
                        "applied": count(|a| matches!(a, Applied::Applied(_))),
                        "duplicates": count(|a| matches!(a, Applied::Duplicate)),
                        "ignored": count(|a| matches!(a, Applied::Stale)),
                    }),
                )
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
        let answered = self.change(now, |s| {
            let (status, body) = match s.reserve(&hold, now) {
                Ok(h) => (
                    201u16,
                    json!({
                        "reservation_id": h.id,
                        "cart_id": h.cart_id,
                        "channel": h.channel,
                        "lines": [{"sku": s.id(), "quantity": h.quantity}],
                        "expires_at": h.expires_at,
                    }),
                ),
                Err(e) => (e.http_status(), engine_error_body(&e)),
            };
            (status, body.to_string())
        });
        match answered.await {
            Err(b) => b.answer(),
            Ok((status, text)) => json_text(status, text),
        }
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
        match self.change(now, |s| op(s, &r.inner, now)).await {
            Err(b) => b.answer(),
            Ok(Ok(_)) => json(200, &json!({"status": status})),
            Ok(Err(e)) => engine_error(&e),
        }
    }

    async fn expect(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<ExpectReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let line = r.inner.line;
        match self.change(now, |s| s.expect(line, now)).await {
            Err(b) => b.answer(),
            Ok(Ok(())) => json(200, &json!({"status": "ok"})),
            Ok(Err(e)) => engine_error(&e),
        }
    }

    // ---- the alarm ------------------------------------------------------------------------------

    async fn run_alarm(&self) -> Result<()> {
        let now = internal::now();
        let recalibrate_due = now.millis() - self.push.borrow().recalibrated_at >= HOUR;
        match self
            .change(now, |s| {
                if recalibrate_due {
                    s.recalibrate(now);
                }
            })
            .await
        {
            Ok(()) => {}
            // Nothing to expire, push or prune for a SKU that is not there or does not read.
            Err(Blocked::Absent | Blocked::Unreadable(_)) => return Ok(()),
            Err(Blocked::Storage(e)) => return Err(e),
        }
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
        if let Loaded::Ready(sku) = &*self.sku.borrow() {
            if let Some(t) = sku.next_expiry() {
                next = next.min(t.millis());
            }
            if p.summary_version != Some(sku.version()) {
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
            let Loaded::Ready(sku) = &*self.sku.borrow() else { return Ok(()) };
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
            match self.change(now, |s| s.set_topology(topology, now)).await {
                Ok(()) | Err(Blocked::Absent | Blocked::Unreadable(_)) => {}
                Err(Blocked::Storage(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sends each subscriber its channel's availability when it differs from what it last
    /// received; a failure is retried with exponential backoff, always with the newest value.
    async fn deliver(&self, now: Timestamp) {
        let due = {
            let Loaded::Ready(sku) = &*self.sku.borrow() else { return };
            self.push.borrow_mut().due(now, |channel| sku.availability(channel).ok())
        };
        let outcomes = join_all(due.iter().map(|d| push::post_signed(&d.subscriber, &d.body, now))).await;
        let mut p = self.push.borrow_mut();
        for (d, ok) in due.into_iter().zip(outcomes) {
            p.record(d, ok, now);
        }
    }
}

/// The SKU as stored: its snapshot (any format, migrated by the engine), its hold rows and its
/// applied event keys. Anything that does not read makes the whole SKU unreadable: a SKU with a
/// hold or a key missing would sell units it holds or apply an event twice.
fn load(sql: &SqlStorage) -> Loaded {
    match read_stored(sql) {
        Ok(None) => Loaded::Absent,
        Ok(Some(sku)) => Loaded::Ready(sku),
        Err(e) => {
            worker::console_error!("stored SKU unreadable: {e}");
            Loaded::Unreadable(e)
        }
    }
}

fn read_stored(sql: &SqlStorage) -> std::result::Result<Option<Sku>, lastunit::Error> {
    let storage = |e: worker::Error| lastunit::Error::StateUnreadable(format!("storage: {e}"));
    let rows: Vec<JsonRow> =
        sql.exec("SELECT json FROM state WHERE id = 1", None).and_then(|c| c.to_array()).map_err(storage)?;
    let Some(row) = rows.into_iter().next() else { return Ok(None) };
    let stored = StoredSku::read(&row.json)?;
    let holds: Vec<JsonRow> = sql.exec("SELECT json FROM holds", None).and_then(|c| c.to_array()).map_err(storage)?;
    let holds = holds.iter().map(|r| read_hold(&r.json)).collect::<std::result::Result<Vec<_>, _>>()?;
    let seen: Vec<SeenRow> = sql.exec("SELECT key, at FROM seen", None).and_then(|c| c.to_array()).map_err(storage)?;
    let seen = seen.into_iter().map(|r| SeenKey { key: r.key, at: Timestamp(r.at as i64) }).collect();
    Ok(Some(Sku::restore(stored, holds, seen)))
}

/// Runs `statements` in one `ctx.storage.transactionSync`: SQLite commits all of them, or rolls
/// all of them back when one throws. workers-rs 0.8.7 wraps only the asynchronous
/// `transaction`, so the storage object's method is called directly.
fn transaction_sync(storage: &DurableObjectStorage, sql: &SqlStorage, statements: Vec<Statement>) -> Result<()> {
    let sql = sql.clone();
    let body = Closure::once(move || -> std::result::Result<JsValue, JsValue> {
        for statement in statements {
            match statement {
                Statement::Exec(query, bindings) => {
                    sql.exec(query, bindings).map_err(|e| JsValue::from_str(&e.to_string()))?;
                }
                Statement::Fault(why) => return Err(js_sys::Error::new(&why).into()),
            }
        }
        Ok(JsValue::UNDEFINED)
    });
    let run: js_sys::Function = js_sys::Reflect::get(storage, &JsValue::from_str("transactionSync"))?.dyn_into()?;
    run.call1(storage, body.as_ref().unchecked_ref())?;
    Ok(())
}

/// An absolute alarm time (a bare number would be an offset from now).
fn at_time(ms: i64) -> worker::ScheduledTime {
    worker::ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)))
}

/// The live message: the availability object with `"type": "availability"`.
fn availability_message(sku: &Sku, channel: &str) -> Option<String> {
    let a = sku.availability(channel).ok()?;
    let mut v = serde_json::to_value(&a).ok()?;
    v["type"] = json!("availability");
    Some(v.to_string())
}
