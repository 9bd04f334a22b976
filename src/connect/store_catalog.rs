//! Reading a connected store's catalog, page by page, for `POST /admin/import/{provider}`: the
//! requests (built here, so the Worker only adds the credentials and sends them) and what each
//! page says: the store's items with their SKU codes and the ids lastunit keeps of them. What is
//! done with those items is decided by [`crate::catalog_match`].
//!
//! - **Shopify** (Admin GraphQL, scope `read_products`): `productVariants(first: 100, after:)`
//!   with `pageInfo { hasNextPage endCursor }`; each variant gives its `sku`, its id (kept as
//!   `pos_refs.shopify_variant`) and its `inventoryItem { id }` (kept as `pos_refs.shopify`, the
//!   id stock writes name). 100 a page keeps a page's requested cost (about 300 points) far below
//!   the 1,000 of a single query.
//! - **Square** (Catalog API, `ITEMS_READ`): `GET /v2/catalog/list?types=ITEM` with `cursor` until
//!   an answer has none; each item carries its `item_variation_data` variations, whose `sku` and
//!   id (`pos_refs.square`, the `catalog_object_id` of inventory changes) are read, with the
//!   item's name for a title. Deleted objects are skipped.
//! - **WooCommerce** (REST v3, a key with read access): `GET /products?per_page=100&page=N`
//!   (ordered by id, so a product added meanwhile does not shift the pages) up to
//!   `X-WP-TotalPages`, and for each `variable` product `GET /products/{id}/variations` the same
//!   way. A simple product is kept as `pos_refs.woocommerce = "id"`, a variation as
//!   `"parent/id"`. A variable product itself is not an item (its stock is its variations'), nor
//!   are grouped and external products (they hold no stock).
//!
//! A throttled answer (Shopify's `THROTTLED`, a `429`) and a store that does not answer or
//! answers 5xx are asked again after a wait ([`MAX_RETRIES`] times in a row at most, each wait at
//! most [`MAX_WAIT_MS`]); anything else that is not a page stops the read with a sentence saying
//! why. A store whose catalog needs more than [`MAX_REQUESTS`] requests or lists more than
//! [`MAX_ITEMS`] items is not read further: the import then changes nothing.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Answer, Provider, StoreRequest};
use crate::catalog::{PosRefs, SHOPIFY_VARIANT};

/// Variants per Shopify page.
pub const SHOPIFY_PAGE: u32 = 100;
/// Products or variations per WooCommerce page (the REST API's most).
pub const WOO_PAGE: u32 = 100;
/// Most items one import reads.
pub const MAX_ITEMS: usize = 10_000;
/// Most requests one import sends to the store.
pub const MAX_REQUESTS: u32 = 500;
/// Most times in a row one page is asked again after a throttle or an outage.
pub const MAX_RETRIES: u32 = 4;
/// The longest wait before asking again; a store that asks for longer is tried later.
pub const MAX_WAIT_MS: u32 = 10_000;
/// The wait after an outage (no answer, a 5xx) or a throttle that names no time.
const OUTAGE_WAIT_MS: u32 = 1_000;

const SHOPIFY_VARIANTS: &str = "query CatalogPage($first: Int!, $after: String) { \
productVariants(first: $first, after: $after) { \
nodes { id sku title product { title } inventoryItem { id } } \
pageInfo { hasNextPage endCursor } } }";

/// One item the store sells, as its catalog lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreItem {
    /// Its SKU code in the store, trimmed (empty when it has none).
    pub code: String,
    /// A title for a SKU created from it (at most 200 characters).
    pub title: String,
    /// The ids lastunit keeps of it in a SKU's `pos_refs` (`shopify` and `shopify_variant`,
    /// `square`, or `woocommerce`).
    pub refs: PosRefs,
}

/// A page still to be read.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Page {
    ShopifyVariants { after: Option<String> },
    SquareItems { cursor: Option<String> },
    WooProducts { page: u32 },
    WooVariations { parent: u64, page: u32 },
}

/// What to do after an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send [`CatalogRead::request`] (the next page, or nothing when the catalog is read).
    Go,
    /// Wait this many milliseconds, then send the same request again.
    Wait(u32),
}

/// The read of one store's catalog: the pages still to read and the items read so far.
#[derive(Clone, Debug)]
pub struct CatalogRead {
    provider: Provider,
    pages: VecDeque<Page>,
    items: Vec<StoreItem>,
    sent: u32,
    retries: u32,
}

impl CatalogRead {
    /// A read of `provider`'s catalog from its first page.
    pub fn new(provider: Provider) -> CatalogRead {
        let first = match provider {
            Provider::Shopify => Page::ShopifyVariants { after: None },
            Provider::Square => Page::SquareItems { cursor: None },
            Provider::Woocommerce => Page::WooProducts { page: 1 },
        };
        CatalogRead { provider, pages: VecDeque::from([first]), items: Vec::new(), sent: 0, retries: 0 }
    }

    /// The request for the next page, or `None` when the whole catalog is read.
    pub fn request(&self) -> Option<StoreRequest> {
        let get = |path: String| StoreRequest { method: "GET", path, body: String::new() };
        Some(match self.pages.front()? {
            Page::ShopifyVariants { after } => StoreRequest {
                method: "POST",
                path: "/graphql.json".into(),
                body: json!({"query": SHOPIFY_VARIANTS, "variables": {"first": SHOPIFY_PAGE, "after": after}})
                    .to_string(),
            },
            Page::SquareItems { cursor: None } => get("/v2/catalog/list?types=ITEM".into()),
            Page::SquareItems { cursor: Some(c) } => get(format!("/v2/catalog/list?types=ITEM&cursor={}", encode(c))),
            Page::WooProducts { page } => {
                get(format!("/products?per_page={WOO_PAGE}&page={page}&orderby=id&order=asc"))
            }
            Page::WooVariations { parent, page } => {
                get(format!("/products/{parent}/variations?per_page={WOO_PAGE}&page={page}&orderby=id&order=asc"))
            }
        })
    }

    /// The response header [`CatalogRead::read`] needs besides the body: WooCommerce's page
    /// count, `X-WP-TotalPages`.
    pub fn header_needed(&self) -> Option<&'static str> {
        (self.provider == Provider::Woocommerce).then_some("x-wp-totalpages")
    }

    /// Reads the answer to [`CatalogRead::request`] (with WooCommerce's `X-WP-TotalPages`
    /// header, when it came with one). `Err` says why the catalog cannot be read; nothing read
    /// so far is to be used then.
    pub fn read(&mut self, answer: &Answer, total_pages: Option<&str>) -> Result<Next, String> {
        let store = self.store_name();
        let Some(page) = self.pages.front().cloned() else {
            return Err("the catalog is already read".into());
        };
        let (status, retry_after_ms, body) = match answer {
            Answer::NoAnswer(why) => return self.again(None, format!("{store} did not answer: {why}")),
            Answer::Response { status, retry_after_ms, body } => (*status, *retry_after_ms, body),
        };
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        if self.provider == Provider::Shopify {
            if let Some(ms) = super::shopify::throttled(status, retry_after_ms, &v) {
                return self.again(Some(ms), "Shopify kept answering THROTTLED".into());
            }
        }
        if status == 429 {
            return self.again(retry_after_ms, format!("{store} kept answering 429 (too many requests)"));
        }
        if status >= 500 {
            return self.again(None, format!("{store} kept answering HTTP {status}"));
        }
        if status == 401 || status == 403 {
            return Err(format!("{store} refused the credentials (HTTP {status}): {}", self.credentials_hint()));
        }
        if !(200..300).contains(&status) {
            return Err(format!("{store} answered HTTP {status} to {}", self.request().map(|r| r.path).unwrap_or_default()));
        }
        self.retries = 0;
        self.sent += 1;
        self.pages.pop_front();
        let more = match page {
            Page::ShopifyVariants { .. } => self.read_shopify(&v)?,
            Page::SquareItems { .. } => self.read_square(&v)?,
            Page::WooProducts { page } => {
                let (more, parents) = self.read_woo(&v, None)?;
                for parent in parents {
                    self.pages.push_back(Page::WooVariations { parent, page: 1 });
                }
                more_woo_pages(more, page, total_pages).then(|| Page::WooProducts { page: page + 1 })
            }
            Page::WooVariations { parent, page } => {
                let (more, _) = self.read_woo(&v, Some(parent))?;
                more_woo_pages(more, page, total_pages).then(|| Page::WooVariations { parent, page: page + 1 })
            }
        };
        if let Some(p) = more {
            // The next page of the same list comes before the variations queued behind it.
            self.pages.push_front(p);
        }
        if self.items.len() > MAX_ITEMS {
            return Err(format!("{store} lists more than {MAX_ITEMS} items; lastunit imports at most {MAX_ITEMS} at once"));
        }
        if !self.pages.is_empty() && self.sent >= MAX_REQUESTS {
            return Err(format!("{store}'s catalog needs more than {MAX_REQUESTS} requests to read"));
        }
        Ok(Next::Go)
    }

    /// The items read (every page's, in the store's order).
    pub fn into_items(self) -> Vec<StoreItem> {
        self.items
    }

    /// Pages read so far.
    pub fn pages_read(&self) -> u32 {
        self.sent
    }

    fn again(&mut self, wait_ms: Option<i64>, why: String) -> Result<Next, String> {
        self.retries += 1;
        let wait = wait_ms.map_or(OUTAGE_WAIT_MS, |ms| ms.clamp(0, i64::from(u32::MAX)) as u32);
        if self.retries > MAX_RETRIES {
            return Err(format!("{why}; try the import again later"));
        }
        if wait > MAX_WAIT_MS {
            return Err(format!("{why}: it asks to wait {} s; try the import again later", wait.div_ceil(1000)));
        }
        Ok(Next::Wait(wait))
    }

    fn store_name(&self) -> &'static str {
        match self.provider {
            Provider::Shopify => "Shopify",
            Provider::Square => "Square",
            Provider::Woocommerce => "WooCommerce",
        }
    }

    fn credentials_hint(&self) -> &'static str {
        match self.provider {
            Provider::Shopify => "check SHOPIFY_ADMIN_TOKEN and its read_products scope",
            Provider::Square => "check SQUARE_ACCESS_TOKEN and its ITEMS_READ permission",
            Provider::Woocommerce => "check WOOCOMMERCE_CONSUMER_KEY and WOOCOMMERCE_CONSUMER_SECRET (read access)",
        }
    }

    fn not_documented(&self, what: &str) -> String {
        format!("{}'s answer is not what its API documents: {what}", self.store_name())
    }

    /// One page of `productVariants`; the next page's cursor when there is one.
    fn read_shopify(&mut self, v: &Value) -> Result<Option<Page>, String> {
        if let Some(first) = v["errors"].as_array().and_then(|e| e.first()) {
            let message: String = first["message"].as_str().unwrap_or("a GraphQL error").chars().take(200).collect();
            return Err(format!("Shopify answered a GraphQL error: {message}"));
        }
        let conn = &v["data"]["productVariants"];
        let nodes = conn["nodes"].as_array().ok_or_else(|| self.not_documented("no productVariants.nodes"))?;
        for n in nodes {
            let variant = gid_number(&n["id"], "ProductVariant").ok_or_else(|| self.not_documented("a variant id"))?;
            let item = gid_number(&n["inventoryItem"]["id"], "InventoryItem")
                .ok_or_else(|| self.not_documented("a variant without its inventory item"))?;
            let product = n["product"]["title"].as_str().unwrap_or("");
            let title = match n["title"].as_str().unwrap_or("") {
                // Shopify names the only variant of a product without options "Default Title".
                "" | "Default Title" => product.to_string(),
                t if product.is_empty() => t.to_string(),
                t => format!("{product} - {t}"),
            };
            let refs = PosRefs::from([("shopify".to_string(), item), (SHOPIFY_VARIANT.to_string(), variant)]);
            self.push(&n["sku"], title, refs);
        }
        let info = &conn["pageInfo"];
        if info["hasNextPage"].as_bool() != Some(true) {
            return Ok(None);
        }
        let after = info["endCursor"].as_str().ok_or_else(|| self.not_documented("a next page without endCursor"))?;
        Ok(Some(Page::ShopifyVariants { after: Some(after.to_string()) }))
    }

    /// One page of `ListCatalog` items with their variations; the next cursor when there is one.
    fn read_square(&mut self, v: &Value) -> Result<Option<Page>, String> {
        let objects = match &v["objects"] {
            // The last page of an empty catalog may leave `objects` out.
            Value::Null => Vec::new(),
            Value::Array(list) => list.clone(),
            _ => return Err(self.not_documented("objects is not a list")),
        };
        for item in objects.iter().filter(|o| o["type"] == "ITEM" && o["is_deleted"] != true) {
            let name = item["item_data"]["name"].as_str().unwrap_or("");
            let variations = item["item_data"]["variations"].as_array().map(Vec::as_slice).unwrap_or_default();
            for var in variations.iter().filter(|o| o["type"] == "ITEM_VARIATION" && o["is_deleted"] != true) {
                let id = var["id"].as_str().filter(|s| !s.is_empty()).ok_or_else(|| self.not_documented("a variation id"))?;
                let data = &var["item_variation_data"];
                let title = match data["name"].as_str().unwrap_or("") {
                    "" | "Regular" => name.to_string(),
                    t if name.is_empty() => t.to_string(),
                    t => format!("{name} - {t}"),
                };
                self.push(&data["sku"], title, PosRefs::from([("square".to_string(), id.to_string())]));
            }
        }
        Ok(v["cursor"].as_str().filter(|c| !c.is_empty()).map(|c| Page::SquareItems { cursor: Some(c.to_string()) }))
    }

    /// One page of products (`parent: None`) or of one product's variations. Answers whether
    /// the page was full (more may follow) and the variable products on it.
    fn read_woo(&mut self, v: &Value, parent: Option<u64>) -> Result<(bool, Vec<u64>), String> {
        let list = v.as_array().ok_or_else(|| self.not_documented("a page that is not a list"))?;
        let mut variable = Vec::new();
        for p in list {
            let id = p["id"].as_u64().filter(|id| *id > 0).ok_or_else(|| self.not_documented("a product id"))?;
            let title = p["name"].as_str().unwrap_or("").to_string();
            let woo_ref = match parent {
                Some(parent) => format!("{parent}/{id}"),
                None => match p["type"].as_str().unwrap_or("simple") {
                    "variable" => {
                        variable.push(id);
                        continue;
                    }
                    "grouped" | "external" => continue,
                    _ => id.to_string(),
                },
            };
            self.push(&p["sku"], title, PosRefs::from([("woocommerce".to_string(), woo_ref)]));
        }
        Ok((list.len() as u32 >= WOO_PAGE, variable))
    }

    fn push(&mut self, code: &Value, title: String, refs: PosRefs) {
        let code = code.as_str().unwrap_or("").trim().to_string();
        let title: String = title.trim().chars().take(200).collect();
        self.items.push(StoreItem { code, title, refs });
    }
}

/// Whether a WooCommerce list has a page after `page`: as `X-WP-TotalPages` says, or, without
/// the header, whenever a page came back full.
fn more_woo_pages(full: bool, page: u32, total_pages: Option<&str>) -> bool {
    match total_pages.and_then(|t| t.trim().parse::<u32>().ok()) {
        Some(total) => page < total,
        None => full,
    }
}

/// The number at the end of `gid://shopify/{kind}/{number}`.
fn gid_number(v: &Value, kind: &str) -> Option<String> {
    let n = v.as_str()?.strip_prefix("gid://shopify/")?.strip_prefix(kind)?.strip_prefix('/')?;
    (!n.is_empty() && n.len() <= 20 && n.bytes().all(|b| b.is_ascii_digit())).then(|| n.to_string())
}

/// Percent-encodes a query value (a Square cursor is opaque and may hold `+`, `/`, `=`).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[path = "store_catalog_tests.rs"]
mod tests;
