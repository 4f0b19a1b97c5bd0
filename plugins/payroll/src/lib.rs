//! callsheet's default payroll plugin (`callsheet-payroll-fr`, WIT world `payroll`): hourly
//! pay with French weekly overtime, night, Sunday, public-holiday and 1 May premiums, and
//! per-show cachets, in integer cents with one stated rounding rule.
//!
//! - [`config`]: the parameters (rates in basis points, thresholds in seconds);
//! - [`catalog`]: `describe()`: the pay codes and parameters;
//! - [`money`]: the rounding rule and the formatting of formulas;
//! - `work`: worked time (windows minus breaks) clipped, split by day and ISO week;
//! - [`payslip`]: the computation, line by line, each with its formula and figures;
//! - `component` (wasm32 only): the WIT bindings and exports.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod catalog;
#[cfg(target_arch = "wasm32")]
mod component;
pub mod config;
pub mod money;
pub mod payslip;
mod work;

#[cfg(test)]
mod tests;
