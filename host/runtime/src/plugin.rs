//! What all slots share: the slot itself, the checks a binary must pass before it is
//! accepted for a slot, the loaded plugin's core, and one call's outcome.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use wasmtime::Store;
use wasmtime::component::Component;

use crate::assigner::AssignerPlugin;
use crate::cache::Sha256Digest;
use crate::error::{Error, Result};
use crate::payroll::PayrollPlugin;
use crate::rules::RulesPlugin;
use crate::runtime::Inner;
use crate::sandbox::{self, Budget, HasLimiter, Limiter, Permit};
use crate::size;
use crate::types::{ParamError, Params, PluginInfo};

/// The contract versions this host supports; a component must import exactly these.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// A plugin slot: which world a component must implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// World `rules`: evaluates schedules and plans against the tenant's rules.
    Rules,
    /// World `assigner`: builds a plan, scored through `tenant-rules`.
    Assigner,
    /// World `payroll`: computes payslips.
    Payroll,
}

impl Slot {
    /// Every slot.
    pub const ALL: [Slot; 3] = [Slot::Rules, Slot::Assigner, Slot::Payroll];

    /// The slot's name, which is also its WIT world's name: "rules", "assigner", "payroll".
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Rules => "rules",
            Slot::Assigner => "assigner",
            Slot::Payroll => "payroll",
        }
    }

    /// The only imports a component of this slot may have. `types` carries no function
    /// (type definitions only); `tenant-rules` is implemented by the host.
    pub fn allowed_imports(self) -> Vec<String> {
        let mut allowed = vec![format!("callsheet:plugins/types@{CONTRACT_VERSION}")];
        if self == Slot::Assigner {
            allowed.push(format!("callsheet:plugins/tenant-rules@{CONTRACT_VERSION}"));
        }
        allowed
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Slot {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Slot::ALL
            .into_iter()
            .find(|slot| slot.as_str() == s)
            .ok_or_else(|| Error::invalid(format!("unknown slot {s:?}")))
    }
}

/// What a call returned, with the fuel it used (deterministic: record it with the run).
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutcome<T> {
    /// The call's result.
    pub value: T,
    /// Fuel consumed by the call, instantiation included.
    pub fuel_used: u64,
}

impl<T> CallOutcome<T> {
    /// The same outcome with its value transformed.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> CallOutcome<U> {
        CallOutcome {
            value: f(self.value),
            fuel_used: self.fuel_used,
        }
    }
}

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

    /// The rules plugin, if it is one.
    pub fn into_rules(self) -> Option<RulesPlugin> {
        if let Plugin::Rules(p) = self {
            Some(p)
        } else {
            None
        }
    }

    /// The assigner plugin, if it is one.
    pub fn into_assigner(self) -> Option<AssignerPlugin> {
        if let Plugin::Assigner(p) = self {
            Some(p)
        } else {
            None
        }
    }

    /// The payroll plugin, if it is one.
    pub fn into_payroll(self) -> Option<PayrollPlugin> {
        if let Plugin::Payroll(p) = self {
            Some(p)
        } else {
            None
        }
    }
}

/// The part of a loaded plugin that does not depend on the caller: the pre-linked
/// component (typed `*Pre`, reused for every instantiation) and its cached description.
/// Holds no reference to the runtime, so the runtime can cache it without a cycle.
pub(crate) struct Core<P> {
    pub sha256: Sha256Digest,
    pub pre: P,
    pub info: OnceLock<PluginInfo>,
}

impl<P> Core<P> {
    pub(crate) fn new(sha256: Sha256Digest, pre: P) -> Arc<Self> {
        Arc::new(Core {
            sha256,
            pre,
            info: OnceLock::new(),
        })
    }
}

/// Store data of a rules or payroll instance: only the limiter (they import nothing).
pub(crate) struct GuestState {
    pub limiter: Limiter,
}

impl HasLimiter for GuestState {
    fn limiter(&mut self) -> &mut Limiter {
        &mut self.limiter
    }
}

/// First checks on a binary, before compiling: size, and that it is a component at all
/// (with a hint for the common mistake of uploading a core module).
pub(crate) fn check_binary(rt: &Inner, bytes: &[u8]) -> Result<()> {
    let limit = rt.config.max_binary_bytes;
    if bytes.len() > limit {
        return Err(Error::invalid(format!(
            "binary is {} bytes, over the {limit}-byte limit",
            bytes.len()
        )));
    }
    const MAGIC: &[u8] = b"\0asm";
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(Error::invalid("not a WebAssembly binary"));
    }
    // Bytes 4..8: version and layer; a core module is layer 0, a component layer 1.
    if bytes[6..8] == [0, 0] {
        return Err(Error::invalid(
            "a core WebAssembly module, not a component: build for wasm32-wasip2 (or wrap it \
             with `wasm-tools component new`)",
        ));
    }
    Ok(())
}

/// Refuses a component that imports anything its slot's world does not: WASI (files,
/// clocks, random, sockets, stdio), other interfaces, other contract versions. Names every
/// forbidden import, so the author knows what to remove.
pub(crate) fn check_imports(rt: &Inner, component: &Component, slot: Slot) -> Result<()> {
    let allowed = slot.allowed_imports();
    let forbidden: Vec<String> = component
        .component_type()
        .imports(&rt.engine)
        .map(|(name, _)| name.to_string())
        .filter(|name| !allowed.contains(name))
        .collect();
    if forbidden.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "imports {} not allowed in the {slot} world (allowed: {}){}",
        forbidden.join(", "),
        allowed.join(", "),
        if forbidden.iter().any(|n| n.starts_with("wasi:")) {
            "; plugins get no WASI: build the guest no_std (see wit/README.md)"
        } else {
            ""
        }
    )))
}

/// Turns an export-typing failure from a typed `*Pre::new` into a clear refusal.
pub(crate) fn wrong_world(slot: Slot, err: wasmtime::Error) -> Error {
    Error::invalid(format!(
        "does not implement the {slot} world of callsheet:plugins@{CONTRACT_VERSION}: {err:#}"
    ))
}

/// Sanity checks on what `describe()` returned, at validation.
pub(crate) fn check_info(rt: &Inner, info: &PluginInfo) -> Result<()> {
    size::check_output("plugin-info", info, rt.config.max_output_bytes)?;
    if info.name.trim().is_empty() || info.version.trim().is_empty() {
        return Err(Error::output("describe() must give a name and a version"));
    }
    let mut ids: Vec<&str> = info.rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(dup) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::output(format!(
            "describe() declares rule {:?} twice",
            dup[0]
        )));
    }
    let mut names: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    if let Some(dup) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::output(format!(
            "describe() declares parameter {:?} twice",
            dup[0]
        )));
    }
    Ok(())
}

/// One call on a fresh instance: a new store armed with `budget`, instantiate, call, count
/// the fuel. A fresh instance per call keeps calls independent (nothing a call leaves in
/// guest memory reaches the next), which replay relies on; the pooling allocator and the
/// pre-linked component make that cost microseconds.
pub(crate) fn call_fresh<S, I, R>(
    rt: &Inner,
    _permit: &Permit,
    data: S,
    budget: &Budget,
    instantiate: impl FnOnce(&mut Store<S>) -> wasmtime::Result<I>,
    call: impl FnOnce(&mut Store<S>, &I) -> wasmtime::Result<R>,
) -> Result<CallOutcome<R>>
where
    S: HasLimiter,
{
    let mut store = sandbox::store(&rt.engine, &rt.config, data, budget)?;
    rt.stats.bump(|s| s.instantiations += 1);
    let instance = sandbox::guarded(&mut store, budget, instantiate)?;
    let value = sandbox::guarded(&mut store, budget, |store| call(store, &instance))?;
    Ok(CallOutcome {
        value,
        fuel_used: sandbox::fuel_used(&store, budget),
    })
}

/// A plugin's own error, with the fuel it had used.
pub(crate) fn plugin_error(error: crate::types::PluginError, fuel_used: u64) -> Error {
    Error::Plugin { error, fuel_used }
}

/// What every slot's plugin type has in common: construction, identity, budget, `Debug`,
/// and the two calls every world exports (`describe`, `validate-params`), sync and async.
///
/// The slot types differ only in their generated bindings and store state, which a
/// generic type cannot abstract over (each world's bindings are distinct types with the
/// same method names), so this is a macro. The type must have the fields `rt`, `core` and
/// `budget`, and a `fresh_state()` method giving the store state of a one-off call.
macro_rules! common_calls {
    ($plugin:ident) => {
        impl std::fmt::Debug for $plugin {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($plugin))
                    .field("sha256", &hex::encode(self.core.sha256))
                    .field("budget", &self.budget)
                    .finish()
            }
        }

        impl $plugin {
            pub(crate) fn new(
                rt: std::sync::Arc<crate::runtime::Inner>,
                core: std::sync::Arc<crate::plugin::Core<Pre>>,
                budget: crate::sandbox::Budget,
            ) -> Self {
                $plugin { rt, core, budget }
            }

            /// The sha256 of its bytes.
            pub fn sha256(&self) -> crate::cache::Sha256Digest {
                self.core.sha256
            }

            /// The budget each call gets (see the type's documentation for its scope).
            pub fn budget(&self) -> crate::sandbox::Budget {
                self.budget
            }

            /// The same plugin with a tenant's budget.
            pub fn with_budget(mut self, budget: crate::sandbox::Budget) -> Self {
                self.budget = budget;
                self
            }

            /// `describe()`, cached after the first call.
            pub fn describe(&self) -> crate::error::Result<crate::types::PluginInfo> {
                if let Some(info) = self.core.info.get() {
                    return Ok(info.clone());
                }
                let permit = self.rt.gate.acquire_blocking(1)?;
                self.describe_with(&permit)
            }

            pub(crate) fn describe_with(
                &self,
                permit: &crate::sandbox::Permit,
            ) -> crate::error::Result<crate::types::PluginInfo> {
                let outcome = crate::plugin::call_fresh(
                    &self.rt,
                    permit,
                    self.fresh_state(),
                    &self.budget,
                    |store| self.core.pre.instantiate(store),
                    |store, guest| guest.callsheet_plugins_plugin().call_describe(store),
                )?;
                crate::size::check_output(
                    "plugin-info",
                    &outcome.value,
                    self.rt.config.max_output_bytes,
                )?;
                Ok(self.core.info.get_or_init(|| outcome.value).clone())
            }

            /// `validate-params(params)`: `value` is `Err(errors)` when the plugin refuses them.
            pub fn validate_params(
                &self,
                params: &crate::types::Params,
            ) -> crate::error::Result<
                crate::plugin::CallOutcome<Result<(), Vec<crate::types::ParamError>>>,
            > {
                let permit = self.rt.gate.acquire_blocking(1)?;
                self.validate_params_with(&permit, params)
            }

            fn validate_params_with(
                &self,
                permit: &crate::sandbox::Permit,
                params: &crate::types::Params,
            ) -> crate::error::Result<
                crate::plugin::CallOutcome<Result<(), Vec<crate::types::ParamError>>>,
            > {
                crate::size::check_input("params", params, self.rt.config.max_input_bytes)?;
                let outcome = crate::plugin::call_fresh(
                    &self.rt,
                    permit,
                    self.fresh_state(),
                    &self.budget,
                    |store| self.core.pre.instantiate(store),
                    |store, guest| {
                        guest
                            .callsheet_plugins_plugin()
                            .call_validate_params(store, params)
                    },
                )?;
                crate::size::check_output(
                    "param errors",
                    &outcome.value,
                    self.rt.config.max_output_bytes,
                )?;
                Ok(outcome)
            }

            /// `describe()` off the async executor.
            pub async fn describe_async(&self) -> crate::error::Result<crate::types::PluginInfo> {
                if let Some(info) = self.core.info.get() {
                    return Ok(info.clone());
                }
                let this = self.clone();
                self.rt
                    .gate
                    .run(1, move |permit| this.describe_with(&permit))
                    .await
            }

            /// `validate-params(params)` off the async executor.
            pub async fn validate_params_async(
                &self,
                params: crate::types::Params,
            ) -> crate::error::Result<
                crate::plugin::CallOutcome<Result<(), Vec<crate::types::ParamError>>>,
            > {
                let this = self.clone();
                self.rt
                    .gate
                    .run(1, move |permit| this.validate_params_with(&permit, &params))
                    .await
            }
        }
    };
}

pub(crate) use common_calls;
