//! `callsheet plugin ...`: the plugin author's loop, without a server.
//!
//! - `validate` does what an upload does: size, compiles, the right world, no forbidden
//!   import, `describe()`; it prints the plugin's description as JSON.
//! - `run` calls the plugin on a problem (or pay input) read from a JSON file and prints the
//!   result as JSON with the fuel used, under the same sandbox as the server. An assigner
//!   runs with the rules plugin's parameters (`--rules-params`) as a tenant's run would, and
//!   any plugin with a budget (`--fuel`, `--timeout-ms`) bounded as an admin's setting is,
//!   a memory cap up to the server's (`--memory-mib`) and a seed (`--seed`); the output
//!   gives the fuel of each slot and the calls' wall time.
//!
//! Inputs are the runtime's WIT types in their serde form (see `docs/plugins.md` and the
//! samples in `docs/samples/`).

use std::path::{Path, PathBuf};

use callsheet_runtime::types::{Params, PayInput, Plan, Problem};
use callsheet_runtime::{Budget, Runtime, RuntimeConfig, Slot};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use sha2::Digest as _;

use crate::default_plugins;
use crate::plugins::{BudgetSetting, TenantPluginError};

/// Why a plugin command failed; the message names the file or the plugin error code.
#[derive(Debug, thiserror::Error)]
pub enum PluginCliError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid {what}: {source}")]
    Parse {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("`{0}` is not a slot (rules, assigner, payroll)")]
    Slot(String),
    #[error("{0} needs --{1}")]
    MissingInput(&'static str, &'static str),
    #[error("`{0}` is not a preset (festival-week, touring-month, venue-season)")]
    Preset(String),
    #[error("cannot generate the sample: {0}")]
    Sample(String),
    #[error("--{flag}: {reason}")]
    Budget { flag: &'static str, reason: String },
    #[error("--memory-mib: {0} is outside {MIN_MEMORY_MIB} to {1} (the server's cap)")]
    Memory(usize, usize),
    #[error("--rules-params is for an assigner's rules plugin; a rules plugin takes --params")]
    RulesParamsWithoutAssigner,
    #[error("{code}: {error}")]
    Plugin {
        code: &'static str,
        error: callsheet_runtime::Error,
    },
}

impl From<callsheet_runtime::Error> for PluginCliError {
    fn from(error: callsheet_runtime::Error) -> Self {
        Self::Plugin {
            code: error.code(),
            error,
        }
    }
}

/// What to run and on what.
#[derive(Debug)]
pub struct RunRequest<'a> {
    pub slot: &'a str,
    pub wasm: &'a Path,
    /// A `problem` (rules, assigner) as JSON.
    pub problem: Option<&'a Path>,
    /// A `pay-input` (payroll) as JSON.
    pub pay_input: Option<&'a Path>,
    /// The plugin's parameters as a JSON list of `{name, value}`; none: its defaults.
    pub params: Option<&'a Path>,
    /// For an assigner: the rules plugin it is scored on (default: the embedded one).
    pub rules: Option<&'a Path>,
    /// For an assigner: the rules plugin's parameters, a JSON list of `{name, value}` (the
    /// tenant's rules parameters in a server run); none: its defaults.
    pub rules_params: Option<&'a Path>,
    /// The budget of each plugin call (for an assigner's rules plugin, of the whole run),
    /// within the bounds an admin may set; unset parts take the runtime's default.
    pub budget: BudgetSetting,
    /// Each instance's memory cap in MiB, [`MIN_MEMORY_MIB`] up to the server's; none: the
    /// server's.
    pub memory_mib: Option<usize>,
    /// Replaces the problem's seed.
    pub seed: Option<u64>,
}

/// The smallest memory cap `--memory-mib` takes: below it no Rust guest instantiates.
pub const MIN_MEMORY_MIB: usize = 16;

impl From<TenantPluginError> for PluginCliError {
    fn from(error: TenantPluginError) -> Self {
        match error {
            TenantPluginError::Budget { field, reason } => PluginCliError::Budget {
                flag: if field == "budget.fuel" {
                    "fuel"
                } else {
                    "timeout-ms"
                },
                reason,
            },
            other => PluginCliError::Budget {
                flag: "fuel",
                reason: other.to_string(),
            },
        }
    }
}

pub fn parse_slot(slot: &str) -> Result<Slot, PluginCliError> {
    slot.parse()
        .map_err(|_| PluginCliError::Slot(slot.to_owned()))
}

fn read(path: &Path) -> Result<Vec<u8>, PluginCliError> {
    std::fs::read(path).map_err(|source| PluginCliError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, PluginCliError> {
    serde_json::from_slice(&read(path)?).map_err(|source| PluginCliError::Parse {
        path: path.to_owned(),
        what,
        source,
    })
}

fn runtime() -> Result<Runtime, PluginCliError> {
    Ok(Runtime::new(RuntimeConfig::default())?)
}

/// The server's sandbox, with its memory cap lowered to `memory_mib` if given.
fn runtime_with_memory(memory_mib: Option<usize>) -> Result<Runtime, PluginCliError> {
    let mut config = RuntimeConfig::default();
    if let Some(mib) = memory_mib {
        let max = config.memory_bytes / (1024 * 1024);
        if !(MIN_MEMORY_MIB..=max).contains(&mib) {
            return Err(PluginCliError::Memory(mib, max));
        }
        config.memory_bytes = mib * 1024 * 1024;
    }
    Ok(Runtime::new(config)?)
}

/// Validates a plugin as an upload would; returns its description as JSON.
pub fn validate(slot: &str, wasm: &Path) -> Result<serde_json::Value, PluginCliError> {
    let slot = parse_slot(slot)?;
    let bytes = read(wasm)?;
    let info = runtime()?.validate(slot, &bytes)?;
    Ok(json!({
        "slot": slot.as_str(),
        "sha256": format!("{:x}", sha2::Sha256::digest(&bytes)),
        "plugin": info,
    }))
}

/// Runs a plugin on an input file; returns `{result, fuel_used, wall_ms, budget}` as JSON
/// (an assigner's also has `rules_fuel_used` and `rules_calls`: the fuel of each slot).
pub fn run(request: &RunRequest<'_>) -> Result<serde_json::Value, PluginCliError> {
    let slot = parse_slot(request.slot)?;
    if request.rules_params.is_some() && slot != Slot::Assigner {
        return Err(PluginCliError::RulesParamsWithoutAssigner);
    }
    let runtime = runtime_with_memory(request.memory_mib)?;
    let budget = request.budget.check()?.effective(&runtime);
    let bytes = read(request.wasm)?;
    let params = read_params(request.params)?;
    match slot {
        Slot::Rules => need(request.problem, "rules", "problem")?,
        Slot::Assigner => need(request.problem, "an assigner", "problem")?,
        Slot::Payroll => need(request.pay_input, "payroll", "pay-input")?,
    };
    // Compiled before the clock starts: wall time is the calls', as the budget's.
    runtime.validate(slot, &bytes)?;
    let started = std::time::Instant::now();
    let mut value = run_slot(slot, request, &runtime, budget, &bytes, &params)?;
    value["wall_ms"] = json!(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    value["budget"] = json!({
        "fuel": budget.fuel,
        "timeout_ms": u64::try_from(budget.timeout.as_millis()).unwrap_or(u64::MAX),
        "memory_mib": runtime.config().memory_bytes / (1024 * 1024),
    });
    Ok(value)
}

fn read_params(path: Option<&Path>) -> Result<Params, PluginCliError> {
    match path {
        Some(path) => read_json(path, "parameter list"),
        None => Ok(Vec::new()),
    }
}

fn run_slot(
    slot: Slot,
    request: &RunRequest<'_>,
    runtime: &Runtime,
    budget: Budget,
    bytes: &[u8],
    params: &Params,
) -> Result<serde_json::Value, PluginCliError> {
    match slot {
        Slot::Rules => {
            let problem = seeded(
                read_json(need(request.problem, "rules", "problem")?, "problem")?,
                request.seed,
            );
            let rules = runtime.load_rules(bytes)?.with_budget(budget);
            let session = rules.open(&problem, params)?;
            let plan = Plan {
                assignments: problem.assignments.clone(),
            };
            let evaluation = session.value.evaluate_plan(&plan)?;
            Ok(outcome(
                &evaluation.value,
                session.fuel_used + evaluation.fuel_used,
            ))
        }
        Slot::Assigner => {
            let problem = seeded(
                read_json(need(request.problem, "an assigner", "problem")?, "problem")?,
                request.seed,
            );
            let assigner = runtime.load_assigner(bytes)?.with_budget(budget);
            let rules_bytes = match request.rules {
                Some(path) => read(path)?,
                None => default_rules().to_vec(),
            };
            let rules = runtime.load_rules(&rules_bytes)?.with_budget(budget);
            let rules_params = read_params(request.rules_params)?;
            // As a server run: the assigner is told the budget it runs under.
            let params = callsheet_engine::assigner_params(&assigner, params, budget.fuel)?;
            let run = assigner.plan(&problem, &params, &rules, &rules_params)?;
            let mut value = outcome(&run.value.result, run.fuel_used);
            value["rules_fuel_used"] = json!(run.value.rules_fuel_used);
            value["rules_calls"] = json!(run.value.rules_calls);
            Ok(value)
        }
        Slot::Payroll => {
            let input: PayInput = read_json(
                need(request.pay_input, "payroll", "pay-input")?,
                "pay input",
            )?;
            let payroll = runtime.load_payroll(bytes)?.with_budget(budget);
            let payslip = payroll.compute(&input, params)?;
            Ok(outcome(&payslip.value, payslip.fuel_used))
        }
    }
}

/// The problem with `seed` in place of its own, if given.
fn seeded(mut problem: Problem, seed: Option<u64>) -> Problem {
    if let Some(seed) = seed {
        problem.seed = seed;
    }
    problem
}

fn need<'a>(
    path: Option<&'a Path>,
    who: &'static str,
    flag: &'static str,
) -> Result<&'a Path, PluginCliError> {
    path.ok_or(PluginCliError::MissingInput(who, flag))
}

fn default_rules() -> &'static [u8] {
    default_plugins::for_slot(Slot::Rules)
        .expect("a default rules plugin is embedded")
        .wasm
}

fn outcome(result: &impl Serialize, fuel_used: u64) -> serde_json::Value {
    json!({ "result": result, "fuel_used": fuel_used })
}

/// A generated problem as JSON: deterministic for a preset and a seed.
pub fn sample(preset: &str, seed: u64) -> Result<String, PluginCliError> {
    use callsheet_engine::generator;
    let problem = match preset {
        "festival-week" => generator::festival_week(seed),
        "touring-month" => generator::touring_month(seed),
        "venue-season" => generator::venue_season(seed),
        other => return Err(PluginCliError::Preset(other.to_owned())),
    };
    generator::to_json(&problem).map_err(|e| PluginCliError::Sample(e.to_string()))
}
