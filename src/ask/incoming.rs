//! Answers about what is on order: open purchase-order lines and when they arrive.

use super::wording::{date, days_word, ids, list, name, plural, when};
use crate::forecast::IncomingLine;
use crate::time::DAY;
use crate::{SkuSummary, Timestamp};

/// The open purchase-order lines of the named products (or of all), due within `days` if given,
/// soonest first.
pub(super) fn incoming(
    all: &[SkuSummary],
    named: &[&SkuSummary],
    days: Option<f64>,
    now: Timestamp,
) -> (String, Vec<String>) {
    let scope: Vec<&SkuSummary> = if named.is_empty() { all.iter().collect() } else { named.to_vec() };
    let until = days.map(|d| now.plus((d * DAY as f64) as i64));
    let mut lines: Vec<(&SkuSummary, &IncomingLine)> = scope
        .iter()
        .flat_map(|s| s.incoming.iter().map(move |l| (*s, l)))
        .filter(|(_, l)| until.is_none_or(|u| l.expected_at <= u))
        .collect();
    lines.sort_by(|a, b| a.1.expected_at.cmp(&b.1.expected_at).then_with(|| a.0.sku.cmp(&b.0.sku)));
    let period = days.map(|d| format!(" within {}", days_word(d))).unwrap_or_default();
    if lines.is_empty() {
        let what = if named.is_empty() {
            "any product".to_string()
        } else {
            list(&named.iter().map(|s| name(s)).collect::<Vec<_>>())
        };
        return (format!("Nothing is on order for {what}{period}."), ids(named));
    }
    let items: Vec<String> = lines
        .iter()
        .map(|(s, l)| {
            let due = if l.expected_at <= now {
                format!("due since {} (late)", date(l.expected_at))
            } else {
                when(l.expected_at, now)
            };
            format!("{} of {} on {} at {} {due}", l.quantity, name(s), l.po_id, l.location)
        })
        .collect();
    let units: i64 = lines.iter().map(|(_, l)| l.quantity).sum();
    let mut skus: Vec<String> = Vec::new();
    for (s, _) in &lines {
        if !skus.contains(&s.sku) {
            skus.push(s.sku.clone());
        }
    }
    (
        format!(
            "{} incoming{period} on {}: {}.",
            plural(units as usize, "unit is", "units are"),
            plural(lines.len(), "open purchase-order line", "open purchase-order lines"),
            list(&items)
        ),
        skus,
    )
}

#[cfg(test)]
mod tests {
    use crate::ask::fixture::ask;

    #[test]
    fn incoming_and_when() {
        for q in ["what is incoming and when", "what's on order?", "when do the next deliveries arrive"] {
            let a = ask(q);
            assert_eq!(a.skus, ["linen-shirt-m", "tee-black-l"], "{q}");
            assert!(a.answer.contains("PO-17") && a.answer.contains("in 5 days"), "{q}: {}", a.answer);
        }
        let a = ask("what is arriving this week");
        assert_eq!(a.skus, ["linen-shirt-m"]);
        let a = ask("when is the wool socks replenishment expected");
        assert!(a.answer.starts_with("Nothing is on order for Wool socks"), "{}", a.answer);
    }
}
