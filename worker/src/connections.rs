//! `/admin/connections`: the connected stores, as the catalog keeps them, with each one's
//! status from its writer; resyncs; what each store holds per SKU; and handing a store's stock
//! webhook to its writer.

use serde_json::{json, Value};
use worker::{Env, Method, Request, Response, Result};

use lastunit::connect::{ConnectionStatus, Provider};
use lastunit::pos::woocommerce_refunds::RefundRead;

use crate::catalog::ConnectionEntry;
use crate::http::{self, engine_error, json};
use crate::internal::{call_json, catalog_stub, connection_stub, query};

fn rust_err(e: impl ToString) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

/// `GET /admin/connections`: `{"connections": [{"provider", "channel", "location", "write",
/// "location_ref", "status", "last_write_at", "pending_writes", "last_error", "throttled_until"}]}`.
pub async fn list(env: &Env) -> Result<Response> {
    let (status, v): (u16, Value) =
        call_json::<Value, _>(&catalog_stub(env)?, Method::Get, "/connections", None).await?;
    if status != 200 {
        return json(status, &v);
    }
    let entries: Vec<ConnectionEntry> = serde_json::from_value(v["connections"].clone()).map_err(rust_err)?;
    let mut list = Vec::with_capacity(entries.len());
    for mut entry in entries {
        // Square's status is summed from the SKU objects' outboxes (the catalog's list carries
        // it); the stores' from their writers.
        let status = match entry.sku_outboxes.take() {
            Some(s) => s,
            None => {
                let (_, s): (u16, ConnectionStatus) =
                    call_json::<Value, _>(&connection_stub(env, entry.provider)?, Method::Get, "/status", None).await?;
                s
            }
        };
        let mut row = serde_json::to_value(&entry).map_err(rust_err)?;
        if let (Some(row), Value::Object(status)) =
            (row.as_object_mut(), serde_json::to_value(status).map_err(rust_err)?)
        {
            row.extend(status);
        }
        list.push(row);
    }
    json(200, &json!({"connections": list}))
}

/// `POST /admin/connections/{provider}/resync`: `{"provider", "skus": n}`, the SKUs queued.
pub async fn resync(env: &Env, provider: &str) -> Result<Response> {
    crate::internal::call::<Value>(&catalog_stub(env)?, Method::Post, &format!("/connections/{provider}/resync"), None)
        .await
}

/// `GET /admin/connections/{provider}/levels?skus=a,b`: per SKU, what the store holds as
/// lastunit last knew it (`store`), lastunit's number (`lastunit`), and whether a write is
/// pending. An addition to the contract, for the dashboard.
pub async fn levels(req: &Request, env: &Env, provider: &str) -> Result<Response> {
    let provider = match Provider::parse(provider) {
        Ok(Provider::Square) => {
            return engine_error(&lastunit::Error::invalid("provider", "lastunit writes no availability into Square"))
        }
        Ok(p) => p,
        Err(e) => return engine_error(&e),
    };
    let skus = query(req, "skus").unwrap_or_default();
    if skus.split(',').filter(|s| !s.trim().is_empty()).count() > 500 {
        return engine_error(&lastunit::Error::invalid("skus", "must name at most 500 SKUs"));
    }
    let path = format!("/levels?skus={}", js_sys::encode_uri_component(&skus));
    let (status, v): (u16, Value) =
        call_json::<Value, _>(&connection_stub(env, provider)?, Method::Get, &path, None).await?;
    if status != 200 {
        return http::error(502, "upstream_unavailable", "the connection's writer did not answer");
    }
    json(200, &json!({"provider": provider, "levels": v}))
}

/// A connected store's stock webhook says it holds `quantity` of its item `item_ref`: its
/// writer judges it (the echo rule). Answers the verdict (`echo`, `unchanged`, `store_change`,
/// `unknown`); the webhook counts it as ignored either way.
pub async fn observe(env: &Env, provider: &str, item_ref: &str, quantity: i64) -> Result<String> {
    let Ok(provider) = Provider::parse(provider) else { return Ok("unknown".into()) };
    let (_, v): (u16, Value) = call_json(
        &connection_stub(env, provider)?,
        Method::Post,
        "/observe",
        Some(&json!({"item_ref": item_ref, "quantity": quantity})),
    )
    .await?;
    Ok(v["verdict"].as_str().unwrap_or("unknown").to_string())
}

/// A WooCommerce order lists refunds: its connection reads them from its alarm and applies the
/// returns they bring back. Without a WooCommerce connection nothing is kept (its orders are
/// not read either).
pub async fn read_refunds(env: &Env, read: &RefundRead) -> Result<()> {
    let (status, _): (u16, Value) = call_json(
        &connection_stub(env, Provider::Woocommerce)?,
        Method::Post,
        "/refunds",
        Some(&json!({"read": read})),
    )
    .await?;
    if status != 200 {
        worker::console_warn!("woocommerce order {}: its refunds are not read ({status})", read.order_id);
    }
    Ok(())
}
