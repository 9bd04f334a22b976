//! What the operator configures: locations, the channels that sell from them, and each SKU's
//! policy (buffer, allocation, limits). These are the bodies of the `PUT /admin/...` routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::names::{check_channel, check_location, check_sku, STORE_CHANNEL};
use crate::Error;

/// Ids of one thing in each PoS (`shopify`, `square`, `clover`, `lightspeed`).
pub type PosRefs = BTreeMap<String, String>;

/// The PoS providers whose ids the catalog maps.
pub const PROVIDERS: [&str; 4] = ["shopify", "square", "clover", "lightspeed"];

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
    },
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
            BufferPolicy::Auto { min, max } if min > max || max > MAX_UNITS => {
                return Err(Error::invalid("buffer", format!("needs min <= max <= {MAX_UNITS}")))
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
        for (provider, id) in &self.pos_refs {
            if !PROVIDERS.contains(&provider.as_str()) {
                return Err(Error::invalid("pos_refs", format!("`{provider}` is not one of {}", PROVIDERS.join(", "))));
            }
            crate::names::check_id("pos_refs", id)?;
        }
        Ok(())
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
        let auto: BufferPolicy = serde_json::from_str(r#"{"mode":"auto","min":1,"max":4}"#).unwrap();
        assert_eq!(auto, BufferPolicy::Auto { min: 1, max: 4 });
    }

    #[test]
    fn refuses_bad_policies() {
        let bad = [
            r#"{"buffer":{"mode":"auto","min":5,"max":1}}"#,
            r#"{"max_per_cart":0}"#,
            r#"{"allocation":{"Web!":1}}"#,
            r#"{"pos_refs":{"etsy":"1"}}"#,
        ];
        for b in bad {
            let c: SkuConfig = serde_json::from_str(b).unwrap();
            assert!(c.validate("A").is_err(), "{b}");
        }
        assert!(serde_json::from_str::<SkuConfig>(r#"{"buffer":{"mode":"lots"}}"#).is_err());
        assert!(serde_json::from_str::<SkuConfig>(r#"{"colour":"red"}"#).is_err());
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
