//! A loaded plugin of any slot, and what callers do without knowing which: its identity,
//! its budget, `describe` and `validate-params`.

use crate::assigner::AssignerPlugin;
use crate::cache::Sha256Digest;
use crate::call::CallOutcome;
use crate::error::Result;
use crate::payroll::PayrollPlugin;
use crate::rules::RulesPlugin;
use crate::sandbox::Budget;
use crate::slot::Slot;
use crate::types::{ParamError, Params, PluginInfo};

/// A loaded plugin of any slot, as [`crate::Runtime::load`] returns it.
#[derive(Debug, Clone)]
pub enum Plugin {
    /// A rules plugin.
    Rules(RulesPlugin),
    /// An assigner plugin.
    Assigner(AssignerPlugin),
    /// A payroll plugin.
    Payroll(PayrollPlugin),
}

impl Plugin {
    /// Its slot.
    pub fn slot(&self) -> Slot {
        match self {
            Plugin::Rules(_) => Slot::Rules,
            Plugin::Assigner(_) => Slot::Assigner,
            Plugin::Payroll(_) => Slot::Payroll,
        }
    }

    /// The sha256 of its bytes: its identity, recorded with every run.
    pub fn sha256(&self) -> Sha256Digest {
        match self {
            Plugin::Rules(p) => p.sha256(),
            Plugin::Assigner(p) => p.sha256(),
            Plugin::Payroll(p) => p.sha256(),
        }
    }

    /// Its `describe()`, computed once per loaded plugin and cached (the contract says it
    /// is constant).
    pub fn describe(&self) -> Result<PluginInfo> {
        match self {
            Plugin::Rules(p) => p.describe(),
            Plugin::Assigner(p) => p.describe(),
            Plugin::Payroll(p) => p.describe(),
        }
    }

    /// Its `validate-params(params)`: `Ok(Err(errors))` when the plugin refuses them.
    pub fn validate_params(
        &self,
        params: &Params,
    ) -> Result<CallOutcome<Result<(), Vec<ParamError>>>> {
        match self {
            Plugin::Rules(p) => p.validate_params(params),
            Plugin::Assigner(p) => p.validate_params(params),
            Plugin::Payroll(p) => p.validate_params(params),
        }
    }

    /// The budget each call gets.
    pub fn budget(&self) -> Budget {
        match self {
            Plugin::Rules(p) => p.budget(),
            Plugin::Assigner(p) => p.budget(),
            Plugin::Payroll(p) => p.budget(),
        }
    }

    /// The same plugin with a tenant's budget.
    pub fn with_budget(self, budget: Budget) -> Plugin {
        match self {
            Plugin::Rules(p) => Plugin::Rules(p.with_budget(budget)),
            Plugin::Assigner(p) => Plugin::Assigner(p.with_budget(budget)),
            Plugin::Payroll(p) => Plugin::Payroll(p.with_budget(budget)),
        }
    }

    /// `describe()` off the async executor.
    pub async fn describe_async(&self) -> Result<PluginInfo> {
        match self {
            Plugin::Rules(p) => p.describe_async().await,
            Plugin::Assigner(p) => p.describe_async().await,
            Plugin::Payroll(p) => p.describe_async().await,
        }
    }

    /// `validate-params(params)` off the async executor.
    pub async fn validate_params_async(
        &self,
        params: Params,
    ) -> Result<CallOutcome<Result<(), Vec<ParamError>>>> {
        match self {
            Plugin::Rules(p) => p.validate_params_async(params).await,
            Plugin::Assigner(p) => p.validate_params_async(params).await,
            Plugin::Payroll(p) => p.validate_params_async(params).await,
        }
    }

    /// The rules plugin, if it is one.
    pub fn into_rules(self) -> Option<RulesPlugin> {
        self.try_into().ok()
    }

    /// The assigner plugin, if it is one.
    pub fn into_assigner(self) -> Option<AssignerPlugin> {
        self.try_into().ok()
    }

    /// The payroll plugin, if it is one.
    pub fn into_payroll(self) -> Option<PayrollPlugin> {
        self.try_into().ok()
    }
}

/// A slot's plugin type, for code generic over the slot: its slot, the conversions from and
/// to [`Plugin`], and its budget. Sealed: the three slot types are the only ones.
pub trait SlotPlugin:
    Clone
    + std::fmt::Debug
    + Send
    + Sync
    + Into<Plugin>
    + TryFrom<Plugin, Error = Plugin>
    + sealed::Sealed
{
    /// The slot it fills.
    const SLOT: Slot;

    /// The sha256 of its bytes.
    fn sha256(&self) -> Sha256Digest;

    /// The budget each call gets.
    fn budget(&self) -> Budget;

    /// The same plugin with a tenant's budget.
    fn with_budget(self, budget: Budget) -> Self;

    /// `describe()`, cached after the first call (blocking: see [`Plugin::describe_async`]).
    fn describe(&self) -> Result<PluginInfo>;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! slot_plugin {
    ($plugin:ident, $variant:ident) => {
        impl sealed::Sealed for $plugin {}

        impl SlotPlugin for $plugin {
            const SLOT: Slot = Slot::$variant;

            fn sha256(&self) -> Sha256Digest {
                $plugin::sha256(self)
            }

            fn budget(&self) -> Budget {
                $plugin::budget(self)
            }

            fn with_budget(self, budget: Budget) -> Self {
                $plugin::with_budget(self, budget)
            }

            fn describe(&self) -> Result<PluginInfo> {
                $plugin::describe(self)
            }
        }

        impl From<$plugin> for Plugin {
            fn from(plugin: $plugin) -> Plugin {
                Plugin::$variant(plugin)
            }
        }

        /// The slot's plugin, or the plugin back when it is of another slot.
        impl TryFrom<Plugin> for $plugin {
            type Error = Plugin;

            fn try_from(plugin: Plugin) -> std::result::Result<Self, Plugin> {
                match plugin {
                    Plugin::$variant(p) => Ok(p),
                    other => Err(other),
                }
            }
        }
    };
}

slot_plugin!(RulesPlugin, Rules);
slot_plugin!(AssignerPlugin, Assigner);
slot_plugin!(PayrollPlugin, Payroll);
