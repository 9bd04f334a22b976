//! `POST /v1/reservations`, `POST /v1/reservations/{id}/commit`, `DELETE /v1/reservations/{id}`.
//!
//! Who may hold what, and for how long (the checkout token; the public storefront key with its
//! capped holds, its per-address rate limit and its client tag) is the engine's
//! (`lastunit::admission`). This file reads the headers (`CF-Connecting-IP`, which Cloudflare
//! sets on every request and a caller cannot choose), the settings and the body, and sends what
//! was admitted to its object.
//!
//! With an `Idempotency-Key` the request goes through the `CartObject` named by the cart and the
//! key, which keeps the first answer and the request's fingerprint (see `ids.rs`, `cart.rs`).

use serde::Deserialize;
use serde_json::json;
use worker::{Env, Method, Request, Response, Result};

use lastunit::admission::{
    self, Caller, CommitRequest, Setting, STOREFRONT_MAX_TTL_SECONDS, STOREFRONT_RESERVATIONS_PER_MINUTE,
};
use lastunit::cart::Plan;
use lastunit::ReservationRequest;

use crate::auth::{require, Role};
use crate::cart::{HoldAt, Intent};
use crate::http::{self, engine_error};
use crate::ids::{self, Home};
use crate::internal::{self, body, call, call_json, cart_stub, client_stub, setting, sku_stub};

/// The operator's value of `s` (an unreadable one is logged, and its default stands).
fn read_setting(env: &Env, s: Setting) -> i64 {
    s.read_or_default(&setting(env, s.name), |why| worker::console_error!("{why}"))
}

pub async fn create(mut req: Request, env: Env) -> Result<Response> {
    let role = match require(&req, &env, &[Role::Storefront, Role::Checkout])? {
        Ok(role) => role,
        Err(resp) => return Ok(resp),
    };
    let key = req.headers().get("idempotency-key")?;
    let address = req.headers().get("cf-connecting-ip")?;
    let b: ReservationRequest = match body(&mut req).await {
        Ok(b) => b,
        Err(e) => return http::bad_json(e),
    };
    let caller = match role {
        Role::Storefront => {
            Caller::Storefront { address, max_ttl_seconds: read_setting(&env, STOREFRONT_MAX_TTL_SECONDS) }
        }
        Role::Checkout | Role::Admin => Caller::Checkout,
    };
    let admitted = match admission::admit(&b, &caller, key.as_deref()) {
        Ok(a) => a,
        Err(e) => return engine_error(&e),
    };
    let secret = if admitted.needs_secret() { Some(ids::secret(&env).await?) } else { None };
    let client = match (&secret, &admitted.client_address) {
        (Some(s), Some(address)) => Some(ids::client_tag(s, address)),
        _ => None,
    };
    if let Some(c) = &client {
        let per_minute = read_setting(&env, STOREFRONT_RESERVATIONS_PER_MINUTE) as u32;
        if let Some(limited) = rate_limited(&env, c, per_minute).await? {
            return Ok(limited);
        }
    }
    let now = internal::now();
    let expires_at = admitted.expires_at(now);
    let single = admitted.single_sku().map(str::to_string);
    let lines = admitted.lines;
    let Some(key) = admitted.key else {
        // No key: a fresh random id; one SKU is held straight in its object.
        let random = ids::random_hex(16);
        let id = ids::reservation_id(&random, single.as_deref());
        let intent = Intent {
            id: id.clone(),
            cart_id: b.cart_id,
            client,
            channel: b.channel,
            lines,
            expires_at,
            fingerprint: None,
        };
        if let Plan::One { sku, hold } = intent.plan() {
            return call(&*sku_stub(&env, &sku)?, Method::Post, "/reserve", Some(&HoldAt { hold: &hold, now })).await;
        }
        return call(&cart_stub(&env, &id)?, Method::Post, "/reserve", Some(&intent)).await;
    };
    // A key: the coordinator of this cart and key keeps the first answer, whatever the body.
    let random = ids::idempotent_hex(secret.as_deref().expect("read for a key"), &b.cart_id, &key);
    let fingerprint = Some(b.fingerprint());
    let id = ids::reservation_id(&random, single.as_deref());
    let intent = Intent { id, cart_id: b.cart_id, client, channel: b.channel, lines, expires_at, fingerprint };
    call(&cart_stub(&env, &random)?, Method::Post, "/reserve", Some(&intent)).await
}

/// `Some(429 rate_limited)` with `Retry-After` when `client` already created its `per_minute`
/// reservations (its `ClientObject` counts them).
async fn rate_limited(env: &Env, client: &str, per_minute: u32) -> Result<Option<Response>> {
    #[derive(Deserialize)]
    struct Refused {
        #[serde(default)]
        retry_after_seconds: i64,
    }
    let (status, answer): (u16, Refused) =
        call_json(&client_stub(env, client)?, Method::Post, "/admit", Some(&json!({"per_minute": per_minute}))).await?;
    match status {
        200 => Ok(None),
        429 => {
            let refusal = admission::rate_limited(per_minute, answer.retry_after_seconds);
            let mut resp = http::mutable(engine_error(&refusal)?);
            if let Some(wait) = refusal.retry_after_seconds() {
                resp.headers_mut().set("retry-after", &wait.to_string())?;
            }
            Ok(Some(resp))
        }
        other => Err(worker::Error::RustError(format!("the rate limit answered {other}"))),
    }
}

pub async fn commit(mut req: Request, env: Env, id: &str) -> Result<Response> {
    if let Err(resp) = require(&req, &env, &[Role::Checkout])? {
        return Ok(resp);
    }
    // The body is optional; when given it is `{"order_id": ...}`.
    let has_body = req.headers().get("content-length")?.is_some_and(|l| l.trim() != "0")
        || req.headers().get("transfer-encoding")?.is_some();
    let b: CommitRequest = if has_body {
        match body(&mut req).await {
            Ok(b) => b,
            Err(e) => return http::bad_json(e),
        }
    } else {
        CommitRequest::default()
    };
    let order_id = b.order_id_for(id);
    match ids::home(id) {
        None => http::error(404, "unknown_reservation", "no such reservation"),
        Some(Home::Sku(sku)) => {
            call(&*sku_stub(&env, &sku)?, Method::Post, "/commit", Some(&json!({"id": id, "order_id": order_id}))).await
        }
        Some(Home::Cart) => {
            call(&cart_stub(&env, id)?, Method::Post, "/commit", Some(&json!({"id": id, "order_id": order_id}))).await
        }
    }
}

pub async fn release(req: Request, env: Env, id: &str) -> Result<Response> {
    if let Err(resp) = require(&req, &env, &[Role::Storefront, Role::Checkout])? {
        return Ok(resp);
    }
    match ids::home(id) {
        None => http::error(404, "unknown_reservation", "no such reservation"),
        Some(Home::Sku(sku)) => call(&*sku_stub(&env, &sku)?, Method::Post, "/release", Some(&json!({"id": id}))).await,
        Some(Home::Cart) => call(&cart_stub(&env, id)?, Method::Post, "/release", Some(&json!({"id": id}))).await,
    }
}
