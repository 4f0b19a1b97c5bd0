//! The typed bindings: one `bindgen!` per world of the WIT package in `wit/` at the
//! repository root (the contract, version 0.1.0).
//!
//! The three worlds share the `types` interface. It is generated once, with the `rules`
//! world, and the other two map it there with `with`, so a `Problem` or a `PluginInfo` is
//! one Rust type whatever the slot (re-exported as [`crate::types`]). The generated types
//! also derive `PartialEq` and serde's traits, so the host can compare results, snapshot
//! inputs in the audit log and measure sizes.
//!
//! Host imports (only `tenant-rules`, in the assigner world) are `trappable`: when the
//! tenant's rules plugin itself fails (trap, fuel, memory) the host must abort the
//! assigner's whole run, which it does by trapping the assigner with the rules error.
//!
//! No `async`: calls are synchronous, run on blocking threads (see `sandbox`).

/// The `rules` world: exports `plugin` and `rule-engine` (the `evaluator` resource).
pub mod rules {
    wasmtime::component::bindgen!({
        world: "rules",
        path: "../../wit",
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

/// The `payroll` world: exports `plugin` and `pay-calculator`.
pub mod payroll {
    wasmtime::component::bindgen!({
        world: "payroll",
        path: "../../wit",
        with: { "callsheet:plugins/types": super::rules::callsheet::plugins::types },
    });
}

/// The `assigner` world: imports `tenant-rules` (implemented by the host, routed to the
/// tenant's rules plugin), exports `plugin` and `planner`.
pub mod assigner {
    wasmtime::component::bindgen!({
        world: "assigner",
        path: "../../wit",
        imports: { default: trappable },
        with: { "callsheet:plugins/types": super::rules::callsheet::plugins::types },
    });
}
