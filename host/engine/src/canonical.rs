//! The canonical byte form of what the engine takes and returns, and its sha256, for the
//! audit log: the same value always gives the same bytes, so a replay compares bytes and
//! the log stores digests.
//!
//! The form is compact JSON of types whose fields serialise in declaration order and whose
//! lists the engine keeps sorted (the contract's order: by id, then start). There is no map
//! anywhere, so no iteration order can leak in; floats (only in `value.float` parameters)
//! print with serde_json's shortest round-trip form, which is deterministic.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};

/// The canonical bytes of a value.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(EngineError::Json)
}

/// The sha256 of the canonical bytes, lowercase hex.
pub fn sha256<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(hex::encode(Sha256::digest(to_bytes(value)?)))
}
