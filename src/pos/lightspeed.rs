//! Lightspeed (stub, being written).
use super::{PosCount, PosError};
/// Verifies and reads one Lightspeed delivery.
pub fn read(body: &[u8], signature_header: Option<&str>, client_secret: &str) -> Result<Vec<PosCount>, PosError> {
    let _ = (body, signature_header, client_secret);
    Err(PosError::Unauthorized("not implemented yet".into()))
}
