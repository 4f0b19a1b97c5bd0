//! Logging: JSON lines in production (for log shippers), readable text otherwise.
//!
//! Levels come from `RUST_LOG` with per-module directives
//! (`RUST_LOG=info,callsheet::http=debug,sqlx=warn`); the default keeps sqlx's per-query
//! lines out.

use tracing_subscriber::EnvFilter;

use crate::config::AppEnv;

const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// Installs the global subscriber. Safe to call more than once (later calls do nothing),
/// which tests rely on.
pub fn init(env: AppEnv) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Logs go to stderr: stdout is kept for what commands print (JSON for `jq`, logins).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match env {
        AppEnv::Prod => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        AppEnv::Dev => builder.try_init(),
        // Captured by the test harness: shown only for the tests that fail.
        AppEnv::Test => builder.with_test_writer().try_init(),
    };
}
