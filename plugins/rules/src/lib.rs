//! callsheet's default rules plugin (`callsheet-rules-fr`, WIT world `rules`): French labour
//! law and IDCC 2717, plus nurse-rostering-class rules driven by parameters.
//!
//! - [`config`]: every parameter with its default and legal source, read into `Limits`;
//! - [`catalog`]: `describe()`: the rules, their sources and parameters;
//! - `index`, `active`: the problem's and the plan's ids resolved to positions once, so
//!   that evaluation compares integers, never strings;
//! - `model`, `timeline`: a technician's work as periods, blocks and working days;
//! - [`rules`]: one module per rule family; `rules::plan` holds the plan-level rules;
//! - [`evaluator`]: the session behind the WIT `evaluator` resource;
//! - `component` (wasm32 only): the WIT bindings and exports, a thin shell over the above.
//!
//! All logic is plain Rust over the SDK's WIT types, unit-tested natively; the wasm build is
//! `no_std` so that the component imports nothing but `callsheet:plugins/types`.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

mod active;
pub mod catalog;
#[cfg(target_arch = "wasm32")]
mod component;
pub mod config;
pub mod evaluator;
mod index;
mod model;
pub mod rules;
mod timeline;

#[cfg(test)]
mod tests;
