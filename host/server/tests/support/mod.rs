//! What the tests that run the real `callsheet` binary share: a command with nothing of the
//! caller's environment (but `PATH` and the coverage profile), a tenant made by the CLI, a
//! server on a free port waited for, its admin's token.

#![allow(dead_code)] // each test crate uses its own part

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The password of the admin of the tenant [`create_tenant`] makes.
pub const ADMIN_PASSWORD: &str = "a-long-password-1";

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary, run in `dir` on `database_url`, with `envs` on top.
pub fn binary(dir: &Path, database_url: &str, envs: &[(&str, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callsheet"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
        command.env("LLVM_PROFILE_FILE", profile);
    }
    for (k, v) in envs {
        command.env(k, v);
    }
    command
}

/// Creates the tenant `acme` and its admin `admin@acme.test` through the CLI.
pub fn create_tenant(dir: &Path, database_url: &str) {
    let created = binary(
        dir,
        database_url,
        &[("CALLSHEET_ADMIN_PASSWORD", ADMIN_PASSWORD.into())],
    )
    .args([
        "tenant",
        "create",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--admin-email",
        "admin@acme.test",
    ])
    .output()
    .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
}

/// A server process, killed when dropped.
pub struct Running {
    pub child: Child,
    /// `http://127.0.0.1:<port>/api/v1`.
    pub base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on a free port with `envs`, and waits until it answers.
pub async fn serve(dir: &Path, database_url: &str, envs: &[(&str, String)]) -> Running {
    let port = free_port();
    let mut envs = envs.to_vec();
    envs.push(("APP_PORT", port.to_string()));
    let child = binary(dir, database_url, &envs)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let running = Running {
        child,
        base: format!("http://127.0.0.1:{port}/api/v1"),
    };
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if client
            .get(format!("{}/health", running.base))
            .send()
            .await
            .is_ok()
        {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

/// The admin's access token.
pub async fn admin_token(client: &reqwest::Client, base: &str) -> String {
    let login: serde_json::Value = client
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"tenant": "acme", "email": "admin@acme.test", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"]
        .as_str()
        .expect("logged in")
        .to_owned()
}
