//! Answers about what stands now: products low on stock, and units held in carts.

use super::wording::{ids, list, name, plural, sellable_on};
use crate::SkuSummary;

/// Whether the named products are low on `channel`, or every product at or below its low-stock
/// threshold, emptiest first.
pub(super) fn low_stock(all: &[SkuSummary], named: &[&SkuSummary], channel: Option<&str>) -> (String, Vec<String>) {
    let level = |s: &SkuSummary| sellable_on(s, channel);
    let describe = |s: &SkuSummary| {
        let n = level(s);
        if n <= 0 {
            format!("{} out of stock", name(s))
        } else {
            format!("{} with {} left", name(s), n)
        }
    };
    let where_ = match channel {
        Some(c) => format!(" on {c}"),
        None => String::new(),
    };
    if !named.is_empty() {
        let parts: Vec<String> = named
            .iter()
            .map(|s| {
                let n = level(s);
                let verdict = if n <= 0 {
                    "out of stock".to_string()
                } else if n <= i64::from(s.low_stock_threshold) {
                    format!("low (threshold {})", s.low_stock_threshold)
                } else {
                    format!("not low (threshold {})", s.low_stock_threshold)
                };
                format!(
                    "{} has {}{where_}: {verdict}",
                    name(s),
                    plural(n.max(0) as usize, "sellable unit", "sellable units")
                )
            })
            .collect();
        return (format!("{}.", parts.join("; ")), ids(named));
    }
    let mut low: Vec<&SkuSummary> = all.iter().filter(|s| level(s) <= i64::from(s.low_stock_threshold)).collect();
    low.sort_by(|a, b| level(a).cmp(&level(b)).then_with(|| a.sku.cmp(&b.sku)));
    if low.is_empty() {
        return (
            format!("No product is low on stock{where_}: every one is above its low-stock threshold."),
            Vec::new(),
        );
    }
    let out = low.iter().filter(|s| level(s) <= 0).count();
    let items: Vec<String> = low.iter().map(|s| describe(s)).collect();
    let verb = if low.len() == 1 { "is" } else { "are" };
    (
        format!(
            "{} {verb} at or below {} low-stock threshold{where_} ({out} out of stock): {}.",
            plural(low.len(), "product", "products"),
            if low.len() == 1 { "its" } else { "their" },
            list(&items)
        ),
        low.iter().map(|s| s.sku.clone()).collect(),
    )
}

/// Units held in checkout holds now, for the named products or for all, most held first.
pub(super) fn holds(all: &[SkuSummary], named: &[&SkuSummary]) -> (String, Vec<String>) {
    let scope: Vec<&SkuSummary> = if named.is_empty() { all.iter().collect() } else { named.to_vec() };
    let mut held: Vec<&SkuSummary> = scope.iter().copied().filter(|s| s.reserved > 0).collect();
    held.sort_by(|a, b| b.reserved.cmp(&a.reserved).then_with(|| a.sku.cmp(&b.sku)));
    if held.is_empty() {
        let what = if named.is_empty() {
            String::new()
        } else {
            format!(" of {}", list(&named.iter().map(|s| name(s)).collect::<Vec<_>>()))
        };
        return (format!("Nothing{what} is held in carts right now."), ids(named));
    }
    let units: i64 = held.iter().map(|s| s.reserved).sum();
    let count: usize = held.iter().map(|s| s.holds).sum();
    let items: Vec<String> = held.iter().map(|s| format!("{} {}", name(s), s.reserved)).collect();
    (
        format!(
            "{} held in carts now, in {} on {}: {}.",
            plural(units as usize, "unit is", "units are"),
            plural(count, "checkout hold", "checkout holds"),
            plural(held.len(), "product", "products"),
            list(&items)
        ),
        held.iter().map(|s| s.sku.clone()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use crate::ask::fixture::ask;

    #[test]
    fn low_stock() {
        for q in ["which products are low on stock", "what's running low?", "low stock online"] {
            let a = ask(q);
            assert!(a.skus.contains(&"wool-socks".to_string()), "{q}: {a:?}");
            assert!(!a.skus.contains(&"tee-black-l".to_string()), "{q}: {a:?}");
        }
        assert!(ask("low stock online").answer.contains("on web"));
    }

    #[test]
    fn holds_in_carts() {
        for q in ["what is held in carts now", "how many units are reserved?", "anything in checkout holds"] {
            let a = ask(q);
            assert_eq!(a.skus, ["silk-scarf"], "{q}");
            assert!(a.answer.starts_with("2 units are held"), "{q}: {}", a.answer);
        }
    }
}
