//! The tenant's plugins as the engine takes them: loaded, with their parameters, budget
//! and identity (name, version, sha256), which every run records.

use std::time::Duration;

use callsheet_runtime::types::Params;
use callsheet_runtime::{AssignerPlugin, Budget, RulesPlugin, Runtime, SlotPlugin};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Who a plugin is: what the audit log records with every run and every conflict.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PluginIdentity {
    /// Its `describe().name`: "callsheet-rules-fr".
    pub name: String,
    /// Its `describe().version`.
    pub version: String,
    /// The sha256 of its bytes, lowercase hex: the identity that cannot lie.
    pub sha256: String,
}

/// A budget as recorded: fuel (deterministic) and the wall-clock backstop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetRecord {
    /// Fuel per call (for the rules plugin under an assigner: for the whole run).
    pub fuel: u64,
    /// Wall-clock deadline, milliseconds.
    pub timeout_ms: u64,
}

impl From<Budget> for BudgetRecord {
    fn from(b: Budget) -> Self {
        BudgetRecord {
            fuel: b.fuel,
            timeout_ms: u64::try_from(b.timeout.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

impl From<BudgetRecord> for Budget {
    fn from(b: BudgetRecord) -> Self {
        Budget {
            fuel: b.fuel,
            timeout: Duration::from_millis(b.timeout_ms),
        }
    }
}

/// A loaded plugin with the tenant's parameters and budget for it.
#[derive(Debug, Clone)]
pub struct Configured<P> {
    /// The plugin, its budget applied.
    pub plugin: P,
    /// The tenant's parameters for it (absent ones take the plugin's defaults).
    pub params: Params,
    /// Its identity, from `describe()` and its bytes.
    pub identity: PluginIdentity,
}

impl<P: SlotPlugin> Configured<P> {
    /// Loads a plugin of `P`'s slot (compiled once, cached by sha256 in the runtime) with
    /// `budget` and describes it.
    pub fn load(runtime: &Runtime, bytes: &[u8], params: Params, budget: Budget) -> Result<Self> {
        let plugin = P::try_from(runtime.load(P::SLOT, bytes)?)
            .map_err(|_| callsheet_runtime::Error::Runtime(format!("not a {} plugin", P::SLOT)))?
            .with_budget(budget);
        let info = plugin.describe()?;
        Ok(Configured {
            identity: PluginIdentity {
                name: info.name,
                version: info.version,
                sha256: hex::encode(plugin.sha256()),
            },
            plugin,
            params,
        })
    }

    /// Its budget.
    pub fn budget(&self) -> Budget {
        self.plugin.budget()
    }
}

impl Configured<RulesPlugin> {
    /// [`Configured::load`] for a rules plugin.
    pub fn rules(runtime: &Runtime, bytes: &[u8], params: Params, budget: Budget) -> Result<Self> {
        Self::load(runtime, bytes, params, budget)
    }
}

impl Configured<AssignerPlugin> {
    /// [`Configured::load`] for an assigner plugin.
    pub fn assigner(
        runtime: &Runtime,
        bytes: &[u8],
        params: Params,
        budget: Budget,
    ) -> Result<Self> {
        Self::load(runtime, bytes, params, budget)
    }
}
