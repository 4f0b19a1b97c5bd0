//! The audit hash chain: append, read, verify.
//!
//! The trait is a part of [`super::Storage`]; the macro implements it over a backend's
//! pool with the same SQL on both (see [`super::sql`]).

/// The audit hash chain: append, read, verify.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {}

macro_rules! impl_audit_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::audit::AuditStore for $storage {}
    };
}

pub(crate) use impl_audit_store;
