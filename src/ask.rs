//! Questions in plain words (filled in by the operator work).
