//! The catalog's views of oversells and reordering, read from the summary rows the SKU objects
//! push from their alarms: open incidents across SKUs, and reorder advice.

use serde_json::json;
use worker::{Request, Response, Result};

use lastunit::reorder::{advise_all, ReorderTerms, DEFAULT_COVER_DAYS, DEFAULT_LEAD_DAYS};

use super::CatalogObject;
use crate::http::{engine_error, json};
use crate::internal::{self, query};

impl CatalogObject {
    /// `GET /incidents`: every open incident, newest first.
    pub(super) fn incidents(&self) -> Result<Response> {
        let d = self.data.borrow();
        let mut all: Vec<&lastunit::incident::Incident> = d.summaries.iter().flat_map(|s| s.incidents.iter()).collect();
        all.sort_by(|a, b| b.detected_at.cmp(&a.detected_at).then_with(|| a.id.cmp(&b.id)));
        json(200, &json!({"incidents": all}))
    }

    /// `GET /reorder?lead_days=&cover_days=`: advice per SKU, those to order first.
    pub(super) fn reorder(&self, req: &Request) -> Result<Response> {
        let days = |name: &'static str, default: f64| match query(req, name) {
            None => Ok(default),
            Some(v) => v.parse::<f64>().map_err(|_| lastunit::Error::invalid(name, "must be a number of days")),
        };
        let terms = days("lead_days", DEFAULT_LEAD_DAYS)
            .and_then(|lead| Ok((lead, days("cover_days", DEFAULT_COVER_DAYS)?)))
            .and_then(|(lead, cover)| ReorderTerms::new(lead, cover));
        let terms = match terms {
            Ok(t) => t,
            Err(e) => return engine_error(&e),
        };
        let d = self.data.borrow();
        let advice = advise_all(&d.summaries, terms, internal::now());
        json(200, &json!({"lead_days": terms.lead_days, "cover_days": terms.cover_days, "skus": advice}))
    }
}
