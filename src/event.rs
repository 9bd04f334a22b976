//! Inventory-affecting events: the generic wire format (`/webhooks/lastunit`, `/admin/events`)
//! and its checked form. PoS counts become events through [`PosCount::event`](crate::pos::PosCount::event).
//!
//! ## Event times
//! A sender's `occurred_at` more than [`MAX_AHEAD_MS`] (300 s) ahead of the edge's clock is
//! refused (`invalid_input`, field `occurred_at`): one skewed clock or one typo must not date an
//! event in the future, where it would outrank everything that really comes later. A provider's
//! own timestamp that far ahead is taken as the moment the delivery arrived instead, since a PoS
//! would retry a refused delivery forever. Within the tolerance, the engine never takes an event
//! as later than the moment it applies it (see [`Sku::apply`](crate::Sku::apply)).

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::catalog::MAX_UNITS;
use crate::names::{check_channel, check_id, check_location, check_sku, STORE_CHANNEL};
use crate::time::SECOND;
use crate::{Error, Timestamp};

/// How far ahead of the edge's clock an event's time may be: 300 s.
pub const MAX_AHEAD_MS: i64 = 300 * SECOND;

/// Refuses an `occurred_at` more than [`MAX_AHEAD_MS`] ahead of `now`.
fn check_time(occurred_at: Timestamp, now: Timestamp) -> Result<(), Error> {
    if occurred_at > now.plus(MAX_AHEAD_MS) {
        return Err(Error::invalid(
            "occurred_at",
            format!(
                "is {occurred_at}, more than {} s ahead of the edge's clock ({now}); send the time the event happened",
                MAX_AHEAD_MS / SECOND
            ),
        ));
    }
    Ok(())
}

/// What an event is: its `type` on the wire and in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum EventKind {
    /// `sale`: units sold on a channel.
    Sale,
    /// `return`: units brought back.
    Return,
    /// `receive`: units received from a supplier or a transfer.
    Receive,
    /// `adjust`: a signed correction.
    Adjust,
    /// `transfer`: units leave for another location.
    Transfer,
    /// `waste`: units thrown away.
    Waste,
    /// `count`: an absolute count of units on hand.
    Count,
}

impl EventKind {
    /// Every kind, in the contract's order.
    pub const ALL: [EventKind; 7] = [
        EventKind::Sale,
        EventKind::Return,
        EventKind::Receive,
        EventKind::Adjust,
        EventKind::Transfer,
        EventKind::Waste,
        EventKind::Count,
    ];

    /// Its `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Sale => "sale",
            EventKind::Return => "return",
            EventKind::Receive => "receive",
            EventKind::Adjust => "adjust",
            EventKind::Transfer => "transfer",
            EventKind::Waste => "waste",
            EventKind::Count => "count",
        }
    }
}

impl FromStr for EventKind {
    type Err = Error;

    /// A `type` string; any other is refused as field `type`, naming the ones there are.
    fn from_str(s: &str) -> Result<Self, Error> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            Error::invalid("type", format!("`{s}` is not one of {}", names.join(", ")))
        })
    }
}

impl TryFrom<String> for EventKind {
    type Error = Error;

    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<EventKind> for &'static str {
    fn from(k: EventKind) -> Self {
        k.as_str()
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The generic event as it arrives on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// The sender's id for this event; a second delivery with the same id changes nothing.
    pub event_id: String,
    /// What it is.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The SKU.
    pub sku: String,
    /// Where it happened.
    pub location: String,
    /// Units (signed for `adjust`, absolute for `count`).
    pub quantity: i64,
    /// The channel that sold or took the return (default `store`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// When it happened (default: when it arrived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Timestamp>,
    /// `return`: the channel the unit was bought on (default: `channel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_channel: Option<String>,
    /// `return`, `adjust`, `waste`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `return`: whether the unit goes back on the shelf (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restock: Option<bool>,
    /// `receive`: the purchase order this receiving closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_id: Option<String>,
    /// `transfer`: the destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_location: Option<String>,
    /// `receive`: the `event_id` of the transfer whose units arrive (lands in-transit units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<String>,
}

/// Who sent an event: the provider and its id for the delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `shopify`, `square`, `lightspeed`, `clover`, `lastunit`, `admin` or `edge`.
    pub provider: String,
    /// The provider's event id (unique per provider).
    pub event_id: String,
}

impl Source {
    /// The key under which the event is remembered for deduplication.
    pub fn key(&self) -> String {
        format!("{}:{}", self.provider, self.event_id)
    }
}

/// What an event does to stock, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Movement {
    /// Units sold on `channel`.
    Sale {
        /// The selling channel.
        channel: String,
        /// Units sold (> 0).
        quantity: i64,
    },
    /// Units brought back on `channel`, bought on `origin_channel`.
    Return {
        /// Where it came back.
        channel: String,
        /// Where it was bought.
        origin_channel: String,
        /// Units (> 0).
        quantity: i64,
        /// Why (free text, counted on the dashboard).
        reason: String,
        /// False: the unit is kept out of sellable stock.
        restock: bool,
    },
    /// Units received (from a supplier, or a transfer arriving).
    Receive {
        /// Units (> 0).
        quantity: i64,
        /// The purchase order it closes.
        po_id: Option<String>,
        /// The transfer whose in-transit units land here.
        transfer_id: Option<String>,
    },
    /// A signed correction.
    Adjust {
        /// Units (non-zero).
        quantity: i64,
        /// Why.
        reason: String,
    },
    /// Units leave for `to_location` and are in transit (not sellable) until received there.
    Transfer {
        /// Destination.
        to_location: String,
        /// Units (> 0).
        quantity: i64,
    },
    /// Units thrown away.
    Waste {
        /// Units (> 0).
        quantity: i64,
        /// Why.
        reason: String,
    },
    /// An absolute count of units on hand (a physical count, or a PoS's level).
    Count {
        /// Units on hand (>= 0).
        quantity: i64,
    },
}

impl Movement {
    /// What kind of event it is.
    pub fn kind(&self) -> EventKind {
        match self {
            Movement::Sale { .. } => EventKind::Sale,
            Movement::Return { .. } => EventKind::Return,
            Movement::Receive { .. } => EventKind::Receive,
            Movement::Adjust { .. } => EventKind::Adjust,
            Movement::Transfer { .. } => EventKind::Transfer,
            Movement::Waste { .. } => EventKind::Waste,
            Movement::Count { .. } => EventKind::Count,
        }
    }
}

/// A checked event for one SKU at one location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockEvent {
    /// Who sent it.
    pub source: Source,
    /// The SKU.
    pub sku: String,
    /// Where it happened.
    pub location: String,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// What it does.
    pub movement: Movement,
    /// The key of the sale this return gives back (a cancelled order line): it moves stock only
    /// if that sale was applied, and a sale arriving after it is already given back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// An order a connected store took: the location's PoS has not seen it, so counts treat it
    /// like a checkout at the edge (`stock.rs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub online: bool,
}

const MAX_REASON: usize = 200;

impl EventBody {
    /// A body of `kind` with only the fields every event has; the others are for the caller to
    /// fill in.
    pub fn new(kind: EventKind, event_id: &str, sku: &str, location: &str, quantity: i64) -> Self {
        EventBody {
            event_id: event_id.to_string(),
            kind,
            sku: sku.to_string(),
            location: location.to_string(),
            quantity,
            channel: None,
            occurred_at: None,
            origin_channel: None,
            reason: None,
            restock: None,
            po_id: None,
            to_location: None,
            transfer_id: None,
        }
    }

    /// Checks the body and turns it into a [`StockEvent`] from `provider`. `now` fills a
    /// missing `occurred_at` and bounds a given one (see [Event times](self#event-times));
    /// nothing here looks at the catalog.
    pub fn check(&self, provider: &str, now: Timestamp) -> Result<StockEvent, Error> {
        check_id("event_id", &self.event_id)?;
        if let Some(at) = self.occurred_at {
            check_time(at, now)?;
        }
        check_sku(&self.sku)?;
        check_location(&self.location)?;
        let q = self.quantity;
        let max = i64::from(MAX_UNITS);
        let positive = || {
            if (1..=max).contains(&q) {
                Ok(q)
            } else {
                Err(Error::invalid("quantity", format!("must be a whole number from 1 to {max}")))
            }
        };
        let channel = self.channel.clone().unwrap_or_else(|| STORE_CHANNEL.to_string());
        check_channel(&channel)?;
        let reason = self.reason.clone().unwrap_or_default();
        if reason.len() > MAX_REASON {
            return Err(Error::invalid("reason", format!("must be at most {MAX_REASON} characters")));
        }
        let movement = match self.kind {
            EventKind::Sale => Movement::Sale { channel, quantity: positive()? },
            EventKind::Return => {
                let origin_channel = self.origin_channel.clone().unwrap_or_else(|| channel.clone());
                check_channel(&origin_channel)
                    .map_err(|_| Error::invalid("origin_channel", "must match [a-z0-9_-]{1,32}"))?;
                Movement::Return {
                    channel,
                    origin_channel,
                    quantity: positive()?,
                    reason: if reason.is_empty() { "unspecified".into() } else { reason },
                    restock: self.restock.unwrap_or(true),
                }
            }
            EventKind::Receive => {
                if let Some(po) = &self.po_id {
                    check_id("po_id", po)?;
                }
                if let Some(t) = &self.transfer_id {
                    check_id("transfer_id", t)?;
                }
                if self.po_id.is_some() && self.transfer_id.is_some() {
                    return Err(Error::invalid("po_id", "and `transfer_id` cannot both be given"));
                }
                Movement::Receive {
                    quantity: positive()?,
                    po_id: self.po_id.clone(),
                    transfer_id: self.transfer_id.clone(),
                }
            }
            EventKind::Adjust => {
                if q == 0 || q.abs() > max {
                    return Err(Error::invalid(
                        "quantity",
                        format!("must be a non-zero whole number from -{max} to {max}"),
                    ));
                }
                if reason.is_empty() {
                    return Err(Error::invalid("reason", "is required for an adjustment"));
                }
                Movement::Adjust { quantity: q, reason }
            }
            EventKind::Transfer => {
                let to = self
                    .to_location
                    .clone()
                    .ok_or_else(|| Error::invalid("to_location", "is required for a transfer"))?;
                check_location(&to).map_err(|_| Error::invalid("to_location", "must match [a-z0-9_-]{1,32}"))?;
                if to == self.location {
                    return Err(Error::invalid("to_location", "must differ from `location`"));
                }
                Movement::Transfer { to_location: to, quantity: positive()? }
            }
            EventKind::Waste => Movement::Waste {
                quantity: positive()?,
                reason: if reason.is_empty() { "unspecified".into() } else { reason },
            },
            EventKind::Count => {
                if !(0..=max).contains(&q) {
                    return Err(Error::invalid("quantity", format!("must be a whole number from 0 to {max}")));
                }
                Movement::Count { quantity: q }
            }
        };
        Ok(StockEvent {
            source: Source { provider: provider.to_string(), event_id: self.event_id.clone() },
            sku: self.sku.clone(),
            location: self.location.clone(),
            occurred_at: self.occurred_at.unwrap_or(now),
            movement,
            undoes: None,
            online: false,
        })
    }
}

/// The most events one generic delivery or `/admin/events` request may carry.
pub const MAX_BATCH: usize = 500;

/// Reads and checks a batch in either of its two shapes: one event, or `{"events": [...]}` with
/// 1 to [`MAX_BATCH`] events, each checked as from `provider`. The first refusal refuses the
/// whole batch and names the event by its position, so nothing is half applied.
pub fn check_batch(json: &serde_json::Value, provider: &str, now: Timestamp) -> Result<Vec<StockEvent>, Error> {
    let one = |position: Option<usize>, v: &serde_json::Value| -> Result<StockEvent, Error> {
        let which = position.map_or_else(|| "the event".to_string(), |i| format!("event {i}"));
        let named = |e: Error| match e {
            Error::InvalidInput { field, reason } if position.is_some() => {
                Error::InvalidInput { field, reason: format!("{reason} ({which})") }
            }
            other => other,
        };
        let body = EventBody::deserialize(v).map_err(|e| {
            // An unknown `type` is a bad value of a field every event has (field `type`), not an
            // unreadable event.
            match v.get("type").and_then(|t| t.as_str()).map(str::parse::<EventKind>) {
                Some(Err(unknown)) => named(unknown),
                _ => Error::invalid("events", format!("{which} cannot be read: {e}")),
            }
        })?;
        body.check(provider, now).map_err(named)
    };
    match json.get("events") {
        Some(list) if json.as_object().is_some_and(|o| o.len() == 1) => {
            let list = list.as_array().ok_or_else(|| Error::invalid("events", "must be a list"))?;
            if list.is_empty() || list.len() > MAX_BATCH {
                return Err(Error::invalid("events", format!("must hold 1 to {MAX_BATCH} events")));
            }
            list.iter().enumerate().map(|(i, v)| one(Some(i), v)).collect()
        }
        _ => Ok(vec![one(None, json)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> EventBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn checks_the_contract_example() {
        let e = body(r#"{"event_id":"e-991","type":"sale","sku":"A","location":"main-st","quantity":1,"channel":"store","occurred_at":"2026-11-26T10:00:00Z"}"#)
            .check("lastunit", Timestamp::parse("2026-11-26T10:00:01Z").unwrap())
            .unwrap();
        assert_eq!(e.movement, Movement::Sale { channel: "store".into(), quantity: 1 });
        assert_eq!(e.occurred_at.to_string(), "2026-11-26T10:00:00Z");
        assert_eq!(e.source.key(), "lastunit:e-991");
    }

    #[test]
    fn refuses_bad_events_with_the_field_at_fault() {
        let cases = [
            (r#"{"event_id":"e","type":"sale","sku":"A","location":"m","quantity":0}"#, "quantity"),
            (r#"{"event_id":"e","type":"sale","sku":"A","location":"m","quantity":9999999}"#, "quantity"),
            (r#"{"event_id":"e","type":"count","sku":"A","location":"m","quantity":-1}"#, "quantity"),
            (r#"{"event_id":"e","type":"adjust","sku":"A","location":"m","quantity":2}"#, "reason"),
            (r#"{"event_id":"e","type":"transfer","sku":"A","location":"m","quantity":2}"#, "to_location"),
            (r#"{"event_id":"e","type":"steal","sku":"A","location":"m","quantity":2}"#, "type"),
            (r#"{"event_id":"","type":"sale","sku":"A","location":"m","quantity":2}"#, "event_id"),
            (r#"{"event_id":"e","type":"sale","sku":"A B","location":"m","quantity":2}"#, "sku"),
        ];
        for (json, field) in cases {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            match check_batch(&v, "lastunit", Timestamp(0)) {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field, "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_unknown_type_is_refused_naming_the_types_there_are() {
        let steal = r#"{"event_id":"e","type":"steal","sku":"A","location":"m","quantity":2}"#;
        let expected = "`type` `steal` is not one of sale, return, receive, adjust, transfer, waste, count";
        let v: serde_json::Value = serde_json::from_str(steal).unwrap();
        assert_eq!(check_batch(&v, "admin", Timestamp(0)).unwrap_err().to_string(), expected);
        let batch = serde_json::json!({"events": [v.clone()]});
        assert_eq!(
            check_batch(&batch, "admin", Timestamp(0)).unwrap_err().to_string(),
            format!("{expected} (event 0)")
        );
        // Read alone (the JavaScript engine reads bodies so), the same sentence says why.
        let read = serde_json::from_str::<EventBody>(steal).unwrap_err().to_string();
        assert!(read.contains(expected), "{read}");
    }

    #[test]
    fn every_kind_has_one_name_on_the_wire_in_the_ledger_and_in_movement() {
        let movements = [
            Movement::Sale { channel: "web".into(), quantity: 1 },
            Movement::Return {
                channel: "web".into(),
                origin_channel: "web".into(),
                quantity: 1,
                reason: "r".into(),
                restock: true,
            },
            Movement::Receive { quantity: 1, po_id: None, transfer_id: None },
            Movement::Adjust { quantity: 1, reason: "r".into() },
            Movement::Transfer { to_location: "m".into(), quantity: 1 },
            Movement::Waste { quantity: 1, reason: "r".into() },
            Movement::Count { quantity: 1 },
        ];
        assert_eq!(movements.iter().map(Movement::kind).collect::<Vec<_>>(), EventKind::ALL);
        for m in &movements {
            let kind = m.kind();
            assert_eq!(serde_json::to_value(m).unwrap()["type"], kind.as_str(), "{m:?}");
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(serde_json::from_value::<EventKind>(kind.as_str().into()).unwrap(), kind);
            assert_eq!(kind.to_string().parse::<EventKind>().unwrap(), kind);
        }
    }

    #[test]
    fn an_event_time_more_than_300_s_ahead_is_refused() {
        let now = Timestamp::parse("2026-11-26T10:00:00Z").unwrap();
        let at = |t: &str| {
            body(&format!(
                r#"{{"event_id":"e","type":"count","sku":"A","location":"m","quantity":9,"occurred_at":"{t}"}}"#
            ))
            .check("lastunit", now)
        };
        assert!(at("2026-11-26T10:05:00Z").is_ok(), "300 s of clock skew is tolerated");
        assert!(at("2026-11-26T09:00:00Z").is_ok(), "the past is fine");
        for t in ["2026-11-26T10:05:00.001Z", "2027-12-01T00:00:00Z"] {
            match at(t) {
                Err(e @ Error::InvalidInput { field: "occurred_at", .. }) => {
                    assert_eq!((e.code(), e.http_status()), ("invalid_input", 422))
                }
                other => panic!("{t}: {other:?}"),
            }
        }
        let v = serde_json::json!({"events": [
            {"event_id":"a","type":"sale","sku":"A","location":"m","quantity":1},
            {"event_id":"b","type":"sale","sku":"A","location":"m","quantity":1,"occurred_at":"2027-12-01T00:00:00Z"},
        ]});
        match check_batch(&v, "admin", now) {
            Err(Error::InvalidInput { field: "occurred_at", reason }) => {
                assert!(reason.ends_with("(event 1)"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_one_event_or_a_batch() {
        let e = r#"{"event_id":"e","type":"sale","sku":"A","location":"m","quantity":1}"#;
        let v = |j: &str| serde_json::from_str::<serde_json::Value>(j).unwrap();
        assert_eq!(check_batch(&v(e), "admin", Timestamp(0)).unwrap().len(), 1);
        let two = format!(r#"{{"events":[{e},{}]}}"#, e.replace(r#""e""#, r#""f""#));
        let events = check_batch(&v(&two), "admin", Timestamp(0)).unwrap();
        assert_eq!(events.iter().map(|e| e.source.key()).collect::<Vec<_>>(), ["admin:e", "admin:f"]);
    }

    #[test]
    fn a_batch_is_refused_whole_naming_the_event_at_fault() {
        let v = |j: &str| serde_json::from_str::<serde_json::Value>(j).unwrap();
        let ok = r#"{"event_id":"e","type":"sale","sku":"A","location":"m","quantity":1}"#;
        let bad = ok.replace(r#""quantity":1"#, r#""quantity":0"#);
        match check_batch(&v(&format!(r#"{{"events":[{ok},{bad}]}}"#)), "admin", Timestamp(0)) {
            Err(Error::InvalidInput { field: "quantity", reason }) => {
                assert!(reason.ends_with("(event 1)"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let unreadable = ok.replace(r#""sku":"A","#, "");
        let err = check_batch(&v(&format!(r#"{{"events":[{unreadable}]}}"#)), "admin", Timestamp(0)).unwrap_err();
        assert!(err.to_string().contains("event 0 cannot be read"), "{err}");
        assert!(check_batch(&v(r#"{"events":[]}"#), "admin", Timestamp(0)).is_err());
        let many = format!(r#"{{"events":[{}]}}"#, vec![ok; MAX_BATCH + 1].join(","));
        assert!(check_batch(&v(&many), "admin", Timestamp(0)).is_err());
    }
}
