//! The slots: which world a component implements, and the checks a binary must pass before
//! it is accepted for one.

use std::fmt;
use std::str::FromStr;

use wasmtime::component::Component;

use crate::call::EngineHandle;
use crate::error::{Error, Result};
use crate::size;
use crate::types::PluginInfo;

/// The contract versions this host supports; a component must import exactly these.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// A plugin slot: which world a component must implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// World `rules`: evaluates schedules and plans against the tenant's rules.
    Rules,
    /// World `assigner`: builds a plan, scored through `tenant-rules`.
    Assigner,
    /// World `payroll`: computes payslips.
    Payroll,
}

impl Slot {
    /// Every slot.
    pub const ALL: [Slot; 3] = [Slot::Rules, Slot::Assigner, Slot::Payroll];

    /// The slot's name, which is also its WIT world's name: "rules", "assigner", "payroll".
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Rules => "rules",
            Slot::Assigner => "assigner",
            Slot::Payroll => "payroll",
        }
    }

    /// The only imports a component of this slot may have. `types` carries no function
    /// (type definitions only); `tenant-rules` is implemented by the host.
    pub fn allowed_imports(self) -> Vec<String> {
        let mut allowed = vec![format!("callsheet:plugins/types@{CONTRACT_VERSION}")];
        if self == Slot::Assigner {
            allowed.push(format!("callsheet:plugins/tenant-rules@{CONTRACT_VERSION}"));
        }
        allowed
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Slot {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Slot::ALL
            .into_iter()
            .find(|slot| slot.as_str() == s)
            .ok_or_else(|| Error::invalid(format!("unknown slot {s:?}")))
    }
}

/// First checks on a binary, before compiling: size, and that it is a component at all
/// (with a hint for the common mistake of uploading a core module).
pub(crate) fn check_binary(rt: &EngineHandle, bytes: &[u8]) -> Result<()> {
    let limit = rt.config.max_binary_bytes;
    if bytes.len() > limit {
        return Err(Error::invalid(format!(
            "binary is {} bytes, over the {limit}-byte limit",
            bytes.len()
        )));
    }
    const MAGIC: &[u8] = b"\0asm";
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(Error::invalid("not a WebAssembly binary"));
    }
    // Bytes 4..8: version and layer; a core module is layer 0, a component layer 1.
    if bytes[6..8] == [0, 0] {
        return Err(Error::invalid(
            "a core WebAssembly module, not a component: build for wasm32-wasip2 (or wrap it \
             with `wasm-tools component new`)",
        ));
    }
    Ok(())
}

/// Refuses a component that imports anything its slot's world does not: WASI (files,
/// clocks, random, sockets, stdio), other interfaces, other contract versions. Names every
/// forbidden import, so the author knows what to remove.
pub(crate) fn check_imports(rt: &EngineHandle, component: &Component, slot: Slot) -> Result<()> {
    let allowed = slot.allowed_imports();
    let forbidden: Vec<String> = component
        .component_type()
        .imports(&rt.engine)
        .map(|(name, _)| name.to_string())
        .filter(|name| !allowed.contains(name))
        .collect();
    if forbidden.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "imports {} not allowed in the {slot} world (allowed: {}){}",
        forbidden.join(", "),
        allowed.join(", "),
        if forbidden.iter().any(|n| n.starts_with("wasi:")) {
            "; plugins get no WASI: build the guest no_std (see wit/README.md)"
        } else {
            ""
        }
    )))
}

/// Turns an export-typing failure from a typed `*Pre::new` into a clear refusal.
pub(crate) fn wrong_world(slot: Slot, err: wasmtime::Error) -> Error {
    Error::invalid(format!(
        "does not implement the {slot} world of callsheet:plugins@{CONTRACT_VERSION}: {err:#}"
    ))
}

/// The most history a plugin may ask for (`describe().lookback-days`): a year and a
/// month, enough for any annual rule. The host builds that much calendar and history for
/// every run, so an unbounded ask would let one tenant's plugin make every run of theirs
/// build centuries of calendar (and overflow dates further out).
pub const MAX_LOOKBACK_DAYS: u32 = 400;

/// Sanity checks on what `describe()` returned, at validation.
pub(crate) fn check_info(rt: &EngineHandle, info: &PluginInfo) -> Result<()> {
    size::check_output("plugin-info", info, rt.config.max_output_bytes)?;
    check_lookback(info.lookback_days)?;
    if info.name.trim().is_empty() || info.version.trim().is_empty() {
        return Err(Error::output("describe() must give a name and a version"));
    }
    let mut ids: Vec<&str> = info.rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(dup) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::output(format!(
            "describe() declares rule {:?} twice",
            dup[0]
        )));
    }
    let mut names: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    if let Some(dup) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::output(format!(
            "describe() declares parameter {:?} twice",
            dup[0]
        )));
    }
    Ok(())
}

/// `describe().lookback-days` within [`MAX_LOOKBACK_DAYS`].
pub(crate) fn check_lookback(days: u32) -> Result<()> {
    if days > MAX_LOOKBACK_DAYS {
        return Err(Error::output(format!(
            "describe() asks for {days} days of history; at most {MAX_LOOKBACK_DAYS}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_and_a_month_of_history_is_the_most_a_plugin_may_ask() {
        assert!(check_lookback(0).is_ok());
        assert!(check_lookback(MAX_LOOKBACK_DAYS).is_ok());
        let refused = check_lookback(740_000).unwrap_err();
        assert_eq!(refused.code(), "PLUGIN_OUTPUT_INVALID");
        assert!(refused.to_string().contains("740000 days"), "{refused}");
        assert!(check_lookback(u32::MAX).is_err());
    }
}
