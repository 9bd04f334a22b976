//! Answers about sales velocity: a product's pace per channel, and the fastest sellers.

use super::wording::{ids, list, name, num, on};
use crate::{SkuSummary, Timestamp};

/// The named products' sales per day and channel, or the five fastest sellers.
pub(super) fn velocity(
    all: &[SkuSummary],
    named: &[&SkuSummary],
    channel: Option<&str>,
    now: Timestamp,
) -> (String, Vec<String>) {
    if !named.is_empty() {
        let parts: Vec<String> = named
            .iter()
            .map(|s| {
                let per: Vec<(String, f64)> = s
                    .velocity_per_day(now)
                    .into_iter()
                    .filter(|(c, v)| *v > 0.0 && channel.is_none_or(|w| w == c))
                    .collect();
                if per.is_empty() {
                    return format!("{} has no recent sales{}", name(s), on(channel));
                }
                let total: f64 = per.iter().map(|(_, v)| v).sum();
                let by: Vec<String> = per.iter().map(|(c, v)| format!("{c} {}", num(*v))).collect();
                match channel {
                    Some(c) => format!("{} sells {} a day on {c}", name(s), num(total)),
                    None => format!("{} sells {} a day: {}", name(s), num(total), by.join(", ")),
                }
            })
            .collect();
        return (format!("{} (units a day, recent sales weigh more).", parts.join("; ")), ids(named));
    }
    let pace = |s: &SkuSummary| match channel {
        Some(c) => s.velocity.get(c).map_or(0.0, |v| v.per_day(now)),
        None => s.total_velocity(now),
    };
    let mut top: Vec<(f64, &SkuSummary)> = all.iter().map(|s| (pace(s), s)).filter(|(v, _)| *v > 0.005).collect();
    top.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.sku.cmp(&b.1.sku)));
    top.truncate(5);
    if top.is_empty() {
        return (format!("No product has recent sales{}.", on(channel)), Vec::new());
    }
    let items: Vec<String> = top.iter().map(|(v, s)| format!("{} {} a day", name(s), num(*v))).collect();
    (
        format!("Fastest sellers{}: {}. Name a product for its pace per channel.", on(channel), list(&items)),
        top.iter().map(|(_, s)| s.sku.clone()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use crate::ask::fixture::ask;

    #[test]
    fn velocity_per_channel() {
        for q in ["velocity of linen-shirt-m", "how fast does the linen shirt sell", "linen shirt sales per day"] {
            let a = ask(q);
            assert_eq!(a.skus, ["linen-shirt-m"], "{q}");
            assert!(a.answer.contains("web ") && a.answer.contains("store "), "{q}: {}", a.answer);
        }
        let a = ask("best sellers online");
        assert!(a.answer.starts_with("Fastest sellers on web"), "{}", a.answer);
    }
}
