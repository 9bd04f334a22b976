//! HTTP to the edge: one `fetch` helper, and small JS-object helpers. No JSON crate: the
//! browser parses, and [`decode::from_js`] turns the result into the engine's type.

use js_sys::{Object, Reflect, JSON};
use lastunit::Availability;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

use crate::decode;

/// An answer from the edge: the HTTP status and the body parsed as JSON (`undefined` when it
/// is not JSON).
pub struct Answer {
    pub status: u16,
    pub body: JsValue,
}

/// Sends one request. `Err` when the edge could not be reached at all.
pub async fn send(
    method: &str,
    url: &str,
    body: Option<&str>,
    bearer: Option<&str>,
    idempotency_key: Option<&str>,
) -> Result<Answer, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let init = RequestInit::new();
    init.set_method(method);
    let headers = Headers::new()?;
    if let Some(body) = body {
        headers.set("Content-Type", "application/json")?;
        init.set_body(&JsValue::from_str(body));
    }
    if let Some(token) = bearer {
        let mut value = String::from("Bearer ");
        value.push_str(token);
        headers.set("Authorization", &value)?;
    }
    if let Some(key) = idempotency_key {
        headers.set("Idempotency-Key", key)?;
    }
    init.set_headers(&headers);
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await?.dyn_into()?;
    let status = response.status();
    let body = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::UNDEFINED),
        Err(_) => JsValue::UNDEFINED,
    };
    Ok(Answer { status, body })
}

/// What a read of one SKU's availability found.
pub enum Read {
    /// The availability.
    Found(Availability),
    /// `404 {"error":"unknown_sku"}`: the catalog has no such SKU.
    UnknownSku,
    /// No usable answer (unreachable, another error, garbage).
    Failed,
}

/// `GET` one availability object.
pub async fn read(url: &str) -> Read {
    let Ok(answer) = send("GET", url, None, None, None).await else { return Read::Failed };
    match answer.status {
        200 => decode::from_js(&answer.body).map_or(Read::Failed, Read::Found),
        404 if get(&answer.body, "error").as_string().as_deref() == Some("unknown_sku") => Read::UnknownSku,
        _ => Read::Failed,
    }
}

/// `GET` and parse an availability object; `None` for anything but a 200 with one.
pub async fn availability(url: &str) -> Option<Availability> {
    match read(url).await {
        Read::Found(a) => Some(a),
        _ => None,
    }
}

/// Parses a WebSocket text frame: an availability object with `"type":"availability"`.
pub fn parse_push(data: &JsValue) -> Option<Availability> {
    let text = data.as_string()?;
    let value = JSON::parse(&text).ok()?;
    if get(&value, "type").as_string().as_deref() != Some("availability") {
        return None;
    }
    decode::from_js(&value)
}

/// `value[name]`, or `undefined`.
pub fn get(value: &JsValue, name: &str) -> JsValue {
    if !value.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets `object[name] = value` (cannot fail on a plain object).
pub fn set(object: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(name), value);
}

/// `encodeURIComponent(s)`.
pub fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// 128 random bits from the Web Crypto API, as 32 hex digits: for cart ids and idempotency keys,
/// which must not be guessable or repeat (`Math.random` is neither).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No Web Crypto (a very old browser): the time and Math.random, never a panic.
        let seed = (js_sys::Date::now() as u64) ^ ((js_sys::Math::random() * 9.0e15) as u64);
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(32);
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 15)]));
    }
    id
}

/// Decimal digits of `n`, without the formatting machinery.
pub fn digits(n: i64) -> String {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let mut s = String::with_capacity(21);
    if n < 0 {
        s.push('-');
    }
    for &b in &buf[i..] {
        s.push(char::from(b));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::digits;

    #[test]
    fn writes_decimal_digits() {
        for n in [0i64, 7, 10, 42, 9_001, -3, i64::MAX, i64::MIN] {
            assert_eq!(digits(n), n.to_string());
        }
    }
}
