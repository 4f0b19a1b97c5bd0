//! Plans one generated preset once with the committed default plugins and prints its
//! figures: `cargo run --release --example plan_once -- venue_season [seed]`, under the
//! runtime's default memory cap unless `CALLSHEET_MEMORY_MIB` says otherwise.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use callsheet_engine::{Configured, generator, plan};
use callsheet_runtime::{Budget, Runtime, RuntimeConfig};

fn read(path: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let preset = args.next().unwrap_or_else(|| "festival_week".into());
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let problem = match preset.as_str() {
        "festival_week" => generator::festival_week(seed),
        "touring_month" => generator::touring_month(seed),
        "venue_season" => generator::venue_season(seed),
        other => return Err(format!("unknown preset {other}").into()),
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
    let budget = Budget {
        fuel: u64::MAX / 4,
        timeout: Duration::from_secs(3_600),
    };
    let rules = Configured::rules(&runtime, &read("plugins/dist/rules.wasm")?, vec![], budget)?;
    let assigner = Configured::assigner(
        &runtime,
        &read("plugins/dist/assigner.wasm")?,
        vec![],
        budget,
    )?;
    let started = Instant::now();
    let outcome = plan(&problem, &assigner, &rules)?;
    let unfilled: u32 = outcome.unfilled.iter().map(|u| u.places).sum();
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
