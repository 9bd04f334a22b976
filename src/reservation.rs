//! Checkout holds: units set aside for one cart on one channel until they are committed,
//! released, or expire.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::MAX_UNITS;
use crate::names::{check_id, check_sku};
use crate::{entry, Error, ReservationLine, ReservationRequest, Timestamp};

/// Most lines one reservation may carry.
pub const MAX_LINES: usize = 100;
/// The longest hold anyone may ask for, in seconds (the checkout token's limit).
pub const MAX_TTL_SECONDS: i64 = 3600;

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
    /// The client (an opaque tag of the shopper's address) that opened the cart with the
    /// storefront key; `None` for the checkout server's holds, which no client cap counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
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
    /// The client asking through the public storefront key, if any: `max_per_cart` then also
    /// caps the units all of that client's carts hold at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The channel.
    pub channel: String,
    /// Units (> 0).
    pub quantity: i64,
    /// When it lapses.
    pub expires_at: Timestamp,
}

// The checks the edge makes on a request; the type itself is a wire type (`reservation_request`).
impl ReservationRequest {
    /// The lines to hold, one per SKU, in the order first named, once the cart id and every line
    /// are checked. Every line is checked as it was
    /// sent (a SKU name, 1 to 1,000,000 units) before a SKU named twice becomes one line of the
    /// summed quantity, so a negative line can never cancel another (`[{A,5},{A,-4}]` is refused,
    /// not a hold of 1). `max_per_cart` is then checked on the sum by the SKU, which bounds every
    /// line too.
    pub fn checked_lines(&self) -> Result<Vec<ReservationLine>, Error> {
        check_id("cart_id", &self.cart_id)?;
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            return Err(Error::invalid("lines", format!("must hold 1 to {MAX_LINES} lines")));
        }
        let mut merged: Vec<ReservationLine> = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            check_sku(&line.sku)?;
            if line.quantity <= 0 || line.quantity > i64::from(MAX_UNITS) {
                return Err(Error::invalid("quantity", format!("must be a whole number from 1 to {MAX_UNITS}")));
            }
            match merged.iter_mut().find(|m| m.sku == line.sku) {
                Some(m) => m.quantity += line.quantity,
                None => merged.push(line.clone()),
            }
        }
        Ok(merged)
    }

    /// How long the hold lasts: `ttl_seconds` must be 1 to 3,600; a caller whose holds last at
    /// most `cap` seconds (the public storefront key) gets `cap` when it asks for more.
    pub fn granted_ttl(&self, cap: i64) -> Result<i64, Error> {
        if !(1..=MAX_TTL_SECONDS).contains(&self.ttl_seconds) {
            return Err(Error::invalid(
                "ttl_seconds",
                format!("must be a whole number of seconds from 1 to {MAX_TTL_SECONDS}"),
            ));
        }
        Ok(self.ttl_seconds.min(cap.max(1)))
    }

    /// What identifies this request for its `Idempotency-Key`: a SHA-256 of the canonical
    /// request (cart, channel, ttl and the lines as sent, defaults filled in). The same body
    /// sent again has the same fingerprint whatever its spacing or key order.
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_string(self).expect("a request always serializes");
        let mut h = Sha256::new();
        h.update(b"lastunit-reservation-request-v1\0");
        h.update(canonical.as_bytes());
        hex::encode(&h.finalize()[..16])
    }
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
    by_client: BTreeMap<String, i64>,
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

    /// Units held by all the carts of `client`.
    pub fn of_client(&self, client: &str) -> i64 {
        self.by_client.get(client).copied().unwrap_or(0)
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
        if let Some(client) = &hold.client {
            bump(&mut self.by_client, client, sign * hold.quantity);
        }
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
            client: (cart == "c1").then(|| "ip-1".to_string()),
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
        assert_eq!((h.of_client("ip-1"), h.of_client("ip-2")), (4, 0));
        h.move_units("a", "w", "s", 2);
        assert_eq!((h.at_location("w"), h.at_location("s")), (1, 3));
        assert_eq!(h.get("a").unwrap().placed, BTreeMap::from([("s".to_string(), 2)]));
        assert_eq!(h.due(Timestamp(15)).len(), 1);
        h.remove("b");
        assert_eq!((h.at_location("w"), h.at_location("s"), h.in_cart("c1"), h.total()), (0, 2, 2, 2));
        assert_eq!(h.of_client("ip-1"), 2);
        let back: ActiveHolds = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!((back.at_location("s"), back.next_expiry()), (2, Some(Timestamp(20))));
    }

    fn request(lines: &[(&str, i64)]) -> ReservationRequest {
        ReservationRequest {
            cart_id: "c".into(),
            channel: "web".into(),
            ttl_seconds: 600,
            lines: lines.iter().map(|(s, q)| ReservationLine { sku: s.to_string(), quantity: *q }).collect(),
        }
    }

    #[test]
    fn every_line_is_checked_before_a_sku_named_twice_is_merged() {
        let merged = request(&[("A", 2), ("B", 1), ("A", 3)]).checked_lines().unwrap();
        assert_eq!(merged, request(&[("A", 5), ("B", 1)]).lines);
        for bad in [&[("A", 5), ("A", -4)][..], &[("A", 0), ("A", 1)], &[("A", 1), ("no/such", 1)], &[]] {
            assert!(request(bad).checked_lines().is_err(), "{bad:?}");
        }
        let no_cart = ReservationRequest { cart_id: String::new(), ..request(&[("A", 1)]) };
        assert_eq!(no_cart.checked_lines().unwrap_err().code(), "invalid_input");
        let too_many: Vec<(&str, i64)> = (0..=MAX_LINES).map(|_| ("A", 1)).collect();
        assert!(request(&too_many).checked_lines().is_err());
    }

    #[test]
    fn a_capped_caller_gets_at_most_its_cap_and_nobody_more_than_an_hour() {
        let mut r = request(&[("A", 1)]);
        r.ttl_seconds = 1200;
        assert_eq!((r.granted_ttl(900), r.granted_ttl(3600)), (Ok(900), Ok(1200)));
        for bad in [0, -1, 3601] {
            r.ttl_seconds = bad;
            assert!(r.granted_ttl(3600).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_fingerprint_is_the_request_not_its_spelling() {
        let spelled: ReservationRequest =
            serde_json::from_str(r#"{ "lines": [{"quantity": 1, "sku": "A"}], "cart_id": "c" }"#).unwrap();
        assert_eq!(spelled.fingerprint(), request(&[("A", 1)]).fingerprint());
        let mut other_cart = request(&[("A", 1)]);
        other_cart.cart_id = "d".into();
        let variants = [request(&[("A", 2)]), request(&[("A", 1), ("A", 1)]), other_cart];
        for v in variants {
            assert_ne!(v.fingerprint(), spelled.fingerprint(), "{v:?}");
        }
    }
}
