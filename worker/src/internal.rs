//! Calls between the Worker and its Durable Objects, and the settings and clock they share.

use serde::{de::DeserializeOwned, Serialize};
use worker::{Date, Env, Headers, Method, Request, RequestInit, Response, Result, Stub};

use lastunit::Timestamp;

use crate::availability_cache;

/// `now` for the engine: the Worker's clock.
pub fn now() -> Timestamp {
    Timestamp(Date::now().as_millis() as i64)
}

/// A setting from the environment (`.dev.vars`, `wrangler secret`), empty when unset.
pub fn setting(env: &Env, name: &str) -> String {
    if let Ok(v) = env.var(name) {
        return v.to_string();
    }
    env.secret(name).map(|s| s.to_string()).unwrap_or_default()
}

/// The Durable Object of one SKU, for a call that may change it. This isolate's cached
/// availability of the SKU is dropped when the stub is taken and again when it is dropped
/// (after the call's answer), so a read that follows the write never answers from before it.
pub fn sku_stub(env: &Env, sku: &str) -> Result<SkuStub> {
    availability_cache::forget(sku);
    Ok(SkuStub { stub: sku_reader(env, sku)?, sku: sku.to_string() })
}

/// The Durable Object of one SKU, for a read that changes nothing (the availability cache's).
pub fn sku_reader(env: &Env, sku: &str) -> Result<Stub> {
    env.durable_object("SKU")?.get_by_name(sku)
}

/// A SKU object's stub taken for a call that may change the SKU (see [`sku_stub`]).
pub struct SkuStub {
    stub: Stub,
    sku: String,
}

impl std::ops::Deref for SkuStub {
    type Target = Stub;
    fn deref(&self) -> &Stub {
        &self.stub
    }
}

impl Drop for SkuStub {
    fn drop(&mut self) {
        availability_cache::forget(&self.sku);
    }
}

/// The catalog (one instance).
pub fn catalog_stub(env: &Env) -> Result<Stub> {
    env.durable_object("CATALOG")?.id_from_name("catalog")?.get_stub()
}

/// The writer of one connected store (named by its provider).
pub fn connection_stub(env: &Env, provider: lastunit::connect::Provider) -> Result<Stub> {
    env.durable_object("CONNECTION")?.id_from_name(provider.as_str())?.get_stub()
}

/// The coordinator of one multi-line reservation.
pub fn cart_stub(env: &Env, id: &str) -> Result<Stub> {
    env.durable_object("CART")?.id_from_name(id)?.get_stub()
}

/// The rate limit of one storefront client (named by its tag, never its address).
pub fn client_stub(env: &Env, client: &str) -> Result<Stub> {
    env.durable_object("CLIENT")?.id_from_name(client)?.get_stub()
}

/// Sends `body` (JSON) to `path` of a Durable Object.
pub async fn call<B: Serialize + ?Sized>(
    stub: &Stub,
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<Response> {
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(b) = body {
        let text = serde_json::to_string(b).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        init.with_headers(headers);
        init.with_body(Some(text.into()));
    }
    let req = Request::new_with_init(&format!("https://do.internal{path}"), &init)?;
    stub.fetch_with_request(req).await
}

/// Like [`call`], reading the answer as `(status, T)`.
pub async fn call_json<B: Serialize + ?Sized, T: DeserializeOwned>(
    stub: &Stub,
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<(u16, T)> {
    let mut resp = call(stub, method, path, body).await?;
    let status = resp.status_code();
    let text = resp.text().await?;
    let value = serde_json::from_str(&text)
        .map_err(|e| worker::Error::RustError(format!("internal answer from {path}: {e}: {text}")))?;
    Ok((status, value))
}

/// The largest body any route reads: 256 KiB.
pub const MAX_BODY: usize = 256 * 1024;

/// Why a request body was not read.
#[derive(Debug)]
pub enum BodyError {
    /// Above [`MAX_BODY`]: 413.
    TooLarge,
    /// Not the JSON object the route takes: 400.
    Bad(String),
}

impl core::fmt::Display for BodyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BodyError::TooLarge => write!(f, "the body is larger than {} KiB", MAX_BODY / 1024),
            BodyError::Bad(why) => f.write_str(why),
        }
    }
}

impl From<serde_json::Error> for BodyError {
    fn from(e: serde_json::Error) -> Self {
        BodyError::Bad(e.to_string())
    }
}

/// Reads a JSON object body (at most [`MAX_BODY`]) as `T`.
pub async fn body<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, BodyError> {
    let bytes = req.bytes().await.map_err(|e| BodyError::Bad(e.to_string()))?;
    parse_body(&bytes)
}

/// A body already read, as `T`: at most [`MAX_BODY`], and a JSON object.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> std::result::Result<T, BodyError> {
    if bytes.len() > MAX_BODY {
        return Err(BodyError::TooLarge);
    }
    // Read once, straight into `T` (no `serde_json::Value` in between): a JSON object is the
    // one whose first byte past any whitespace opens it.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(BodyError::Bad("the body must be a JSON object".into()));
    }
    Ok(serde_json::from_slice(bytes)?)
}

/// A query parameter.
pub fn query(req: &Request, name: &str) -> Option<String> {
    let url = req.url().ok()?;
    let v = url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    v
}
