//! `CartObject`: the coordinator of one reservation request: every multi-line reservation, and
//! every reservation sent with an `Idempotency-Key`. Named by the random part of the reservation
//! id, which for a key is derived from the cart and the key (`ids.rs`), so one cart's key always
//! reaches the same coordinator, whatever body comes with it.
//!
//! It writes its intent first (with the request's fingerprint), then holds each line in that
//! SKU's object (every hold carries `expires_at`, so holds lapse on their own even if this
//! coordinator never runs again). When a line is refused it releases every hold already taken,
//! then answers the refusal. The first answer is stored: the same key and body again get it
//! again; another body with the same key is `422 idempotency_key_reused` and touches nothing.
//! A one-line reservation's hold lives in its SKU's object (id `<hex>.<sku>`), so its commit
//! and release go there, not here.
//! SQLite: `cart(id=1, json)` (the intent), `answer(id=1, status, body)`; both are forgotten by
//! an alarm a day after the holds lapse.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

use lastunit::{ReservationLine, Timestamp};

use crate::http::{self, engine_error, json, json_text};
use crate::internal::{self, body, call_json, sku_stub};

#[durable_object]
pub struct CartObject {
    state: State,
    env: Env,
    sql: SqlStorage,
}

/// What the coordinator is asked to hold.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Intent {
    pub id: String,
    pub cart_id: String,
    /// The storefront client, counted by each SKU's client cap.
    #[serde(default)]
    pub client: Option<String>,
    pub channel: String,
    pub lines: Vec<ReservationLine>,
    pub expires_at: Timestamp,
    /// The request's fingerprint when it came with an `Idempotency-Key`.
    #[serde(default)]
    pub fingerprint: Option<String>,
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

    /// A day after the holds lapse nobody can ask about this reservation any more (the SKU
    /// objects forget settled holds then too): the coordinator forgets it.
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

    fn answer(&self) -> Result<Option<Response>> {
        let rows: Vec<AnswerRow> = self.sql.exec("SELECT status, body FROM answer WHERE id = 1", None)?.to_array()?;
        match rows.into_iter().next() {
            Some(r) => Ok(Some(json_text(r.status as u16, r.body)?)),
            None => Ok(None),
        }
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
        // The same key on this cart again: the first answer for the same body, a refusal for another.
        if let Some(first) = self.intent()? {
            if first.fingerprint != intent.fingerprint {
                return engine_error(&lastunit::Error::IdempotencyKeyReused);
            }
            if let Some(answer) = self.answer()? {
                return Ok(answer);
            }
        }
        let now = internal::now();
        // Intent first: whatever happens next, this record says which holds may exist.
        let text = serde_json::to_string(&intent).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec("INSERT OR REPLACE INTO cart(id, json) VALUES (1, ?)", vec![text.into()])?;

        let (status, answer) = match intent.lines.as_slice() {
            [line] => self.hold_one(&intent, line, now).await?,
            _ => self.hold_all(&intent, now).await?,
        };
        let text = answer.to_string();
        self.store_answer(status, &text)?;
        let forget_at = intent.expires_at.millis() + lastunit::sku::SETTLED_KEPT_MS;
        self.state
            .storage()
            .set_alarm(worker::ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
                forget_at as f64,
            ))))
            .await?;
        json_text(status, text)
    }

    /// One line: its SKU's object holds it and answers as for any one-SKU reservation.
    async fn hold_one(&self, intent: &Intent, line: &ReservationLine, now: Timestamp) -> Result<(u16, Value)> {
        let stub = sku_stub(&self.env, &line.sku)?;
        let body = json!({
            "id": intent.id, "cart_id": intent.cart_id, "client": intent.client, "channel": intent.channel,
            "quantity": line.quantity, "expires_at": intent.expires_at, "now": now,
        });
        call_json(&stub, Method::Post, "/reserve", Some(&body)).await
    }

    /// Several lines: all or none.
    async fn hold_all(&self, intent: &Intent, now: Timestamp) -> Result<(u16, Value)> {
        let mut taken: Vec<&ReservationLine> = Vec::new();
        let mut refusal: Option<(u16, Value)> = None;
        for line in &intent.lines {
            let stub = sku_stub(&self.env, &line.sku)?;
            let body = json!({
                "id": intent.id, "cart_id": intent.cart_id, "client": intent.client, "channel": intent.channel,
                "quantity": line.quantity, "expires_at": intent.expires_at, "now": now,
            });
            let (status, answer): (u16, Value) = call_json(&stub, Method::Post, "/reserve", Some(&body)).await?;
            if status == 201 {
                taken.push(line);
            } else {
                refusal = Some((status, answer));
                break;
            }
        }
        Ok(match refusal {
            Some(r) => {
                for line in taken {
                    let stub = sku_stub(&self.env, &line.sku)?;
                    let _: (u16, Value) =
                        call_json(&stub, Method::Post, "/release", Some(&json!({"id": intent.id, "now": now}))).await?;
                }
                r
            }
            None => (
                201,
                json!({
                    "reservation_id": intent.id, "cart_id": intent.cart_id, "channel": intent.channel,
                    "lines": intent.lines, "expires_at": intent.expires_at,
                }),
            ),
        })
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

    /// `id` must be this coordinator's reservation (a one-line one lives in its SKU's object).
    async fn each_line(&self, id: &str, path: &str, extra: Value, done: &str) -> Result<Response> {
        let Some(intent) = self.intent()?.filter(|i| i.id == id) else {
            return http::error(404, "unknown_reservation", "no such reservation");
        };
        let held = self.answer()?.is_some_and(|a| a.status_code() == 201);
        if !held {
            return http::error(404, "unknown_reservation", "this reservation holds nothing");
        }
        let now = internal::now();
        for line in &intent.lines {
            let stub = sku_stub(&self.env, &line.sku)?;
            let mut body = extra.clone();
            body["id"] = json!(intent.id);
            body["now"] = json!(now);
            let (status, answer): (u16, Value) = call_json(&stub, Method::Post, path, Some(&body)).await?;
            if status != 200 {
                return json(status, &answer);
            }
        }
        json(200, &json!({"status": done}))
    }
}
