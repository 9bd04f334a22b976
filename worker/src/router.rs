//! The public routes of the contract. Each arm hands over to one small function.

use futures_util::future::join_all;
use js_sys::futures::future_to_promise;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::worker_sys::web_sys;
use worker::{Env, Headers, Method, Request, RequestInit, Response, Result};

use crate::auth::{preflight, require, with_cors, Role};
use crate::http;
use crate::internal::{self, query, sku_reader};
use crate::public_reads::PublicRead;
use crate::{admin, availability_cache, catalog_io, connections, reservations, store_import, webhooks};

/// Most SKUs one `GET /v1/availability?skus=` may name.
const MAX_BATCH: usize = 100;

/// The Worker's entry: the answer itself when one of the public reads needs no waiting
/// (`public_reads`), else a promise of it. What fails past the routes' own 500 (building an
/// answer) rejects the promise, which workerd logs and answers 500.
pub fn fetch(raw: web_sys::Request, env: Env) -> JsValue {
    let read = PublicRead::of(&raw);
    if let Some(Ok(answer)) = read.as_ref().and_then(|r| r.answer_now(&raw, &env)) {
        return answer.into();
    }
    future_to_promise(async move {
        let answer = match read {
            Some(read) => read.answer(&raw, &env).await,
            None => route(Request::from(raw), env).await.map(Into::into),
        };
        Ok(answer?.into())
    })
    .into()
}

async fn route(req: Request, env: Env) -> Result<Response> {
    let path = req.path();
    let origin = req.headers().get("origin")?;
    if req.method() == Method::Options {
        return preflight(&env, origin.as_deref(), &path);
    }
    // Every route reads at most 256 KiB but the import (10 MiB); a larger declared body is
    // refused unread.
    let limit = if path == "/admin/import" { catalog_io::MAX_IMPORT } else { internal::MAX_BODY };
    let declared = req.headers().get("content-length")?.and_then(|l| l.trim().parse::<usize>().ok());
    let resp = if declared.is_some_and(|l| l > limit) {
        http::too_large_than(limit)
    } else {
        dispatch(req, &env, &path).await
    };
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            worker::console_error!("{} failed: {e}", path);
            http::error(500, "internal_error", http::INTERNAL_MESSAGE)?
        }
    };
    if resp.status_code() == 101 {
        return Ok(resp);
    }
    Ok(with_cors(resp, &env, origin.as_deref(), &path))
}

async fn dispatch(req: Request, env: &Env, path: &str) -> Result<Response> {
    let method = req.method();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.clone(), parts.as_slice()) {
        (Method::Get, ["v1", "availability"]) => availability_batch(&req, env).await,
        (Method::Get, ["v1", "availability", sku]) => availability(&req, env, sku).await,
        (Method::Get, ["v1", "live", sku]) => live(&req, env, sku).await,
        (Method::Post, ["v1", "reservations"]) => reservations::create(req, env.clone()).await,
        (Method::Post, ["v1", "reservations", id, "commit"]) => reservations::commit(req, env.clone(), id).await,
        (Method::Delete, ["v1", "reservations", id]) => reservations::release(req, env.clone(), id).await,
        (Method::Post, ["webhooks", provider]) => webhooks::handle(provider, req, env.clone()).await,
        (_, ["v1", ..]) | (_, ["webhooks", ..]) => http::not_found(),
        (_, ["admin", ..]) => admin_route(req, env, &parts[1..]).await,
        (Method::Get | Method::Head, _) => assets(req, env, path).await,
        _ => http::not_found(),
    }
}

async fn admin_route(req: Request, env: &Env, rest: &[&str]) -> Result<Response> {
    if let Err(resp) = require(&req, env, &[Role::Admin])? {
        return Ok(resp);
    }
    let method = req.method();
    match (method, rest) {
        (Method::Put, ["locations", l]) => admin::to_catalog(req, env, Method::Put, &format!("/locations/{l}")).await,
        (Method::Put, ["channels", c]) => admin::to_catalog(req, env, Method::Put, &format!("/channels/{c}")).await,
        (Method::Put, ["skus", s]) => admin::to_catalog(req, env, Method::Put, &format!("/skus/{s}")).await,
        (Method::Put, ["subscribers", n]) => {
            admin::to_catalog(req, env, Method::Put, &format!("/subscribers/{n}")).await
        }
        (Method::Delete, ["subscribers", n]) => {
            internal::call::<Value>(&internal::catalog_stub(env)?, Method::Delete, &format!("/subscribers/{n}"), None)
                .await
        }
        (Method::Put, ["connections", p]) => {
            admin::to_catalog(req, env, Method::Put, &format!("/connections/{p}")).await
        }
        (Method::Get, ["connections"]) => connections::list(env).await,
        (Method::Post, ["connections", p, "resync"]) => connections::resync(env, p).await,
        (Method::Get, ["connections", p, "levels"]) => connections::levels(&req, env, p).await,
        (Method::Post, ["import"]) => catalog_io::import(req, env).await,
        (Method::Get, ["import", "status"]) => catalog_io::import_status(env).await,
        (Method::Post, ["import", p]) => store_import::import(req, env, p).await,
        (Method::Get, ["export", "skus"]) => catalog_io::export_skus(env).await,
        (Method::Get, ["export", "ledger"]) => catalog_io::export_ledger(&req, env).await,
        (Method::Get, ["skus", s]) => admin::sku_view(env, s).await,
        (Method::Post, ["incidents", id, "close"]) => admin::close_incident(env, id).await,
        (
            Method::Get,
            [list @ ("locations" | "channels" | "skus" | "subscribers" | "dashboard" | "ask" | "incidents" | "reorder")],
        ) => admin::to_catalog(req, env, Method::Get, &format!("/{list}")).await,
        (Method::Post, ["purchase-orders"]) => admin::purchase_order(req, env).await,
        (Method::Post, ["events"]) => admin::events(req, env).await,
        _ => http::not_found(),
    }
}

async fn availability(req: &Request, env: &Env, sku: &str) -> Result<Response> {
    if lastunit::names::check_sku(sku).is_err() {
        return http::error(404, "unknown_sku", "no such SKU in the catalog");
    }
    let channel = query(req, "channel").unwrap_or_else(|| "web".into());
    let (status, text) = availability_cache::availability(env, sku, &channel).await?;
    http::json_text(status, text)
}

/// `GET /v1/availability?skus=A,B&channel=web`: `{"items": [...]}` for the known SKUs, and
/// `"unknown": [...]` naming the others (an addition to the contract).
async fn availability_batch(req: &Request, env: &Env) -> Result<Response> {
    let channel = query(req, "channel").unwrap_or_else(|| "web".into());
    let list = query(req, "skus").unwrap_or_default();
    // Each SKU once, in the order first named (`dedup` alone would only drop adjacent repeats).
    let mut seen = std::collections::BTreeSet::new();
    let skus: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty() && seen.insert(*s)).collect();
    if skus.is_empty() || skus.len() > MAX_BATCH {
        return http::engine_error(&lastunit::Error::invalid(
            "skus",
            format!("must name 1 to {MAX_BATCH} SKUs, comma-separated"),
        ));
    }
    let calls = skus.iter().map(|sku| {
        let channel = &channel;
        async move {
            if lastunit::names::check_sku(sku).is_err() {
                return Ok((404, String::new()));
            }
            availability_cache::availability(env, sku, channel).await
        }
    });
    // The items are the objects' JSON texts as they are, joined.
    let mut items = Vec::new();
    let mut unknown = Vec::new();
    for (sku, answer) in skus.iter().zip(join_all(calls).await) {
        let (status, text) = answer?;
        match status {
            200 => items.push(text),
            404 => unknown.push(sku.to_string()),
            _ => return http::json_text(status, text),
        }
    }
    let mut text = format!("{{\"items\":[{}]", items.join(","));
    if !unknown.is_empty() {
        text.push_str(&format!(
            ",\"unknown\":{}",
            serde_json::to_string(&unknown).map_err(|e| worker::Error::RustError(e.to_string()))?
        ));
    }
    text.push('}');
    http::json_text(200, text)
}

async fn live(req: &Request, env: &Env, sku: &str) -> Result<Response> {
    if lastunit::names::check_sku(sku).is_err() {
        return http::error(404, "unknown_sku", "no such SKU in the catalog");
    }
    let channel = query(req, "channel").unwrap_or_else(|| "web".into());
    let headers = Headers::new();
    for (k, v) in req.headers().entries() {
        headers.set(&k, &v)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let inner = Request::new_with_init(&format!("https://do.internal/live?channel={}", encode(&channel)), &init)?;
    sku_reader(env, sku)?.fetch_with_request(inner).await
}

/// Static files: the widget, the demo page, the dashboard.
async fn assets(req: Request, env: &Env, path: &str) -> Result<Response> {
    let fetcher = env.assets("ASSETS")?;
    let url = req.url()?;
    let target = match path {
        "/dashboard" | "/dashboard/" => Some("/dashboard/index.html"),
        "/" => Some("/index.html"),
        _ => None,
    };
    let resp = match target {
        Some(t) => {
            let mut u = url.clone();
            u.set_path(t);
            fetcher.fetch(u.to_string(), None).await?
        }
        None => fetcher.fetch_request(req).await?,
    };
    if resp.status_code() == 404 {
        return http::not_found();
    }
    Ok(resp)
}

fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}
