//! Recognising which question is asked: a table of weighted key phrases per intent.

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
    /// One product's units per location and what each channel may sell.
    StockOf,
    /// The online orders open oversell incidents cannot fill.
    Oversold,
    /// What to reorder, and how much.
    Reorder,
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
    (
        Intent::StockOf,
        &[
            ("how many", 3),
            ("do i have", 3),
            ("do we have", 3),
            ("stock of", 4),
            ("stock level", 4),
            ("where is", 5),
            ("where are", 5),
            ("where do", 3),
            ("on hand", 3),
            ("units of", 2),
        ],
    ),
    (
        Intent::Oversold,
        &[
            ("oversold", 6),
            ("oversell", 6),
            ("over-sold", 6),
            ("over sold", 6),
            ("incident", 5),
            ("cannot fill", 5),
            ("can t fill", 5),
            ("can t be filled", 5),
            ("cannot be filled", 5),
            ("unfillable", 5),
        ],
    ),
    (
        Intent::Reorder,
        &[
            ("reorder", 6),
            ("re-order", 6),
            ("should i order", 6),
            ("should we order", 6),
            ("should i buy", 5),
            ("to order", 3),
            ("order more", 5),
            ("buy more", 5),
        ],
    ),
];

/// Whether `phrase` occurs in `text` at the start of a word.
fn has(text: &str, phrase: &str) -> bool {
    text.contains(&format!(" {phrase}"))
}

/// The intent whose key phrases weigh most in `text` (normalised), ties to the earlier row;
/// `None` when no phrase matches.
pub(super) fn recognise(text: &str) -> Option<Intent> {
    let mut best: Option<(Intent, u32)> = None;
    for (intent, phrases) in INTENTS {
        let score: u32 = phrases.iter().filter(|(p, _)| has(text, p)).map(|(_, w)| w).sum();
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((*intent, score));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ask::parse::normalise;

    #[test]
    fn weighs_key_phrases() {
        let p = |q: &str| recognise(&normalise(q));
        assert_eq!(p("which products are at risk of online stockout this week"), Some(Intent::Stockout));
        assert_eq!(p("how many days of supply for linen-shirt-m"), Some(Intent::DaysOfSupply));
        assert_eq!(p("what is out of stock"), Some(Intent::LowStock));
        assert_eq!(p("what will be out of stock this week"), Some(Intent::Stockout));
        assert_eq!(p("what is the weather like"), None);
    }
}
