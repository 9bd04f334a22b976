//! `/admin/*`: the operator's routes, and applying checked events (shared with the webhooks).

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Method, Request, Response, Result};

use lastunit::catalog::MAX_UNITS;
use lastunit::event::check_batch;
use lastunit::forecast::IncomingLine;
use lastunit::{StockEvent, Timestamp};

use crate::http::{self, engine_error, json};
use crate::internal::{self, body, call, call_json, catalog_stub, sku_stub};

/// Forwards the request body to the catalog at `path`.
pub async fn to_catalog(mut req: Request, env: &Env, method: Method, path: &str) -> Result<Response> {
    let stub = catalog_stub(env)?;
    if method == Method::Get {
        let q = req.url()?.query().map(|q| format!("?{q}")).unwrap_or_default();
        return call::<Value>(&stub, Method::Get, &format!("{path}{q}"), None).await;
    }
    let b: Value = match body(&mut req).await {
        Ok(v) => v,
        Err(e) => return http::bad_json(e),
    };
    call(&stub, method, path, Some(&b)).await
}

pub async fn sku_view(env: &Env, sku: &str) -> Result<Response> {
    if lastunit::names::check_sku(sku).is_err() {
        return http::error(404, "unknown_sku", "no such SKU in the catalog");
    }
    call::<Value>(&*sku_stub(env, sku)?, Method::Get, "/view", None).await
}

/// `POST /admin/incidents/{id}/close`: the id names its SKU, whose object closes it.
pub async fn close_incident(env: &Env, id: &str) -> Result<Response> {
    let Some(sku) = lastunit::incident::sku_of(id).filter(|s| lastunit::names::check_sku(s).is_ok()) else {
        return engine_error(&lastunit::Error::UnknownIncident(id.to_string()));
    };
    call::<Value>(&*sku_stub(env, sku)?, Method::Post, "/close-incident", Some(&serde_json::json!({"id": id}))).await
}

/// `POST /admin/events`: one generic event or `{"events": [...]}`, provider `admin`.
pub async fn events(mut req: Request, env: &Env) -> Result<Response> {
    let now = internal::now();
    let batch: serde_json::Value = match body(&mut req).await {
        Ok(b) => b,
        Err(e) => return http::bad_json(e),
    };
    match check_batch(&batch, "admin", now) {
        Ok(events) => apply_events(env, events, now, 0).await,
        Err(e) => engine_error(&e),
    }
}

/// Applies checked events, all or nothing: with several SKUs every share is first checked by
/// its object (`/events/check`, which changes nothing) and only then applied; one SKU's object
/// applies its batch all or nothing by itself. Answers `{"applied","duplicates","ignored"}`
/// (plus `extra_ignored`).
pub async fn apply_events(env: &Env, events: Vec<StockEvent>, now: Timestamp, extra_ignored: u32) -> Result<Response> {
    let mut by_sku: BTreeMap<String, Vec<StockEvent>> = BTreeMap::new();
    for e in events {
        by_sku.entry(e.sku.clone()).or_default().push(e);
    }
    if by_sku.len() > 1 {
        let checks = each_share(env, &by_sku, "/events/check", now).await;
        for a in checks {
            let (status, v) = a?;
            if status != 200 {
                return json(status, &v);
            }
        }
    }
    let answers = each_share(env, &by_sku, "/events", now).await;
    let mut totals = (0u64, 0u64, u64::from(extra_ignored));
    for a in answers {
        let (status, v) = a?;
        if status != 200 {
            return json(status, &v);
        }
        totals.0 += v["applied"].as_u64().unwrap_or(0);
        totals.1 += v["duplicates"].as_u64().unwrap_or(0);
        totals.2 += v["ignored"].as_u64().unwrap_or(0);
    }
    json(200, &json!({"applied": totals.0, "duplicates": totals.1, "ignored": totals.2}))
}

/// Sends each SKU its share of the events at `path`, all at once; the answers in SKU order.
async fn each_share(
    env: &Env,
    by_sku: &BTreeMap<String, Vec<StockEvent>>,
    path: &str,
    now: Timestamp,
) -> Vec<Result<(u16, Value)>> {
    let calls = by_sku.iter().map(|(sku, evs)| async move {
        let stub = sku_stub(env, sku)?;
        call_json::<_, Value>(&stub, Method::Post, path, Some(&json!({"events": evs, "now": now}))).await
    });
    join_all(calls).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoLine {
    sku: String,
    quantity: i64,
    expected_at: Timestamp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PurchaseOrder {
    po_id: String,
    location: String,
    lines: Vec<PoLine>,
}

/// `POST /admin/purchase-orders`: incoming lines, one per SKU object. Checked whole first.
pub async fn purchase_order(mut req: Request, env: &Env) -> Result<Response> {
    let po: PurchaseOrder = match body(&mut req).await {
        Ok(p) => p,
        Err(e) => return http::bad_json(e),
    };
    if let Err(e) = lastunit::names::check_id("po_id", &po.po_id) {
        return engine_error(&e);
    }
    if po.lines.is_empty() || po.lines.len() > 500 {
        return engine_error(&lastunit::Error::invalid("lines", "must hold 1 to 500 lines"));
    }
    if po.lines.iter().any(|l| l.quantity <= 0 || l.quantity > i64::from(MAX_UNITS)) {
        return engine_error(&lastunit::Error::invalid(
            "quantity",
            format!("must be a whole number from 1 to {MAX_UNITS}"),
        ));
    }
    let skus: Vec<String> = po.lines.iter().map(|l| l.sku.clone()).collect();
    let known = crate::catalog::check(env, &skus).await?;
    if let Some(s) = known.unknown.first() {
        return engine_error(&lastunit::Error::UnknownSku(s.clone()));
    }
    if !known.topology.has_location(&po.location) {
        return engine_error(&lastunit::Error::UnknownLocation(po.location.clone()));
    }
    let calls = po.lines.iter().map(|l| {
        let line = IncomingLine {
            po_id: po.po_id.clone(),
            location: po.location.clone(),
            quantity: l.quantity,
            expected_at: l.expected_at,
        };
        async move {
            let stub = sku_stub(env, &l.sku)?;
            call_json::<_, Value>(&stub, Method::Post, "/expect", Some(&json!({"line": line}))).await
        }
    });
    for a in join_all(calls).await {
        let (status, v) = a?;
        if status != 200 {
            return json(status, &v);
        }
    }
    let lines: Vec<Value> =
        po.lines.iter().map(|l| json!({"sku": l.sku, "quantity": l.quantity, "expected_at": l.expected_at})).collect();
    json(201, &json!({"po_id": po.po_id, "location": po.location, "lines": lines}))
}
