//! `CatalogObject`: the one catalog (Durable Object named `catalog`).
//!
//! Keeps the `Topology` (locations, channels), each location's config, each SKU's config, the
//! PoS id maps derived from their `pos_refs`, the subscribers, the connected stores
//! (`catalog/connections.rs`) and the order lines of theirs no SKU matched (`catalog/orders.rs`),
//! and the latest `SkuSummary` of
//! every SKU (pushed by the SKU objects' alarms) so the dashboard and questions over thousands
//! of SKUs are answered from memory. SQLite: `kv(key, json)`, `skus(sku, config, summary)`,
//! `subscribers(name, json)`.
//!
//! This file holds the object, its state and its storage; each concept's routes are their own
//! file: `catalog/layout.rs` (locations, channels, the fan-out of a new layout),
//! `catalog/skus.rs` (SKU policies, which SKUs exist, PoS ids), `catalog/csv_import.rs` (the
//! CSV import), `catalog/subscribers.rs`,
//! `catalog/summaries.rs` (the summaries, the dashboard, questions).

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

use lastunit::catalog::{LocationConfig, PosIndex};
use lastunit::push::Subscriber;
use lastunit::{SkuConfig, SkuSummary, Topology};

use crate::http::{self, json};

mod connections;
mod csv_import;
mod layout;
mod orders;
mod oversells;
mod skus;
mod square;
mod store_import;
mod subscribers;
mod summaries;
pub use connections::ConnectionEntry;
use layout::FANOUT;
pub use skus::{check, resolve};

#[durable_object]
pub struct CatalogObject {
    state: State,
    env: Env,
    sql: SqlStorage,
    data: RefCell<Data>,
}

#[derive(Default)]
struct Data {
    topology: Topology,
    locations: BTreeMap<String, LocationConfig>,
    skus: BTreeMap<String, SkuConfig>,
    summaries: Vec<SkuSummary>,
    summary_index: BTreeMap<String, usize>,
    subscribers: BTreeMap<String, Subscriber>,
    /// (provider, provider's item id) → SKU, from the SKUs' `pos_refs`.
    sku_refs: PosIndex,
    /// (provider, provider's location id) → location, from the locations' `pos_refs`.
    location_refs: PosIndex,
    /// The connected stores (`PUT /admin/connections/{provider}`).
    connections: BTreeMap<lastunit::connect::Provider, lastunit::connect::Connection>,
    /// Order lines no SKU matched, newest first, per provider (`catalog/orders.rs`).
    unknown_lines: BTreeMap<lastunit::connect::Provider, Vec<lastunit::connect::orders::UnknownLine>>,
}

#[derive(Deserialize)]
struct KvRow {
    key: String,
    json: String,
}

#[derive(Deserialize)]
struct SkuRow {
    sku: String,
    config: String,
    summary: Option<String>,
}

impl DurableObject for CatalogObject {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for ddl in [
            "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, json TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS skus(sku TEXT PRIMARY KEY, config TEXT NOT NULL, summary TEXT)",
            "CREATE TABLE IF NOT EXISTS subscribers(key TEXT PRIMARY KEY, json TEXT NOT NULL)",
            // The SKUs of a CSV file still to apply (catalog/csv_import.rs), in file order.
            "CREATE TABLE IF NOT EXISTS csv_import(ord INTEGER PRIMARY KEY, json TEXT NOT NULL)",
        ] {
            sql.exec(ddl, None).expect("schema");
        }
        let mut data = Data::default();
        if let Ok(rows) = sql.exec("SELECT key, json FROM kv", None).and_then(|c| c.to_array::<KvRow>()) {
            data.connections = Self::load_connections(&rows).into_iter().collect();
            data.unknown_lines = Self::load_unknown_lines(&rows).into_iter().collect();
            for r in rows {
                if r.key == "topology" {
                    data.topology = serde_json::from_str(&r.json).unwrap_or_default();
                } else if let Some(l) = r.key.strip_prefix("location:") {
                    if let Ok(c) = serde_json::from_str(&r.json) {
                        data.locations.insert(l.to_string(), c);
                    }
                }
            }
        }
        if let Ok(rows) =
            sql.exec("SELECT sku, config, summary FROM skus ORDER BY sku", None).and_then(|c| c.to_array::<SkuRow>())
        {
            for r in rows {
                if let Ok(c) = serde_json::from_str(&r.config) {
                    data.skus.insert(r.sku.clone(), c);
                }
                if let Some(s) = r.summary.and_then(|s| serde_json::from_str::<SkuSummary>(&s).ok()) {
                    data.summary_index.insert(r.sku, data.summaries.len());
                    data.summaries.push(s);
                }
            }
        }
        if let Ok(rows) = sql.exec("SELECT key, json FROM subscribers", None).and_then(|c| c.to_array::<KvRow>()) {
            for r in rows {
                if let Ok(s) = serde_json::from_str(&r.json) {
                    data.subscribers.insert(r.key, s);
                }
            }
        }
        data.sku_refs = PosIndex::new(data.skus.iter().map(|(s, c)| (s, &c.pos_refs)));
        data.location_refs = PosIndex::new(data.locations.iter().map(|(l, c)| (l, &c.pos_refs)));
        CatalogObject { state, env, sql, data: RefCell::new(data) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let method = req.method();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (method, parts.as_slice()) {
            (Method::Put, ["locations", l]) => self.put_location(l, &mut req).await,
            (Method::Put, ["channels", c]) => self.put_channel(c, &mut req).await,
            (Method::Put, ["skus", s]) => self.put_sku(s, &mut req).await,
            (Method::Put, ["subscribers", n]) => self.put_subscriber(n, &mut req).await,
            (Method::Put, ["connections", p]) => self.put_connection(p, &mut req).await,
            (Method::Get, ["connections"]) => self.list_connections(),
            (Method::Post, ["connections", p, "resync"]) => self.resync(p).await,
            (Method::Post, ["store-import"]) => self.store_import(&mut req).await,
            (Method::Post, ["csv-import"]) => self.csv_import(&mut req).await,
            (Method::Get, ["csv-import"]) => self.csv_import_status(),
            (Method::Post, ["order-events"]) => self.order_events(&mut req).await,
            (Method::Delete, ["subscribers", n]) => self.delete_subscriber(n).await,
            (Method::Get, ["locations"]) => self.list_locations(),
            (Method::Get, ["channels"]) => json(200, &self.data.borrow().topology.channels),
            (Method::Get, ["skus"]) => json(200, &json!({"skus": self.data.borrow().skus.keys().collect::<Vec<_>>()})),
            (Method::Get, ["subscribers"]) => self.list_subscribers(),
            (Method::Get, ["topology"]) => json(200, &self.data.borrow().topology),
            (Method::Post, ["check"]) => self.check(&mut req).await,
            (Method::Post, ["resolve"]) => self.resolve(&mut req).await,
            (Method::Post, ["summary"]) => self.summary(&mut req).await,
            (Method::Get, ["dashboard"]) => self.dashboard(&req),
            (Method::Get, ["ask"]) => self.ask(&req),
            (Method::Get, ["incidents"]) => self.incidents(),
            (Method::Get, ["reorder"]) => self.reorder(&req),
            (Method::Post, ["id-secret"]) => self.id_secret(),
            _ => http::not_found(),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.continue_fan_out().await?;
        self.continue_csv_import().await?;
        Response::ok("ok")
    }
}

fn storage_err(e: impl ToString) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

impl CatalogObject {
    /// The default reservation id secret (when `RESERVATION_ID_SECRET` is unset): 256 random
    /// bits drawn the first time anyone asks, then kept, so ids stay the same across deploys
    /// and token rotations. Never shown on any public or operator route.
    fn id_secret(&self) -> Result<Response> {
        let secret = match self.get_kv::<String>("reservation_id_secret")? {
            Some(s) => s,
            None => {
                let s = crate::ids::random_hex(32);
                self.put_kv("reservation_id_secret", &s)?;
                s
            }
        };
        json(200, &json!({"secret": secret}))
    }

    /// The value kept under `key` in `kv`, or none (also when it no longer reads as a `T`).
    fn get_kv<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let rows: Vec<KvRow> = self.sql.exec("SELECT key, json FROM kv WHERE key = ?", vec![key.into()])?.to_array()?;
        Ok(rows.into_iter().next().and_then(|r| serde_json::from_str(&r.json).ok()))
    }

    fn put_kv(&self, key: &str, value: &impl Serialize) -> Result<()> {
        let text = serde_json::to_string(value).map_err(storage_err)?;
        self.sql.exec("INSERT OR REPLACE INTO kv(key, json) VALUES (?, ?)", vec![key.into(), text.into()])?;
        Ok(())
    }
}
