//! argon2id password hashing.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::domain::Password;

/// A hash of a random password, verified against when the email is unknown so that an
/// unknown account and a wrong password take the same time (no account enumeration by
/// timing).
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_now(&Password::parse("decoy-password-never-valid").expect("valid decoy"))
        .expect("decoy hash")
});

/// Errors are internal: hashing only fails on impossible parameters.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn hasher() -> Argon2<'static> {
    // Argon2id, 19 MiB, 2 passes, 1 lane: OWASP's recommended minimum, about 30 ms here.
    Argon2::default()
}

fn hash_now(password: &Password) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    hasher()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Hashes a new password into a PHC string, on the blocking pool.
pub async fn hash(password: Password) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| HashError(e.to_string()))?
}

/// Checks a password against a stored PHC string (or the decoy when `stored` is `None`),
/// on the blocking pool. A malformed stored hash never verifies.
pub async fn verify(candidate: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let stored_is_real = stored.is_some();
        let phc = stored.unwrap_or_else(|| DECOY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        let matches = hasher()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok();
        matches && stored_is_real
    })
    .await
    .unwrap_or(false)
}

/// Computes the decoy hash now rather than on the first login with an unknown email.
pub fn warm_up() {
    LazyLock::force(&DECOY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash(Password::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse".into(), Some(stored.clone())).await);
        assert!(!verify("wrong horse!".into(), Some(stored)).await);
        assert!(!verify("decoy-password-never-valid".into(), None).await);
        assert!(!verify("anything".into(), Some("not a phc string".into())).await);
    }
}
