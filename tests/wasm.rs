//! The engine's JavaScript face, run in Node by wasm-bindgen-test
//! (`make test` runs it with `cargo test --target wasm32-unknown-unknown --features wasm --test wasm`).
#![cfg(all(target_arch = "wasm32", feature = "wasm"))]

use js_sys::Reflect;
use lastunit::wasm::Engine;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const NOW: f64 = 1_795_687_200_000.0;

fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn engine() -> Engine {
    Engine::new(
        "A",
        js(r#"{"title":"Linen shirt","buffer":{"mode":"fixed","units":1}}"#),
        js(r#"{"locations":["main-st"],"channels":{"store":["main-st"],"web":["main-st"]}}"#),
        NOW,
    )
    .unwrap()
}

#[wasm_bindgen_test]
fn applies_reserves_commits_and_answers_availability() {
    let mut e = engine();
    let r =
        e.apply(js(r#"{"event_id":"e1","type":"receive","sku":"A","location":"main-st","quantity":4}"#), NOW).unwrap();
    assert_eq!(get(&r, "outcome"), "applied");
    let again =
        e.apply(js(r#"{"event_id":"e1","type":"receive","sku":"A","location":"main-st","quantity":4}"#), NOW).unwrap();
    assert_eq!(get(&again, "outcome"), "duplicate");
    let web = e.availability("web").unwrap();
    assert_eq!(get(&web, "available").as_f64(), Some(3.0));
    assert_eq!(get(&web, "status"), "low_stock", "3 units is at the default threshold");
    e.reserve(
        js(r#"{"id":"r1","cart_id":"c1","channel":"web","quantity":3,"expires_at":"2026-11-26T10:10:00Z"}"#),
        NOW,
    )
    .unwrap();
    assert_eq!(get(&e.availability("web").unwrap(), "available").as_f64(), Some(0.0));
    e.commit("r1", "o-1", NOW + 1000.0).unwrap();
    assert_eq!(get(&e.availability("store").unwrap(), "available").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
fn refusals_are_thrown_as_error_objects() {
    let mut e = engine();
    let err = e
        .reserve(
            js(r#"{"id":"r1","cart_id":"c1","channel":"web","quantity":1,"expires_at":"2026-11-26T10:10:00Z"}"#),
            NOW,
        )
        .unwrap_err();
    assert_eq!(get(&err, "error"), "insufficient_stock");
    let err = e
        .apply(js(r#"{"event_id":"e1","type":"steal","sku":"A","location":"main-st","quantity":1}"#), NOW)
        .unwrap_err();
    assert_eq!(get(&err, "error"), "invalid_input");
    assert!(get(&err, "message").as_string().unwrap().contains("steal"));
    assert_eq!(get(&e.availability("nowhere").unwrap_err(), "error"), "unknown_channel");
}
