//! Answers about reordering, from [`crate::reorder`] at its default lead time and cover.

use super::wording::{list, name, plural};
use crate::reorder::{advise, ReorderTerms};
use crate::{SkuSummary, Timestamp};

/// How many of each named product to order, or every product to order now, largest first.
pub(super) fn reorder(all: &[SkuSummary], named: &[&SkuSummary], now: Timestamp) -> (String, Vec<String>) {
    let terms = ReorderTerms::default();
    if !named.is_empty() {
        let parts: Vec<String> = named
            .iter()
            .map(|s| {
                let a = advise(s, terms, now);
                let verdict = if a.reorder > 0 { format!("order {}", a.reorder) } else { "order none now".to_string() };
                format!("{}: {verdict}. {}", name(s), a.reasoning)
            })
            .collect();
        return (parts.join(" "), named.iter().map(|s| s.sku.clone()).collect());
    }
    let mut due: Vec<(&SkuSummary, i64)> =
        all.iter().map(|s| (s, advise(s, terms, now).reorder)).filter(|(_, r)| *r > 0).collect();
    due.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.sku.cmp(&b.0.sku)));
    let how = format!("a {}-day lead time and {} days of cover", terms.lead_days, terms.cover_days);
    if due.is_empty() {
        return (format!("Nothing to reorder now, with {how}: every product's stock and incoming cover it."), Vec::new());
    }
    let items: Vec<String> = due.iter().map(|(s, r)| format!("{r} of {}", name(s))).collect();
    (
        format!("Reorder {} now, with {how}: {}.", plural(due.len(), "product", "products"), list(&items)),
        due.iter().map(|(s, _)| s.sku.clone()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use crate::ask::fixture::ask;

    #[test]
    fn what_to_reorder_across_the_catalog() {
        for q in ["what should I reorder", "what do I need to reorder?", "which products should I order more of", "re-order list"] {
            let a = ask(q);
            assert!(a.answer.starts_with("Reorder "), "{q}: {}", a.answer);
            assert!(a.skus.contains(&"wool-socks".to_string()), "{q}: {}", a.answer);
            assert!(!a.skus.contains(&"canvas-tote".to_string()), "a tote that does not sell is never reordered");
            assert!(!a.skus.contains(&"tee-black-l".to_string()), "300 tees cover 17 days of 10 a day");
        }
    }

    #[test]
    fn how_much_of_one_product() {
        for q in ["how much wool socks should I order", "reorder wool-socks?", "should I buy more Wool socks"] {
            let a = ask(q);
            assert_eq!(a.skus, ["wool-socks"], "{q}: {}", a.answer);
            assert!(a.answer.contains("Wool socks (wool-socks): order "), "{q}: {}", a.answer);
            assert!(a.answer.contains("reorder point of"), "{q}: {}", a.answer);
        }
        let a = ask("how much tee-black-l should I order");
        assert!(a.answer.contains("order none now") && a.answer.contains("50 already on order"), "{}", a.answer);
    }
}
