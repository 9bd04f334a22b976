//! The cross-SKU cart protocol: how one coordinator holds a reservation of several SKUs (or one
//! sent with an `Idempotency-Key`) all or none, answers a retry, commits or releases it, and
//! when it forgets it. Each SKU still decides its own hold ([`crate::Sku::reserve`]); this
//! module decides what the coordinator does with their answers.
//!
//! - **The intent is written first** ([`Intent`]): whatever happens next, it says which holds may
//!   exist, and every hold carries `expires_at`, so holds lapse on their own even if the
//!   coordinator never runs again.
//! - **A retry** ([`arrival`]): the same key with the same body gets the first answer again;
//!   another body with the same key is refused and touches nothing.
//! - **All or none** ([`AllOrNone`]): lines are held in order; the first refusal is the answer,
//!   and every hold already taken is released. One line's answer is its SKU's own.
//! - **Commit and release** ([`settling`]): only a reservation that was held; every line
//!   at one `now`, the first refusal is the answer.
//! - **Forgetting** ([`Intent::forget_at`]): a day after the holds lapse, as the SKUs forget
//!   settled holds, so nobody can ask about it any more.

use serde::{Deserialize, Serialize};

use crate::holds::SETTLED_KEPT_MS;
use crate::reservation::HoldRequest;
use crate::{Error, ReservationLine, Timestamp};

/// What a coordinator is asked to hold, as it stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// The reservation id.
    pub id: String,
    /// The cart.
    pub cart_id: String,
    /// The storefront client, counted by each SKU's client cap.
    #[serde(default)]
    pub client: Option<String>,
    /// The channel.
    pub channel: String,
    /// One line per SKU.
    pub lines: Vec<ReservationLine>,
    /// When every hold lapses.
    pub expires_at: Timestamp,
    /// The request's fingerprint when it came with an `Idempotency-Key`.
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// What a coordinator does with a request, given the intent and answer it already stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// Hold the lines (nothing was asked yet, or the last attempt stopped before its answer).
    Hold,
    /// Answer again what was answered first.
    Repeat,
    /// Refuse, and touch nothing: the key came back with another body.
    Refuse(Error),
}

/// What to do with `again`, when `first` is the intent stored earlier (if any) and `answered`
/// says whether its answer was stored. Bodies are compared by their fingerprints.
pub fn arrival(first: Option<&Intent>, answered: bool, again: &Intent) -> Arrival {
    match first {
        Some(first) if first.fingerprint != again.fingerprint => Arrival::Refuse(Error::IdempotencyKeyReused),
        Some(_) if answered => Arrival::Repeat,
        _ => Arrival::Hold,
    }
}

/// The answer to a reservation every line of which is held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reserved<'a> {
    /// The reservation id.
    pub reservation_id: &'a str,
    /// The cart.
    pub cart_id: &'a str,
    /// The channel.
    pub channel: &'a str,
    /// What is held.
    pub lines: &'a [ReservationLine],
    /// When the holds lapse.
    pub expires_at: Timestamp,
}

/// How the lines are held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// One line: its SKU holds it, and its answer is the answer.
    One {
        /// The SKU.
        sku: String,
        /// The hold asked of it.
        hold: HoldRequest,
    },
    /// Several lines: all or none.
    All(AllOrNone),
}

/// Several lines held in order, all or none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllOrNone {
    /// Each line's SKU and the hold asked of it, in the order sent.
    holds: Vec<(String, HoldRequest)>,
    taken: usize,
}

/// What the coordinator does after a line's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Hold the next line.
    Next,
    /// Every line is held: answer [`Intent::reserved`].
    Held,
    /// The line was refused: release these SKUs' holds (those already taken), then answer the
    /// refusal as it came.
    Refused {
        /// The SKUs whose holds were taken before the refusal.
        release: Vec<String>,
    },
}

impl AllOrNone {
    /// The next line to hold (its SKU and the hold), if any is left.
    pub fn next(&self) -> Option<(&str, &HoldRequest)> {
        self.holds.get(self.taken).map(|(sku, hold)| (sku.as_str(), hold))
    }

    /// The SKU of [`Self::next`] answered: `held` when it took the hold.
    pub fn answered(&mut self, held: bool) -> Step {
        if !held {
            let release = self.holds[..self.taken].iter().map(|(sku, _)| sku.clone()).collect();
            self.taken = self.holds.len();
            return Step::Refused { release };
        }
        self.taken += 1;
        if self.taken < self.holds.len() {
            Step::Next
        } else {
            Step::Held
        }
    }
}

impl Intent {
    /// The hold `line` asks of its SKU.
    pub fn hold_of(&self, line: &ReservationLine) -> HoldRequest {
        HoldRequest {
            id: self.id.clone(),
            cart_id: self.cart_id.clone(),
            client: self.client.clone(),
            channel: self.channel.clone(),
            quantity: line.quantity,
            expires_at: self.expires_at,
        }
    }

    /// How the lines are held.
    pub fn plan(&self) -> Plan {
        match self.lines.as_slice() {
            [line] => Plan::One { sku: line.sku.clone(), hold: self.hold_of(line) },
            lines => Plan::All(AllOrNone {
                holds: lines.iter().map(|l| (l.sku.clone(), self.hold_of(l))).collect(),
                taken: 0,
            }),
        }
    }

    /// The answer once every line is held.
    pub fn reserved(&self) -> Reserved<'_> {
        Reserved {
            reservation_id: &self.id,
            cart_id: &self.cart_id,
            channel: &self.channel,
            lines: &self.lines,
            expires_at: self.expires_at,
        }
    }

    /// When the coordinator forgets this reservation: as long after its holds lapse as the SKUs
    /// remember settled holds, so a retried commit or release gets the same answer until then.
    pub fn forget_at(&self) -> Timestamp {
        self.expires_at.plus(SETTLED_KEPT_MS)
    }
}

/// The lines to commit or release for reservation `id`, when `stored` is the coordinator's
/// intent (if any) and `held` says whether its stored answer was a hold: a reservation this
/// coordinator does not know, or one that was refused, holds nothing to settle.
pub fn settling<'a>(stored: Option<&'a Intent>, id: &str, held: bool) -> Result<&'a [ReservationLine], Error> {
    match stored {
        Some(intent) if intent.id == id && held => Ok(&intent.lines),
        _ => Err(Error::UnknownReservation(id.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(lines: &[(&str, i64)], fingerprint: Option<&str>) -> Intent {
        Intent {
            id: "r1".into(),
            cart_id: "cart-1".into(),
            client: Some("c9".into()),
            channel: "web".into(),
            lines: lines.iter().map(|(s, q)| ReservationLine { sku: s.to_string(), quantity: *q }).collect(),
            expires_at: Timestamp(60_000),
            fingerprint: fingerprint.map(String::from),
        }
    }

    #[test]
    fn a_retry_with_the_same_body_repeats_the_first_answer_and_another_body_is_refused() {
        let first = intent(&[("A", 1), ("B", 1)], Some("f1"));
        assert_eq!(arrival(None, false, &first), Arrival::Hold, "nothing asked yet");
        assert_eq!(arrival(Some(&first), true, &first), Arrival::Repeat);
        assert_eq!(arrival(Some(&first), false, &first), Arrival::Hold, "stopped before its answer: try again");
        let other = intent(&[("A", 2), ("B", 1)], Some("f2"));
        assert_eq!(arrival(Some(&first), true, &other), Arrival::Refuse(Error::IdempotencyKeyReused));
        assert_eq!(arrival(Some(&first), false, &other), Arrival::Refuse(Error::IdempotencyKeyReused));
    }

    #[test]
    fn one_line_is_its_skus_hold_with_the_intents_id_client_and_expiry() {
        let Plan::One { sku, hold } = intent(&[("A", 3)], None).plan() else { panic!("one line") };
        assert_eq!(sku, "A");
        assert_eq!(
            hold,
            HoldRequest {
                id: "r1".into(),
                cart_id: "cart-1".into(),
                client: Some("c9".into()),
                channel: "web".into(),
                quantity: 3,
                expires_at: Timestamp(60_000),
            }
        );
    }

    #[test]
    fn several_lines_are_held_in_order_and_all_held_is_the_carts_answer() {
        let i = intent(&[("A", 1), ("B", 2), ("C", 3)], None);
        let Plan::All(mut all) = i.plan() else { panic!("several lines") };
        let mut asked = Vec::new();
        let mut last = Step::Next;
        while let Some((sku, hold)) = all.next() {
            asked.push((sku.to_string(), hold.quantity));
            last = all.answered(true);
        }
        assert_eq!(asked, [("A".into(), 1), ("B".into(), 2), ("C".into(), 3)]);
        assert_eq!(last, Step::Held);
        let answer = serde_json::to_value(i.reserved()).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({
                "reservation_id": "r1", "cart_id": "cart-1", "channel": "web", "expires_at": "1970-01-01T00:01:00Z",
                "lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}, {"sku": "C", "quantity": 3}],
            })
        );
    }

    #[test]
    fn the_first_refusal_is_final_and_releases_only_the_holds_taken_before_it() {
        let Plan::All(mut all) = intent(&[("A", 1), ("B", 2), ("C", 3)], None).plan() else { panic!() };
        assert_eq!(all.answered(true), Step::Next);
        assert_eq!(all.next().map(|(s, _)| s), Some("B"));
        assert_eq!(all.answered(false), Step::Refused { release: vec!["A".into()] });
        assert_eq!(all.next(), None, "nothing is asked of C after the refusal");

        let Plan::All(mut first_refused) = intent(&[("A", 1), ("B", 2)], None).plan() else { panic!() };
        assert_eq!(first_refused.answered(false), Step::Refused { release: vec![] });
        assert_eq!(first_refused.next(), None);
    }

    #[test]
    fn only_a_held_reservation_of_this_coordinator_is_settled() {
        let i = intent(&[("A", 1), ("B", 2)], None);
        assert_eq!(settling(Some(&i), "r1", true).unwrap(), i.lines.as_slice());
        for (stored, id, held) in [(Some(&i), "r1", false), (Some(&i), "r2", true), (None, "r1", true)] {
            assert_eq!(settling(stored, id, held), Err(Error::UnknownReservation(id.into())), "{id} {held}");
        }
    }

    #[test]
    fn a_coordinator_forgets_a_day_after_its_holds_lapse_as_the_skus_do() {
        assert_eq!(intent(&[("A", 1)], None).forget_at(), Timestamp(60_000 + 24 * 3_600_000));
    }

    #[test]
    fn the_stored_intent_reads_back_and_an_older_one_without_client_or_fingerprint_still_reads() {
        let i = intent(&[("A", 1), ("B", 2)], Some("f1"));
        let text = serde_json::to_string(&i).unwrap();
        assert_eq!(serde_json::from_str::<Intent>(&text).unwrap(), i);
        let old = r#"{"id":"r1","cart_id":"c","channel":"web","lines":[{"sku":"A","quantity":1}],"expires_at":"2026-11-26T10:00:00Z"}"#;
        let read: Intent = serde_json::from_str(old).unwrap();
        assert_eq!((read.client, read.fingerprint), (None, None));
    }
}
