//! Oversell incidents: a location left below zero, and the online orders it can no longer fill.
//!
//! The edge commits online orders against a location's units; the register sells the same
//! shelf and the PoS tells us after. When a movement takes a location below zero (a PoS sale of
//! units already committed online, waste, a count, a transfer), the units short belong to
//! orders already taken. Orders are picked in the order they are filled, oldest first, so the
//! ones the shortfall cannot cover are the **newest**: an incident names them, newest first,
//! with what other locations of their channel still have free to fill them instead.
//!
//! One incident stays open per location until the operator closes it: a later movement that
//! takes the same location deeper below zero adds to it (more units short, more orders named).
//!
//! Everything here takes plain inputs (units, orders, free units elsewhere); the SKU feeds it.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::names::STORE_CHANNEL;
use crate::Timestamp;

/// Online orders remembered per location: enough to name every order a shortfall can reach.
pub const ORDERS_KEPT: usize = 200;
/// Open incidents kept per SKU; past it the oldest is dropped (the operator has been told).
pub const MAX_OPEN: usize = 50;

/// One online order's units at one location (an edge commit, or a PoS sale on a channel other
/// than the store's, which carries the order's id as its event id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineOrder {
    /// The order id.
    pub order_id: String,
    /// The channel it was sold on.
    pub channel: String,
    /// Units it took from the location.
    pub units: i64,
    /// When it was committed.
    pub committed_at: Timestamp,
}

/// Why a location went short.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A PoS sale took units already committed to online orders.
    PosSaleOnOnlineOrders,
    /// Another movement (waste, adjustment, count, transfer, a sale with no online order at
    /// stake) left the location below zero.
    BelowZero,
}

/// Free units at another location of an order's channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillFrom {
    /// The location.
    pub location: String,
    /// Units on hand there and not held.
    pub free: i64,
}

/// One incident (`GET /admin/incidents`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `{sku}~{n}`: unique per SKU, and it names the SKU it belongs to.
    pub id: String,
    /// The SKU.
    pub sku: String,
    /// Where stock went below zero.
    pub location: String,
    /// Units short at the location.
    pub short: i64,
    /// The online orders that stock can no longer cover, newest first.
    pub orders: Vec<OnlineOrder>,
    /// Why.
    pub cause: Cause,
    /// The movement that opened it (or last deepened it): `provider:event_id`.
    pub movement: String,
    /// When it was first detected.
    pub detected_at: Timestamp,
    /// When it last grew.
    pub updated_at: Timestamp,
    /// Other locations of the orders' channels with free units.
    pub fill_from: Vec<FillFrom>,
    /// Whether those locations together could fill every named order's units.
    pub fillable: bool,
    /// When the operator closed it (`null`: open).
    pub closed_at: Option<Timestamp>,
}

impl Incident {
    /// Whether it is still open.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

/// The id of a SKU's incident number `n`. `~` is not in SKU ids the catalog writes, and the
/// id is split at its last `~`, so any SKU id still reads back.
pub fn incident_id(sku: &str, n: u64) -> String {
    format!("{sku}~{n}")
}

/// The SKU an incident id names, if it is one.
pub fn sku_of(id: &str) -> Option<&str> {
    let (sku, n) = id.rsplit_once('~')?;
    (!sku.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(sku)
}

/// What one movement did to one location, for [`Incidents::after_movement`].
#[derive(Clone, Debug)]
pub struct Shortfall<'a> {
    /// The SKU.
    pub sku: &'a str,
    /// The location.
    pub location: &'a str,
    /// Units on hand before the movement.
    pub before: i64,
    /// Units on hand after it.
    pub after: i64,
    /// Whether it was a PoS sale (not an edge commit).
    pub pos_sale: bool,
    /// `provider:event_id` of the movement.
    pub movement: String,
    /// When.
    pub now: Timestamp,
}

/// A SKU's online orders and open incidents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incidents {
    /// Recent online orders per location, oldest first.
    orders: BTreeMap<String, VecDeque<OnlineOrder>>,
    /// Open incidents by id.
    open: BTreeMap<String, Incident>,
    /// The last incident number given.
    last: u64,
}

impl Incidents {
    /// Remembers an online order's units at a location. Sales on the store channel are the
    /// shopper walking out with the unit: no order to fill later.
    pub fn order_committed(&mut self, location: &str, order: OnlineOrder) {
        if order.channel == STORE_CHANNEL || order.units <= 0 {
            return;
        }
        let list = crate::entry(&mut self.orders, location);
        list.push_back(order);
        while list.len() > ORDERS_KEPT {
            list.pop_front();
        }
    }

    /// Checks a movement: when it took `location` deeper below zero, opens an incident or adds
    /// to the open one, and returns it (to store). `free_elsewhere(channel)` lists the other
    /// locations of a channel with their free units.
    pub fn after_movement(
        &mut self,
        m: Shortfall<'_>,
        free_elsewhere: impl Fn(&str) -> Vec<FillFrom>,
    ) -> Option<Incident> {
        if m.after >= 0 || m.after >= m.before {
            return None;
        }
        let short = -m.after;
        let orders = self.newest_covering(m.location, short);
        let cause = if m.pos_sale && !orders.is_empty() { Cause::PosSaleOnOnlineOrders } else { Cause::BelowZero };
        let mut fill_from: Vec<FillFrom> = Vec::new();
        for channel in orders.iter().map(|o| o.channel.as_str()).collect::<std::collections::BTreeSet<_>>() {
            for f in free_elsewhere(channel) {
                if f.location != m.location && f.free > 0 && !fill_from.iter().any(|x| x.location == f.location) {
                    fill_from.push(f);
                }
            }
        }
        let needed: i64 = orders.iter().map(|o| o.units).sum();
        let fillable = !orders.is_empty() && fill_from.iter().map(|f| f.free).sum::<i64>() >= needed;
        let existing = self.open.values().find(|i| i.location == m.location).map(|i| i.id.clone());
        let incident = match existing {
            Some(id) => {
                let i = self.open.get_mut(&id).expect("found above");
                i.short = short;
                i.orders = orders;
                if cause == Cause::PosSaleOnOnlineOrders {
                    i.cause = cause;
                }
                i.movement = m.movement;
                i.updated_at = m.now;
                i.fill_from = fill_from;
                i.fillable = fillable;
                i.clone()
            }
            None => {
                self.last += 1;
                let i = Incident {
                    id: incident_id(m.sku, self.last),
                    sku: m.sku.to_string(),
                    location: m.location.to_string(),
                    short,
                    orders,
                    cause,
                    movement: m.movement,
                    detected_at: m.now,
                    updated_at: m.now,
                    fill_from,
                    fillable,
                    closed_at: None,
                };
                self.open.insert(i.id.clone(), i.clone());
                while self.open.len() > MAX_OPEN {
                    let oldest = self.open.values().min_by_key(|i| (i.detected_at, i.id.clone())).map(|i| i.id.clone());
                    if let Some(o) = oldest {
                        self.open.remove(&o);
                    }
                }
                i
            }
        };
        Some(incident)
    }

    /// The newest orders at `location` whose units reach `short`, newest first.
    fn newest_covering(&self, location: &str, short: i64) -> Vec<OnlineOrder> {
        let mut left = short;
        let mut named = Vec::new();
        for o in self.orders.get(location).into_iter().flat_map(|l| l.iter().rev()) {
            if left <= 0 {
                break;
            }
            left -= o.units;
            named.push(o.clone());
        }
        named
    }

    /// Closes an open incident; returns it closed (to store), or `None` when no open incident
    /// has that id. Closing twice is a no-op (`None`).
    pub fn close(&mut self, id: &str, now: Timestamp) -> Option<Incident> {
        let mut i = self.open.remove(id)?;
        i.closed_at = Some(now);
        Some(i)
    }

    /// Open incidents, newest first.
    pub fn open(&self) -> Vec<&Incident> {
        let mut v: Vec<&Incident> = self.open.values().collect();
        v.sort_by(|a, b| b.detected_at.cmp(&a.detected_at).then_with(|| b.id.cmp(&a.id)));
        v
    }

    /// Rebuilds from stored incident rows (any order) and recent online orders per location,
    /// oldest first.
    pub fn restore(rows: Vec<Incident>, orders: Vec<(String, OnlineOrder)>) -> Incidents {
        let mut s = Incidents::default();
        for i in rows {
            let n = i.id.rsplit_once('~').and_then(|(_, n)| n.parse().ok()).unwrap_or(0);
            s.last = s.last.max(n);
            if i.is_open() {
                s.open.insert(i.id.clone(), i);
            }
        }
        for (location, o) in orders {
            s.order_committed(&location, o);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str, channel: &str, units: i64, at: i64) -> OnlineOrder {
        OnlineOrder { order_id: id.into(), channel: channel.into(), units, committed_at: Timestamp(at) }
    }

    fn shortfall(before: i64, after: i64, pos_sale: bool, at: i64) -> Shortfall<'static> {
        Shortfall { sku: "tee", location: "shop", before, after, pos_sale, movement: format!("square:{at}"), now: Timestamp(at) }
    }

    fn none(_: &str) -> Vec<FillFrom> {
        Vec::new()
    }

    #[test]
    fn names_the_newest_orders_the_shortfall_reaches() {
        let mut inc = Incidents::default();
        for (n, units) in [("o1", 1), ("o2", 2), ("o3", 1), ("o4", 1)] {
            inc.order_committed("shop", order(n, "web", units, 10));
        }
        inc.order_committed("shop", order("walk-in", "store", 1, 11));
        let i = inc.after_movement(shortfall(0, -3, true, 20), none).unwrap();
        assert_eq!(i.short, 3);
        let ids: Vec<&str> = i.orders.iter().map(|o| o.order_id.as_str()).collect();
        assert_eq!(ids, ["o4", "o3", "o2"], "newest first, until their units reach 3");
        assert_eq!(i.cause, Cause::PosSaleOnOnlineOrders);
        assert!(!i.fillable);
        assert_eq!(sku_of(&i.id), Some("tee"));
    }

    #[test]
    fn a_deeper_shortfall_adds_to_the_open_incident() {
        let mut inc = Incidents::default();
        for n in ["o1", "o2", "o3"] {
            inc.order_committed("shop", order(n, "web", 1, 10));
        }
        let first = inc.after_movement(shortfall(0, -1, true, 20), none).unwrap();
        assert!(inc.after_movement(shortfall(-1, -1, false, 21), none).is_none(), "not deeper");
        assert!(inc.after_movement(shortfall(-2, -1, false, 22), none).is_none(), "a return eases it");
        let second = inc.after_movement(shortfall(-1, -2, true, 23), none).unwrap();
        assert_eq!(first.id, second.id);
        assert_eq!(second.short, 2);
        assert_eq!(second.detected_at, Timestamp(20));
        assert_eq!(second.orders.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(), ["o3", "o2"]);
        assert_eq!(inc.open().len(), 1);
        let closed = inc.close(&first.id, Timestamp(30)).unwrap();
        assert_eq!(closed.closed_at, Some(Timestamp(30)));
        assert!(inc.close(&first.id, Timestamp(31)).is_none());
        let third = inc.after_movement(shortfall(-2, -3, true, 40), none).unwrap();
        assert_ne!(third.id, first.id, "after closing, a new one");
    }

    #[test]
    fn says_where_the_orders_could_still_be_filled() {
        let mut inc = Incidents::default();
        inc.order_committed("shop", order("o1", "web", 2, 10));
        let elsewhere = |c: &str| {
            assert_eq!(c, "web");
            vec![
                FillFrom { location: "shop".into(), free: 5 },
                FillFrom { location: "warehouse".into(), free: 3 },
                FillFrom { location: "annex".into(), free: 0 },
            ]
        };
        let i = inc.after_movement(shortfall(1, -1, true, 20), elsewhere).unwrap();
        assert_eq!(i.fill_from, vec![FillFrom { location: "warehouse".into(), free: 3 }]);
        assert!(i.fillable);
    }

    #[test]
    fn waste_with_no_order_at_stake_is_below_zero() {
        let mut inc = Incidents::default();
        let i = inc.after_movement(shortfall(0, -2, false, 20), none).unwrap();
        assert_eq!(i.cause, Cause::BelowZero);
        assert!(i.orders.is_empty());
        assert!(!i.fillable);
        let v = serde_json::to_value(&i).unwrap();
        assert_eq!(v["cause"], "below_zero");
        assert_eq!(v["short"], 2);
        assert!(v["closed_at"].is_null());
    }

    #[test]
    fn restores_numbering_and_open_ones() {
        let mut inc = Incidents::default();
        inc.order_committed("shop", order("o1", "web", 1, 10));
        let a = inc.after_movement(shortfall(0, -1, true, 20), none).unwrap();
        let closed = inc.close(&a.id, Timestamp(21)).unwrap();
        let b = inc.after_movement(shortfall(-1, -2, true, 22), none).unwrap();
        let back = Incidents::restore(vec![b.clone(), closed], vec![("shop".into(), order("o1", "web", 1, 10))]);
        assert_eq!(back.open(), vec![&b]);
        let mut back = back;
        back.close(&b.id, Timestamp(23));
        let c = back.after_movement(shortfall(-2, -3, true, 24), none).unwrap();
        assert_eq!(c.id, incident_id("tee", 3));
        assert_eq!(c.orders[0].order_id, "o1");
    }

    #[test]
    fn reads_the_sku_from_an_id() {
        assert_eq!(sku_of("linen~shirt~12"), Some("linen~shirt"));
        assert_eq!(sku_of("tee~x"), None);
        assert_eq!(sku_of("~3"), None);
        assert_eq!(sku_of("tee"), None);
    }
}
