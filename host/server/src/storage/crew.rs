//! Technicians, projects, venues and rooms, availabilities.
//!
//! The trait is a part of [`super::Storage`]; the macro implements it over a backend's
//! pool with the same SQL on both (see [`super::sql`]).

/// Technicians, projects, venues and rooms, availabilities.
#[async_trait::async_trait]
pub trait CrewStore: Send + Sync {}

macro_rules! impl_crew_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::crew::CrewStore for $storage {}
    };
}

pub(crate) use impl_crew_store;
