//! The `callsheet` binary's subcommands, run as a user would run them.

use std::path::PathBuf;
use std::process::{Command, Output};

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("callsheet-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn database_url(&self) -> String {
        format!("sqlite://{}", self.0.join("cli.db").display())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn callsheet(args: &[&str], env: &[(&str, &str)], dir: &Scratch) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callsheet"));
    // Run from the scratch folder so no developer `.env` is picked up.
    command
        .current_dir(&dir.0)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    // Under `cargo llvm-cov` the binary is instrumented and writes its profile where this
    // variable says; cleared, it wrote into the scratch folder and the CLI's coverage was
    // lost.
    if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
        command.env("LLVM_PROFILE_FILE", profile);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn version_prints_the_package_version() {
    let dir = Scratch::new();
    let output = callsheet(&["--version"], &[], &dir);
    assert!(output.status.success());
    assert_eq!(
        stdout(&output).trim(),
        format!("callsheet {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn demo_creates_the_demo_tenant_once_and_warns() {
    let dir = Scratch::new();
    let url = dir.database_url();
    let first = callsheet(&["demo"], &[("DATABASE_URL", &url)], &dir);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(out.contains("Demo tenant created."), "{out}");
    assert!(
        out.contains("admin@demo.test") && out.contains("demo-admin"),
        "{out}"
    );
    assert!(out.contains("WARNING"), "{out}");

    let second = callsheet(&["demo"], &[("DATABASE_URL", &url)], &dir);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("already present"),
        "{}",
        stdout(&second)
    );
}

#[test]
fn the_default_database_is_a_sqlite_file_under_data() {
    let dir = Scratch::new();
    let output = callsheet(&["migrate"], &[], &dir);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.0.join("data/callsheet.db").exists());
}

#[test]
fn tenant_create_makes_a_tenant_and_refuses_a_second_with_the_same_slug() {
    let dir = Scratch::new();
    let url = dir.database_url();
    let args = [
        "tenant",
        "create",
        "--slug",
        "la-cigale",
        "--name",
        "La Cigale",
        "--admin-email",
        "ops@cigale.test",
    ];
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("CALLSHEET_ADMIN_PASSWORD", "a long enough password"),
    ];
    let first = callsheet(&args, &env, &dir);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("la-cigale"));
    let again = callsheet(&args, &env, &dir);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    let weak = callsheet(
        &[
            "tenant",
            "create",
            "--slug",
            "other",
            "--name",
            "Other",
            "--admin-email",
            "a@b.test",
        ],
        &[
            ("DATABASE_URL", url.as_str()),
            ("CALLSHEET_ADMIN_PASSWORD", "short"),
        ],
        &dir,
    );
    assert!(!weak.status.success());
    assert!(
        stderr(&weak).contains("admin password"),
        "{}",
        stderr(&weak)
    );
}

#[test]
fn production_refuses_to_start_without_a_real_jwt_secret_and_says_why() {
    let dir = Scratch::new();
    let url = dir.database_url();
    for (secret, expected) in [
        (None, "JWT_SECRET is required"),
        (Some("change_me"), "example value"),
        (Some("short"), "at least 32"),
    ] {
        let mut env = vec![
            ("APP_ENV", "prod"),
            ("DATABASE_URL", url.as_str()),
            ("APP_PORT", "0"),
        ];
        if let Some(s) = secret {
            env.push(("JWT_SECRET", s));
        }
        let output = callsheet(&["serve"], &env, &dir);
        assert!(
            !output.status.success(),
            "started with JWT_SECRET={secret:?}"
        );
        assert!(
            stderr(&output).contains(expected),
            "JWT_SECRET={secret:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn an_unsupported_database_url_is_refused_clearly() {
    let dir = Scratch::new();
    let output = callsheet(
        &["migrate"],
        &[("DATABASE_URL", "mysql://localhost/x")],
        &dir,
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("sqlite:// or postgres://"),
        "{}",
        stderr(&output)
    );
}

fn repo_file(relative: &str) -> String {
    format!("{}/../../{relative}", env!("CARGO_MANIFEST_DIR"))
}

fn plugin_json(args: &[&str], dir: &Scratch) -> serde_json::Value {
    let output = callsheet(args, &[], dir);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[test]
fn the_committed_sample_problem_is_the_generated_one() {
    let dir = Scratch::new();
    let output = callsheet(
        &[
            "plugin",
            "sample",
            "--preset",
            "festival-week",
            "--seed",
            "1",
        ],
        &[],
        &dir,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let committed = std::fs::read_to_string(repo_file("docs/samples/problem.json")).unwrap();
    assert!(
        stdout(&output) == committed,
        "docs/samples/problem.json is stale: `callsheet plugin sample > docs/samples/problem.json`"
    );
}

#[test]
fn the_default_rules_evaluate_the_sample_problem() {
    let dir = Scratch::new();
    let rules = repo_file("plugins/dist/rules.wasm");
    let problem = repo_file("docs/samples/problem.json");
    let out = plugin_json(
        &[
            "plugin",
            "run",
            "--slot",
            "rules",
            &rules,
            "--problem",
            &problem,
        ],
        &dir,
    );
    assert!(out["fuel_used"].as_u64().unwrap() > 0);
    assert!(out["result"]["score"]["soft"].as_i64().is_some(), "{out}");
    assert!(out["result"]["schedules"].is_array(), "{out}");
}

#[test]
fn the_default_assigner_plans_the_sample_problem_without_hard_violations() {
    let dir = Scratch::new();
    let assigner = repo_file("plugins/dist/assigner.wasm");
    let problem = repo_file("docs/samples/problem.json");
    let out = plugin_json(
        &[
            "plugin",
            "run",
            "--slot",
            "assigner",
            &assigner,
            "--problem",
            &problem,
        ],
        &dir,
    );
    let result = &out["result"];
    assert!(
        !result["assignments"].as_array().unwrap().is_empty(),
        "{result}"
    );
    assert_eq!(result["score"]["hard"], 0, "{}", result["score"]);
    assert!(out["rules_calls"].as_u64().unwrap() > 0);
}

#[test]
fn plugin_validate_describes_a_plugin_and_refuses_the_wrong_slot() {
    let dir = Scratch::new();
    let payroll = repo_file("plugins/dist/payroll.wasm");
    let out = plugin_json(&["plugin", "validate", "--slot", "payroll", &payroll], &dir);
    assert_eq!(out["slot"], "payroll");
    assert_eq!(out["sha256"].as_str().unwrap().len(), 64);
    let wrong = callsheet(
        &["plugin", "validate", "--slot", "rules", &payroll],
        &[],
        &dir,
    );
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("PLUGIN_INVALID"),
        "{}",
        stderr(&wrong)
    );
    let missing = callsheet(&["plugin", "run", "--slot", "rules", &payroll], &[], &dir);
    assert!(
        stderr(&missing).contains("--problem"),
        "{}",
        stderr(&missing)
    );
}

/// The worked example of docs/plugins.md, built by `.ci/run` (which sets the variable):
/// validated and run exactly as the guide says.
#[test]
fn the_plugin_guide_example_validates_and_runs_on_the_sample() {
    let Ok(wasm) = std::env::var("CALLSHEET_EXAMPLE_PLUGIN") else {
        eprintln!(
            "skipped: CALLSHEET_EXAMPLE_PLUGIN is not set (.ci/run builds the example and sets it)"
        );
        return;
    };
    let dir = Scratch::new();
    let info = plugin_json(&["plugin", "validate", "--slot", "rules", &wasm], &dir);
    assert_eq!(info["plugin"]["name"], "example-max-shift");
    let problem = repo_file("docs/samples/problem.json");
    let params = dir.0.join("params.json");
    std::fs::write(
        &params,
        r#"[{"name": "max-shift.hours", "value": {"Int": 1}}]"#,
    )
    .unwrap();
    let strict = plugin_json(
        &[
            "plugin",
            "run",
            "--slot",
            "rules",
            &wasm,
            "--problem",
            &problem,
            "--params",
            params.to_str().unwrap(),
        ],
        &dir,
    );
    assert!(
        strict["result"]["score"]["hard"].as_i64().unwrap() > 0,
        "1 h shifts: {}",
        strict["result"]["score"]
    );
    let lenient = plugin_json(
        &[
            "plugin",
            "run",
            "--slot",
            "rules",
            &wasm,
            "--problem",
            &problem,
        ],
        &dir,
    );
    assert!(
        lenient["result"]["score"]["hard"].as_i64().unwrap()
            < strict["result"]["score"]["hard"].as_i64().unwrap()
    );
}

/// `plugin run --slot assigner` passes `--rules-params` to the rules plugin it scores with,
/// as a tenant's run passes the tenant's rules parameters.
#[test]
fn an_assigner_run_passes_the_rules_parameters_to_its_rules_plugin() {
    let dir = Scratch::new();
    let assigner = repo_file("plugins/dist/assigner.wasm");
    let problem = repo_file("docs/samples/problem.json");
    let params = |name: &str, json: &str| {
        let path = dir.0.join(name);
        std::fs::write(&path, json).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let refused = params(
        "refused.json",
        r#"[{"name": "rest.daily.min", "value": {"Int": -5}}]"#,
    );
    let args = |rules_params: &str| {
        vec![
            "plugin".to_owned(),
            "run".into(),
            "--slot".into(),
            "assigner".into(),
            assigner.clone(),
            "--problem".into(),
            problem.clone(),
            "--rules-params".into(),
            rules_params.to_owned(),
        ]
    };
    let output = callsheet(
        &args(&refused)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
        &dir,
    );
    assert!(!output.status.success(), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("rest.daily.min"),
        "the rules plugin refused its parameter: {}",
        stderr(&output)
    );

    // Short days: the rules refuse more, so the plan leaves more open than with defaults.
    let strict = params(
        "strict.json",
        r#"[{"name": "work.daily.max", "value": {"Int": 3600}}]"#,
    );
    let out = plugin_json(
        &args(&strict).iter().map(String::as_str).collect::<Vec<_>>(),
        &dir,
    );
    let default = plugin_json(
        &[
            "plugin",
            "run",
            "--slot",
            "assigner",
            &assigner,
            "--problem",
            &problem,
        ],
        &dir,
    );
    let soft = |v: &serde_json::Value| v["result"]["score"]["soft"].as_i64().unwrap();
    assert!(
        soft(&out) > soft(&default),
        "1 h days: {} vs defaults: {}",
        out["result"]["score"],
        default["result"]["score"]
    );
}

/// The budget flags set the fuel and deadline of the run within an admin's bounds, and the
/// output says which budget ran.
#[test]
fn a_run_takes_a_budget_within_the_admin_bounds() {
    let dir = Scratch::new();
    let assigner = repo_file("plugins/dist/assigner.wasm");
    let problem = repo_file("docs/samples/problem.json");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "plugin",
            "run",
            "--slot",
            "assigner",
            &assigner,
            "--problem",
            &problem,
        ];
        args.extend_from_slice(extra);
        callsheet(&args, &[], &dir)
    };
    let out = run(&["--fuel", "30000000000", "--timeout-ms", "120000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["budget"]["fuel"], 30_000_000_000u64);
    assert_eq!(json["budget"]["timeout_ms"], 120_000);
    assert_eq!(json["budget"]["memory_mib"], 128, "the server's cap");
    // The fuel of each slot and the calls' wall time.
    assert!(json["fuel_used"].as_u64().unwrap() > 0);
    assert!(json["rules_fuel_used"].as_u64().unwrap() > 0);
    assert!(json["wall_ms"].is_u64(), "{json}");

    // A lower memory cap and another seed: the same sandbox, as a tenant's run would get.
    let small = run(&["--memory-mib", "64", "--seed", "7"]);
    assert!(small.status.success(), "{}", stderr(&small));
    let small: serde_json::Value = serde_json::from_slice(&small.stdout).unwrap();
    assert_eq!(small["budget"]["memory_mib"], 64);
    let seeded = |seed: &str| {
        let out = run(&["--seed", seed]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["result"].clone()
    };
    assert_eq!(seeded("7"), small["result"], "deterministic for a seed");
    for refused in ["4", "512"] {
        let out = run(&["--memory-mib", refused]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("--memory-mib"),
            "{refused}: {}",
            stderr(&out)
        );
    }

    let starved = run(&["--fuel", "1000000"]);
    assert!(!starved.status.success());
    assert!(
        stderr(&starved).contains("PLUGIN_FUEL_EXHAUSTED"),
        "a million fuel plans nothing: {}",
        stderr(&starved)
    );

    let out_of_bounds = run(&["--fuel", "5"]);
    assert!(!out_of_bounds.status.success());
    assert!(
        stderr(&out_of_bounds).contains("--fuel"),
        "{}",
        stderr(&out_of_bounds)
    );

    let rules = repo_file("plugins/dist/rules.wasm");
    let misplaced = callsheet(
        &[
            "plugin",
            "run",
            "--slot",
            "rules",
            &rules,
            "--problem",
            &problem,
            "--rules-params",
            &problem,
        ],
        &[],
        &dir,
    );
    assert!(
        stderr(&misplaced).contains("--params"),
        "{}",
        stderr(&misplaced)
    );
}

/// The nurse-rostering example (`docs/examples/nurse-rostering`), built by `.ci/run` (which
/// sets the variable): the default assigner plans Instance1 scored on it, with the
/// instance's rules parameters (its forbidden successions). Only a sanity check of the
/// plan here: the example's own tests hold the plugin to an independent checker.
#[test]
fn the_nurse_rostering_example_plans_instance_1_with_its_rules_parameters() {
    let Ok(wasm) = std::env::var("CALLSHEET_NRP_PLUGIN") else {
        eprintln!(
            "skipped: CALLSHEET_NRP_PLUGIN is not set (.ci/run builds the example and sets it)"
        );
        return;
    };
    let dir = Scratch::new();
    let info = plugin_json(&["plugin", "validate", "--slot", "rules", &wasm], &dir);
    assert_eq!(info["plugin"]["name"], "example-nurse-rostering");
    let assigner = repo_file("plugins/dist/assigner.wasm");
    let problem = repo_file("docs/examples/nurse-rostering/data/instance1.problem.json");
    let params = repo_file("docs/examples/nurse-rostering/data/instance1.rules-params.json");
    let out = plugin_json(
        &[
            "plugin",
            "run",
            "--slot",
            "assigner",
            &assigner,
            "--rules",
            &wasm,
            "--rules-params",
            &params,
            "--problem",
            &problem,
        ],
        &dir,
    );
    let result = &out["result"];
    assert!(
        !result["assignments"].as_array().unwrap().is_empty(),
        "{result}"
    );
    assert!(out["rules_calls"].as_u64().unwrap() > 0);
    // The empty plan costs 100 per open place (Instance1's under weight): 71 places.
    assert!(
        result["score"]["soft"].as_i64().unwrap() < 7_100,
        "{}",
        result["score"]
    );
}
