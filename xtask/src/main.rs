//! `cargo xtask <task>`: the project's automation, in Rust so it is cross-platform.
//!
//! Tasks:
//! - `openapi`: regenerate `docs/openapi.json` from the routes;
//! - `permissions`: regenerate the table in `docs/permissions.md` from the RBAC matrix;
//! - `plugins [--check]`: build the default plugins into `plugins/dist` (or check them);
//! - `fixtures [--check]`: build the runtime's test fixtures (or check them).

mod plugins;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("openapi") => regenerate("openapi"),
        Some("permissions") => regenerate("permissions"),
        Some("plugins") => plugins::run(&root(), &plugins::PLUGINS, &args[1..]),
        Some("fixtures") => plugins::run(&root(), &plugins::FIXTURES, &args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <openapi|permissions|plugins [--check]|fixtures [--check]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root, whatever directory the task is started from.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_owned()
}

/// The generated documents are checked by tests that print the expected content; setting
/// `CALLSHEET_UPDATE_DOCS=1` makes those tests write it instead.
fn regenerate(what: &str) -> Result<(), String> {
    let test = match what {
        "openapi" => "the_committed_openapi_document_matches_the_routes",
        _ => "the_permission_document_matches_the_matrix",
    };
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .env("CALLSHEET_UPDATE_DOCS", "1")
        .args([
            "test",
            "--quiet",
            "--package",
            "callsheet",
            "--lib",
            "--",
            test,
        ])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("regenerating {what} failed"))
    }
}
