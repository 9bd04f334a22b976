//! The catalog's side of the store import (`POST /admin/import/{provider}`; the store's pages
//! are read by `worker/src/store_import.rs`): the engine decides over the catalog as it stands
//! (`lastunit::catalog_match`), then each change goes through the same path as
//! `PUT /admin/skus/{sku}` (checked, ids claimed, the SKU object configured, kept), a few SKUs
//! at a time.

use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response, Result};

use lastunit::catalog_match::{self, Catalog, Change};
use lastunit::connect::store_catalog::StoreItem;
use lastunit::connect::Provider;
use lastunit::SkuConfig;

use super::skus::refusal_naming;
use super::{CatalogObject, FANOUT};
use crate::http::{self, json};

/// `POST /store-import`: the store's items, read whole.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    provider: Provider,
    items: Vec<StoreItem>,
    create: bool,
    dry_run: bool,
}

impl CatalogObject {
    /// Answers the engine's report (`matched`, `filled`, `created`, `unmatched`, `duplicates`,
    /// `refused`, `without_sku`, `store_items`), with `failed`: the changes a SKU object did not
    /// take (they are left out of the lists). A dry run changes nothing.
    pub(super) async fn store_import(&self, req: &mut Request) -> Result<Response> {
        let b: ImportBody = match serde_json::from_slice(&req.bytes().await?) {
            Ok(b) => b,
            Err(e) => return http::error(400, "bad_request", format!("the store import is not readable: {e}")),
        };
        if !self.data.borrow().connections.contains_key(&b.provider) {
            return http::error(
                404,
                "unknown_connection",
                format!("no {} connection: PUT /admin/connections/{} first", b.provider, b.provider),
            );
        }
        let mut plan = {
            let d = self.data.borrow();
            catalog_match::plan(&b.items, &Catalog { skus: &d.skus, refs: &d.sku_refs }, b.create)
        };
        let mut failed = Vec::new();
        if !b.dry_run {
            for chunk in plan.changes.chunks(FANOUT) {
                let calls = chunk.iter().map(|change| async move {
                    let config = self.config_for(change);
                    (change.sku(), self.set_sku(change.sku(), config).await)
                });
                for (sku, answer) in join_all(calls).await {
                    let (status, text) = answer?;
                    if status != 200 {
                        failed.push(refusal_naming(sku, &text));
                    }
                }
            }
        }
        let not_made = |code: &String| !failed.iter().any(|f| f["sku"] == code.as_str());
        plan.matched.retain(not_made);
        plan.filled.retain(not_made);
        plan.created.retain(not_made);
        let mut report = serde_json::to_value(&plan).map_err(super::storage_err)?;
        report["provider"] = json!(b.provider);
        report["create"] = json!(b.create);
        report["dry_run"] = json!(b.dry_run);
        report["failed"] = json!(failed);
        json(200, &report)
    }

    /// The policy `change` sets, from the SKU's policy as it is now (not as it was when the
    /// import was decided): an edit made meanwhile is kept, and a SKU created meanwhile by
    /// someone else only takes the store's ids.
    fn config_for(&self, change: &Change) -> SkuConfig {
        let d = self.data.borrow();
        match change {
            Change::Fill { sku, refs } => catalog_match::fill(&d.skus.get(sku).cloned().unwrap_or_default(), refs),
            Change::Create { sku, config } => match d.skus.get(sku) {
                Some(now) => catalog_match::fill(now, &config.pos_refs),
                None => config.clone(),
            },
        }
    }
}
