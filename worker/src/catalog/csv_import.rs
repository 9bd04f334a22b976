//! The catalog's side of the CSV import (`POST /admin/import`; the Worker reads the upload,
//! `worker/src/catalog_io.rs`): the engine reads and checks the whole file against the catalog
//! as it stands (`lastunit::csv_import`). A dry run answers what would change and changes
//! nothing. A good file becomes an import job: its SKUs are kept in the `csv_import` table and
//! applied from the catalog's alarm, [`PER_RUN`] SKUs a run, a few at a time: each SKU's policy
//! through the same path as `PUT /admin/skus/{sku}` (only when it changes), then its counts as
//! events to its object.
//!
//! Why from the alarm and not inside the upload: a Durable Object touched during one invocation
//! stays in memory until that invocation ends. Applying 10,000 new SKUs inside one request kept
//! 10,000 objects (each its own SQLite database) open at once, and workerd answered
//! `SQLITE_NOMEM` some 3,000 in; a plain JS object doing one write each fails the same way
//! (BENCHMARKS.md, "CSV import"). Each alarm run is an invocation of its own, so the objects it
//! touched are let go as the next run starts. A run that dies before it records its part is run
//! again: the policies are the same and the counts' events are duplicates, so nothing counts
//! twice.

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Method, Request, Response, Result};

use lastunit::csv_import::{self, Catalog, SkuImport};
use lastunit::Timestamp;

use super::skus::refusal_naming;
use super::{storage_err, CatalogObject, FANOUT};
use crate::http::{self, json};
use crate::internal::{self, call_json, query, sku_stub};

/// SKUs applied per alarm run.
const PER_RUN: usize = 250;

/// The import being applied, or the last one (kept in `kv` under `csv_import`).
#[derive(Serialize, Deserialize)]
struct Job {
    /// `applying` until every SKU is applied, then `done`.
    status: String,
    /// SKUs applied so far (the report's `skus` says how many the file has).
    skus_applied: usize,
    /// Counts applied, and counts that were already there (the same file uploaded again).
    applied: u64,
    duplicates: u64,
    /// SKUs their object or the policy check refused (each with the SKU): the rest still apply.
    failed: Vec<Value>,
}

#[derive(Deserialize)]
struct PendingRow {
    ord: i64,
    json: String,
}

/// What applying one SKU came to.
enum Applied {
    /// Its counts' events: how many applied, how many were already there (a repeated file).
    Counts { applied: u64, duplicates: u64 },
    /// Its object refused: the refusal's body, with the SKU.
    Failed(Value),
}

impl CatalogObject {
    /// `POST /csv-import?dry_run=true|false`: the engine's report of the file, or its refusal.
    /// Applied, the answer is `202` with the report and the job's progress (`GET /csv-import`
    /// follows it); a second file while one is applying is `409`.
    pub(super) async fn csv_import(&self, req: &mut Request) -> Result<Response> {
        let dry_run = query(req, "dry_run").is_some_and(|v| v == "true");
        let bytes = req.bytes().await?;
        if !dry_run && self.job()?.is_some_and(|j| j.status == "applying") {
            return http::error(
                409,
                "import_in_progress",
                "another CSV file is being applied; try again when it is done (GET /admin/import/status)",
            );
        }
        let now = internal::now();
        let plan = {
            let d = self.data.borrow();
            csv_import::plan(&bytes, &Catalog { topology: &d.topology, skus: &d.skus, refs: &d.sku_refs }, now)
        };
        let plan = match plan {
            Ok(p) => p,
            Err(refusal) => return json(refusal.http_status(), &refusal.body()),
        };
        let report = plan.report(dry_run);
        if dry_run {
            return json(200, &report);
        }
        self.sql.exec("DELETE FROM csv_import", None)?;
        for (ord, sku) in plan.skus.iter().enumerate() {
            let text = serde_json::to_string(sku).map_err(storage_err)?;
            self.sql.exec("INSERT INTO csv_import(ord, json) VALUES (?, ?)", vec![(ord as f64).into(), text.into()])?;
        }
        self.put_kv("csv_import_report", &report)?;
        let job = Job { status: "applying".into(), skus_applied: 0, applied: 0, duplicates: 0, failed: vec![] };
        self.put_kv("csv_import", &job)?;
        self.state.storage().set_alarm(std::time::Duration::from_millis(1)).await?;
        json(202, &answer(report, &job))
    }

    /// `GET /csv-import`: the report of the last file applied and how far it is (`404` when no
    /// file was ever applied).
    pub(super) fn csv_import_status(&self) -> Result<Response> {
        let Some(job) = self.job()? else {
            return http::error(404, "no_import", "no CSV file has been imported yet");
        };
        let report = self.get_kv::<Value>("csv_import_report")?.unwrap_or_else(|| json!({}));
        json(if job.status == "done" { 200 } else { 202 }, &answer(report, &job))
    }

    /// From the alarm: applies the next [`PER_RUN`] SKUs of the job, and asks for another run
    /// while any are left.
    pub(super) async fn continue_csv_import(&self) -> Result<()> {
        let Some(mut job) = self.job()?.filter(|j| j.status == "applying") else { return Ok(()) };
        let rows: Vec<PendingRow> = self
            .sql
            .exec("SELECT ord, json FROM csv_import ORDER BY ord LIMIT ?", vec![(PER_RUN as f64).into()])?
            .to_array()?;
        let now = internal::now();
        // A row kept by an older release that no longer reads is reported, never dropped unseen.
        let mut skus: Vec<SkuImport> = Vec::with_capacity(rows.len());
        for row in &rows {
            match serde_json::from_str(&row.json) {
                Ok(s) => skus.push(s),
                Err(e) => job.failed.push(json!({"row": row.ord, "error": "unreadable_row", "message": e.to_string()})),
            }
        }
        for chunk in skus.chunks(FANOUT) {
            for outcome in join_all(chunk.iter().map(|s| self.import_sku(s, now))).await {
                match outcome? {
                    Applied::Counts { applied, duplicates } => {
                        job.applied += applied;
                        job.duplicates += duplicates;
                    }
                    Applied::Failed(why) => job.failed.push(why),
                }
            }
        }
        if let Some(last) = rows.last() {
            self.sql.exec("DELETE FROM csv_import WHERE ord <= ?", vec![(last.ord as f64).into()])?;
        }
        job.skus_applied += rows.len();
        let more = rows.len() == PER_RUN;
        if !more {
            job.status = "done".into();
        }
        self.put_kv("csv_import", &job)?;
        if more {
            self.state.storage().set_alarm(std::time::Duration::from_millis(1)).await?;
        }
        Ok(())
    }

    fn job(&self) -> Result<Option<Job>> {
        self.get_kv("csv_import")
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

/// The file's report with the job's progress: `status` (`applying` or `done`), `skus_applied`,
/// and the counts applied, duplicates and SKUs refused so far.
fn answer(mut report: Value, job: &Job) -> Value {
    report["status"] = json!(job.status);
    report["skus_applied"] = json!(job.skus_applied);
    report["applied"] = json!(job.applied);
    report["duplicates"] = json!(job.duplicates);
    report["failed"] = json!(job.failed);
    report
}
