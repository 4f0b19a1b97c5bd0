//! callsheet: plans event and show crews.
//!
//! The host server, in layers whose imports point one way only (checked by `tests/layers.rs`):
//!
//! ```text
//! cli, plugin_cli -> startup -> http -> services -> state -> parts -> domain
//! ```
//!
//! - [`cli`], [`plugin_cli`] - the `callsheet` command and the plugin author's loop;
//! - [`startup`] - binds the listener and serves until shutdown;
//! - [`http`] - the REST API under `/api/v1`, one module per resource, with the error
//!   shape, extractors and middleware shared by all; the only layer that knows statuses;
//! - services, each with its own error type: [`planning`] (the problem, manual
//!   admission, automatic runs), [`plugins`] (the tenant's rule plugins: resolution,
//!   validation, lifecycle), [`audit`] (the hash chain, verification, replay), [`jobs`],
//!   [`provision`] (tenants and their first admin), [`demo`] (generated data);
//! - [`state`] - what every request and service can reach ([`state::AppState`]);
//! - parts: [`storage`] (the trait and its SQLite and PostgreSQL implementations),
//!   [`auth`] (passwords, JWTs, refresh tokens, login throttling), [`plan_cache`], [`rbac`]
//!   (the permission matrix, the only place roles are tested), [`config`],
//!   [`default_plugins`] (the rule plugins compiled into the binary), [`telemetry`],
//!   [`metrics`] (Prometheus counters, gauges and histograms, one registry per app);
//! - [`domain`] - value types that cannot hold invalid values.
//!
//! `docs/architecture.md` draws the whole.

pub mod analytics;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod default_plugins;
pub mod demo;
pub mod domain;
pub mod exports;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod payroll;
pub mod plan_cache;
pub mod planning;
pub mod plugin_cli;
pub mod plugins;
pub mod provision;
pub mod rate_limit;
pub mod rbac;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod timesheets;

#[cfg(test)]
mod docs_check;

/// The plugin runtime, re-exported for embedders and tests.
pub use callsheet_runtime::{Runtime, RuntimeConfig};
