//! Measures what a plugin costs the sandbox: compile, cached load, disk-cache load,
//! validation, and instantiate + `validate-params([])` per call.
//!
//! `cargo run --example measure -- <rules|assigner|payroll> <plugin.wasm>`

use std::time::Instant;

use callsheet_runtime::{Runtime, RuntimeConfig, Slot};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: measure <rules|assigner|payroll> <plugin.wasm>";
    let slot: Slot = args.next().ok_or(usage)?.parse()?;
    let bytes = std::fs::read(args.next().ok_or(usage)?)?;
    let dir = std::env::temp_dir().join(format!("callsheet-measure-{}", std::process::id()));
    let config = || RuntimeConfig {
        cache_dir: Some(dir.clone()),
        ..RuntimeConfig::default()
    };

    let runtime = Runtime::new(config())?;
    let started = Instant::now();
    let plugin = runtime.load(slot, &bytes)?;
    eprintln!(
        "{} bytes, compile + link: {:?}",
        bytes.len(),
        started.elapsed()
    );
    let started = Instant::now();
    runtime.load(slot, &bytes)?;
    eprintln!("cached load (sha256 + lookup): {:?}", started.elapsed());
    let started = Instant::now();
    let info = runtime.validate(slot, &bytes)?;
    eprintln!(
        "validate ({} {}): {:?}",
        info.name,
        info.version,
        started.elapsed()
    );

    let restarted = Runtime::new(config())?;
    let started = Instant::now();
    restarted.load(slot, &bytes)?;
    eprintln!(
        "load from the disk cache after a restart: {:?}",
        started.elapsed()
    );

    let runs = std::env::var("MEASURE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let started = Instant::now();
    let mut fuel = 0;
    for _ in 0..runs {
        fuel = plugin.validate_params(&vec![])?.fuel_used;
    }
    eprintln!(
        "instantiate + validate-params([]): {:?} per call, {fuel} fuel",
        started.elapsed() / runs
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
