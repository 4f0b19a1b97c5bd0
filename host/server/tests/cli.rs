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
