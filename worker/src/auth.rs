//! Who is calling: bearer credentials compared in constant time. No secret is ever echoed.

use subtle::ConstantTimeEq;
use worker::{Env, Request, Response, Result};

use crate::http::error;
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
