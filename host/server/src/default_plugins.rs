//! The default rule plugins, compiled into the binary.
//!
//! They are built from `plugins/` by `cargo xtask plugins` and committed as
//! `plugins/dist/*.wasm`, so the server builds and runs without the wasm target (as zellij
//! does with its default plugins). `.ci/run` rebuilds them and fails when the committed
//! files are stale; the test below fails when a file in `plugins/dist/` is not embedded here
//! (or the reverse), and checks each one passes validation for its slot.

use callsheet_runtime::Slot;

/// A plugin shipped with the server: every new tenant starts with these active.
#[derive(Debug, Clone, Copy)]
pub struct DefaultPlugin {
    pub slot: Slot,
    /// The file name in `plugins/dist/`, without `.wasm`.
    pub name: &'static str,
    pub wasm: &'static [u8],
}

macro_rules! embedded {
    ($($slot:ident => $name:literal),* $(,)?) => {
        &[$(DefaultPlugin {
            slot: Slot::$slot,
            name: $name,
            wasm: include_bytes!(concat!("../../../plugins/dist/", $name, ".wasm")),
        }),*]
    };
}

/// Every default plugin, one per slot that has one.
pub const DEFAULT_PLUGINS: &[DefaultPlugin] = embedded! {
    Rules => "rules",
    Assigner => "assigner",
    Payroll => "payroll",
};

/// The default plugin for `slot`, if there is one.
pub fn for_slot(slot: Slot) -> Option<&'static DefaultPlugin> {
    DEFAULT_PLUGINS.iter().find(|p| p.slot == slot)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use callsheet_runtime::{Runtime, RuntimeConfig};

    use super::*;

    #[test]
    fn every_built_plugin_is_embedded_and_nothing_else() {
        let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/dist");
        let built: BTreeSet<String> = std::fs::read_dir(&dist)
            .expect("plugins/dist exists")
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".wasm")
                    .map(str::to_owned)
            })
            .collect();
        let embedded: BTreeSet<String> =
            DEFAULT_PLUGINS.iter().map(|p| p.name.to_owned()).collect();
        assert_eq!(built, embedded, "plugins/dist and DEFAULT_PLUGINS disagree");
        for plugin in DEFAULT_PLUGINS {
            let on_disk = std::fs::read(dist.join(format!("{}.wasm", plugin.name))).expect("read");
            assert!(
                on_disk == plugin.wasm,
                "{} is embedded from a stale build",
                plugin.name
            );
        }
    }

    #[test]
    fn every_embedded_plugin_validates_for_its_slot() {
        let runtime = Runtime::new(RuntimeConfig::default()).expect("runtime");
        for plugin in DEFAULT_PLUGINS {
            let info = runtime
                .validate(plugin.slot, plugin.wasm)
                .unwrap_or_else(|e| panic!("{} does not validate: {e}", plugin.name));
            assert!(
                !info.name.is_empty() && !info.version.is_empty(),
                "{}: {info:?}",
                plugin.name
            );
            assert_eq!(for_slot(plugin.slot).map(|p| p.name), Some(plugin.name));
        }
    }
}
