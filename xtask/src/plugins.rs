//! `cargo xtask plugins [--check]`: builds the default plugins for wasm32-wasip2 and copies
//! them to `plugins/dist/<name>.wasm`, the files the host embeds with `include_bytes!` (so
//! the server builds without the wasm target).
//!
//! - One cargo invocation for the whole plugin workspace (`plugins/Cargo.toml`, its own
//!   release profile and `Cargo.lock`, built `--locked`).
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

/// (cargo crate name, file name in `plugins/dist`) of every default plugin.
const PLUGINS: &[(&str, &str)] = &[
    ("callsheet_rules_fr", "rules.wasm"),
    ("callsheet_payroll_fr", "payroll.wasm"),
    ("callsheet_assigner", "assigner.wasm"),
];

const TARGET: &str = "wasm32-wasip2";

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err("usage: cargo xtask plugins [--check]".into()),
    };
    let dist = root.join("plugins").join("dist");
    if check {
        let target =
            std::env::temp_dir().join(format!("callsheet-xtask-plugins-{}", std::process::id()));
        let result = build(root, &target).and_then(|built| compare(&built, &dist));
        let _ = std::fs::remove_dir_all(&target);
        result
    } else {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| root.join("plugins").join("target"), PathBuf::from);
        let built = build(root, &target)?;
        std::fs::create_dir_all(&dist)
            .map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
        for (file, path) in built {
            let to = dist.join(file);
            std::fs::copy(&path, &to)
                .map_err(|e| format!("cannot copy {} to {}: {e}", path.display(), to.display()))?;
            eprintln!("plugins: wrote {}", to.display());
        }
        Ok(())
    }
}

/// Builds every plugin into `target`; returns (dist file name, built file) pairs.
fn build(root: &Path, target: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
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
    let plugins = root.join("plugins");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&plugins)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_ENCODED_RUSTFLAGS", flags)
        .env_remove("RUSTFLAGS")
        .args(["build", "--manifest-path"])
        .arg(plugins.join("Cargo.toml"))
        .args(["--release", "--locked", "--target", TARGET])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the plugins failed (is the {TARGET} target installed? `rustup target add {TARGET}`)"
        ));
    }
    let mut built = Vec::new();
    for (krate, file) in PLUGINS {
        let path = target
            .join(TARGET)
            .join("release")
            .join(format!("{krate}.wasm"));
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if bytes.windows(5).any(|w| w == b"wasi:") {
            return Err(format!(
                "{file} mentions a wasi: interface; plugins must import only callsheet:plugins/types (and tenant-rules for an assigner)"
            ));
        }
        built.push((*file, path));
    }
    Ok(built)
}

/// Fails, naming every stale or missing file, unless each built file equals the committed one.
fn compare(built: &[(&str, PathBuf)], dist: &Path) -> Result<(), String> {
    let mut stale = Vec::new();
    for (file, path) in built {
        let fresh =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        match std::fs::read(dist.join(file)) {
            Ok(committed) if committed == fresh => eprintln!("plugins: {file} is up to date"),
            Ok(_) => stale.push(format!("{file} differs from a fresh build")),
            Err(_) => stale.push(format!("{file} is missing")),
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "plugins/dist is stale: {}; run `cargo xtask plugins` and commit plugins/dist",
            stale.join(", ")
        ))
    }
}
