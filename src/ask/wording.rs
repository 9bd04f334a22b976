//! Wording shared by every answer: product names, numbers, periods, dates and lists.

use crate::{SkuSummary, Timestamp};

/// At most this many products are named in one sentence; the rest are counted.
const NAMED: usize = 8;

pub(super) fn name(s: &SkuSummary) -> String {
    if s.title.is_empty() || s.title == s.sku {
        s.sku.clone()
    } else {
        format!("{} ({})", s.title, s.sku)
    }
}

/// `1`, `2.5`, `0.14`: at most two significant decimals, no trailing zeros.
pub(super) fn num(x: f64) -> String {
    let digits = if x.abs() >= 10.0 {
        0
    } else if x.abs() >= 1.0 {
        1
    } else {
        2
    };
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub(super) fn days_word(d: f64) -> String {
    if (d - 1.0).abs() < 1e-9 {
        "1 day".to_string()
    } else {
        format!("{} days", num(d))
    }
}

pub(super) fn pct(r: f64) -> String {
    format!("{}%", num(r * 100.0))
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn date(t: Timestamp) -> String {
    let s = t.to_string();
    format!("{} {} UTC", &s[..10], &s[11..16])
}

pub(super) fn when(t: Timestamp, now: Timestamp) -> String {
    if t <= now {
        "now".to_string()
    } else {
        let d = t.days_since(now);
        let span = if d < 1.0 { format!("{} hours", num((d * 24.0).max(0.1))) } else { days_word(d) };
        format!("in {span} ({})", date(t))
    }
}

/// "A, B and C", naming at most [`NAMED`] and counting the rest.
pub(super) fn list(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(NAMED).map(String::as_str).collect();
    let more = items.len().saturating_sub(NAMED);
    match (shown.len(), more) {
        (0, _) => String::new(),
        (1, 0) => shown[0].to_string(),
        (_, 0) => format!("{} and {}", shown[..shown.len() - 1].join(", "), shown[shown.len() - 1]),
        (_, m) => format!("{} and {} more", shown.join(", "), m),
    }
}

pub(super) fn on(channel: Option<&str>) -> String {
    match channel {
        Some(c) => format!(" on {c}"),
        None => String::new(),
    }
}

pub(super) fn ids(v: &[&SkuSummary]) -> Vec<String> {
    v.iter().map(|s| s.sku.clone()).collect()
}

pub(super) fn sellable_on(s: &SkuSummary, channel: Option<&str>) -> i64 {
    match channel {
        Some(c) => s.available.get(c).copied().unwrap_or(0),
        None => s.sellable().max(0),
    }
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
