//! Where the WASM-vs-native ratio of the rules goes: the committed rules component evaluates
//! the touring month's plan under wasmtime configured with each sandbox setting taken away
//! in turn, against the same crate compiled natively. The product runtime never runs
//! without them (`callsheet_runtime::sandbox` owns that policy); this only prices them.
//!
//! `cargo run --release -p callsheet-engine --example sandbox_cost [rounds]` (default 100)
//!
//! Each round times a block of calls per variant (caches warm, as in the benchmark's
//! criterion loops), and rounds interleave the variants so that machine noise hits every
//! variant alike; the figure is the median round.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use callsheet_engine::{Configured, generator, plan};
use callsheet_runtime::{Budget, Runtime, RuntimeConfig};
use wasmtime::component::{Component, Linker, ResourceAny};
use wasmtime::{Config, Engine, Store};

/// The rules world, bound here rather than reusing the runtime's private bindings.
mod bindings {
    wasmtime::component::bindgen!({
        world: "rules",
        path: "../../wit",
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}

use bindings::Rules;
use bindings::callsheet::plugins::types::{Plan, Problem};

/// One wasmtime configuration.
struct Variant {
    name: &'static str,
    fuel: bool,
    epoch: bool,
    /// The runtime's 128 MiB reservation (explicit bounds checks, each with Cranelift's
    /// Spectre guard), or wasmtime's default 4 GiB one (checks elided, guard pages).
    bounds_checks: bool,
}

const VARIANTS: [Variant; 5] = [
    Variant {
        name: "sandbox settings (fuel, epoch, 128 MiB)",
        fuel: true,
        epoch: true,
        bounds_checks: true,
    },
    Variant {
        name: "without fuel",
        fuel: false,
        epoch: true,
        bounds_checks: true,
    },
    Variant {
        name: "without epoch checks",
        fuel: true,
        epoch: false,
        bounds_checks: true,
    },
    Variant {
        name: "4 GiB reservation (no bounds checks, no Spectre guard)",
        fuel: true,
        epoch: true,
        bounds_checks: false,
    },
    Variant {
        name: "none of them (Cranelift's code alone)",
        fuel: false,
        epoch: false,
        bounds_checks: false,
    },
];

/// An instance with an open evaluator.
struct Open {
    store: Store<()>,
    rules: Rules,
    evaluator: ResourceAny,
}

fn open(v: &Variant, bytes: &[u8], problem: &Problem) -> wasmtime::Result<Open> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .consume_fuel(v.fuel)
        .epoch_interruption(v.epoch);
    if v.bounds_checks {
        config
            .memory_reservation(128 << 20)
            .memory_reservation_for_growth(0)
            .memory_guard_size(2 << 20)
            .memory_may_move(false);
    }
    let engine = Engine::new(&config)?;
    let component = Component::new(&engine, bytes)?;
    let mut store = Store::new(&engine, ());
    if v.fuel {
        store.set_fuel(u64::MAX / 2)?;
    }
    if v.epoch {
        // Never reached: nothing ticks the epoch; the checks are what is priced.
        store.set_epoch_deadline(u64::MAX / 2);
    }
    let rules = Rules::instantiate(&mut store, &component, &Linker::new(&engine))?;
    let evaluator = rules
        .callsheet_plugins_rule_engine()
        .evaluator()
        .call_open(&mut store, problem, &vec![])?
        .map_err(|e| wasmtime::format_err!("open: {}", e.message))?;
    Ok(Open {
        store,
        rules,
        evaluator,
    })
}

impl Open {
    fn evaluate(&mut self, plan: &Plan) -> wasmtime::Result<()> {
        self.rules
            .callsheet_plugins_rule_engine()
            .evaluator()
            .call_evaluate_plan(&mut self.store, self.evaluator, plan)?
            .map_err(|e| wasmtime::format_err!("evaluate: {}", e.message))?;
        Ok(())
    }
}

/// Calls per block.
const BLOCK: u32 = 10;

/// The time of one call, averaged over a block.
fn per_call(
    mut call: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    for _ in 0..BLOCK {
        call()?;
    }
    Ok(started.elapsed() / BLOCK)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules_bytes = std::fs::read(root.join("plugins/dist/rules.wasm"))?;
    let assigner_bytes = std::fs::read(root.join("plugins/dist/assigner.wasm"))?;

    // The benchmark's case: the touring month planned by the default assigner.
    let runtime = Runtime::new(RuntimeConfig::default())?;
    let budget = Budget {
        fuel: u64::MAX / 4,
        timeout: Duration::from_secs(600),
    };
    let rules = Configured::rules(&runtime, &rules_bytes, vec![], budget)?;
    let assigner = Configured::assigner(&runtime, &assigner_bytes, vec![], budget)?;
    let host_problem = generator::touring_month(1);
    let host_plan = plan(&host_problem, &assigner, &rules)?.plan();
    let session = rules.plugin.open(&host_problem, &vec![])?.value;

    let problem: Problem = serde_json::from_value(serde_json::to_value(&host_problem)?)?;
    let wasm_plan: Plan = serde_json::from_value(serde_json::to_value(&host_plan)?)?;
    let native_problem: callsheet_plugin_sdk::types::Problem =
        serde_json::from_value(serde_json::to_value(&host_problem)?)?;
    let native_plan: callsheet_plugin_sdk::types::Plan =
        serde_json::from_value(serde_json::to_value(&host_plan)?)?;
    let native = callsheet_rules_fr::evaluator::Evaluator::open(native_problem, vec![])
        .map_err(|_| "the native rules refuse the problem")?;

    let mut opened = VARIANTS
        .iter()
        .map(|v| open(v, &rules_bytes, &problem))
        .collect::<wasmtime::Result<Vec<_>>>()?;
    let mut times = vec![Vec::with_capacity(rounds); VARIANTS.len() + 2];
    for round in 0..rounds + 5 {
        let mut sample = Vec::with_capacity(times.len());
        sample.push(per_call(|| {
            Ok(session.evaluate_plan(&host_plan).map(drop)?)
        })?);
        for o in &mut opened {
            sample.push(per_call(|| Ok(o.evaluate(&wasm_plan)?))?);
        }
        sample.push(per_call(|| {
            std::hint::black_box(native.evaluate_plan(&native_plan).is_ok());
            Ok(())
        })?);
        // The first rounds warm the allocators' heaps.
        if round >= 5 {
            for (t, s) in times.iter_mut().zip(sample) {
                t.push(s);
            }
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let native_time = medians[medians.len() - 1];
    let names = std::iter::once("the runtime (callsheet_runtime, as in the benchmark)")
        .chain(VARIANTS.iter().map(|v| v.name))
        .chain(std::iter::once("native"));
    eprintln!(
        "evaluate_plan touring_month ({} assignments), median of {rounds} rounds of {BLOCK} calls:",
        host_plan.assignments.len()
    );
    for (name, t) in names.zip(&medians) {
        eprintln!(
            "  {name:<58} {:>7.3} ms  ratio {:.2}",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / native_time.as_secs_f64()
        );
    }
    Ok(())
}
