//! Plans one generated preset once with the committed default plugins and prints its
//! figures: `cargo run --release --example plan_once -- venue_season [seed]`, under the
//! runtime's default memory cap unless `CALLSHEET_MEMORY_MIB` says otherwise.
//!
//! Presets: `festival_week`, `touring_month`, `venue_season`, `scarce_month`,
//! `custom:PLACES:TECHNICIANS`. Integer parameters for the plugins, comma-separated
//! `name=value` lists: `CALLSHEET_ASSIGNER_PARAMS` and `CALLSHEET_RULES_PARAMS` (for example
//! `CALLSHEET_RULES_PARAMS=rest.daily.derogation.per-week=0` forbids the 9 h derogation).
//! `CALLSHEET_FUEL=N` gives each plugin a budget of N fuel (default: unlimited), to see how
//! a run ends under the product's budget (20 G). `CALLSHEET_ASSIGNER_WASM=path` plans with
//! another build of the assigner than the committed one (to compare before and after).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use callsheet_engine::{Configured, generator, plan};
use callsheet_runtime::types::{Param, Value};
use callsheet_runtime::{Budget, Runtime, RuntimeConfig};

fn read(path: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path),
    )
}

/// Integer parameters from an environment variable: `name=value,name=value`.
fn params(var: &str) -> Result<Vec<Param>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for item in std::env::var(var).unwrap_or_default().split(',') {
        if item.trim().is_empty() {
            continue;
        }
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| format!("{var}: {item} is not name=value"))?;
        out.push(Param {
            name: name.trim().into(),
            value: Value::Int(value.trim().parse()?),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let preset = args.next().unwrap_or_else(|| "festival_week".into());
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let problem = match preset.as_str() {
        "festival_week" => generator::festival_week(seed),
        "touring_month" => generator::touring_month(seed),
        "venue_season" => generator::venue_season(seed),
        "scarce_month" => generator::scarce_month(seed),
        other => match other.split(':').collect::<Vec<_>>().as_slice() {
            ["custom", places, techs] => generator::custom(places.parse()?, techs.parse()?, seed),
            _ => return Err(format!("unknown preset {other}").into()),
        },
    };
    // The default memory cap (128 MiB) is the runtime's policy; another cap shows how much a
    // size needs (the venue season runs with 64 MiB, not with 32).
    let memory_mib: usize = std::env::var("CALLSHEET_MEMORY_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(128);
    let runtime = Runtime::new(RuntimeConfig {
        memory_bytes: memory_mib << 20,
        ..RuntimeConfig::default()
    })?;
    let fuel: u64 = std::env::var("CALLSHEET_FUEL")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX / 4);
    let budget = Budget {
        fuel,
        timeout: Duration::from_secs(3_600),
    };
    let rules = Configured::rules(
        &runtime,
        &read("plugins/dist/rules.wasm")?,
        params("CALLSHEET_RULES_PARAMS")?,
        budget,
    )?;
    let assigner = Configured::assigner(
        &runtime,
        &match std::env::var("CALLSHEET_ASSIGNER_WASM") {
            Ok(path) => std::fs::read(path)?,
            Err(_) => read("plugins/dist/assigner.wasm")?,
        },
        params("CALLSHEET_ASSIGNER_PARAMS")?,
        budget,
    )?;
    let started = Instant::now();
    let outcome = plan(&problem, &assigner, &rules)?;
    let unfilled: u32 = outcome.unfilled.iter().map(|u| u.places).sum();
    eprintln!("assigner stats: {:?}", outcome.stats);
    eprintln!(
        "{preset}({seed}): {} places, {} technicians: {:.2?}, score {:?}, {unfilled} unfilled, \
         fuel assigner {} rules {}, {} rules calls, outcome sha256 {}",
        problem.needs.iter().map(|n| n.min_crew).sum::<u32>(),
        problem.technicians.len(),
        started.elapsed(),
        outcome.score,
        outcome.fuel.assigner,
        outcome.fuel.rules,
        outcome.rules_calls,
        outcome.sha256()?
    );
    Ok(())
}
