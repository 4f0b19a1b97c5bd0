//! The outbox's messages as their readers see them: sending one again on demand.

use super::NotifyError;
use crate::domain::{DeliveryId, DeliveryState, TenantId};
use crate::storage::DynStorage;
use crate::storage::outbox::Delivery;

/// Sends a dead or delivered message again, now, with a fresh allowance of attempts. The
/// receiver gets the same `webhook-id`, so one that already processed it can tell.
pub async fn retry(
    storage: &DynStorage,
    tenant: TenantId,
    id: DeliveryId,
) -> Result<Delivery, NotifyError> {
    if let Some(delivery) = storage
        .retry_delivery(tenant, id, crate::domain::time::now())
        .await?
    {
        return Ok(delivery);
    }
    match storage.delivery(tenant, id).await? {
        None => Err(NotifyError::DeliveryNotFound),
        Some((d, _)) if d.state == DeliveryState::Pending => Err(NotifyError::StillPending),
        // It left `pending` between the two reads: a worker moved it on; ask again.
        Some(_) => Err(NotifyError::StillPending),
    }
}
