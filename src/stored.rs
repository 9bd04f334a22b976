//! The stored form of a SKU: a type of its own, versioned, read through explicit migrations from
//! every form an earlier release wrote.
//!
//! A SKU is stored as one snapshot ([`StoredSku`], small, rewritten when it changes) and rows:
//! one per hold ([`hold_json`]), one per applied event key, one per ledger entry. The snapshot
//! carries the format number. Rows are read by the same format as the snapshot beside them.
//!
//! | format | written by | shape |
//! | --- | --- | --- |
//! | 0 | the first releases | serde JSON of the in-memory `Sku`, no `format` field, with the last 20 ledger entries inside |
//! | 1 | the releases before connected stores | `format: 1`, no ledger inside (every entry is a row of its own) |
//! | 2 | this release | [`StoredSku`]: `format: 2`, and `square`, what Square is still to be told of (absent when nothing is); movements of a location may carry `k` (told to Square under this key) and `a` (acknowledged from then) |
//!
//! **Changing the shape.** A field added, removed or changed in meaning here (or in a type the
//! snapshot nests: [`SkuConfig`], [`LocationStock`], [`Hold`], ...) needs a new format: freeze
//! today's [`StoredSku`] as `FormatN` below, raise [`FORMAT`], and write the migration from
//! `FormatN`. Tests read a snapshot of every earlier format (taken from real state), so a shape
//! that breaks an old snapshot fails them.
//!
//! A snapshot that cannot be read (corrupt, or written by a newer release) is
//! [`Error::StateUnreadable`]: the Worker answers `503` and never writes over it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::allocation::Allocations;
use crate::catalog::{SkuConfig, Topology};
use crate::connect::square_out::SquareOutbox;
use crate::forecast::IncomingLine;
use crate::replenishment::Transit;
use crate::reservation::Hold;
use crate::returns::ReturnStats;
use crate::sales_history::DayStat;
use crate::stock::LocationStock;
use crate::velocity::Velocity;
use crate::{Error, Timestamp};

/// The format this release writes.
pub const FORMAT: u32 = 2;

/// One SKU's snapshot as stored (format [`FORMAT`]): everything but its holds, applied event
/// keys and ledger, which are rows of their own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSku {
    /// Always [`FORMAT`] once read.
    pub format: u32,
    pub(crate) sku: String,
    pub(crate) config: SkuConfig,
    pub(crate) topology: Topology,
    pub(crate) stock: BTreeMap<String, LocationStock>,
    pub(crate) transit: Vec<Transit>,
    pub(crate) allocation_left: Allocations,
    pub(crate) buffer_in_force: u32,
    pub(crate) velocity: BTreeMap<String, Velocity>,
    pub(crate) returns: BTreeMap<String, ReturnStats>,
    pub(crate) incoming: Vec<IncomingLine>,
    pub(crate) history: Vec<DayStat>,
    pub(crate) version: u64,
    pub(crate) updated_at: Timestamp,
    /// What Square is still to be told of (format 2).
    #[serde(default, skip_serializing_if = "SquareOutbox::is_empty")]
    pub(crate) square: SquareOutbox,
}

/// Format 0: serde JSON of the first releases' in-memory `Sku`. Frozen: never change it.
#[derive(Deserialize)]
struct Format0 {
    sku: String,
    config: SkuConfig,
    topology: Topology,
    stock: BTreeMap<String, LocationStock>,
    transit: Vec<Transit>,
    allocation_left: Allocations,
    buffer_in_force: u32,
    velocity: BTreeMap<String, Velocity>,
    returns: BTreeMap<String, ReturnStats>,
    incoming: Vec<IncomingLine>,
    history: Vec<DayStat>,
    /// The last 20 ledger entries. Each one is also a row of the ledger table, which format 1
    /// reads instead, so they are dropped.
    #[allow(dead_code)]
    ledger: serde::de::IgnoredAny,
    version: u64,
    updated_at: Timestamp,
}

impl Format0 {
    /// 0 → 1: the ledger leaves the snapshot; return reasons are bounded as format 1 keeps them.
    fn migrate(self) -> StoredSku {
        let mut returns = self.returns;
        for stats in returns.values_mut() {
            stats.bound_reasons();
        }
        StoredSku {
            format: FORMAT,
            sku: self.sku,
            config: self.config,
            topology: self.topology,
            stock: self.stock,
            transit: self.transit,
            allocation_left: self.allocation_left,
            buffer_in_force: self.buffer_in_force,
            velocity: self.velocity,
            returns,
            incoming: self.incoming,
            history: self.history,
            version: self.version,
            updated_at: self.updated_at,
            square: SquareOutbox::default(),
        }
    }
}

fn unreadable(why: impl std::fmt::Display) -> Error {
    Error::StateUnreadable(why.to_string())
}

impl StoredSku {
    /// Reads a stored snapshot of any format this release knows, migrated to [`FORMAT`].
    pub fn read(json: &str) -> Result<StoredSku, Error> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| unreadable(format!("the snapshot is not JSON: {e}")))?;
        let Some(object) = value.as_object() else {
            return Err(unreadable("the snapshot is not a JSON object"));
        };
        let format = match object.get("format") {
            None => 0,
            Some(f) => f
                .as_u64()
                .and_then(|f| u32::try_from(f).ok())
                .ok_or_else(|| unreadable(format!("`format` is {f}, not a format number")))?,
        };
        let bad = |e: serde_json::Error| unreadable(format!("a format-{format} snapshot that does not read: {e}"));
        let stored = match format {
            0 => Format0::deserialize(value).map_err(bad)?.migrate(),
            // Format 2 only adds what format 1 did not have (an outbox, two fields of a
            // movement), each absent when empty: a format-1 snapshot is a format-2 one with
            // nothing owed to Square.
            1 => StoredSku { format: FORMAT, ..StoredSku::deserialize(value).map_err(bad)? },
            FORMAT => StoredSku::deserialize(value).map_err(bad)?,
            newer => {
                return Err(unreadable(format!(
                    "the snapshot is format {newer}, written by a newer release (this one reads up to {FORMAT})"
                )))
            }
        };
        crate::names::check_sku(&stored.sku).map_err(|_| unreadable("the snapshot names no valid SKU"))?;
        Ok(stored)
    }

    /// The snapshot as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a snapshot always serializes")
    }

    /// The SKU it is the snapshot of.
    pub fn sku(&self) -> &str {
        &self.sku
    }
}

/// A hold as one stored row.
pub fn hold_json(hold: &Hold) -> String {
    serde_json::to_string(hold).expect("a hold always serializes")
}

/// Reads a stored hold row. Formats 0 and 1 store holds alike.
pub fn read_hold(json: &str) -> Result<Hold, Error> {
    serde_json::from_str(json).map_err(|e| unreadable(format!("a hold row that does not read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::BufferPolicy;

    /// A format-0 snapshot in the shape the release before format 1 stored it (whole stores
    /// of that release are in `tests/fixtures/`, read by `tests/e2e/upgrade.test.mjs`).
    const FORMAT_0: &str = r#"{"sku":"tee-m","config":{"title":"Tee M","low_stock_threshold":3,"max_per_cart":5,"buffer":{"mode":"fixed","units":1},"buffer_channels":null,"allocation":{"marketplace":2},"pos_refs":{"shopify":"4001"}},"topology":{"locations":["main-st","warehouse"],"channels":{"marketplace":["warehouse"],"store":["main-st"],"web":["warehouse","main-st"]}},"stock":{"main-st":{"on_hand":7,"unsellable":1,"counted_at":"2026-12-02T08:00:00Z","recent":[{"t":"2026-12-02T08:05:00Z","q":-1},{"t":"2026-12-02T08:06:00Z","q":-2,"e":true}],"forgotten_through":null},"warehouse":{"on_hand":12,"unsellable":0,"counted_at":null,"recent":[],"forgotten_through":null}},"transit":[{"transfer_id":"tr-1","from":"warehouse","to":"main-st","quantity":3,"sent_at":"2026-12-02T08:07:00Z"}],"allocation_left":{"marketplace":2},"buffer_in_force":1,"velocity":{"store":{"r":0.14285714285714285,"t":"2026-12-02T08:05:00Z"},"web":{"r":0.2857142857142857,"t":"2026-12-02T08:06:00Z"}},"returns":{"store":{"sold":1,"returned":0,"rate":0.0,"reasons":{}},"web":{"sold":2,"returned":1,"rate":0.5,"reasons":{"wrong size":1}}},"incoming":[{"po_id":"po-1","location":"warehouse","quantity":10,"expected_at":"2026-12-09T00:00:00Z"}],"history":[{"day":20789,"closing_on_hand":19,"sales":{"store":1,"web":2},"received":0}],"ledger":[{"version":4,"type":"sale","sku":"tee-m","location":"main-st","quantity":-1,"on_hand_after":9,"channel":"store","source":{"provider":"lastunit","event_id":"s-1"},"occurred_at":"2026-12-02T08:05:00Z","recorded_at":"2026-12-02T08:05:00Z"}],"version":9,"updated_at":"2026-12-02T08:07:00Z"}"#;

    #[test]
    fn format_0_reads_unchanged_in_meaning() {
        let s = StoredSku::read(FORMAT_0).unwrap();
        assert_eq!(s.format, FORMAT);
        assert_eq!(s.sku(), "tee-m");
        assert_eq!(s.config.buffer, BufferPolicy::Fixed { units: 1 });
        assert_eq!(s.config.allocation.as_ref().unwrap()["marketplace"], 2);
        assert_eq!(s.stock["main-st"].on_hand, 7);
        assert_eq!(s.stock["main-st"].unsellable, 1);
        assert_eq!(s.stock["warehouse"].on_hand, 12);
        assert_eq!(s.transit[0].quantity, 3);
        assert_eq!(s.allocation_left.left("marketplace"), Some(2));
        assert_eq!(s.buffer_in_force, 1);
        assert_eq!(s.returns["web"].reasons["wrong size"], 1);
        assert_eq!(s.incoming[0].po_id, "po-1");
        assert_eq!(s.history.len(), 1);
        assert_eq!((s.version, s.updated_at.to_string().as_str()), (9, "2026-12-02T08:07:00Z"));
        // Written again, it is the current format and reads back to the same.
        let again = StoredSku::read(&s.to_json()).unwrap();
        assert_eq!(again, s);
        assert!(!s.to_json().contains("\"ledger\""), "format 1 keeps the ledger in rows only");
    }

    #[test]
    fn format_1_reads_as_format_2_with_nothing_owed_to_square() {
        let mut v: serde_json::Value = serde_json::from_str(&StoredSku::read(FORMAT_0).unwrap().to_json()).unwrap();
        v["format"] = 1.into();
        let s = StoredSku::read(&v.to_string()).unwrap();
        assert_eq!(s.format, 2);
        assert!(s.square.is_empty());
        assert_eq!(s.stock["main-st"].on_hand, 7);
        assert!(!s.to_json().contains("\"square\""), "an empty outbox is not written");
    }

    #[test]
    fn format_0_to_1_bounds_return_reasons() {
        let mut v: serde_json::Value = serde_json::from_str(FORMAT_0).unwrap();
        let reasons: serde_json::Map<String, serde_json::Value> =
            (0..200).map(|i| (format!("reason {i}"), serde_json::json!(1))).collect();
        v["returns"]["web"]["reasons"] = reasons.into();
        v["returns"]["web"]["returned"] = 200.into();
        let s = StoredSku::read(&v.to_string()).unwrap();
        let web = &s.returns["web"];
        assert_eq!(web.reasons.len(), crate::returns::MAX_REASONS);
        assert_eq!(web.reasons.values().sum::<i64>(), 200, "no returned unit is lost from the reasons");
    }

    #[test]
    fn unreadable_snapshots_say_why() {
        for (json, why) in [
            ("", "not JSON"),
            ("{\"sku\":", "not JSON"),
            ("[1,2]", "not a JSON object"),
            (r#"{"format":"one"}"#, "not a format number"),
            (r#"{"format":99,"sku":"A"}"#, "newer release"),
            (r#"{"sku":"A","config":{}}"#, "format-0 snapshot that does not read"),
        ] {
            match StoredSku::read(json) {
                Err(Error::StateUnreadable(m)) => assert!(m.contains(why), "{json}: {m}"),
                other => panic!("{json} read as {other:?}"),
            }
        }
        // A field this release does not know is not dropped silently.
        let mut v: serde_json::Value = serde_json::from_str(&StoredSku::read(FORMAT_0).unwrap().to_json()).unwrap();
        v["added_later"] = 1.into();
        assert!(matches!(StoredSku::read(&v.to_string()), Err(Error::StateUnreadable(_))));
        assert_eq!(Error::StateUnreadable(String::new()).http_status(), 503);
        assert_eq!(Error::StateUnreadable(String::new()).code(), "state_unreadable");
        assert!(matches!(read_hold("{\"id\":1}"), Err(Error::StateUnreadable(_))));
    }
}
