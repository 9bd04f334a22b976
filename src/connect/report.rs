//! What a SKU tells its connections: after any change, each connected store that sells the SKU
//! (it has the store's id in `pos_refs`) is owed the connection's channel's availability.
//! The SKU object's alarm sends it to the connection's writer ([`super::Outbox::want`]), the
//! way it sends its summary to the catalog, so no sale ever waits on a store.
//!
//! What is remembered per connection ([`Reports`]): the store id and number the writer last
//! acknowledged; a report that failed is tried again after [`super::outbox::backoff_ms`]. A SKU whose
//! store id is removed tells the writer once, so it forgets the SKU.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Provider;
use crate::catalog::PosRefs;
use crate::Timestamp;

/// A connection that writes into its store, as the catalog lists it to the SKU objects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The store.
    pub provider: Provider,
    /// The channel whose availability the store shows.
    pub channel: String,
}

/// One report to send to a connection's writer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The connection.
    pub provider: Provider,
    /// The SKU.
    pub sku: String,
    /// Its id in the store (`None`: no longer mapped: forget it).
    pub item_ref: Option<String>,
    /// The channel's available units.
    pub available: i64,
    /// The SKU's version.
    pub version: u64,
}

/// What one SKU remembers of its reports, stored with its alarm state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reports {
    /// Per connection: the store id and number its writer last acknowledged.
    told: BTreeMap<Provider, (Option<String>, i64)>,
    /// Per connection: failures in a row and when to try again (Unix ms).
    retry: BTreeMap<Provider, (u32, i64)>,
}

impl Reports {
    /// The reports owed now: to each connection of `routes` whose store the SKU is mapped to
    /// (or was, until now), when what it would be told differs from what it acknowledged.
    pub fn due(
        &self,
        sku: &str,
        version: u64,
        refs: &PosRefs,
        routes: &[Route],
        now: Timestamp,
        available: impl Fn(&str) -> Option<i64>,
    ) -> Vec<Report> {
        let mut due = Vec::new();
        for route in routes {
            let item_ref = refs.get(route.provider.as_str()).cloned();
            let told = self.told.get(&route.provider);
            if item_ref.is_none() && told.is_none_or(|(r, _)| r.is_none()) {
                continue;
            }
            let Some(n) = available(&route.channel) else { continue };
            let report = (item_ref.clone(), n.max(0));
            if told == Some(&report) {
                continue;
            }
            if self.retry.get(&route.provider).is_some_and(|(_, at)| *at > now.millis()) {
                continue;
            }
            due.push(Report { provider: route.provider, sku: sku.to_string(), item_ref, available: n.max(0), version });
        }
        due
    }

    /// Records whether the writer took `report`.
    pub fn record(&mut self, report: &Report, taken: bool, now: Timestamp) {
        if taken {
            self.told.insert(report.provider, (report.item_ref.clone(), report.available));
            self.retry.remove(&report.provider);
        } else {
            let failures = self.retry.get(&report.provider).map_or(0, |(n, _)| *n) + 1;
            self.retry.insert(report.provider, (failures, now.millis() + super::outbox::backoff_ms(failures, now.millis() as u64)));
        }
    }

    /// Forgets what was told to connections no longer listed.
    pub fn keep_only(&mut self, routes: &[Route]) {
        self.told.retain(|p, _| routes.iter().any(|r| r.provider == *p));
        self.retry.retain(|p, _| routes.iter().any(|r| r.provider == *p));
    }

    /// The earliest retry.
    pub fn next_retry(&self) -> Option<Timestamp> {
        self.retry.values().map(|(_, at)| Timestamp(*at)).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp(1_795_687_200_000);

    fn routes() -> Vec<Route> {
        vec![
            Route { provider: Provider::Shopify, channel: "web".into() },
            Route { provider: Provider::Woocommerce, channel: "web".into() },
        ]
    }

    fn refs(pairs: &[(&str, &str)]) -> PosRefs {
        pairs.iter().map(|(p, r)| (p.to_string(), r.to_string())).collect()
    }

    #[test]
    fn each_mapped_store_is_told_the_channels_number_once() {
        let mut r = Reports::default();
        let mapped = refs(&[("shopify", "808950810")]);
        let due = r.due("A", 3, &mapped, &routes(), T, |_| Some(5));
        assert_eq!(
            due,
            vec![Report { provider: Provider::Shopify, sku: "A".into(), item_ref: Some("808950810".into()), available: 5, version: 3 }],
            "not WooCommerce: the SKU has no id there"
        );
        r.record(&due[0], true, T);
        assert!(r.due("A", 4, &mapped, &routes(), T, |_| Some(5)).is_empty(), "the same number: nothing to tell");
        assert_eq!(r.due("A", 5, &mapped, &routes(), T, |_| Some(-2))[0].available, 0, "never below zero");
    }

    #[test]
    fn a_failed_report_waits_its_backoff_and_an_unmapped_sku_is_told_once() {
        let mut r = Reports::default();
        let mapped = refs(&[("woocommerce", "812/815")]);
        let due = r.due("A", 1, &mapped, &routes(), T, |_| Some(2));
        r.record(&due[0], false, T);
        let retry = r.next_retry().unwrap();
        assert!(retry >= T.plus(500) && retry <= T.plus(1000), "a second at most, with jitter");
        assert!(r.due("A", 1, &mapped, &routes(), retry.plus(-1), |_| Some(2)).is_empty());
        let due = r.due("A", 1, &mapped, &routes(), retry, |_| Some(2));
        r.record(&due[0], true, retry);
        let gone = r.due("A", 2, &PosRefs::new(), &routes(), T.plus(2000), |_| Some(2));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].item_ref, None, "the writer forgets the SKU");
        r.record(&gone[0], true, T.plus(2000));
        assert!(r.due("A", 3, &PosRefs::new(), &routes(), T.plus(3000), |_| Some(1)).is_empty());
        r.keep_only(&[]);
        assert_eq!(r, Reports::default());
    }
}
