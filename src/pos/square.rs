//! Square (stub, being written).
use super::{PosCount, PosError};
/// What one Square notice gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SquareNotice {
    /// Counts in state `IN_STOCK`.
    pub counts: Vec<PosCount>,
    /// Counts in other states, or a notice of another type.
    pub ignored: usize,
}
/// Verifies and reads one Square notice.
pub fn read(body: &[u8], signature: Option<&str>, notification_url: &str, signature_key: &str) -> Result<SquareNotice, PosError> {
    let _ = (body, signature, notification_url, signature_key);
    Err(PosError::Unauthorized("not implemented yet".into()))
}
