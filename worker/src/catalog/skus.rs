//! The catalog's SKUs: each one's policy (checked, its `pos_refs` claimed, its object
//! configured), which SKUs it knows, and the PoS ids it maps to SKUs and locations.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Env, Method, Request, Response, Result};

use lastunit::catalog::PosIndex;
use lastunit::{SkuConfig, Topology};

use super::{storage_err, CatalogObject};
use crate::http::{self, json};
use crate::internal::{body, call, call_json, sku_stub};

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

impl CatalogObject {
    pub(super) async fn put_sku(&self, sku: &str, req: &mut Request) -> Result<Response> {
        let config: SkuConfig = match body(req).await {
            Ok(c) => c,
            Err(e) => return http::bad_json(e),
        };
        let (status, text) = self.set_sku(sku, config).await?;
        http::json_text(status, text)
    }

    /// Checks, claims the ids of, configures and keeps one SKU's policy (`PUT /skus/{sku}`, the
    /// store import): the answer's status and body.
    pub(super) async fn set_sku(&self, sku: &str, config: SkuConfig) -> Result<(u16, String)> {
        let refused = |e: lastunit::Error| Ok((e.http_status(), e.body().to_string()));
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
    pub(super) async fn configure_sku(&self, sku: &str, config: &SkuConfig) -> Result<(u16, String)> {
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

    pub(super) async fn check(&self, req: &mut Request) -> Result<Response> {
        let skus: Vec<String> = match body::<Value>(req).await {
            Ok(v) => serde_json::from_value(v.get("skus").cloned().unwrap_or(json!([]))).unwrap_or_default(),
            Err(e) => return http::bad_json(e),
        };
        let d = self.data.borrow();
        let unknown = skus.into_iter().filter(|s| !d.skus.contains_key(s)).collect();
        json(200, &CheckAnswer { unknown, topology: d.topology.clone() })
    }

    pub(super) async fn resolve(&self, req: &mut Request) -> Result<Response> {
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
}

/// A SKU path's refusal (its answer's body text) as an import lists it: the body, with the SKU.
pub(super) fn refusal_naming(sku: &str, text: &str) -> Value {
    let mut why: Value = serde_json::from_str(text).unwrap_or_else(|_| json!({}));
    why["sku"] = json!(sku);
    why
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
