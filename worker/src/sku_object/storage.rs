//! The SKU object's SQLite: its schema, reading the stored SKU back (through the engine's
//! migrations), and writing one change set in one `transactionSync`.

use serde::Deserialize;
use worker::{Env, Result, SqlStorage};

use lastunit::stored::{read_hold, StoredSku};
use lastunit::{ChangeSet, SeenKey, Sku, Timestamp};

use super::alarm::PushState;
use super::{Loaded, SkuObject};
use crate::internal;
use crate::transaction::{transaction_sync, Statement};

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

#[derive(Deserialize)]
struct SeenRow {
    key: String,
    at: f64,
}

/// Creates the tables an object of a new SKU (or of an earlier release) lacks.
pub(super) fn create_schema(sql: &SqlStorage) {
    for ddl in [
        "CREATE TABLE IF NOT EXISTS state(id INTEGER PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS seen(key TEXT PRIMARY KEY, at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS ledger(version INTEGER NOT NULL, location TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY(version, location))",
        "CREATE TABLE IF NOT EXISTS answers(id TEXT PRIMARY KEY, status INTEGER NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS holds(id TEXT PRIMARY KEY, json TEXT NOT NULL, at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS incidents(id TEXT PRIMARY KEY, json TEXT NOT NULL, open INTEGER NOT NULL)",
    ] {
        sql.exec(ddl, None).expect("schema");
    }
}

/// The push state as last saved, or a fresh one.
pub(super) fn load_push(sql: &SqlStorage) -> PushState {
    sql.exec("SELECT json FROM meta WHERE key = 'push'", None)
        .and_then(|c| c.to_array::<JsonRow>())
        .ok()
        .and_then(|rows| rows.into_iter().next())
        .and_then(|r| serde_json::from_str(&r.json).ok())
        .unwrap_or_default()
}

/// Test-only storage faults. Honoured only when `LASTUNIT_TEST` is `1` and
/// `LASTUNIT_TEST_FAULTS` is `ledger-row:<n>:<sku>`: every transaction storing a change of that
/// SKU fails just before its n-th ledger row (1-based), so nothing of it is stored. Neither
/// setting is in wrangler.toml or `.dev.vars.example`; only the tests pass them (docs/LIMITS.md).
pub(super) struct Faults {
    sku: String,
    ledger_row: usize,
}

impl Faults {
    pub(super) fn from_env(env: &Env) -> Option<Faults> {
        if internal::setting(env, "LASTUNIT_TEST") != "1" {
            return None;
        }
        let spec = internal::setting(env, "LASTUNIT_TEST_FAULTS");
        let mut parts = spec.splitn(3, ':');
        let (Some("ledger-row"), Some(n), Some(sku)) = (parts.next(), parts.next(), parts.next()) else { return None };
        let ledger_row = n.parse().ok()?;
        worker::console_warn!("test faults on: storing `{sku}` fails at ledger row {ledger_row}");
        Some(Faults { sku: sku.to_string(), ledger_row })
    }
}

impl SkuObject {
    /// Writes a change set in one `transactionSync`: every row or none.
    pub(super) fn store(&self, sku: &str, changes: &ChangeSet) -> Result<()> {
        let mut statements = Vec::new();
        if let Some(snapshot) = &changes.snapshot {
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO state(id, json) VALUES (1, ?)",
                vec![snapshot.to_json().into()],
            ));
        }
        for h in &changes.holds {
            // `at` is when a row may be pruned from: an active hold's expiry, a settled one's settling.
            let at = if h.is_active() { h.expires_at } else { h.settled_at };
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO holds(id, json, at) VALUES (?, ?, ?)",
                vec![h.id.clone().into(), lastunit::stored::hold_json(h).into(), at.millis().into()],
            ));
        }
        for (i, entry) in changes.ledger.iter().enumerate() {
            if self.faults.as_ref().is_some_and(|f| f.sku == sku && f.ledger_row == i + 1) {
                statements.push(Statement::Fault(format!("test fault: ledger row {} of `{sku}`", i + 1)));
            }
            let text = serde_json::to_string(entry).map_err(|e| worker::Error::RustError(e.to_string()))?;
            // A row left by a release that did not write atomically may hold this version:
            // the entry that now has it replaces it.
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO ledger(version, location, json) VALUES (?, ?, ?)",
                vec![(entry.version as i64).into(), entry.location.clone().into(), text.into()],
            ));
        }
        for i in &changes.incidents {
            let text = serde_json::to_string(i).map_err(|e| worker::Error::RustError(e.to_string()))?;
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO incidents(id, json, open) VALUES (?, ?, ?)",
                vec![i.id.clone().into(), text.into(), i64::from(i.is_open()).into()],
            ));
        }
        for k in &changes.seen {
            statements.push(Statement::Exec(
                "INSERT OR REPLACE INTO seen(key, at) VALUES (?, ?)",
                vec![k.key.clone().into(), k.at.millis().into()],
            ));
        }
        transaction_sync(&self.storage, &self.sql, statements)
    }

    pub(super) fn save_push(&self) -> Result<()> {
        let text = serde_json::to_string(&*self.push.borrow()).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec("INSERT OR REPLACE INTO meta(key, json) VALUES ('push', ?)", vec![text.into()])?;
        Ok(())
    }

    /// Forgets remembered event ids past retention (the engine forgets them in memory too), and
    /// settled holds and old answers once nobody can ask about them.
    pub(super) fn prune(&self, now: Timestamp) -> Result<()> {
        self.sql.exec("DELETE FROM seen WHERE at < ?", vec![(now.millis() - lastunit::dedupe::RETENTION_MS).into()])?;
        self.sql
            .exec("DELETE FROM answers WHERE at < ?", vec![(now.millis() - lastunit::sku::SETTLED_KEPT_MS).into()])?;
        self.sql
            .exec("DELETE FROM holds WHERE at < ?", vec![(now.millis() - lastunit::sku::SETTLED_KEPT_MS).into()])?;
        Ok(())
    }

    /// The ledger entries recorded after row `after`, at most `limit`, oldest first, and the
    /// row the next page starts after (none when this page is the last).
    pub(super) fn ledger_page(&self, after: i64, limit: u32) -> Result<(Vec<lastunit::LedgerEntry>, Option<i64>)> {
        #[derive(Deserialize)]
        struct PageRow {
            row: i64,
            json: String,
        }
        let rows: Vec<PageRow> = self
            .sql
            .exec(
                "SELECT rowid AS row, json FROM ledger WHERE rowid > ? ORDER BY rowid LIMIT ?",
                vec![after.into(), i64::from(limit).into()],
            )?
            .to_array()?;
        let next = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.row)).flatten();
        let entries = rows
            .iter()
            .map(|r| serde_json::from_str(&r.json))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| worker::Error::RustError(format!("a ledger row does not read: {e}")))?;
        Ok((entries, next))
    }

    /// The newest ledger entries (at most `limit`), and how many there are in all.
    pub(super) fn ledger_tail(&self, limit: u32) -> Result<(Vec<serde_json::Value>, serde_json::Value)> {
        let rows: Vec<JsonRow> = self
            .sql
            .exec("SELECT json FROM ledger ORDER BY version DESC, location LIMIT ?", vec![i64::from(limit).into()])?
            .to_array()?;
        let ledger = rows.iter().filter_map(|r| serde_json::from_str(&r.json).ok()).collect();
        let total: Vec<serde_json::Value> = self.sql.exec("SELECT COUNT(*) AS n FROM ledger", None)?.to_array()?;
        let count = total.first().and_then(|v| v.get("n")).cloned().unwrap_or(serde_json::json!(0));
        Ok((ledger, count))
    }
}

/// The SKU as stored: its snapshot (any format, migrated by the engine), its hold rows and its
/// applied event keys. Anything that does not read makes the whole SKU unreadable: a SKU with a
/// hold or a key missing would sell units it holds or apply an event twice.
pub(super) fn load(sql: &SqlStorage) -> Loaded {
    match read_stored(sql) {
        Ok(None) => Loaded::Absent,
        Ok(Some(sku)) => Loaded::Ready(sku),
        Err(e) => {
            worker::console_error!("stored SKU unreadable: {e}");
            Loaded::Unreadable(e)
        }
    }
}

fn read_stored(sql: &SqlStorage) -> std::result::Result<Option<Sku>, lastunit::Error> {
    let storage = |e: worker::Error| lastunit::Error::StateUnreadable(format!("storage: {e}"));
    let rows: Vec<JsonRow> =
        sql.exec("SELECT json FROM state WHERE id = 1", None).and_then(|c| c.to_array()).map_err(storage)?;
    let Some(row) = rows.into_iter().next() else { return Ok(None) };
    let stored = StoredSku::read(&row.json)?;
    let holds: Vec<JsonRow> = sql.exec("SELECT json FROM holds", None).and_then(|c| c.to_array()).map_err(storage)?;
    let holds = holds.iter().map(|r| read_hold(&r.json)).collect::<std::result::Result<Vec<_>, _>>()?;
    let seen: Vec<SeenRow> = sql.exec("SELECT key, at FROM seen", None).and_then(|c| c.to_array()).map_err(storage)?;
    let seen = seen.into_iter().map(|r| SeenKey { key: r.key, at: Timestamp(r.at as i64) }).collect();
    let mut sku = Sku::restore(stored, holds, seen);
    // Open incidents, the newest closed one (it carries the last number given), and the recent
    // sales whose online orders a later shortfall may name.
    let incidents: Vec<JsonRow> = sql
        .exec("SELECT json FROM incidents WHERE open = 1 OR rowid = (SELECT MAX(rowid) FROM incidents)", None)
        .and_then(|c| c.to_array())
        .map_err(storage)?;
    let incidents = incidents
        .iter()
        .map(|r| serde_json::from_str(&r.json).map_err(|e| lastunit::Error::StateUnreadable(format!("incident: {e}"))))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let sales: Vec<JsonRow> = sql
        .exec(
            "SELECT json FROM (SELECT version, json FROM ledger WHERE json LIKE '%\"type\":\"sale\"%' ORDER BY version DESC LIMIT ?) ORDER BY version",
            vec![(lastunit::incident::ORDERS_KEPT as i64 * 4).into()],
        )
        .and_then(|c| c.to_array())
        .map_err(storage)?;
    let sales: Vec<lastunit::LedgerEntry> = sales.iter().filter_map(|r| serde_json::from_str(&r.json).ok()).collect();
    sku.restore_incidents(incidents, &sales);
    Ok(Some(sku))
}
