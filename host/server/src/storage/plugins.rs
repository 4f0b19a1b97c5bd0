//! Tenant plugins: content-addressed bytes, uploads, activation history and parameters.
//!
//! The trait is a part of [`super::Storage`]; the macro implements it over a backend's
//! pool with the same SQL on both (see [`super::sql`]).

/// Tenant plugins: content-addressed bytes, uploads, activation history and parameters.
#[async_trait::async_trait]
pub trait PluginStore: Send + Sync {}

macro_rules! impl_plugins_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::plugins::PluginStore for $storage {}
    };
}

pub(crate) use impl_plugins_store;
