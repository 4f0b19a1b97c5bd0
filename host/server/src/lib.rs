//! callsheet: plans event and show crews.
//!
//! The host server. Its parts, from the edge inwards:
//!
//! - [`cli`] - the `callsheet` command (`serve`, `migrate`, `demo`, `tenant create`);
//! - [`config`] - the environment, checked once at start-up;
//! - [`app`] - builds the state, binds the listener, serves until shutdown;
//! - [`http`] - the REST API under `/api/v1`, one module per resource, with the error
//!   shape, extractors and middleware shared by all;
//! - [`rbac`] - the permission matrix, the only place roles are tested;
//! - [`auth`] - passwords, JWTs, refresh tokens, login throttling;
//! - [`domain`] - value types that cannot hold invalid values;
//! - [`storage`] - the storage trait and its SQLite and PostgreSQL implementations;
//! - [`default_plugins`] - the rule plugins compiled into the binary;
//! - [`plugin_cli`] - `callsheet plugin validate|run`, the plugin author's loop;
//! - [`provision`] - creating tenants and the demo tenant;
//! - [`telemetry`] - logs.
//!
//! `docs/architecture.md` draws the whole.

pub mod admission;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod default_plugins;
pub mod demo;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod plan_cache;
pub mod plugin_cli;
pub mod problem;
pub mod provision;
pub mod rbac;
pub mod runs;
pub mod storage;
pub mod telemetry;
pub mod tenant_plugins;

#[cfg(test)]
mod docs_check;

/// The plugin runtime, re-exported for embedders and tests.
pub use callsheet_runtime::{Runtime, RuntimeConfig};
