//! What a SKU keeps in its snapshot, which is rewritten on every change, stays bounded however
//! long it runs: open purchase-order lines, transfers in transit, return reasons (the bounds
//! are in docs/LIMITS.md). The ledger is the audit trail and lives in rows of its own.
mod common;

use common::*;
use lastunit::forecast::IncomingLine;
use lastunit::replenishment::{MAX_IN_TRANSIT, MAX_OPEN_LINES};
use lastunit::returns::{MAX_REASONS, OTHER_REASON};

fn line(po: usize) -> IncomingLine {
    IncomingLine { po_id: format!("PO-{po}"), location: "warehouse".into(), quantity: 1, expected_at: minutes(60) }
}

#[test]
fn open_purchase_order_lines_are_bounded_and_a_refused_one_changes_nothing() {
    let mut a = sku_with("{}");
    for po in 0..MAX_OPEN_LINES {
        a.expect(line(po), T0).unwrap();
    }
    a.take_changes();
    let before = a.stored();
    let refused = a.expect(line(MAX_OPEN_LINES), T0).unwrap_err();
    assert_eq!(refused.code(), "invalid_input");
    assert!(a.take_changes().is_empty());
    assert_eq!(a.stored(), before);
    // Replacing an open line is still fine, and a line that arrives makes room.
    a.expect(IncomingLine { quantity: 5, ..line(0) }, T0).unwrap();
    event(
        &mut a,
        "square",
        r#"{"event_id":"r1","type":"receive","location":"warehouse","quantity":1,"po_id":"PO-1"}"#,
        T0,
    );
    assert_eq!(a.incoming().len(), MAX_OPEN_LINES - 1);
    a.expect(line(MAX_OPEN_LINES), T0).unwrap();
}

#[test]
fn transfers_in_transit_are_bounded_and_stock_still_adds_up() {
    let mut a = sku_with("{}");
    stock(&mut a, "warehouse", 1_000);
    for i in 0..MAX_IN_TRANSIT + 50 {
        event(
            &mut a,
            "square",
            &format!(
                r#"{{"event_id":"t{i}","type":"transfer","location":"warehouse","to_location":"main-st","quantity":1}}"#
            ),
            T0,
        );
    }
    assert_eq!(a.in_transit().len(), MAX_IN_TRANSIT);
    assert_eq!(a.in_transit()[0].transfer_id, "t50", "the oldest are forgotten first");
    assert_eq!(a.on_hand_at("warehouse"), 1_000 - (MAX_IN_TRANSIT as i64 + 50));
}

#[test]
fn return_reasons_are_bounded_and_every_unit_is_still_counted() {
    let mut a = sku_with("{}");
    for i in 0..100 {
        event(
            &mut a,
            "square",
            &format!(
                r#"{{"event_id":"ret{i}","type":"return","location":"main-st","quantity":1,"origin_channel":"web","reason":"reason {i}"}}"#
            ),
            T0,
        );
    }
    let web = &a.returns()["web"];
    assert_eq!(web.reasons.len(), MAX_REASONS);
    assert_eq!(web.reasons[OTHER_REASON], 100 - (MAX_REASONS as i64 - 1));
    assert_eq!(web.returned, 100);
}
