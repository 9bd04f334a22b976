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

mod incoming;
mod intent;
mod levels;
mod pace;
mod parse;
mod reorder;
mod returns;
mod runout;
mod stock;
mod wording;

#[cfg(test)]
mod fixture;

use serde::{Deserialize, Serialize};

use crate::{SkuSummary, Timestamp};

pub use intent::{Intent, INTENTS};
pub use parse::{parse, Parsed, DEFAULT_HORIZON_DAYS};

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

/// Answers one question about the catalog at `now`.
pub fn answer(question: &str, summaries: &[SkuSummary], now: Timestamp) -> Answer {
    let p = parse(question, summaries);
    let named: Vec<&SkuSummary> = p.products.iter().map(|&i| &summaries[i]).collect();
    let (text, skus) = if summaries.is_empty() && p.intent.is_some() {
        ("There are no products in the catalog yet.".to_string(), Vec::new())
    } else {
        match p.intent {
            None => (help(), Vec::new()),
            Some(Intent::Stockout) => runout::stockout(summaries, &named, p.channel.as_deref(), p.days, now),
            Some(Intent::DaysOfSupply) => runout::days_of_supply(summaries, &named, now),
            Some(Intent::Incoming) => incoming::incoming(summaries, &named, p.days, now),
            Some(Intent::LowStock) => levels::low_stock(summaries, &named, p.channel.as_deref()),
            Some(Intent::Returns) => returns::returns(summaries, &named, p.channel.as_deref()),
            Some(Intent::Holds) => levels::holds(summaries, &named),
            Some(Intent::Velocity) => pace::velocity(summaries, &named, p.channel.as_deref(), now),
            Some(Intent::StockOf) => stock::stock_of(summaries, &named),
            Some(Intent::Oversold) => stock::oversold(summaries, &named),
            Some(Intent::Reorder) => reorder::reorder(summaries, &named, now),
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
     what is held in carts now; how many of a product you have and where (\"how many linen-shirt-m do I have\", \"where is the silk scarf\"); \
     which orders are oversold; what to reorder and how much (\"what should I reorder\", \"how much wool socks should I order\"); and how fast a product sells per channel (\"velocity of linen-shirt-m\")."
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::fixture::{ask, catalog, now};

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
