//! A purchase order arriving before the projected stockout keeps the SKU out of risk.
mod common;
use common::*;
use lastunit::forecast::{IncomingLine, Risk};
use lastunit::time::DAY;

#[test]
fn incoming_stock_in_time_is_not_a_risk_and_receiving_closes_the_line() {
    let mut a = sku_with(r#"{"title":"Linen shirt, M"}"#);
    stock(&mut a, "warehouse", 10);
    // Two weeks of 2 sales a day on the web.
    for day in 0..14 {
        event(
            &mut a,
            "admin",
            &format!(
                r#"{{"event_id":"s{day}","type":"sale","location":"warehouse","quantity":2,"channel":"web","occurred_at":"{}"}}"#,
                T0.plus(day * DAY)
            ),
            T0.plus(day * DAY),
        );
        event(
            &mut a,
            "admin",
            &format!(
                r#"{{"event_id":"r{day}","type":"receive","location":"warehouse","quantity":2,"occurred_at":"{}"}}"#,
                T0.plus(day * DAY)
            ),
            T0.plus(day * DAY),
        );
    }
    let now = T0.plus(14 * DAY);
    let v = a.summary().total_velocity(now);
    assert!(v > 1.0 && v < 2.5, "{v}");
    let horizon = 14.0;
    let before = a.summary().row(now, horizon, Some("web"));
    assert_eq!(before.stockout_risk, Risk::AtRisk, "{before:?}");
    a.expect(
        IncomingLine {
            po_id: "PO-17".into(),
            location: "warehouse".into(),
            quantity: 24,
            expected_at: now.plus(2 * DAY),
        },
        now,
    )
    .unwrap();
    let after = a.summary().row(now, horizon, Some("web"));
    assert_eq!(after.stockout_risk, Risk::Ok, "{after:?}");
    assert!(after.projected_stockout_at.unwrap() > now.plus(14 * DAY));
    event(
        &mut a,
        "admin",
        &format!(
            r#"{{"event_id":"po","type":"receive","location":"warehouse","quantity":24,"po_id":"PO-17","occurred_at":"{}"}}"#,
            now.plus(DAY)
        ),
        now.plus(DAY),
    );
    assert!(a.incoming().is_empty());
}

#[test]
fn a_purchase_order_for_an_unknown_location_is_refused() {
    let mut a = sku_with(r#"{}"#);
    let err = a
        .expect(IncomingLine { po_id: "PO-1".into(), location: "moon".into(), quantity: 1, expected_at: T0 }, T0)
        .unwrap_err();
    assert_eq!(err.code(), "unknown_location");
}
