//! Storage helpers every Durable Object shares: one `transactionSync` for a change's rows, and
//! absolute alarm times.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::worker_sys::DurableObjectStorage;
use worker::{Result, SqlStorage, SqlStorageValue};

/// One statement of a transaction.
pub enum Statement {
    /// A statement and its bindings.
    Exec(&'static str, Vec<SqlStorageValue>),
    /// A failure injected by a test (the SKU object's `Faults`).
    Fault(String),
}

/// Runs `statements` in one `ctx.storage.transactionSync`: SQLite commits all of them, or rolls
/// all of them back when one throws. workers-rs 0.8.7 wraps only the asynchronous
/// `transaction`, so the storage object's method is called directly.
pub fn transaction_sync(storage: &DurableObjectStorage, sql: &SqlStorage, statements: Vec<Statement>) -> Result<()> {
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
pub fn at_time(ms: i64) -> worker::ScheduledTime {
    worker::ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)))
}
