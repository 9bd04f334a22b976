//! Writing the catalog and the ledger as CSV (`GET /admin/export/skus`, `GET /admin/export/ledger`).
//!
//! The SKU export has the import's columns ([`crate::csv_import::COLUMNS`]) and reads back
//! through it as is. The ledger export is written in pieces (a header, then rows page by page),
//! so the edge can stream a year of it without holding it whole.

use crate::csv_import::{buffer_cell, COLUMNS};
use crate::{Error, LedgerEntry, SkuConfig, Timestamp};

/// The ledger export's columns.
pub const LEDGER_COLUMNS: [&str; 9] =
    ["time", "sku", "location", "kind", "quantity", "channel", "reason", "source", "order"];

/// One SKU as exported: its policy and its units on hand per location.
pub struct SkuRows<'a> {
    /// The SKU.
    pub sku: &'a str,
    /// Its policy.
    pub config: &'a SkuConfig,
    /// Sellable units on hand per location, one row each.
    pub on_hand: Vec<(String, i64)>,
}

/// The SKU export's header line.
pub fn skus_header() -> String {
    let mut w = writer();
    write(&mut w, COLUMNS);
    finish(w)
}

/// SKU export rows (no header): one per SKU and location. Written in pieces, like the ledger,
/// so the edge streams a large catalog.
pub fn sku_rows<'a>(skus: impl IntoIterator<Item = SkuRows<'a>>) -> String {
    let mut w = writer();
    for s in skus {
        for (location, units) in &s.on_hand {
            let c = s.config;
            let mut row = vec![
                s.sku.to_string(),
                c.title.clone(),
                location.clone(),
                units.to_string(),
                c.low_stock_threshold.to_string(),
                c.max_per_cart.to_string(),
                buffer_cell(&c.buffer),
            ];
            row.extend(COLUMNS[7..].iter().map(|p| c.pos_refs.get(*p).cloned().unwrap_or_default()));
            write(&mut w, &row);
        }
    }
    finish(w)
}

/// Which ledger entries an export keeps: `from <= occurred_at < to`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    /// The first instant kept.
    pub from: Option<Timestamp>,
    /// The first instant no longer kept.
    pub to: Option<Timestamp>,
}

impl LedgerFilter {
    /// Reads the `from` and `to` query parameters (RFC 3339); either may be absent.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, Error> {
        let time = |field: &'static str, s: Option<&str>| match s.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Timestamp::parse(s)
                .map(Some)
                .ok_or_else(|| Error::invalid(field, format!("`{s}` is not an RFC 3339 time such as 2026-11-26T10:00:00Z"))),
        };
        let filter = LedgerFilter { from: time("from", from)?, to: time("to", to)? };
        if let (Some(f), Some(t)) = (filter.from, filter.to) {
            if f > t {
                return Err(Error::invalid("from", "must not be after `to`"));
            }
        }
        Ok(filter)
    }

    /// Whether `entry` is in the range.
    pub fn keeps(&self, entry: &LedgerEntry) -> bool {
        self.from.is_none_or(|f| entry.occurred_at >= f) && self.to.is_none_or(|t| entry.occurred_at < t)
    }
}

/// The ledger export's header line.
pub fn ledger_header() -> String {
    let mut w = writer();
    write(&mut w, LEDGER_COLUMNS);
    finish(w)
}

/// Ledger rows (no header) for the entries `filter` keeps. `source` is `provider:event_id`;
/// `order` is the order a committed reservation became (the edge's sales), empty otherwise.
pub fn ledger_rows<'a>(entries: impl IntoIterator<Item = &'a LedgerEntry>, filter: &LedgerFilter) -> String {
    let mut w = writer();
    for e in entries.into_iter().filter(|e| filter.keeps(e)) {
        let order = if e.source.provider == "edge" { e.source.event_id.as_str() } else { "" };
        write(
            &mut w,
            [
                e.occurred_at.to_string().as_str(),
                &e.sku,
                &e.location,
                e.kind.as_str(),
                &e.quantity.to_string(),
                e.channel.as_deref().unwrap_or(""),
                e.reason.as_deref().unwrap_or(""),
                &e.source.key(),
                order,
            ],
        );
    }
    finish(w)
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new())
}

/// Writing into memory cannot fail, and every cell is a `String`: nothing here is refused.
fn write<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(w: &mut csv::Writer<Vec<u8>>, row: I) {
    w.write_record(row).expect("writing CSV into memory");
}

fn finish(w: csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().expect("flushing into memory");
    String::from_utf8(bytes).expect("written from strings")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PosIndex;
    use crate::csv_import::{plan, Catalog};
    use crate::event::Source;
    use crate::{BufferPolicy, Topology};
    use std::collections::BTreeMap;

    #[test]
    fn the_sku_export_reads_back_through_the_import_as_is() {
        let config = SkuConfig {
            title: "Linen shirt, \"M\"".into(),
            max_per_cart: 4,
            buffer: BufferPolicy::Auto {
                min: 1,
                max: 4,
                store_hours: Some("14:00-24:00".into()),
            },
            pos_refs: [("shopify".to_string(), "808950810".to_string())].into(),
            ..SkuConfig::default()
        };
        let text = skus_header() + &sku_rows([SkuRows {
            sku: "SHIRT-M",
            config: &config,
            on_hand: vec![("main-st".into(), 7), ("warehouse".into(), 0)],
        }]);
        assert!(text.starts_with("sku,title,location,on_hand,low_stock_threshold,max_per_cart,buffer,shopify,"));
        let topology = Topology { locations: vec!["main-st".into(), "warehouse".into()], ..Topology::default() };
        let skus: BTreeMap<String, SkuConfig> = [("SHIRT-M".to_string(), config.clone())].into();
        let refs = PosIndex::new(skus.iter().map(|(s, c)| (s, &c.pos_refs)));
        let read = plan(text.as_bytes(), &Catalog { topology: &topology, skus: &skus, refs: &refs }, Timestamp(0))
            .unwrap();
        assert_eq!(read.skus.len(), 1);
        assert_eq!(read.skus[0].config, config);
        let counts: Vec<_> = read.skus[0].counts.iter().map(|c| (c.location.as_str(), c.movement.clone())).collect();
        assert_eq!(
            counts,
            [
                ("main-st", crate::Movement::Count { quantity: 7 }),
                ("warehouse", crate::Movement::Count { quantity: 0 })
            ]
        );
    }

    #[test]
    fn the_ledger_export_keeps_the_range_and_names_the_order() {
        let entry = |at: i64, provider: &str, id: &str| LedgerEntry {
            version: 1,
            kind: crate::EventKind::Sale,
            sku: "A".into(),
            location: "main-st".into(),
            quantity: -1,
            on_hand_after: 4,
            channel: Some("web".into()),
            origin_channel: None,
            reason: Some("reservation 5f, paid".into()),
            source: Source { provider: provider.into(), event_id: id.into() },
            occurred_at: Timestamp(at),
            recorded_at: Timestamp(at),
        };
        let entries = [entry(0, "edge", "o-1"), entry(86_400_000, "square", "e-2"), entry(172_800_000, "admin", "x")];
        let filter = LedgerFilter::parse(Some("1970-01-02T00:00:00Z"), Some("1970-01-03T00:00:00Z")).unwrap();
        assert_eq!(
            ledger_rows(&entries, &filter),
            "1970-01-02T00:00:00Z,A,main-st,sale,-1,web,\"reservation 5f, paid\",square:e-2,\r\n"
        );
        let all = ledger_rows(&entries, &LedgerFilter::default());
        assert!(all.starts_with("1970-01-01T00:00:00Z,A,main-st,sale,-1,web,\"reservation 5f, paid\",edge:o-1,o-1\r\n"));
        assert_eq!(all.lines().count(), 3);
        assert_eq!(ledger_header(), "time,sku,location,kind,quantity,channel,reason,source,order\r\n");
        assert_eq!(LedgerFilter::parse(Some("yesterday"), None).unwrap_err().to_string(), "`from` `yesterday` is not an RFC 3339 time such as 2026-11-26T10:00:00Z");
        assert!(LedgerFilter::parse(Some("2026-01-02T00:00:00Z"), Some("2026-01-01T00:00:00Z")).is_err());
    }
}
