//! What an answer from the store means: applied, a stale compare-and-set to read back, a
//! throttle to wait out, a refused item to set aside, or a failure to back off from.

use super::rows::{FlightKind, InFlight};
use super::send::woo_lines;
use super::{Outbox, MAX_BACKOFF_MS};
use crate::connect::shopify::{self, SetOutcome};
use crate::connect::woocommerce::{self, StockOutcome, WooRef};
use crate::connect::{Answer, Provider};
use crate::time::SECOND;
use crate::Timestamp;

impl Outbox {
    /// Takes the answers to work `id` (one per request, in order) at `now`; `seed` draws the
    /// backoff's jitter. Answers to anything but the request in flight change nothing.
    pub fn record(&mut self, id: u64, answers: &[Answer], now: Timestamp, seed: u64) {
        let Some(flight) = self.meta.in_flight.clone().filter(|f| f.id == id) else { return };
        self.meta_dirty = true;
        match (self.meta.provider, flight.kind) {
            (Provider::Shopify, FlightKind::Write) => self.record_shopify_write(&flight, answers, now, seed),
            (Provider::Shopify, FlightKind::ReadBack) => self.record_read_back(&flight, answers, now, seed),
            _ => self.record_woo(&flight, answers, now, seed),
        }
    }

    fn record_shopify_write(&mut self, flight: &InFlight, answers: &[Answer], now: Timestamp, seed: u64) {
        let Some(answer) = answers.first() else { return self.failed("no answer recorded".into(), now, seed) };
        let (outcome, bucket) = shopify::read_set_answer(answer, flight.lines.len(), now);
        if let Some(b) = bucket {
            self.meta.bucket = bucket;
            self.meta.costs.write = Some(b.requested).filter(|c| *c > 0.0).or(self.meta.costs.write);
        }
        match outcome {
            SetOutcome::Applied => {
                for l in &flight.lines {
                    self.confirmed(&l.sku, l.quantity);
                }
                self.succeeded(now);
            }
            SetOutcome::Stale(lines) => {
                for i in lines {
                    let sku = &flight.lines[i].sku;
                    if let Some(item) = self.items.get_mut(sku) {
                        item.read_back = true;
                    }
                    self.touch(sku);
                }
                self.meta.in_flight = None;
                self.meta.retry_at = None;
            }
            SetOutcome::Refused(lines) => {
                for (i, why) in lines {
                    let sku = &flight.lines[i].sku;
                    if let Some(item) = self.items.get_mut(sku) {
                        item.refused = Some(why);
                    }
                    self.touch(sku);
                }
                self.meta.in_flight = None;
            }
            SetOutcome::NewKey(why) => {
                self.meta.in_flight = None;
                self.failed(why, now, seed);
            }
            SetOutcome::Throttled { wait_ms } => self.throttled(wait_ms, now),
            SetOutcome::Failed(why) => self.failed(why, now, seed),
        }
    }

    fn record_read_back(&mut self, flight: &InFlight, answers: &[Answer], now: Timestamp, seed: u64) {
        let Some(answer) = answers.first() else { return self.failed("no answer recorded".into(), now, seed) };
        let (levels, bucket) = shopify::read_levels_answer(answer, flight.lines.len(), now);
        if let Some(b) = bucket {
            self.meta.bucket = bucket;
            self.meta.costs.read_back = Some(b.requested).filter(|c| *c > 0.0).or(self.meta.costs.read_back);
        }
        match levels {
            Ok(levels) => {
                for (l, level) in flight.lines.iter().zip(levels) {
                    if let Some(item) = self.items.get_mut(&l.sku) {
                        item.read_back = false;
                        match level {
                            Some(q) => item.echoes.store_holds(q, item.wanted, now),
                            None => item.refused = Some("the item is not stocked at the connection's location".into()),
                        }
                        if item.pending() {
                            item.pending_since = Some(now);
                        }
                    }
                    self.touch(&l.sku);
                }
                self.meta.in_flight = None;
                self.meta.failures = 0;
                self.meta.retry_at = None;
            }
            Err(SetOutcome::Throttled { wait_ms }) => self.throttled(wait_ms, now),
            Err(SetOutcome::Failed(why)) => self.failed(why, now, seed),
            Err(_) => self.failed("the read-back could not be read".into(), now, seed),
        }
    }

    fn record_woo(&mut self, flight: &InFlight, answers: &[Answer], now: Timestamp, seed: u64) {
        // Each request stands alone and sets absolute numbers: nothing is sent again under a
        // key, what failed is simply still due.
        self.meta.in_flight = None;
        let mut failure = None;
        let mut wait = None;
        let mut any_written = false;
        let (refs, index) = woo_lines(&flight.lines);
        let requests = woocommerce::stock_writes(&refs);
        let mut outcomes = Vec::with_capacity(refs.len());
        for ((request, members), answer) in requests.iter().zip(answers) {
            let sent: Vec<(WooRef, i64)> = members.iter().map(|&m| refs[m]).collect();
            let read = woocommerce::read_writes_answer(answer, request, &sent);
            outcomes.extend(members.iter().map(|&m| &flight.lines[index[m]]).zip(read));
        }
        for (l, outcome) in outcomes {
            match outcome {
                StockOutcome::Written(q) => {
                    self.confirmed(&l.sku, q);
                    any_written = true;
                }
                StockOutcome::Refused(why) => {
                    if let Some(item) = self.items.get_mut(&l.sku) {
                        item.refused = Some(why);
                    }
                    self.touch(&l.sku);
                }
                StockOutcome::Throttled { wait_ms } => wait = Some(wait.unwrap_or(0).max(wait_ms)),
                StockOutcome::Failed(why) => failure = Some(why),
            }
        }
        if any_written {
            self.meta.last_write_at = Some(now);
        }
        match (wait, failure) {
            (Some(ms), _) => self.throttled(ms, now),
            (None, Some(why)) => self.failed(why, now, seed),
            (None, None) => {
                self.succeeded(now);
                // Pace the next run: at most WRITES_PER_SECOND requests a second.
                let spent = requests.len() as i64 * SECOND / woocommerce::WRITES_PER_SECOND as i64;
                self.meta.retry_at = Some(now.plus(spent));
            }
        }
    }

    fn confirmed(&mut self, sku: &str, quantity: i64) {
        if let Some(item) = self.items.get_mut(sku) {
            item.echoes.written(quantity);
            if item.wanted == Some(quantity) {
                item.forced = false;
            }
            if !item.pending() {
                item.pending_since = None;
            }
        }
        self.touch(sku);
    }

    fn succeeded(&mut self, now: Timestamp) {
        self.meta.in_flight = None;
        self.meta.failures = 0;
        self.meta.retry_at = None;
        self.meta.throttled_until = None;
        self.meta.last_write_at = Some(now);
        self.meta.last_error = None;
    }

    fn throttled(&mut self, wait_ms: i64, now: Timestamp) {
        self.meta.throttled_until = Some(now.plus(wait_ms));
        self.meta.last_error = Some(format!("throttled by the store for {wait_ms} ms"));
    }

    fn failed(&mut self, why: String, now: Timestamp, seed: u64) {
        self.meta.failures += 1;
        self.meta.retry_at = Some(now.plus(backoff_ms(self.meta.failures, seed)));
        self.meta.last_error = Some(why);
    }
}

/// The wait after `failures` failures in a row: 1 s, 2 s, 4 s, … at most [`MAX_BACKOFF_MS`],
/// each drawn between half and all of it (so many connections do not retry in step).
pub fn backoff_ms(failures: u32, seed: u64) -> i64 {
    let full = (SECOND << failures.saturating_sub(1).min(20)).min(MAX_BACKOFF_MS);
    // splitmix64 of the seed and the attempt: the same seed gives the same wait.
    let mut z = seed.wrapping_add(u64::from(failures).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    full / 2 + (z % (full as u64 / 2 + 1)) as i64
}
