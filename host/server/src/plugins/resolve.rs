//! Resolution: the tenant's active plugin of a slot, loaded and configured.

use callsheet_engine::{Configured, PluginIdentity};
use callsheet_runtime::types::Params;
use callsheet_runtime::{AssignerPlugin, PayrollPlugin, Plugin, RulesPlugin, Slot, SlotPlugin};

use super::TenantPluginError;
use super::budget::BudgetSetting;
use super::defaults::ensure_default;
use crate::domain::TenantId;
use crate::state::AppState;
use crate::storage::{ActivationRecord, DynStorage};

/// The tenant's active plugin of `P`'s slot, configured with the tenant's parameters and
/// budget.
pub async fn configured<P: SlotPlugin>(
    state: &AppState,
    tenant: TenantId,
) -> Result<Configured<P>, TenantPluginError> {
    let active = active_or_default(&state.storage, tenant, P::SLOT).await?;
    let plugin = P::try_from(load(state, P::SLOT, &active.plugin_sha256).await?)
        .map_err(|_| wrong_slot(P::SLOT))?;
    Ok(Configured {
        plugin: plugin.with_budget(BudgetSetting::of(&active).effective(&state.runtime)),
        params: parse_params(&active.params)?,
        identity: PluginIdentity {
            name: active.plugin_name,
            version: active.plugin_version,
            sha256: active.plugin_sha256,
        },
    })
}

/// The tenant's active rules plugin, configured.
pub async fn rules(
    state: &AppState,
    tenant: TenantId,
) -> Result<Configured<RulesPlugin>, TenantPluginError> {
    configured(state, tenant).await
}

/// The tenant's active assigner plugin, configured.
pub async fn assigner(
    state: &AppState,
    tenant: TenantId,
) -> Result<Configured<AssignerPlugin>, TenantPluginError> {
    configured(state, tenant).await
}

/// The tenant's active payroll plugin, configured.
pub async fn payroll(
    state: &AppState,
    tenant: TenantId,
) -> Result<Configured<PayrollPlugin>, TenantPluginError> {
    configured(state, tenant).await
}

/// A plugin by the sha256 of its bytes, for a replay: the exact bytes from
/// `plugin_blobs`, loaded for `slot` (with the runtime's default budget: configure it with
/// the recorded one).
pub async fn by_sha256(
    state: &AppState,
    slot: Slot,
    sha256: &str,
) -> Result<Plugin, TenantPluginError> {
    load(state, slot, sha256).await
}

fn wrong_slot(slot: Slot) -> TenantPluginError {
    TenantPluginError::Corrupt(format!("a plugin stored for {slot} loaded as another slot"))
}

/// The active activation of a slot, provisioning the default plugin when there is none.
pub(super) async fn active_or_default(
    storage: &DynStorage,
    tenant: TenantId,
    slot: Slot,
) -> Result<ActivationRecord, TenantPluginError> {
    if let Some(active) = storage.active_plugin(tenant, slot.as_str()).await? {
        return Ok(active);
    }
    ensure_default(storage, tenant, slot).await?;
    storage
        .active_plugin(tenant, slot.as_str())
        .await?
        .ok_or_else(|| {
            TenantPluginError::Corrupt(format!("no {slot} activation after provisioning"))
        })
}

/// The loaded plugin of these bytes: from the runtime's cache, else from the blob.
pub(super) async fn load(
    state: &AppState,
    slot: Slot,
    sha256: &str,
) -> Result<Plugin, TenantPluginError> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(sha256, &mut digest)
        .map_err(|_| TenantPluginError::Corrupt(format!("bad sha256 {sha256:?}")))?;
    if let Some(plugin) = state.runtime.get(slot, &digest) {
        return Ok(plugin);
    }
    let bytes =
        state
            .storage
            .plugin_blob(sha256)
            .await?
            .ok_or_else(|| TenantPluginError::BlobMissing {
                sha256: sha256.to_owned(),
            })?;
    Ok(state.runtime.load_async(slot, bytes.into()).await?)
}

pub(super) fn parse_params(json: &str) -> Result<Params, TenantPluginError> {
    serde_json::from_str(json)
        .map_err(|e| TenantPluginError::Corrupt(format!("stored parameters: {e}")))
}
