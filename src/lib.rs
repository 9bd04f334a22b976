//! # lastunit: the buffer-and-availability engine
//!
//! One pool of stock per product, fed by the point of sale, shared by every channel. This crate
//! decides everything: what each channel may sell, which holds stand, what a PoS count means,
//! how big a safety buffer is, when a product runs out. It does no I/O and reads no clock:
//! every operation takes `now` from its caller, so the same decision is made natively, in the
//! Cloudflare Worker and in the browser.
//!
//! The entry point is [`Sku`]: one product's state, changed by [`Sku::apply`] (events),
//! [`Sku::reserve`], [`Sku::commit`], [`Sku::release`] and [`Sku::expire`], read by
//! [`Sku::availability`] and [`Sku::summary`]. What each change asks to be stored is taken as
//! one [`ChangeSet`] ([`Sku::take_changes`]); the stored form is [`StoredSku`], versioned and
//! read through migrations ([`stored`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The wire types: what the edge's clients read and write. They build without the `engine`
// feature (`default-features = false`), and they are all the widget compiles.
pub mod availability;
pub mod reservation_request;
pub mod time;

pub use availability::{Availability, Status};
pub use reservation_request::{ReservationLine, ReservationRequest};
pub use time::Timestamp;

/// Gates items on the `engine` feature (on by default): the engine is every module but the
/// wire types above. A new module goes inside the block below.
macro_rules! engine {
    ($($item:item)*) => { $(#[cfg(feature = "engine")] $item)* };
}

engine! {
pub mod admission;
pub mod allocation;
pub mod ask;
pub mod cart;
#[cfg(feature = "bench")]
pub mod bench_support;
pub mod buffer;
pub mod catalog;
pub mod catalog_match;
pub mod changes;
pub mod connect;
pub mod csv_export;
pub mod csv_import;
pub mod dedupe;
mod error;
pub mod event;
pub mod forecast;
pub mod holds;
pub mod incident;
pub mod ledger;
pub mod names;
pub mod pos;
pub mod push;
pub mod rate_limit;
pub mod reorder;
pub mod replenishment;
pub mod reservation;
pub mod returns;
pub mod sales_history;
pub mod shelves;
pub mod sku;
pub mod stock;
pub mod store_hours;
pub mod stored;
pub mod summary;
pub mod velocity;
pub mod wake;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use catalog::{BufferPolicy, ChannelConfig, LocationConfig, SkuConfig, Topology};
pub use changes::{ChangeSet, SeenKey};
pub use error::Error;
pub use event::{EventBody, EventKind, Movement, Source, StockEvent};
pub use ledger::LedgerEntry;
pub use reservation::{Hold, HoldRequest, HoldState};
pub use sku::{Applied, Sku};
pub use stored::StoredSku;
pub use summary::{DashboardRow, SkuSummary};

/// `map.entry(key).or_default()` without allocating the key when it is already there: the
/// engine's hot paths look up per-location and per-channel maps on every event.
fn entry<'m, V: Default>(map: &'m mut std::collections::BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}
}
