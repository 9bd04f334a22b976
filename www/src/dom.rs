//! The page: finding the widget's elements and buttons, drawing availability into them.
//!
//! An element `<div data-lastunit-sku="A" data-lastunit-channel="web">` gets its content replaced
//! by up to three spans (`data-lastunit-part` = `status`, `hold`, `notice`) and the attributes
//! `data-lastunit-status` (`in_stock`, `low_stock`, `out_of_stock`, or `unknown` while the edge
//! has not answered), `data-lastunit-available` (absent while unknown),
//! `data-lastunit-in-store-only` and `aria-live="polite"`. A `lastunit:availability` event
//! bubbles from it whenever its status or count changes.

use js_sys::{Array, Object};
use lastunit::{Availability, Status};
use wasm_bindgen::prelude::*;
use web_sys::{
    CustomEvent, CustomEventInit, Element, HtmlScriptElement, MutationObserver, MutationObserverInit, MutationRecord,
    Node, Url,
};

use crate::config::Config;
use crate::feed::{Feed, FeedKey};
use crate::net;
use crate::reserve::HoldView;

const SKU: &str = "data-lastunit-sku";
const BUTTON: &str = "data-lastunit-add-to-cart";
const CHANNEL: &str = "data-lastunit-channel";
const ENDPOINT: &str = "data-lastunit-endpoint";
const PART: &str = "data-lastunit-part";
/// Marks a button the widget disabled (so it never re-enables one the page disabled itself).
const DISABLED_BY_US: &str = "data-lastunit-disabled";

/// The edge's base URL from the widget's own URL: the folder above `widget/lastunit.js`.
pub fn edge_from_script_url(script_url: &str) -> String {
    match Url::new_with_base("../", script_url) {
        Ok(url) => trim_slash(&url.href()),
        Err(_) => web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default(),
    }
}

/// `s` without trailing slashes.
pub fn trim_slash(s: &str) -> String {
    String::from(s.trim_end_matches('/'))
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn all(selector: &str) -> Vec<Element> {
    let Some(list) = document().and_then(|d| d.query_selector_all(selector).ok()) else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).collect()
}

/// The `<script>` tag that loaded the widget (for its `data-lastunit-*` settings).
pub fn own_script_tag(script_url: &str) -> Option<Element> {
    all("script[src]").into_iter().find(|el| el.dyn_ref::<HtmlScriptElement>().is_some_and(|s| s.src() == script_url))
}

/// A running `MutationObserver` and its callback (dropping the callback would break it).
pub type Observer = (MutationObserver, Closure<dyn FnMut(JsValue)>);

/// Watches the page for widget elements added, removed or re-pointed; calls `changed` once per
/// batch of relevant mutations (the widget's own drawing is not relevant).
pub fn observe(changed: impl Fn() + 'static) -> Option<Observer> {
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |records: JsValue| {
        let records: Array = records.unchecked_into();
        let relevant = records.iter().any(|r| {
            let r: MutationRecord = r.unchecked_into();
            if r.type_() == "attributes" {
                return true;
            }
            let foreign = |nodes: web_sys::NodeList| {
                (0..nodes.length()).any(|i| {
                    nodes.item(i).and_then(|n| n.dyn_into::<Element>().ok()).is_some_and(|el| !el.has_attribute(PART))
                })
            };
            foreign(r.added_nodes()) || foreign(r.removed_nodes())
        });
        if relevant {
            changed();
        }
    });
    let observer = MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
    let init = MutationObserverInit::new();
    init.set_child_list(true);
    init.set_subtree(true);
    init.set_attributes(true);
    let filter = Array::new();
    for name in [SKU, BUTTON, CHANNEL, ENDPOINT] {
        filter.push(&JsValue::from_str(name));
    }
    init.set_attribute_filter(&filter);
    let root: Node = document()?.document_element()?.into();
    observer.observe_with_options(&root, &init).ok()?;
    Some((observer, callback))
}

/// Every widget element and add-to-cart button in the page, with its feed; `true` for buttons.
pub fn find(cfg: &Config) -> Vec<(FeedKey, Element, bool)> {
    let mut found = Vec::new();
    let selector = ["[", SKU, "],[", BUTTON, "]"].concat();
    for el in all(&selector) {
        let attr = |name: &str| el.get_attribute(name).filter(|v| !v.trim().is_empty());
        let channel = attr(CHANNEL).unwrap_or_else(|| cfg.channel.clone());
        let endpoint = attr(ENDPOINT).map(|e| trim_slash(&e)).unwrap_or_else(|| cfg.endpoint.clone());
        for (name, is_button) in [(SKU, false), (BUTTON, true)] {
            if let Some(sku) = attr(name) {
                let key =
                    FeedKey { endpoint: endpoint.clone(), sku: String::from(sku.trim()), channel: channel.clone() };
                found.push((key, el.clone(), is_button));
            }
        }
    }
    found
}

/// Makes `el` the widget's: its content becomes the status span, and it is announced politely.
pub fn prepare(el: &Element) {
    if part(el, "status").is_some() {
        return;
    }
    el.set_text_content(None);
    let _ = ensure_part(el, "status");
    if !el.has_attribute("aria-live") {
        let _ = el.set_attribute("aria-live", "polite");
    }
}

fn part(el: &Element, name: &str) -> Option<Element> {
    let selector = [":scope > [", PART, "=\"", name, "\"]"].concat();
    el.query_selector(&selector).ok().flatten()
}

fn ensure_part(el: &Element, name: &str) -> Option<Element> {
    if let Some(found) = part(el, name) {
        return Some(found);
    }
    let span = document()?.create_element("span").ok()?;
    let _ = span.set_attribute(PART, name);
    if name == "hold" {
        // A countdown inside a live region: announced never, not every second.
        let _ = span.set_attribute("role", "timer");
        let _ = span.set_attribute("aria-live", "off");
    }
    let mut class = String::from("lastunit-");
    class.push_str(name);
    span.set_class_name(&class);
    el.append_child(&span).ok()?;
    Some(span)
}

fn set_text(el: &Element, text: &str) {
    if el.text_content().as_deref() != Some(text) {
        el.set_text_content(Some(text));
    }
}

fn set_attr(el: &Element, name: &str, value: Option<&str>) {
    match value {
        Some(v) if el.get_attribute(name).as_deref() != Some(v) => {
            let _ = el.set_attribute(name, v);
        }
        None if el.has_attribute(name) => {
            let _ = el.remove_attribute(name);
        }
        _ => {}
    }
}

/// The sentence for an availability.
pub fn message(a: &Availability, store_units: Option<i64>) -> String {
    match a.status {
        Status::InStock => String::from("In stock"),
        Status::LowStock => {
            let mut s = String::from("Only ");
            s.push_str(&net::digits(a.available));
            s.push_str(" left");
            s
        }
        Status::OutOfStock if a.in_store_only => match store_units {
            Some(n) if n > 0 => {
                let mut s = String::from("Out of stock online, ");
                s.push_str(&net::digits(n));
                s.push_str(" in store");
                s
            }
            _ => String::from("Out of stock online — available in store"),
        },
        Status::OutOfStock => String::from("Out of stock"),
    }
}

/// Draws `feed` into its elements and buttons.
pub fn render(key: &FeedKey, feed: &Feed, hold: Option<HoldView>) {
    let known = feed.shown.as_ref().filter(|_| !feed.stale);
    let status = known.map_or("unknown", |a| a.status.as_str());
    let available = known.map(|a| net::digits(a.available));
    let text = match known {
        Some(a) => message(a, feed.store_units),
        None if feed.missing => String::from("Not available online"),
        None => String::from("Checking stock…"),
    };
    let error = (known.is_none() && feed.missing).then_some("unknown_sku");
    let in_store_only = known.is_some_and(|a| a.in_store_only);
    let hold_text = hold.map(|h| h.text());
    for el in &feed.elements {
        let changed = el.get_attribute("data-lastunit-status").as_deref() != Some(status)
            || el.get_attribute("data-lastunit-available") != available;
        set_attr(el, "data-lastunit-status", Some(status));
        set_attr(el, "data-lastunit-available", available.as_deref());
        set_attr(el, "data-lastunit-in-store-only", in_store_only.then_some("true"));
        set_attr(el, "data-lastunit-error", error);
        if let Some(span) = ensure_part(el, "status") {
            set_text(&span, &text);
        }
        for (name, value) in [("hold", hold_text.as_deref()), ("notice", feed.notice.as_ref().map(|(t, _)| t.as_str()))]
        {
            match value {
                Some(t) => {
                    if let Some(span) = ensure_part(el, name) {
                        set_text(&span, t);
                    }
                }
                None => {
                    if let Some(span) = part(el, name) {
                        span.remove();
                    }
                }
            }
        }
        if changed {
            announce(el, key, status, known.map(|a| a.available));
        }
    }
    // Sold out for this channel: disable. Unknown keeps the last known answer (never enables a
    // sold-out button on a guess).
    let sold_out = feed.shown.as_ref().is_some_and(|a| a.status == Status::OutOfStock);
    for button in &feed.buttons {
        set_attr(button, "data-lastunit-status", Some(status));
        if sold_out {
            if !button.has_attribute("disabled") {
                let _ = button.set_attribute("disabled", "");
                let _ = button.set_attribute(DISABLED_BY_US, "out_of_stock");
                let _ = button.set_attribute("aria-disabled", "true");
            }
        } else if button.has_attribute(DISABLED_BY_US) {
            let _ = button.remove_attribute("disabled");
            let _ = button.remove_attribute(DISABLED_BY_US);
            let _ = button.remove_attribute("aria-disabled");
        }
    }
}

/// Fires `lastunit:availability` (bubbling) with `{sku, channel, status, available}`.
fn announce(el: &Element, key: &FeedKey, status: &str, available: Option<i64>) {
    let detail = Object::new();
    net::set(&detail, "sku", &JsValue::from_str(&key.sku));
    net::set(&detail, "channel", &JsValue::from_str(&key.channel));
    net::set(&detail, "status", &JsValue::from_str(status));
    net::set(&detail, "available", &available.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64)));
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_detail(&detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict("lastunit:availability", &init) {
        let _ = el.dispatch_event(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lastunit::Timestamp;

    fn av(available: i64, status: Status, in_store_only: bool) -> Availability {
        Availability {
            sku: "A".into(),
            channel: "web".into(),
            available,
            status,
            in_store_only,
            version: 1,
            updated_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn says_each_status_in_plain_words() {
        assert_eq!(message(&av(12, Status::InStock, false), None), "In stock");
        assert_eq!(message(&av(2, Status::LowStock, false), None), "Only 2 left");
        assert_eq!(message(&av(0, Status::OutOfStock, false), Some(3)), "Out of stock");
        assert_eq!(message(&av(0, Status::OutOfStock, true), Some(1)), "Out of stock online, 1 in store");
        assert_eq!(message(&av(0, Status::OutOfStock, true), None), "Out of stock online — available in store");
        assert_eq!(message(&av(0, Status::OutOfStock, true), Some(0)), "Out of stock online — available in store");
    }

    #[test]
    fn finds_the_edge_above_the_widget_folder() {
        assert_eq!(trim_slash("https://edge.example/"), "https://edge.example");
        assert_eq!(trim_slash("https://edge.example/shop//"), "https://edge.example/shop");
    }
}
