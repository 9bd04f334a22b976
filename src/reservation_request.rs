//! `POST /v1/reservations`: the body a storefront or checkout sends to hold units. A wire type:
//! it builds without the `engine` feature, so the widget writes the very type the edge reads.
//! The edge's checks on it (`checked_lines`, `granted_ttl`, `fingerprint`) are in `reservation`.

use serde::{Deserialize, Serialize};

/// `POST /v1/reservations`: what a storefront or checkout asks to hold, all lines or none. The
/// edge reads it and the widget writes it, so both use this one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationRequest {
    /// The storefront's cart (`max_per_cart` counts per cart).
    #[serde(default)]
    pub cart_id: String,
    /// The selling channel (default `web`).
    #[serde(default = "default_channel")]
    pub channel: String,
    /// How long the hold lasts: 1 to 3,600 seconds (default 600).
    #[serde(default = "default_ttl")]
    pub ttl_seconds: i64,
    /// What to hold.
    pub lines: Vec<ReservationLine>,
}

/// One line of a reservation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationLine {
    /// The SKU.
    pub sku: String,
    /// Units (> 0).
    pub quantity: i64,
}

fn default_channel() -> String {
    "web".into()
}

fn default_ttl() -> i64 {
    600
}
