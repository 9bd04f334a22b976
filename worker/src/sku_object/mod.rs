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
//!
//! One file per concept:
//! - this file: the object, its dispatch, and the one way its state changes ([`SkuObject::change`]);
//! - [`routes`]: the internal routes the Worker and the other objects call, one function each;
//! - [`storage`]: the schema, reading the stored SKU back, and writing a change set atomically;
//! - [`sockets`]: live WebSockets (hibernatable), told of every change of availability;
//! - [`alarm`]: expiring holds on time, the summary to the catalog, subscriber pushes.

mod alarm;
mod routes;
mod sockets;
mod storage;

use std::cell::RefCell;

use worker::worker_sys::DurableObjectStorage;
use worker::{
    durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State, WebSocket,
    WebSocketIncomingMessage,
};

use lastunit::{Sku, Timestamp};

use crate::http::{self, engine_error};

use alarm::PushState;
use storage::Faults;

/// One SKU's Durable Object: the engine's `Sku` in memory, its state in SQLite.
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

impl DurableObject for SkuObject {
    fn new(state: State, env: Env) -> Self {
        let raw = state._inner();
        let storage = raw.storage().expect("a Durable Object has storage");
        let state = State::from(raw);
        let sql = state.storage().sql();
        storage::create_schema(&sql);
        let sku = storage::load(&sql);
        let push = storage::load_push(&sql);
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
            (Method::Get, "/export") => self.export().await,
            (Method::Get, "/ledger") => self.ledger(&req),
            (Method::Post, "/configure") => self.configure(&mut req).await,
            (Method::Post, "/topology") => self.topology(&mut req).await,
            (Method::Post, "/events") => self.events(&mut req).await,
            (Method::Post, "/events/check") => self.check_events(&mut req).await,
            (Method::Post, "/reserve") => self.reserve(&mut req).await,
            (Method::Post, "/commit") => self.commit(&mut req).await,
            (Method::Post, "/release") => self.release(&mut req).await,
            (Method::Post, "/expect") => self.expect(&mut req).await,
            (Method::Post, "/close-incident") => self.close_incident(&mut req).await,
            _ => http::not_found(),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.run_alarm().await?;
        Response::ok("ok")
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        self.socket_message(&ws, message);
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

/// What a change stored: the alarm is asked to look again only after a change.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stored {
    /// The engine recorded nothing (a refusal, a read, a duplicate).
    Nothing,
    /// The changes were written in one transaction.
    Changes,
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

impl SkuObject {
    // ---- the one way state changes ----------------------------------------------------------

    /// Runs `f` on the SKU after expiring its holds at `now`, then stores everything the engine
    /// recorded in one transaction before anything is
    /// answered; live sockets and the alarm learn of it after. A storage failure stores nothing
    /// and takes memory back to what is stored.
    async fn change<R>(&self, now: Timestamp, f: impl FnOnce(&mut Sku) -> R) -> std::result::Result<R, Blocked> {
        let (value, stored) = self.change_now(now, f)?;
        if stored == Stored::Changes {
            self.soon(now).await.map_err(Blocked::Storage)?;
        }
        Ok(value)
    }

    /// [`Self::change`] without the alarm: the value, and what was stored.
    fn change_now<R>(
        &self,
        now: Timestamp,
        f: impl FnOnce(&mut Sku) -> R,
    ) -> std::result::Result<(R, Stored), Blocked> {
        let mut slot = self.sku.borrow_mut();
        if matches!(*slot, Loaded::Unreadable(_)) {
            // A failed read may have been passing: look again (nothing is written either way).
            *slot = storage::load(&self.sql);
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
            return Ok((value, Stored::Nothing));
        }
        if let Err(e) = self.store(sku.id(), &changes) {
            *slot = storage::load(&self.sql);
            return Err(Blocked::Storage(e));
        }
        if changes.changes_availability() {
            if let Loaded::Ready(sku) = &*slot {
                self.broadcast(sku);
            }
        }
        Ok((value, Stored::Changes))
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
}
