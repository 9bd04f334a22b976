//! What an operator reads of one connection (`GET /admin/connections`): is it keeping up, when
//! did a write last go through, how many wait, what went wrong last. Never a credential.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// How a connection is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Every write went through (or none was needed).
    #[default]
    Ok,
    /// Writes failed lately and are being retried (or wait out the store's throttle).
    Retrying,
    /// Writes have failed for a while ([`FAILING_AFTER`] attempts in a row), or the store
    /// refuses them (a wrong token, an unknown item): an operator should look.
    Failing,
}

/// Failed attempts in a row after which a connection is `failing` rather than `retrying`.
pub const FAILING_AFTER: u32 = 5;

/// One connection's status, as `GET /admin/connections` shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionStatus {
    /// `ok`, `retrying` or `failing`.
    pub status: Health,
    /// When a write last went through.
    pub last_write_at: Option<Timestamp>,
    /// SKUs whose number in the store is not yet lastunit's.
    pub pending_writes: usize,
    /// The last failure, in words (no credential, no response body beyond the store's own
    /// error code and message).
    pub last_error: Option<String>,
    /// When the store's throttle lets the next write go.
    pub throttled_until: Option<Timestamp>,
}
