//! The ledger: one entry per movement of stock, appended and never rewritten. The engine keeps
//! no ledger of its own; each entry goes out in the [`ChangeSet`](crate::ChangeSet) of the change
//! that made it, and the caller stores it as a row.

use serde::{Deserialize, Serialize};

use crate::event::{EventKind, Source};
use crate::Timestamp;

/// One movement of stock, as the ledger records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The SKU version this entry produced.
    pub version: u64,
    /// What moved the stock.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The SKU.
    pub sku: String,
    /// Where.
    pub location: String,
    /// Change of sellable units on hand at `location` (signed).
    pub quantity: i64,
    /// Sellable units on hand at `location` afterwards.
    pub on_hand_after: i64,
    /// The selling or receiving channel, for sales and returns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Where a returned unit was bought.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_channel: Option<String>,
    /// Why (returns, adjustments, waste), or a note on how the event was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who sent it.
    pub source: Source,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When it was applied.
    pub recorded_at: Timestamp,
}

impl LedgerEntry {
    /// An entry of `kind` at `location` from `source`, with no movement yet: the change that
    /// makes it fills in the units, the reason and, last, the version and what is on hand.
    pub fn new(
        kind: EventKind,
        sku: &str,
        location: &str,
        source: Source,
        occurred_at: Timestamp,
        recorded_at: Timestamp,
    ) -> Self {
        LedgerEntry {
            version: 0,
            kind,
            sku: sku.to_string(),
            location: location.to_string(),
            quantity: 0,
            on_hand_after: 0,
            channel: None,
            origin_channel: None,
            reason: None,
            source,
            occurred_at,
            recorded_at,
        }
    }

    /// Adds a note on how the movement was read after the reason (or as the reason).
    pub fn note(&mut self, note: &str) {
        self.reason = Some(match self.reason.take() {
            Some(r) => format!("{r}; {note}"),
            None => note.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> LedgerEntry {
        let source = Source { provider: "shopify".into(), event_id: "e-1".into() };
        LedgerEntry::new(EventKind::Adjust, "A", "main-st", source, Timestamp(1_000), Timestamp(2_000))
    }

    #[test]
    fn a_note_follows_the_reason_or_becomes_it() {
        let mut e = entry();
        e.note("already in the count");
        assert_eq!(e.reason.as_deref(), Some("already in the count"));
        let mut e = entry();
        e.reason = Some("damaged".into());
        e.note("already in the count");
        assert_eq!(e.reason.as_deref(), Some("damaged; already in the count"));
    }

    #[test]
    fn reads_as_the_ledger_rows_store_it() {
        let mut e = entry();
        e.quantity = -2;
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["type"], "adjust");
        assert!(json.get("channel").is_none() && json.get("reason").is_none(), "{json}");
        assert_eq!(serde_json::from_value::<LedgerEntry>(json).unwrap(), e);
    }
}
