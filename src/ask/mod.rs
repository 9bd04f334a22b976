//! Questions in plain words, answered from the catalog's [`SkuSummary`]s.
//!
//! Deterministic and small: no model, no outside service. A question is read in three steps:
//!
//! 1. **Intent**: every intent has a table of key phrases with weights ([`INTENTS`]); the
//!    intent with the highest total wins (ties go to the earlier row).
//! 2. **Details**: a period ("this week", "in the next 3 days", "within a month", "today"), a
//!    channel ("online" is `web`, "in store" is `store`, or any channel name the catalog uses),
//!    and products, named by SKU id or by words of their title.
//! 3. **Answer**: one function per intent turns the summaries into a sentence or a few, and
//!    the SKUs the answer is about.
//!
//! A question it cannot place gets a reply listing what it can answer, with no SKUs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::forecast::{risk, Risk};
use crate::names::STORE_CHANNEL;
use crate::time::DAY;
use crate::{SkuSummary, Timestamp};

/// The reply to one question (`GET /admin/ask?q=`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The question as asked.
    pub question: String,
    /// One or a few sentences.
    pub answer: String,
    /// The SKUs the answer is about (empty when it is about none in particular).
    pub skus: Vec<String>,
}

/// What a question asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Which products run out within a period (per channel).
    Stockout,
    /// Days of supply of a product, or the products with the fewest.
    DaysOfSupply,
    /// Open purchase-order lines and when they arrive.
    Incoming,
    /// Products at or below their low-stock threshold.
    LowStock,
    /// Return rates by channel and the products whose returns stand out.
    Returns,
    /// Units held in carts now.
    Holds,
    /// Sales velocity per channel.
    Velocity,
}

/// Key phrases per intent with their weights. A phrase matches at the start of a word, so
/// `return` also matches "returns" and "returned".
pub const INTENTS: &[(Intent, &[(&str, u32)])] = &[
    (
        Intent::Stockout,
        &[
            ("sell out", 3),
            ("sells out", 3),
            ("sold out", 3),
            ("selling out", 3),
            ("run out", 3),
            ("runs out", 3),
            ("running out", 3),
            ("stockout", 3),
            ("stock out", 3),
            ("stock-out", 3),
            ("at risk", 3),
            ("risk", 2),
            ("will be out", 3),
            ("go out of stock", 3),
            ("out of stock", 1),
        ],
    ),
    (
        Intent::DaysOfSupply,
        &[
            ("days of supply", 4),
            ("day of supply", 4),
            ("days of stock", 4),
            ("days of cover", 4),
            ("supply", 2),
            ("days left", 3),
            ("how long", 2),
            ("last", 1),
            ("cover", 1),
        ],
    ),
    (
        Intent::Incoming,
        &[
            ("incoming", 3),
            ("arriv", 3),
            ("on order", 3),
            ("purchase order", 3),
            ("expected", 2),
            ("replenish", 3),
            ("deliver", 2),
            ("coming in", 3),
            ("shipment", 2),
            ("inbound", 3),
            ("restock", 1),
        ],
    ),
    (
        Intent::LowStock,
        &[
            ("low on stock", 4),
            ("low stock", 4),
            ("running low", 4),
            ("low", 2),
            ("out of stock", 2),
            ("few left", 3),
            ("almost out", 3),
            ("nearly out", 3),
            ("empty", 2),
        ],
    ),
    (Intent::Returns, &[("return", 4), ("refund", 3), ("sent back", 3), ("brought back", 3)]),
    (Intent::Holds, &[("cart", 3), ("held", 3), ("hold", 3), ("reserved", 3), ("reservation", 3), ("checkout", 2)]),
    (
        Intent::Velocity,
        &[
            ("velocity", 4),
            ("how fast", 3),
            ("sales rate", 3),
            ("rate of sale", 3),
            ("best seller", 3),
            ("bestseller", 3),
            ("top seller", 3),
            ("selling", 2),
            ("sells", 2),
            ("per day", 2),
            ("a day", 1),
            ("sell", 1),
            ("sales", 1),
        ],
    ),
];

/// The period used when a question names none, in days.
pub const DEFAULT_HORIZON_DAYS: f64 = 7.0;

/// At most this many products are named in one sentence; the rest are counted.
const NAMED: usize = 8;

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

/// Answers one question about the catalog at `now`.
pub fn answer(question: &str, summaries: &[SkuSummary], now: Timestamp) -> Answer {
    let p = parse(question, summaries);
    let named: Vec<&SkuSummary> = p.products.iter().map(|&i| &summaries[i]).collect();
    let (text, skus) = if summaries.is_empty() && p.intent.is_some() {
        ("There are no products in the catalog yet.".to_string(), Vec::new())
    } else {
        match p.intent {
            None => (help(), Vec::new()),
            Some(Intent::Stockout) => stockout(summaries, &named, p.channel.as_deref(), p.days, now),
            Some(Intent::DaysOfSupply) => days_of_supply(summaries, &named, now),
            Some(Intent::Incoming) => incoming(summaries, &named, p.days, now),
            Some(Intent::LowStock) => low_stock(summaries, &named, p.channel.as_deref()),
            Some(Intent::Returns) => returns(summaries, &named, p.channel.as_deref()),
            Some(Intent::Holds) => holds(summaries, &named),
            Some(Intent::Velocity) => velocity(summaries, &named, p.channel.as_deref(), now),
        }
    };
    Answer { question: question.to_string(), answer: text, skus }
}

/// The reply to a question it cannot answer.
pub fn help() -> String {
    "I did not understand that question. I can answer: which products are at risk of running out within a period, \
     per channel (\"which products are at risk of online stockout this week\", \"what will sell out in the next 3 days\"); \
     days of supply of a product (\"how many days of supply for linen-shirt-m\"); what is incoming and when; \
     which products are low on stock; return rates by channel and the products whose online returns stand out; \
     what is held in carts now; and how fast a product sells per channel (\"velocity of linen-shirt-m\")."
        .to_string()
}

// ---- parsing ---------------------------------------------------------------------------------

/// Reads intent, period, channel and products from a question.
pub fn parse(question: &str, summaries: &[SkuSummary]) -> Parsed {
    let text = normalise(question);
    Parsed {
        intent: intent(&text),
        days: period(&text),
        channel: channel(&text, summaries),
        products: products(question, &text, summaries),
    }
}

/// Lower case, words separated by single spaces, padded with a space each side. Hyphens stay
/// inside words ("stock-out", "linen-shirt-m"); other punctuation separates.
fn normalise(q: &str) -> String {
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

/// Whether `phrase` occurs in `text` at the start of a word.
fn has(text: &str, phrase: &str) -> bool {
    text.contains(&format!(" {phrase}"))
}

fn intent(text: &str) -> Option<Intent> {
    let mut best: Option<(Intent, u32)> = None;
    for (intent, phrases) in INTENTS {
        let score: u32 = phrases.iter().filter(|(p, _)| has(text, p)).map(|(_, w)| w).sum();
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((*intent, score));
        }
    }
    best.map(|(i, _)| i)
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

// ---- wording ---------------------------------------------------------------------------------

fn name(s: &SkuSummary) -> String {
    if s.title.is_empty() || s.title == s.sku {
        s.sku.clone()
    } else {
        format!("{} ({})", s.title, s.sku)
    }
}

/// `1`, `2.5`, `0.14`: at most two significant decimals, no trailing zeros.
fn num(x: f64) -> String {
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

fn days_word(d: f64) -> String {
    if (d - 1.0).abs() < 1e-9 {
        "1 day".to_string()
    } else {
        format!("{} days", num(d))
    }
}

fn pct(r: f64) -> String {
    format!("{}%", num(r * 100.0))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn date(t: Timestamp) -> String {
    let s = t.to_string();
    format!("{} {} UTC", &s[..10], &s[11..16])
}

fn when(t: Timestamp, now: Timestamp) -> String {
    if t <= now {
        "now".to_string()
    } else {
        let d = t.days_since(now);
        let span = if d < 1.0 { format!("{} hours", num((d * 24.0).max(0.1))) } else { days_word(d) };
        format!("in {span} ({})", date(t))
    }
}

/// "A, B and C", naming at most [`NAMED`] and counting the rest.
fn list(items: &[String]) -> String {
    let shown: Vec<&str> = items.iter().take(NAMED).map(String::as_str).collect();
    let more = items.len().saturating_sub(NAMED);
    match (shown.len(), more) {
        (0, _) => String::new(),
        (1, 0) => shown[0].to_string(),
        (_, 0) => format!("{} and {}", shown[..shown.len() - 1].join(", "), shown[shown.len() - 1]),
        (_, m) => format!("{} and {} more", shown.join(", "), m),
    }
}

fn on(channel: Option<&str>) -> String {
    match channel {
        Some(c) => format!(" on {c}"),
        None => String::new(),
    }
}

fn ids(v: &[&SkuSummary]) -> Vec<String> {
    v.iter().map(|s| s.sku.clone()).collect()
}

fn sellable_on(s: &SkuSummary, channel: Option<&str>) -> i64 {
    match channel {
        Some(c) => s.available.get(c).copied().unwrap_or(0),
        None => s.sellable().max(0),
    }
}

// ---- one function per intent -----------------------------------------------------------------

fn stockout(
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

fn days_of_supply(all: &[SkuSummary], named: &[&SkuSummary], now: Timestamp) -> (String, Vec<String>) {
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

fn incoming(all: &[SkuSummary], named: &[&SkuSummary], days: Option<f64>, now: Timestamp) -> (String, Vec<String>) {
    let scope: Vec<&SkuSummary> = if named.is_empty() { all.iter().collect() } else { named.to_vec() };
    let until = days.map(|d| now.plus((d * DAY as f64) as i64));
    let mut lines: Vec<(&SkuSummary, &crate::forecast::IncomingLine)> = scope
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

fn low_stock(all: &[SkuSummary], named: &[&SkuSummary], channel: Option<&str>) -> (String, Vec<String>) {
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

fn reasons(top: &[(String, i64)]) -> String {
    if top.is_empty() {
        return String::new();
    }
    let r: Vec<String> = top.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!("; top reasons: {}", r.join(", "))
}

fn returns(all: &[SkuSummary], named: &[&SkuSummary], channel: Option<&str>) -> (String, Vec<String>) {
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

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn holds(all: &[SkuSummary], named: &[&SkuSummary]) -> (String, Vec<String>) {
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

fn velocity(all: &[SkuSummary], named: &[&SkuSummary], channel: Option<&str>, now: Timestamp) -> (String, Vec<String>) {
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
    use super::*;
    use crate::catalog::{BufferPolicy, SkuConfig, Topology};
    use crate::event::EventBody;
    use crate::forecast::IncomingLine;
    use crate::reservation::HoldRequest;
    use crate::sku::Sku;
    use crate::time::{HOUR, MINUTE};

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-26T10:00:00Z").unwrap()
    }

    fn topology() -> Topology {
        let mut t = Topology { locations: vec!["main-st".into(), "warehouse".into()], ..Topology::default() };
        t.channels.insert("store".into(), vec!["main-st".into()]);
        t.channels.insert("web".into(), vec!["warehouse".into(), "main-st".into()]);
        t.channels.insert("marketplace".into(), vec!["warehouse".into()]);
        t
    }

    fn event(sku: &str, n: &mut u32, json: serde_json::Value, at: Timestamp) -> crate::StockEvent {
        *n += 1;
        let mut v = json;
        v["event_id"] = format!("e{n}").into();
        v["sku"] = sku.into();
        v["occurred_at"] = at.to_string().into();
        let body: EventBody = serde_json::from_value(v).unwrap();
        body.check("admin", at).unwrap()
    }

    /// A SKU with `stock` units at the warehouse, selling `per_day` a day for 28 days (split
    /// store/web/marketplace 50/30/20).
    fn sku(id: &str, title: &str, stock: i64, per_day: f64) -> Sku {
        let start = now().plus(-28 * DAY);
        let config =
            SkuConfig { title: title.into(), buffer: BufferPolicy::Fixed { units: 1 }, ..SkuConfig::default() };
        let mut s = Sku::new(id, config, topology(), start).unwrap();
        let mut n = 0;
        let e =
            event(id, &mut n, serde_json::json!({"type":"receive","location":"warehouse","quantity":100000}), start);
        s.apply(&e, start).unwrap();
        if per_day > 0.0 {
            let step = (DAY as f64 / per_day) as i64;
            let mut t = start.plus(step / 2);
            let mut i = 0;
            while t < now() {
                let channel =
                    ["store", "web", "store", "marketplace", "store", "web", "store", "store", "web", "marketplace"]
                        [i % 10];
                let loc = if channel == "store" { "main-st" } else { "warehouse" };
                let e = event(
                    id,
                    &mut n,
                    serde_json::json!({"type":"sale","location":loc,"quantity":1,"channel":channel}),
                    t,
                );
                s.apply(&e, t).unwrap();
                t = t.plus(step);
                i += 1;
            }
        }
        let e = event(id, &mut n, serde_json::json!({"type":"count","location":"warehouse","quantity":stock}), now());
        s.apply(&e, now()).unwrap();
        s
    }

    fn catalog() -> Vec<SkuSummary> {
        let mut shirt = sku("linen-shirt-m", "Linen shirt, M", 20, 10.0);
        shirt
            .expect(
                IncomingLine {
                    po_id: "PO-17".into(),
                    location: "warehouse".into(),
                    quantity: 24,
                    expected_at: now().plus(5 * DAY),
                },
                now(),
            )
            .unwrap();
        let mut socks = sku("wool-socks", "Wool socks", 2, 3.0);
        let mut n = 100;
        for i in 0..5 {
            let e = event(
                "wool-socks",
                &mut n,
                serde_json::json!({"type":"return","location":"warehouse","quantity":1,"channel":"web","origin_channel":"web","reason": if i < 4 {"wrong size"} else {"damaged"}}),
                now(),
            );
            socks.apply(&e, now()).unwrap();
        }
        let e = event(
            "wool-socks",
            &mut n,
            serde_json::json!({"type":"count","location":"warehouse","quantity":2}),
            now().plus(1),
        );
        socks.apply(&e, now().plus(1)).unwrap();
        let mut scarf = sku("silk-scarf", "Silk scarf", 9, 2.0 / 7.0);
        scarf
            .reserve(
                &HoldRequest {
                    id: "h1".into(),
                    cart_id: "c1".into(),
                    channel: "web".into(),
                    quantity: 2,
                    expires_at: now().plus(10 * MINUTE),
                },
                now(),
            )
            .unwrap();
        let tote = sku("canvas-tote", "Canvas tote", 40, 0.0);
        let mut tee = sku("tee-black-l", "Black tee, L", 300, 10.0);
        tee.expect(
            IncomingLine {
                po_id: "PO-18".into(),
                location: "main-st".into(),
                quantity: 50,
                expected_at: now().plus(20 * DAY),
            },
            now(),
        )
        .unwrap();
        let _ = HOUR;
        vec![shirt.summary(), socks.summary(), scarf.summary(), tote.summary(), tee.summary()]
    }

    fn ask(q: &str) -> Answer {
        answer(q, &catalog(), now())
    }

    #[test]
    fn reads_intents_periods_and_channels() {
        let c = catalog();
        let p = |q: &str| parse(q, &c);
        assert_eq!(p("which products are at risk of online stockout this week").intent, Some(Intent::Stockout));
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
        assert_eq!(p("how many days of supply for linen-shirt-m").intent, Some(Intent::DaysOfSupply));
        assert_eq!(p("what is out of stock").intent, Some(Intent::LowStock));
        assert_eq!(p("what will be out of stock this week").intent, Some(Intent::Stockout));
        assert_eq!(p("what is the weather like").intent, None);
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

    #[test]
    fn holds_in_carts() {
        for q in ["what is held in carts now", "how many units are reserved?", "anything in checkout holds"] {
            let a = ask(q);
            assert_eq!(a.skus, ["silk-scarf"], "{q}");
            assert!(a.answer.starts_with("2 units are held"), "{q}: {}", a.answer);
        }
    }

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

    #[test]
    fn unknown_questions_get_help() {
        for q in ["", "what is the meaning of life", "hello"] {
            let a = ask(q);
            assert!(a.skus.is_empty());
            assert!(a.answer.contains("I can answer"), "{q}");
        }
        let a = answer("what runs out this week", &[], now());
        assert!(a.answer.contains("no products"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let c = catalog();
        for q in [
            "3é days",
            "ñ",
            "🙂 stockout in 2🙂",
            "-",
            "days days days of",
            "in 0 days at risk",
            "in -3 days at risk",
            "a",
            "x".repeat(500).as_str(),
            "LINEN-SHIRT-M.",
            "return return return",
        ] {
            let a = answer(q, &c, now());
            assert!(!a.answer.is_empty(), "{q}");
        }
    }

    #[test]
    fn serializes_as_the_contract_shows() {
        let a = ask("what is held in carts now");
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["question"], "what is held in carts now");
        assert!(v["answer"].is_string() && v["skus"].is_array());
    }
}
