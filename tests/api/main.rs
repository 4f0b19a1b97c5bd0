//! End-to-end tests of the API: the real server on port 0, over HTTP.
//!
//! Run on SQLite by default and on PostgreSQL with `CALLSHEET_TEST_POSTGRES_URL` set
//! (`.ci/run` does both). One module per area; test names are sentences.

mod analytics;
mod audit;
mod auth;
mod calendar;
mod call_sheets;
mod conditional;
mod conventions;
mod crew;
mod exports;
mod health;
mod metrics;
mod notifications;
mod payroll;
mod planning;
mod planning_store;
mod plugins;
mod races;
mod rate_limit;
mod rbac;
mod reschedule;
mod runs;
mod storage_conformance;
mod tenant;
mod throttle;
mod timesheets;
mod users;
mod webhooks;
