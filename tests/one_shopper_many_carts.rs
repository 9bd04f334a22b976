//! One shopper behind the public storefront key opens cart after cart: `max_per_cart` caps the
//! units all of their carts hold at once, while other shoppers and the checkout server are served.
mod common;
use common::*;
use lastunit::{Error, HoldRequest};

fn from(client: Option<&str>, id: &str, quantity: i64) -> HoldRequest {
    HoldRequest { client: client.map(str::to_string), ..hold(id, "web", quantity, minutes(10)) }
}

#[test]
fn ten_carts_of_one_unit_from_one_client_hold_at_most_max_per_cart() {
    let mut a = sku_with(r#"{"max_per_cart": 3}"#);
    stock(&mut a, "warehouse", 10);
    for i in 0..3 {
        a.reserve(&from(Some("ip-1"), &format!("r{i}"), 1), minutes(0)).unwrap();
    }
    for i in 3..10 {
        let refused = a.reserve(&from(Some("ip-1"), &format!("r{i}"), 1), minutes(0)).unwrap_err();
        assert_eq!(refused, Error::OverClientLimit { sku: "A".into(), max_per_cart: 3 });
        assert_eq!(refused.code(), "over_cart_limit");
    }
    assert_eq!(avail(&a, "web"), 7, "the refused carts hold nothing");
    // Another shopper, and the checkout server (no client), are still served.
    a.reserve(&from(Some("ip-2"), "other", 3), minutes(0)).unwrap();
    a.reserve(&from(None, "server", 3), minutes(0)).unwrap();
    assert_eq!(avail(&a, "web"), 1);
}

#[test]
fn the_client_cap_frees_as_its_holds_settle() {
    let mut a = sku_with(r#"{"max_per_cart": 2}"#);
    stock(&mut a, "warehouse", 10);
    a.reserve(&from(Some("ip-1"), "r1", 1), minutes(0)).unwrap();
    a.reserve(&HoldRequest { expires_at: minutes(1), ..from(Some("ip-1"), "r2", 1) }, minutes(0)).unwrap();
    assert!(a.reserve(&from(Some("ip-1"), "r3", 1), minutes(0)).is_err());
    a.release("r1", minutes(0)).unwrap();
    a.reserve(&from(Some("ip-1"), "r3", 1), minutes(0)).unwrap();
    // r2 lapses at minute 1: its unit no longer counts.
    a.reserve(&from(Some("ip-1"), "r4", 1), minutes(2)).unwrap();
    a.commit("r3", "o-1", minutes(2)).unwrap();
    a.reserve(&from(Some("ip-1"), "r5", 1), minutes(2)).unwrap();
    assert_eq!(a.reserve(&from(Some("ip-1"), "r6", 1), minutes(2)).unwrap_err().code(), "over_cart_limit");
}

#[test]
fn the_same_reservation_again_is_not_counted_twice() {
    let mut a = sku_with(r#"{"max_per_cart": 2}"#);
    stock(&mut a, "warehouse", 10);
    let r = from(Some("ip-1"), "r1", 2);
    a.reserve(&r, minutes(0)).unwrap();
    assert_eq!(a.reserve(&r, minutes(0)).unwrap().quantity, 2);
    assert_eq!(avail(&a, "web"), 8);
}

#[test]
fn a_restored_hold_still_counts_for_its_client() {
    let mut a = sku_with(r#"{"max_per_cart": 2}"#);
    stock(&mut a, "warehouse", 10);
    a.reserve(&from(Some("ip-1"), "r1", 2), minutes(0)).unwrap();
    let changes = a.take_changes();
    let holds =
        changes.holds.iter().map(|h| lastunit::stored::read_hold(&lastunit::stored::hold_json(h)).unwrap()).collect();
    let snapshot = lastunit::StoredSku::read(&a.stored().to_json()).unwrap();
    let mut b = lastunit::Sku::restore(snapshot, holds, Vec::new());
    assert_eq!(b.reserve(&from(Some("ip-1"), "r2", 1), minutes(0)).unwrap_err().code(), "over_cart_limit");
}
