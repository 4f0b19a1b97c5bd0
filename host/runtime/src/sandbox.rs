//! The sandbox policy, all of it in one place: how the engine is configured, what a store
//! may consume, how long a call may run, and how many instances may exist at once.
//!
//! The choices, and why:
//! - **Nothing is granted.** Linkers are created empty and only the world's own imports are
//!   added (`tenant-rules` for assigners, implemented by the host); no WASI at all, so a
//!   guest has no clock, randomness, files, network or environment, and every call is a
//!   pure function of its arguments. Anything else is refused at load (see `plugin.rs`).
//! - **Fuel** (deterministic, recorded with every call) bounds the work a call may do;
//!   the same call with the same budget uses the same fuel on every machine.
//! - **Epoch deadline** is the wall-clock backstop, for a fuel budget set larger than the
//!   machine burns in the timeout. One OS thread ticks the engine's epoch every
//!   `epoch_tick`; a call's deadline is `timeout / epoch_tick` ticks (rounded up, plus one
//!   because the current tick may be almost over), so it fires between `timeout` and
//!   `timeout + epoch_tick`. Epoch checks cost far less than a timer signal per call.
//! - **Memory cap** per store through a resource limiter that wraps [`StoreLimits`] and
//!   turns a refused growth into a typed trap (see `Limiter`): a Rust guest aborts
//!   anyway when its allocator fails, and a precise `PLUGIN_MEMORY_LIMIT` beats the
//!   `unreachable` the abort would give.
//! - **Pooling allocator** with slots sized to the real cap (`memory_reservation` =
//!   `max_memory_size` = `memory_bytes`, a 2 MiB guard) instead of wasmtime's 4 GiB
//!   reservations: no mmap per instance, copy-on-write memory images, freed slots reset
//!   in place (see `KEEP_RESIDENT`), so instantiate + a trivial call is ~15-25 us; the
//!   address space reserved is `max_instances x memory_bytes`, not `x 4 GiB`. The price is
//!   explicit bounds checks in compiled code (a 4 GiB reservation would elide them), to be
//!   weighed in the WASM-vs-native benchmark.
//! - **Concurrency** is capped by a semaphore with as many permits as the pool has
//!   component instances, so a burst of calls queues instead of failing on an exhausted
//!   pool. An assigner's run takes two permits (assigner + rules) at once, never one then
//!   the other, so two runs cannot deadlock each holding one.
//! - **Determinism**: NaN canonicalisation, deterministic relaxed SIMD; threads and shared
//!   memory are not even compiled in (no `threads` feature). Component-model concurrency
//!   (async) is off (`concurrency_support(false)`, no `component-model-async` feature): it
//!   costs 50-100x per call and guests have nothing to wait on.
//! - **Guest code never runs on async worker threads**: the async API moves each call to
//!   `spawn_blocking` (see `Gate::run`), so a spinning guest occupies a blocking thread
//!   until its deadline, never an executor worker.

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{
    Config, Enabled, Engine, EngineWeak, InstanceAllocationStrategy, PoolingAllocationConfig,
    ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, WasmBacktraceDetails,
};

use crate::error::{CallLimits, Error, LimitExceeded, Result, classify};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// How the runtime is configured: the sandbox limits, set once per process.
///
/// The per-call limits (fuel, time) are a [`Budget`], which a tenant may override per
/// plugin; everything here is a property of the process.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Cap on a store's linear memory, in bytes (all its memories together). Also the size
    /// of each pooling-allocator memory slot. Default 128 MiB: the largest problems
    /// (5,000 places, 1,000 technicians) are ~10 MB on the wire and a guest keeps an owned
    /// copy plus its indexes.
    pub memory_bytes: usize,
    /// Cap on the elements of any table. Rust guests need a few thousand (one per function
    /// whose address is taken). Default 20,000.
    pub table_elements: usize,
    /// Component instances alive at once across the process: the pool's size and the
    /// number of calls that may run concurrently (an assigner's run counts two). Default 32.
    pub max_instances: u32,
    /// Largest plugin binary accepted, in bytes. Default 16 MiB.
    pub max_binary_bytes: usize,
    /// Largest input sent to a plugin in one call (estimated serialized size). Default
    /// 32 MiB.
    pub max_input_bytes: usize,
    /// Largest output accepted from a plugin call (estimated serialized size). Default
    /// 32 MiB.
    pub max_output_bytes: usize,
    /// Wasm stack available to a guest, in bytes. Default 512 KiB: deep enough for any
    /// reasonable recursion, and an assigner plus its nested rules call (two stacks on
    /// one OS thread) fit in tokio's 2 MiB blocking threads.
    pub max_wasm_stack: usize,
    /// How often the epoch thread ticks. Default 10 ms: timeouts are precise to that.
    pub epoch_tick: Duration,
    /// Budget of a call when the tenant sets none.
    pub default_budget: Budget,
    /// Where compiled components are kept across restarts; `None` keeps them in memory
    /// only. Entries are named by the plugin's sha256 and the engine's compatibility hash.
    pub cache_dir: Option<PathBuf>,
    /// Compiled components kept in memory (least recently used evicted). Default 64.
    pub max_cached_components: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            memory_bytes: 128 * MIB,
            table_elements: 20_000,
            max_instances: 32,
            max_binary_bytes: 16 * MIB,
            max_input_bytes: 32 * MIB,
            max_output_bytes: 32 * MIB,
            max_wasm_stack: 512 * KIB,
            epoch_tick: Duration::from_millis(10),
            default_budget: Budget::default(),
            cache_dir: None,
            max_cached_components: 64,
        }
    }
}

/// What one plugin call may consume: configurable per tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Fuel: roughly one unit per wasm instruction. Deterministic, so it is what limits a
    /// call in practice, and what is recorded. Default 20 billion: 8 to 16 s of guest code
    /// on the 2-core machine of `docs/plugins.md` ("Budgets"), which burns 1.2 to 2.5
    /// billion a second; a faster core burns it faster, the work it buys stays the same.
    pub fuel: u64,
    /// Wall-clock backstop. Default 60 s.
    pub timeout: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            fuel: 20_000_000_000,
            timeout: Duration::from_secs(60),
        }
    }
}

impl Budget {
    pub(crate) fn limits(&self) -> CallLimits {
        CallLimits {
            fuel: self.fuel,
            timeout: self.timeout,
        }
    }
}

/// Core instances, memories and tables a component may hold. A no-WASI Rust component has
/// one module, sometimes with a shim and a fixup module for its imports; these leave room
/// for small composed components without letting one component take the pool.
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;
const MEMORIES_PER_COMPONENT: u32 = 2;
const TABLES_PER_COMPONENT: u32 = 8;

/// Bytes of a freed slot's memory (and tables) kept mapped and reset in place rather than
/// returned to the OS, so the next instance takes no page faults there: about half the
/// cost of a small call (30 us -> 15 us measured). Only with Linux's `PAGEMAP_SCAN` (6.7+),
/// which resets just the pages the guest dirtied; without it wasmtime would `memset` the
/// whole region on every reuse, slower than the page faults, so we keep the default (0).
/// 4 MiB covers a Rust guest's 1 MiB shadow stack, its data and its first heap pages.
const KEEP_RESIDENT: usize = 4 * MIB;

/// Builds the engine with the whole policy above.
pub(crate) fn engine(config: &RuntimeConfig) -> Result<Engine> {
    if config.memory_bytes < 64 * KIB || config.max_instances == 0 {
        return Err(Error::runtime(
            "memory_bytes must be >= 64 KiB and max_instances >= 1",
        ));
    }
    if config.epoch_tick.is_zero() {
        return Err(Error::runtime("epoch_tick must be > 0"));
    }
    let memory = config.memory_bytes as u64;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(config.max_instances)
        .total_core_instances(config.max_instances * CORE_INSTANCES_PER_COMPONENT)
        .total_memories(config.max_instances * MEMORIES_PER_COMPONENT)
        .total_tables(config.max_instances * TABLES_PER_COMPONENT)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        .max_memory_size(config.memory_bytes)
        .table_elements(config.table_elements)
        .pagemap_scan(Enabled::Auto);
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT);
    }

    let mut wasm = Config::new();
    wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .memory_reservation(memory)
        .memory_reservation_for_growth(0)
        .memory_guard_size(2 * MIB as u64)
        .memory_may_move(false)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(config.max_wasm_stack)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .wasm_memory64(false)
        .wasm_component_model(true)
        .concurrency_support(false)
        // Backtraces name wasm function indices; parsing DWARF would make compiled code
        // (and so the cache key) depend on the WASMTIME_BACKTRACE_DETAILS variable.
        .wasm_backtrace_details(WasmBacktraceDetails::Disable)
        .parallel_compilation(true);
    Engine::new(&wasm).map_err(|e| Error::runtime(format!("cannot start the engine: {e}")))
}

/// The per-store resource limiter: [`StoreLimits`] for the static caps (instances, tables,
/// memories, per-memory size, table elements) plus a running total of all the store's
/// memories, and a typed error instead of a `memory.grow` returning -1.
pub(crate) struct Limiter {
    limits: StoreLimits,
    memory_cap: usize,
    table_cap: usize,
    memory_total: usize,
}

impl Limiter {
    pub(crate) fn new(config: &RuntimeConfig) -> Self {
        Limiter {
            limits: StoreLimitsBuilder::new()
                .memory_size(config.memory_bytes)
                .table_elements(config.table_elements)
                .instances(CORE_INSTANCES_PER_COMPONENT as usize)
                .memories(MEMORIES_PER_COMPONENT as usize)
                .tables(TABLES_PER_COMPONENT as usize)
                .build(),
            memory_cap: config.memory_bytes,
            table_cap: config.table_elements,
            memory_total: 0,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.memory_total - current.min(self.memory_total) + desired;
        // Our cap (StoreLimits per memory, the running total for the store): a typed trap.
        if total > self.memory_cap || !self.limits.memory_growing(current, desired, None)? {
            return Err(wasmtime::Error::new(LimitExceeded::Memory {
                requested: total,
                limit: self.memory_cap,
            }));
        }
        // The memory's own declared maximum: `memory.grow` returns -1, as the spec says.
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        self.memory_total = total;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        // Allowed by us but refused below (the pool slot, the OS): still the cap in effect.
        Err(error.context(LimitExceeded::Memory {
            requested: self.memory_total,
            limit: self.memory_cap,
        }))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if !self.limits.table_growing(current, desired, None)? {
            return Err(wasmtime::Error::new(LimitExceeded::TableElements {
                requested: desired,
                limit: self.table_cap,
            }));
        }
        Ok(maximum.is_none_or(|max| desired <= max))
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// Store data that carries a [`Limiter`].
pub(crate) trait HasLimiter: Send + 'static {
    fn limiter(&mut self) -> &mut Limiter;
}

/// A fresh store with the limiter installed, the budget's fuel and the deadline armed.
pub(crate) fn store<T: HasLimiter>(
    engine: &Engine,
    config: &RuntimeConfig,
    data: T,
    budget: &Budget,
) -> Result<Store<T>> {
    let mut store = Store::new(engine, data);
    store.limiter(|data| data.limiter());
    store.epoch_deadline_trap();
    arm(&mut store, config.epoch_tick, budget)?;
    Ok(store)
}

/// Refills the fuel to the budget and sets the deadline from now.
pub(crate) fn arm<T>(store: &mut Store<T>, epoch_tick: Duration, budget: &Budget) -> Result<()> {
    store.set_fuel(budget.fuel).map_err(Error::runtime)?;
    store.set_epoch_deadline(deadline_ticks(budget.timeout, epoch_tick));
    Ok(())
}

fn deadline_ticks(timeout: Duration, tick: Duration) -> u64 {
    let ticks = timeout.as_nanos().div_ceil(tick.as_nanos().max(1));
    u64::try_from(ticks)
        .unwrap_or(u64::MAX - 1)
        .saturating_add(1)
}

/// Fuel consumed in `store` since it was armed with `budget`.
pub(crate) fn fuel_used<T>(store: &Store<T>, budget: &Budget) -> u64 {
    budget.fuel - store.get_fuel().unwrap_or(0).min(budget.fuel)
}

/// Runs `call` in `store` and maps a failure to our error with the budget's limits.
pub(crate) fn guarded<T, R>(
    store: &mut Store<T>,
    budget: &Budget,
    call: impl FnOnce(&mut Store<T>) -> wasmtime::Result<R>,
) -> Result<R> {
    call(store).map_err(|e| classify(e, budget.limits()))
}

/// The OS thread that advances the engine's epoch, so deadlines fire without a timer per
/// call. It holds only a weak reference to the engine and stops when the runtime drops.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub(crate) fn start(engine: &Engine, tick: Duration) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let weak: EngineWeak = engine.weak();
        let flag = stop.clone();
        let thread = thread::Builder::new()
            .name("callsheet-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Acquire) {
                    thread::park_timeout(tick);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| Error::runtime(format!("cannot start the epoch thread: {e}")))?;
        Ok(EpochTicker {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// Bounds the instances alive at once (see the module docs), and moves guest code off the
/// async executor.
pub(crate) struct Gate {
    permits: Arc<Semaphore>,
    max: u32,
}

/// Held while a store with instances is alive; releases its slots when dropped.
pub(crate) type Permit = OwnedSemaphorePermit;

impl Gate {
    pub(crate) fn new(max_instances: u32) -> Self {
        Gate {
            permits: Arc::new(Semaphore::new(max_instances as usize)),
            max: max_instances,
        }
    }

    fn check(&self, n: u32) -> Result<()> {
        if n > self.max {
            return Err(Error::runtime(format!(
                "a call needs {n} instances but max_instances is {}",
                self.max
            )));
        }
        Ok(())
    }

    /// Waits for `n` instance slots, blocking this thread (sync API).
    pub(crate) fn acquire_blocking(&self, n: u32) -> Result<Permit> {
        self.check(n)?;
        block_on(self.permits.clone().acquire_many_owned(n))
            .map_err(|_| Error::runtime("the runtime is shutting down"))
    }

    /// Waits for `n` instance slots without blocking the executor, then runs `call` on a
    /// blocking thread with them (async API).
    pub(crate) async fn run<R, F>(&self, n: u32, call: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(Permit) -> Result<R> + Send + 'static,
    {
        self.check(n)?;
        let permit = self
            .permits
            .clone()
            .acquire_many_owned(n)
            .await
            .map_err(|_| Error::runtime("the runtime is shutting down"))?;
        offload(move || call(permit)).await
    }
}

/// Runs CPU-bound host work (compiling, calling a guest) on tokio's blocking pool.
pub(crate) async fn offload<R, F>(work: F) -> Result<R>
where
    R: Send + 'static,
    F: FnOnce() -> Result<R> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::runtime(format!("plugin call task failed: {e}")))?
}

/// Polls a future to completion on this thread, parking between wake-ups. Only used for
/// the semaphore's acquire in the sync API, which needs no reactor.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

/// Counters of the runtime's work, for tests, benchmarks and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuntimeStats {
    /// Components compiled with Cranelift (cache misses).
    pub compiled: u64,
    /// Loads served from the in-memory cache.
    pub memory_hits: u64,
    /// Loads served from the on-disk cache (deserialized, not compiled).
    pub disk_hits: u64,
    /// Instances created (one per call, one per rules session).
    pub instantiations: u64,
}

/// Shared mutable counters behind [`RuntimeStats`].
#[derive(Debug, Default)]
pub(crate) struct Stats(Mutex<RuntimeStats>);

impl Stats {
    pub(crate) fn bump(&self, f: impl FnOnce(&mut RuntimeStats)) {
        if let Ok(mut stats) = self.0.lock() {
            f(&mut stats);
        }
    }

    pub(crate) fn get(&self) -> RuntimeStats {
        self.0.lock().map(|s| *s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_rounds_up_and_adds_a_tick() {
        let tick = Duration::from_millis(10);
        assert_eq!(deadline_ticks(Duration::from_millis(100), tick), 11);
        assert_eq!(deadline_ticks(Duration::from_millis(101), tick), 12);
        assert_eq!(deadline_ticks(Duration::ZERO, tick), 1);
        assert_eq!(deadline_ticks(Duration::MAX, tick), u64::MAX);
    }

    #[test]
    fn memory_total_counts_every_memory_of_the_store() {
        let config = RuntimeConfig {
            memory_bytes: 10 * 65536,
            ..RuntimeConfig::default()
        };
        let mut limiter = Limiter::new(&config);
        assert!(limiter.memory_growing(0, 6 * 65536, None).unwrap());
        // A second memory of 5 pages would make 11 > 10.
        let err = limiter.memory_growing(0, 5 * 65536, None).unwrap_err();
        assert!(matches!(
            err.downcast_ref::<LimitExceeded>(),
            Some(LimitExceeded::Memory { requested, .. }) if *requested == 11 * 65536
        ));
        assert!(limiter.memory_growing(6 * 65536, 10 * 65536, None).unwrap());
        // Past the memory's own maximum but within the cap: -1 for the guest, no trap.
        let mut limiter = Limiter::new(&config);
        assert!(!limiter.memory_growing(0, 2 * 65536, Some(65536)).unwrap());
    }

    #[test]
    fn gate_refuses_more_than_it_has() {
        let gate = Gate::new(1);
        assert!(gate.acquire_blocking(2).is_err());
        let permit = gate.acquire_blocking(1).unwrap();
        drop(permit);
        assert!(gate.acquire_blocking(1).is_ok());
    }
}
