//! How large an instance the exact reference proves optimal, and how fast:
//! `cargo run --release --example milp_sizes [time-limit-seconds]`.

use std::time::Duration;

use callsheet_engine::generator;
use callsheet_engine::reference::{self, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limit: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let options = Options {
        time_limit: Duration::from_secs(limit),
        ..Options::default()
    };
    let mut cases: Vec<(String, callsheet_runtime::types::Problem)> =
        [(16, 6), (30, 10), (50, 20), (80, 30), (120, 40)]
            .into_iter()
            .map(|(p, t)| (format!("custom({p}, {t}, 1)"), generator::custom(p, t, 1)))
            .collect();
    cases.push(("festival_week(1)".into(), generator::festival_week(1)));
    eprintln!(
        "instance | places | technicians | variables | constraints | objective | bound | proven | seconds"
    );
    for (name, p) in cases {
        let places: u32 = p.needs.iter().map(|n| n.min_crew).sum();
        let r = reference::solve(&p, &options)?;
        eprintln!(
            "{name} | {places} | {} | {} | {} | {} | {:.1} | {} | {:.2}",
            p.technicians.len(),
            r.variables,
            r.constraints,
            r.objective,
            r.bound,
            r.proven_optimal,
            r.seconds
        );
    }
    Ok(())
}
