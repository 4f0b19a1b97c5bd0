//! Missions and needs, assignments, jobs and idempotency keys.
//!
//! The trait is a part of [`super::Storage`]; the macro implements it over a backend's
//! pool with the same SQL on both (see [`super::sql`]).

/// Missions and needs, assignments, jobs and idempotency keys.
#[async_trait::async_trait]
pub trait PlanningStore: Send + Sync {}

macro_rules! impl_planning_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::planning::PlanningStore for $storage {}
    };
}

pub(crate) use impl_planning_store;
