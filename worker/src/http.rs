//! Answers: JSON bodies and the contract's error shape.

use serde::Serialize;
use serde_json::json;
use worker::worker_sys::web_sys;
use worker::{Headers, Response, Result};

use crate::internal::{BodyError, MAX_BODY};

/// A JSON answer with `content-type: application/json; charset=utf-8`.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response> {
    let text = serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?;
    json_text(status, text)
}

/// The content type of every JSON answer.
pub const JSON_TYPE: &str = "application/json; charset=utf-8";
/// No answer of the API may be kept by a cache between the edge and the caller.
pub const NO_STORE: &str = "no-store";

/// A JSON answer from text already serialized.
pub fn json_text(status: u16, text: String) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", JSON_TYPE)?;
    headers.set("cache-control", NO_STORE)?;
    Ok(Response::ok(text)?.with_status(status).with_headers(headers))
}

/// What a caller is told of a failure inside the edge (the failure itself is logged).
pub const INTERNAL_MESSAGE: &str = "the edge could not complete this request";

/// `{"error": code, "message": message}` with `status`.
pub fn error(status: u16, code: &str, message: impl Into<String>) -> Result<Response> {
    json_text(status, error_text(code, message))
}

/// The text of `{"error": code, "message": message}`.
pub fn error_text(code: &str, message: impl Into<String>) -> String {
    json!({"error": code, "message": message.into()}).to_string()
}

/// An engine refusal as an answer.
pub fn engine_error(e: &lastunit::Error) -> Result<Response> {
    json(e.http_status(), &e.body())
}

/// A body that is too large (413) or not the JSON a route expects (400).
pub fn bad_json(e: impl Into<BodyError>) -> Result<Response> {
    match e.into() {
        BodyError::TooLarge => too_large(),
        BodyError::Bad(why) => error(400, "bad_request", format!("the body is not the JSON this route takes: {why}")),
    }
}

/// `413 payload_too_large`: above the 256 KiB every route but the import takes.
pub fn too_large() -> Result<Response> {
    too_large_than(MAX_BODY)
}

/// `413 payload_too_large`, naming the route's `limit`.
pub fn too_large_than(limit: usize) -> Result<Response> {
    let size =
        if limit >= 1024 * 1024 { format!("{} MiB", limit / (1024 * 1024)) } else { format!("{} KiB", limit / 1024) };
    error(413, "payload_too_large", format!("the body is larger than {size}"))
}

pub fn not_found() -> Result<Response> {
    error(404, "not_found", "no such route")
}

/// A copy of `resp` whose headers can be changed (fetched responses have immutable headers).
pub fn mutable(resp: Response) -> Response {
    // One copy made by the runtime (`new Headers(headers)`), not one crossing per header.
    let headers = match web_sys::Headers::new_with_headers(&resp.headers().0) {
        Ok(copy) => Headers(copy),
        Err(_) => {
            let headers = Headers::new();
            for (k, v) in resp.headers().entries() {
                let _ = headers.append(&k, &v);
            }
            headers
        }
    };
    resp.with_headers(headers)
}
