use super::*;

fn ok(body: Value) -> Answer {
    Answer::Response { status: 200, retry_after_ms: None, body: body.to_string() }
}

fn status(status: u16, retry_after_ms: Option<i64>) -> Answer {
    Answer::Response { status, retry_after_ms, body: "{}".into() }
}

fn shopify_page(ids: std::ops::Range<u32>, next: Option<&str>) -> Value {
    let nodes: Vec<Value> = ids
        .map(|i| {
            json!({"id": format!("gid://shopify/ProductVariant/{i}"), "sku": format!(" SKU-{i} "), "title": "M",
                   "product": {"title": "Shirt"}, "inventoryItem": {"id": format!("gid://shopify/InventoryItem/{}", 1000 + i)}})
        })
        .collect();
    json!({"data": {"productVariants": {"nodes": nodes, "pageInfo": {"hasNextPage": next.is_some(), "endCursor": next}}}})
}

#[test]
fn shopify_pages_by_cursor_and_keeps_variant_and_inventory_item() {
    let mut read = CatalogRead::new(Provider::Shopify);
    let first = read.request().unwrap();
    assert_eq!((first.method, first.path.as_str()), ("POST", "/graphql.json"));
    let body: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["variables"], json!({"first": 100, "after": null}));
    assert!(body["query"].as_str().unwrap().contains("productVariants(first: $first, after: $after)"));

    assert_eq!(read.read(&ok(shopify_page(1..3, Some("c2"))), None), Ok(Next::Go));
    let second: Value = serde_json::from_str(&read.request().unwrap().body).unwrap();
    assert_eq!(second["variables"]["after"], "c2");
    assert_eq!(read.read(&ok(shopify_page(3..4, None)), None), Ok(Next::Go));
    assert_eq!(read.request(), None);
    assert_eq!(read.pages_read(), 2);
    let items = read.into_items();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].code, "SKU-1", "codes are trimmed");
    assert_eq!(items[0].title, "Shirt - M");
    assert_eq!(items[0].refs, PosRefs::from([("shopify".into(), "1001".into()), ("shopify_variant".into(), "1".into())]));
}

#[test]
fn shopify_default_title_is_the_product_title_and_a_missing_sku_is_empty() {
    let mut read = CatalogRead::new(Provider::Shopify);
    let page = json!({"data": {"productVariants": {"nodes": [
        {"id": "gid://shopify/ProductVariant/7", "sku": null, "title": "Default Title", "product": {"title": "Mug"},
         "inventoryItem": {"id": "gid://shopify/InventoryItem/70"}}],
        "pageInfo": {"hasNextPage": false, "endCursor": null}}}});
    read.read(&ok(page), None).unwrap();
    let items = read.into_items();
    assert_eq!((items[0].code.as_str(), items[0].title.as_str()), ("", "Mug"));
}

#[test]
fn shopify_throttle_waits_for_the_bucket_then_asks_the_same_page_again() {
    let mut read = CatalogRead::new(Provider::Shopify);
    let throttled = json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {"cost": {"requestedQueryCost": 302, "actualQueryCost": null,
        "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 102, "restoreRate": 100}}}});
    let before = read.request();
    assert_eq!(read.read(&ok(throttled), None), Ok(Next::Wait(2000)));
    assert_eq!(read.request(), before, "the same page is asked again");
    assert_eq!(read.pages_read(), 0);
}

#[test]
fn shopify_errors_and_bad_answers_stop_the_read_with_a_reason() {
    let mut read = CatalogRead::new(Provider::Shopify);
    let denied = read.read(&status(403, None), None).unwrap_err();
    assert!(denied.contains("read_products"), "{denied}");
    let mut read = CatalogRead::new(Provider::Shopify);
    let gql = json!({"errors": [{"message": "Access denied for productVariants field."}]});
    assert!(read.read(&ok(gql), None).unwrap_err().contains("Access denied"));
    let mut read = CatalogRead::new(Provider::Shopify);
    let no_item = json!({"data": {"productVariants": {"nodes": [{"id": "gid://shopify/ProductVariant/1", "sku": "A"}],
        "pageInfo": {"hasNextPage": false}}}});
    assert!(read.read(&ok(no_item), None).unwrap_err().contains("inventory item"));
}

#[test]
fn outages_are_retried_a_few_times_then_given_up() {
    let mut read = CatalogRead::new(Provider::Square);
    for _ in 0..MAX_RETRIES {
        assert_eq!(read.read(&status(503, None), None), Ok(Next::Wait(1000)));
    }
    let why = read.read(&Answer::NoAnswer("timeout".into()), None).unwrap_err();
    assert!(why.contains("did not answer") && why.contains("try the import again later"), "{why}");

    // A success in between starts the count again.
    let mut read = CatalogRead::new(Provider::Square);
    for _ in 0..MAX_RETRIES {
        read.read(&status(500, None), None).unwrap();
    }
    read.read(&ok(json!({"objects": [], "cursor": "x"})), None).unwrap();
    assert_eq!(read.read(&status(500, None), None), Ok(Next::Wait(1000)));
}

#[test]
fn a_429_waits_as_retry_after_says_unless_too_long() {
    let mut read = CatalogRead::new(Provider::Woocommerce);
    assert_eq!(read.read(&status(429, Some(3000)), None), Ok(Next::Wait(3000)));
    let why = read.read(&status(429, Some(60_000)), None).unwrap_err();
    assert!(why.contains("wait 60 s"), "{why}");
}

fn square_item(id: &str, name: &str, vars: &[(&str, Option<&str>, &str)]) -> Value {
    let variations: Vec<Value> = vars
        .iter()
        .map(|(vid, sku, vname)| {
            json!({"type": "ITEM_VARIATION", "id": vid, "is_deleted": false,
                   "item_variation_data": {"item_id": id, "name": vname, "sku": sku}})
        })
        .collect();
    json!({"type": "ITEM", "id": id, "is_deleted": false, "item_data": {"name": name, "variations": variations}})
}

#[test]
fn square_lists_items_by_cursor_and_keeps_each_variation() {
    let mut read = CatalogRead::new(Provider::Square);
    assert_eq!(read.request().unwrap().path, "/v2/catalog/list?types=ITEM");
    let page = json!({"objects": [square_item("I1", "Tote", &[("V1", Some("TOTE"), "Regular"), ("V2", None, "Big")])],
                      "cursor": "a+b/c="});
    read.read(&ok(page), None).unwrap();
    let next = read.request().unwrap();
    assert_eq!((next.method, next.path.as_str()), ("GET", "/v2/catalog/list?types=ITEM&cursor=a%2Bb%2Fc%3D"));
    let deleted = json!({"type": "ITEM", "id": "I9", "is_deleted": true, "item_data": {"name": "Gone", "variations": []}});
    read.read(&ok(json!({"objects": [square_item("I2", "Lamp", &[("V3", Some("LAMP"), "Desk")]), deleted]})), None)
        .unwrap();
    assert_eq!(read.request(), None, "the page without a cursor is the last");
    let items = read.into_items();
    let seen: Vec<(&str, &str, &str)> =
        items.iter().map(|i| (i.code.as_str(), i.title.as_str(), i.refs["square"].as_str())).collect();
    assert_eq!(seen, [("TOTE", "Tote", "V1"), ("", "Tote - Big", "V2"), ("LAMP", "Lamp - Desk", "V3")]);
}

#[test]
fn woocommerce_pages_products_then_each_variable_products_variations() {
    let mut read = CatalogRead::new(Provider::Woocommerce);
    assert_eq!(read.request().unwrap().path, "/products?per_page=100&page=1&orderby=id&order=asc");
    let products = json!([
        {"id": 10, "type": "simple", "name": "Mug", "sku": "MUG"},
        {"id": 11, "type": "variable", "name": "Shirt", "sku": "SHIRT"},
        {"id": 12, "type": "grouped", "name": "Set", "sku": "SET"},
    ]);
    read.read(&ok(products), Some("2")).unwrap();
    assert_eq!(read.request().unwrap().path, "/products?per_page=100&page=2&orderby=id&order=asc");
    read.read(&ok(json!([{"id": 13, "type": "simple", "name": "Lamp", "sku": ""}])), Some("2")).unwrap();
    assert_eq!(read.request().unwrap().path, "/products/11/variations?per_page=100&page=1&orderby=id&order=asc");
    read.read(&ok(json!([{"id": 21, "name": "Shirt - M", "sku": "SHIRT-M"}])), Some("1")).unwrap();
    assert_eq!(read.request(), None);
    let items = read.into_items();
    let seen: Vec<(&str, &str)> = items.iter().map(|i| (i.code.as_str(), i.refs["woocommerce"].as_str())).collect();
    assert_eq!(seen, [("MUG", "10"), ("", "13"), ("SHIRT-M", "11/21")]);
}

#[test]
fn woocommerce_without_total_pages_reads_until_a_short_page() {
    let full: Vec<Value> = (1..=100).map(|i| json!({"id": i, "type": "simple", "sku": format!("P{i}")})).collect();
    let mut read = CatalogRead::new(Provider::Woocommerce);
    read.read(&ok(Value::Array(full)), None).unwrap();
    assert!(read.request().unwrap().path.contains("page=2"));
    read.read(&ok(json!([])), None).unwrap();
    assert_eq!(read.request(), None);
    assert_eq!(read.into_items().len(), 100);
}

#[test]
fn a_catalog_beyond_the_limits_is_not_read_further() {
    let mut read = CatalogRead::new(Provider::Square);
    let vars: Vec<(String, String)> = (0..=MAX_ITEMS).map(|i| (format!("V{i}"), format!("S{i}"))).collect();
    let refs: Vec<(&str, Option<&str>, &str)> = vars.iter().map(|(v, s)| (v.as_str(), Some(s.as_str()), "")).collect();
    let why = read.read(&ok(json!({"objects": [square_item("I", "Big", &refs)]})), None).unwrap_err();
    assert!(why.contains("more than 10000 items"), "{why}");

    let mut read = CatalogRead::new(Provider::Square);
    for i in 0..MAX_REQUESTS - 1 {
        read.read(&ok(json!({"objects": [], "cursor": format!("c{i}")})), None).unwrap();
    }
    let why = read.read(&ok(json!({"objects": [], "cursor": "more"})), None).unwrap_err();
    assert!(why.contains("more than 500 requests"), "{why}");
}

#[test]
fn gids_give_their_number_only() {
    assert_eq!(gid_number(&json!("gid://shopify/InventoryItem/42"), "InventoryItem"), Some("42".into()));
    assert_eq!(gid_number(&json!("gid://shopify/InventoryItem/42"), "ProductVariant"), None);
    assert_eq!(gid_number(&json!("gid://shopify/InventoryItem/4x"), "InventoryItem"), None);
    assert_eq!(gid_number(&json!(42), "InventoryItem"), None);
}
