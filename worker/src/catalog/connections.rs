//! The catalog's share of connected stores: each provider's connection (`kv` rows
//! `connection:{provider}`), checked against the layout and the location's `pos_refs`; telling
//! each connection's writer (`ConnectionObject`) its target; the routes the SKU objects learn
//! from ([`CatalogObject::connection_routes`]); and resyncs. Credentials are never here: they
//! are secrets of the Worker.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Method, Request, Response, Result};

use lastunit::connect::report::Route;
use lastunit::connect::{Connection, Provider};

use super::{CatalogObject, KvRow};
use crate::http::{self, engine_error, json};
use crate::internal::{body, call_json, connection_stub};

/// SKUs per report a resync sends to the writer.
const RESYNC_CHUNK: usize = 500;

/// A connection as the catalog lists it (`GET /connections`), and as it tells the other objects.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConnectionEntry {
    pub provider: Provider,
    #[serde(flatten)]
    pub connection: Connection,
    /// The store's id of the connection's location (`pos_refs[provider]` of it), when it has one.
    pub location_ref: Option<String>,
    /// The store's order lines no SKU matched lately, newest first (counted `ignored`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_lines: Vec<lastunit::connect::orders::UnknownLine>,
    /// Square: the status summed from every SKU's outbox (each SKU object writes its own
    /// adjustments; their summaries carry how it goes). Shown as the connection's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_outboxes: Option<lastunit::connect::ConnectionStatus>,
}

impl CatalogObject {
    /// Reads the stored connections (at start).
    pub(super) fn load_connections(rows: &[KvRow]) -> Vec<(Provider, Connection)> {
        rows.iter()
            .filter_map(|r| {
                let p = Provider::parse(r.key.strip_prefix("connection:")?).ok()?;
                Some((p, serde_json::from_str(&r.json).ok()?))
            })
            .collect()
    }

    pub(super) async fn put_connection(&self, provider: &str, req: &mut Request) -> Result<Response> {
        let provider = match Provider::parse(provider) {
            Ok(p) => p,
            Err(e) => return engine_error(&e),
        };
        let connection: Connection = match body(req).await {
            Ok(c) => c,
            Err(e) => return http::bad_json(e),
        };
        let checked = {
            let d = self.data.borrow();
            connection.validate(provider, &d.topology, d.locations.get(&connection.location).map(|l| &l.pos_refs))
        };
        if let Err(e) = checked {
            return engine_error(&e);
        }
        self.put_kv(&format!("connection:{provider}"), &connection)?;
        self.data.borrow_mut().connections.insert(provider, connection);
        if self.refresh_square_locations()? {
            self.fan_out_topology().await?;
        }
        let entry = self.connection_entries().into_iter().find(|e| e.provider == provider);
        if let Some(e) = &entry {
            self.configure_writer(e).await?;
            // Every mapped SKU is written once, so the store starts from lastunit's numbers.
            self.resync_writer(provider).await?;
        }
        json(200, &entry)
    }

    /// Every connection, with its location's store id.
    pub(super) fn connection_entries(&self) -> Vec<ConnectionEntry> {
        let d = self.data.borrow();
        d.connections
            .iter()
            .map(|(p, c)| ConnectionEntry {
                provider: *p,
                connection: c.clone(),
                location_ref: d.locations.get(&c.location).and_then(|l| l.pos_refs.get(p.as_str()).cloned()),
                unknown_lines: d.unknown_lines.get(p).cloned().unwrap_or_default(),
                sku_outboxes: None,
            })
            .collect()
    }

    pub(super) fn list_connections(&self) -> Result<Response> {
        let mut entries = self.connection_entries();
        for e in entries.iter_mut().filter(|e| e.provider == Provider::Square) {
            let d = self.data.borrow();
            let outboxes = d.summaries.iter().filter_map(|s| s.square.as_ref());
            e.sku_outboxes = Some(lastunit::connect::square_out::connection_status(outboxes));
        }
        json(200, &json!({"connections": entries}))
    }

    /// The connections whose writer the SKU objects report to: Shopify and WooCommerce, writing.
    pub(super) fn connection_routes(&self) -> Vec<Route> {
        let d = self.data.borrow();
        d.connections
            .iter()
            .filter(|(p, c)| c.write && **p != Provider::Square)
            .map(|(p, c)| Route { provider: *p, channel: c.channel().to_string() })
            .collect()
    }

    /// The location the connection of `provider` covers: its store's counts there are copies
    /// of lastunit's number, never a count of the shelf.
    pub(super) fn connected_location(&self, provider: &str) -> Option<String> {
        // Square is the register: its counts are the shelf's, connected or not (lastunit only
        // tells it of the sales it did not make).
        let p = Provider::parse(provider).ok().filter(|p| *p != Provider::Square)?;
        self.data.borrow().connections.get(&p).map(|c| c.location.clone())
    }

    /// Tells the writer of `entry` its target (after a PUT of the connection or its location).
    async fn configure_writer(&self, entry: &ConnectionEntry) -> Result<()> {
        if entry.provider == Provider::Square {
            return Ok(());
        }
        let body =
            json!({"provider": entry.provider, "write": entry.connection.write, "location_ref": entry.location_ref});
        let (status, v): (u16, Value) =
            call_json(&connection_stub(&self.env, entry.provider)?, Method::Post, "/configure", Some(&body)).await?;
        if status != 200 {
            return Err(worker::Error::RustError(format!("the {} writer answered {status}: {v}", entry.provider)));
        }
        Ok(())
    }

    /// After a PUT of `location`: the writers of connections at it learn its new store id.
    pub(super) async fn location_changed(&self, location: &str) -> Result<()> {
        for entry in self.connection_entries().into_iter().filter(|e| e.connection.location == location) {
            self.configure_writer(&entry).await?;
        }
        Ok(())
    }

    /// `POST /connections/{provider}/resync`: every SKU mapped to the store, as its last
    /// summary has it, written again (batched by the writer, within the store's limits).
    pub(super) async fn resync(&self, provider: &str) -> Result<Response> {
        let provider = match Provider::parse(provider) {
            Ok(p) => p,
            Err(e) => return engine_error(&e),
        };
        if !self.data.borrow().connections.contains_key(&provider) {
            return http::error(
                404,
                "unknown_connection",
                format!("no {provider} connection: PUT /admin/connections/{provider} first"),
            );
        }
        if provider == Provider::Square {
            return engine_error(&lastunit::Error::invalid("provider", "lastunit writes no availability into Square"));
        }
        let skus = self.resync_writer(provider).await?;
        json(200, &json!({"provider": provider, "skus": skus}))
    }

    /// Reports every mapped SKU to the writer of `provider`, forced; answers how many.
    async fn resync_writer(&self, provider: Provider) -> Result<usize> {
        let items: Vec<Value> = {
            let d = self.data.borrow();
            let Some(channel) = d.connections.get(&provider).map(|c| c.channel().to_string()) else { return Ok(0) };
            d.skus
                .iter()
                .filter_map(|(sku, config)| {
                    let item_ref = config.pos_refs.get(provider.as_str())?;
                    let summary = d.summary_index.get(sku).map(|i| &d.summaries[*i])?;
                    let available = summary.available.get(&channel).copied().unwrap_or(0);
                    Some(json!({"sku": sku, "item_ref": item_ref, "available": available, "version": summary.version}))
                })
                .collect()
        };
        if provider == Provider::Square || !self.data.borrow().connections.get(&provider).is_some_and(|c| c.write) {
            return Ok(0);
        }
        let stub = connection_stub(&self.env, provider)?;
        for chunk in items.chunks(RESYNC_CHUNK) {
            let (status, v): (u16, Value) =
                call_json(&stub, Method::Post, "/want", Some(&json!({"items": chunk, "force": true}))).await?;
            if status != 200 {
                return Err(worker::Error::RustError(format!("the {provider} writer answered {status}: {v}")));
            }
        }
        Ok(items.len())
    }
}
