//! Pushes to subscribers: which subscriber is owed a new value or an incident alert, and the
//! backoff after a failed push. The SKU object's alarm asks [`PushLog`] what is owed, POSTs it
//! (signed, outside any sale) and tells the log how each attempt went; the log is stored with
//! the alarm's state.
//!
//! - **Values** coalesce: a subscriber is owed its channel's availability whenever what it would
//!   be sent (url, available, status, in-store-only) differs from what it last received, so the
//!   newest value is the only one ever sent. A failed push waits 1 s, 2 s, 4 s, … (at most
//!   [`MAX_BACKOFF_MS`]) and then sends the value current at that time.
//! - **Alerts** go to subscribers with `"alerts": true`: each open incident once as it stands
//!   (again when it grows). A failed alert stays owed; the alarm comes back soon for it
//!   ([`crate::wake`]).
//! - **Who subscribes** ([`SubscriberRequest::checked`]): a channel name, an http(s) URL, a
//!   secret to sign with, a channel the catalog has.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::Topology;
use crate::incident::Incident;
use crate::names::check_channel;
use crate::{Availability, Error, Timestamp};

/// Longest wait between two attempts of a push.
pub const MAX_BACKOFF_MS: i64 = 5 * 60 * 1000;

/// A connected channel to push to (kept by the catalog, `PUT /admin/subscribers/{name}`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Subscriber {
    /// Its name, unique in the catalog.
    pub name: String,
    /// Where its pushes are POSTed.
    pub url: String,
    /// The secret its pushes are signed with.
    pub secret: String,
    /// The channel whose availability it is sent.
    pub channel: String,
    /// Also receives oversell incidents as they open, grow and close (`"alerts": true`).
    /// Absent in what earlier releases stored: no alerts.
    #[serde(default)]
    pub alerts: bool,
}

/// `PUT /admin/subscribers/{name}`'s body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberRequest {
    /// Where its pushes are POSTed: an `http` or `https` URL.
    pub url: String,
    /// The secret its pushes are signed with: 1 to [`MAX_SECRET`] characters.
    pub secret: String,
    /// The channel whose availability it is sent (in the catalog's topology).
    pub channel: String,
    /// Also receive oversell incidents.
    #[serde(default)]
    pub alerts: bool,
}

/// The longest subscriber secret.
pub const MAX_SECRET: usize = 512;

impl SubscriberRequest {
    /// The subscriber named `name`, once its name, URL, secret and channel (in `topology`) are
    /// checked, in that order; the first refusal names its field.
    pub fn checked(self, name: &str, topology: &Topology) -> Result<Subscriber, Error> {
        check_channel(name).map_err(|_| Error::invalid("name", "must match [a-z0-9_-]{1,32}"))?;
        if !url::Url::parse(&self.url).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
            return Err(Error::invalid("url", "must be an http(s) URL"));
        }
        if self.secret.is_empty() || self.secret.len() > MAX_SECRET {
            return Err(Error::invalid("secret", format!("must be 1 to {MAX_SECRET} characters")));
        }
        topology.channel(&self.channel)?;
        Ok(Subscriber {
            name: name.to_string(),
            url: self.url,
            secret: self.secret,
            channel: self.channel,
            alerts: self.alerts,
        })
    }
}

/// One push to make now: POST `body` to `subscriber`, then tell the log how it went
/// ([`PushLog::record`] for a value, [`PushLog::alerted`] for an alert).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// Who to send it to.
    pub subscriber: Subscriber,
    /// What it stands for once delivered (the value's visible fields, or the incident as it stands).
    key: String,
    /// The JSON to POST.
    pub body: String,
}

/// What was pushed to whom, stored with the SKU object's alarm state. Every field reads from
/// what earlier releases stored (the ones they lacked start empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushLog {
    /// Per subscriber: what it last received (url and the availability's visible fields).
    delivered: BTreeMap<String, String>,
    /// Per alert subscriber: the incidents it received, as `id@updated_at`.
    #[serde(default)]
    alerted: BTreeMap<String, BTreeSet<String>>,
    /// Per subscriber: failed attempts in a row.
    attempts: BTreeMap<String, u32>,
    /// Per subscriber: when to try again (Unix ms).
    retry_at: BTreeMap<String, i64>,
}

impl PushLog {
    /// The pushes owed now: each subscriber whose channel's availability (`None`: the channel
    /// is unknown, nothing to send) differs from what it last received, unless it is waiting out
    /// a backoff. Forgets what it knew of subscribers no longer listed.
    pub fn due(
        &mut self,
        subscribers: &[Subscriber],
        now: Timestamp,
        availability: impl Fn(&str) -> Option<Availability>,
    ) -> Vec<Due> {
        let listed = |name: &String| subscribers.iter().any(|s| s.name == *name);
        self.delivered.retain(|k, _| listed(k));
        self.attempts.retain(|k, _| listed(k));
        self.retry_at.retain(|k, _| listed(k));
        let mut due = Vec::new();
        for sub in subscribers {
            let Some(a) = availability(&sub.channel) else { continue };
            let key =
                json!({"url": sub.url, "available": a.available, "status": a.status, "in_store_only": a.in_store_only})
                    .to_string();
            if self.delivered.get(&sub.name) == Some(&key) {
                self.attempts.remove(&sub.name);
                self.retry_at.remove(&sub.name);
                continue;
            }
            if self.retry_at.get(&sub.name).is_some_and(|t| *t > now.millis()) {
                continue;
            }
            due.push(Due { subscriber: sub.clone(), key, body: serde_json::to_string(&a).unwrap_or_default() });
        }
        due
    }

    /// The alerts owed now: each open incident an alert subscriber has not received as it
    /// stands (a new one, or one that grew). Closed incidents leave the memory once closed.
    pub fn alerts_due(&mut self, subscribers: &[Subscriber], open: &[&Incident]) -> Vec<Due> {
        let keys: BTreeSet<String> = open.iter().map(|i| alert_key(i)).collect();
        let alerting = || subscribers.iter().filter(|s| s.alerts);
        self.alerted.retain(|k, _| alerting().any(|s| s.name == *k));
        let mut due = Vec::new();
        for sub in alerting() {
            let got = self.alerted.entry(sub.name.clone()).or_default();
            got.retain(|k| keys.contains(k));
            for i in open.iter().filter(|i| !got.contains(&alert_key(i))) {
                let body = serde_json::to_string(&json!({"type": "incident", "incident": i})).unwrap_or_default();
                due.push(Due { subscriber: sub.clone(), key: alert_key(i), body });
            }
        }
        due
    }

    /// Records a delivered alert. A failed one is simply not recorded: it stays owed.
    pub fn alerted(&mut self, due: Due) {
        self.alerted.entry(due.subscriber.name).or_default().insert(due.key);
    }

    /// Records the outcome of one value push: delivered, or retried after 1 s, 2 s, 4 s, … (at
    /// most [`MAX_BACKOFF_MS`]).
    pub fn record(&mut self, due: Due, ok: bool, now: Timestamp) {
        let name = due.subscriber.name;
        if ok {
            self.delivered.insert(name.clone(), due.key);
            self.attempts.remove(&name);
            self.retry_at.remove(&name);
        } else {
            let n = self.attempts.get(&name).copied().unwrap_or(0) + 1;
            self.attempts.insert(name.clone(), n);
            self.retry_at.insert(name, now.millis() + backoff_ms(n));
        }
    }

    /// The earliest moment a failed value push is to be tried again.
    pub fn next_retry(&self) -> Option<Timestamp> {
        self.retry_at.values().min().map(|t| Timestamp(*t))
    }
}

/// The wait after `failures` failed attempts in a row: 1 s, doubling, at most [`MAX_BACKOFF_MS`].
fn backoff_ms(failures: u32) -> i64 {
    (1000i64 << failures.saturating_sub(1).min(20)).min(MAX_BACKOFF_MS)
}

/// An incident as it stands: a new `updated_at` (it grew) is a new alert.
fn alert_key(i: &Incident) -> String {
    format!("{}@{}", i.id, i.updated_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscribe(url: &str, secret: &str, channel: &str) -> SubscriberRequest {
        SubscriberRequest { url: url.into(), secret: secret.into(), channel: channel.into(), alerts: true }
    }

    #[test]
    fn a_subscriber_is_checked_name_url_secret_then_channel() {
        let mut topology = Topology::default();
        topology.put_location("main-st").unwrap();
        topology
            .put_channel("web", &crate::catalog::ChannelConfig { locations: vec!["main-st".into()] })
            .unwrap();
        let ok = subscribe("https://shop.example/hooks", "s3cret", "web").checked("shop", &topology).unwrap();
        assert_eq!((ok.name.as_str(), ok.channel.as_str(), ok.alerts), ("shop", "web", true));
        assert!(subscribe("http://127.0.0.1:9/x", "s", "web").checked("local", &topology).is_ok());
        let field = |r: Result<Subscriber, Error>| match r {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(subscribe("ftp://x", "", "nope").checked("Bad Name", &topology)), "name");
        for url in ["ftp://shop.example/", "shop.example/hooks", "", "https://"] {
            assert_eq!(field(subscribe(url, "s", "web").checked("shop", &topology)), "url", "{url:?}");
        }
        assert_eq!(field(subscribe("https://a.example", "", "web").checked("shop", &topology)), "secret");
        assert!(subscribe("https://a.example", &"s".repeat(MAX_SECRET), "web").checked("shop", &topology).is_ok());
        assert_eq!(field(subscribe("https://a.example", &"s".repeat(MAX_SECRET + 1), "web").checked("shop", &topology)), "secret");
        let unknown = subscribe("https://a.example", "s", "mars").checked("shop", &topology);
        assert_eq!(unknown, Err(Error::UnknownChannel("mars".into())));
    }
    use crate::incident::Cause;
    use crate::Status;

    const T: Timestamp = Timestamp(1_795_687_200_000);

    fn sub(name: &str, channel: &str, alerts: bool) -> Subscriber {
        Subscriber {
            name: name.into(),
            url: format!("https://{name}.example/hook"),
            secret: "s".into(),
            channel: channel.into(),
            alerts,
        }
    }

    fn avail(available: i64) -> impl Fn(&str) -> Option<Availability> {
        move |channel| {
            (channel == "web").then(|| Availability {
                sku: "A".into(),
                channel: channel.into(),
                available,
                status: if available > 0 { Status::InStock } else { Status::OutOfStock },
                in_store_only: false,
                version: available as u64,
                updated_at: T,
            })
        }
    }

    fn incident(n: u64, updated_at: Timestamp) -> Incident {
        Incident {
            id: format!("A~{n}"),
            sku: "A".into(),
            location: "store".into(),
            short: 1,
            orders: vec![],
            cause: Cause::BelowZero,
            movement: "generic:e1".into(),
            detected_at: T,
            updated_at,
            fill_from: vec![],
            fillable: false,
            closed_at: None,
        }
    }

    #[test]
    fn backoff_doubles_from_a_second_up_to_five_minutes() {
        let waits: Vec<i64> = (1..=12).map(backoff_ms).collect();
        assert_eq!(&waits[..5], &[1000, 2000, 4000, 8000, 16000]);
        assert_eq!(waits[8], 256_000);
        assert_eq!(waits[9], MAX_BACKOFF_MS, "512 s is capped");
        assert_eq!(backoff_ms(u32::MAX), MAX_BACKOFF_MS, "no overflow after many failures");
    }

    #[test]
    fn a_failed_push_waits_its_backoff_then_sends_the_newest_value() {
        let subs = [sub("shop", "web", false)];
        let mut log = PushLog::default();
        let due = log.due(&subs, T, avail(5));
        assert_eq!(due.len(), 1);
        log.record(due.into_iter().next().unwrap(), false, T);
        assert_eq!(log.next_retry(), Some(T.plus(1000)));
        assert!(log.due(&subs, T.plus(999), avail(4)).is_empty(), "still backing off");
        let again = log.due(&subs, T.plus(1000), avail(4));
        assert_eq!(again.len(), 1);
        assert!(again[0].body.contains("\"available\":4"), "the newest value, not the failed one: {}", again[0].body);
        log.record(again.into_iter().next().unwrap(), false, T.plus(1000));
        assert_eq!(log.next_retry(), Some(T.plus(3000)), "the second failure waits 2 s");
        let third = log.due(&subs, T.plus(3000), avail(4)).into_iter().next().unwrap();
        log.record(third, true, T.plus(3000));
        assert_eq!(log.next_retry(), None, "delivered: no retry left");
        assert!(log.due(&subs, T.plus(3000), avail(4)).is_empty(), "delivered: nothing owed");
    }

    #[test]
    fn changes_between_pushes_coalesce_into_one_and_an_unchanged_value_is_not_resent() {
        let subs = [sub("shop", "web", false), sub("market", "unknown-channel", false)];
        let mut log = PushLog::default();
        let first = log.due(&subs, T, avail(5));
        assert_eq!(first.len(), 1, "a channel with no availability gets nothing");
        log.record(first.into_iter().next().unwrap(), true, T);
        // 5 → 3 → 5 between two alarms: the subscriber already has 5.
        assert!(log.due(&subs, T.plus(10), avail(5)).is_empty());
        let due = log.due(&subs, T.plus(20), avail(2));
        assert_eq!(due.len(), 1, "one push for the newest value");
        assert!(due[0].body.contains("\"available\":2"));
    }

    #[test]
    fn a_removed_subscriber_is_forgotten_and_owed_everything_if_it_comes_back() {
        let subs = [sub("shop", "web", false)];
        let mut log = PushLog::default();
        let due = log.due(&subs, T, avail(5)).into_iter().next().unwrap();
        log.record(due, true, T);
        assert!(log.due(&[], T, avail(5)).is_empty());
        assert_eq!(log.due(&subs, T, avail(5)).len(), 1, "forgotten while unlisted");
    }

    #[test]
    fn an_alert_is_sent_once_per_incident_update_and_only_to_alert_subscribers() {
        let subs = [sub("ops", "web", true), sub("shop", "web", false)];
        let mut log = PushLog::default();
        let open = incident(1, T);
        let due = log.alerts_due(&subs, &[&open]);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].subscriber.name, "ops");
        assert!(due[0].body.starts_with("{\"incident\":") && due[0].body.contains("\"type\":\"incident\""));
        log.alerted(due.into_iter().next().unwrap());
        assert!(log.alerts_due(&subs, &[&open]).is_empty(), "sent once");
        let grown = incident(1, T.plus(60_000));
        assert_eq!(log.alerts_due(&subs, &[&grown]).len(), 1, "it grew: sent again");
    }

    #[test]
    fn a_failed_alert_stays_owed_until_it_is_delivered() {
        let subs = [sub("ops", "web", true)];
        let mut log = PushLog::default();
        let open = incident(1, T);
        assert_eq!(log.alerts_due(&subs, &[&open]).len(), 1);
        // The POST failed: nothing recorded.
        let retry = log.alerts_due(&subs, &[&open]);
        assert_eq!(retry.len(), 1, "retried");
        log.alerted(retry.into_iter().next().unwrap());
        assert!(log.alerts_due(&subs, &[&open]).is_empty());
        assert!(log.alerts_due(&subs, &[]).is_empty(), "closed: nothing owed");
        assert_eq!(log.alerts_due(&subs, &[&open]).len(), 1, "a closed incident leaves the memory");
    }

    #[test]
    fn what_earlier_releases_stored_still_reads() {
        // The push state a release before alerts stored (tests/fixtures/state-ac9bdf6).
        let old = r#"{"summary_version":10,"subscribers":[],"delivered":{"shop":"x"},"attempts":{},"retry_at":{"shop":5},"recalibrated_at":1796199963096}"#;
        let log: PushLog = serde_json::from_str(old).unwrap();
        assert_eq!(log.next_retry(), Some(Timestamp(5)));
        let s: Subscriber =
            serde_json::from_str(r#"{"name":"n","url":"https://n.example","secret":"s","channel":"web"}"#).unwrap();
        assert!(!s.alerts, "a subscriber stored before alerts receives none");
    }
}
