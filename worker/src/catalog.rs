//! `CatalogObject`: the one catalog (Durable Object named `catalog`).
//!
//! Keeps the `Topology` (locations, channels), each location's config, each SKU's config, the
//! PoS id maps derived from their `pos_refs`, the subscribers, the connected stores
//! (`catalog/connections.rs`) and the order lines of theirs no SKU matched (`catalog/orders.rs`),
//! and the latest `SkuSummary` of
//! every SKU (pushed by the SKU objects' alarms) so the dashboard and questions over thousands
//! of SKUs are answered from memory. SQLite: `kv(key, json)`, `skus(sku, config, summary)`,
//! `subscribers(name, json)`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{durable_object, wasm_bindgen, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

use lastunit::catalog::{ChannelConfig, LocationConfig, PosIndex};
use lastunit::push::Subscriber;
use lastunit::{SkuConfig, SkuSummary, Topology};

use crate::http::{self, engine_error, json};
use crate::internal::{self, body, call, call_json, query, sku_stub};

mod connections;
mod orders;
mod oversells;
mod square;
mod store_import;
pub use connections::ConnectionEntry;

/// SKU objects told about a topology change at once.
const FANOUT: usize = 25;
/// SKU objects told per request or alarm run (the rest continue from the catalog's alarm, so
/// no single invocation makes too many subrequests).
const FANOUT_PER_RUN: usize = 200;

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

/// `POST /check`: which of these SKUs the catalog knows, and the layout.
#[derive(Serialize, Deserialize)]
pub struct CheckAnswer {
    pub unknown: Vec<String>,
    pub topology: Topology,
}

/// `POST /resolve`: provider ids to (sku, location).
#[derive(Serialize, Deserialize)]
pub struct ResolveReq {
    pub provider: String,
    pub refs: Vec<(String, String)>,
}

#[derive(Serialize, Deserialize)]
pub struct ResolveAnswer {
    pub matches: Vec<Option<(String, String)>>,
    /// The location the provider's connection covers: its counts there are a connected
    /// store's copy of lastunit's number, never a count of the shelf.
    #[serde(default)]
    pub connected_location: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriberBody {
    url: String,
    secret: String,
    channel: String,
    /// Also receive oversell incidents.
    #[serde(default)]
    alerts: bool,
}

impl DurableObject for CatalogObject {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for ddl in [
            "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, json TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS skus(sku TEXT PRIMARY KEY, config TEXT NOT NULL, summary TEXT)",
            "CREATE TABLE IF NOT EXISTS subscribers(key TEXT PRIMARY KEY, json TEXT NOT NULL)",
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
        let rows: Vec<KvRow> =
            self.sql.exec("SELECT key, json FROM kv WHERE key = 'reservation_id_secret'", None)?.to_array()?;
        let secret = match rows.into_iter().next().and_then(|r| serde_json::from_str::<String>(&r.json).ok()) {
            Some(s) => s,
            None => {
                let s = crate::ids::random_hex(32);
                self.put_kv("reservation_id_secret", &s)?;
                s
            }
        };
        json(200, &json!({"secret": secret}))
    }

    fn put_kv(&self, key: &str, value: &impl Serialize) -> Result<()> {
        let text = serde_json::to_string(value).map_err(storage_err)?;
        self.sql.exec("INSERT OR REPLACE INTO kv(key, json) VALUES (?, ?)", vec![key.into(), text.into()])?;
        Ok(())
    }

    /// Tells every SKU object the new layout: the first SKUs now, the rest from the alarm.
    /// (SKU objects also pick the layout up from the answer to their summary push.)
    async fn fan_out_topology(&self) -> Result<()> {
        self.put_kv("fanout", &json!({"after": ""}))?;
        self.continue_fan_out().await
    }

    async fn continue_fan_out(&self) -> Result<()> {
        let rows: Vec<KvRow> = self.sql.exec("SELECT key, json FROM kv WHERE key = 'fanout'", None)?.to_array()?;
        let Some(cursor) = rows.into_iter().next().and_then(|r| serde_json::from_str::<Value>(&r.json).ok()) else {
            return Ok(());
        };
        let after = cursor["after"].as_str().unwrap_or("").to_string();
        let (topology, batch, more) = {
            let d = self.data.borrow();
            let mut rest = d.skus.keys().filter(|k| after.is_empty() || k.as_str() > after.as_str());
            let batch: Vec<String> = rest.by_ref().take(FANOUT_PER_RUN).cloned().collect();
            (d.topology.clone(), batch, rest.next().is_some())
        };
        let body = json!({"topology": topology});
        for chunk in batch.chunks(FANOUT) {
            let calls = chunk.iter().map(|sku| {
                let body = &body;
                async move {
                    let stub = sku_stub(&self.env, sku)?;
                    call(&stub, Method::Post, "/topology", Some(body)).await.map(|_| ())
                }
            });
            for r in join_all(calls).await {
                r?;
            }
        }
        if more {
            let last = batch.last().cloned().unwrap_or_default();
            self.put_kv("fanout", &json!({"after": last}))?;
            self.state.storage().set_alarm(std::time::Duration::from_millis(10)).await?;
        } else {
            self.sql.exec("DELETE FROM kv WHERE key = 'fanout'", None)?;
        }
        Ok(())
    }

    async fn put_location(&self, name: &str, req: &mut Request) -> Result<Response> {
        let config: LocationConfig = match body(req).await {
            Ok(c) => c,
            Err(e) => return http::bad_json(e),
        };
        if let Err(e) = config.validate() {
            return engine_error(&e);
        }
        let mut topology = self.data.borrow().topology.clone();
        if let Err(e) = topology.put_location(name) {
            return engine_error(&e);
        }
        // Checked, claimed and kept in one step: nothing is awaited in between.
        if let Err(e) = self.data.borrow_mut().location_refs.claim(name, &config.pos_refs) {
            return engine_error(&e);
        }
        let stored =
            self.put_kv(&format!("location:{name}"), &config).and_then(|()| self.put_kv("topology", &topology));
        let changed = topology != self.data.borrow().topology;
        {
            let mut d = self.data.borrow_mut();
            d.location_refs.settle(name, &config.pos_refs, stored.is_ok().then_some(&config.pos_refs));
            stored?;
            d.topology = topology;
            d.locations.insert(name.to_string(), config.clone());
        }
        if self.refresh_square_locations()? || changed {
            self.fan_out_topology().await?;
        }
        self.location_changed(name).await?;
        json(200, &json!({"location": name, "name": config.name, "pos_refs": config.pos_refs}))
    }

    fn list_locations(&self) -> Result<Response> {
        let d = self.data.borrow();
        let list: Vec<Value> = d
            .topology
            .locations
            .iter()
            .map(|l| {
                let c = d.locations.get(l).cloned().unwrap_or_default();
                json!({"location": l, "name": c.name, "pos_refs": c.pos_refs})
            })
            .collect();
        json(200, &json!({"locations": list}))
    }

    async fn put_channel(&self, name: &str, req: &mut Request) -> Result<Response> {
        let config: ChannelConfig = match body(req).await {
            Ok(c) => c,
            Err(e) => return http::bad_json(e),
        };
        let mut topology = self.data.borrow().topology.clone();
        if let Err(e) = topology.put_channel(name, &config) {
            return engine_error(&e);
        }
        let changed = topology != self.data.borrow().topology;
        self.put_kv("topology", &topology)?;
        self.data.borrow_mut().topology = topology;
        if changed {
            self.fan_out_topology().await?;
        }
        json(200, &json!({"channel": name, "locations": config.locations}))
    }

    async fn put_sku(&self, sku: &str, req: &mut Request) -> Result<Response> {
        let config: SkuConfig = match body(req).await {
            Ok(c) => c,
            Err(e) => return http::bad_json(e),
        };
        let (status, text) = self.set_sku(sku, config).await?;
        http::json_text(status, text)
    }

    /// Checks, claims the ids of, configures and keeps one SKU's policy (`PUT /skus/{sku}`, the
    /// store import): the answer's status and body.
    async fn set_sku(&self, sku: &str, config: SkuConfig) -> Result<(u16, String)> {
        let refused = |e: lastunit::Error| Ok((e.http_status(), http::engine_error_body(&e).to_string()));
        if let Err(e) = config.validate(sku) {
            return refused(e);
        }
        // The SKU object is configured over a subrequest, and other requests run while it is
        // awaited (input gates only hold them during storage calls): the ids are checked and
        // claimed in one step before it, so a concurrent PUT cannot take one of them meanwhile.
        if let Err(e) = self.data.borrow_mut().sku_refs.claim(sku, &config.pos_refs) {
            return refused(e);
        }
        let configured = self.configure_sku(sku, &config).await;
        let made = matches!(configured, Ok((200, _)));
        self.data.borrow_mut().sku_refs.settle(sku, &config.pos_refs, made.then_some(&config.pos_refs));
        if made {
            self.data.borrow_mut().skus.insert(sku.to_string(), config);
        }
        configured
    }

    /// Configures the SKU object, then stores the config here when it took it.
    async fn configure_sku(&self, sku: &str, config: &SkuConfig) -> Result<(u16, String)> {
        let topology = self.data.borrow().topology.clone();
        let stub = sku_stub(&self.env, sku)?;
        let mut resp =
            call(&stub, Method::Post, "/configure", Some(&json!({"sku": sku, "config": config, "topology": topology})))
                .await?;
        let status = resp.status_code();
        let text = resp.text().await?;
        if status == 200 {
            let text_config = serde_json::to_string(config).map_err(storage_err)?;
            self.sql.exec(
                "INSERT INTO skus(sku, config) VALUES (?, ?) ON CONFLICT(sku) DO UPDATE SET config = excluded.config",
                vec![sku.into(), text_config.into()],
            )?;
        }
        Ok((status, text))
    }

    async fn put_subscriber(&self, name: &str, req: &mut Request) -> Result<Response> {
        let b: SubscriberBody = match body(req).await {
            Ok(c) => c,
            Err(e) => return http::bad_json(e),
        };
        if let Err(e) = lastunit::names::check_channel(name)
            .map_err(|_| lastunit::Error::invalid("name", "must match [a-z0-9_-]{1,32}"))
        {
            return engine_error(&e);
        }
        let url_ok = worker::Url::parse(&b.url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
        if !url_ok {
            return engine_error(&lastunit::Error::invalid("url", "must be an http(s) URL"));
        }
        if b.secret.is_empty() || b.secret.len() > 512 {
            return engine_error(&lastunit::Error::invalid("secret", "must be 1 to 512 characters"));
        }
        if let Err(e) = self.data.borrow().topology.channel(&b.channel) {
            return engine_error(&e);
        }
        let sub =
            Subscriber { name: name.to_string(), url: b.url, secret: b.secret, channel: b.channel, alerts: b.alerts };
        let text = serde_json::to_string(&sub).map_err(storage_err)?;
        self.sql.exec("INSERT OR REPLACE INTO subscribers(key, json) VALUES (?, ?)", vec![name.into(), text.into()])?;
        self.data.borrow_mut().subscribers.insert(name.to_string(), sub.clone());
        json(200, &json!({"name": sub.name, "url": sub.url, "channel": sub.channel, "alerts": sub.alerts}))
    }

    fn list_subscribers(&self) -> Result<Response> {
        let d = self.data.borrow();
        let list: Vec<Value> = d
            .subscribers
            .values()
            .map(|s| json!({"name": s.name, "url": s.url, "channel": s.channel, "alerts": s.alerts}))
            .collect();
        json(200, &json!({"subscribers": list}))
    }

    async fn check(&self, req: &mut Request) -> Result<Response> {
        let skus: Vec<String> = match body::<Value>(req).await {
            Ok(v) => serde_json::from_value(v.get("skus").cloned().unwrap_or(json!([]))).unwrap_or_default(),
            Err(e) => return http::bad_json(e),
        };
        let d = self.data.borrow();
        let unknown = skus.into_iter().filter(|s| !d.skus.contains_key(s)).collect();
        json(200, &CheckAnswer { unknown, topology: d.topology.clone() })
    }

    async fn resolve(&self, req: &mut Request) -> Result<Response> {
        let r: ResolveReq = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let d = self.data.borrow();
        let find = |refs: &PosIndex, id: &str| refs.owner(&r.provider, id).map(str::to_string);
        let matches =
            r.refs.iter().map(|(item, loc)| Some((find(&d.sku_refs, item)?, find(&d.location_refs, loc)?))).collect();
        drop(d);
        json(200, &ResolveAnswer { matches, connected_location: self.connected_location(&r.provider) })
    }

    async fn summary(&self, req: &mut Request) -> Result<Response> {
        let s: SkuSummary = match body(req).await {
            Ok(s) => s,
            Err(e) => return http::bad_json(e),
        };
        let known = self.data.borrow().skus.contains_key(&s.sku);
        if !known {
            // Not registered (yet): the SKU object keeps it pending and sends it again.
            return json(200, &json!({"known": false, "subscribers": [], "topology": self.data.borrow().topology}));
        }
        let newer = {
            let d = self.data.borrow();
            d.summary_index.get(&s.sku).is_none_or(|i| d.summaries[*i].version <= s.version)
        };
        if newer {
            let text = serde_json::to_string(&s).map_err(storage_err)?;
            self.sql.exec("UPDATE skus SET summary = ? WHERE sku = ?", vec![text.into(), s.sku.clone().into()])?;
            let mut d = self.data.borrow_mut();
            match d.summary_index.get(&s.sku).copied() {
                Some(i) => d.summaries[i] = s,
                None => {
                    let i = d.summaries.len();
                    d.summary_index.insert(s.sku.clone(), i);
                    d.summaries.push(s);
                }
            }
        }
        let routes = self.connection_routes();
        let d = self.data.borrow();
        let subs: Vec<&Subscriber> = d.subscribers.values().collect();
        json(200, &json!({"known": true, "subscribers": subs, "topology": d.topology, "connections": routes}))
    }

    async fn delete_subscriber(&self, name: &str) -> Result<Response> {
        if self.data.borrow_mut().subscribers.remove(name).is_none() {
            return http::error(404, "unknown_subscriber", "no such subscriber");
        }
        self.sql.exec("DELETE FROM subscribers WHERE key = ?", vec![name.into()])?;
        json(200, &json!({"status": "deleted"}))
    }

    fn dashboard(&self, req: &Request) -> Result<Response> {
        let now = internal::now();
        let horizon = match query(req, "horizon_days").map(|h| h.parse::<f64>()) {
            None => 7.0,
            Some(Ok(h)) if h.is_finite() && (0.0..=365.0).contains(&h) => h,
            Some(_) => {
                return engine_error(&lastunit::Error::invalid(
                    "horizon_days",
                    "must be a number of days from 0 to 365",
                ))
            }
        };
        let channel = query(req, "channel").filter(|c| !c.is_empty());
        let d = self.data.borrow();
        if let Some(c) = &channel {
            if let Err(e) = d.topology.channel(c) {
                return engine_error(&e);
            }
        }
        let count = |name: &'static str| -> std::result::Result<Option<usize>, lastunit::Error> {
            match query(req, name).map(|v| v.parse::<usize>()) {
                None => Ok(None),
                Some(Ok(n)) if n <= 1_000_000 => Ok(Some(n)),
                Some(_) => Err(lastunit::Error::invalid(name, "must be a whole number from 0 to 1000000")),
            }
        };
        let (offset, limit) = match (count("offset"), count("limit")) {
            (Ok(o), Ok(l)) => (o.unwrap_or(0), l),
            (Err(e), _) | (_, Err(e)) => return engine_error(&e),
        };
        let with_history = matches!(query(req, "history").as_deref(), Some("1" | "true"));
        let q = lastunit::summary::DashboardQuery {
            horizon_days: horizon,
            channel: channel.as_deref(),
            offset,
            limit,
            with_history,
        };
        // `skus=a,b,c`: only these rows (the page asks for the histories of the rows on screen).
        let page = match query(req, "skus") {
            Some(list) => {
                let wanted: std::collections::BTreeSet<&str> = list.split(',').map(str::trim).collect();
                let some: Vec<_> = d.summaries.iter().filter(|s| wanted.contains(s.sku.as_str())).cloned().collect();
                lastunit::summary::dashboard(&some, now, &q)
            }
            None => lastunit::summary::dashboard(&d.summaries, now, &q),
        };
        json(
            200,
            &json!({"generated_at": now, "horizon_days": horizon, "channel": channel, "total": page.total, "offset": page.offset, "rows": page.rows}),
        )
    }

    fn ask(&self, req: &Request) -> Result<Response> {
        let q = query(req, "q").unwrap_or_default();
        if q.trim().is_empty() {
            return engine_error(&lastunit::Error::invalid("q", "must be a question"));
        }
        if q.len() > 500 {
            return engine_error(&lastunit::Error::invalid("q", "must be at most 500 characters"));
        }
        let d = self.data.borrow();
        json(200, &lastunit::ask::answer(&q, &d.summaries, internal::now()))
    }
}

/// Asks the catalog which of `skus` it knows, with the layout.
pub async fn check(env: &Env, skus: &[String]) -> Result<CheckAnswer> {
    let (_, a) =
        call_json(&crate::internal::catalog_stub(env)?, Method::Post, "/check", Some(&json!({"skus": skus}))).await?;
    Ok(a)
}

/// Maps provider ids to (sku, location) through the catalog's `pos_refs`, and names the
/// location the provider's connection covers.
pub async fn resolve(env: &Env, provider: &str, refs: Vec<(String, String)>) -> Result<ResolveAnswer> {
    let (_, a): (u16, ResolveAnswer) = call_json(
        &crate::internal::catalog_stub(env)?,
        Method::Post,
        "/resolve",
        Some(&ResolveReq { provider: provider.into(), refs }),
    )
    .await?;
    Ok(a)
}
