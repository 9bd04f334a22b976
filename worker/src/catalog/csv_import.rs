//! The catalog's side of the CSV import (`POST /admin/import`; the Worker reads the upload,
//! `worker/src/catalog_io.rs`): the engine reads and checks the whole file against the catalog
//! as it stands (`lastunit::csv_import`), then each SKU of a good file is applied a few at a
//! time: its policy through the same path as `PUT /admin/skus/{sku}` (only when it changes),
//! then its counts as events to its object. A dry run answers what would change and changes
//! nothing.

use futures_util::future::join_all;
use serde_json::{json, Value};
use worker::{Method, Request, Response, Result};

use lastunit::csv_import::{self, Catalog, SkuImport};
use lastunit::Timestamp;

use super::skus::refusal_naming;
use super::{CatalogObject, FANOUT};
use crate::http::json;
use crate::internal::{self, call_json, query, sku_stub};

/// What applying one SKU came to.
enum Applied {
    /// Its counts' events: how many applied, how many were already there (a repeated file).
    Counts { applied: u64, duplicates: u64 },
    /// Its object refused: the refusal's body, with the SKU.
    Failed(Value),
}

impl CatalogObject {
    /// `POST /csv-import?dry_run=true|false`: the engine's report of the file, or its refusal;
    /// applied, it also says how many counts applied, how many were duplicates, and which SKUs
    /// an object refused (`failed`, each with the SKU: the rest of the file still applies).
    pub(super) async fn csv_import(&self, req: &mut Request) -> Result<Response> {
        let dry_run = query(req, "dry_run").is_some_and(|v| v == "true");
        let bytes = req.bytes().await?;
        let now = internal::now();
        let plan = {
            let d = self.data.borrow();
            csv_import::plan(&bytes, &Catalog { topology: &d.topology, skus: &d.skus, refs: &d.sku_refs }, now)
        };
        let plan = match plan {
            Ok(p) => p,
            Err(refusal) => return json(refusal.http_status(), &refusal.body()),
        };
        let mut report = plan.report(dry_run);
        if dry_run {
            return json(200, &report);
        }
        let (mut applied, mut duplicates, mut failed) = (0, 0, Vec::new());
        for chunk in plan.skus.chunks(FANOUT) {
            for outcome in join_all(chunk.iter().map(|s| self.import_sku(s, now))).await {
                match outcome? {
                    Applied::Counts { applied: a, duplicates: d } => {
                        (applied, duplicates) = (applied + a, duplicates + d)
                    }
                    Applied::Failed(why) => failed.push(why),
                }
            }
        }
        report["applied"] = json!(applied);
        report["duplicates"] = json!(duplicates);
        report["failed"] = json!(failed);
        json(200, &report)
    }

    /// Sets the SKU's policy when the file changes it, then its counts.
    async fn import_sku(&self, s: &SkuImport, now: Timestamp) -> Result<Applied> {
        let failed = |text: &str| Applied::Failed(refusal_naming(&s.sku, text));
        let unchanged = self.data.borrow().skus.get(&s.sku) == Some(&s.config);
        if !unchanged {
            let (status, text) = self.set_sku(&s.sku, s.config.clone()).await?;
            if status != 200 {
                return Ok(failed(&text));
            }
        }
        let stub = sku_stub(&self.env, &s.sku)?;
        let (status, v): (u16, Value) =
            call_json(&stub, Method::Post, "/events", Some(&json!({"events": s.counts, "now": now}))).await?;
        if status != 200 {
            return Ok(failed(&v.to_string()));
        }
        let count = |k: &str| v[k].as_u64().unwrap_or(0);
        Ok(Applied::Counts { applied: count("applied"), duplicates: count("duplicates") })
    }
}
