//! Answers about running out: the products at risk within a period, and days of supply.

use super::parse::DEFAULT_HORIZON_DAYS;
use super::wording::{days_word, ids, list, name, num, on, plural, when};
use crate::forecast::{risk, Risk};
use crate::{SkuSummary, Timestamp};

/// When the named products run out on `channel` at their pace, or which products are at risk of
/// running out within `days` (the default horizon when the question names none), soonest first.
pub(super) fn stockout(
    all: &[SkuSummary],
    named: &[&SkuSummary],
    channel: Option<&str>,
    days: Option<f64>,
    now: Timestamp,
) -> (String, Vec<String>) {
    let horizon = days.unwrap_or(DEFAULT_HORIZON_DAYS);
    let within = format!("within {}", days_word(horizon));
    if !named.is_empty() {
        let parts: Vec<String> = named
            .iter()
            .map(|s| match s.projected_stockout(now, channel) {
                Some(t) if t <= now => format!("{} is out of stock{} now", name(s), on(channel)),
                Some(t) => {
                    let verdict = if risk(Some(t), now, horizon) == Risk::AtRisk { "at risk" } else { "not at risk" };
                    format!(
                        "{} runs out{} {} at the current pace: {verdict} {within}",
                        name(s),
                        on(channel),
                        when(t, now)
                    )
                }
                None => format!("{} is not projected to run out{}: it has not been selling", name(s), on(channel)),
            })
            .collect();
        return (format!("{}.", parts.join("; ")), ids(named));
    }
    let mut at_risk: Vec<(Timestamp, &SkuSummary)> = all
        .iter()
        .filter_map(|s| {
            s.projected_stockout(now, channel).filter(|t| risk(Some(*t), now, horizon) == Risk::AtRisk).map(|t| (t, s))
        })
        .collect();
    at_risk.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.sku.cmp(&b.1.sku)));
    let place = match channel {
        Some(c) => format!(" on {c}"),
        None => " (all channels together)".to_string(),
    };
    if at_risk.is_empty() {
        return (format!("No product is projected to run out{place} {within}."), Vec::new());
    }
    let items: Vec<String> = at_risk
        .iter()
        .map(|(t, s)| if *t <= now { format!("{} out now", name(s)) } else { format!("{} {}", name(s), when(*t, now)) })
        .collect();
    let n = at_risk.len();
    let verb = if n == 1 { "is" } else { "are" };
    (
        format!(
            "{} {verb} at risk of running out{place} {within}: {}.",
            plural(n, "product", "products"),
            list(&items)
        ),
        at_risk.iter().map(|(_, s)| s.sku.clone()).collect(),
    )
}

/// The named products' days of supply, or the five products with the fewest.
pub(super) fn days_of_supply(all: &[SkuSummary], named: &[&SkuSummary], now: Timestamp) -> (String, Vec<String>) {
    if !named.is_empty() {
        let parts: Vec<String> = named
            .iter()
            .map(|s| {
                let v = s.total_velocity(now);
                match s.days_of_supply(now) {
                    Some(d) => format!(
                        "{} has {} of supply: {} sellable at {} a day",
                        name(s),
                        days_word(d),
                        plural(s.sellable().max(0) as usize, "unit", "units"),
                        num(v)
                    ),
                    None => format!(
                        "{} has {} and has not been selling, so its days of supply are open-ended",
                        name(s),
                        plural(s.sellable().max(0) as usize, "sellable unit", "sellable units")
                    ),
                }
            })
            .collect();
        return (format!("{}.", parts.join("; ")), ids(named));
    }
    let mut selling: Vec<(f64, &SkuSummary)> = all.iter().filter_map(|s| Some((s.days_of_supply(now)?, s))).collect();
    selling.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.sku.cmp(&b.1.sku)));
    selling.truncate(5);
    if selling.is_empty() {
        return (
            "No product has been selling, so days of supply are open-ended for all of them.".to_string(),
            Vec::new(),
        );
    }
    let items: Vec<String> = selling.iter().map(|(d, s)| format!("{} {}", name(s), days_word(*d))).collect();
    (
        format!("Name a product for its days of supply. The fewest days of supply now: {}.", list(&items)),
        selling.iter().map(|(_, s)| s.sku.clone()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use crate::ask::fixture::ask;

    #[test]
    fn stockout_risk_per_channel_and_period() {
        for q in [
            "which products are at risk of online stockout this week",
            "What will run out on the web in the next 7 days?",
            "online stock-outs this week",
        ] {
            let a = ask(q);
            assert!(a.skus.contains(&"wool-socks".to_string()), "{q}: {a:?}");
            assert!(a.skus.contains(&"linen-shirt-m".to_string()), "{q}: {a:?}");
            assert!(!a.skus.contains(&"canvas-tote".to_string()), "{q}: {a:?}");
            assert!(a.answer.contains("on web"), "{q}: {}", a.answer);
            assert_eq!(a.skus[0], "wool-socks", "soonest first: {a:?}");
        }
        let a = ask("what will sell out in the next 3 days");
        assert_eq!(a.skus, ["wool-socks", "linen-shirt-m"], "20 units at 10 a day last 2 days: {a:?}");
        assert!(a.answer.contains("within 3 days"), "{}", a.answer);
        let a = ask("what sells out by tomorrow?");
        assert_eq!(a.skus, ["wool-socks"], "{a:?}");
        assert!(a.answer.contains("within 1 day") && a.answer.contains("hours"), "{}", a.answer);
        let a = ask("at risk on marketplace in 10 days");
        assert!(a.answer.contains("on marketplace") && a.answer.contains("within 10 days"), "{}", a.answer);
        let a = ask("when will linen-shirt-m run out?");
        assert_eq!(a.skus, ["linen-shirt-m"]);
        assert!(a.answer.contains("runs out in"), "{}", a.answer);
        let a = ask("is the canvas tote at risk of selling out?");
        assert!(a.answer.contains("not been selling"), "{}", a.answer);
    }

    #[test]
    fn days_of_supply_by_id_or_title() {
        for q in [
            "how many days of supply for linen-shirt-m",
            "Days of supply linen shirt",
            "how long will the linen shirt last?",
        ] {
            let a = ask(q);
            assert_eq!(a.skus, ["linen-shirt-m"], "{q}");
            assert!(a.answer.contains("days of supply") && a.answer.contains("Linen shirt, M"), "{q}: {}", a.answer);
        }
        let a = ask("days of supply");
        assert!(a.answer.contains("fewest days of supply"), "{}", a.answer);
        assert_eq!(a.skus[0], "wool-socks");
    }
}
