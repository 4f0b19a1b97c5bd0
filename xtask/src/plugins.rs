//! Committed WebAssembly components, rebuilt reproducibly:
//!
//! - `cargo xtask plugins [--check]`: the default plugins, built for wasm32-wasip2 into
//!   `plugins/dist/<name>.wasm`, the files the host embeds with `include_bytes!` (so the
//!   server builds without the wasm target); one cargo invocation for the whole plugin
//!   workspace (`plugins/Cargo.toml`, its own release profile and `Cargo.lock`, `--locked`);
//! - `cargo xtask fixtures [--check]`: the runtime's test fixtures (tiny plugins, some
//!   hostile) into `host/runtime/tests/fixtures/<name>.wasm`; two invocations, because the
//!   std guest (`wasi-fs`) would unify wit-bindgen's `std` feature into the no_std ones.
//!
//! Both:
//! - Reproducible: `--remap-path-prefix` maps the checkout and `CARGO_HOME` to fixed names,
//!   and `CARGO_ENCODED_RUSTFLAGS` replaces any flags from the environment or cargo config,
//!   so the bytes do not depend on where the tree or the registry lives. The toolchain
//!   still matters: the committed files come from the toolchain CI uses.
//! - `--check` builds into a temporary target directory and fails if any committed file
//!   differs (what CI runs), without touching `plugins/dist`.
//! - A built component that mentions a `wasi:` interface is refused: plugins must import
//!   nothing but `callsheet:plugins/types` and, for the assigner, `tenant-rules` (the host
//!   refuses anything else at upload).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A cargo workspace of guests and where its components are committed.
pub struct Set {
    /// The task's name, for messages: `plugins`.
    pub name: &'static str,
    /// The guests' workspace, relative to the root.
    pub workspace: &'static str,
    /// The `-p` lists of each cargo invocation (empty: the whole workspace at once).
    pub invocations: &'static [&'static [&'static str]],
    /// (cargo crate name, committed file name) of every component.
    pub outputs: &'static [(&'static str, &'static str)],
    /// Where the components are committed, relative to the root.
    pub dest: &'static str,
    /// Whether a `wasi:` import is a mistake (the default plugins) or the point (a hostile
    /// fixture).
    pub refuse_wasi: bool,
}

/// The default plugins.
pub const PLUGINS: Set = Set {
    name: "plugins",
    workspace: "plugins",
    invocations: &[&[]],
    outputs: &[
        ("callsheet_rules_fr", "rules.wasm"),
        ("callsheet_payroll_fr", "payroll.wasm"),
        ("callsheet_assigner", "assigner.wasm"),
    ],
    dest: "plugins/dist",
    refuse_wasi: true,
};

/// The runtime's test fixtures.
pub const FIXTURES: Set = Set {
    name: "fixtures",
    workspace: "host/runtime/tests/fixtures/guests",
    invocations: &[
        &["fixture-rules", "fixture-assigner", "fixture-payroll"],
        &["fixture-wasi-fs"],
    ],
    outputs: &[
        ("fixture_rules", "rules.wasm"),
        ("fixture_assigner", "assigner.wasm"),
        ("fixture_payroll", "payroll.wasm"),
        ("fixture_wasi_fs", "wasi-fs.wasm"),
    ],
    dest: "host/runtime/tests/fixtures",
    refuse_wasi: false,
};

const TARGET: &str = "wasm32-wasip2";

pub fn run(root: &Path, set: &Set, args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err(format!("usage: cargo xtask {} [--check]", set.name)),
    };
    let dist = root.join(set.dest);
    if check {
        let target = std::env::temp_dir().join(format!(
            "callsheet-xtask-{}-{}",
            set.name,
            std::process::id()
        ));
        let result = build(root, set, &target).and_then(|built| compare(set, &built, &dist));
        let _ = std::fs::remove_dir_all(&target);
        result
    } else {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| root.join(set.workspace).join("target"), PathBuf::from);
        let built = build(root, set, &target)?;
        std::fs::create_dir_all(&dist)
            .map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
        for (file, path) in built {
            let to = dist.join(file);
            std::fs::copy(&path, &to)
                .map_err(|e| format!("cannot copy {} to {}: {e}", path.display(), to.display()))?;
            eprintln!("{}: wrote {}", set.name, to.display());
        }
        Ok(())
    }
}

/// Builds every component of `set` into `target`; returns (committed file name, built
/// file) pairs.
fn build(root: &Path, set: &Set, target: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    // The unit separator is how CARGO_ENCODED_RUSTFLAGS separates flags (paths may hold spaces).
    let flags = [
        format!("--remap-path-prefix={}=/callsheet", root.display()),
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
    ]
    .join("\u{1f}");
    let workspace = root.join(set.workspace);
    for packages in set.invocations {
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command
            .current_dir(&workspace)
            .env("CARGO_TARGET_DIR", target)
            .env("CARGO_ENCODED_RUSTFLAGS", &flags)
            .env_remove("RUSTFLAGS")
            .args(["build", "--manifest-path"])
            .arg(workspace.join("Cargo.toml"))
            .args(["--release", "--locked", "--target", TARGET]);
        for package in *packages {
            command.args(["-p", package]);
        }
        let status = command
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!(
                "building the {} failed (is the {TARGET} target installed? `rustup target add {TARGET}`)",
                set.name
            ));
        }
    }
    let mut built = Vec::new();
    for (krate, file) in set.outputs {
        let path = target
            .join(TARGET)
            .join("release")
            .join(format!("{krate}.wasm"));
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if set.refuse_wasi && bytes.windows(5).any(|w| w == b"wasi:") {
            return Err(format!(
                "{file} mentions a wasi: interface; plugins must import only callsheet:plugins/types (and tenant-rules for an assigner)"
            ));
        }
        built.push((*file, path));
    }
    Ok(built)
}

/// Fails, naming every stale or missing file, unless each built file equals the committed one.
fn compare(set: &Set, built: &[(&str, PathBuf)], dist: &Path) -> Result<(), String> {
    let mut stale = Vec::new();
    for (file, path) in built {
        let fresh =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        match std::fs::read(dist.join(file)) {
            Ok(committed) if committed == fresh => {
                eprintln!("{}: {file} is up to date", set.name);
            }
            Ok(_) => stale.push(format!("{file} differs from a fresh build")),
            Err(_) => stale.push(format!("{file} is missing")),
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} is stale: {}; run `cargo xtask {}` and commit {}",
            set.dest,
            stale.join(", "),
            set.name,
            set.dest
        ))
    }
}
