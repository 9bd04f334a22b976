//! What the writer sends and when: the next wake, the batch that is due (read-backs first),
//! a request left unanswered sent again with its key, Shopify's cost bucket and WooCommerce's
//! requests a second.

use super::rows::{FlightKind, FlightLine, InFlight, Item};
use super::{Outbox, Target, SETTLE_MS};
use crate::connect::shopify::{self, SetLine};
use crate::connect::woocommerce::{self, WooRef};
use crate::connect::{Provider, StoreRequest};
use crate::Timestamp;

/// What to send now: the requests (in order) and the number [`Outbox::record`] takes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Work {
    /// The in-flight request number.
    pub id: u64,
    /// The requests; answer each, in order.
    pub requests: Vec<StoreRequest>,
}

impl Outbox {
    /// When there is something to do (`None`: nothing pending).
    pub fn next_wake(&self, now: Timestamp) -> Option<Timestamp> {
        let read_back = self.items.values().any(|i| i.read_back && i.refused.is_none());
        let due = self
            .write_at(now)
            .into_iter()
            .chain((read_back || self.meta.in_flight.is_some()).then_some(now))
            .min()?;
        let gate = [self.meta.retry_at, self.meta.throttled_until].into_iter().flatten().max();
        Some(gate.map_or(due, |g| g.max(due)).max(now))
    }

    /// When the next write leaves: when the first item is due, held for the items that fall
    /// due within [`SETTLE_MS`] after it (a SKU written less than a second ago, in a resync) so
    /// they share its batch. The hold never outlasts that window, so nothing waits longer.
    fn write_at(&self, now: Timestamp) -> Option<Timestamp> {
        let ready: Vec<Timestamp> = self.items.values().filter_map(|i| i.ready_at(now)).collect();
        let window = ready.iter().min()?.plus(SETTLE_MS);
        ready.into_iter().filter(|t| *t <= window).max()
    }

    fn key(&self, id: u64) -> String {
        format!("lastunit-{}-{id}", self.meta.epoch)
    }

    /// What to send now, if anything: a request left unanswered (again, with the same key,
    /// while its numbers are the newest), read-backs, or the due writes. The request is
    /// recorded in flight before it is returned; store the changes before sending it.
    pub fn poll(&mut self, target: &Target, now: Timestamp) -> Option<Work> {
        if !target.write || self.meta.retry_at.is_some_and(|t| t > now) {
            return None;
        }
        if self.meta.throttled_until.is_some_and(|t| t > now) {
            return None;
        }
        let location = target.location_ref.as_deref();
        if self.meta.provider == Provider::Shopify && location.is_none() {
            return None;
        }
        if let Some(flight) = self.meta.in_flight.clone() {
            let current = flight.lines.iter().all(|l| {
                self.items.get(&l.sku).is_some_and(|i| {
                    i.item_ref == l.item_ref
                        && match flight.kind {
                            FlightKind::Write => i.wanted == Some(l.quantity) && i.echoes.known == l.change_from,
                            FlightKind::ReadBack => i.read_back,
                        }
                })
            });
            if current {
                return Some(self.build(&flight, location));
            }
            self.meta.in_flight = None;
            self.meta_dirty = true;
        }
        let flight = self.next_flight(now)?;
        if self.meta.provider == Provider::Shopify {
            let cost = match flight.kind {
                FlightKind::Write => self.meta.costs.write.unwrap_or(shopify::WRITE_COST),
                FlightKind::ReadBack => self
                    .meta
                    .costs
                    .read_back
                    .unwrap_or(shopify::READ_BACK_COST_PER_LEVEL * flight.lines.len() as f64),
            };
            if let Some(ready) = self.meta.bucket.map(|b| b.ready_for(cost, now)).filter(|t| *t > now) {
                self.meta.throttled_until = Some(ready);
                self.meta_dirty = true;
                return None;
            }
        }
        if flight.kind == FlightKind::Write {
            for l in &flight.lines {
                let item = self.items.get_mut(&l.sku).expect("chosen from the items");
                item.echoes.sending(l.quantity, now);
                item.sent_at = Some(now);
            }
            for l in &flight.lines {
                self.touch(&l.sku);
            }
        }
        self.meta.seq = flight.id;
        self.meta.in_flight = Some(flight.clone());
        self.meta_dirty = true;
        Some(self.build(&flight, location))
    }

    /// Chooses the next request: read-backs first (a write after a stale compare needs them).
    fn next_flight(&self, now: Timestamp) -> Option<InFlight> {
        let id = self.meta.seq + 1;
        if self.meta.provider == Provider::Shopify {
            let lines: Vec<FlightLine> = self
                .items
                .iter()
                .filter(|(_, i)| i.read_back && i.refused.is_none())
                .take(shopify::MAX_READ_BACKS)
                .map(|(s, i)| FlightLine {
                    sku: s.clone(),
                    item_ref: i.item_ref.clone(),
                    quantity: 0,
                    change_from: None,
                })
                .collect();
            if !lines.is_empty() {
                return Some(InFlight { id, kind: FlightKind::ReadBack, lines });
            }
        }
        let max = match self.meta.provider {
            Provider::Shopify => shopify::MAX_QUANTITIES,
            _ => woocommerce::WRITES_PER_SECOND * woocommerce::MAX_BATCH,
        };
        if self.write_at(now).is_some_and(|t| t > now) {
            return None;
        }
        let mut due: Vec<(Timestamp, &String, &Item)> =
            self.items.iter().filter_map(|(s, i)| i.ready_at(now).filter(|t| *t <= now).map(|t| (t, s, i))).collect();
        due.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let lines: Vec<FlightLine> = due
            .into_iter()
            .take(max)
            .map(|(_, s, i)| FlightLine {
                sku: s.clone(),
                item_ref: i.item_ref.clone(),
                quantity: i.wanted.unwrap_or(0),
                change_from: i.echoes.known,
            })
            .collect();
        let lines = if self.meta.provider == Provider::Shopify { lines } else { woo_first_requests(lines) };
        (!lines.is_empty()).then_some(InFlight { id, kind: FlightKind::Write, lines })
    }

    fn build(&self, flight: &InFlight, location: Option<&str>) -> Work {
        let location = location.unwrap_or("");
        let requests = match (self.meta.provider, flight.kind) {
            (Provider::Shopify, FlightKind::Write) => {
                let lines: Vec<SetLine> = flight
                    .lines
                    .iter()
                    .map(|l| SetLine { item_ref: l.item_ref.clone(), quantity: l.quantity, change_from: l.change_from })
                    .collect();
                vec![shopify::set_quantities(location, &lines, &self.key(flight.id))]
            }
            (Provider::Shopify, FlightKind::ReadBack) => {
                let refs: Vec<String> = flight.lines.iter().map(|l| l.item_ref.clone()).collect();
                vec![shopify::read_levels(location, &refs)]
            }
            (_, _) => woocommerce::stock_writes(&woo_lines(&flight.lines).0).into_iter().map(|(r, _)| r).collect(),
        };
        Work { id: flight.id, requests }
    }
}

/// Flight lines as WooCommerce products and quantities, with each one's index among `lines`
/// (a ref that does not parse, which `pos_refs` checks never let in, is left out).
pub(super) fn woo_lines(lines: &[FlightLine]) -> (Vec<(WooRef, i64)>, Vec<usize>) {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| WooRef::parse(&l.item_ref).ok().map(|r| ((r, l.quantity), i)))
        .unzip()
}

/// The lines of the first [`woocommerce::WRITES_PER_SECOND`] requests that would write `lines`,
/// in the order those requests carry them (the rest stay due for the next run).
fn woo_first_requests(lines: Vec<FlightLine>) -> Vec<FlightLine> {
    let (refs, index) = woo_lines(&lines);
    let plan = woocommerce::stock_writes(&refs);
    let keep: Vec<usize> =
        plan.iter().take(woocommerce::WRITES_PER_SECOND).flat_map(|(_, members)| members.iter().map(|&m| index[m])).collect();
    let mut slots: Vec<Option<FlightLine>> = lines.into_iter().map(Some).collect();
    keep.into_iter().filter_map(|i| slots[i].take()).collect()
}
