//! The SKU object's alarm: it expires holds on time, prunes what is past keeping, recalibrates
//! the buffer hourly, and does all the network work (the summary to the catalog, subscriber
//! pushes, the new availability to each connected store's writer, the adjustments Square is
//! told of), so nothing that waits on the network runs inside a sale.

use futures_util::future::join_all;
use serde_json::{json, Value};
use worker::{Method, Result};

use lastunit::connect::report::Route;
use lastunit::connect::square_out::Answer;
use lastunit::time::HOUR;
use lastunit::{Timestamp, Topology};

use super::{Blocked, Loaded, SkuObject};
use crate::internal::{self, call_json, catalog_stub};
use crate::push::{self, with_timeout, Subscriber, NETWORK_TIMEOUT_MS};
use crate::transaction::at_time;

/// Alarm delay after a change, so bursts share one summary push.
const SETTLE_MS: i64 = 200;

impl SkuObject {
    pub(super) async fn run_alarm(&self) -> Result<()> {
        let now = internal::now();
        let recalibrate_due = now.millis() - self.push.borrow().recalibrated_at >= HOUR;
        match self
            .change(now, |s| {
                if recalibrate_due {
                    s.recalibrate(now);
                }
            })
            .await
        {
            Ok(()) => {}
            // Nothing to expire, push or prune for a SKU that is not there or does not read.
            Err(Blocked::Absent | Blocked::Unreadable(_)) => return Ok(()),
            Err(Blocked::Storage(e)) => return Err(e),
        }
        if recalibrate_due {
            self.push.borrow_mut().recalibrated_at = now.millis();
        }
        self.prune(now)?;

        // Holds must expire on time even if the network work below is slow: wake up for the
        // next expiry whatever happens to it.
        self.state.storage().set_alarm(at_time(self.next_wake(now, false, false))).await?;

        let retry_soon = match with_timeout(self.push_summary(), NETWORK_TIMEOUT_MS).await {
            Some(Ok(())) => false,
            Some(Err(e)) => {
                worker::console_error!("summary push failed: {e}");
                true
            }
            None => {
                worker::console_error!("summary push timed out");
                true
            }
        };
        self.deliver(now).await;
        let alerts_failed = self.alert(now).await;
        self.report(now).await;
        self.save_push()?;
        self.tell_square().await?;
        self.state.storage().set_alarm(at_time(self.next_wake(now, retry_soon || alerts_failed, true))).await?;
        Ok(())
    }

    /// After a change: make sure the alarm runs soon (summary, pushes, next expiry).
    pub(super) async fn soon(&self, now: Timestamp) -> Result<()> {
        let at = now.millis() + SETTLE_MS;
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(t) if t <= at => Ok(()),
            _ => storage.set_alarm(at_time(at)).await,
        }
    }

    /// The next moment the alarm has work: a hold expiring, a push to retry, the hourly
    /// recalibration, (soon) a change not yet sent to the catalog, or (`with_square`) a batch
    /// for Square. Square is left out while this run is still to send it: a second run at once
    /// would only send the same batch again.
    fn next_wake(&self, now: Timestamp, retry_soon: bool, with_square: bool) -> i64 {
        let p = self.push.borrow();
        let mut next = p.recalibrated_at + HOUR;
        if let Loaded::Ready(sku) = &*self.sku.borrow() {
            if let Some(t) = sku.next_expiry() {
                next = next.min(t.millis());
            }
            if p.summary_version != Some(sku.version()) {
                next = next.min(internal::now().millis() + SETTLE_MS);
            }
            if let Some(t) = sku.square_next_attempt().filter(|_| with_square) {
                next = next.min(t.millis());
            }
        }
        for t in p.retry_at.values().copied().chain(p.reports.next_retry().map(Timestamp::millis)) {
            next = next.min(t);
        }
        if retry_soon {
            next = next.min(now.millis() + 5_000);
        }
        next.max(internal::now().millis() + 50)
    }

    async fn push_summary(&self) -> Result<()> {
        let (version, summary) = {
            let Loaded::Ready(sku) = &*self.sku.borrow() else { return Ok(()) };
            if self.push.borrow().summary_version == Some(sku.version()) {
                return Ok(());
            }
            (sku.version(), sku.summary())
        };
        let catalog = catalog_stub(&self.env)?;
        let (status, answer): (u16, Value) = call_json(&catalog, Method::Post, "/summary", Some(&summary)).await?;
        if status != 200 {
            return Err(worker::Error::RustError(format!("catalog answered {status}: {answer}")));
        }
        if answer.get("known") == Some(&json!(false)) {
            return Err(worker::Error::RustError(format!("the catalog does not list `{}` yet", summary.sku)));
        }
        let subscribers: Vec<Subscriber> =
            serde_json::from_value(answer.get("subscribers").cloned().unwrap_or(json!([]))).unwrap_or_default();
        let connections: Vec<Route> =
            serde_json::from_value(answer.get("connections").cloned().unwrap_or(json!([]))).unwrap_or_default();
        {
            let mut p = self.push.borrow_mut();
            p.summary_version = Some(version);
            p.subscribers = subscribers;
            p.reports.keep_only(&connections);
            p.connections = connections;
        }
        // The catalog's layout, in case a fan-out has not reached this SKU yet.
        if let Some(topology) = answer.get("topology").and_then(|t| serde_json::from_value::<Topology>(t.clone()).ok())
        {
            let now = internal::now();
            match self.change(now, |s| s.set_topology(topology, now)).await {
                Ok(()) | Err(Blocked::Absent | Blocked::Unreadable(_)) => {}
                Err(Blocked::Storage(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Tells each connected store's writer the new availability of its channel, when it
    /// differs from what the writer acknowledged (a failure is retried with backoff).
    async fn report(&self, now: Timestamp) {
        let due = {
            let Loaded::Ready(sku) = &*self.sku.borrow() else { return };
            let p = self.push.borrow();
            p.reports.due(sku.id(), sku.version(), &sku.config().pos_refs, &p.connections, now, |channel| {
                sku.availability(channel).ok().map(|a| a.available)
            })
        };
        let calls = due.iter().map(|r| async move {
            let item = json!({"sku": r.sku, "item_ref": r.item_ref, "available": r.available, "version": r.version});
            let stub = internal::connection_stub(&self.env, r.provider)?;
            let (status, _): (u16, Value) =
                call_json(&stub, Method::Post, "/want", Some(&json!({"items": [item]}))).await?;
            Ok::<bool, worker::Error>(status == 200)
        });
        let outcomes = join_all(calls.map(|c| with_timeout(c, NETWORK_TIMEOUT_MS))).await;
        let mut p = self.push.borrow_mut();
        for (r, outcome) in due.iter().zip(outcomes) {
            p.reports.record(r, matches!(outcome, Some(Ok(true))), now);
        }
    }

    /// Sends the batch Square is owed, if one is due: the engine freezes it (stored before it
    /// leaves, so a retry sends the same key) and reads what Square's answer means.
    async fn tell_square(&self) -> Result<()> {
        let now = internal::now();
        let batch = match self.change(now, |s| s.square_due(now)).await {
            Ok(Some(batch)) => batch,
            Ok(None) | Err(Blocked::Absent | Blocked::Unreadable(_)) => return Ok(()),
            Err(Blocked::Storage(e)) => return Err(e),
        };
        let answer = crate::square_out::send(&self.env, &batch).await;
        if let Answer::Retry { error, .. } | Answer::Refused { error } = &answer {
            worker::console_warn!("square batch-create of {} change(s) failed: {error}", batch.changes.len());
        }
        let now = internal::now();
        match self.change(now, |s| s.square_settled(&batch.idempotency_key, answer, now)).await {
            Ok(()) | Err(Blocked::Absent | Blocked::Unreadable(_)) => Ok(()),
            Err(Blocked::Storage(e)) => Err(e),
        }
    }

    /// Sends alert subscribers each open incident they have not received as it stands, signed
    /// like every push; answers whether one failed (the next alarm comes soon and tries again).
    async fn alert(&self, now: Timestamp) -> bool {
        let due = {
            let Loaded::Ready(sku) = &*self.sku.borrow() else { return false };
            self.push.borrow_mut().alerts_due(&sku.open_incidents())
        };
        let outcomes = join_all(due.iter().map(|d| push::post_signed(&d.subscriber, &d.body, now))).await;
        let mut p = self.push.borrow_mut();
        let mut failed = false;
        for (d, ok) in due.into_iter().zip(outcomes) {
            if ok {
                p.alerted(d);
            } else {
                failed = true;
            }
        }
        failed
    }

    /// Sends each subscriber its channel's availability when it differs from what it last
    /// received; a failure is retried with exponential backoff, always with the newest value.
    async fn deliver(&self, now: Timestamp) {
        let due = {
            let Loaded::Ready(sku) = &*self.sku.borrow() else { return };
            self.push.borrow_mut().due(now, |channel| sku.availability(channel).ok())
        };
        let outcomes = join_all(due.iter().map(|d| push::post_signed(&d.subscriber, &d.body, now))).await;
        let mut p = self.push.borrow_mut();
        for (d, ok) in due.into_iter().zip(outcomes) {
            p.record(d, ok, now);
        }
    }
}
