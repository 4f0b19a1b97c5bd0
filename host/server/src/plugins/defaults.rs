//! The default plugins: described once per process, provisioned for every tenant.
use std::sync::OnceLock;

use callsheet_runtime::types::PluginInfo;
use callsheet_runtime::{Runtime, RuntimeConfig, Slot};
use chrono::Utc;
use uuid::Uuid;

use super::TenantPluginError;
use crate::default_plugins::{self, DEFAULT_PLUGINS};
use crate::domain::time::to_second;
use crate::domain::{PluginId, TenantId};
use crate::storage::{DynStorage, NewActivation, NewPlugin};

/// A default plugin with its description, computed once per process.
struct Described {
    slot: Slot,
    sha256: String,
    wasm: &'static [u8],
    info: PluginInfo,
}

static DESCRIBED: tokio::sync::OnceCell<Vec<Described>> = tokio::sync::OnceCell::const_new();

/// The default plugins described, by a small runtime of their own: provisioning runs where
/// no `AppState` exists (`callsheet tenant create`), and the plugin rows need the names,
/// versions and descriptions. About a second, once per process.
async fn described() -> Result<&'static [Described], TenantPluginError> {
    let list = DESCRIBED
        .get_or_try_init(|| async {
            tokio::task::spawn_blocking(|| {
                let runtime = Runtime::new(RuntimeConfig {
                    max_instances: 2,
                    ..RuntimeConfig::default()
                })?;
                DEFAULT_PLUGINS
                    .iter()
                    .map(|d| {
                        Ok(Described {
                            slot: d.slot,
                            sha256: hex::encode(callsheet_runtime::sha256(d.wasm)),
                            wasm: d.wasm,
                            info: runtime.validate(d.slot, d.wasm)?,
                        })
                    })
                    .collect::<Result<Vec<_>, callsheet_runtime::Error>>()
            })
            .await
            .map_err(|e| TenantPluginError::Corrupt(format!("describing the defaults: {e}")))?
            .map_err(TenantPluginError::Plugin)
        })
        .await?;
    Ok(list)
}

/// Whether these bytes are one of the server's default plugins.
pub fn is_builtin(sha256: &str) -> bool {
    static SHAS: OnceLock<Vec<String>> = OnceLock::new();
    SHAS.get_or_init(|| {
        DEFAULT_PLUGINS
            .iter()
            .map(|d| hex::encode(callsheet_runtime::sha256(d.wasm)))
            .collect()
    })
    .iter()
    .any(|s| s == sha256)
}

/// Gives a tenant the default plugin of every slot that has no activation yet; running it
/// again changes nothing. Called when a tenant is created.
pub async fn provision_defaults(
    storage: &DynStorage,
    tenant: TenantId,
) -> Result<(), TenantPluginError> {
    for slot in Slot::ALL {
        ensure_default(storage, tenant, slot).await?;
    }
    Ok(())
}

/// Stores the default plugin of `slot` for the tenant and activates it at position 1 of
/// the slot's history, unless the slot already has an activation. Safe to run
/// concurrently: every insert is conditional.
pub(super) async fn ensure_default(
    storage: &DynStorage,
    tenant: TenantId,
    slot: Slot,
) -> Result<(), TenantPluginError> {
    if default_plugins::for_slot(slot).is_none() {
        return Ok(());
    }
    let Some(d) = described().await?.iter().find(|d| d.slot == slot) else {
        return Ok(());
    };
    let now = to_second(Utc::now());
    let info = serde_json::to_string(&d.info)
        .map_err(|e| TenantPluginError::Corrupt(format!("describe(): {e}")))?;
    let (plugin, _) = storage
        .create_plugin(
            tenant,
            NewPlugin {
                id: PluginId::new(),
                slot: slot.as_str().to_owned(),
                name: d.info.name.clone(),
                version: d.info.version.clone(),
                sha256: d.sha256.clone(),
                info,
                validation: None,
                uploaded_by: None,
                uploaded_at: now,
            },
            d.wasm,
        )
        .await?;
    // Position 1 is taken when the slot has any history: then this inserts nothing.
    storage
        .insert_activation(
            tenant,
            NewActivation {
                id: Uuid::now_v7(),
                slot: slot.as_str().to_owned(),
                seq: 1,
                plugin_id: plugin.id,
                params: "[]".to_owned(),
                action: "default",
                fuel: None,
                timeout_ms: None,
                restores_seq: None,
                activated_by: None,
                activated_at: now,
            },
        )
        .await?;
    Ok(())
}
