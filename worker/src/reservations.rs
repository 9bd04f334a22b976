//! `POST /v1/reservations`, `POST /v1/reservations/{id}/commit`, `DELETE /v1/reservations/{id}`.
//!
//! Who may hold what, and for how long:
//! - the checkout token: holds of 1 to 3,600 s;
//! - the public storefront key: holds of at most `STOREFRONT_MAX_TTL_SECONDS` (default 900; a
//!   longer ask is granted that long, and the answer's `expires_at` says so), at most
//!   `STOREFRONT_RESERVATIONS_PER_MINUTE` reservations a minute per client address (default 30;
//!   beyond it `429 rate_limited` with `Retry-After`), and every hold carries the client's tag, so
//!   the SKU's `max_per_cart` also caps what all of one client's carts hold at once.
//!
//! The client address is `CF-Connecting-IP`, which Cloudflare sets on every request and a caller
//! cannot choose. A request without it (only possible off Cloudflare, e.g. under `wrangler dev`
//! when no header is sent) counts as one shared unknown client.
//!
//! With an `Idempotency-Key` the request goes through the `CartObject` named by the cart and the
//! key, which keeps the first answer and the request's fingerprint (see `ids.rs`, `cart.rs`).

use serde::Deserialize;
use serde_json::json;
use worker::{Env, Method, Request, Response, Result};

use crate::auth::{require, Role};
use lastunit::reservation::MAX_TTL_SECONDS;
use lastunit::ReservationRequest;

use crate::cart::Intent;
use crate::http::{self, engine_error};
use crate::ids::{self, Home};
use crate::internal::{self, body, call, call_json, cart_stub, client_stub, setting, sku_stub};

/// Longest `Idempotency-Key`.
const MAX_KEY: usize = 255;
/// Storefront reservations a client address may create per minute, unless set.
const DEFAULT_PER_MINUTE: u32 = 30;
/// Longest storefront hold in seconds, unless set.
const DEFAULT_STOREFRONT_TTL: i64 = 900;
/// The client of storefront requests that carry no `CF-Connecting-IP`.
const UNKNOWN_ADDRESS: &str = "unknown";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CommitBody {
    #[serde(default)]
    order_id: Option<String>,
}

/// A whole-number setting in `1..=max`, else `default` (an unreadable value is logged, not fatal).
fn bounded_setting(env: &Env, name: &str, default: i64, max: i64) -> i64 {
    let text = setting(env, name);
    if text.trim().is_empty() {
        return default;
    }
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => n,
        _ => {
            worker::console_error!("{name}={text:?} is not a whole number from 1 to {max}; using {default}");
            default
        }
    }
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
    let storefront = role == Role::Storefront;
    let ttl_cap = if storefront {
        bounded_setting(&env, "STOREFRONT_MAX_TTL_SECONDS", DEFAULT_STOREFRONT_TTL, MAX_TTL_SECONDS)
    } else {
        MAX_TTL_SECONDS
    };
    let ttl = match b.granted_ttl(ttl_cap) {
        Ok(t) => t,
        Err(e) => return engine_error(&e),
    };
    let lines = match b.checked_lines() {
        Ok(l) => l,
        Err(e) => return engine_error(&e),
    };
    let key = match key.as_deref().map(str::trim) {
        Some(k) if !k.is_empty() && k.len() <= MAX_KEY => Some(k.to_string()),
        Some(_) => {
            return engine_error(&lastunit::Error::invalid(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY} characters"),
            ))
        }
        None => None,
    };
    let secret = if storefront || key.is_some() { Some(ids::secret(&env).await?) } else { None };
    let client = match (&secret, storefront) {
        (Some(s), true) => {
            let address = address.as_deref().map(str::trim).filter(|a| !a.is_empty()).unwrap_or(UNKNOWN_ADDRESS);
            Some(ids::client_tag(s, address))
        }
        _ => None,
    };
    if let Some(c) = &client {
        let per_minute =
            bounded_setting(&env, "STOREFRONT_RESERVATIONS_PER_MINUTE", DEFAULT_PER_MINUTE.into(), 1_000_000);
        if let Some(limited) = rate_limited(&env, c, per_minute as u32).await? {
            return Ok(limited);
        }
    }
    let now = internal::now();
    let expires_at = now.plus(ttl * 1000);
    let single = (lines.len() == 1).then(|| lines[0].sku.clone());
    let Some(key) = key else {
        // No key: a fresh random id; one SKU is held straight in its object.
        let random = ids::random_hex(16);
        let id = ids::reservation_id(&random, single.as_deref());
        if let Some(sku) = &single {
            let body = json!({
                "id": id, "cart_id": b.cart_id, "client": client, "channel": b.channel,
                "quantity": lines[0].quantity, "expires_at": expires_at, "now": now,
            });
            return call(&sku_stub(&env, sku)?, Method::Post, "/reserve", Some(&body)).await;
        }
        let intent = Intent {
            id: id.clone(),
            cart_id: b.cart_id,
            client,
            channel: b.channel,
            lines,
            expires_at,
            fingerprint: None,
        };
        return call(&cart_stub(&env, &id)?, Method::Post, "/reserve", Some(&intent)).await;
    };
    // A key: the coordinator of this cart and key keeps the first answer, whatever the body.
    let random = ids::idempotent_hex(secret.as_deref().expect("read for a key"), &b.cart_id, &key);
    let fingerprint = Some(b.fingerprint());
    let id = ids::reservation_id(&random, single.as_deref());
    let intent = Intent { id, cart_id: b.cart_id, client, channel: b.channel, lines, expires_at, fingerprint };
    call(&cart_stub(&env, &random)?, Method::Post, "/reserve", Some(&intent)).await
}

/// `Some(429 rate_limited)` when `client` already created its `per_minute` reservations.
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
            let wait = answer.retry_after_seconds.max(1);
            let resp = http::error(
                429,
                "rate_limited",
                format!(
                    "at most {per_minute} reservations a minute from one address with the storefront key; try again in {wait} s"
                ),
            )?;
            let mut resp = http::mutable(resp);
            resp.headers_mut().set("retry-after", &wait.to_string())?;
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
    let b: CommitBody = if has_body {
        match body(&mut req).await {
            Ok(b) => b,
            Err(e) => return http::bad_json(e),
        }
    } else {
        CommitBody::default()
    };
    // Without an order id the reservation id stands for it.
    let order_id = b.order_id.unwrap_or_else(|| id.to_string());
    match ids::home(id) {
        None => http::error(404, "unknown_reservation", "no such reservation"),
        Some(Home::Sku(sku)) => {
            call(&sku_stub(&env, &sku)?, Method::Post, "/commit", Some(&json!({"id": id, "order_id": order_id}))).await
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
        Some(Home::Sku(sku)) => call(&sku_stub(&env, &sku)?, Method::Post, "/release", Some(&json!({"id": id}))).await,
        Some(Home::Cart) => call(&cart_stub(&env, id)?, Method::Post, "/release", Some(&json!({"id": id}))).await,
    }
}
