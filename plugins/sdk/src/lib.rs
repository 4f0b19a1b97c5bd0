//! The callsheet plugin SDK: everything a guest plugin needs besides its own rules.
//!
//! - [`types`]: the records of the WIT interface `callsheet:plugins/types`, generated once
//!   here so that every plugin (and these helpers) share one set of Rust types; a plugin's
//!   own `wit_bindgen::generate!` maps the interface to this module with `with:`.
//! - `guest` (wasm32 only): the `no_std` runtime of a guest: global allocator, panic handler
//!   that traps, and the `cabi_realloc` export the canonical ABI calls. Linking `std` on
//!   wasm32-wasip2 would import `wasi:cli` and `wasi:io`, which the host refuses.
//! - [`params`]: parameter specifications (for `describe()`), validation (for
//!   `validate-params`) and typed reading with defaults and per-technician overrides.
//! - [`calendar`]: local days, weeks and wall-clock times from the host's `calendar`.
//! - [`text`]: durations and times formatted for messages ("9 h 30").
//! - [`report`]: figures, violations, scores and errors, built and sorted deterministically.
//! - `testing` (feature `testing`): fixture builders for native unit tests.
//!
//! Guests are `#![cfg_attr(target_arch = "wasm32", no_std)]` and use `alloc`; natively they
//! link `std` as usual so their unit tests run with `cargo test`.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod calendar;
#[cfg(target_arch = "wasm32")]
mod guest;
pub mod params;
pub mod report;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;

/// The generated bindings of the shared types, behind a module that allows what generated
/// code needs.
#[cfg(not(feature = "serde"))]
#[allow(unsafe_code, missing_debug_implementations, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        inline: "
            package callsheet:plugin-sdk;
            world guest-types {
                import callsheet:plugins/types@0.1.0;
            }
        ",
        path: "wit",
        generate_all,
        // Tests compare records; no Eq/Hash since `value` holds floats.
        additional_derives: [PartialEq],
    });
}

/// The same bindings with serde's traits, for host-side native uses (the WASM-vs-native
/// benchmark feeds the host's problems to the native rules); never in a guest build.
#[cfg(feature = "serde")]
#[allow(unsafe_code, missing_debug_implementations, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        inline: "
            package callsheet:plugin-sdk;
            world guest-types {
                import callsheet:plugins/types@0.1.0;
            }
        ",
        path: "wit",
        generate_all,
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

/// The WIT records and enums of `callsheet:plugins/types@0.1.0`.
pub use bindings::callsheet::plugins::types;

/// Re-exported so that plugins name the same `alloc` types as the SDK.
pub use alloc::{
    borrow::ToOwned, boxed::Box, format, string::String, string::ToString, vec, vec::Vec,
};

/// The SDK carries its own copy of the contract (`wit/`), so it builds as a plain path
/// dependency or a copied folder, outside this repository; the copy must be the contract,
/// file for file, byte for byte.
#[cfg(test)]
mod contract_copy {
    #[test]
    fn the_sdk_s_wit_is_the_contract() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let names = |dir: &std::path::Path| {
            let mut names: std::vec::Vec<_> = std::fs::read_dir(dir)
                .expect("a WIT folder")
                .map(|e| e.expect("an entry").file_name())
                .filter(|n| n.to_string_lossy().ends_with(".wit"))
                .collect();
            names.sort();
            names
        };
        let (contract, copy) = (root.join("../../wit"), root.join("wit"));
        assert_eq!(
            names(&copy),
            names(&contract),
            "copy wit/*.wit into plugins/sdk/wit/"
        );
        for name in names(&contract) {
            assert_eq!(
                std::fs::read_to_string(copy.join(&name)).expect("the SDK's copy"),
                std::fs::read_to_string(contract.join(&name)).expect("the contract"),
                "plugins/sdk/wit/{} differs from wit/: copy it again",
                name.to_string_lossy()
            );
        }
    }
}
