//! Webhook signatures, the Standard Webhooks way (<https://www.standardwebhooks.com>).
//!
//! Each delivery carries `webhook-id` (the message's id, the same on every retry, so a
//! receiver can drop duplicates), `webhook-timestamp` (Unix seconds, so it can refuse
//! replays) and `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
//! `{id}.{timestamp}.{body}`, keyed with the secret's bytes. While a rotated secret is
//! still honoured, the header carries one signature per secret, space-separated, and a
//! receiver accepts the message if any verifies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// What a secret starts with, so it is recognisable in a leak scanner and a config file.
pub const SECRET_PREFIX: &str = "whsec_";

/// Bytes of a new secret's key (the convention asks 24 to 64).
const KEY_BYTES: usize = 32;

/// A fresh secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; KEY_BYTES];
    rand::thread_rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// A stored secret that does not decode: never written by [`new_secret`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the webhook secret is not `whsec_` and base64")]
pub struct BadSecret;

/// The `webhook-signature` value for `body`, one `v1,` signature per secret.
pub fn sign(
    secrets: &[&str],
    message_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, BadSecret> {
    let signatures = secrets
        .iter()
        .map(|secret| {
            let key = STANDARD
                .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
                .map_err(|_| BadSecret)?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
            mac.update(message_id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            Ok(format!(
                "v1,{}",
                STANDARD.encode(mac.finalize().into_bytes())
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification and its reference libraries.
    #[test]
    fn signs_the_conventions_own_example() {
        let signature = sign(
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .expect("a valid secret");
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_and_bad_secrets_are_refused() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(SECRET_PREFIX) && a != b);
        let both = sign(&[&a, &b], "msg_1", 1, b"{}").expect("valid");
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&[&a], "msg_1", 1, b"{}").expect("valid"));
        assert_ne!(parts[0], parts[1]);
        assert_eq!(sign(&["whsec_***"], "msg_1", 1, b"{}"), Err(BadSecret));
    }
}
