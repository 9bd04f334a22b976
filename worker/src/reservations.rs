//! `POST /v1/reservations`, `POST /v1/reservations/{id}/commit`, `DELETE /v1/reservations/{id}`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;
use worker::{Env, Method, Request, Response, Result};

use crate::auth::{require, Role};
use lastunit::{ReservationLine, ReservationRequest};

use crate::cart::Intent;
use crate::http::{self, engine_error};
use crate::ids::{self, Home};
use crate::internal::{self, body, call, cart_stub, setting, sku_stub};

/// Most lines one reservation may carry.
const MAX_LINES: usize = 100;
/// Longest `Idempotency-Key`.
const MAX_KEY: usize = 255;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CommitBody {
    #[serde(default)]
    order_id: Option<String>,
}

pub async fn create(mut req: Request, env: Env) -> Result<Response> {
    if let Err(resp) = require(&req, &env, &[Role::Storefront, Role::Checkout])? {
        return Ok(resp);
    }
    let key = req.headers().get("idempotency-key")?;
    let b: ReservationRequest = match body(&mut req).await {
        Ok(b) => b,
        Err(e) => return http::bad_json(e),
    };
    if !(1..=3600).contains(&b.ttl_seconds) {
        return engine_error(&lastunit::Error::invalid(
            "ttl_seconds",
            "must be a whole number of seconds from 1 to 3600",
        ));
    }
    if b.lines.is_empty() || b.lines.len() > MAX_LINES {
        return engine_error(&lastunit::Error::invalid("lines", format!("must hold 1 to {MAX_LINES} lines")));
    }
    // One line per SKU: a SKU named twice is one line of the summed quantity.
    let mut merged: BTreeMap<String, i64> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for l in &b.lines {
        if let Err(e) = lastunit::names::check_sku(&l.sku) {
            return engine_error(&e);
        }
        if !merged.contains_key(&l.sku) {
            order.push(l.sku.clone());
        }
        *merged.entry(l.sku.clone()).or_default() = merged.get(&l.sku).copied().unwrap_or(0).saturating_add(l.quantity);
    }
    let lines: Vec<ReservationLine> =
        order.iter().map(|s| ReservationLine { sku: s.clone(), quantity: merged[s] }).collect();
    let random = match key.as_deref().map(str::trim) {
        Some(k) if !k.is_empty() && k.len() <= MAX_KEY => {
            // Keyed by the server's two secrets: nobody holding only the public storefront key
            // can derive a reservation id from an idempotency key.
            let secret = format!("{}\0{}", setting(&env, "ADMIN_TOKEN"), setting(&env, "CHECKOUT_TOKEN"));
            ids::idempotent_hex(&secret, k)
        }
        Some(_) => {
            return engine_error(&lastunit::Error::invalid(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY} characters"),
            ))
        }
        None => ids::random_hex(),
    };
    let now = internal::now();
    let expires_at = now.plus(b.ttl_seconds * 1000);
    if lines.len() == 1 {
        let line = &lines[0];
        let id = ids::reservation_id(&random, Some(&line.sku));
        let stub = sku_stub(&env, &line.sku)?;
        let body = json!({
            "id": id, "cart_id": b.cart_id, "channel": b.channel, "quantity": line.quantity,
            "expires_at": expires_at, "now": now, "reply": true,
        });
        return call(&stub, Method::Post, "/reserve", Some(&body)).await;
    }
    let id = ids::reservation_id(&random, None);
    let intent = Intent { id: id.clone(), cart_id: b.cart_id, channel: b.channel, lines, expires_at };
    call(&cart_stub(&env, &id)?, Method::Post, "/reserve", Some(&intent)).await
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
            call(&cart_stub(&env, id)?, Method::Post, "/commit", Some(&json!({"order_id": order_id}))).await
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
        Some(Home::Cart) => call(&cart_stub(&env, id)?, Method::Post, "/release", Some(&json!({}))).await,
    }
}
