//! Catalog in and out as CSV: `POST /admin/import` (the upload is read here, up to
//! [`MAX_IMPORT`], and decided and applied by the catalog, `worker/src/catalog/csv_import.rs`),
//! `GET /admin/export/skus` and `GET /admin/export/ledger` (streamed: a page of SKUs or of one
//! SKU's ledger at a time, written by the SKU objects, so a year of ledger never has to fit in
//! memory). The rows are the engine's (`lastunit::csv_import`, `lastunit::csv_export`).

use std::rc::Rc;
use std::time::Duration;

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use worker::{Date, Delay, Env, Headers, Method, Request, RequestInit, Response, Result};

use lastunit::csv_export::{ledger_header, sku_rows, skus_header, LedgerFilter, SkuRows};
use lastunit::SkuConfig;

use crate::http::{self, engine_error};
use crate::internal::{call_json, catalog_stub, query, sku_reader};

/// The largest import file: 10 MiB (a catalog of 10,000 SKUs is about 600 KB).
pub const MAX_IMPORT: usize = 10 * 1024 * 1024;

/// SKUs read at once for the SKU export.
const EXPORT_CHUNK: usize = 50;

/// How long the upload's answer waits for the catalog to finish applying a file: a file of a
/// few hundred SKUs is answered done (200); a larger one is answered `202` with how far it got,
/// and `GET /admin/import/status` follows it from there.
const WAIT_FOR_DONE: Duration = Duration::from_secs(5);
/// How often the upload asks the catalog how far it got meanwhile.
const POLL: Duration = Duration::from_millis(200);

/// `POST /admin/import[?dry_run=true]`: the file goes to the catalog as sent; an applied file
/// is then awaited for up to [`WAIT_FOR_DONE`].
pub async fn import(mut req: Request, env: &Env) -> Result<Response> {
    let dry_run = query(&req, "dry_run").is_some_and(|v| v == "true" || v == "1");
    let bytes = req.bytes().await?;
    if bytes.len() > MAX_IMPORT {
        return http::too_large_than(MAX_IMPORT);
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    let headers = Headers::new();
    headers.set("content-type", "text/csv")?;
    init.with_headers(headers);
    init.with_body(Some(js_sys::Uint8Array::from(bytes.as_slice()).into()));
    let url = format!("https://do.internal/csv-import?dry_run={dry_run}");
    let started = catalog_stub(env)?.fetch_with_request(Request::new_with_init(&url, &init)?).await?;
    if started.status_code() != 202 {
        return Ok(started);
    }
    let deadline = Date::now().as_millis() + WAIT_FOR_DONE.as_millis() as u64;
    let mut last = started;
    while Date::now().as_millis() < deadline {
        Delay::from(POLL).await;
        last = import_status(env).await?;
        if last.status_code() != 202 {
            break;
        }
    }
    Ok(last)
}

/// `GET /admin/import/status`: the last file's report and how far it is applied (`200` done,
/// `202` still applying, `404` when no file was ever applied).
pub async fn import_status(env: &Env) -> Result<Response> {
    catalog_stub(env)?.fetch_with_str("https://do.internal/csv-import").await
}

/// The SKUs the catalog knows, in order.
async fn skus(env: &Env) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Listed {
        skus: Vec<String>,
    }
    let (_, listed): (u16, Listed) = call_json::<Value, _>(&catalog_stub(env)?, Method::Get, "/skus", None).await?;
    Ok(listed.skus)
}

/// A CSV download named `name`, its body the stream's pieces.
fn csv_download(body: impl futures_util::Stream<Item = Result<Vec<u8>>> + 'static, name: &str) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set("content-disposition", &format!("attachment; filename=\"{name}\""))?;
    headers.set("cache-control", http::NO_STORE)?;
    Ok(Response::from_stream(body)?.with_headers(headers))
}

/// `GET /admin/export/skus`: the import's columns, one row per SKU and location, re-importable
/// as is.
pub async fn export_skus(env: &Env) -> Result<Response> {
    let skus = skus(env).await?;
    let env = env.clone();
    let chunks: Vec<Vec<String>> = skus.chunks(EXPORT_CHUNK).map(<[String]>::to_vec).collect();
    let rows = stream::iter(chunks).then(move |chunk| {
        let env = env.clone();
        async move { sku_chunk(&env, &chunk).await.map(String::into_bytes) }
    });
    csv_download(stream::once(async { Ok(skus_header().into_bytes()) }).chain(rows), "skus.csv")
}

/// The export rows of `chunk`, read from their objects at once. A SKU whose object does not
/// answer fails the download rather than leaving it out: a re-import must not lose a SKU.
async fn sku_chunk(env: &Env, chunk: &[String]) -> Result<String> {
    #[derive(Deserialize)]
    struct Exported {
        config: SkuConfig,
        on_hand: Vec<(String, i64)>,
    }
    let reads = chunk.iter().map(|sku| async move {
        let (status, v) = call_json::<Value, Value>(&sku_reader(env, sku)?, Method::Get, "/export", None).await?;
        if status != 200 {
            return Err(worker::Error::RustError(format!("exporting `{sku}`: {status} {v}")));
        }
        serde_json::from_value::<Exported>(v).map_err(|e| worker::Error::RustError(format!("exporting `{sku}`: {e}")))
    });
    let read = join_all(reads).await.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(sku_rows(chunk.iter().zip(&read).map(|(sku, e)| SkuRows { sku, config: &e.config, on_hand: e.on_hand.clone() })))
}

/// `GET /admin/export/ledger?sku=&from=&to=`: every ledger entry (of one SKU when `sku` is
/// given), SKU by SKU, each SKU's in the order recorded, with `from <= time < to`.
pub async fn export_ledger(req: &Request, env: &Env) -> Result<Response> {
    let filter = match LedgerFilter::parse(query(req, "from").as_deref(), query(req, "to").as_deref()) {
        Ok(f) => f,
        Err(e) => return engine_error(&e),
    };
    let known = skus(env).await?;
    let skus = match query(req, "sku").filter(|s| !s.is_empty()) {
        None => known,
        Some(s) if known.contains(&s) => vec![s],
        Some(s) => return engine_error(&lastunit::Error::UnknownSku(s)),
    };
    let mut range = String::new();
    if let Some(f) = filter.from {
        range.push_str(&format!("&from={}", f.millis()));
    }
    if let Some(t) = filter.to {
        range.push_str(&format!("&to={}", t.millis()));
    }
    // Shared by every page's step, not copied into each (a catalog has thousands of SKUs).
    let (env, skus, range) = (env.clone(), Rc::new(skus), Rc::new(range));
    // Each step reads one page of one SKU: (the SKU's index, the row its next page starts after).
    let pages = stream::try_unfold((0usize, 0i64), move |(i, after)| {
        let (env, skus, range) = (env.clone(), Rc::clone(&skus), Rc::clone(&range));
        async move {
            let Some(sku) = skus.get(i) else { return Ok(None) };
            let mut resp = sku_reader(&env, sku)?
                .fetch_with_str(&format!("https://do.internal/ledger?after={after}{range}"))
                .await?;
            if resp.status_code() != 200 {
                return Err(worker::Error::RustError(format!("the ledger of `{sku}` answered {}", resp.status_code())));
            }
            let next = resp.headers().get("x-next")?.and_then(|n| n.parse::<i64>().ok());
            let rows = resp.bytes().await?;
            Ok(Some((rows, next.map_or((i + 1, 0), |n| (i, n)))))
        }
    });
    let pages = pages.filter(|page| std::future::ready(!matches!(page, Ok(rows) if rows.is_empty())));
    csv_download(stream::once(async { Ok(ledger_header().into_bytes()) }).chain(pages), "ledger.csv")
}
