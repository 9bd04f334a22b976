//! Clover (stub, being written).
use super::PosError;
use crate::Timestamp;
/// What one Clover post is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloverNotice {
    /// The one-time verification post.
    Verification {
        /// The code to paste into the Clover dashboard.
        code: String,
    },
    /// Items whose stock to read back.
    Items {
        /// Created or updated items.
        items: Vec<CloverItem>,
        /// Entries that are not items, or deleted items.
        ignored: usize,
    },
}
/// One item that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloverItem {
    /// The merchant id.
    pub merchant_id: String,
    /// The item id.
    pub item_id: String,
    /// When it changed.
    pub observed_at: Timestamp,
    /// Stable id for this change.
    pub dedupe_id: String,
}
/// Verifies and reads one Clover post.
pub fn read(body: &[u8], auth_header: Option<&str>, auth_code: &str) -> Result<CloverNotice, PosError> {
    let _ = (body, auth_header, auth_code);
    Err(PosError::Unauthorized("not implemented yet".into()))
}
/// The read-back path.
pub fn item_stock_path(merchant_id: &str, item_id: &str) -> String {
    format!("/v3/merchants/{merchant_id}/item_stocks/{item_id}")
}
/// Reads the read-back answer.
pub fn read_item_stock(body: &[u8]) -> Result<i64, PosError> {
    let _ = body;
    Err(PosError::BadBody("not implemented yet".into()))
}
