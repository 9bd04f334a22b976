//! The subscribers the SKU objects push to (`PUT`/`GET`/`DELETE /admin/subscribers`).

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response, Result};

use lastunit::push::Subscriber;

use super::{storage_err, CatalogObject};
use crate::http::{self, engine_error, json};
use crate::internal::body;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriberBody {
    url: String,
    secret: String,
    channel: String,
    /// Also receive oversell incidents.
    #[serde(default)]
    alerts: bool,
}

impl CatalogObject {
    pub(super) async fn put_subscriber(&self, name: &str, req: &mut Request) -> Result<Response> {
        let b: SubscriberBody = match body(req).await {
            Ok(c) => c,
            Err(e) => return http::bad_json(e),
        };
        if let Err(e) = lastunit::names::check_channel(name)
            .map_err(|_| lastunit::Error::invalid("name", "must match [a-z0-9_-]{1,32}"))
        {
            return engine_error(&e);
        }
        let url_ok = worker::Url::parse(&b.url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
        if !url_ok {
            return engine_error(&lastunit::Error::invalid("url", "must be an http(s) URL"));
        }
        if b.secret.is_empty() || b.secret.len() > 512 {
            return engine_error(&lastunit::Error::invalid("secret", "must be 1 to 512 characters"));
        }
        if let Err(e) = self.data.borrow().topology.channel(&b.channel) {
            return engine_error(&e);
        }
        let sub =
            Subscriber { name: name.to_string(), url: b.url, secret: b.secret, channel: b.channel, alerts: b.alerts };
        let text = serde_json::to_string(&sub).map_err(storage_err)?;
        self.sql.exec("INSERT OR REPLACE INTO subscribers(key, json) VALUES (?, ?)", vec![name.into(), text.into()])?;
        self.data.borrow_mut().subscribers.insert(name.to_string(), sub.clone());
        json(200, &json!({"name": sub.name, "url": sub.url, "channel": sub.channel, "alerts": sub.alerts}))
    }

    pub(super) fn list_subscribers(&self) -> Result<Response> {
        let d = self.data.borrow();
        let list: Vec<Value> = d
            .subscribers
            .values()
            .map(|s| json!({"name": s.name, "url": s.url, "channel": s.channel, "alerts": s.alerts}))
            .collect();
        json(200, &json!({"subscribers": list}))
    }

    pub(super) async fn delete_subscriber(&self, name: &str) -> Result<Response> {
        if self.data.borrow_mut().subscribers.remove(name).is_none() {
            return http::error(404, "unknown_subscriber", "no such subscriber");
        }
        self.sql.exec("DELETE FROM subscribers WHERE key = ?", vec![name.into()])?;
        json(200, &json!({"status": "deleted"}))
    }
}
