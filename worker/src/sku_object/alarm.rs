//! The SKU object's alarm: it expires holds on time, prunes what is past keeping, recalibrates
//! the buffer hourly, and does all the network work (the summary to the catalog, subscriber
//! pushes, the new availability to each connected store's writer, the adjustments Square is
//! told of), so nothing that waits on the network runs inside a sale.

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Method, Result};

use lastunit::connect::report::{Reports, Route};
use lastunit::connect::square_out::Answer;
use lastunit::push::{PushLog, Subscriber};
use lastunit::wake::{self, Wake, SETTLE_MS};
use lastunit::{Timestamp, Topology};

use super::{Blocked, Loaded, SkuObject};
use crate::internal::{self, call_json, catalog_stub};
use crate::push::{self, with_timeout, NETWORK_TIMEOUT_MS};
use crate::transaction::at_time;

/// What a SKU object's alarm keeps between runs (stored as the `meta` row `push`, in the layout
/// every earlier release wrote: the log's fields at the top level).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct PushState {
    /// SKU version last sent to the catalog (`None`: not since this object started, so the
    /// first alarm sends it and learns the subscribers).
    #[serde(skip)]
    pub summary_version: Option<u64>,
    /// The subscribers, as the catalog last answered. Kept in memory only: their secrets stay
    /// in the catalog instead of being copied into the storage of every SKU.
    #[serde(skip)]
    pub subscribers: Vec<Subscriber>,
    /// What each subscriber was pushed, and its retries (the engine's).
    #[serde(flatten)]
    pub log: PushLog,
    /// When the buffer was last recalibrated.
    pub recalibrated_at: i64,
    /// The connected stores' writers this SKU reports to, as the catalog last answered.
    #[serde(skip)]
    pub connections: Vec<Route>,
    /// What each connection's writer last acknowledged, and retries.
    #[serde(default)]
    pub reports: Reports,
}

impl SkuObject {
    pub(super) async fn run_alarm(&self) -> Result<()> {
        let now = internal::now();
        let recalibrated_at = Timestamp(self.push.borrow().recalibrated_at);
        let recalibrate_due = wake::recalibration_due(recalibrated_at, self.buffer_changes_at(recalibrated_at), now);
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
        self.state.storage().set_alarm(at_time(self.next_wake(None, false))).await?;

        let summary_failed = match with_timeout(self.push_summary(), NETWORK_TIMEOUT_MS).await {
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
        let failed_at = (summary_failed || alerts_failed).then_some(now);
        self.state.storage().set_alarm(at_time(self.next_wake(failed_at, true))).await?;
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

    /// The next moment the alarm has work (the engine's [`Wake`]): a hold expiring, a push or
    /// report to retry, the hourly recalibration, (soon) a change not yet sent to the catalog,
    /// a retry soon after the run of `failed_at` failed to send the summary or an alert, or
    /// (`with_square`) a batch for Square. Square is left out while this run is still to send
    /// it: a second run at once would only send the same batch again.
    fn next_wake(&self, failed_at: Option<Timestamp>, with_square: bool) -> i64 {
        let p = self.push.borrow();
        let loaded = self.sku.borrow();
        let sku = match &*loaded {
            Loaded::Ready(sku) => Some(sku),
            _ => None,
        };
        let wake = Wake {
            recalibrated_at: Timestamp(p.recalibrated_at),
            buffer_changes_at: sku.and_then(|s| s.buffer_changes_at(Timestamp(p.recalibrated_at))),
            hold_expiry: sku.and_then(|s| s.next_expiry()),
            summary_unsent: sku.is_some_and(|s| p.summary_version != Some(s.version())),
            square: sku.and_then(|s| s.square_next_attempt()).filter(|_| with_square),
            push_retry: p.log.next_retry(),
            report_retry: p.reports.next_retry(),
            failed_at,
        };
        wake.next(internal::now()).millis()
    }

    /// When the SKU's buffer changes by the clock alone after `at` (its store hours).
    fn buffer_changes_at(&self, at: Timestamp) -> Option<Timestamp> {
        match &*self.sku.borrow() {
            Loaded::Ready(sku) => sku.buffer_changes_at(at),
            _ => None,
        }
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
            let mut p = self.push.borrow_mut();
            let p = &mut *p;
            p.log.alerts_due(&p.subscribers, &sku.open_incidents())
        };
        let outcomes = join_all(due.iter().map(|d| push::post_signed(&d.subscriber, &d.body, now))).await;
        let mut p = self.push.borrow_mut();
        let mut failed = false;
        for (d, ok) in due.into_iter().zip(outcomes) {
            if ok {
                p.log.alerted(d);
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
            let mut p = self.push.borrow_mut();
            let p = &mut *p;
            p.log.due(&p.subscribers, now, |channel| sku.availability(channel).ok())
        };
        let outcomes = join_all(due.iter().map(|d| push::post_signed(&d.subscriber, &d.body, now))).await;
        let mut p = self.push.borrow_mut();
        for (d, ok) in due.into_iter().zip(outcomes) {
            p.log.record(d, ok, now);
        }
    }
}
