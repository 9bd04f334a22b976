//! Live WebSockets (hibernatable): `GET /live?channel=` upgrades and sends the availability at
//! once; every change of availability is sent to each socket of that channel; a `"ping"` gets
//! the current availability again. Clients only listen.

use std::collections::BTreeMap;

use serde_json::json;
use worker::{Request, Response, Result, WebSocket, WebSocketIncomingMessage, WebSocketPair};

use lastunit::Sku;

use super::{Loaded, SkuObject};
use crate::http::{self, engine_error};
use crate::internal::{self, query};

impl SkuObject {
    /// `GET /live?channel=`: the WebSocket of one channel, tagged with it.
    pub(super) async fn live(&self, req: &Request) -> Result<Response> {
        if !req.headers().get("upgrade")?.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
            return http::error(426, "upgrade_required", "this route upgrades to a WebSocket");
        }
        let channel = query(req, "channel").unwrap_or_else(|| "web".into());
        let first = match self
            .read(internal::now(), |sku| sku.availability(&channel).map(|_| availability_message(sku, &channel)))
            .await
        {
            Err(b) => return b.answer(),
            Ok(Err(e)) => return engine_error(&e),
            Ok(Ok(first)) => first,
        };
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[channel.as_str()]);
        if let Some(t) = first {
            pair.server.send_with_str(t)?;
        }
        Response::from_websocket(pair.client)
    }

    /// A message from a client: a `"ping"` gets the current availability again.
    pub(super) fn socket_message(&self, ws: &WebSocket, message: WebSocketIncomingMessage) {
        if let WebSocketIncomingMessage::String(s) = message {
            if s.trim() == "ping" {
                if let Some(channel) = self.state.get_tags(ws).into_iter().next() {
                    if let Some(text) = self.live_message(&channel) {
                        let _ = ws.send_with_str(text);
                    }
                }
            }
        }
    }

    fn live_message(&self, channel: &str) -> Option<String> {
        match &*self.sku.borrow() {
            Loaded::Ready(sku) => availability_message(sku, channel),
            _ => None,
        }
    }

    /// Sends every live socket its channel's availability (each channel's message made once).
    pub(super) fn broadcast(&self, sku: &Sku) {
        let mut by_channel: BTreeMap<String, Option<String>> = BTreeMap::new();
        for ws in self.state.get_websockets() {
            let Some(channel) = self.state.get_tags(&ws).into_iter().next() else { continue };
            let text = by_channel.entry(channel.clone()).or_insert_with(|| availability_message(sku, &channel));
            if let Some(t) = text {
                let _ = ws.send_with_str(t);
            }
        }
    }
}

/// The live message: the availability object with `"type": "availability"`.
fn availability_message(sku: &Sku, channel: &str) -> Option<String> {
    let a = sku.availability(channel).ok()?;
    let mut v = serde_json::to_value(&a).ok()?;
    v["type"] = json!("availability");
    Some(v.to_string())
}
