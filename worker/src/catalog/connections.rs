//! The catalog's share of connected stores: each provider's connection (`kv` rows
//! `connection:{provider}`), checked against the layout and the location's `pos_refs`.
//! Credentials are never here: they are secrets of the Worker.

use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Request, Response, Result};

use lastunit::connect::{Connection, Provider};

use super::{CatalogObject, KvRow};
use crate::http::{self, engine_error, json};
use crate::internal::body;

/// A connection as the catalog lists it (`GET /connections`), and as it tells the other objects.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConnectionEntry {
    pub provider: Provider,
    #[serde(flatten)]
    pub connection: Connection,
    /// The store's id of the connection's location (`pos_refs[provider]` of it), when it has one.
    pub location_ref: Option<String>,
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
        let entry = self.connection_entries().into_iter().find(|e| e.provider == provider);
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
            })
            .collect()
    }

    pub(super) fn list_connections(&self) -> Result<Response> {
        json(200, &json!({"connections": self.connection_entries()}))
    }
}
