//! `ClientObject`: one per client address using the public storefront key (named by its
//! client tag, never the address): how many reservations it created in the last minute.
//!
//! Why not the Workers rate-limiting binding: its limit is fixed in wrangler.toml (it cannot
//! follow `STOREFRONT_RESERVATIONS_PER_MINUTE`), it counts per Cloudflare location and only
//! approximately, and it cannot say when the client may try again (`Retry-After`). One object
//! per client decides exactly, in one place, with the engine's `SlidingWindow`.
//!
//! SQLite: `window(id=1, json)`, the admitted times; an alarm forgets them once a minute passes
//! with nothing admitted, so an address that stops calling leaves nothing behind.

use std::cell::RefCell;

use serde::Deserialize;
use serde_json::json;
use worker::{durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

use lastunit::rate_limit::SlidingWindow;
use lastunit::time::MINUTE;

use crate::http::{self, json};
use crate::internal::{self, body};

#[durable_object]
pub struct ClientObject {
    state: State,
    sql: SqlStorage,
    window: RefCell<SlidingWindow>,
}

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

/// `POST /admit`: one more reservation, if `per_minute` allows it.
#[derive(Deserialize)]
struct AdmitReq {
    per_minute: u32,
}

impl DurableObject for ClientObject {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS window(id INTEGER PRIMARY KEY, json TEXT NOT NULL)", None)
            .expect("schema");
        let window = sql
            .exec("SELECT json FROM window WHERE id = 1", None)
            .and_then(|c| c.to_array::<JsonRow>())
            .ok()
            .and_then(|rows| rows.into_iter().next())
            .and_then(|r| serde_json::from_str(&r.json).ok())
            .unwrap_or_default();
        ClientObject { state, sql, window: RefCell::new(window) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/admit") => self.admit(&mut req).await,
            _ => http::not_found(),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let now = internal::now();
        let idle = self.window.borrow().idle_at(MINUTE).is_none_or(|t| t <= now);
        if idle {
            self.sql.exec("DELETE FROM window", None)?;
            *self.window.borrow_mut() = SlidingWindow::default();
        }
        Response::ok("ok")
    }
}

impl ClientObject {
    /// `200 {"admitted": true}`, or `429 {"retry_after_seconds": n}`; durable before it answers.
    async fn admit(&self, req: &mut Request) -> Result<Response> {
        let r: AdmitReq = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = internal::now();
        let outcome = self.window.borrow_mut().admit(now, r.per_minute, MINUTE);
        let text =
            serde_json::to_string(&*self.window.borrow()).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec("INSERT OR REPLACE INTO window(id, json) VALUES (1, ?)", vec![text.into()])?;
        match outcome {
            Ok(()) => {
                // Copied out: no borrow may live across the await (another request may come in).
                let idle = self.window.borrow().idle_at(MINUTE);
                if let Some(idle) = idle {
                    // An absolute time (a bare number would be an offset from now).
                    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(idle.millis() as f64));
                    self.state.storage().set_alarm(worker::ScheduledTime::new(at)).await?;
                }
                json(200, &json!({"admitted": true}))
            }
            Err(limited) => json(429, &json!({"retry_after_seconds": limited.retry_after_seconds()})),
        }
    }
}
