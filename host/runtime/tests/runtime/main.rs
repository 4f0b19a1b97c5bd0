//! Integration tests of the plugin sandbox, against the fixture plugins in
//! `tests/fixtures/` (rebuild them with `cargo xtask fixtures`; CI checks them with `--check`).
//!
//! Most tests share one runtime (`common::runtime()`), on purpose: each hostile fixture
//! must fail with its own error while the same runtime keeps serving other calls.

mod cache;
mod calls;
mod common;
mod hostile;
mod validation;
