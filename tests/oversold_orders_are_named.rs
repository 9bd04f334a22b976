//! A register sale of units the edge already committed online: the incident names the orders.
mod common;
use common::*;
use lastunit::incident::{Cause, FillFrom, Incident};
use lastunit::{Error, Sku};

fn order_ids(i: &Incident) -> Vec<&str> {
    i.orders.iter().map(|o| o.order_id.as_str()).collect()
}

fn register_sale(a: &mut lastunit::Sku, id: &str, at: lastunit::Timestamp) {
    let json = format!(r#"{{"event_id":"{id}","type":"sale","location":"main-st","quantity":1,"channel":"store"}}"#);
    event(a, "square", &json, at);
}

#[test]
fn the_race_of_150_checkouts_and_4_register_sales_on_5_units_names_the_orders() {
    let mut a = sku_with("{}");
    stock(&mut a, "main-st", 5);
    a.take_changes();
    let mut committed = Vec::new();
    for i in 0..150 {
        let at = minutes(1).plus(i * 100);
        // The PoS reports the register's sales while the checkouts race.
        if [20, 60, 100, 140].contains(&i) {
            register_sale(&mut a, &format!("reg-{i}"), at);
        }
        let id = format!("r{i}");
        if a.reserve(&hold(&id, "web", 1, minutes(20)), at).is_ok() {
            a.commit(&id, &format!("o-{i}"), at).unwrap();
            committed.push(i);
        }
    }
    assert_eq!(committed, [0, 1, 2, 3, 4], "the edge sold its 5 units");
    assert_eq!(a.on_hand_at("main-st"), -4, "the register sold 4 more that were gone");
    let open: Vec<Incident> = a.open_incidents().into_iter().cloned().collect();
    assert_eq!(open.len(), 1, "one incident per location, grown by each sale");
    let i = &open[0];
    assert_eq!((i.sku.as_str(), i.location.as_str(), i.short), ("A", "main-st", 4));
    assert_eq!(order_ids(i), ["o-4", "o-3", "o-2", "o-1"], "the newest orders, newest first");
    assert_eq!(i.cause, Cause::PosSaleOnOnlineOrders);
    assert!(!i.fillable && i.fill_from.is_empty(), "the warehouse has nothing");
    assert_eq!(i.detected_at, minutes(1).plus(20 * 100));
    assert_eq!(i.movement, "square:reg-140");
    let changes = a.take_changes();
    assert_eq!(changes.incidents, vec![i.clone()], "one row, as it stands after the last sale");
}

#[test]
fn another_location_of_the_channel_can_still_fill_them() {
    let mut a = sku_with("{}");
    stock(&mut a, "main-st", 2);
    for n in 1..=2 {
        a.reserve(&hold(&format!("r{n}"), "web", 1, minutes(20)), minutes(1)).unwrap();
        a.commit(&format!("r{n}"), &format!("o-{n}"), minutes(n)).unwrap();
    }
    stock(&mut a, "warehouse", 5);
    a.reserve(&hold("r3", "web", 2, minutes(20)), minutes(3)).unwrap();
    register_sale(&mut a, "reg-1", minutes(4));
    let i = a.open_incidents()[0].clone();
    assert_eq!(order_ids(&i), ["o-2"]);
    assert_eq!(i.fill_from, vec![FillFrom { location: "warehouse".into(), free: 3 }], "5 less the 2 held");
    assert!(i.fillable);
}

#[test]
fn waste_below_zero_is_an_incident_too_and_closing_is_stored() {
    let mut a = sku_with("{}");
    stock(&mut a, "main-st", 1);
    let json = r#"{"event_id":"w1","type":"waste","location":"main-st","quantity":2,"reason":"damaged"}"#;
    event(&mut a, "admin", json, minutes(1));
    let i = a.open_incidents()[0].clone();
    assert_eq!((i.short, i.cause), (1, Cause::BelowZero));
    a.take_changes();
    let closed = a.close_incident(&i.id, minutes(2)).unwrap();
    assert_eq!(closed.closed_at, Some(minutes(2)));
    assert_eq!(a.take_changes().incidents, vec![closed]);
    assert!(a.open_incidents().is_empty());
    assert!(matches!(a.close_incident(&i.id, minutes(3)), Err(Error::UnknownIncident(_))));
    assert!(a.take_changes().is_empty(), "a refused close changes nothing");
}

#[test]
fn restored_from_its_rows_it_names_the_same_orders() {
    let mut a = sku_with("{}");
    stock(&mut a, "main-st", 3);
    let mut ledger = Vec::new();
    let mut rows: Vec<Incident> = Vec::new();
    let keep = |a: &mut Sku, ledger: &mut Vec<_>, rows: &mut Vec<Incident>| {
        let c = a.take_changes();
        ledger.extend(c.ledger);
        for i in c.incidents {
            rows.retain(|r| r.id != i.id);
            rows.push(i);
        }
    };
    for n in 1..=3 {
        a.reserve(&hold(&format!("r{n}"), "web", 1, minutes(20)), minutes(n)).unwrap();
        a.commit(&format!("r{n}"), &format!("o-{n}"), minutes(n)).unwrap();
    }
    register_sale(&mut a, "reg-1", minutes(5));
    keep(&mut a, &mut ledger, &mut rows);
    let mut b = Sku::restore(a.stored(), Vec::new(), Vec::new());
    b.restore_incidents(rows.clone(), &ledger);
    assert_eq!(b.open_incidents(), a.open_incidents());
    register_sale(&mut b, "reg-2", minutes(6));
    let i = b.open_incidents()[0];
    assert_eq!(i.id, rows[0].id);
    assert_eq!(order_ids(i), ["o-3", "o-2"]);
}
