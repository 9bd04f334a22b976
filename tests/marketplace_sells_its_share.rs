//! A marketplace with its own share of the stock: its sales arrive as PoS or generic `sale`
//! events as often as edge commits, and each one uses the share up; a restocked return of a
//! marketplace order gives the unit back to it.
mod common;
use common::*;

fn shop_with_a_marketplace_share() -> lastunit::Sku {
    let mut a = sku_with(r#"{"allocation":{"marketplace":2}}"#);
    stock(&mut a, "warehouse", 6);
    a
}

#[test]
fn a_sale_event_on_the_marketplace_uses_up_its_share() {
    let mut a = shop_with_a_marketplace_share();
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (2, 4));
    event(
        &mut a,
        "lastunit",
        r#"{"event_id":"mk-1","type":"sale","location":"warehouse","quantity":1,"channel":"marketplace"}"#,
        minutes(1),
    );
    assert_eq!(avail(&a, "marketplace"), 1, "the share sold one");
    assert_eq!(avail(&a, "web"), 4, "the web store keeps what the share does not");
    event(
        &mut a,
        "lastunit",
        r#"{"event_id":"mk-2","type":"sale","location":"warehouse","quantity":1,"channel":"marketplace"}"#,
        minutes(2),
    );
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (0, 4));
    assert_eq!(
        a.reserve(&hold("m1", "marketplace", 1, minutes(10)), minutes(3)).unwrap_err().code(),
        "insufficient_stock"
    );
}

#[test]
fn a_sale_beyond_the_share_comes_from_the_pool_and_the_share_stays_at_zero() {
    let mut a = shop_with_a_marketplace_share();
    event(
        &mut a,
        "lastunit",
        r#"{"event_id":"mk-1","type":"sale","location":"warehouse","quantity":3,"channel":"marketplace"}"#,
        minutes(1),
    );
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (0, 3));
    event(
        &mut a,
        "lastunit",
        r#"{"event_id":"ret-1","type":"return","location":"warehouse","quantity":1,"channel":"web","origin_channel":"marketplace","restock":true}"#,
        minutes(2),
    );
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (1, 3));
}

#[test]
fn edge_commits_and_sale_events_count_alike() {
    let mut a = shop_with_a_marketplace_share();
    a.reserve(&hold("m1", "marketplace", 1, minutes(10)), minutes(0)).unwrap();
    a.commit("m1", "mo-1", minutes(1)).unwrap();
    event(
        &mut a,
        "lastunit",
        r#"{"event_id":"mk-1","type":"sale","location":"warehouse","quantity":1,"channel":"marketplace"}"#,
        minutes(2),
    );
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (0, 4));
}

#[test]
fn a_restocked_return_gives_the_unit_back_to_the_share_it_was_bought_on() {
    let mut a = shop_with_a_marketplace_share();
    a.reserve(&hold("m1", "marketplace", 2, minutes(10)), minutes(0)).unwrap();
    a.commit("m1", "mo-1", minutes(1)).unwrap();
    assert_eq!(avail(&a, "marketplace"), 0);
    // Returned at the store, bought on the marketplace, back on the warehouse shelf.
    event(
        &mut a,
        "square",
        r#"{"event_id":"ret-1","type":"return","location":"warehouse","quantity":1,"channel":"store","origin_channel":"marketplace","reason":"too small","restock":true}"#,
        minutes(30),
    );
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (1, 4));
    // Not resellable: nothing goes back to the shelf nor to the share.
    event(
        &mut a,
        "square",
        r#"{"event_id":"ret-2","type":"return","location":"warehouse","quantity":1,"channel":"store","origin_channel":"marketplace","reason":"damaged","restock":false}"#,
        minutes(31),
    );
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (1, 4));
    // A web order returned gives nothing to the marketplace's share.
    event(
        &mut a,
        "square",
        r#"{"event_id":"ret-3","type":"return","location":"warehouse","quantity":1,"channel":"store","origin_channel":"web","restock":true}"#,
        minutes(32),
    );
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (1, 5));
    // The share never grows beyond its size.
    event(
        &mut a,
        "square",
        r#"{"event_id":"ret-4","type":"return","location":"warehouse","quantity":3,"channel":"store","origin_channel":"marketplace","restock":true}"#,
        minutes(33),
    );
    assert_eq!((avail(&a, "marketplace"), avail(&a, "web")), (2, 7));
}
