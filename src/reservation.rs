//! Checkout holds: units set aside for one cart on one channel until they are committed,
//! released, or expire.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{entry, Timestamp};

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

/// The active holds of one SKU, indexed so that every question a sale or a reservation asks
/// (held at a location, on a channel, in a cart; which expire next) costs O(log n), however
/// many carts hold the SKU. Only the holds themselves are serialized; the indexes are rebuilt.
#[derive(Clone, Debug, Default)]
pub struct ActiveHolds {
    by_id: BTreeMap<String, Hold>,
    by_location: BTreeMap<String, i64>,
    by_channel: BTreeMap<String, i64>,
    by_cart: BTreeMap<String, i64>,
    by_expiry: BTreeSet<(Timestamp, String)>,
    total: i64,
}

impl ActiveHolds {
    /// A hold by id.
    pub fn get(&self, id: &str) -> Option<&Hold> {
        self.by_id.get(id)
    }

    /// Whether a hold is active.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// All active holds.
    pub fn iter(&self) -> impl Iterator<Item = &Hold> {
        self.by_id.values()
    }

    /// How many holds are active.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Units held at `location`.
    pub fn at_location(&self, location: &str) -> i64 {
        self.by_location.get(location).copied().unwrap_or(0)
    }

    /// Units held for `channel`.
    pub fn on_channel(&self, channel: &str) -> i64 {
        self.by_channel.get(channel).copied().unwrap_or(0)
    }

    /// Units held for `cart`.
    pub fn in_cart(&self, cart: &str) -> i64 {
        self.by_cart.get(cart).copied().unwrap_or(0)
    }

    /// Units held in all.
    pub fn total(&self) -> i64 {
        self.total
    }

    /// The soonest expiry.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        self.by_expiry.first().map(|(t, _)| *t)
    }

    /// Ids of holds expired at `now`, soonest first.
    pub fn due(&self, now: Timestamp) -> Vec<(Timestamp, String)> {
        self.by_expiry.iter().take_while(|(t, _)| *t <= now).cloned().collect()
    }

    /// Adds an active hold.
    pub fn insert(&mut self, hold: Hold) {
        self.index(&hold, 1);
        self.by_id.insert(hold.id.clone(), hold);
    }

    /// Removes a hold, returning it.
    pub fn remove(&mut self, id: &str) -> Option<Hold> {
        let hold = self.by_id.remove(id)?;
        self.index(&hold, -1);
        Some(hold)
    }

    /// Moves `units` of a hold's placement from one location to another.
    pub fn move_units(&mut self, id: &str, from: &str, to: &str, units: i64) {
        let Some(hold) = self.by_id.get_mut(id) else { return };
        bump(&mut hold.placed, from, -units);
        bump(&mut hold.placed, to, units);
        bump(&mut self.by_location, from, -units);
        bump(&mut self.by_location, to, units);
    }

    fn index(&mut self, hold: &Hold, sign: i64) {
        for (l, q) in &hold.placed {
            bump(&mut self.by_location, l, sign * q);
        }
        bump(&mut self.by_channel, &hold.channel, sign * hold.quantity);
        bump(&mut self.by_cart, &hold.cart_id, sign * hold.quantity);
        self.total += sign * hold.quantity;
        if sign > 0 {
            self.by_expiry.insert((hold.expires_at, hold.id.clone()));
        } else {
            self.by_expiry.remove(&(hold.expires_at, hold.id.clone()));
        }
    }
}

/// Adds `delta` to `key`, forgetting keys that come to hold nothing so the maps stay small.
fn bump(map: &mut BTreeMap<String, i64>, key: &str, delta: i64) {
    let v = entry(map, key);
    *v += delta;
    if *v == 0 {
        map.remove(key);
    }
}

impl Serialize for ActiveHolds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.by_id.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ActiveHolds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let by_id = BTreeMap::<String, Hold>::deserialize(d)?;
        let mut holds = ActiveHolds::default();
        for (_, h) in by_id {
            holds.insert(h);
        }
        Ok(holds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(id: &str, cart: &str, placed: &[(&str, i64)], expires: i64) -> Hold {
        Hold {
            id: id.into(),
            cart_id: cart.into(),
            channel: "web".into(),
            quantity: placed.iter().map(|(_, q)| q).sum(),
            expires_at: Timestamp(expires),
            created_at: Timestamp(0),
            state: HoldState::Active,
            placed: placed.iter().map(|(l, q)| (l.to_string(), *q)).collect(),
            settled_at: Timestamp(0),
        }
    }

    #[test]
    fn indexes_follow_inserts_moves_and_removals() {
        let mut h = ActiveHolds::default();
        h.insert(hold("a", "c1", &[("w", 2)], 20));
        h.insert(hold("b", "c1", &[("w", 1), ("s", 1)], 10));
        assert_eq!(
            (h.at_location("w"), h.at_location("s"), h.in_cart("c1"), h.on_channel("web"), h.total()),
            (3, 1, 4, 4, 4)
        );
        assert_eq!(h.next_expiry(), Some(Timestamp(10)));
        h.move_units("a", "w", "s", 2);
        assert_eq!((h.at_location("w"), h.at_location("s")), (1, 3));
        assert_eq!(h.get("a").unwrap().placed, BTreeMap::from([("s".to_string(), 2)]));
        assert_eq!(h.due(Timestamp(15)).len(), 1);
        h.remove("b");
        assert_eq!((h.at_location("w"), h.at_location("s"), h.in_cart("c1"), h.total()), (0, 2, 2, 2));
        let back: ActiveHolds = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!((back.at_location("s"), back.next_expiry()), (2, Some(Timestamp(20))));
    }
}
