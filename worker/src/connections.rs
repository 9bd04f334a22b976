//! `/admin/connections`: the connected stores, as the catalog keeps them, with each one's status.

use serde_json::{json, Value};
use worker::{Env, Method, Response, Result};

use lastunit::connect::ConnectionStatus;

use crate::catalog::ConnectionEntry;
use crate::http::json;
use crate::internal::{call_json, catalog_stub};

/// `GET /admin/connections`: `{"connections": [{"provider", "channel", "location", "write",
/// "location_ref", "status", "last_write_at", "pending_writes", "last_error", "throttled_until"}]}`.
pub async fn list(env: &Env) -> Result<Response> {
    let (status, v): (u16, Value) =
        call_json::<Value, _>(&catalog_stub(env)?, Method::Get, "/connections", None).await?;
    if status != 200 {
        return json(status, &v);
    }
    let entries: Vec<ConnectionEntry> =
        serde_json::from_value(v["connections"].clone()).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let mut list = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut row = serde_json::to_value(&entry).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let status =
            serde_json::to_value(ConnectionStatus::default()).map_err(|e| worker::Error::RustError(e.to_string()))?;
        if let (Some(row), Value::Object(status)) = (row.as_object_mut(), status) {
            row.extend(status);
        }
        list.push(row);
    }
    json(200, &json!({"connections": list}))
}
