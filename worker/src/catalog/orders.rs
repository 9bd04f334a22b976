//! The catalog's share of store orders (`POST /order-events`): the connection an order sells
//! on, the SKU each of its lines names (the engine's `match_line` over the SKUs and their
//! `pos_refs`), and the lines no SKU matched, kept per provider (`kv` rows `unknown:{provider}`,
//! the newest [`UNKNOWN_KEPT`]) for the connection's status.

use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response, Result};

use lastunit::connect::orders::{match_line, OrderNotice, UnknownLine};
use lastunit::connect::Provider;
use lastunit::Timestamp;

use super::{storage_err, CatalogObject, KvRow};
use crate::http::{self, engine_error, json};
use crate::internal::body;

/// Unknown lines listed per connection.
pub const UNKNOWN_KEPT: usize = 20;

#[derive(Deserialize)]
struct OrderReq {
    notice: OrderNotice,
    now: Timestamp,
}

impl CatalogObject {
    /// Reads the stored unknown lines (at start).
    pub(super) fn load_unknown_lines(rows: &[KvRow]) -> Vec<(Provider, Vec<UnknownLine>)> {
        rows.iter()
            .filter_map(|r| {
                let p = Provider::parse(r.key.strip_prefix("unknown:")?).ok()?;
                Some((p, serde_json::from_str(&r.json).ok()?))
            })
            .collect()
    }

    /// `{"notice", "now"}` → `{"events": [...], "ignored": n}`: the order's lines as checked
    /// events on its connection's channel at its location. Without a connection nothing is
    /// sold and every line is ignored.
    pub(super) async fn order_events(&self, req: &mut Request) -> Result<Response> {
        let OrderReq { notice, now } = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let lines = notice.lines.len() + notice.unchanged;
        let decided = {
            let d = self.data.borrow();
            let Some(connection) = d.connections.get(&notice.provider) else {
                worker::console_warn!(
                    "{} order {}: no connection, {lines} line(s) ignored",
                    notice.provider,
                    notice.order_id
                );
                return json(200, &json!({"events": [], "ignored": lines}));
            };
            let skus: Vec<Option<String>> = notice
                .lines
                .iter()
                .map(|l| match_line(l, notice.provider, |s| d.skus.contains_key(s), &d.sku_refs))
                .collect();
            notice.events(connection.channel(), &connection.location, &skus, now)
        };
        let out = match decided {
            Ok(out) => out,
            Err(e) => return engine_error(&e),
        };
        if !out.unknown.is_empty() {
            self.remember_unknown(notice.provider, out.unknown.clone())?;
        }
        json(200, &json!({"events": out.events, "ignored": out.unknown.len() + notice.unchanged}))
    }

    /// Lists unknown lines, newest first, each line once however often it is delivered.
    fn remember_unknown(&self, provider: Provider, lines: Vec<UnknownLine>) -> Result<()> {
        let list = {
            let mut d = self.data.borrow_mut();
            let list = d.unknown_lines.entry(provider).or_default();
            for line in lines {
                list.retain(|l| l.event_id != line.event_id);
                list.insert(0, line);
            }
            list.truncate(UNKNOWN_KEPT);
            serde_json::to_string(list).map_err(storage_err)?
        };
        self.sql.exec(
            "INSERT OR REPLACE INTO kv(key, json) VALUES (?, ?)",
            vec![format!("unknown:{provider}").into(), list.into()],
        )?;
        Ok(())
    }
}
