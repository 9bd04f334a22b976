//! Matching a connected store's catalog to lastunit's SKUs by SKU code, for
//! `POST /admin/import/{provider}`: which SKUs take the store's ids into their `pos_refs`, which
//! are created (when asked), and which codes cannot be mapped and why. The store's items are read
//! by [`crate::connect::store_catalog`]; this module only decides.
//!
//! ## The rule: never guess
//! A store item is matched by its SKU code, exactly (trimmed, case kept: `ABC-1` is not
//! `abc-1`), to the lastunit SKU of that name. Nothing else is tried: not a title, not a code
//! that looks alike. A code is mapped only when the answer is certain:
//! - **Duplicates**: a code carried by two or more of the store's items (the most common real
//!   mapping failure: a copied product, a variant left with its parent's code) maps none of them;
//!   the operator has to decide which one is the SKU.
//! - **Refused**: a code whose SKU already holds another id of this store (kept: it was set on
//!   purpose, or the store has two items for it), or whose store id is already another SKU's
//!   (one id names one thing), or, to be created, is not a valid SKU name.
//! - **Matched**: every other code that is a lastunit SKU. The store's ids are filled into its
//!   `pos_refs` (nothing else of the SKU changes); a SKU that already holds exactly them is
//!   matched and left as it is.
//! - **Created** (only when asked): a code that is no lastunit SKU becomes one, titled as the
//!   store titles it, with the store's ids and the default policy (no stock until counted).
//! - **Unmatched**: a code that is no lastunit SKU when creating was not asked.
//!
//! Items without a SKU code are counted, never mapped.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{PosIndex, PosRefs};
use crate::connect::store_catalog::StoreItem;
use crate::names::check_sku;
use crate::SkuConfig;

/// A code that matched or would have been created, but is not mapped, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    /// The SKU code.
    pub sku: String,
    /// Why it is not mapped, in words.
    pub reason: String,
}

/// What one import changes in the catalog.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// An existing SKU takes these ids into its `pos_refs` (see [`fill`]).
    Fill {
        /// The SKU.
        sku: String,
        /// The store's ids.
        refs: PosRefs,
    },
    /// A new SKU with this policy.
    Create {
        /// The SKU.
        sku: String,
        /// Its policy (the default, the store's title and ids).
        config: SkuConfig,
    },
}

impl Change {
    /// The SKU it changes.
    pub fn sku(&self) -> &str {
        match self {
            Change::Fill { sku, .. } | Change::Create { sku, .. } => sku,
        }
    }
}

/// The decision for one store's catalog: the report the operator reads (every list sorted by
/// code) and the changes that carry it out.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Existing SKUs that hold the store's ids (filled now, or already).
    pub matched: Vec<String>,
    /// Of `matched`, those whose `pos_refs` this import fills.
    pub filled: Vec<String>,
    /// SKUs created from the store's items.
    pub created: Vec<String>,
    /// Codes that are no lastunit SKU (creating was not asked).
    pub unmatched: Vec<String>,
    /// Codes the store gives to more than one item: none of them is mapped.
    pub duplicates: Vec<String>,
    /// Codes not mapped for another reason.
    pub refused: Vec<Refused>,
    /// The store's items without a SKU code.
    pub without_sku: usize,
    /// The store's items read.
    pub store_items: usize,
    /// What to apply.
    #[serde(skip)]
    pub changes: Vec<Change>,
}

/// The catalog as it stands: every SKU's policy and the index of the ids they hold.
pub struct Catalog<'a> {
    /// Every SKU's policy.
    pub skus: &'a BTreeMap<String, SkuConfig>,
    /// Which SKU holds each `(provider, id)`.
    pub refs: &'a PosIndex,
}

/// Decides what the store's `items` do to the `catalog`; creates missing SKUs when `create`.
pub fn plan(items: &[StoreItem], catalog: &Catalog, create: bool) -> Plan {
    let mut plan = Plan { store_items: items.len(), ..Plan::default() };
    let mut by_code: BTreeMap<&str, Vec<&StoreItem>> = BTreeMap::new();
    for item in items {
        if item.code.is_empty() {
            plan.without_sku += 1;
        } else {
            by_code.entry(item.code.as_str()).or_default().push(item);
        }
    }
    for (code, found) in by_code {
        let [item] = found.as_slice() else {
            plan.duplicates.push(code.to_string());
            continue;
        };
        let current = catalog.skus.get(code);
        if current.is_none() && !create {
            plan.unmatched.push(code.to_string());
            continue;
        }
        if let Some(reason) = conflict(code, current, &item.refs, catalog.refs) {
            plan.refused.push(Refused { sku: code.to_string(), reason });
            continue;
        }
        match current {
            Some(config) => {
                plan.matched.push(code.to_string());
                if item.refs.iter().any(|(p, id)| config.pos_refs.get(p) != Some(id)) {
                    plan.filled.push(code.to_string());
                    plan.changes.push(Change::Fill { sku: code.to_string(), refs: item.refs.clone() });
                }
            }
            None => {
                let config = SkuConfig { title: item.title.clone(), pos_refs: item.refs.clone(), ..SkuConfig::default() };
                if let Err(e) = config.validate(code) {
                    plan.refused.push(Refused { sku: code.to_string(), reason: e.to_string() });
                    continue;
                }
                plan.created.push(code.to_string());
                plan.changes.push(Change::Create { sku: code.to_string(), config });
            }
        }
    }
    plan
}

/// Why the store's `refs` cannot go to the SKU `code` (currently `current`), if they cannot.
fn conflict(code: &str, current: Option<&SkuConfig>, refs: &PosRefs, index: &PosIndex) -> Option<String> {
    if current.is_none() {
        if let Err(e) = check_sku(code) {
            return Some(format!("cannot be created: {e}"));
        }
    }
    for (provider, id) in refs {
        if let Some(held) = current.and_then(|c| c.pos_refs.get(provider)).filter(|held| *held != id) {
            return Some(format!(
                "already holds the {provider} id `{held}`, and the store lists `{id}` for this code: \
                 change it with PUT /admin/skus/{code} if the store's is right"
            ));
        }
        if let Some(other) = index.owner(provider, id).filter(|o| *o != code) {
            return Some(format!("the store's {provider} id `{id}` is already `{other}`'s"));
        }
    }
    None
}

/// `config` with the store's `refs` in its `pos_refs`, everything else as it is.
pub fn fill(config: &SkuConfig, refs: &PosRefs) -> SkuConfig {
    let mut config = config.clone();
    config.pos_refs.extend(refs.iter().map(|(p, id)| (p.clone(), id.clone())));
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: &str, refs: &[(&str, &str)]) -> StoreItem {
        StoreItem {
            code: code.into(),
            title: format!("{code} title"),
            refs: refs.iter().map(|(p, id)| (p.to_string(), id.to_string())).collect(),
        }
    }

    fn sku(refs: &[(&str, &str)]) -> SkuConfig {
        SkuConfig {
            title: "kept".into(),
            max_per_cart: 4,
            pos_refs: refs.iter().map(|(p, id)| (p.to_string(), id.to_string())).collect(),
            ..SkuConfig::default()
        }
    }

    fn decide(items: &[StoreItem], skus: &BTreeMap<String, SkuConfig>, create: bool) -> Plan {
        let index = PosIndex::new(skus.iter().map(|(s, c)| (s, &c.pos_refs)));
        plan(items, &Catalog { skus, refs: &index }, create)
    }

    fn skus(list: &[(&str, SkuConfig)]) -> BTreeMap<String, SkuConfig> {
        list.iter().map(|(s, c)| (s.to_string(), c.clone())).collect()
    }

    #[test]
    fn matching_codes_take_the_stores_ids_and_nothing_else_changes() {
        let catalog = skus(&[("A", sku(&[("square", "SQ1")])), ("B", sku(&[]))]);
        let items = [item("A", &[("shopify", "11"), ("shopify_variant", "1")]), item("B", &[("shopify", "12")])];
        let p = decide(&items, &catalog, false);
        assert_eq!(p.matched, ["A", "B"]);
        assert_eq!(p.filled, ["A", "B"]);
        assert!(p.created.is_empty() && p.unmatched.is_empty() && p.duplicates.is_empty() && p.refused.is_empty());
        let Change::Fill { refs, .. } = &p.changes[0] else { panic!("{:?}", p.changes) };
        let filled = fill(&catalog["A"], refs);
        assert_eq!(filled.pos_refs.len(), 3, "the Square id is kept beside Shopify's");
        assert_eq!((filled.title.as_str(), filled.max_per_cart), ("kept", 4));
    }

    #[test]
    fn a_sku_that_already_holds_the_stores_ids_is_matched_unchanged() {
        let catalog = skus(&[("A", sku(&[("woocommerce", "10")]))]);
        let p = decide(&[item("A", &[("woocommerce", "10")])], &catalog, true);
        assert_eq!(p.matched, ["A"]);
        assert!(p.filled.is_empty() && p.changes.is_empty());
    }

    #[test]
    fn missing_codes_are_unmatched_unless_creating_is_asked() {
        let catalog = skus(&[]);
        let items = [item("NEW-1", &[("square", "V1")])];
        let p = decide(&items, &catalog, false);
        assert_eq!(p.unmatched, ["NEW-1"]);
        assert!(p.changes.is_empty());

        let p = decide(&items, &catalog, true);
        assert_eq!(p.created, ["NEW-1"]);
        let Change::Create { sku, config } = &p.changes[0] else { panic!() };
        assert_eq!(sku, "NEW-1");
        assert_eq!(config.title, "NEW-1 title");
        assert_eq!(config.pos_refs["square"], "V1");
        assert_eq!(config.max_per_cart, SkuConfig::default().max_per_cart);
    }

    #[test]
    fn a_code_the_store_gives_twice_is_never_mapped() {
        let catalog = skus(&[("A", sku(&[]))]);
        let items = [item("A", &[("shopify", "1")]), item("A", &[("shopify", "2")]), item("C", &[("shopify", "3")])];
        for create in [false, true] {
            let p = decide(&items, &catalog, create);
            assert_eq!(p.duplicates, ["A"]);
            assert!(p.matched.is_empty());
            assert!(p.changes.iter().all(|c| c.sku() != "A"), "{:?}", p.changes);
        }
        assert_eq!(decide(&items, &catalog, true).created, ["C"]);
    }

    #[test]
    fn codes_match_exactly_case_kept() {
        let catalog = skus(&[("abc-1", sku(&[]))]);
        let p = decide(&[item("ABC-1", &[("square", "V")])], &catalog, false);
        assert_eq!(p.unmatched, ["ABC-1"]);
        assert!(p.matched.is_empty());
    }

    #[test]
    fn a_sku_holding_another_id_of_the_store_is_refused_and_kept() {
        let catalog = skus(&[("A", sku(&[("shopify", "99")]))]);
        let p = decide(&[item("A", &[("shopify", "11"), ("shopify_variant", "1")])], &catalog, true);
        assert!(p.matched.is_empty() && p.changes.is_empty());
        assert_eq!(p.refused.len(), 1);
        assert!(p.refused[0].reason.contains("already holds the shopify id `99`"), "{}", p.refused[0].reason);
    }

    #[test]
    fn a_store_id_held_by_another_sku_is_refused() {
        let catalog = skus(&[("OLD", sku(&[("square", "V1")])), ("A", sku(&[]))]);
        for (code, create) in [("A", false), ("NEW", true)] {
            let p = decide(&[item(code, &[("square", "V1")])], &catalog, create);
            assert!(p.changes.is_empty(), "{code}");
            assert_eq!(p.refused[0].reason, "the store's square id `V1` is already `OLD`'s");
        }
    }

    #[test]
    fn a_code_that_is_no_sku_name_is_not_created() {
        let p = decide(&[item("LINEN SHIRT", &[("woocommerce", "5")])], &skus(&[]), true);
        assert!(p.created.is_empty() && p.changes.is_empty());
        assert_eq!(p.refused[0].sku, "LINEN SHIRT");
        assert!(p.refused[0].reason.starts_with("cannot be created"), "{}", p.refused[0].reason);
    }

    #[test]
    fn items_without_a_code_are_counted_only() {
        let p = decide(&[item("", &[("square", "V1")]), item("", &[("square", "V2")])], &skus(&[]), true);
        assert_eq!((p.without_sku, p.store_items), (2, 2));
        assert!(p.duplicates.is_empty() && p.changes.is_empty());
    }

    #[test]
    fn the_report_is_sorted_by_code() {
        let items = [item("b", &[("square", "2")]), item("a", &[("square", "1")]), item("c", &[("square", "3")])];
        assert_eq!(decide(&items, &skus(&[]), true).created, ["a", "b", "c"]);
    }
}
