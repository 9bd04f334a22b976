//! `CartObject`: the coordinator of one reservation request: every multi-line reservation, and
//! every reservation sent with an `Idempotency-Key`. Named by the random part of the reservation
//! id, which for a key is derived from the cart and the key (`ids.rs`), so one cart's key always
//! reaches the same coordinator, whatever body comes with it.
//!
//! What it does with a retry, which answer is final, what it releases on a refusal and when it
//! forgets are the engine's (`lastunit::cart`); this object stores the intent and the first
//! answer, asks each SKU's object, and sets the alarm. A one-line reservation's hold lives in its
//! SKU's object (id `<hex>.<sku>`), so its commit and release go there, not here.
//! SQLite: `cart(id=1, json)` (the intent), `answer(id=1, status, body)`; both are forgotten by
//! an alarm at the intent's `forget_at`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

pub use lastunit::cart::Intent;
use lastunit::cart::{self, Arrival, Plan, Step};
use lastunit::{HoldRequest, Timestamp};

use crate::http::{self, engine_error, json, json_text};
use crate::internal::{self, body, call_json, sku_stub};

/// The status a SKU's object answers a hold it took with.
const HELD: u16 = 201;

#[durable_object]
pub struct CartObject {
    state: State,
    env: Env,
    sql: SqlStorage,
}

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

#[derive(Deserialize)]
struct AnswerRow {
    status: f64,
    body: String,
}

#[derive(Deserialize)]
struct CommitBody {
    id: String,
    order_id: String,
}

#[derive(Deserialize)]
struct ReleaseBody {
    id: String,
}

/// A hold as a SKU's object takes it: every line of one cart at the coordinator's `now`.
#[derive(Serialize)]
pub struct HoldAt<'a> {
    /// The hold.
    #[serde(flatten)]
    pub hold: &'a HoldRequest,
    /// The time the hold is taken at.
    pub now: Timestamp,
}

impl DurableObject for CartObject {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS cart(id INTEGER PRIMARY KEY, json TEXT NOT NULL)", None).expect("schema");
        sql.exec(
            "CREATE TABLE IF NOT EXISTS answer(id INTEGER PRIMARY KEY, status INTEGER NOT NULL, body TEXT NOT NULL)",
            None,
        )
        .expect("schema");
        CartObject { state, env, sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/reserve") => self.reserve(&mut req).await,
            (Method::Post, "/commit") => self.commit(&mut req).await,
            (Method::Post, "/release") => self.release(&mut req).await,
            _ => http::not_found(),
        }
    }

    /// The intent's `forget_at` came: nobody can ask about this reservation any more (the SKU
    /// objects forget settled holds then too).
    async fn alarm(&self) -> Result<Response> {
        self.sql.exec("DELETE FROM cart", None)?;
        self.sql.exec("DELETE FROM answer", None)?;
        Response::ok("forgotten")
    }
}

impl CartObject {
    fn intent(&self) -> Result<Option<Intent>> {
        let rows: Vec<JsonRow> = self.sql.exec("SELECT json FROM cart WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().and_then(|r| serde_json::from_str(&r.json).ok()))
    }

    /// The first answer, as it was stored.
    fn answer(&self) -> Result<Option<(u16, String)>> {
        let rows: Vec<AnswerRow> = self.sql.exec("SELECT status, body FROM answer WHERE id = 1", None)?.to_array()?;
        Ok(rows.into_iter().next().map(|r| (r.status as u16, r.body)))
    }

    fn store_answer(&self, status: u16, body: &str) -> Result<()> {
        self.sql.exec(
            "INSERT OR REPLACE INTO answer(id, status, body) VALUES (1, ?, ?)",
            vec![i64::from(status).into(), body.into()],
        )?;
        Ok(())
    }

    async fn reserve(&self, req: &mut Request) -> Result<Response> {
        let intent: Intent = match body(req).await {
            Ok(i) => i,
            Err(e) => return http::bad_json(e),
        };
        let answer = self.answer()?;
        match cart::arrival(self.intent()?.as_ref(), answer.is_some(), &intent) {
            Arrival::Refuse(e) => return engine_error(&e),
            Arrival::Repeat => {
                let (status, text) = answer.expect("a repeat has an answer");
                return json_text(status, text);
            }
            Arrival::Hold => {}
        }
        let now = internal::now();
        // Intent first: whatever happens next, this record says which holds may exist.
        let text = serde_json::to_string(&intent).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec("INSERT OR REPLACE INTO cart(id, json) VALUES (1, ?)", vec![text.into()])?;

        let (status, answer) = match intent.plan() {
            Plan::One { sku, hold } => self.hold(&sku, &hold, now).await?,
            Plan::All(mut all) => loop {
                let Some((sku, hold)) = all.next() else { break (HELD, json!(intent.reserved())) };
                let (status, answer) = self.hold(sku, hold, now).await?;
                match all.answered(status == HELD) {
                    Step::Next => {}
                    Step::Held => break (HELD, json!(intent.reserved())),
                    Step::Refused { release } => {
                        for sku in release {
                            let stub = sku_stub(&self.env, &sku)?;
                            let _: (u16, Value) =
                                call_json(&stub, Method::Post, "/release", Some(&json!({"id": intent.id, "now": now})))
                                    .await?;
                        }
                        break (status, answer);
                    }
                }
            },
        };
        let text = answer.to_string();
        self.store_answer(status, &text)?;
        let forget_at = intent.forget_at().millis() as f64;
        self.state
            .storage()
            .set_alarm(worker::ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(forget_at))))
            .await?;
        json_text(status, text)
    }

    /// Asks `sku`'s object for `hold`; its answer as it came.
    async fn hold(&self, sku: &str, hold: &HoldRequest, now: Timestamp) -> Result<(u16, Value)> {
        call_json(&*sku_stub(&self.env, sku)?, Method::Post, "/reserve", Some(&HoldAt { hold, now })).await
    }

    /// Every line committed at one `now`; the first refusal is the answer.
    async fn commit(&self, req: &mut Request) -> Result<Response> {
        let b: CommitBody = match body(req).await {
            Ok(b) => b,
            Err(e) => return http::bad_json(e),
        };
        self.each_line(&b.id, "/commit", json!({"order_id": b.order_id}), "committed").await
    }

    async fn release(&self, req: &mut Request) -> Result<Response> {
        let b: ReleaseBody = match body(req).await {
            Ok(b) => b,
            Err(e) => return http::bad_json(e),
        };
        self.each_line(&b.id, "/release", json!({}), "released").await
    }

    /// Sends `path` to every line's SKU at one `now`; the first refusal is the answer.
    async fn each_line(&self, id: &str, path: &str, extra: Value, done: &str) -> Result<Response> {
        let intent = self.intent()?;
        let held = self.answer()?.is_some_and(|(status, _)| status == HELD);
        let lines = match cart::settling(intent.as_ref(), id, held) {
            Ok(lines) => lines,
            Err(e) => return engine_error(&e),
        };
        let now = internal::now();
        for line in lines {
            let stub = sku_stub(&self.env, &line.sku)?;
            let mut body = extra.clone();
            body["id"] = json!(id);
            body["now"] = json!(now);
            let (status, answer): (u16, Value) = call_json(&stub, Method::Post, path, Some(&body)).await?;
            if status != 200 {
                return json(status, &answer);
            }
        }
        json(200, &json!({"status": done}))
    }
}
