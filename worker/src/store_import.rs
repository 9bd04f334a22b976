//! `POST /admin/import/{provider}` `{"create": false, "dry_run": false}` (both optional): reads
//! the connected store's whole catalog, page by page, with the credentials of its connection
//! (the pages and what they say are the engine's, `lastunit::connect::store_catalog`), then hands
//! the items to the catalog, which decides with the engine and applies
//! (`worker/src/catalog/store_import.rs`). Nothing is changed before the last page is read: a
//! store that fails midway, a missing setting or an unknown provider change nothing.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Method, Request, Response, Result};

use lastunit::connect::store_catalog::{CatalogRead, Next};
use lastunit::connect::Provider;

use crate::catalog::ConnectionEntry;
use crate::http::{self, engine_error, json};
use crate::internal::{call, call_json, catalog_stub, parse_body, BodyError, MAX_BODY};
use crate::stores::StoreClient;

/// The body: whether to create the SKUs the catalog lacks, and whether to only say what would
/// change.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportOptions {
    #[serde(default)]
    create: bool,
    #[serde(default)]
    dry_run: bool,
}

pub async fn import(mut req: Request, env: &Env, provider: &str) -> Result<Response> {
    let provider = match Provider::parse(provider) {
        Ok(p) => p,
        Err(e) => return engine_error(&e),
    };
    let options = match read_options(&req.bytes().await?) {
        Ok(o) => o,
        Err(e) => return http::bad_json(e),
    };
    let (_, v): (u16, Value) = call_json::<Value, _>(&catalog_stub(env)?, Method::Get, "/connections", None).await?;
    let entries: Vec<ConnectionEntry> = serde_json::from_value(v["connections"].clone()).unwrap_or_default();
    if !entries.iter().any(|e| e.provider == provider) {
        return http::error(
            404,
            "unknown_connection",
            format!("no {provider} connection: PUT /admin/connections/{provider} first"),
        );
    }
    let client = match StoreClient::catalog_reader(env, provider) {
        Ok(c) => c,
        Err(why) => return http::error(409, "not_configured", format!("the {provider} connection cannot read: {why}")),
    };
    let mut read = CatalogRead::new(provider);
    while let Some(request) = read.request() {
        let (answer, total_pages) = client.send_keeping(&request, read.header_needed()).await;
        match read.read(&answer, total_pages.as_deref()) {
            Ok(Next::Go) => {}
            Ok(Next::Wait(ms)) => worker::Delay::from(std::time::Duration::from_millis(u64::from(ms))).await,
            Err(why) => return http::error(502, "upstream_unavailable", format!("{why}; nothing was imported")),
        }
    }
    let pages = read.pages_read();
    let body =
        json!({"provider": provider, "items": read.into_items(), "create": options.create, "dry_run": options.dry_run});
    let mut resp = call(&catalog_stub(env)?, Method::Post, "/store-import", Some(&body)).await?;
    let status = resp.status_code();
    let mut report: Value = resp.json().await?;
    if status == 200 {
        report["pages"] = json!(pages);
    }
    json(status, &report)
}

/// The options, from a JSON object or an empty body (the defaults).
fn read_options(bytes: &[u8]) -> std::result::Result<ImportOptions, BodyError> {
    if bytes.len() <= MAX_BODY && bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(ImportOptions::default());
    }
    parse_body(bytes)
}
