//! The network half of pushes to subscribers: the signed POST, and a timeout for any call. What
//! is owed to whom, and the backoff after a failure, are the engine's (`lastunit::push`); the SKU
//! object's alarm asks it, sends here, and tells it how each send went.

use futures_util::future::{select, Either};
use worker::{Fetch, Headers, Method, Request, RequestInit};

use lastunit::push::Subscriber;
use lastunit::Timestamp;

/// How long one call (to a subscriber or the catalog) may take.
pub const NETWORK_TIMEOUT_MS: u32 = 10_000;

/// `Some(output)`, or `None` when `fut` takes longer than `ms`.
pub async fn with_timeout<F: core::future::Future>(fut: F, ms: u32) -> Option<F::Output> {
    let fut = Box::pin(fut);
    let timeout = Box::pin(worker::Delay::from(std::time::Duration::from_millis(u64::from(ms))));
    match select(fut, timeout).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// POSTs `body` to the subscriber, signed like `/webhooks/lastunit`; true on a 2xx.
pub async fn post_signed(sub: &Subscriber, body: &str, now: Timestamp) -> bool {
    let signature = lastunit::pos::lastunit::sign(&sub.secret, now.millis().div_euclid(1000), body.as_bytes());
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    let _ = headers.set("x-lastunit-signature", &signature);
    let _ = headers.set("user-agent", "lastunit-edge");
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let Ok(req) = Request::new_with_init(&sub.url, &init) else { return false };
    let fetch = Fetch::Request(req);
    match with_timeout(fetch.send(), NETWORK_TIMEOUT_MS).await {
        Some(Ok(resp)) => (200..300).contains(&resp.status_code()),
        _ => false,
    }
}
