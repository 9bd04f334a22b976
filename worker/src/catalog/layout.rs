//! The catalog's locations and channels, and the fan-out that tells every SKU object of a new
//! layout (the first SKUs at once, the rest from the catalog's alarm).

use futures_util::future::join_all;
use serde_json::{json, Value};
use worker::{Method, Request, Response, Result};

use lastunit::catalog::{ChannelConfig, LocationConfig};

use super::CatalogObject;
use crate::http::{self, engine_error, json};
use crate::internal::{body, call, sku_stub};

/// SKU objects told about a topology change at once.
pub(super) const FANOUT: usize = 25;
/// SKU objects told per request or alarm run (the rest continue from the catalog's alarm, so
/// no single invocation makes too many subrequests).
const FANOUT_PER_RUN: usize = 200;

impl CatalogObject {
    /// Tells every SKU object the new layout: the first SKUs now, the rest from the alarm.
    /// (SKU objects also pick the layout up from the answer to their summary push.)
    pub(super) async fn fan_out_topology(&self) -> Result<()> {
        self.put_kv("fanout", &json!({"after": ""}))?;
        self.continue_fan_out().await
    }

    pub(super) async fn continue_fan_out(&self) -> Result<()> {
        let Some(cursor) = self.get_kv::<Value>("fanout")? else {
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

    pub(super) async fn put_location(&self, name: &str, req: &mut Request) -> Result<Response> {
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

    pub(super) fn list_locations(&self) -> Result<Response> {
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

    pub(super) async fn put_channel(&self, name: &str, req: &mut Request) -> Result<Response> {
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
}
