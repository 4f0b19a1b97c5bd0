//! Tenants, users and sessions.
//!
//! The trait is a part of [`super::Storage`]; [`sql`] implements it over a backend's pool
//! with the same SQL on both.

use chrono::{DateTime, Utc};

use super::StorageResult;
use crate::domain::{Email, PageRequest, Role, SessionId, TenantId, TenantSlug, TimeZone, UserId};

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
    /// How timesheets are cut into pay periods: `month` or `week`.
    pub pay_period: String,
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

impl UserPatch {
    /// Why the patch ends the user's open logins, if it does: a deactivated account or a
    /// new password.
    pub(crate) fn ends_sessions(&self) -> Option<&'static str> {
        if self.active == Some(false) {
            Some("user deactivated")
        } else if self.password_hash.is_some() {
            Some("password changed")
        } else {
            None
        }
    }
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

/// Tenants, users and sessions.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_tenant(&self, tenant: NewTenant) -> StorageResult<Tenant>;
    async fn tenant_by_slug(&self, slug: &TenantSlug) -> StorageResult<Option<Tenant>>;
    async fn tenant(&self, id: TenantId) -> StorageResult<Option<Tenant>>;
    /// Renames the tenant, moves it to another time zone or changes how it cuts pay
    /// periods; `None` leaves a field as is.
    async fn update_tenant(
        &self,
        id: TenantId,
        name: Option<String>,
        time_zone: Option<TimeZone>,
        pay_period: Option<crate::domain::PayPeriodKind>,
    ) -> StorageResult<Option<Tenant>>;

    async fn create_user(&self, tenant: TenantId, user: NewUser) -> StorageResult<User>;
    async fn user(&self, tenant: TenantId, id: UserId) -> StorageResult<Option<User>>;
    /// The account and its password hash, for the login check only.
    async fn credentials(
        &self,
        tenant: TenantId,
        email: &Email,
    ) -> StorageResult<Option<UserCredentials>>;
    async fn list_users(
        &self,
        tenant: TenantId,
        filter: &UserFilter,
        page: PageRequest,
    ) -> StorageResult<(Vec<User>, u64)>;
    /// Applies the set fields; `None` when there is no such user in the tenant.
    /// Deactivating a user revokes all their sessions in the same transaction.
    async fn update_user(
        &self,
        tenant: TenantId,
        id: UserId,
        patch: UserPatch,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<User>>;

    /// Records a login and its first refresh token.
    async fn create_session(&self, session: NewSession) -> StorageResult<()>;
    /// Spends the presented refresh token and stores its successor, atomically.
    /// A token that was already spent revokes its whole session (reuse detection).
    async fn rotate_refresh_token(
        &self,
        presented_hash: &[u8],
        successor_hash: &[u8],
        successor_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<RefreshOutcome>;
    /// Revokes the session the refresh token belongs to; `false` if the token is unknown.
    async fn revoke_session_by_refresh_token(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    async fn revoke_session(
        &self,
        session: SessionId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<()>;
    /// The live state behind an access token: the user's current role and whether the
    /// user is active and the session unrevoked. Checked on every authenticated request,
    /// so a deactivation, a role change or a logout takes effect at once.
    async fn principal(&self, session: SessionId) -> StorageResult<Option<Principal>>;
}

pub(super) mod sql;
