//! Rows as the rest of the server sees them.

use chrono::{DateTime, Utc};

use crate::domain::{Email, Role, SessionId, TenantId, TenantSlug, TimeZone, UserId};

#[derive(Debug, Clone)]
pub struct NewTenant {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: String,
    pub time_zone: TimeZone,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    /// An argon2id PHC string; never the password itself.
    pub password_hash: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user with the password hash, returned only to the login check.
#[derive(Clone, sqlx::FromRow)]
pub struct UserCredentials {
    #[sqlx(flatten)]
    pub user: User,
    pub password_hash: String,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Filters of the user list; every set field narrows it.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Case-insensitive substring of the email.
    pub email_contains: Option<String>,
}

/// The fields a `PATCH` may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email: Option<Email>,
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub refresh_token_hash: Vec<u8>,
    pub refresh_expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// The live state of the account behind an access token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Principal {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub active: bool,
    pub session_revoked: bool,
    /// The tenant's time zone, so handlers can show local times without another query.
    #[sqlx(try_from = "String")]
    pub time_zone: TimeZone,
    /// The technician profile linked to the user, if any (a tech manages their own).
    pub technician_id: Option<crate::domain::TechnicianId>,
}

impl Principal {
    /// Whether requests made with this session's tokens may proceed.
    pub fn is_live(&self) -> bool {
        self.active && !self.session_revoked
    }
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was live: it is now spent and its successor stored.
    Rotated { session: SessionId, user: User },
    /// The token had been spent before: the session is now revoked.
    Reused { session: SessionId },
    /// Unknown, expired, or its session revoked or its user deactivated.
    Rejected,
}

impl TryFrom<String> for TimeZone {
    type Error = crate::domain::InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        TimeZone::parse(&value)
    }
}

impl TryFrom<String> for Role {
    type Error = crate::domain::InvalidValue;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}
