//! Checkout holds: units set aside for one cart on one channel until they are committed,
//! released, or expire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Where a hold stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HoldState {
    /// Units are set aside.
    Active,
    /// Became a sale.
    Committed {
        /// The checkout's order id.
        order_id: String,
    },
    /// Given back by the storefront.
    Released,
    /// Ran out before it was committed.
    Expired,
    /// The register sold the units it held before checkout finished.
    Bumped,
}

/// One cart's hold on one SKU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The reservation id.
    pub id: String,
    /// The storefront's cart.
    pub cart_id: String,
    /// The channel selling it.
    pub channel: String,
    /// Units held.
    pub quantity: i64,
    /// When the hold lapses.
    pub expires_at: Timestamp,
    /// When it was taken.
    pub created_at: Timestamp,
    /// Where it stands.
    #[serde(flatten)]
    pub state: HoldState,
    /// Units set aside per location (sums to `quantity` while active).
    pub placed: BTreeMap<String, i64>,
    /// When the state last changed.
    pub settled_at: Timestamp,
}

/// A request to hold units of one SKU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRequest {
    /// The reservation id (the caller makes it unguessable); the same id again is the same hold.
    pub id: String,
    /// The cart.
    pub cart_id: String,
    /// The channel.
    pub channel: String,
    /// Units (> 0).
    pub quantity: i64,
    /// When it lapses.
    pub expires_at: Timestamp,
}

impl Hold {
    /// Whether units are set aside.
    pub fn is_active(&self) -> bool {
        self.state == HoldState::Active
    }
}
