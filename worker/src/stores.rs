//! The HTTP clients of the connected stores: they send the requests the engine built
//! (`lastunit::connect::StoreRequest`) with the store's credentials from the Worker's secrets,
//! and bring the answer back as bytes (`lastunit::connect::Answer`). Nothing here decides.
//!
//! - Shopify: `{SHOPIFY_ADMIN_API_BASE}{path}` with `X-Shopify-Access-Token: SHOPIFY_ADMIN_TOKEN`.
//! - WooCommerce: `{WOOCOMMERCE_API_BASE}{path}` with HTTP Basic
//!   `WOOCOMMERCE_CONSUMER_KEY:WOOCOMMERCE_CONSUMER_SECRET`.
//! - Square (reading its catalog only: its writes are `square_out.rs`): `{SQUARE_API_BASE}{path}`
//!   with `Authorization: Bearer SQUARE_ACCESS_TOKEN` and `Square-Version`.
//!
//! Every request gives up after [`STORE_TIMEOUT_MS`]; a credential never reaches a log line or
//! an answer (the engine's error sentences name the setting, never its value).

use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use lastunit::connect::square_out::SQUARE_VERSION;
use lastunit::connect::{retry_after_ms, Answer, Provider, StoreRequest};

use crate::internal::setting;
use crate::push::with_timeout;

/// How long one request to a store may take.
pub const STORE_TIMEOUT_MS: u32 = 10_000;

/// Where a provider's API lives and how it is authenticated, from the secrets.
pub struct StoreClient {
    base: String,
    auth: Vec<(&'static str, String)>,
}

impl StoreClient {
    /// The client of `provider`, or a sentence naming the missing setting.
    pub fn from_env(env: &Env, provider: Provider) -> Result<StoreClient, String> {
        let need = |name: &str| {
            let v = setting(env, name);
            if v.is_empty() {
                Err(format!("{name} is not set"))
            } else {
                Ok(v)
            }
        };
        match provider {
            Provider::Shopify => Ok(StoreClient {
                base: need("SHOPIFY_ADMIN_API_BASE")?,
                auth: vec![("x-shopify-access-token", need("SHOPIFY_ADMIN_TOKEN")?)],
            }),
            Provider::Woocommerce => {
                let key = need("WOOCOMMERCE_CONSUMER_KEY")?;
                let secret = need("WOOCOMMERCE_CONSUMER_SECRET")?;
                let auth = lastunit::connect::woocommerce::basic_auth(&key, &secret);
                Ok(StoreClient { base: need("WOOCOMMERCE_API_BASE")?, auth: vec![("authorization", auth)] })
            }
            Provider::Square => Err("lastunit writes no availability into Square".into()),
        }
    }

    /// The client that reads `provider`'s catalog (Square's too), or a sentence naming the
    /// missing setting.
    pub fn catalog_reader(env: &Env, provider: Provider) -> Result<StoreClient, String> {
        if provider != Provider::Square {
            return StoreClient::from_env(env, provider);
        }
        let (base, token) = (setting(env, "SQUARE_API_BASE"), setting(env, "SQUARE_ACCESS_TOKEN"));
        match (base.is_empty(), token.is_empty()) {
            (true, _) => Err("SQUARE_API_BASE is not set".into()),
            (_, true) => Err("SQUARE_ACCESS_TOKEN is not set".into()),
            _ => Ok(StoreClient {
                base,
                auth: vec![("authorization", format!("Bearer {token}")), ("square-version", SQUARE_VERSION.into())],
            }),
        }
    }

    /// Sends one request and brings back its answer (or why none came).
    pub async fn send(&self, request: &StoreRequest) -> Answer {
        self.send_keeping(request, None).await.0
    }

    /// Sends one request and brings back its answer, with the value of the response header
    /// `keep` (WooCommerce's `X-WP-TotalPages`) when asked for and sent.
    pub async fn send_keeping(&self, request: &StoreRequest, keep: Option<&str>) -> (Answer, Option<String>) {
        match with_timeout(self.send_once(request, keep), STORE_TIMEOUT_MS).await {
            Some(Ok(answer)) => answer,
            Some(Err(why)) => (Answer::NoAnswer(why), None),
            None => (Answer::NoAnswer(format!("no answer within {} s", STORE_TIMEOUT_MS / 1000)), None),
        }
    }

    async fn send_once(&self, request: &StoreRequest, keep: Option<&str>) -> Result<(Answer, Option<String>), String> {
        let headers = Headers::new();
        let set = |k: &str, v: &str| headers.set(k, v).map_err(|_| format!("the {k} header could not be set"));
        set("content-type", "application/json")?;
        set("accept", "application/json")?;
        set("user-agent", "lastunit-edge")?;
        for (k, v) in &self.auth {
            set(k, v)?;
        }
        let method = match request.method {
            "PUT" => Method::Put,
            "GET" => Method::Get,
            _ => Method::Post,
        };
        let mut init = RequestInit::new();
        init.with_method(method.clone()).with_headers(headers);
        if method != Method::Get {
            init.with_body(Some(request.body.clone().into()));
        }
        let url = format!("{}{}", self.base.trim_end_matches('/'), request.path);
        let req = Request::new_with_init(&url, &init).map_err(|_| "the store's API base is not a URL".to_string())?;
        let mut resp = Fetch::Request(req).send().await.map_err(|e| format!("the request failed: {e}"))?;
        let status = resp.status_code();
        let retry_after = resp.headers().get("retry-after").ok().flatten();
        let kept = keep.and_then(|k| resp.headers().get(k).ok().flatten());
        let body = resp.text().await.unwrap_or_default();
        Ok((Answer::Response { status, retry_after_ms: retry_after_ms(retry_after.as_deref()), body }, kept))
    }
}
