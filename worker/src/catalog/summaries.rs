//! The SKUs' summaries, pushed by their objects' alarms and kept in memory: the dashboard
//! and the questions over thousands of SKUs are answered from them.

use serde_json::json;
use worker::{Request, Response, Result};

use lastunit::push::Subscriber;
use lastunit::summary::{DashboardParams, DashboardQuery};
use lastunit::SkuSummary;

use super::{storage_err, CatalogObject};
use crate::http::{self, engine_error, json};
use crate::internal::{self, body, query};

impl CatalogObject {
    pub(super) async fn summary(&self, req: &mut Request) -> Result<Response> {
        let s: SkuSummary = match body(req).await {
            Ok(s) => s,
            Err(e) => return http::bad_json(e),
        };
        let known = self.data.borrow().skus.contains_key(&s.sku);
        if !known {
            // Not registered (yet): the SKU object keeps it pending and sends it again.
            return json(200, &json!({"known": false, "subscribers": [], "topology": self.data.borrow().topology}));
        }
        let newer = {
            let d = self.data.borrow();
            d.summary_index.get(&s.sku).is_none_or(|i| d.summaries[*i].version <= s.version)
        };
        if newer {
            let text = serde_json::to_string(&s).map_err(storage_err)?;
            self.sql.exec("UPDATE skus SET summary = ? WHERE sku = ?", vec![text.into(), s.sku.clone().into()])?;
            let mut d = self.data.borrow_mut();
            match d.summary_index.get(&s.sku).copied() {
                Some(i) => d.summaries[i] = s,
                None => {
                    let i = d.summaries.len();
                    d.summary_index.insert(s.sku.clone(), i);
                    d.summaries.push(s);
                }
            }
        }
        let routes = self.connection_routes();
        let d = self.data.borrow();
        let subs: Vec<&Subscriber> = d.subscribers.values().collect();
        json(200, &json!({"known": true, "subscribers": subs, "topology": d.topology, "connections": routes}))
    }

    pub(super) fn dashboard(&self, req: &Request) -> Result<Response> {
        let now = internal::now();
        let (horizon, channel, offset, limit, history) = (
            query(req, "horizon_days"),
            query(req, "channel"),
            query(req, "offset"),
            query(req, "limit"),
            query(req, "history"),
        );
        let params = DashboardParams {
            horizon_days: horizon.as_deref(),
            channel: channel.as_deref(),
            offset: offset.as_deref(),
            limit: limit.as_deref(),
            history: history.as_deref(),
        };
        let d = self.data.borrow();
        let q = match DashboardQuery::read(&params, &d.topology) {
            Ok(q) => q,
            Err(e) => return engine_error(&e),
        };
        // `skus=a,b,c`: only these rows (the page asks for the histories of the rows on screen).
        let page = match query(req, "skus") {
            Some(list) => {
                let wanted: std::collections::BTreeSet<&str> = list.split(',').map(str::trim).collect();
                let some: Vec<_> = d.summaries.iter().filter(|s| wanted.contains(s.sku.as_str())).cloned().collect();
                lastunit::summary::dashboard(&some, now, &q)
            }
            None => lastunit::summary::dashboard(&d.summaries, now, &q),
        };
        json(
            200,
            &json!({"generated_at": now, "horizon_days": q.horizon_days, "channel": q.channel, "total": page.total, "offset": page.offset, "rows": page.rows}),
        )
    }

    pub(super) fn ask(&self, req: &Request) -> Result<Response> {
        let q = query(req, "q").unwrap_or_default();
        if q.trim().is_empty() {
            return engine_error(&lastunit::Error::invalid("q", "must be a question"));
        }
        if q.len() > 500 {
            return engine_error(&lastunit::Error::invalid("q", "must be at most 500 characters"));
        }
        let d = self.data.borrow();
        json(200, &lastunit::ask::answer(&q, &d.summaries, internal::now()))
    }
}
