//! Creating tenants and their first admin, for `callsheet demo` and `callsheet tenant create`.
//!
//! Tenants are created from the command line, not the API: creating a tenant is an
//! operator's act on the deployment, above any tenant's admin.

use crate::auth::password;
use crate::domain::{Email, Password, Role, TenantSlug, TimeZone};
use crate::storage::{self, DynStorage, Tenant, User};

/// The demo tenant's login; printed with a warning, for trying the server only.
pub const DEMO_TENANT: &str = "demo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.test";
pub const DEMO_ADMIN_PASSWORD: &str = "demo-admin";

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("a tenant with slug `{0}` already exists")]
    TenantExists(String),
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error("cannot give the tenant its default plugins: {0}")]
    Plugins(#[from] crate::plugins::TenantPluginError),
}

/// What was provisioned, and whether it was already there.
#[derive(Debug)]
pub struct Provisioned {
    pub tenant: Tenant,
    pub admin: User,
    pub created: bool,
}

/// The request for a tenant and its first admin, checked.
#[derive(Debug)]
pub struct TenantSpec {
    pub slug: TenantSlug,
    pub name: String,
    pub time_zone: TimeZone,
    pub admin_email: Email,
    pub admin_password: Password,
}

impl TenantSpec {
    pub fn parse(
        slug: &str,
        name: &str,
        time_zone: &str,
        email: &str,
        password: &str,
    ) -> Result<Self, ProvisionError> {
        let invalid = |field| {
            move |e: crate::domain::InvalidValue| ProvisionError::Invalid {
                field,
                reason: e.reason,
            }
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(ProvisionError::Invalid {
                field: "name",
                reason: "must not be empty".into(),
            });
        }
        Ok(Self {
            slug: TenantSlug::parse(slug).map_err(invalid("slug"))?,
            name: name.to_owned(),
            time_zone: TimeZone::parse(time_zone).map_err(invalid("time zone"))?,
            admin_email: Email::parse(email).map_err(invalid("admin email"))?,
            admin_password: Password::parse(password).map_err(invalid("admin password"))?,
        })
    }
}

/// Creates the tenant, its admin and its default plugins (active in every slot); refuses
/// an existing slug.
pub async fn create_tenant(
    storage: &DynStorage,
    spec: TenantSpec,
) -> Result<Provisioned, ProvisionError> {
    if storage.tenant_by_slug(&spec.slug).await?.is_some() {
        return Err(ProvisionError::TenantExists(spec.slug.to_string()));
    }
    let tenant = storage
        .create_tenant(storage::new_tenant(spec.slug, spec.name, spec.time_zone))
        .await?;
    let hash = password::hash(spec.admin_password).await?;
    let admin = storage
        .create_user(
            tenant.id,
            storage::new_user(spec.admin_email, hash, Role::Admin, true),
        )
        .await?;
    crate::plugins::provision_defaults(storage, tenant.id).await?;
    Ok(Provisioned {
        tenant,
        admin,
        created: true,
    })
}

/// Makes sure the demo tenant, its admin and its default plugins exist; running it again
/// changes nothing.
pub async fn ensure_demo(storage: &DynStorage) -> Result<Provisioned, ProvisionError> {
    let spec = TenantSpec::parse(
        DEMO_TENANT,
        "Demo Festival",
        "Europe/Paris",
        DEMO_ADMIN_EMAIL,
        DEMO_ADMIN_PASSWORD,
    )?;
    let Some(tenant) = storage.tenant_by_slug(&spec.slug).await? else {
        return create_tenant(storage, spec).await;
    };
    let admin = match storage.credentials(tenant.id, &spec.admin_email).await? {
        Some(existing) => existing.user,
        None => {
            let hash = password::hash(spec.admin_password).await?;
            storage
                .create_user(
                    tenant.id,
                    storage::new_user(spec.admin_email, hash, Role::Admin, true),
                )
                .await?
        }
    };
    crate::plugins::provision_defaults(storage, tenant.id).await?;
    Ok(Provisioned {
        tenant,
        admin,
        created: false,
    })
}
