//! A web store's orders reach the SKU: sold once however often they arrive, cancellations give
//! back only what was sold, and the register's counts do not resurrect an online sale.
mod common;
use common::*;
use lastunit::connect::orders::{LineChange, OrderLine, OrderNotice, ReturnReason};
use lastunit::connect::Provider;
use lastunit::{Applied, Sku, Timestamp};

fn notice(provider: Provider, order: &str, lines: Vec<OrderLine>) -> OrderNotice {
    OrderNotice { provider, order_id: order.into(), occurred_at: minutes(0), lines, unchanged: 0 }
}

fn sold(id: &str, quantity: i64) -> OrderLine {
    OrderLine {
        event_id: id.into(),
        sku: Some("A".into()),
        item_ref: None,
        quantity,
        change: LineChange::Sold,
        undoes: None,
    }
}

fn cancelled(id: &str, sale: &str, quantity: i64) -> OrderLine {
    OrderLine {
        event_id: id.into(),
        sku: Some("A".into()),
        item_ref: None,
        quantity,
        change: LineChange::Restocked { reason: ReturnReason::Cancelled },
        undoes: Some(sale.into()),
    }
}

/// Applies the notice's lines as the connection (`web` at `main-st`) takes them.
fn deliver(sku: &mut Sku, n: &OrderNotice, now: Timestamp) -> Vec<Applied> {
    let skus: Vec<Option<String>> = n.lines.iter().map(|_| Some("A".into())).collect();
    let events = n.events("web", "main-st", &skus, now).unwrap().events;
    sku.apply_all(&events, now).unwrap()
}

#[test]
fn an_order_delivered_eight_times_is_sold_once() {
    let mut a = sku_with("{}");
    stock(&mut a, "main-st", 5);
    let order = notice(Provider::Shopify, "1001", vec![sold("order:1001:line:1", 2)]);
    for i in 0..8 {
        let r = deliver(&mut a, &order, minutes(i));
        assert_eq!(matches!(r[0], Applied::Duplicate), i > 0, "delivery {i}");
    }
    assert_eq!(a.on_hand_at("main-st"), 3);
    assert_eq!(a.returns()["web"].sold, 2, "a web sale");
}

#[test]
fn a_cancellation_gives_back_only_what_its_sale_took_in_any_order() {
    let sale = sold("order:52:line:3", 1);
    let back = cancelled("order:52:line:3:back", "order:52:line:3", 1);
    // Sold, then cancelled: the unit comes back once.
    let mut a = sku_with("{}");
    stock(&mut a, "main-st", 5);
    deliver(&mut a, &notice(Provider::Woocommerce, "52", vec![sale.clone()]), minutes(1));
    deliver(&mut a, &notice(Provider::Woocommerce, "52", vec![back.clone()]), minutes(2));
    deliver(&mut a, &notice(Provider::Woocommerce, "52", vec![back.clone()]), minutes(3));
    assert_eq!(a.on_hand_at("main-st"), 5);
    // Cancelled while never sold (a pending order): nothing moves.
    let mut b = sku_with("{}");
    stock(&mut b, "main-st", 5);
    let r = deliver(&mut b, &notice(Provider::Woocommerce, "52", vec![back.clone()]), minutes(2));
    assert!(matches!(r[0], Applied::Stale), "counted ignored");
    assert_eq!(b.on_hand_at("main-st"), 5);
    // The cancellation overtook its sale: the late sale is already given back.
    let r = deliver(&mut b, &notice(Provider::Woocommerce, "52", vec![sale]), minutes(3));
    assert!(matches!(r[0], Applied::Duplicate));
    assert_eq!(b.on_hand_at("main-st"), 5);
}

#[test]
fn a_register_count_that_has_not_seen_an_online_order_does_not_resurrect_it() {
    let mut a = sku_with("{}");
    count(&mut a, "square", "c0", "main-st", 5, minutes(-1), minutes(-1));
    // The web order at 10:00 reaches lastunit at 10:02, after a register count of 10:01 that
    // could not have it.
    count(&mut a, "square", "c1", "main-st", 5, minutes(1), minutes(1));
    deliver(&mut a, &notice(Provider::Shopify, "7", vec![sold("order:7:line:1", 1)]), minutes(2));
    assert_eq!(a.on_hand_at("main-st"), 4, "an online sale always counts");
    // The register's next count still lacks it.
    count(&mut a, "square", "c2", "main-st", 5, minutes(3), minutes(3));
    assert_eq!(a.on_hand_at("main-st"), 4, "not resurrected");
}
