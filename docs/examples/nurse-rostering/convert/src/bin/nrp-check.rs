//! `nrp-check INSTANCE.txt RUN.json`: the independent checker on the plan of a
//! `callsheet plugin run --slot assigner` output (`{"result": plan-result, ...}`): prints
//! one JSON line with the objective, the hard violations the checker finds (by rule) and
//! the score the rules plugin gave, for the benchmark.

use std::collections::BTreeMap;
use std::process::ExitCode;

use callsheet_plugin_sdk::types::PlanResult;
use nrp_convert::check::check;
use nrp_convert::instance::Instance;
use nrp_convert::problem::roster_of;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("nrp-check: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let [instance, run] = args else {
        return Err("usage: nrp-check INSTANCE.txt RUN.json".into());
    };
    let text = std::fs::read_to_string(instance).map_err(|e| format!("{instance}: {e}"))?;
    let instance = Instance::parse(&text).map_err(|e| format!("{e}"))?;
    let output: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run).map_err(|e| format!("{run}: {e}"))?)
            .map_err(|e| format!("{run}: {e}"))?;
    let result: PlanResult = serde_json::from_value(output["result"].clone())
        .map_err(|e| format!("{run}: not a plan result: {e}"))?;
    let assignments: Vec<_> = result
        .assignments
        .into_iter()
        .map(|p| p.assignment)
        .collect();
    let roster = roster_of(&instance, &assignments).map_err(|e| e.to_string())?;
    let report = check(&instance, &roster);
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for v in &report.hard {
        *by_rule.entry(format!("{:?}", v.rule)).or_default() += 1;
    }
    Ok(serde_json::json!({
        "objective": report.objective(),
        "hard": report.hard.len(),
        "hard_by_rule": by_rule,
        "plugin_score": {"hard": result.score.hard, "soft": result.score.soft},
        "fuel_used": output["fuel_used"],
        "rules_fuel_used": output["rules_fuel_used"],
    })
    .to_string())
}
