//! The SKU object's internal routes, one function each: reads (availability, the operator's
//! view) and changes (configure, topology, events, reserve, commit, release, expect). Each
//! change is one engine call through [`SkuObject::change`].

use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response, Result};

use lastunit::csv_export::{ledger_rows, LedgerFilter};
use lastunit::event::StockEvent;
use lastunit::forecast::IncomingLine;
use lastunit::{Applied, HoldRequest, Sku, SkuConfig, Timestamp, Topology};

use super::{unknown_sku, Blocked, Loaded, SkuObject};
use crate::http::{self, engine_error, json, json_text};
use crate::internal::{self, body, query};

/// The newest ledger entries the operator's view shows.
const VIEW_LEDGER_ROWS: u32 = 50;

/// Ledger entries per page of the ledger export.
const LEDGER_PAGE: u32 = 1_000;

/// `{..., "now": ...}`: internal callers may fix `now` (a cart commits every line at one instant).
#[derive(Deserialize)]
struct WithNow<T> {
    #[serde(flatten)]
    inner: T,
    #[serde(default)]
    now: Option<Timestamp>,
}

impl<T> WithNow<T> {
    fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(internal::now)
    }
}

#[derive(Deserialize)]
struct ConfigureReq {
    sku: String,
    config: SkuConfig,
    topology: Topology,
}

#[derive(Deserialize)]
struct TopologyReq {
    topology: Topology,
}

#[derive(Deserialize)]
struct EventsReq {
    events: Vec<StockEvent>,
}

#[derive(Deserialize)]
struct ReserveReq {
    id: String,
    cart_id: String,
    channel: String,
    quantity: i64,
    expires_at: Timestamp,
    /// The storefront client whose carts `max_per_cart` also caps.
    #[serde(default)]
    client: Option<String>,
}

#[derive(Deserialize)]
struct CommitReq {
    id: String,
    order_id: String,
}

#[derive(Deserialize)]
struct ReleaseReq {
    id: String,
}

#[derive(Deserialize)]
struct ExpectReq {
    line: IncomingLine,
}

impl SkuObject {
    // ---- reads ----------------------------------------------------------------------------------

    pub(super) async fn availability(&self, req: &Request) -> Result<Response> {
        let channel = query(req, "channel").unwrap_or_else(|| "web".into());
        // Expiring is a change like any other: stored and pushed before the answer.
        match self.read(internal::now(), |sku| sku.availability(&channel)).await {
            Err(b) => b.answer(),
            Ok(Ok(a)) => json(200, &a),
            Ok(Err(e)) => engine_error(&e),
        }
    }

    pub(super) async fn view(&self) -> Result<Response> {
        let now = internal::now();
        let body = self.read(now, |sku| {
            let summary = sku.summary();
            json!({
                "sku": sku.id(),
                "title": summary.title,
                "config": sku.config(),
                "on_hand": summary.on_hand,
                "unsellable": summary.unsellable,
                "in_transit": summary.in_transit,
                "reserved": summary.reserved,
                "holds": summary.holds,
                "buffer": summary.buffer,
                "buffer_policy": summary.buffer_policy,
                "available": summary.available,
                "availability": sku.availability_all(),
                "velocity_per_day": summary.velocity_per_day(now),
                "days_of_supply": summary.days_of_supply(now),
                "projected_stockout_at": summary.projected_stockout(now, None),
                "incoming": summary.incoming,
                "returns": summary.returns,
                "return_flags": summary.return_flags(),
                "history": summary.history,
                "version": summary.version,
                "updated_at": summary.updated_at,
            })
        });
        let mut body = match body.await {
            Ok(b) => b,
            Err(b) => return b.answer(),
        };
        let (ledger, entries) = self.ledger_tail(VIEW_LEDGER_ROWS)?;
        body["ledger"] = json!(ledger);
        body["ledger_entries"] = entries;
        json(200, &body)
    }

    /// `GET /export`: the SKU's policy and its sellable units at every location, the SKU
    /// export's rows (`GET /admin/export/skus`).
    pub(super) async fn export(&self) -> Result<Response> {
        let body = self.read(internal::now(), |sku| {
            let on_hand: Vec<(&String, i64)> =
                sku.topology().locations.iter().map(|l| (l, sku.on_hand_at(l))).collect();
            json!({"config": sku.config(), "on_hand": on_hand})
        });
        match body.await {
            Err(b) => b.answer(),
            Ok(v) => json(200, &v),
        }
    }

    /// `GET /ledger?after=&from=&to=`: the next page of the ledger as CSV rows (no header), those
    /// recorded after row `after` whose time is in `from..to` (milliseconds), and in `x-next`
    /// where the next page starts (absent after the last). The rows are written here, next to
    /// the entries, so only text crosses to the Worker's stream (`GET /admin/export/ledger`).
    pub(super) fn ledger(&self, req: &Request) -> Result<Response> {
        let millis = |name: &str| query(req, name).and_then(|v| v.parse::<i64>().ok());
        let filter = LedgerFilter { from: millis("from").map(Timestamp), to: millis("to").map(Timestamp) };
        let (entries, next) = self.ledger_page(millis("after").unwrap_or(0), LEDGER_PAGE)?;
        let mut resp = Response::ok(ledger_rows(&entries, &filter))?;
        resp.headers_mut().set("content-type", "text/csv; charset=utf-8")?;
        if let Some(next) = next {
            resp.headers_mut().set("x-next", &next.to_string())?;
        }
        Ok(resp)
    }

    // ---- changes --------------------------------------------------------------------------------

    pub(super) async fn configure(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<ConfigureReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let ConfigureReq { sku: id, config, topology } = r.inner;
        let absent = matches!(*self.sku.borrow(), Loaded::Absent);
        if absent {
            let mut sku = match Sku::new(&id, config, topology, now) {
                Ok(s) => s,
                Err(e) => return engine_error(&e),
            };
            if let Err(e) = self.store(&id, &sku.take_changes()) {
                return Blocked::Storage(e).answer();
            }
            *self.sku.borrow_mut() = Loaded::Ready(sku);
            self.push.borrow_mut().recalibrated_at = now.millis();
            self.save_push()?;
            self.soon(now).await?;
        } else {
            // An unreadable SKU answers 503 here and is never configured over.
            let outcome = self
                .change(now, |s| {
                    s.set_topology(topology, now);
                    s.configure(config, now)
                })
                .await;
            match outcome {
                Err(b) => return b.answer(),
                Ok(Err(e)) => return engine_error(&e),
                Ok(Ok(())) => {}
            }
        }
        self.view().await
    }

    pub(super) async fn topology(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<TopologyReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let topology = r.inner.topology;
        match self.change(now, |s| s.set_topology(topology, now)).await {
            Err(b) => b.answer(),
            Ok(()) => json(200, &json!({"status": "ok"})),
        }
    }

    /// `/events/check`: whether every event would be accepted; changes nothing (the first pass
    /// of a batch across SKUs).
    pub(super) async fn check_events(&self, req: &mut Request) -> Result<Response> {
        let r: EventsReq = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let checked = match &*self.sku.borrow() {
            Loaded::Ready(sku) => r.events.iter().try_for_each(|e| sku.check_event(e)),
            Loaded::Absent => return unknown_sku(),
            Loaded::Unreadable(e) => return engine_error(e),
        };
        match checked {
            Ok(()) => json(200, &json!({"status": "ok"})),
            Err(err) => engine_error(&err),
        }
    }

    pub(super) async fn events(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<EventsReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let events = r.inner.events;
        // All or nothing: the engine checks every event before applying any, and the ledger
        // rows and applied keys of the whole batch are stored in one transaction.
        match self.change(now, |sku| sku.apply_all(&events, now)).await {
            Err(b) => b.answer(),
            Ok(Err(e)) => engine_error(&e),
            Ok(Ok(results)) => {
                let count = |kind: fn(&Applied) -> bool| results.iter().filter(|a| kind(a)).count();
                json(
                    200,
                    &json!({
                        "applied": count(|a| matches!(a, Applied::Applied(_))),
                        "duplicates": count(|a| matches!(a, Applied::Duplicate)),
                        "ignored": count(|a| matches!(a, Applied::Stale | Applied::Echo)),
                    }),
                )
            }
        }
    }

    pub(super) async fn reserve(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<ReserveReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let q = r.inner;
        let hold = HoldRequest {
            id: q.id.clone(),
            cart_id: q.cart_id.clone(),
            client: q.client.clone(),
            channel: q.channel.clone(),
            quantity: q.quantity,
            expires_at: q.expires_at,
        };
        let answered = self.change(now, |s| {
            let (status, body) = match s.reserve(&hold, now) {
                Ok(h) => (
                    201u16,
                    json!({
                        "reservation_id": h.id,
                        "cart_id": h.cart_id,
                        "channel": h.channel,
                        "lines": [{"sku": s.id(), "quantity": h.quantity}],
                        "expires_at": h.expires_at,
                    }),
                ),
                Err(e) => (e.http_status(), e.body()),
            };
            (status, body.to_string())
        });
        match answered.await {
            Err(b) => b.answer(),
            Ok((status, text)) => json_text(status, text),
        }
    }

    pub(super) async fn commit(&self, req: &mut Request) -> Result<Response> {
        self.settle_hold(req, "committed", |s, r: &CommitReq, now| s.commit(&r.id, &r.order_id, now)).await
    }

    pub(super) async fn release(&self, req: &mut Request) -> Result<Response> {
        self.settle_hold(req, "released", |s, r: &ReleaseReq, now| s.release(&r.id, now)).await
    }

    /// Commit and release: one engine call on a hold, answered `{"status": <status>}`.
    async fn settle_hold<B: serde::de::DeserializeOwned>(
        &self,
        req: &mut Request,
        status: &str,
        op: impl FnOnce(&mut Sku, &B, Timestamp) -> std::result::Result<lastunit::Hold, lastunit::Error>,
    ) -> Result<Response> {
        let r: WithNow<B> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        match self.change(now, |s| op(s, &r.inner, now)).await {
            Err(b) => b.answer(),
            Ok(Ok(_)) => json(200, &json!({"status": status})),
            Ok(Err(e)) => engine_error(&e),
        }
    }

    /// Closes an oversell incident: `{"id"}`, answered with the incident as closed.
    pub(super) async fn close_incident(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<ReleaseReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        match self.change(now, |s| s.close_incident(&r.inner.id, now)).await {
            Err(b) => b.answer(),
            Ok(Ok(i)) => json(200, &i),
            Ok(Err(e)) => engine_error(&e),
        }
    }

    pub(super) async fn expect(&self, req: &mut Request) -> Result<Response> {
        let r: WithNow<ExpectReq> = match body(req).await {
            Ok(r) => r,
            Err(e) => return http::bad_json(e),
        };
        let now = r.now();
        let line = r.inner.line;
        match self.change(now, |s| s.expect(line, now)).await {
            Err(b) => b.answer(),
            Ok(Ok(())) => json(200, &json!({"status": "ok"})),
            Ok(Err(e)) => engine_error(&e),
        }
    }
}
