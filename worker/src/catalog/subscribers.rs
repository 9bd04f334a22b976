//! The subscribers the SKU objects push to (`PUT`/`GET`/`DELETE /admin/subscribers`); who may
//! subscribe is the engine's (`lastunit::push::SubscriberRequest`).

use serde_json::{json, Value};
use worker::{Request, Response, Result};

use lastunit::push::SubscriberRequest;

use super::{storage_err, CatalogObject};
use crate::http::{self, engine_error, json};
use crate::internal::body;

impl CatalogObject {
    pub(super) async fn put_subscriber(&self, name: &str, req: &mut Request) -> Result<Response> {
        let b: SubscriberRequest = match body(req).await {
            Ok(c) => c,
            Err(e) => return http::bad_json(e),
        };
        let checked = b.checked(name, &self.data.borrow().topology);
        let sub = match checked {
            Ok(s) => s,
            Err(e) => return engine_error(&e),
        };
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
