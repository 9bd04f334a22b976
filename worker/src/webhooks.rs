//! `POST /webhooks/{shopify,square,lightspeed,clover,lastunit,woocommerce}`: verify and read with
//! the engine's `pos` module, map provider ids through the catalog, apply as `count` (or generic)
//! events. The connected stores' orders (Shopify's order topics, WooCommerce) go to the catalog,
//! which makes them sales and returns on the connection's channel, then to the SKU objects.

use serde_json::json;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit, Response, Result};

use lastunit::connect::orders::OrderNotice;
use lastunit::pos::{self, PosCount, PosError};
use lastunit::{StockEvent, Timestamp};

use crate::admin::apply_events;
use crate::http::{self, engine_error, json};
use crate::internal::{self, call_json, catalog_stub, setting};

fn pos_error(e: &PosError) -> Result<Response> {
    match e {
        PosError::Refused(e) => engine_error(e),
        _ => json(e.http_status(), &json!({"error": e.code(), "message": e.to_string()})),
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub async fn handle(provider: &str, mut req: Request, env: Env) -> Result<Response> {
    // Refuse a declared oversize body before reading it.
    let declared = header(&req, "content-length").and_then(|l| l.trim().parse::<usize>().ok());
    if declared.is_some_and(|l| l > pos::MAX_BODY) {
        return pos_error(&PosError::TooLarge);
    }
    let raw = req.bytes().await?;
    let now = internal::now();
    let h = |name: &str| header(&req, name);
    let (counts, ignored): (Vec<PosCount>, u32) = match provider {
        "shopify" if h("x-shopify-topic").is_some_and(|t| pos::shopify_orders::is_order_topic(&t)) => {
            return match pos::shopify_orders::read(
                &raw,
                h("x-shopify-hmac-sha256").as_deref(),
                h("x-shopify-topic").as_deref(),
                &setting(&env, "SHOPIFY_WEBHOOK_SECRET"),
            ) {
                Ok(Some(notice)) => apply_order(&env, notice, now).await,
                Ok(None) => nothing(1),
                Err(e) => pos_error(&e),
            };
        }
        "woocommerce" => {
            return match pos::woocommerce::read(
                &raw,
                h("x-wc-webhook-signature").as_deref(),
                h("x-wc-webhook-topic").as_deref(),
                &setting(&env, "WOOCOMMERCE_WEBHOOK_SECRET"),
                now,
            ) {
                Ok(pos::woocommerce::WooDelivery::Ping { .. }) => nothing(0),
                Ok(pos::woocommerce::WooDelivery::Order { notice, refunds }) => {
                    // What the refunds gave back is read from the store by the connection's
                    // alarm (retried until it answers); what moves now is applied now.
                    if let Some(read) = refunds {
                        crate::connections::read_refunds(&env, &read).await?;
                    }
                    apply_order(&env, notice, now).await
                }
                Ok(pos::woocommerce::WooDelivery::Product { item_ref, quantity }) => {
                    // The store's level is its copy of lastunit's number, never a shelf count:
                    // the connection's writer judges it (an echo, or the store's own change).
                    if let Some(q) = quantity {
                        crate::connections::observe(&env, provider, &item_ref, q).await?;
                    }
                    nothing(1)
                }
                Ok(pos::woocommerce::WooDelivery::Other) => nothing(1),
                Err(e) => pos_error(&e),
            };
        }
        "shopify" => match pos::shopify::read(
            &raw,
            h("x-shopify-hmac-sha256").as_deref(),
            h("x-shopify-event-id").as_deref(),
            h("x-shopify-webhook-id").as_deref(),
            h("x-shopify-topic").as_deref(),
            &setting(&env, "SHOPIFY_WEBHOOK_SECRET"),
        ) {
            Ok(c) if c.is_empty() => (c, 1),
            Ok(c) => (c, 0),
            Err(e) => return pos_error(&e),
        },
        "square" => match pos::square::read(
            &raw,
            h("x-square-hmacsha256-signature").as_deref(),
            &setting(&env, "SQUARE_NOTIFICATION_URL"),
            &setting(&env, "SQUARE_SIGNATURE_KEY"),
        ) {
            Ok(n) => (n.counts, n.ignored as u32),
            Err(e) => return pos_error(&e),
        },
        "lightspeed" => match pos::lightspeed::read(
            &raw,
            h("x-signature").as_deref(),
            &setting(&env, "LIGHTSPEED_CLIENT_SECRET"),
            now,
        ) {
            Ok(c) if c.is_empty() => (c, 1),
            Ok(c) => (c, 0),
            Err(e) => return pos_error(&e),
        },
        "clover" => match pos::clover::read(&raw, h("x-clover-auth").as_deref(), &setting(&env, "CLOVER_AUTH_CODE")) {
            Ok(pos::clover::CloverNotice::Verification { .. }) => {
                return json(200, &json!({"applied": 0, "duplicates": 0, "ignored": 0, "verification": "received"}));
            }
            Ok(pos::clover::CloverNotice::Items { items, ignored, beyond_bound }) => {
                if beyond_bound > 0 {
                    worker::console_warn!(
                        "clover: a notice named {beyond_bound} item(s) beyond the {} read back; counted as ignored",
                        pos::clover::MAX_READ_BACKS
                    );
                }
                match clover_read_back(&env, items).await? {
                    // The counts were read after `now`: apply them as of the last read.
                    Ok(c) => return apply_counts(&env, provider, c, ignored as u32, internal::now()).await,
                    Err(resp) => return Ok(resp),
                }
            }
            Err(e) => return pos_error(&e),
        },
        "lastunit" => {
            let events = match pos::lastunit::read(
                &raw,
                h("x-lastunit-signature").as_deref(),
                &setting(&env, "LASTUNIT_WEBHOOK_SECRET"),
                now,
            ) {
                Ok(events) => events,
                Err(e) => return pos_error(&e),
            };
            return apply_events(&env, events, now, 0).await;
        }
        _ => return http::not_found(),
    };
    apply_counts(&env, provider, counts, ignored, now).await
}

/// `200 {"applied": 0, "duplicates": 0, "ignored": n}`: nothing to store.
fn nothing(ignored: u32) -> Result<Response> {
    json(200, &json!({"applied": 0, "duplicates": 0, "ignored": ignored}))
}

/// A store's order: the catalog makes its lines events on the connection's channel (lines no
/// SKU matched are ignored and listed in the connection's status, never refused: the store
/// would retry them for days), then the SKU objects apply them like any cross-SKU batch.
pub async fn apply_order(env: &Env, notice: OrderNotice, now: Timestamp) -> Result<Response> {
    let (status, v): (u16, serde_json::Value) =
        call_json(&catalog_stub(env)?, Method::Post, "/order-events", Some(&json!({"notice": notice, "now": now})))
            .await?;
    if status != 200 {
        return json(status, &v);
    }
    let ignored = v["ignored"].as_u64().unwrap_or(0) as u32;
    let events: Vec<StockEvent> =
        serde_json::from_value(v["events"].clone()).map_err(|e| worker::Error::RustError(e.to_string()))?;
    if events.is_empty() {
        return nothing(ignored);
    }
    apply_events(env, events, now, ignored).await
}

/// Maps each count to a SKU and a location; unmapped ones are ignored.
async fn apply_counts(
    env: &Env,
    provider: &str,
    counts: Vec<PosCount>,
    mut ignored: u32,
    now: Timestamp,
) -> Result<Response> {
    let refs = counts.iter().map(|c| (c.item_ref.clone(), c.location_ref.clone())).collect();
    let resolved = crate::catalog::resolve(env, provider, refs).await?;
    let mut events = Vec::new();
    for (c, m) in counts.iter().zip(resolved.matches) {
        let Some((sku, location)) = m else {
            ignored += 1;
            continue;
        };
        if resolved.connected_location.as_deref() == Some(location.as_str()) {
            // A connected store's level is its copy of lastunit's number, never a count of the
            // shelf: its writer judges it (an echo, or the store's own change to write over).
            crate::connections::observe(env, provider, &c.item_ref, c.quantity).await?;
            ignored += 1;
            continue;
        }
        match c.event(&sku, &location, now) {
            Ok(e) => events.push(e),
            Err(e) => return http::error(400, "bad_body", e.to_string()),
        }
    }
    if events.is_empty() {
        return nothing(ignored);
    }
    apply_events(env, events, now, ignored).await
}

/// Clover notices carry no stock: read each item's level back from the Clover API (at most
/// [`pos::clover::MAX_READ_BACKS`], which `pos::clover::read` already keeps to), each stamped with
/// the moment its answer arrived.
async fn clover_read_back(
    env: &Env,
    items: Vec<pos::clover::CloverItem>,
) -> Result<std::result::Result<Vec<PosCount>, Response>> {
    let base = setting(env, "CLOVER_API_BASE");
    let token = setting(env, "CLOVER_API_TOKEN");
    let mut counts = Vec::with_capacity(items.len());
    for item in items {
        let url =
            format!("{}{}", base.trim_end_matches('/'), pos::clover::item_stock_path(&item.merchant_id, &item.item_id));
        let upstream = |why: String| {
            http::error(502, "upstream_unavailable", format!("could not read the stock back from Clover: {why}"))
        };
        let headers = Headers::new();
        headers.set("authorization", &format!("Bearer {token}"))?;
        headers.set("accept", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        let resp = match Request::new_with_init(&url, &init) {
            Ok(r) => Fetch::Request(r).send().await,
            Err(e) => Err(e),
        };
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) => return Ok(Err(upstream(e.to_string())?)),
        };
        if !(200..300).contains(&resp.status_code()) {
            return Ok(Err(upstream(format!("status {}", resp.status_code()))?));
        }
        let bytes = resp.bytes().await?;
        let quantity = match pos::clover::read_item_stock(&bytes) {
            Ok(q) => q,
            Err(e) => return Ok(Err(upstream(e.to_string())?)),
        };
        counts.push(item.count(quantity, internal::now()));
    }
    Ok(Ok(counts))
}
