//! `nrp-convert INSTANCE.txt PROBLEM.json RULES-PARAMS.json [--seed N]`: a Curtois & Qu
//! instance as the problem `callsheet plugin run` reads and the rules plugin's parameters
//! (`--rules-params`).

use std::path::Path;
use std::process::ExitCode;

use nrp_convert::instance::Instance;
use nrp_convert::problem::convert;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("nrp-convert: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (positional, seed) = match args {
        [rest @ .., flag, seed] if flag == "--seed" => (
            rest,
            seed.parse()
                .map_err(|_| format!("--seed {seed:?} is not a number"))?,
        ),
        rest => (rest, 1),
    };
    let [instance, problem, params] = positional else {
        return Err(
            "usage: nrp-convert INSTANCE.txt PROBLEM.json RULES-PARAMS.json [--seed N]".into(),
        );
    };
    let text = std::fs::read_to_string(instance).map_err(|e| format!("{instance}: {e}"))?;
    let parsed = Instance::parse(&text).map_err(|e| format!("{instance}: {e}"))?;
    let name = Path::new(instance)
        .file_stem()
        .map_or("instance".into(), |s| s.to_string_lossy().to_lowercase());
    let converted = convert(&parsed, &name, seed).map_err(|e| format!("{instance}: {e}"))?;
    write(problem, &converted.problem)?;
    write(params, &converted.rules_params)
}

fn write(path: &str, value: &impl serde::Serialize) -> Result<(), String> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| format!("{path}: {e}"))?;
    std::fs::write(path, json).map_err(|e| format!("{path}: {e}"))
}
