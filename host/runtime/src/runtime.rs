//! [`Runtime`]: the engine, its linkers, the caches and the concurrency gate, shared by
//! every loaded plugin.

use std::fmt;
use std::sync::{Arc, Mutex};

use wasmtime::component::{HasSelf, Linker};

use crate::assigner::{self, AssignerPlugin, AssignerState};
use crate::bindings;
use crate::cache::{self, CompileCache, Lru, Sha256Digest};
use crate::call::{Core, EngineHandle, GuestState};
use crate::error::{Error, Result};
use crate::payroll::{self, PayrollPlugin};
use crate::plugin::Plugin;
use crate::rules::{self, RulesPlugin};
use crate::sandbox::{self, EpochTicker, Gate, RuntimeConfig, RuntimeStats, Stats};
use crate::slot::{self, Slot};
use crate::types::PluginInfo;

/// The plugin runtime: one per process, cheap to clone (an `Arc`), shared by every tenant.
///
/// It owns the engine (configured by [`crate::sandbox`]), the compile cache, the cache of
/// loaded plugins, the epoch thread and the concurrency gate. Dropping the last clone (and
/// every plugin handle, which each hold one) stops the epoch thread.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    cache: CompileCache,
    /// Rules and payroll instances import nothing callable: an empty linker.
    guest_linker: Linker<GuestState>,
    /// Assigner instances get `tenant-rules`, and nothing else.
    assigner_linker: Linker<AssignerState>,
    /// Loaded plugins (pre-linked, described), so loading the same bytes again, or getting
    /// a plugin by its sha256, costs a map lookup.
    loaded: Mutex<Lru<(Slot, Sha256Digest), Loaded>>,
    /// Held while a plugin missing from `loaded` is compiled and linked: concurrent first
    /// uses of one plugin (a hundred requests after a start) compile it once, not a
    /// hundred times, and compilations (CPU-bound, seconds) queue instead of thrashing.
    linking: Mutex<()>,
    /// What plugin handles share (engine, limits, gate, counters). Last field: dropped
    /// after the caches that hold compiled code of its engine.
    handle: Arc<EngineHandle>,
}

/// A loaded plugin's core, any slot.
#[derive(Clone)]
enum Loaded {
    Rules(Arc<Core<rules::Pre>>),
    Assigner(Arc<Core<assigner::Pre>>),
    Payroll(Arc<Core<payroll::Pre>>),
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.inner.handle.config)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Starts a runtime: builds the engine with the sandbox policy, the linkers, the
    /// caches (creating `cache_dir` if set) and the epoch thread.
    pub fn new(config: RuntimeConfig) -> Result<Runtime> {
        let engine = sandbox::engine(&config)?;
        let guest_linker = Linker::new(&engine);
        let mut assigner_linker = Linker::new(&engine);
        bindings::assigner::Assigner::add_to_linker::<AssignerState, HasSelf<AssignerState>>(
            &mut assigner_linker,
            |state| state,
        )
        .map_err(Error::runtime)?;
        let cache = CompileCache::new(
            &engine,
            config.cache_dir.clone(),
            config.max_cached_components,
        )?;
        let ticker = EpochTicker::start(&engine, config.epoch_tick)?;
        Ok(Runtime {
            inner: Arc::new(Inner {
                loaded: Mutex::new(Lru::new(config.max_cached_components.saturating_mul(3))),
                linking: Mutex::new(()),
                cache,
                guest_linker,
                assigner_linker,
                handle: Arc::new(EngineHandle {
                    gate: Gate::new(config.max_instances),
                    stats: Stats::default(),
                    engine,
                    config,
                    _ticker: ticker,
                }),
            }),
        })
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.handle.config
    }

    /// Counters: compilations, cache hits, instantiations.
    pub fn stats(&self) -> RuntimeStats {
        self.inner.handle.stats.get()
    }

    /// Loads a plugin for `slot`: checks the binary (size, a component), compiles it or
    /// takes it from the cache, refuses any import outside the slot's world, checks it
    /// exports the world, and pre-links it. Runs no guest code. CPU-heavy on a cache miss
    /// (Cranelift): from async code use [`Runtime::load_async`].
    pub fn load(&self, slot: Slot, bytes: &[u8]) -> Result<Plugin> {
        slot::check_binary(&self.inner.handle, bytes)?;
        let sha = cache::sha256(bytes);
        let loaded = match self.cached(slot, &sha) {
            Some(loaded) => {
                self.inner.handle.stats.bump(|s| s.memory_hits += 1);
                loaded
            }
            None => {
                let _linking = self
                    .inner
                    .linking
                    .lock()
                    .map_err(|_| Error::runtime("plugin loading poisoned by a panic"))?;
                // Someone may have linked it while we waited.
                match self.cached(slot, &sha) {
                    Some(loaded) => {
                        self.inner.handle.stats.bump(|s| s.memory_hits += 1);
                        loaded
                    }
                    None => {
                        let loaded = self.link(slot, &sha, bytes)?;
                        if let Ok(mut cache) = self.inner.loaded.lock() {
                            cache.insert((slot, sha), loaded.clone());
                        }
                        loaded
                    }
                }
            }
        };
        Ok(self.handle(loaded))
    }

    /// A plugin loaded before and still cached, by its sha256, without its bytes. `None`
    /// when it was never loaded or was evicted: load it again from storage.
    pub fn get(&self, slot: Slot, sha256: &Sha256Digest) -> Option<Plugin> {
        self.cached(slot, sha256).map(|loaded| self.handle(loaded))
    }

    /// [`Runtime::load`] for a rules plugin.
    pub fn load_rules(&self, bytes: &[u8]) -> Result<RulesPlugin> {
        Ok(self
            .load(Slot::Rules, bytes)?
            .into_rules()
            .expect("loaded for the rules slot"))
    }

    /// [`Runtime::load`] for an assigner plugin.
    pub fn load_assigner(&self, bytes: &[u8]) -> Result<AssignerPlugin> {
        Ok(self
            .load(Slot::Assigner, bytes)?
            .into_assigner()
            .expect("loaded for the assigner slot"))
    }

    /// [`Runtime::load`] for a payroll plugin.
    pub fn load_payroll(&self, bytes: &[u8]) -> Result<PayrollPlugin> {
        Ok(self
            .load(Slot::Payroll, bytes)?
            .into_payroll()
            .expect("loaded for the payroll slot"))
    }

    /// Validates an upload for `slot`: everything [`Runtime::load`] checks, then one
    /// `describe()` call under the default budget, whose answer must be coherent (a name,
    /// a version, no duplicate rule or parameter). Returns the description to show and
    /// store. The conformance run on a sample problem comes on top, through the slot's API.
    pub fn validate(&self, slot: Slot, bytes: &[u8]) -> Result<PluginInfo> {
        let info = self.load(slot, bytes)?.describe()?;
        slot::check_info(&self.inner.handle, &info)?;
        Ok(info)
    }

    /// [`Runtime::load`] on a blocking thread (compiling takes seconds).
    pub async fn load_async(&self, slot: Slot, bytes: Arc<[u8]>) -> Result<Plugin> {
        let rt = self.clone();
        sandbox::offload(move || rt.load(slot, &bytes)).await
    }

    /// [`Runtime::validate`] on a blocking thread, with the guest's `describe()` off the
    /// executor as well.
    pub async fn validate_async(&self, slot: Slot, bytes: Arc<[u8]>) -> Result<PluginInfo> {
        let rt = self.clone();
        sandbox::offload(move || rt.validate(slot, &bytes)).await
    }

    fn cached(&self, slot: Slot, sha: &Sha256Digest) -> Option<Loaded> {
        self.inner.loaded.lock().ok()?.get(&(slot, *sha))
    }

    fn link(&self, slot: Slot, sha: &Sha256Digest, bytes: &[u8]) -> Result<Loaded> {
        let inner = &self.inner;
        let component =
            inner
                .cache
                .get_or_compile(&inner.handle.engine, sha, bytes, &inner.handle.stats)?;
        slot::check_imports(&inner.handle, &component, slot)?;
        let cannot_link = |e: wasmtime::Error| Error::invalid(format!("cannot be linked: {e:#}"));
        Ok(match slot {
            Slot::Rules => {
                let pre = inner
                    .guest_linker
                    .instantiate_pre(&component)
                    .map_err(cannot_link)?;
                let pre = rules::Pre::new(pre).map_err(|e| slot::wrong_world(slot, e))?;
                Loaded::Rules(Core::new(*sha, pre))
            }
            Slot::Payroll => {
                let pre = inner
                    .guest_linker
                    .instantiate_pre(&component)
                    .map_err(cannot_link)?;
                let pre = payroll::Pre::new(pre).map_err(|e| slot::wrong_world(slot, e))?;
                Loaded::Payroll(Core::new(*sha, pre))
            }
            Slot::Assigner => {
                let pre = inner
                    .assigner_linker
                    .instantiate_pre(&component)
                    .map_err(cannot_link)?;
                let pre = assigner::Pre::new(pre).map_err(|e| slot::wrong_world(slot, e))?;
                Loaded::Assigner(Core::new(*sha, pre))
            }
        })
    }

    fn handle(&self, loaded: Loaded) -> Plugin {
        let rt = self.inner.handle.clone();
        let budget = rt.config.default_budget;
        match loaded {
            Loaded::Rules(core) => Plugin::Rules(RulesPlugin::new(rt, core, budget)),
            Loaded::Assigner(core) => Plugin::Assigner(AssignerPlugin::new(rt, core, budget)),
            Loaded::Payroll(core) => Plugin::Payroll(PayrollPlugin::new(rt, core, budget)),
        }
    }
}
