//! Writing the SKU's Square outbox: one `batch-create` of the batch the engine froze, with the
//! access token from the secrets, read back by the engine (`lastunit::connect::square_out`).
//! Called from the SKU object's alarm only, never inside a sale.

use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use lastunit::connect::square_out::{read_answer, Answer, Batch, BATCH_CREATE_PATH, SQUARE_VERSION};

use crate::internal::setting;
use crate::push::{with_timeout, NETWORK_TIMEOUT_MS};

/// POSTs `batch` to `SQUARE_API_BASE` and reads Square's answer. No base or token configured
/// is an answer too: retried with backoff until an operator sets them.
pub async fn send(env: &Env, batch: &Batch) -> Answer {
    let base = setting(env, "SQUARE_API_BASE");
    let token = setting(env, "SQUARE_ACCESS_TOKEN");
    if base.is_empty() || token.is_empty() {
        return Answer::Retry {
            retry_after_ms: None,
            error: "SQUARE_API_BASE or SQUARE_ACCESS_TOKEN is not set".into(),
        };
    }
    let headers = Headers::new();
    let set = [
        headers.set("authorization", &format!("Bearer {token}")),
        headers.set("square-version", SQUARE_VERSION),
        headers.set("content-type", "application/json"),
        headers.set("accept", "application/json"),
    ];
    if set.iter().any(|r| r.is_err()) {
        return Answer::Retry { retry_after_ms: None, error: "the request headers cannot be set".into() };
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(batch.body().into()));
    let url = format!("{}{BATCH_CREATE_PATH}", base.trim_end_matches('/'));
    let Ok(req) = Request::new_with_init(&url, &init) else {
        return Answer::Refused { error: "SQUARE_API_BASE is not a URL".into() };
    };
    let answered = with_timeout(
        async {
            let mut resp = Fetch::Request(req).send().await?;
            let retry_after = resp.headers().get("retry-after").ok().flatten();
            let body = resp.bytes().await?;
            Ok::<_, worker::Error>((resp.status_code(), retry_after, body))
        },
        NETWORK_TIMEOUT_MS,
    )
    .await;
    match answered {
        Some(Ok((status, retry_after, body))) => read_answer(Some(status), retry_after.as_deref(), &body),
        _ => read_answer(None, None, &[]),
    }
}
