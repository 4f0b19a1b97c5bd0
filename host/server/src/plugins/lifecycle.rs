//! Lifecycle: upload, revalidation, activation, parameters, budgets, rollback, history.
use std::sync::Arc;

use callsheet_engine::{BudgetRecord, PluginIdentity};
use callsheet_runtime::types::Params;
use callsheet_runtime::{Runtime, Slot};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::budget::BudgetSetting;
use super::defaults::provision_defaults;
use super::resolve::{active_or_default, load, parse_params};
use super::validation::{Conformance, ReportError, TenantSample, ValidationReport};
use super::validation::{LOAD_CHECKS, check_configuration, conformance, current_budget};
use super::{Cause, TenantPluginError, to_json};
use crate::audit::{self, EntryKind};
use crate::domain::time::to_second;
use crate::domain::{PageRequest, PluginId, TenantId, UserId};
use crate::state::AppState;
use crate::storage::{ActivationRecord, DynStorage, NewActivation, NewPlugin, PluginRecord};

/// How many times a change of a slot is retried when concurrent changes keep taking its
/// next position.
const MAX_ATTEMPTS: u32 = 8;

/// What an upload gave: the stored plugin, and whether it is new (`false`: the tenant had
/// these bytes for this slot already, and nothing was run or stored).
#[derive(Debug)]
pub struct Uploaded {
    pub plugin: PluginRecord,
    pub created: bool,
}

/// Checks an upload (load checks, `describe()`, conformance with the plugin's default
/// parameters and the slot's budget) and stores it. Refused: nothing is stored.
pub async fn upload(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    slot: Slot,
    bytes: Vec<u8>,
) -> Result<Uploaded, TenantPluginError> {
    let sha256 = hex::encode(callsheet_runtime::sha256(&bytes));
    if let Some(existing) = state
        .storage
        .plugin_by_sha256(tenant, slot.as_str(), &sha256)
        .await?
    {
        return Ok(Uploaded {
            plugin: existing,
            created: false,
        });
    }
    let bytes: Arc<[u8]> = bytes.into();
    let refused = |stage, e| TenantPluginError::Refused {
        slot,
        stage,
        cause: Cause::Runtime(e),
    };
    let info = state
        .runtime
        .validate_async(slot, bytes.clone())
        .await
        .map_err(|e| refused("load", e))?;
    let plugin = state
        .runtime
        .load_async(slot, bytes.clone())
        .await
        .map_err(|e| refused("load", e))?;
    let identity = PluginIdentity {
        name: info.name.clone(),
        version: info.version.clone(),
        sha256: sha256.clone(),
    };
    let setting = current_budget(&state.storage, tenant, slot).await?;
    let budget = setting.effective(&state.runtime);
    let conformance =
        conformance(state, tenant, plugin, identity, Vec::new(), budget, None).await?;
    let report = ValidationReport {
        ok: true,
        checks: LOAD_CHECKS.iter().map(|c| (*c).to_owned()).collect(),
        fuel_used: conformance.calls.iter().map(|c| c.fuel_used).sum(),
        conformance: Some(conformance),
        error: None,
        budget: budget.into(),
        params: Vec::new(),
        validated_at: to_second(Utc::now()),
    };
    let (plugin, created) = state
        .storage
        .create_plugin(
            tenant,
            NewPlugin {
                id: PluginId::new(),
                slot: slot.as_str().to_owned(),
                name: info.name.clone(),
                version: info.version.clone(),
                sha256,
                info: to_json(&info)?,
                validation: Some(to_json(&report)?),
                uploaded_by: Some(actor),
                uploaded_at: to_second(Utc::now()),
            },
            &bytes,
        )
        .await?;
    tracing::info!(plugin = %plugin.id, %slot, name = %info.name, version = %info.version, created, "plugin uploaded");
    Ok(Uploaded { plugin, created })
}

/// The parsed slot of a stored plugin.
pub fn slot_of(plugin: &PluginRecord) -> Result<Slot, TenantPluginError> {
    plugin
        .slot
        .parse()
        .map_err(|_| TenantPluginError::Corrupt(format!("unknown slot {:?}", plugin.slot)))
}

/// One plugin of the tenant.
pub async fn get(
    storage: &DynStorage,
    tenant: TenantId,
    id: PluginId,
) -> Result<PluginRecord, TenantPluginError> {
    storage
        .plugin(tenant, id)
        .await?
        .ok_or(TenantPluginError::NotFound)
}

/// Validates a stored plugin again (load checks and conformance), with its active
/// parameters and budget when it is the active plugin of its slot, else its defaults and
/// the slot's budget. The report is stored, failed or not; a failure is also the error.
pub async fn revalidate(
    state: &AppState,
    tenant: TenantId,
    id: PluginId,
    on: Option<TenantSample>,
) -> Result<(PluginRecord, ValidationReport), TenantPluginError> {
    let record = get(&state.storage, tenant, id).await?;
    let slot = slot_of(&record)?;
    let active = state.storage.active_plugin(tenant, slot.as_str()).await?;
    let (params, setting) = match &active {
        Some(a) if a.plugin_id == record.id => (parse_params(&a.params)?, BudgetSetting::of(a)),
        Some(a) => (Vec::new(), BudgetSetting::of(a)),
        None => (Vec::new(), BudgetSetting::default()),
    };
    let budget = setting.effective(&state.runtime);
    let mut report = ValidationReport {
        ok: false,
        checks: Vec::new(),
        conformance: None,
        error: None,
        fuel_used: 0,
        budget: budget.into(),
        params: params.clone(),
        validated_at: to_second(Utc::now()),
    };
    let outcome = async {
        let bytes = state
            .storage
            .plugin_blob(&record.sha256)
            .await?
            .ok_or_else(|| TenantPluginError::BlobMissing {
                sha256: record.sha256.clone(),
            })?;
        let bytes: Arc<[u8]> = bytes.into();
        let refused = |stage, e| TenantPluginError::Refused {
            slot,
            stage,
            cause: Cause::Runtime(e),
        };
        let info = state
            .runtime
            .validate_async(slot, bytes.clone())
            .await
            .map_err(|e| refused("load", e))?;
        report.checks = LOAD_CHECKS.iter().map(|c| (*c).to_owned()).collect();
        let plugin = state
            .runtime
            .load_async(slot, bytes)
            .await
            .map_err(|e| refused("load", e))?;
        let identity = PluginIdentity {
            name: info.name,
            version: info.version,
            sha256: record.sha256.clone(),
        };
        check_configuration(state, tenant, plugin, identity, &params, budget, on).await
    }
    .await;
    let result = match outcome {
        Ok(conformance) => {
            report.ok = true;
            report.fuel_used = conformance.calls.iter().map(|c| c.fuel_used).sum();
            report.conformance = Some(conformance);
            Ok(())
        }
        Err(err) => {
            let (code, stage) = match &err {
                TenantPluginError::Refused { stage, cause, .. } => (cause.code(), *stage),
                TenantPluginError::ParamsInvalid { .. } => {
                    ("PLUGIN_PARAMS_INVALID", "validate-params")
                }
                _ => return Err(err),
            };
            report.error = Some(ReportError {
                code: code.to_owned(),
                stage: stage.to_owned(),
                detail: err.to_string(),
            });
            Err(err)
        }
    };
    state
        .storage
        .set_plugin_validation(tenant, id, &to_json(&report)?)
        .await?;
    result?;
    let record = get(&state.storage, tenant, id).await?;
    Ok((record, report))
}

/// A change of a slot's configuration, to append as its next activation.
struct Change {
    action: &'static str,
    plugin: PluginRecord,
    params: Params,
    budget: BudgetSetting,
    restores_seq: Option<i64>,
}

/// Activates a plugin of the tenant for its slot with `params` (default: the plugin's
/// defaults) and `budget` (default: the slot's current budget), after its
/// `validate-params` and a conformance run with them.
pub async fn activate(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    id: PluginId,
    params: Option<Params>,
    budget: Option<BudgetSetting>,
) -> Result<ActivationRecord, TenantPluginError> {
    let plugin = get(&state.storage, tenant, id).await?;
    let slot = slot_of(&plugin)?;
    let budget = match budget {
        Some(b) => b.check()?,
        None => current_budget(&state.storage, tenant, slot).await?,
    };
    let params = params.unwrap_or_default();
    configure(state, tenant, slot, &plugin, &params, budget).await?;
    append_change(state, tenant, actor, slot, |_| {
        Ok(Change {
            action: "activate",
            plugin: plugin.clone(),
            params: params.clone(),
            budget,
            restores_seq: None,
        })
    })
    .await
}

/// New parameters for the slot's active plugin, and optionally a new budget for the slot
/// (omitted: the current one stays), checked as an activation is.
pub async fn set_params(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    slot: Slot,
    params: Params,
    budget: Option<BudgetSetting>,
) -> Result<ActivationRecord, TenantPluginError> {
    let budget = budget.map(BudgetSetting::check).transpose()?;
    let active = active_or_default(&state.storage, tenant, slot).await?;
    let plugin = get(&state.storage, tenant, active.plugin_id).await?;
    let checked_budget = budget.unwrap_or_else(|| BudgetSetting::of(&active));
    configure(state, tenant, slot, &plugin, &params, checked_budget).await?;
    let expected = (active.plugin_id, checked_budget);
    append_change(state, tenant, actor, slot, |current| {
        // If someone activated another plugin (or changed the budget) meanwhile, these
        // parameters were checked against another configuration: refuse rather than
        // apply them to it.
        let now = current.map(|c| (c.plugin_id, budget.unwrap_or_else(|| BudgetSetting::of(c))));
        if now != Some(expected) {
            return Err(TenantPluginError::Busy(slot));
        }
        Ok(Change {
            action: "params",
            plugin: plugin.clone(),
            params: params.clone(),
            budget: checked_budget,
            restores_seq: None,
        })
    })
    .await
}

/// Re-applies the previous configuration of the slot (plugin, parameters, budget) as a new
/// activation. The previous one is the position before the active one; after a rollback,
/// the position before the one it restored, so successive rollbacks walk back in history.
pub async fn rollback(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    slot: Slot,
) -> Result<ActivationRecord, TenantPluginError> {
    let storage = state.storage.clone();
    // The target depends on the current head; read it inside the retry loop.
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = storage
            .active_plugin(tenant, slot.as_str())
            .await?
            .ok_or(TenantPluginError::NothingToRollBack(slot))?;
        let position = current.restores_seq.unwrap_or(current.seq);
        if position <= 1 {
            return Err(TenantPluginError::NothingToRollBack(slot));
        }
        let target = storage
            .activation_at(tenant, slot.as_str(), position - 1)
            .await?
            .ok_or_else(|| {
                TenantPluginError::Corrupt(format!("{slot} activation {} missing", position - 1))
            })?;
        let plugin = get(&storage, tenant, target.plugin_id).await?;
        let change = Change {
            action: "rollback",
            plugin,
            params: parse_params(&target.params)?,
            budget: BudgetSetting::of(&target),
            restores_seq: Some(target.seq),
        };
        if let Some(done) = insert_change(state, tenant, actor, slot, &current, change).await? {
            return Ok(done);
        }
        if attempt >= MAX_ATTEMPTS {
            return Err(TenantPluginError::Busy(slot));
        }
    }
}

/// Loads a stored plugin and checks a configuration of it.
async fn configure(
    state: &AppState,
    tenant: TenantId,
    slot: Slot,
    plugin: &PluginRecord,
    params: &Params,
    budget: BudgetSetting,
) -> Result<Conformance, TenantPluginError> {
    let loaded = load(state, slot, &plugin.sha256)
        .await
        .map_err(|e| match e {
            TenantPluginError::Plugin(e) => TenantPluginError::Refused {
                slot,
                stage: "load",
                cause: Cause::Runtime(e),
            },
            other => other,
        })?;
    let identity = PluginIdentity {
        name: plugin.name.clone(),
        version: plugin.version.clone(),
        sha256: plugin.sha256.clone(),
    };
    check_configuration(
        state,
        tenant,
        loaded,
        identity,
        params,
        budget.effective(&state.runtime),
        None,
    )
    .await
}

/// Appends the change `make` builds from the current activation, retrying on concurrent
/// changes of the slot.
async fn append_change(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    slot: Slot,
    make: impl Fn(Option<&ActivationRecord>) -> Result<Change, TenantPluginError>,
) -> Result<ActivationRecord, TenantPluginError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = state.storage.active_plugin(tenant, slot.as_str()).await?;
        let change = make(current.as_ref())?;
        let done = match &current {
            Some(current) => insert_change(state, tenant, actor, slot, current, change).await?,
            None => insert_at(state, tenant, actor, slot, 1, change).await?,
        };
        if let Some(done) = done {
            return Ok(done);
        }
    }
    Err(TenantPluginError::Busy(slot))
}

async fn insert_change(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    slot: Slot,
    current: &ActivationRecord,
    change: Change,
) -> Result<Option<ActivationRecord>, TenantPluginError> {
    insert_at(state, tenant, actor, slot, current.seq + 1, change).await
}

/// Inserts the change at `seq`; `None` when that position was taken meanwhile. Once it is
/// in: appended to the audit chain, and the plan cache dropped.
async fn insert_at(
    state: &AppState,
    tenant: TenantId,
    actor: UserId,
    slot: Slot,
    seq: i64,
    change: Change,
) -> Result<Option<ActivationRecord>, TenantPluginError> {
    let (fuel, timeout_ms) = change.budget.columns();
    let inserted = state
        .storage
        .insert_activation(
            tenant,
            NewActivation {
                id: Uuid::now_v7(),
                slot: slot.as_str().to_owned(),
                seq,
                plugin_id: change.plugin.id,
                params: to_json(&change.params)?,
                action: change.action,
                fuel,
                timeout_ms,
                restores_seq: change.restores_seq,
                activated_by: Some(actor),
                activated_at: to_second(Utc::now()),
            },
        )
        .await?;
    let Some(activation) = inserted else {
        return Ok(None);
    };
    let effective: BudgetRecord = change.budget.effective(&state.runtime).into();
    let payload = json!({
        "action": change.action,
        "slot": slot.as_str(),
        "activation_id": activation.id,
        "seq": activation.seq,
        "restores_seq": activation.restores_seq,
        "plugin": {
            "id": change.plugin.id,
            "name": change.plugin.name,
            "version": change.plugin.version,
            "sha256": change.plugin.sha256,
        },
        "params": change.params,
        "budget": {
            "fuel": change.budget.fuel,
            "timeout_ms": change.budget.timeout_ms,
            "effective": effective,
        },
    });
    audit::append(
        &state.storage,
        tenant,
        EntryKind::PluginActivation,
        Some(actor),
        &payload,
    )
    .await?;
    state.plan_cache.invalidate(tenant).await;
    tracing::info!(%slot, seq = activation.seq, action = change.action, plugin = %change.plugin.id, "plugin configuration changed");
    Ok(Some(activation))
}

/// The active configuration of every slot (defaults provisioned where missing).
pub async fn active(
    storage: &DynStorage,
    tenant: TenantId,
) -> Result<Vec<ActivationRecord>, TenantPluginError> {
    let mut active = storage.active_plugins(tenant).await?;
    if Slot::ALL
        .iter()
        .any(|slot| !active.iter().any(|a| a.slot == slot.as_str()))
    {
        provision_defaults(storage, tenant).await?;
        active = storage.active_plugins(tenant).await?;
    }
    active.sort_by_key(|a| {
        Slot::ALL
            .iter()
            .position(|s| s.as_str() == a.slot)
            .unwrap_or(usize::MAX)
    });
    Ok(active)
}

/// A slot's activations, newest first (the default provisioned if there is none).
pub async fn history(
    storage: &DynStorage,
    tenant: TenantId,
    slot: Slot,
    page: PageRequest,
) -> Result<(Vec<ActivationRecord>, u64), TenantPluginError> {
    active_or_default(storage, tenant, slot).await?;
    Ok(storage
        .activation_history(tenant, slot.as_str(), page)
        .await?)
}

/// The parameters and budget of an activation, read back.
pub fn configuration_of(
    runtime: &Runtime,
    activation: &ActivationRecord,
) -> Result<(Params, BudgetSetting, BudgetRecord), TenantPluginError> {
    let setting = BudgetSetting::of(activation);
    Ok((
        parse_params(&activation.params)?,
        setting,
        setting.effective(runtime).into(),
    ))
}
