//! Who is calling: bearer credentials compared in constant time (no secret is ever echoed),
//! and from where: CORS for the storefront origins in `ALLOWED_ORIGINS`.

use subtle::ConstantTimeEq;
use worker::{Env, Headers, Request, Response, Result};

use crate::http::{error, mutable};
use crate::internal::setting;

/// The callers with a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `ADMIN_TOKEN`: everything under `/admin`.
    Admin,
    /// `CHECKOUT_TOKEN`: reservations, including commit.
    Checkout,
    /// `STOREFRONT_KEY`: create and release reservations.
    Storefront,
}

fn equal(given: &str, expected: &str) -> bool {
    // An unset secret never matches. Lengths may leak; contents do not.
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// The caller's role from `Authorization: Bearer ...`, if the credential is valid.
pub fn role(req: &Request, env: &Env) -> Option<Role> {
    let header = req.headers().get("authorization").ok().flatten()?;
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer "))?.trim();
    // Compare against every credential, so timing does not tell which one was close.
    let admin = equal(token, &setting(env, "ADMIN_TOKEN"));
    let checkout = equal(token, &setting(env, "CHECKOUT_TOKEN"));
    let storefront = equal(token, &setting(env, "STOREFRONT_KEY"));
    if admin {
        Some(Role::Admin)
    } else if checkout {
        Some(Role::Checkout)
    } else if storefront {
        Some(Role::Storefront)
    } else {
        None
    }
}

/// `Ok(role)` when the caller holds one of `allowed`; else the 401 or 403 answer.
pub fn require(req: &Request, env: &Env, allowed: &[Role]) -> Result<std::result::Result<Role, Response>> {
    Ok(match role(req, env) {
        None => Err(error(401, "unauthorized", "a valid credential is required: Authorization: Bearer <token>")?),
        Some(r) if allowed.contains(&r) => Ok(r),
        Some(_) => Err(error(403, "forbidden", "this credential may not call this route")?),
    })
}

/// Whether `origin` is one of `ALLOWED_ORIGINS` (exact match, comma-separated).
pub fn origin_allowed(env: &Env, origin: &str) -> bool {
    setting(env, "ALLOWED_ORIGINS").split(',').map(str::trim).any(|o| !o.is_empty() && o == origin)
}

/// The headers a storefront page may read of an answer. Retry-After: a page told
/// `429 rate_limited` can read when to try again.
pub const EXPOSE_HEADERS: &str = "content-type, retry-after";

/// Adds CORS headers: any origin for the public widget files, else only allowed origins.
pub fn with_cors(resp: Response, env: &Env, origin: Option<&str>, path: &str) -> Response {
    let widget = path.starts_with("/widget/");
    let allow = match origin {
        _ if widget => Some("*".to_string()),
        Some(o) if origin_allowed(env, o) => Some(o.to_string()),
        _ => None,
    };
    let add = |h: &Headers| -> Result<()> {
        if let Some(a) = &allow {
            h.set("access-control-allow-origin", a)?;
            if !widget {
                h.set("access-control-expose-headers", EXPOSE_HEADERS)?;
            }
        }
        if !widget {
            h.append("vary", "Origin")?;
        }
        Ok(())
    };
    // The edge's own answers take the headers as they are. A fetched one (an object's answer,
    // a static file) has immutable headers, which refuse the very first one, so it is copied
    // and nothing is set twice.
    let mut resp = resp;
    if add(resp.headers()).is_err() {
        resp = mutable(resp);
        let _ = add(resp.headers());
    }
    resp
}

/// The answer to a CORS preflight.
pub fn preflight(env: &Env, origin: Option<&str>, path: &str) -> Result<Response> {
    let widget = path.starts_with("/widget/");
    let Some(origin) = origin.filter(|o| widget || origin_allowed(env, o)) else {
        return error(403, "forbidden", "this origin is not allowed");
    };
    let headers = Headers::new();
    headers.set("access-control-allow-origin", if widget { "*" } else { origin })?;
    headers.set("access-control-allow-methods", "GET, POST, PUT, DELETE, OPTIONS")?;
    headers.set("access-control-allow-headers", "Authorization, Content-Type, Idempotency-Key")?;
    headers.set("access-control-max-age", "86400")?;
    headers.set("vary", "Origin")?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::equal;

    #[test]
    fn a_credential_matches_only_its_exact_secret_and_an_unset_secret_matches_nothing() {
        assert!(equal("tok-1", "tok-1"));
        assert!(!equal("tok-1", "tok-2"));
        assert!(!equal("tok", "tok-1"), "a prefix is not the secret");
        assert!(!equal("", ""), "an unset secret never matches, not even an empty token");
        assert!(!equal("anything", ""));
    }
}
