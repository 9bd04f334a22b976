//! Answers about returns: rates by the channel bought on, and the products whose returns stand out.

use std::collections::BTreeMap;

use super::wording::{capitalise, ids, list, name, on, pct, plural};
use crate::SkuSummary;

/// "; top reasons: wrong size 4, damaged 1", or nothing when no reason was given.
fn reasons(top: &[(String, i64)]) -> String {
    if top.is_empty() {
        return String::new();
    }
    let r: Vec<String> = top.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!("; top reasons: {}", r.join(", "))
}

/// Return rates of the named products per channel, or of the catalog per channel bought on, and
/// the products whose returns stand out against the store's.
pub(super) fn returns(all: &[SkuSummary], named: &[&SkuSummary], channel: Option<&str>) -> (String, Vec<String>) {
    let rate_of = |sold: i64, returned: i64| if sold > 0 { returned as f64 / sold as f64 } else { 0.0 };
    if !named.is_empty() {
        let parts: Vec<String> = named
            .iter()
            .map(|s| {
                let by: Vec<String> = s
                    .returns
                    .iter()
                    .filter(|(c, _)| channel.is_none_or(|w| w == c.as_str()))
                    .map(|(c, r)| {
                        format!("{c} {} ({} of {} sold{})", pct(r.rate), r.returned, r.sold, reasons(&r.top_reasons(3)))
                    })
                    .collect();
                let flags: Vec<String> = s
                    .return_flags()
                    .iter()
                    .map(|f| {
                        format!(
                            "{} returns stand out ({} against the store's {})",
                            capitalise(&f.channel),
                            pct(f.rate),
                            pct(f.store_rate)
                        )
                    })
                    .collect();
                let mut t = if by.is_empty() {
                    format!("{} has no sales or returns recorded{}", name(s), on(channel))
                } else {
                    format!("Return rates of {}: {}", name(s), by.join("; "))
                };
                if !flags.is_empty() {
                    t.push_str(&format!(". {}", flags.join("; ")));
                }
                t
            })
            .collect();
        return (format!("{}.", parts.join(". ")), ids(named));
    }
    let mut by_channel: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for s in all {
        for (c, r) in &s.returns {
            let e = by_channel.entry(c.as_str()).or_default();
            e.0 += r.sold;
            e.1 += r.returned;
        }
    }
    let rates: Vec<String> = by_channel
        .iter()
        .filter(|(c, _)| channel.is_none_or(|w| w == **c))
        .map(|(c, (sold, returned))| format!("{c} {} ({returned} of {sold})", pct(rate_of(*sold, *returned))))
        .collect();
    let mut flagged: Vec<(f64, &SkuSummary, String)> = Vec::new();
    for s in all {
        for f in s.return_flags() {
            if channel.is_some_and(|c| c != f.channel) {
                continue;
            }
            let top = f.top_reasons.first().map(|(r, _)| format!(", mostly {r}")).unwrap_or_default();
            flagged.push((
                f.rate,
                s,
                format!(
                    "{} with {} {} against the store's {}{top}",
                    name(s),
                    f.channel,
                    pct(f.rate),
                    pct(f.store_rate)
                ),
            ));
        }
    }
    flagged.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.sku.cmp(&b.1.sku)));
    let mut text = if rates.is_empty() {
        format!("No sales or returns are recorded{} yet.", on(channel))
    } else {
        format!("Return rates by channel bought on: {}.", rates.join(", "))
    };
    let which = channel.unwrap_or("online");
    if flagged.is_empty() {
        text.push_str(&format!(" No product's {which} returns stand out against the store's."));
    } else {
        let items: Vec<String> = flagged.iter().map(|(_, _, t)| t.clone()).collect();
        text.push_str(&format!(
            " {} returns stand out for {}: {}.",
            capitalise(which),
            plural(flagged.len(), "product", "products"),
            list(&items)
        ));
    }
    let mut skus = Vec::new();
    for (_, s, _) in &flagged {
        if !skus.contains(&s.sku) {
            skus.push(s.sku.clone());
        }
    }
    (text, skus)
}

#[cfg(test)]
mod tests {
    use crate::ask::fixture::ask;

    #[test]
    fn returns_by_channel_and_flags() {
        for q in ["return rates by channel", "which products have high online returns?", "where do returns stand out"] {
            let a = ask(q);
            assert_eq!(a.skus, ["wool-socks"], "{q}");
            assert!(a.answer.contains("wrong size"), "{q}: {}", a.answer);
            assert!(a.answer.contains("web "), "{q}: {}", a.answer);
        }
        let a = ask("returns of wool socks");
        assert!(a.answer.contains("Return rates of Wool socks") && a.answer.contains("stand out"), "{}", a.answer);
    }
}
