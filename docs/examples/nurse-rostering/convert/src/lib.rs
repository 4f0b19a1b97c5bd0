//! Native tools of the nurse-rostering example (never built for wasm):
//! - [`instance`]: the Curtois & Qu instance format;
//! - [`problem`]: an instance as a callsheet problem plus the rules parameters, and rosters
//!   to and from plans;
//! - [`roster`]: shift types per employee per day;
//! - [`check`]: the independent checker (hard violations and objective, from the instance
//!   alone), which the tests hold the plugin to and the benchmark scores the assigner with.

pub mod check;
pub mod instance;
pub mod problem;
pub mod roster;
