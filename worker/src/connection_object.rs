//! `ConnectionObject`: one Durable Object per connected store (named by its provider), holding
//! that connection's writer (`lastunit::connect::Outbox`).
//!
//! SQLite: `meta(key, json)` with the writer's meta row (`outbox`) and the connection's target
//! (`target`: whether to write, the store's location id); `items(sku, json)`, one row per SKU.
//! Every change of the writer is stored in one `transactionSync` before anything is answered or
//! sent. Routes (called by the SKU objects, the catalog and the webhooks):
//!
//! - `POST /configure {"provider", "write", "location_ref"}` (the catalog, on every PUT of the
//!   connection or of its location);
//! - `POST /want {"items": [{"sku", "item_ref", "available", "version"}], "force"}` (SKU alarms,
//!   and resyncs from the catalog);
//! - `POST /observe {"item_ref", "quantity"}` (the store's stock webhook): `{"verdict"}`;
//! - `GET /status`, `GET /levels?skus=a,b` (what the store holds of each SKU);
//! - `POST /refunds {"read"}` (a WooCommerce order that lists refunds): kept in
//!   `refund_reads(order_id, json)` until its refunds are read and their returns applied.
//!
//! The alarm does all the network work: it sends what the writer says, one request at a time,
//! and hands each answer back to it; then it reads the refunds that are due, each retried with
//! the writer's backoff until the store answers.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::worker_sys::DurableObjectStorage;
use worker::{durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

use lastunit::connect::echo::Observed;
use lastunit::connect::outbox::{Item, Meta};
use lastunit::connect::{Outbox, OutboxChanges, Provider, Target};
use lastunit::pos::woocommerce_refunds::{PendingRefundRead, RefundRead};

use crate::http::{self, json};
use crate::internal::{self, body, query};
use crate::stores::StoreClient;
use crate::transaction::{at_time, transaction_sync, Statement};

/// Most requests one alarm run sends (the rest continue from the next run).
const REQUESTS_PER_RUN: usize = 20;

#[durable_object]
pub struct ConnectionObject {
    state: State,
    env: Env,
    sql: SqlStorage,
    storage: DurableObjectStorage,
    /// The writer (`None` until the catalog configures this connection).
    outbox: RefCell<Option<Outbox>>,
    target: RefCell<Option<TargetRow>>,
}

/// What the catalog says of the connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct TargetRow {
    provider: Provider,
    write: bool,
    location_ref: Option<String>,
}

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

#[derive(Deserialize)]
struct ItemRow {
    sku: String,
    json: String,
}

#[derive(Deserialize)]
struct Want {
    sku: String,
    item_ref: Option<String>,
    available: i64,
    version: u64,
}

#[derive(Deserialize)]
struct WantReq {
    items: Vec<Want>,
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize)]
struct RefundsReq {
    read: RefundRead,
}

/// Most refund reads one alarm run makes.
const REFUND_READS_PER_RUN: usize = 10;

#[derive(Deserialize)]
struct ObserveReq {
    item_ref: String,
    quantity: i64,
}

/// A random seed for the backoff's jitter.
fn seed() -> u64 {
    let mut seed = [0u8; 8];
    getrandom::fill(&mut seed).expect("the Workers runtime has crypto.getRandomValues");
    u64::from_le_bytes(seed)
}

fn storage_err(e: impl ToString) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

impl DurableObject for ConnectionObject {
    fn new(state: State, env: Env) -> Self {
        let raw = state._inner();
        let storage = raw.storage().expect("a Durable Object has storage");
        let state = State::from(raw);
        let sql = state.storage().sql();
        for ddl in [
            "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, json TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS items(sku TEXT PRIMARY KEY, json TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS refund_reads(order_id TEXT PRIMARY KEY, json TEXT NOT NULL)",
        ] {
            sql.exec(ddl, None).expect("schema");
        }
        let meta_row = |key: &str| -> Option<String> {
            sql.exec("SELECT json FROM meta WHERE key = ?", vec![key.into()])
                .and_then(|c| c.to_array::<JsonRow>())
                .ok()?
                .into_iter()
                .next()
                .map(|r| r.json)
        };
        let target: Option<TargetRow> = meta_row("target").and_then(|j| serde_json::from_str(&j).ok());
        let outbox = meta_row("outbox").and_then(|j| serde_json::from_str::<Meta>(&j).ok()).map(|meta| {
            let items = sql
                .exec("SELECT sku, json FROM items", None)
                .and_then(|c| c.to_array::<ItemRow>())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| Some((r.sku, serde_json::from_str::<Item>(&r.json).ok()?)));
            Outbox::restore(meta, items)
        });
        ConnectionObject { state, env, sql, storage, outbox: RefCell::new(outbox), target: RefCell::new(target) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/configure") => self.configure(&mut req).await,
            (Method::Post, "/want") => self.want(&mut req).await,
            (Method::Post, "/observe") => self.observe(&mut req).await,
            (Method::Post, "/refunds") => self.queue_refunds(&mut req).await,
            (Method::Get, "/status") => self.status(),
            (Method::Get, "/levels") => self.levels(&req),
            _ => http::not_found(),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.run().await?;
        Response::ok("ok")
    }
}

impl ConnectionObject {
    /// Stores what the writer changed, in one transaction.
    fn store(&self, changes: OutboxChanges) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut statements = Vec::new();
        if let Some(meta) = &changes.meta {
            let text = serde_json::to_string(meta).map_err(storage_err)?;
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO meta(key, json) VALUES ('outbox', ?)",
                vec![text.into()],
            ));
        }
        for (sku, row) in &changes.items {
            match row {
                Some(item) => {
                    let text = serde_json::to_string(item).map_err(storage_err)?;
                    statements.push(Statement::Exec(
                        "INSERT OR REPLACE INTO items(sku, json) VALUES (?, ?)",
                        vec![sku.clone().into(), text.into()],
                    ));
                }
                None => statements.push(Statement::Exec("DELETE FROM items WHERE sku = ?", vec![sku.clone().into()])),
            }
        }
        transaction_sync(&self.storage, &self.sql, statements)
    }

    /// Runs `f` on the writer and stores what it changed; a storage failure reloads nothing
    /// (the object restarts from what is stored) and is an error.
    fn change<R>(&self, f: impl FnOnce(&mut Outbox) -> R) -> Result<Option<R>> {
        let mut slot = self.outbox.borrow_mut();
        let Some(outbox) = slot.as_mut() else { return Ok(None) };
        let value = f(outbox);
        let changes = outbox.take_changes();
        if let Err(e) = self.store(changes) {
            // Memory is ahead of storage: drop it, so the next request reads what is stored.
            *slot = None;
            return Err(e);
        }
        Ok(Some(value))
    }

    /// Sets the alarm for the writer's next work or the next refund read, if there is any.
    async fn wake(&self) -> Result<()> {
        let now = internal::now();
        let writer = self.outbox.borrow().as_ref().and_then(|o| o.next_wake(now));
        let refunds = self.refund_rows().iter().map(|r| r.due_at).min();
        let next = writer.into_iter().chain(refunds).min();
        let Some(at) = next else { return Ok(()) };
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(t) if t <= at.millis() => Ok(()),
            _ => storage.set_alarm(at_time(at.millis().max(now.millis() + 10))).await,
        }
    }

    async fn configure(&self, req: &mut Request) -> Result<Response> {
        let target: TargetRow = match body(req).await {
            Ok(t) => t,
            Err(e) => return http::bad_json(e),
        };
        let now = internal::now();
        let previous = self.target.borrow().clone();
        if self.outbox.borrow().is_none() {
            *self.outbox.borrow_mut() = Some(Outbox::new(target.provider, now));
        }
        let moved = previous.as_ref().is_some_and(|p| p.location_ref != target.location_ref);
        self.change(|o| {
            if moved {
                o.retarget(now);
            }
        })?;
        let text = serde_json::to_string(&target).map_err(storage_err)?;
        self.sql.exec("INSERT OR REPLACE INTO meta(key, json) VALUES ('target', ?)", vec![text.into()])?;
        *self.target.borrow_mut() = Some(target);
        self.wake().await?;
        json(200, &json!({"status": "ok"}))
    }

    async fn want(&self, req: &mut Request) -> Result<Response> {
        let r: WantReq = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = internal::now();
        let taken = self.change(|o| {
            for w in &r.items {
                match &w.item_ref {
                    Some(item_ref) => o.want(&w.sku, item_ref, w.available, w.version, r.force, now),
                    None => o.unmap(&w.sku),
                }
            }
        })?;
        if taken.is_none() {
            return http::error(409, "not_configured", "this connection is not configured");
        }
        self.wake().await?;
        json(200, &json!({"taken": r.items.len()}))
    }

    async fn observe(&self, req: &mut Request) -> Result<Response> {
        let r: ObserveReq = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = internal::now();
        let verdict = self
            .change(|o| {
                let sku = o.sku_of(&r.item_ref)?.to_string();
                o.observe(&sku, r.quantity, now)
            })?
            .flatten();
        let verdict = match verdict {
            Some(Observed::Echo) => "echo",
            Some(Observed::Unchanged) => "unchanged",
            Some(Observed::StoreChange) => "store_change",
            None => "unknown",
        };
        self.wake().await?;
        json(200, &json!({"verdict": verdict}))
    }

    /// `{"read"}`: the order's refunds are read from the alarm. A later delivery of the order
    /// replaces what was kept of it (it knows every refund the earlier one did, and its status).
    async fn queue_refunds(&self, req: &mut Request) -> Result<Response> {
        let r: RefundsReq = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        if self.outbox.borrow().is_none() {
            return http::error(409, "not_configured", "this connection is not configured");
        }
        let row = PendingRefundRead::new(r.read, internal::now());
        self.put_refund_row(&row)?;
        self.wake().await?;
        json(200, &json!({"queued": 1}))
    }

    fn refund_rows(&self) -> Vec<PendingRefundRead> {
        self.sql
            .exec("SELECT json FROM refund_reads", None)
            .and_then(|c| c.to_array::<JsonRow>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| serde_json::from_str(&r.json).ok())
            .collect()
    }

    fn put_refund_row(&self, row: &PendingRefundRead) -> Result<()> {
        let text = serde_json::to_string(row).map_err(storage_err)?;
        self.sql.exec(
            "INSERT OR REPLACE INTO refund_reads(order_id, json) VALUES (?, ?)",
            vec![row.read.order_id.clone().into(), text.into()],
        )?;
        Ok(())
    }

    /// Reads the refunds that are due and applies what they brought back (as the order's
    /// webhook would have); a read the store did not answer, or whose returns were not
    /// applied, is tried again after the writer's backoff.
    async fn read_due_refunds(&self, client: &StoreClient) -> Result<()> {
        let now = internal::now();
        let due = self.refund_rows().into_iter().filter(|r| r.due_at <= now).take(REFUND_READS_PER_RUN);
        for mut row in due {
            let failure = match row.answered(&client.send(&row.read.request()).await) {
                Ok(notice) => {
                    let applied = crate::webhooks::apply_order(&self.env, notice, internal::now()).await?;
                    (applied.status_code() >= 300)
                        .then(|| format!("the returns were not applied ({})", applied.status_code()))
                }
                Err(why) => Some(why),
            };
            match failure {
                None => {
                    self.sql
                        .exec("DELETE FROM refund_reads WHERE order_id = ?", vec![row.read.order_id.clone().into()])?;
                }
                Some(why) => {
                    worker::console_warn!("woocommerce order {}: refunds not read yet: {why}", row.read.order_id);
                    row.failed(internal::now(), seed());
                    self.put_refund_row(&row)?;
                }
            }
        }
        Ok(())
    }

    fn status(&self) -> Result<Response> {
        let now = internal::now();
        let mut status = self.outbox.borrow().as_ref().map(|o| o.status(now)).unwrap_or_default();
        // A store without its secrets cannot be written: say which one is missing (never a value).
        if let Some(t) = self.target.borrow().as_ref().filter(|t| t.write) {
            if let Err(why) = StoreClient::from_env(&self.env, t.provider) {
                status.status = lastunit::connect::Health::Failing;
                status.last_error = Some(format!("not writing: {why}"));
            }
        }
        json(200, &status)
    }

    fn levels(&self, req: &Request) -> Result<Response> {
        let list = query(req, "skus").unwrap_or_default();
        let o = self.outbox.borrow();
        let mut levels = serde_json::Map::new();
        for sku in list.split(',').map(str::trim).filter(|s| !s.is_empty()).take(500) {
            let Some(item) = o.as_ref().and_then(|o| o.item(sku)) else { continue };
            levels.insert(
                sku.to_string(),
                json!({"store": item.echoes.known, "lastunit": item.wanted, "pending": item.wanted.is_some() && (item.forced || item.echoes.known != item.wanted)}),
            );
        }
        json(200, &Value::Object(levels))
    }

    /// The alarm: what the writer says to send, sent; each answer handed back to it.
    async fn run(&self) -> Result<()> {
        let Some(target) = self.target.borrow().clone() else { return Ok(()) };
        let client = match StoreClient::from_env(&self.env, target.provider) {
            Ok(c) => Some(c),
            Err(why) => {
                worker::console_warn!("{}: not writing: {why}", target.provider);
                None
            }
        };
        let writer_target =
            Target { write: target.write && client.is_some(), location_ref: target.location_ref.clone() };
        for _ in 0..REQUESTS_PER_RUN {
            let now = internal::now();
            let Some(work) = self.change(|o| o.poll(&writer_target, now))?.flatten() else { break };
            let client = client.as_ref().expect("writes are on only with a client");
            let mut answers = Vec::with_capacity(work.requests.len());
            for request in &work.requests {
                answers.push(client.send(request).await);
            }
            let now = internal::now();
            self.change(|o| o.record(work.id, &answers, now, seed()))?;
        }
        if let Some(client) = &client {
            self.read_due_refunds(client).await?;
        }
        self.wake().await
    }
}
