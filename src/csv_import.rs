//! Reading a catalog import file (`POST /admin/import`) into a checked plan: which SKUs are
//! created or updated with which policy, and the counts that set their stock.
//!
//! ## The file
//! UTF-8 CSV with a header row. A leading BOM, CRLF line ends and quoted fields (as spreadsheets
//! write them) read like plain ones; cells are trimmed. One row per SKU and location: the
//! required columns are `sku,title,location,on_hand`, the optional ones
//! `low_stock_threshold,max_per_cart,buffer` and one per provider's id (`shopify`, `square`,
//! `clover`, `lightspeed`, `woocommerce`), in any order. An unknown or repeated column refuses
//! the file: a misspelt column must not be dropped silently.
//!
//! ## Cells
//! - An empty cell (or a missing optional column) keeps the SKU's current value, or the
//!   default for a new SKU. A file therefore never removes a PoS id (use `PUT /admin/skus`).
//! - `buffer`: `none`, `fixed:N` (always keep N back) or `auto:MIN-MAX` (sized from sales,
//!   clamped to MIN..=MAX), the three modes of [`BufferPolicy`]; `auto:MIN-MAX@HH:MM-HH:MM`
//!   adds the store's opening hours (UTC) to `auto`.
//! - The policy cells (title, limits, buffer, ids) belong to the SKU, not the row: they may be
//!   given on one of its rows only, and two rows that give one differently are refused.
//!
//! ## Checks
//! Every row is checked with the engine's own rules, never a copy: the count as an event
//! ([`EventBody::check`]: SKU name, location name, quantity), the location against the
//! [`Topology`], the policy with [`SkuConfig::validate`], the PoS ids against the catalog's
//! [`PosIndex`] (and against the other SKUs of the file). A second row for one SKU and location
//! is refused. Every bad row is named; a file with any is applied not at all.
//!
//! ## Counts
//! `on_hand` becomes a `count` event (provider `admin`, `occurred_at` the moment of the import)
//! rather than an `adjust`: an absolute count is what a stock file says, the SKU object turns
//! it into the difference at the instant it applies it (a sale meanwhile is not overwritten by
//! a difference computed earlier), and the ledger records it as what it was, a count. Its
//! event id is `csv-<digest of the file>-<location>`, so a retried upload of the same file is
//! a duplicate and applies once (within the 96 hours event ids are remembered).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{PosIndex, PROVIDERS};
use crate::store_hours::StoreHours;
use crate::{BufferPolicy, Error, EventBody, EventKind, SkuConfig, StockEvent, Timestamp, Topology};

/// Columns every file has.
pub const REQUIRED: [&str; 4] = ["sku", "title", "location", "on_hand"];

/// Every column, in the order the export writes them.
pub const COLUMNS: [&str; 12] = [
    "sku",
    "title",
    "location",
    "on_hand",
    "low_stock_threshold",
    "max_per_cart",
    "buffer",
    PROVIDERS[0],
    PROVIDERS[1],
    PROVIDERS[2],
    PROVIDERS[3],
    PROVIDERS[4],
];

/// The policy columns: they belong to the SKU, whichever of its rows gives them.
const POLICY: [&str; 9] = [
    "title",
    "low_stock_threshold",
    "max_per_cart",
    "buffer",
    PROVIDERS[0],
    PROVIDERS[1],
    PROVIDERS[2],
    PROVIDERS[3],
    PROVIDERS[4],
];

/// What importing a row does to its SKU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// The SKU is new.
    Created,
    /// The SKU exists: its policy and this location's count are set.
    Updated,
}

/// One good row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowOutcome {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// Its SKU.
    pub sku: String,
    /// Its location.
    pub location: String,
    /// What it does.
    pub status: RowStatus,
}

/// One bad row.
#[derive(Clone, Debug, PartialEq)]
pub struct RowError {
    /// The row's line in the file.
    pub line: u64,
    /// Its SKU cell, as written.
    pub sku: String,
    /// Its location cell, as written.
    pub location: String,
    /// Why it is refused.
    pub error: Error,
}

/// One SKU of a good file: its whole policy and its counts (kept by the catalog while a large
/// file is applied a part at a time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkuImport {
    /// The SKU.
    pub sku: String,
    /// Its policy after the import (the current one with the file's cells over it).
    pub config: SkuConfig,
    /// Whether the catalog does not know it yet.
    pub created: bool,
    /// One `count` per row.
    pub counts: Vec<StockEvent>,
}

/// What a good file changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Every row, in file order.
    pub rows: Vec<RowOutcome>,
    /// Every SKU, in order of first appearance.
    pub skus: Vec<SkuImport>,
}

/// Why a file is refused.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The file is not a CSV this route reads (encoding, quoting, header, field counts): `400`.
    File(Error),
    /// Some rows are bad: every one of them, in file order (`422`).
    Rows(Vec<RowError>),
}

impl Plan {
    /// The answer to a good file: how many SKUs it creates and updates, and every row's
    /// outcome; `dry_run` says whether it was only read.
    pub fn report(&self, dry_run: bool) -> serde_json::Value {
        let created = self.skus.iter().filter(|s| s.created).count();
        serde_json::json!({
            "dry_run": dry_run,
            "skus": self.skus.len(),
            "created": created,
            "updated": self.skus.len() - created,
            "rows": self.rows,
        })
    }
}

impl Refusal {
    /// `400` for a file this route does not read, `422` for bad rows.
    pub fn http_status(&self) -> u16 {
        match self {
            Refusal::File(_) => 400,
            Refusal::Rows(_) => 422,
        }
    }

    /// The answer: the file's error as any engine error, or `invalid_rows` naming each bad row
    /// (line, SKU and location as written, and the engine's error body for it).
    pub fn body(&self) -> serde_json::Value {
        match self {
            Refusal::File(e) => e.body(),
            Refusal::Rows(rows) => {
                let listed: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| {
                        let mut row = r.error.body();
                        row["line"] = r.line.into();
                        row["sku"] = r.sku.clone().into();
                        row["location"] = r.location.clone().into();
                        row
                    })
                    .collect();
                let first = &rows[0];
                serde_json::json!({
                    "error": "invalid_rows",
                    "message": format!(
                        "{} bad row{} (the first, line {}: {}); nothing was imported",
                        rows.len(),
                        if rows.len() == 1 { "" } else { "s" },
                        first.line,
                        first.error
                    ),
                    "rows": listed,
                })
            }
        }
    }
}

/// What the import is checked against: the catalog as it stands.
pub struct Catalog<'a> {
    /// Locations and channels.
    pub topology: &'a Topology,
    /// Every SKU's current policy.
    pub skus: &'a BTreeMap<String, SkuConfig>,
    /// Who holds which PoS id.
    pub refs: &'a PosIndex,
}

/// Reads `cell` of the `buffer` column.
pub fn parse_buffer(cell: &str) -> Result<BufferPolicy, Error> {
    let bad = || Error::invalid("buffer", format!("`{cell}` is not `none`, `fixed:N` or `auto:MIN-MAX` (with the store's hours: `auto:MIN-MAX@HH:MM-HH:MM`)"));
    let number = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
    match cell.split_once(':') {
        None if cell.eq_ignore_ascii_case("none") => Ok(BufferPolicy::None),
        Some((mode, n)) if mode.eq_ignore_ascii_case("fixed") => Ok(BufferPolicy::Fixed { units: number(n)? }),
        Some((mode, rest)) if mode.eq_ignore_ascii_case("auto") => {
            let (range, hours) = match rest.split_once('@') {
                Some((range, hours)) => (range, Some(StoreHours::parse(hours.trim())?.to_string())),
                None => (rest, None),
            };
            let (min, max) = range.split_once('-').ok_or_else(bad)?;
            Ok(BufferPolicy::Auto { min: number(min)?, max: number(max)?, store_hours: hours })
        }
        _ => Err(bad()),
    }
}

/// The `buffer` cell of a policy: what [`parse_buffer`] reads back.
pub fn buffer_cell(policy: &BufferPolicy) -> String {
    match policy {
        BufferPolicy::None => "none".into(),
        BufferPolicy::Fixed { units } => format!("fixed:{units}"),
        BufferPolicy::Auto { min, max, store_hours: None } => format!("auto:{min}-{max}"),
        BufferPolicy::Auto { min, max, store_hours: Some(h) } => format!("auto:{min}-{max}@{h}"),
    }
}

/// A SKU's rows gathered: its policy cells (value and line) and its counts.
struct Draft {
    first_line: u64,
    cells: BTreeMap<&'static str, (String, u64)>,
    counts: Vec<StockEvent>,
}

/// Reads and checks a whole import file at `now`. Nothing is changed here: the plan is what the
/// edge then stores.
pub fn plan(bytes: &[u8], catalog: &Catalog<'_>, now: Timestamp) -> Result<Plan, Refusal> {
    let digest = hex::encode(&Sha256::digest(bytes)[..8]);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    let header = reader.headers().map_err(|e| Refusal::File(read_error(&e)))?.clone();
    let columns = columns(&header).map_err(Refusal::File)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut drafts: Vec<(String, Draft)> = Vec::new();
    let mut draft_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: BTreeMap<(String, String), u64> = BTreeMap::new();
    // Lines are counted here from the record's byte offset: the reader's own count skips lines
    // that end in CRLF, as spreadsheets write them (it places such a record at the `\n` before it,
    // hence the byte after the offset is counted too).
    let (mut line, mut counted_to) = (1u64, 0usize);
    for record in reader.records() {
        let record = record.map_err(|e| Refusal::File(read_error(&e)))?;
        let at = record.position().map_or(counted_to, |p| (p.byte() as usize + 1).min(bytes.len()));
        line += bytes[counted_to..at].iter().filter(|b| **b == b'\n').count() as u64;
        counted_to = at;
        let cell = |name: &str| columns.get(name).and_then(|&i| record.get(i)).unwrap_or("");
        let (sku, location) = (cell("sku").to_string(), cell("location").to_string());
        let refuse = |error| RowError { line, sku: sku.clone(), location: location.clone(), error };
        let count = match check_count(&sku, &location, cell("on_hand"), &digest, catalog.topology, now) {
            Ok(c) => c,
            Err(e) => {
                errors.push(refuse(e));
                continue;
            }
        };
        if let Some(first) = seen.insert((sku.clone(), location.clone()), line) {
            errors.push(refuse(Error::invalid(
                "location",
                format!("repeats line {first}: one row per SKU and location"),
            )));
            continue;
        }
        let i = *draft_of.entry(sku.clone()).or_insert_with(|| {
            drafts.push((sku.clone(), Draft { first_line: line, cells: BTreeMap::new(), counts: Vec::new() }));
            drafts.len() - 1
        });
        let draft = &mut drafts[i].1;
        let mut disagreement = None;
        for name in POLICY {
            let value = cell(name);
            if value.is_empty() {
                continue;
            }
            match draft.cells.get(name) {
                Some((other, at)) if other != value => {
                    disagreement = Some(Error::invalid(
                        name,
                        format!("is `{value}` here but `{other}` on line {at}: the rows of one SKU share it"),
                    ));
                    break;
                }
                Some(_) => {}
                None => {
                    draft.cells.insert(name, (value.to_string(), line));
                }
            }
        }
        if let Some(e) = disagreement {
            errors.push(refuse(e));
            continue;
        }
        draft.counts.push(count);
        let created = !catalog.skus.contains_key(&sku);
        rows.push(RowOutcome {
            line,
            sku,
            location,
            status: if created { RowStatus::Created } else { RowStatus::Updated },
        });
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(Refusal::File(Error::invalid("file", "holds a header but no rows")));
    }
    let mut refs = catalog.refs.clone();
    let mut skus = Vec::with_capacity(drafts.len());
    for (sku, draft) in drafts {
        match policy(&sku, &draft, catalog, &mut refs) {
            Ok(config) => skus.push(SkuImport {
                created: !catalog.skus.contains_key(&sku),
                sku,
                config,
                counts: draft.counts,
            }),
            Err((line, error)) => {
                let location = draft.counts.first().map(|c| c.location.clone()).unwrap_or_default();
                errors.push(RowError { line, sku, location, error });
            }
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(Refusal::Rows(errors));
    }
    Ok(Plan { rows, skus })
}

/// Header names to their positions; every name known, none twice, the required ones there.
fn columns(header: &csv::StringRecord) -> Result<BTreeMap<String, usize>, Error> {
    let mut columns = BTreeMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.to_ascii_lowercase();
        if !COLUMNS.contains(&name.as_str()) {
            return Err(Error::invalid("header", format!("`{name}` is not one of {}", COLUMNS.join(","))));
        }
        if columns.insert(name.clone(), i).is_some() {
            return Err(Error::invalid("header", format!("names `{name}` twice")));
        }
    }
    if let Some(missing) = REQUIRED.iter().find(|c| !columns.contains_key(**c)) {
        return Err(Error::invalid("header", format!("lacks the column `{missing}` (it needs {})", REQUIRED.join(","))));
    }
    Ok(columns)
}

/// The row's count, checked as the engine checks any event, and its location as the catalog has it.
fn check_count(
    sku: &str,
    location: &str,
    on_hand: &str,
    digest: &str,
    topology: &Topology,
    now: Timestamp,
) -> Result<StockEvent, Error> {
    let quantity = on_hand
        .parse::<i64>()
        .map_err(|_| Error::invalid("on_hand", format!("`{on_hand}` is not a whole number of units")))?;
    let body = EventBody::new(EventKind::Count, &format!("csv-{digest}-{location}"), sku, location, quantity);
    let event = body.check("admin", now).map_err(|e| match e {
        // The event's `quantity` is this file's `on_hand`.
        Error::InvalidInput { field: "quantity", reason } => Error::InvalidInput { field: "on_hand", reason },
        other => other,
    })?;
    if !topology.has_location(location) {
        return Err(Error::UnknownLocation(location.to_string()));
    }
    Ok(event)
}

/// The SKU's policy after the file: its current one (or the default) with the file's cells over
/// it, validated, and its PoS ids claimed against the catalog's and the file's other SKUs'.
/// A refusal names the line it comes from.
fn policy(sku: &str, draft: &Draft, catalog: &Catalog<'_>, refs: &mut PosIndex) -> Result<SkuConfig, (u64, Error)> {
    let mut config = catalog.skus.get(sku).cloned().unwrap_or_default();
    let number = |name: &'static str, value: &str| {
        value.parse::<u32>().map_err(|_| Error::invalid(name, format!("`{value}` is not a whole number")))
    };
    for (&name, (value, line)) in &draft.cells {
        let set = match name {
            "title" => {
                config.title = value.clone();
                Ok(())
            }
            "low_stock_threshold" => number(name, value).map(|n| config.low_stock_threshold = n),
            "max_per_cart" => number(name, value).map(|n| config.max_per_cart = n),
            "buffer" => parse_buffer(value).map(|b| config.buffer = b),
            provider => {
                config.pos_refs.insert(provider.to_string(), value.clone());
                Ok(())
            }
        };
        set.map_err(|e| (*line, e))?;
    }
    let line_of = |field: &str| {
        draft.cells.iter().find(|(name, _)| field.starts_with(**name)).map_or(draft.first_line, |(_, (_, l))| *l)
    };
    config.validate(sku).map_err(|e| (line_of(field_of(&e)), e))?;
    refs.claim(sku, &config.pos_refs).map_err(|e| {
        let line = draft.cells.iter().find(|(name, _)| PROVIDERS.contains(*name)).map_or(draft.first_line, |c| c.1 .1);
        (line, e)
    })?;
    Ok(config)
}

fn field_of(e: &Error) -> &'static str {
    match e {
        Error::InvalidInput { field, .. } => field,
        _ => "",
    }
}

/// A CSV reading error in words, with its line.
fn read_error(e: &csv::Error) -> Error {
    let line = e.position().map(|p| format!("line {}: ", p.line())).unwrap_or_default();
    let why = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".to_string(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields where the header has {expected_len}")
        }
        _ => e.to_string(),
    };
    Error::invalid("file", format!("{line}{why}"))
}

#[cfg(test)]
mod tests;
