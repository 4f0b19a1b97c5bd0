//! Opaque refresh tokens: random, shown once to the client, stored as SHA-256.

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// A freshly generated token: the text for the client and the hash for the database.
#[derive(Clone)]
pub struct RefreshToken {
    pub token: String,
    pub hash: Vec<u8>,
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken([REDACTED])")
    }
}

impl RefreshToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let hash = digest(&token);
        Self { token, hash }
    }
}

/// The stored form of a presented token. A plain SHA-256 suffices (no salt, no stretching)
/// because the token carries 256 bits of entropy: there is nothing to brute-force.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashed() {
        let a = RefreshToken::generate();
        let b = RefreshToken::generate();
        assert_ne!(a.token, b.token);
        assert_eq!(a.hash, digest(&a.token));
        assert_eq!(a.hash.len(), 32);
        assert!(!format!("{a:?}").contains(&a.token));
    }
}
