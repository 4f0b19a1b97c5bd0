//! Integration tests of the engine against the real plugins: the committed default rules
//! plugin (`plugins/dist/rules.wasm`), the default assigner when it is built
//! (`plugins/dist/assigner.wasm`), and the runtime's small test fixtures.

mod common;
mod conflicts;
mod plan;
#[cfg(feature = "milp")]
mod reference;
