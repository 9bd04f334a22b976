//! A small shop for the scenario tests: a store (`main-st`) and a `warehouse`; the register
//! sells from the store, the web store from both, the marketplace from the warehouse.
#![allow(dead_code)]

use lastunit::catalog::{ChannelConfig, SkuConfig, Topology};
use lastunit::{Applied, EventBody, HoldRequest, Sku, Timestamp};

/// 2026-11-26T10:00:00Z.
pub const T0: Timestamp = Timestamp(1_795_687_200_000);

pub fn minutes(m: i64) -> Timestamp {
    T0.plus(m * 60_000)
}

pub fn shop() -> Topology {
    let mut t = Topology::default();
    t.put_location("main-st").unwrap();
    t.put_location("warehouse").unwrap();
    t.put_channel("store", &ChannelConfig { locations: vec!["main-st".into()] }).unwrap();
    t.put_channel("web", &ChannelConfig { locations: vec!["warehouse".into(), "main-st".into()] }).unwrap();
    t.put_channel("marketplace", &ChannelConfig { locations: vec!["warehouse".into()] }).unwrap();
    t
}

pub fn sku_with(config: &str) -> Sku {
    let config: SkuConfig = serde_json::from_str(config).unwrap();
    Sku::new("A", config, shop(), T0).unwrap()
}

/// Applies a generic event given as JSON (sku `A` filled in), from `provider`, at `now`.
pub fn event(sku: &mut Sku, provider: &str, json: &str, now: Timestamp) -> Applied {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v.as_object_mut().unwrap().entry("sku").or_insert("A".into());
    let body: EventBody = serde_json::from_value(v).unwrap();
    let e = body.check(provider, now).unwrap();
    sku.apply(&e, now).unwrap()
}

/// An absolute count from `provider` of `quantity` units at `location`, observed at `at`,
/// delivered at `delivered`.
pub fn count(
    sku: &mut Sku,
    provider: &str,
    id: &str,
    location: &str,
    quantity: i64,
    at: Timestamp,
    delivered: Timestamp,
) -> Applied {
    event(
        sku,
        provider,
        &format!(
            r#"{{"event_id":"{id}","type":"count","location":"{location}","quantity":{quantity},"occurred_at":"{at}"}}"#
        ),
        delivered,
    )
}

pub fn stock(sku: &mut Sku, location: &str, units: i64) {
    let id = format!("seed-{location}-{units}-{}", sku.version());
    event(
        sku,
        "admin",
        &format!(
            r#"{{"event_id":"{id}","type":"receive","location":"{location}","quantity":{units},"occurred_at":"{T0}"}}"#
        ),
        T0,
    );
}

pub fn hold(id: &str, channel: &str, quantity: i64, expires_at: Timestamp) -> HoldRequest {
    HoldRequest {
        id: id.into(),
        cart_id: format!("cart-{id}"),
        client: None,
        channel: channel.into(),
        quantity,
        expires_at,
    }
}

pub fn avail(sku: &Sku, channel: &str) -> i64 {
    sku.available(channel).unwrap()
}
