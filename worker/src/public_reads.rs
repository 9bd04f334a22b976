//! The answers a storefront asks for most, `GET /v1/health` and `GET /v1/availability/{sku}`,
//! made from the raw request before anything else runs. Wrapping it as a `worker::Request`
//! reads its `cf` object, method, path and headers across the Wasm boundary, running it as a
//! Rust future costs a promise and a microtask, and every header set on an answer is another
//! crossing: on a hot read that is more than the answer itself. So the health answer and a
//! fresh cached availability ([`availability_cache`]) are made at once, with a header set made
//! once per isolate; only a read the cache cannot answer waits on the SKU's object.
//! Every other request, and these when they are not a plain GET, take the router's way.

use std::cell::OnceCell;

use worker::worker_sys::web_sys;
use worker::{Env, Result, Url};

use crate::auth::{self, EXPOSE_HEADERS};
use crate::availability_cache;
use crate::http::{self, JSON_TYPE, NO_STORE};

/// One of the hot reads, as asked.
pub enum PublicRead {
    Health,
    Availability { sku: String, channel: String },
}

impl PublicRead {
    /// The hot read `raw` asks for, if it is one.
    pub fn of(raw: &web_sys::Request) -> Option<PublicRead> {
        if raw.method() != "GET" {
            return None;
        }
        let url = raw.url();
        let (path, query) = split_url(&url);
        if path == "/v1/health" {
            return Some(PublicRead::Health);
        }
        let sku = path.strip_prefix("/v1/availability/").filter(|s| !s.contains('/'))?;
        // A name that is not a SKU gets the router's 404 (one place for its wording).
        lastunit::names::check_sku(sku).ok()?;
        let channel = channel_of(&url, query)?;
        Some(PublicRead::Availability { sku: sku.to_string(), channel })
    }

    /// The answer if it needs no waiting: the health answer, or a fresh cached availability.
    pub fn answer_now(&self, raw: &web_sys::Request, env: &Env) -> Option<Result<web_sys::Response>> {
        match self {
            PublicRead::Health => Some(json_answer(raw, env, 200, r#"{"status":"ok"}"#)),
            PublicRead::Availability { sku, channel } => {
                availability_cache::fresh(sku, channel).map(|body| json_answer(raw, env, 200, &body))
            }
        }
    }

    /// The answer, waiting on the SKU's object when the cache cannot give it.
    pub async fn answer(&self, raw: &web_sys::Request, env: &Env) -> Result<web_sys::Response> {
        if let Some(now) = self.answer_now(raw, env) {
            return now;
        }
        let PublicRead::Availability { sku, channel } = self else { unreachable!("health is answered at once") };
        match availability_cache::availability(env, sku, channel).await {
            Ok((status, body)) => json_answer(raw, env, status, &body),
            Err(e) => {
                worker::console_error!("/v1/availability/{sku} failed: {e}");
                json_answer(raw, env, 500, &http::error_text("internal_error", http::INTERNAL_MESSAGE))
            }
        }
    }
}

/// The path (as `worker::Request::path` gives it: still percent-encoded) and the query of a
/// serialized URL, which `Request.url` always is.
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let rest = &rest[rest.find('/').unwrap_or(rest.len())..];
    let rest = rest.split('#').next().unwrap_or_default();
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (if path.is_empty() { "/" } else { path }, query)
}

/// `?channel=` (default `web`): taken as it is when nothing in the query is encoded, else
/// decoded by the URL parser, as the router reads it.
fn channel_of(url: &str, query: &str) -> Option<String> {
    if query.contains(['%', '+']) {
        let parsed = Url::parse(url).ok()?;
        let found = parsed.query_pairs().find(|(k, _)| k == "channel").map(|(_, v)| v.into_owned());
        return Some(found.unwrap_or_else(|| "web".into()));
    }
    let found = query.split('&').map(|pair| pair.split_once('=').unwrap_or((pair, ""))).find(|(k, _)| *k == "channel");
    Some(found.map_or_else(|| "web".into(), |(_, v)| v.to_string()))
}

thread_local! {
    /// The headers of every JSON answer without CORS: made once, copied by each answer.
    static PLAIN: OnceCell<web_sys::Headers> = const { OnceCell::new() };
}

/// A JSON answer with the headers the router gives one: its type, `no-store`, `Vary: Origin`,
/// and the CORS headers when the request comes from an allowed origin.
fn json_answer(raw: &web_sys::Request, env: &Env, status: u16, body: &str) -> Result<web_sys::Response> {
    let origin = raw.headers().get("origin").ok().flatten().filter(|o| auth::origin_allowed(env, o));
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    PLAIN.with(|plain| -> Result<()> {
        let plain = match plain.get() {
            Some(h) => h,
            None => {
                let h = web_sys::Headers::new()?;
                h.set("content-type", JSON_TYPE)?;
                h.set("cache-control", NO_STORE)?;
                h.set("vary", "Origin")?;
                plain.get_or_init(|| h)
            }
        };
        match &origin {
            None => init.set_headers(plain),
            Some(o) => {
                let h = web_sys::Headers::new_with_headers(plain)?;
                h.set("access-control-allow-origin", o)?;
                h.set("access-control-expose-headers", EXPOSE_HEADERS)?;
                init.set_headers(&h);
            }
        }
        Ok(())
    })?;
    Ok(web_sys::Response::new_with_opt_str_and_init(Some(body), &init)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_url_gives_the_path_as_the_router_sees_it_and_the_query() {
        assert_eq!(split_url("http://127.0.0.1:8787/v1/health"), ("/v1/health", ""));
        assert_eq!(
            split_url("https://e.example/v1/availability/A%20B?channel=web#x"),
            ("/v1/availability/A%20B", "channel=web")
        );
        assert_eq!(split_url("https://e.example/?x=1"), ("/", "x=1"));
        assert_eq!(split_url("https://e.example/a#f?not=query"), ("/a", ""));
    }

    #[test]
    fn channel_is_web_unless_named_and_the_first_one_named_wins() {
        let url = "https://e.example/v1/availability/A";
        assert_eq!(channel_of(url, "").as_deref(), Some("web"));
        assert_eq!(channel_of(url, "x=1&channel=store&channel=web").as_deref(), Some("store"));
        assert_eq!(channel_of(url, "channel=").as_deref(), Some(""));
        assert_eq!(channel_of(url, "channel").as_deref(), Some(""));
        assert_eq!(channel_of(url, "&&channelx=1").as_deref(), Some("web"));
    }

    #[test]
    fn an_encoded_channel_is_decoded_as_the_router_decodes_it() {
        let url = "https://e.example/v1/availability/A?channel=pop%2Dup+shop";
        assert_eq!(channel_of(url, "channel=pop%2Dup+shop").as_deref(), Some("pop-up shop"));
    }
}
