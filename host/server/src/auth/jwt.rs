//! HS256 access tokens.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Role, SessionId, TenantId, UserId};

const ISSUER: &str = "callsheet";

/// What an access token says. The role is informative for clients; the server re-reads the
/// live role on every request (a demoted user does not keep rights until expiry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// The tenant the user belongs to.
    pub tid: TenantId,
    pub role: Role,
    /// The login session; revoking it invalidates this token.
    pub sid: SessionId,
    /// A unique id per token.
    pub jti: Uuid,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signs and verifies access tokens with one shared secret.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused; all of them answer 401 the same way.
#[derive(Debug, thiserror::Error)]
#[error("invalid access token: {0}")]
pub struct TokenError(#[from] jsonwebtoken::errors::Error);

impl JwtKeys {
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        // Only HS256 is accepted: this rules out `alg: none` and algorithm-confusion
        // attacks whatever the token header claims.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
        }
    }

    /// Lifetime of the tokens this issues.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user: UserId, tenant: TenantId, role: Role, session: SessionId) -> String {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            tid: tenant,
            role,
            sid: session,
            jti: Uuid::new_v4(),
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        Ok(jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            &SecretString::from("test-secret-test-secret-test-secret"),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let keys = keys();
        let (u, t, s) = (UserId::new(), TenantId::new(), SessionId::new());
        let claims = keys.verify(&keys.issue(u, t, Role::Manager, s)).unwrap();
        assert_eq!(
            (claims.sub, claims.tid, claims.role, claims.sid),
            (u, t, Role::Manager, s)
        );
        assert_eq!(claims.exp - claims.iat, 60);
    }

    #[test]
    fn tokens_signed_with_another_key_or_no_algorithm_are_refused() {
        let token = keys().issue(
            UserId::new(),
            TenantId::new(),
            Role::Admin,
            SessionId::new(),
        );
        let other = JwtKeys::new(
            &SecretString::from("another-secret-another-secret-xx"),
            Duration::from_secs(60),
        );
        assert!(other.verify(&token).is_err());

        let payload = token.split('.').nth(1).unwrap();
        let none_header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys().verify(&format!("{none_header}.{payload}.")).is_err());
    }
}
