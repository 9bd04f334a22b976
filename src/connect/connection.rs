//! One connection: which lastunit channel a connected store sells as, at which location its
//! stock lives, and whether lastunit writes to it. The body of `PUT /admin/connections/{provider}`.

use serde::{Deserialize, Serialize};

use super::Provider;
use crate::catalog::{PosRefs, Topology};
use crate::names::check_channel;
use crate::Error;

fn default_write() -> bool {
    true
}

/// `PUT /admin/connections/{provider}`: `{"channel": "web", "location": "main-st", "write": true}`.
///
/// Credentials are never part of it: they come from the Worker's secrets only, so nothing an
/// operator reads back (`GET /admin/connections`) can carry one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// The lastunit channel the store sells as; its availability is what lastunit writes, and
    /// its orders are sales on it. Required for Shopify and WooCommerce; Square, the register,
    /// sells as the `store` channel when none is named.
    #[serde(default)]
    pub channel: Option<String>,
    /// The lastunit location whose `pos_refs` id names the store's stock location, and where
    /// the store's orders are taken from.
    pub location: String,
    /// Whether lastunit writes to the store (default true). `false` keeps the connection for
    /// reading orders only.
    #[serde(default = "default_write")]
    pub write: bool,
}

impl Connection {
    /// Checks the connection against the catalog: the channel and the location exist, and the
    /// location has the id the provider's writes need (`pos_refs.shopify` for Shopify,
    /// `pos_refs.square` for Square; WooCommerce keeps one stock per product, so no id).
    /// `location_refs` are the location's `pos_refs` (`None`: not configured). Refused:
    /// `unknown_channel`, `unknown_location` or `invalid_input`, nothing changed.
    pub fn validate(
        &self,
        provider: Provider,
        topology: &Topology,
        location_refs: Option<&PosRefs>,
    ) -> Result<(), Error> {
        match (&self.channel, provider) {
            (None, Provider::Shopify | Provider::Woocommerce) => {
                return Err(Error::invalid("channel", format!("names the lastunit channel {provider} sells as")));
            }
            (Some(c), _) => {
                check_channel(c)?;
                topology.channel(c)?;
            }
            (None, Provider::Square) => {}
        }
        if !topology.has_location(&self.location) {
            return Err(Error::UnknownLocation(self.location.clone()));
        }
        if provider != Provider::Woocommerce && !location_refs.is_some_and(|r| r.contains_key(provider.as_str())) {
            return Err(Error::invalid(
                "location",
                format!(
                    "`{}` has no {provider} id: set it first with PUT /admin/locations/{} and \"pos_refs\": {{\"{provider}\": \"...\"}}",
                    self.location, self.location
                ),
            ));
        }
        Ok(())
    }

    /// The channel the connection sells as (Square without one: `store`).
    pub fn channel(&self) -> &str {
        self.channel.as_deref().unwrap_or(crate::names::STORE_CHANNEL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ChannelConfig;

    fn topology() -> Topology {
        let mut t = Topology::default();
        t.put_location("main-st").unwrap();
        t.put_location("warehouse").unwrap();
        t.put_channel("web", &ChannelConfig { locations: vec!["main-st".into(), "warehouse".into()] }).unwrap();
        t
    }

    fn refs(pairs: &[(&str, &str)]) -> PosRefs {
        pairs.iter().map(|(p, r)| (p.to_string(), r.to_string())).collect()
    }

    #[test]
    fn reads_the_contract_body_and_defaults_write_to_true() {
        let c: Connection =
            serde_json::from_str(r#"{"channel": "web", "location": "main-st", "write": true}"#).unwrap();
        assert_eq!(c, Connection { channel: Some("web".into()), location: "main-st".into(), write: true });
        let c: Connection = serde_json::from_str(r#"{"channel": "web", "location": "main-st"}"#).unwrap();
        assert!(c.write);
        assert!(serde_json::from_str::<Connection>(r#"{"location": "main-st", "token": "shpat_x"}"#).is_err());
        c.validate(Provider::Shopify, &topology(), Some(&refs(&[("shopify", "655441491")]))).unwrap();
    }

    #[test]
    fn the_channel_and_location_must_exist() {
        let t = topology();
        let shop = refs(&[("shopify", "655441491")]);
        let c = |channel: Option<&str>, location: &str| Connection {
            channel: channel.map(str::to_string),
            location: location.into(),
            write: true,
        };
        let code = |c: Connection, p: Provider, r: Option<&PosRefs>| c.validate(p, &t, r).unwrap_err().to_string();
        assert_eq!(code(c(Some("app"), "main-st"), Provider::Shopify, Some(&shop)), "no channel `app` in the catalog");
        assert_eq!(code(c(Some("web"), "depot"), Provider::Shopify, None), "no location `depot` in the catalog");
        assert_eq!(
            code(c(None, "main-st"), Provider::Woocommerce, None),
            "`channel` names the lastunit channel woocommerce sells as"
        );
        assert!(code(c(Some("web"), "main-st"), Provider::Shopify, None)
            .starts_with("`location` `main-st` has no shopify id"));
        assert!(code(c(Some("web"), "main-st"), Provider::Square, Some(&shop)).contains("no square id"));
        c(Some("web"), "warehouse").validate(Provider::Woocommerce, &t, None).unwrap();
        let square = c(None, "main-st");
        square.validate(Provider::Square, &t, Some(&refs(&[("square", "L9XZ3")]))).unwrap();
        assert_eq!(square.channel(), "store");
    }
}
