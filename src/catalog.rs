//! What the operator configures: locations, the channels that sell from them, and each SKU's
//! policy (buffer, allocation, limits). These are the bodies of the `PUT /admin/...` routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::connect::woocommerce::WooRef;
use crate::names::{check_channel, check_location, check_sku, STORE_CHANNEL};
use crate::store_hours::StoreHours;
use crate::Error;

/// Ids of one thing in each PoS or connected store (`shopify`, `square`, `clover`,
/// `lightspeed`, `woocommerce`).
pub type PosRefs = BTreeMap<String, String>;

/// The providers whose ids the catalog maps.
pub const PROVIDERS: [&str; 5] = ["shopify", "square", "clover", "lightspeed", "woocommerce"];

/// A SKU's Shopify **variant** id (`variant_id` of an order line), beside `pos_refs.shopify`,
/// its **inventory item** id. Shopify keeps the two apart: a stock write and the stock webhook
/// name the inventory item (`inventorySetQuantities`, `inventory_levels/update`), an order line
/// names the variant (and its SKU code) but never the inventory item. A SKU whose Shopify SKU
/// code is its lastunit id needs no variant id.
pub const SHOPIFY_VARIANT: &str = "shopify_variant";

/// Checks a location's `pos_refs`: known providers, ids of 1 to 128 printable ASCII characters,
/// and a `woocommerce` id that is a product id or `"parent/variation"` ([`WooRef`]).
pub fn check_pos_refs(refs: &PosRefs) -> Result<(), Error> {
    check_refs(refs, &[])
}

/// Checks a SKU's `pos_refs`: as a location's, and [`SHOPIFY_VARIANT`] too.
pub fn check_sku_pos_refs(refs: &PosRefs) -> Result<(), Error> {
    check_refs(refs, &[SHOPIFY_VARIANT])
}

fn check_refs(refs: &PosRefs, also: &[&str]) -> Result<(), Error> {
    for (provider, id) in refs {
        if !PROVIDERS.contains(&provider.as_str()) && !also.contains(&provider.as_str()) {
            let known: Vec<&str> = PROVIDERS.iter().chain(also).copied().collect();
            return Err(Error::invalid("pos_refs", format!("`{provider}` is not one of {}", known.join(", "))));
        }
        crate::names::check_id("pos_refs", id)?;
        if provider == "woocommerce" {
            WooRef::parse(id)?;
        }
    }
    Ok(())
}

/// One PoS id names one thing: which SKU (or which location) each `(provider, id)` is, plus the
/// ids claimed by changes still under way. A change claims its ids in the same step as it checks
/// them ([`PosIndex::claim`]), so two changes running at once cannot both take one id; it then
/// either keeps them ([`PosIndex::settle`] with the new refs) or gives them up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PosIndex {
    owners: BTreeMap<(String, String), String>,
    /// Claimed ids: the claiming owner, and how many of its changes claim them.
    claims: BTreeMap<(String, String), (String, u32)>,
}

impl PosIndex {
    /// The index of things that already hold ids: `(owner, its pos_refs)`.
    pub fn new<'a>(things: impl IntoIterator<Item = (&'a String, &'a PosRefs)>) -> Self {
        let owners = things
            .into_iter()
            .flat_map(|(o, refs)| refs.iter().map(move |(p, r)| ((p.clone(), r.clone()), o.clone())))
            .collect();
        PosIndex { owners, claims: BTreeMap::new() }
    }

    /// What `id` of `provider` names.
    pub fn owner(&self, provider: &str, id: &str) -> Option<&str> {
        self.owners.get(&(provider.to_string(), id.to_string())).map(String::as_str)
    }

    /// Checks that no other owner holds or claims any of `refs`, and claims them for `owner`
    /// until [`PosIndex::settle`]. Refused: `422 invalid_input` (field `pos_refs`), nothing claimed.
    pub fn claim(&mut self, owner: &str, refs: &PosRefs) -> Result<(), Error> {
        for (p, r) in refs {
            let key = (p.clone(), r.clone());
            let other = self.owners.get(&key).or_else(|| self.claims.get(&key).map(|(o, _)| o));
            if let Some(other) = other.filter(|o| o.as_str() != owner) {
                return Err(Error::invalid("pos_refs", format!("the {p} id `{r}` is already `{other}`'s")));
            }
        }
        for (p, r) in refs {
            self.claims.entry((p.clone(), r.clone())).or_insert_with(|| (owner.to_string(), 0)).1 += 1;
        }
        Ok(())
    }

    /// Ends a claim of `claimed` by `owner`: with `Some(refs)` the change was made and `owner`
    /// now holds exactly `refs`; with `None` it was not and `owner` keeps what it held.
    pub fn settle(&mut self, owner: &str, claimed: &PosRefs, made: Option<&PosRefs>) {
        for (p, r) in claimed {
            let key = (p.clone(), r.clone());
            if let Some((_, n)) = self.claims.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    self.claims.remove(&key);
                }
            }
        }
        if let Some(refs) = made {
            self.owners.retain(|_, o| o.as_str() != owner);
            for (p, r) in refs {
                self.owners.insert((p.clone(), r.clone()), owner.to_string());
            }
        }
    }
}

/// `PUT /admin/locations/{location}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationConfig {
    /// Human name ("Main St store").
    #[serde(default)]
    pub name: String,
    /// This location's id in each PoS.
    #[serde(default)]
    pub pos_refs: PosRefs,
}

impl LocationConfig {
    /// Checks the PoS ids (the name is free text).
    pub fn validate(&self) -> Result<(), Error> {
        check_pos_refs(&self.pos_refs)
    }
}

/// `PUT /admin/channels/{channel}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// The locations whose stock the channel may sell, in the order it draws on them.
    pub locations: Vec<String>,
}

/// The catalog-wide layout every SKU needs to decide: which locations exist and which
/// channels sell from which of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    /// Known location names.
    pub locations: Vec<String>,
    /// Channel name to the locations it sells from, in preference order.
    pub channels: BTreeMap<String, Vec<String>>,
    /// Where lastunit tells Square of the sales it did not make: each location's Square id
    /// (`pos_refs.square`), while a Square connection writes; empty otherwise (see
    /// [`crate::connect::square_out`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub square_locations: BTreeMap<String, String>,
}

impl Topology {
    /// Whether a location exists.
    pub fn has_location(&self, l: &str) -> bool {
        self.locations.iter().any(|x| x == l)
    }

    /// Locations a channel sells from, or `unknown_channel`.
    pub fn channel(&self, c: &str) -> Result<&[String], Error> {
        self.channels.get(c).map(Vec::as_slice).ok_or_else(|| Error::UnknownChannel(c.to_string()))
    }

    /// Adds or replaces a location.
    pub fn put_location(&mut self, name: &str) -> Result<(), Error> {
        check_location(name)?;
        if !self.has_location(name) {
            self.locations.push(name.to_string());
            self.locations.sort();
        }
        Ok(())
    }

    /// Adds or replaces a channel; every location it names must exist.
    pub fn put_channel(&mut self, name: &str, config: &ChannelConfig) -> Result<(), Error> {
        check_channel(name)?;
        if config.locations.is_empty() {
            return Err(Error::invalid("locations", "must name at least one location"));
        }
        for (i, l) in config.locations.iter().enumerate() {
            if !self.has_location(l) {
                return Err(Error::UnknownLocation(l.clone()));
            }
            if config.locations[..i].contains(l) {
                return Err(Error::invalid("locations", format!("names `{l}` twice")));
            }
        }
        self.channels.insert(name.to_string(), config.locations.clone());
        Ok(())
    }
}

/// How many units to keep back from the buffered channels.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum BufferPolicy {
    /// No buffer.
    #[default]
    None,
    /// Always keep `units` back.
    Fixed {
        /// Units kept back.
        units: u32,
    },
    /// Sized from the SKU's own sales velocity (see [`crate::buffer`]), clamped to `min..=max`.
    Auto {
        /// Never fewer than this.
        #[serde(default)]
        min: u32,
        /// Never more than this.
        max: u32,
        /// The store's opening hours (`HH:MM-HH:MM`, UTC): the buffer then keeps nothing back
        /// while the store is closed and, with a delivery on its way, what the store is likely
        /// to sell before it arrives ([`crate::buffer`]). Absent: sized from velocity alone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        store_hours: Option<String>,
    },
}

impl BufferPolicy {
    /// The store's opening hours of an `auto` policy, when it names them (and they read:
    /// [`SkuConfig::validate`] refuses a policy whose hours do not).
    pub fn store_hours(&self) -> Option<StoreHours> {
        match self {
            BufferPolicy::Auto { store_hours: Some(h), .. } => StoreHours::parse(h).ok(),
            _ => None,
        }
    }
}

fn default_threshold() -> u32 {
    3
}

fn default_max_per_cart() -> u32 {
    10
}

/// `PUT /admin/skus/{sku}`: one SKU's policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuConfig {
    /// Shown to operators and shoppers.
    #[serde(default)]
    pub title: String,
    /// `low_stock` at or below this many available units (default 3).
    #[serde(default = "default_threshold")]
    pub low_stock_threshold: u32,
    /// Most units of this SKU one cart may hold (default 10).
    #[serde(default = "default_max_per_cart")]
    pub max_per_cart: u32,
    /// Units kept back for the store.
    #[serde(default)]
    pub buffer: BufferPolicy,
    /// Channels the buffer applies to; `None` means every channel but `store`.
    #[serde(default)]
    pub buffer_channels: Option<Vec<String>>,
    /// Units dedicated to named channels; `None` is one shared pool.
    #[serde(default)]
    pub allocation: Option<BTreeMap<String, u32>>,
    /// This SKU's id in each PoS.
    #[serde(default)]
    pub pos_refs: PosRefs,
}

impl Default for SkuConfig {
    fn default() -> Self {
        SkuConfig {
            title: String::new(),
            low_stock_threshold: default_threshold(),
            max_per_cart: default_max_per_cart(),
            buffer: BufferPolicy::None,
            buffer_channels: None,
            allocation: None,
            pos_refs: PosRefs::new(),
        }
    }
}

/// Upper bound for any configured unit count: far above any shelf, far below overflow.
pub const MAX_UNITS: u32 = 1_000_000;

impl SkuConfig {
    /// Checks ranges and names. Channels named by the buffer or the allocation must be
    /// valid channel names; they need not exist yet (a channel may be added later).
    pub fn validate(&self, sku: &str) -> Result<(), Error> {
        check_sku(sku)?;
        if self.title.len() > 200 {
            return Err(Error::invalid("title", "must be at most 200 characters"));
        }
        if self.max_per_cart == 0 || self.max_per_cart > MAX_UNITS {
            return Err(Error::invalid("max_per_cart", format!("must be 1..={MAX_UNITS}")));
        }
        if self.low_stock_threshold > MAX_UNITS {
            return Err(Error::invalid("low_stock_threshold", format!("must be at most {MAX_UNITS}")));
        }
        match self.buffer {
            BufferPolicy::Fixed { units } if units > MAX_UNITS => {
                return Err(Error::invalid("buffer.units", format!("must be at most {MAX_UNITS}")))
            }
            BufferPolicy::Auto { min, max, .. } if min > max || max > MAX_UNITS => {
                return Err(Error::invalid("buffer", format!("needs min <= max <= {MAX_UNITS}")))
            }
            BufferPolicy::Auto { store_hours: Some(ref h), .. } => {
                StoreHours::parse(h)?;
            }
            _ => {}
        }
        for c in self.buffer_channels.iter().flatten() {
            check_channel(c).map_err(|_| Error::invalid("buffer_channels", format!("`{c}` is not a channel name")))?;
        }
        for (c, units) in self.allocation.iter().flatten() {
            check_channel(c).map_err(|_| Error::invalid("allocation", format!("`{c}` is not a channel name")))?;
            if *units > MAX_UNITS {
                return Err(Error::invalid("allocation", format!("must be at most {MAX_UNITS} per channel")));
            }
        }
        check_sku_pos_refs(&self.pos_refs)
    }

    /// Whether the buffer applies to `channel`.
    pub fn buffers(&self, channel: &str) -> bool {
        match &self.buffer_channels {
            Some(list) => list.iter().any(|c| c == channel),
            None => channel != STORE_CHANNEL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_example() {
        let c: SkuConfig = serde_json::from_str(
            r#"{"title":"Linen shirt, M","low_stock_threshold":3,"max_per_cart":5,
            "buffer":{"mode":"fixed","units":2},"buffer_channels":["web","marketplace"],"allocation":null,
            "pos_refs":{"shopify":"808950810","square":"W62UWFY35CWMYGVWK6TWJDNI","clover":"9JZP7X","lightspeed":"product-uuid"}}"#,
        )
        .unwrap();
        assert_eq!(c.buffer, BufferPolicy::Fixed { units: 2 });
        assert!(c.buffers("web") && !c.buffers("store"));
        c.validate("A").unwrap();
        let woo: SkuConfig = serde_json::from_str(r#"{"pos_refs":{"woocommerce":"812/815"}}"#).unwrap();
        woo.validate("A").unwrap();
        let shopify: SkuConfig =
            serde_json::from_str(r#"{"pos_refs":{"shopify":"49148385","shopify_variant":"808950810"}}"#).unwrap();
        shopify.validate("A").unwrap();
        let at_a_location = LocationConfig { pos_refs: shopify.pos_refs.clone(), ..Default::default() };
        assert!(at_a_location.validate().unwrap_err().to_string().contains("`shopify_variant` is not one of"));
        LocationConfig { pos_refs: [("woocommerce".to_string(), "1".to_string())].into(), ..Default::default() }
            .validate()
            .unwrap();
        let auto: BufferPolicy = serde_json::from_str(r#"{"mode":"auto","min":1,"max":4}"#).unwrap();
        assert_eq!(auto, BufferPolicy::Auto { min: 1, max: 4, store_hours: None });
        assert_eq!(serde_json::to_string(&auto).unwrap(), r#"{"mode":"auto","min":1,"max":4}"#, "the contract's form");
        let hours = r#"{"mode":"auto","min":0,"max":6,"store_hours":"09:00-19:00"}"#;
        let with_hours: BufferPolicy = serde_json::from_str(hours).unwrap();
        assert_eq!(with_hours.store_hours(), Some(StoreHours::parse("09:00-19:00").unwrap()));
        assert_eq!(serde_json::to_string(&with_hours).unwrap(), hours);
        let bad_hours: SkuConfig = serde_json::from_str(r#"{"buffer":{"mode":"auto","max":6,"store_hours":"9 to 7"}}"#).unwrap();
        let refused = bad_hours.validate("A").unwrap_err();
        assert_eq!(refused.code(), "invalid_input");
        assert!(refused.to_string().contains("HH:MM-HH:MM"), "{refused}");
    }

    #[test]
    fn refuses_bad_policies() {
        let bad = [
            r#"{"buffer":{"mode":"auto","min":5,"max":1}}"#,
            r#"{"max_per_cart":0}"#,
            r#"{"allocation":{"Web!":1}}"#,
            r#"{"pos_refs":{"etsy":"1"}}"#,
            r#"{"pos_refs":{"woocommerce":"shirt-m"}}"#,
            r#"{"pos_refs":{"woocommerce":"812/"}}"#,
        ];
        for b in bad {
            let c: SkuConfig = serde_json::from_str(b).unwrap();
            assert!(c.validate("A").is_err(), "{b}");
        }
        assert!(serde_json::from_str::<SkuConfig>(r#"{"buffer":{"mode":"lots"}}"#).is_err());
        assert!(serde_json::from_str::<SkuConfig>(r#"{"colour":"red"}"#).is_err());
    }

    #[test]
    fn one_pos_id_names_one_thing_even_while_two_changes_run_at_once() {
        let refs = |id: &str| -> PosRefs { [("shopify".to_string(), id.to_string())].into() };
        let held: BTreeMap<String, PosRefs> = [("A".to_string(), refs("1"))].into();
        let mut index = PosIndex::new(&held);
        assert_eq!(index.owner("shopify", "1"), Some("A"));
        let err = index.claim("B", &refs("1")).unwrap_err();
        assert_eq!(
            (err.code(), err.to_string()),
            ("invalid_input", "`pos_refs` the shopify id `1` is already `A`'s".into())
        );
        // B and C both want id 2 at once: the first claim wins, before either change is made.
        index.claim("B", &refs("2")).unwrap();
        assert!(index.claim("C", &refs("2")).is_err());
        index.claim("B", &refs("2")).unwrap(); // B's second change at once
        index.settle("B", &refs("2"), None);
        assert!(index.claim("C", &refs("2")).is_err(), "still claimed by B's other change");
        index.settle("B", &refs("2"), Some(&refs("2")));
        assert_eq!(index.owner("shopify", "2"), Some("B"));
        assert!(index.claim("C", &refs("2")).is_err());
        // A moves from id 1 to id 3: id 1 is free once the change is made, not before.
        index.claim("A", &refs("3")).unwrap();
        assert!(index.claim("C", &refs("1")).is_err());
        index.settle("A", &refs("3"), Some(&refs("3")));
        assert_eq!((index.owner("shopify", "1"), index.owner("shopify", "3")), (None, Some("A")));
        index.claim("C", &refs("1")).unwrap();
        index.settle("C", &refs("1"), None);
        assert_eq!(index, PosIndex::new(&BTreeMap::from([("A".to_string(), refs("3")), ("B".to_string(), refs("2"))])));
    }

    #[test]
    fn channels_need_known_locations() {
        let mut t = Topology::default();
        t.put_location("main-st").unwrap();
        assert!(t.put_channel("web", &ChannelConfig { locations: vec!["warehouse".into()] }).is_err());
        t.put_channel("web", &ChannelConfig { locations: vec!["main-st".into()] }).unwrap();
        assert_eq!(t.channel("web").unwrap(), ["main-st".to_string()]);
        assert_eq!(t.channel("nope").unwrap_err().code(), "unknown_channel");
    }
}
