//! Answers about one product's stock: where its units are, what each channel may sell, and
//! which online orders its shortfalls leave unfilled.

use super::wording::{ids, list, name, plural};
use crate::SkuSummary;

/// Units per location and what each channel may sell, for each named product.
pub(super) fn stock_of(all: &[SkuSummary], named: &[&SkuSummary]) -> (String, Vec<String>) {
    if named.is_empty() {
        let example = all.first().map_or("linen-shirt-m".to_string(), |s| s.sku.clone());
        return (
            format!("Which product? Name it by its SKU or words of its title, as in \"how many {example} do I have\"."),
            Vec::new(),
        );
    }
    let parts: Vec<String> = named
        .iter()
        .map(|s| {
            let total: i64 = s.on_hand.values().sum();
            let at: Vec<String> = s.on_hand.iter().map(|(l, q)| format!("{q} at {l}")).collect();
            let sells: Vec<String> = s.available.iter().map(|(c, q)| format!("{q} on {c}")).collect();
            let held = if s.reserved > 0 { format!(", {} held in carts", s.reserved) } else { String::new() };
            let off: i64 = s.unsellable.values().sum();
            let off = if off > 0 { format!(", {off} returned and off the shelf") } else { String::new() };
            format!(
                "{} has {} on hand{}{held}{off}; channels may sell {}",
                name(s),
                plural(total.max(0) as usize, "unit", "units"),
                if at.is_empty() { String::new() } else { format!(" ({})", list(&at)) },
                if sells.is_empty() { "nothing".to_string() } else { list(&sells) }
            )
        })
        .collect();
    (format!("{}.", parts.join(". ")), ids(named))
}

/// The online orders open incidents say stock can no longer fill, newest incident first.
pub(super) fn oversold(all: &[SkuSummary], named: &[&SkuSummary]) -> (String, Vec<String>) {
    let scope: Vec<&SkuSummary> = if named.is_empty() { all.iter().collect() } else { named.to_vec() };
    let mut incidents: Vec<(&SkuSummary, &crate::incident::Incident)> =
        scope.iter().flat_map(|s| s.incidents.iter().map(move |i| (*s, i))).collect();
    incidents.sort_by(|a, b| b.1.detected_at.cmp(&a.1.detected_at).then_with(|| a.1.id.cmp(&b.1.id)));
    if incidents.is_empty() {
        return ("No order is oversold: there is no open incident.".to_string(), Vec::new());
    }
    let parts: Vec<String> = incidents
        .iter()
        .map(|(s, i)| {
            let orders: Vec<String> = i.orders.iter().map(|o| o.order_id.clone()).collect();
            let fill = if i.fill_from.is_empty() {
                String::new()
            } else {
                let from: Vec<String> = i.fill_from.iter().map(|f| format!("{} free at {}", f.free, f.location)).collect();
                format!(" ({}{})", list(&from), if i.fillable { ", enough to fill them" } else { ", not enough" })
            };
            let whose = if orders.is_empty() {
                "no online order at stake".to_string()
            } else {
                format!("{} cannot be filled from there: {}", plural(orders.len(), "order", "orders"), list(&orders))
            };
            format!("{} is {} short at {}, {whose}{fill}", name(s), i.short, i.location)
        })
        .collect();
    let mut skus: Vec<String> = incidents.iter().map(|(s, _)| s.sku.clone()).collect();
    skus.dedup();
    (format!("{}.", parts.join("; ")), skus)
}

#[cfg(test)]
mod tests {
    use crate::ask::answer;
    use crate::ask::fixture::{ask, catalog, now};
    use crate::incident::{Cause, FillFrom, Incident, OnlineOrder};

    #[test]
    fn one_products_stock_per_location_and_channel() {
        for q in [
            "how many linen-shirt-m do I have",
            "stock of linen-shirt-m",
            "where is the linen shirt",
            "How many Linen shirt, M do we have?",
            "linen-shirt-m stock level",
        ] {
            let a = ask(q);
            assert_eq!(a.skus, ["linen-shirt-m"], "{q}: {}", a.answer);
            assert!(a.answer.contains("at warehouse") && a.answer.contains("on web"), "{q}: {}", a.answer);
            assert!(a.answer.contains("on store") && a.answer.contains("on marketplace"), "{q}: {}", a.answer);
        }
        let a = ask("where is the silk scarf");
        assert_eq!(a.skus, ["silk-scarf"]);
        assert!(a.answer.contains("2 held in carts"), "{}", a.answer);
        let a = ask("how many do I have");
        assert!(a.answer.starts_with("Which product?") && a.skus.is_empty(), "{}", a.answer);
    }

    #[test]
    fn names_the_oversold_orders() {
        let mut c = catalog();
        for s in c.iter_mut() {
            s.incidents.clear();
        }
        for q in ["which orders are oversold", "any oversell incidents?"] {
            assert!(answer(q, &c, now()).answer.starts_with("No order is oversold"), "{q}");
        }
        let o = |id: &str| OnlineOrder { order_id: id.into(), channel: "web".into(), units: 1, committed_at: now() };
        c[2].incidents.push(Incident {
            id: "silk-scarf~1".into(),
            sku: "silk-scarf".into(),
            location: "main-st".into(),
            short: 2,
            orders: vec![o("o-9"), o("o-8")],
            cause: Cause::PosSaleOnOnlineOrders,
            movement: "square:s1".into(),
            detected_at: now(),
            updated_at: now(),
            fill_from: vec![FillFrom { location: "warehouse".into(), free: 5 }],
            fillable: true,
            closed_at: None,
        });
        for q in ["which orders are oversold", "which orders can't be filled", "show me the oversold orders", "open incidents"] {
            let a = answer(q, &c, now());
            assert_eq!(a.skus, ["silk-scarf"], "{q}: {}", a.answer);
            assert!(a.answer.contains("2 short at main-st"), "{q}: {}", a.answer);
            assert!(a.answer.contains("o-9 and o-8"), "{q}: {}", a.answer);
            assert!(a.answer.contains("5 free at warehouse, enough to fill them"), "{q}: {}", a.answer);
        }
    }
}
