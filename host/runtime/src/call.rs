//! The lower layer of every slot's plugin type: the engine handle a plugin holds, its
//! pre-linked core, one call's outcome and the fresh-instance call they all make.

use std::sync::{Arc, OnceLock};

use wasmtime::{Engine, Store};

use crate::cache::Sha256Digest;
use crate::error::{Error, Result};
use crate::sandbox::{
    self, Budget, EpochTicker, Gate, HasLimiter, Limiter, Permit, RuntimeConfig, Stats,
};
use crate::types::PluginInfo;

/// What a loaded plugin needs of the runtime to make calls: the engine, the limits, the
/// concurrency gate and the counters. The runtime's caches and linkers stay above, in
/// [`crate::Runtime`], so a plugin handle does not reach them.
pub(crate) struct EngineHandle {
    pub engine: Engine,
    pub config: RuntimeConfig,
    pub gate: Gate,
    pub stats: Stats,
    // Last field: dropped last, after everything that may still call into the engine; a
    // plugin handle keeps it (and so the epoch thread) alive.
    pub _ticker: EpochTicker,
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

/// One call on a fresh instance: a new store armed with `budget`, instantiate, call, count
/// the fuel. A fresh instance per call keeps calls independent (nothing a call leaves in
/// guest memory reaches the next), which replay relies on; the pooling allocator and the
/// pre-linked component make that cost microseconds.
pub(crate) fn call_fresh<S, I, R>(
    rt: &EngineHandle,
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
                rt: std::sync::Arc<crate::call::EngineHandle>,
                core: std::sync::Arc<crate::call::Core<Pre>>,
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
                let outcome = crate::call::call_fresh(
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
                crate::call::CallOutcome<Result<(), Vec<crate::types::ParamError>>>,
            > {
                let permit = self.rt.gate.acquire_blocking(1)?;
                self.validate_params_with(&permit, params)
            }

            fn validate_params_with(
                &self,
                permit: &crate::sandbox::Permit,
                params: &crate::types::Params,
            ) -> crate::error::Result<
                crate::call::CallOutcome<Result<(), Vec<crate::types::ParamError>>>,
            > {
                crate::size::check_input("params", params, self.rt.config.max_input_bytes)?;
                let outcome = crate::call::call_fresh(
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
                crate::call::CallOutcome<Result<(), Vec<crate::types::ParamError>>>,
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
