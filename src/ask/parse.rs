//! Reading a question: normalising its words, and finding the period, the channel and the
//! products it names. Which question it is comes from [`super::intent`].

use std::collections::BTreeSet;

use super::intent::{recognise, Intent};
use crate::names::STORE_CHANNEL;
use crate::SkuSummary;

/// The period used when a question names none, in days.
pub const DEFAULT_HORIZON_DAYS: f64 = 7.0;

/// What the parser read from a question.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// The intent, `None` when no key phrase matched.
    pub intent: Option<Intent>,
    /// The period in days, when the question names one.
    pub days: Option<f64>,
    /// The channel, when the question names one.
    pub channel: Option<String>,
    /// Indexes of the products the question names.
    pub products: Vec<usize>,
}

/// Reads intent, period, channel and products from a question.
pub fn parse(question: &str, summaries: &[SkuSummary]) -> Parsed {
    let text = normalise(question);
    Parsed {
        intent: recognise(&text),
        days: period(&text),
        channel: channel(&text, summaries),
        products: products(question, &text, summaries),
    }
}

/// Lower case, words separated by single spaces, padded with a space each side. Hyphens stay
/// inside words ("stock-out", "linen-shirt-m"); other punctuation separates.
pub(super) fn normalise(q: &str) -> String {
    let mut out = String::from(" ");
    for c in q.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '-' {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn number(word: &str) -> Option<f64> {
    const WORDS: [&str; 13] =
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
    match word {
        "a" | "an" | "the" | "this" | "next" | "coming" => Some(1.0),
        "couple" => Some(2.0),
        "few" => Some(3.0),
        _ => WORDS.iter().position(|w| *w == word).map(|n| n as f64).or_else(|| word.parse::<f64>().ok()),
    }
}

/// The period a question names, in days: "today", "tomorrow", "this week", "in 3 days",
/// "the next two weeks", "within a month", "48 hours", "3d".
fn period(text: &str) -> Option<f64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let unit = match *w {
            "day" | "days" => 1.0,
            "week" | "weeks" => 7.0,
            "fortnight" => 14.0,
            "month" | "months" => 30.0,
            "hour" | "hours" => 1.0 / 24.0,
            "today" | "tonight" | "tomorrow" => return Some(1.0),
            _ => {
                // "3d", "2w", "48h"
                let Some((cut, _)) = w.char_indices().last() else { continue };
                let (n, u) = w.split_at(cut);
                let unit = match u {
                    "d" => 1.0,
                    "w" => 7.0,
                    "h" => 1.0 / 24.0,
                    _ => continue,
                };
                match n.parse::<f64>() {
                    Ok(n) if n > 0.0 => return Some(n * unit),
                    _ => continue,
                }
            }
        };
        // "days of supply" is not a period.
        if *w == "days" && words.get(i + 1) == Some(&"of") {
            continue;
        }
        let before = if i > 0 { words[i - 1] } else { "" };
        let n = match number(before) {
            Some(n) => n,
            // "a couple of days", "a few weeks"
            None if before == "of" && i >= 2 => number(words[i - 2]).unwrap_or(1.0),
            None => 1.0,
        };
        if n > 0.0 {
            return Some(n * unit);
        }
    }
    None
}

/// Words that name channels.
fn channel(text: &str, summaries: &[SkuSummary]) -> Option<String> {
    const ALIASES: [(&str, &str); 10] = [
        ("web store", "web"),
        ("webstore", "web"),
        ("web shop", "web"),
        ("webshop", "web"),
        ("online", "web"),
        ("website", "web"),
        ("e-commerce", "web"),
        ("ecommerce", "web"),
        ("in store", STORE_CHANNEL),
        ("in-store", STORE_CHANNEL),
    ];
    let mut earliest: Option<(usize, String)> = None;
    let mut consider = |at: Option<usize>, name: &str| {
        if let Some(at) = at {
            if earliest.as_ref().is_none_or(|(e, _)| at < *e) {
                earliest = Some((at, name.to_string()));
            }
        }
    };
    let mut rest = text.to_string();
    for (alias, name) in ALIASES {
        let pat = format!(" {alias} ");
        consider(text.find(&pat), name);
        rest = rest.replace(&pat, "  ");
    }
    let known: BTreeSet<&str> = summaries
        .iter()
        .flat_map(|s| s.channel_locations.keys().chain(s.available.keys()))
        .map(String::as_str)
        .chain(["web", STORE_CHANNEL, "marketplace"])
        .collect();
    for c in known {
        let pat = format!(" {c} ");
        consider(rest.find(&pat), c);
        let plural = format!(" {c}s ");
        consider(rest.find(&plural), c);
    }
    earliest.map(|(_, c)| c)
}

/// Words that never identify a product.
const STOP: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "what",
    "which",
    "who",
    "how",
    "many",
    "much",
    "are",
    "is",
    "was",
    "will",
    "does",
    "did",
    "our",
    "any",
    "all",
    "per",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "supply",
    "stock",
    "stocks",
    "product",
    "products",
    "item",
    "items",
    "sku",
    "skus",
    "online",
    "store",
    "web",
    "channel",
    "channels",
    "sell",
    "sold",
    "sale",
    "sales",
    "left",
    "risk",
    "out",
    "low",
    "in",
    "on",
    "of",
    "a",
    "an",
    "to",
    "at",
    "by",
    "it",
    "its",
    "this",
    "that",
    "next",
    "have",
    "has",
    "we",
    "do",
    "be",
    "there",
    "now",
    "rate",
    "rates",
    "return",
    "returns",
    "velocity",
    "incoming",
    "cart",
    "carts",
    "held",
    "when",
    "units",
    "unit",
    "left",
    "fast",
    "long",
    "last",
    "than",
    "from",
    "size",
    "colour",
    "color",
    "shop",
    "marketplace",
];

fn words_of(s: &str) -> Vec<String> {
    normalise(s)
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .map(|w| w.strip_suffix('s').filter(|x| x.len() >= 3).unwrap_or(w).to_string())
        .collect()
}

/// The products a question names: by SKU id (case-insensitive), else by the most title words.
fn products(question: &str, text: &str, summaries: &[SkuSummary]) -> Vec<usize> {
    let tokens: BTreeSet<String> = question
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .map(|t| t.trim_matches(|c| c == '.' || c == '-').to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let by_id: Vec<usize> = summaries
        .iter()
        .enumerate()
        .filter(|(_, s)| tokens.contains(&s.sku.to_ascii_lowercase()))
        .map(|(i, _)| i)
        .collect();
    if !by_id.is_empty() {
        return by_id;
    }
    let asked: BTreeSet<String> = words_of(text).into_iter().collect();
    let significant =
        |w: &String| w.len() >= 3 && !STOP.contains(&w.as_str()) && !w.chars().all(|c| c.is_ascii_digit());
    let mut best = 0;
    let mut found = Vec::new();
    for (i, s) in summaries.iter().enumerate() {
        let mut own: BTreeSet<String> = words_of(&s.title).into_iter().collect();
        own.extend(words_of(&s.sku).into_iter().filter(|w| w.chars().all(|c| c.is_alphabetic())));
        let strong = own.iter().filter(|w| significant(w) && asked.contains(*w)).count();
        if strong == 0 {
            continue;
        }
        // Short words ("m", "xl") only break ties between titles that share the long ones.
        let weak = own.iter().filter(|w| !significant(w) && !STOP.contains(&w.as_str()) && asked.contains(*w)).count();
        let score = strong * 100 + weak;
        if score > best {
            best = score;
            found.clear();
        }
        if score == best {
            found.push(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::fixture::catalog;

    #[test]
    fn reads_periods_and_channels() {
        let c = catalog();
        let p = |q: &str| parse(q, &c);
        assert_eq!(p("which products are at risk of online stockout this week").days, Some(7.0));
        assert_eq!(p("which products are at risk of online stockout this week").channel.as_deref(), Some("web"));
        assert_eq!(p("what will sell out in the next 3 days").days, Some(3.0));
        assert_eq!(p("what will sell out in the next 3 days").channel, None);
        assert_eq!(p("at risk on marketplace in 10 days").channel.as_deref(), Some("marketplace"));
        assert_eq!(p("at risk on marketplace in 10 days").days, Some(10.0));
        assert_eq!(p("what runs out in the next two weeks in store").days, Some(14.0));
        assert_eq!(p("what runs out in the next two weeks in store").channel.as_deref(), Some("store"));
        assert_eq!(p("anything selling out today on the web store?").days, Some(1.0));
        assert_eq!(p("anything selling out today on the web store?").channel.as_deref(), Some("web"));
        assert_eq!(p("stockouts within a month").days, Some(30.0));
        assert_eq!(p("stockouts in 48h").days, Some(2.0));
        assert_eq!(p("how many days of supply for linen-shirt-m").days, None);
    }

    #[test]
    fn finds_products_by_id_or_title() {
        let c = catalog();
        let sku_of = |q: &str| parse(q, &c).products.iter().map(|&i| c[i].sku.clone()).collect::<Vec<_>>();
        assert_eq!(sku_of("how many days of supply for linen-shirt-m"), ["linen-shirt-m"]);
        assert_eq!(sku_of("days of supply for LINEN-SHIRT-M?"), ["linen-shirt-m"]);
        assert_eq!(sku_of("how long will the linen shirts last"), ["linen-shirt-m"]);
        assert_eq!(sku_of("how fast do wool socks sell"), ["wool-socks"]);
        assert_eq!(sku_of("velocity of the scarf"), ["silk-scarf"]);
        assert!(sku_of("which products are at risk of online stockout this week").is_empty());
    }
}
