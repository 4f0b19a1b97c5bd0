//! The runtime's one error type, with stable codes, and the mapping from wasmtime's errors.
//!
//! Every failure of a plugin call ends up here with a code the API and the audit log can
//! rely on (`PLUGIN_TRAP`, `PLUGIN_FUEL_EXHAUSTED`...). The mapping from wasmtime is done
//! once, in [`classify`], by downcasting (never by matching messages): wasmtime's [`Trap`]
//! codes, the typed [`LimitExceeded`] our resource limiter raises, and our own [`Error`]
//! when it travelled through a guest (a rules plugin failing under an assigner).

use std::fmt;
use std::time::Duration;

use wasmtime::Trap;

use crate::types::PluginError;

/// Result of the runtime's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a plugin could not be loaded or a plugin call failed.
///
/// [`Error::code`] gives the stable code; the `Display` text is for administrators and logs
/// (English, with the numbers). Variants are grouped by whose fault it is: the plugin's
/// (invalid, trap, limits, bad output, its own error), the caller's (input too large), or
/// the host's ([`Error::Runtime`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `PLUGIN_INVALID`: refused at load or validation: too big, not a component, does not
    /// compile, imports something other than the world's imports (WASI included), does not
    /// export the slot's world, cannot be instantiated, or describes itself incoherently.
    #[error("invalid plugin: {reason}")]
    Invalid {
        /// What is wrong, naming the import or export at fault.
        reason: String,
    },

    /// `PLUGIN_TRAP`: the guest trapped (`unreachable`, a panic, stack overflow, an
    /// out-of-bounds access...).
    #[error("plugin trapped: {kind}{}", detail_suffix(.detail))]
    Trap {
        /// What kind of trap, a stable kebab-case name.
        kind: TrapKind,
        /// The trap message and the wasm backtrace when one was captured.
        detail: String,
    },

    /// `PLUGIN_FUEL_EXHAUSTED`: the call used its whole fuel budget. Deterministic: the same
    /// call with the same budget always stops at the same instruction.
    #[error("plugin ran out of fuel (budget {budget})")]
    FuelExhausted {
        /// The fuel budget the call had, all used.
        budget: u64,
    },

    /// `PLUGIN_TIMEOUT`: the wall-clock backstop fired (epoch deadline). Only happens when
    /// the fuel budget is larger than what the machine can burn within the timeout.
    #[error("plugin timed out after {limit:?}")]
    Timeout {
        /// The call's time limit.
        limit: Duration,
    },

    /// `PLUGIN_MEMORY_LIMIT`: the guest tried to grow its memory (or a table) past the cap.
    #[error("plugin exceeded its memory limit: {0}")]
    MemoryLimit(LimitExceeded),

    /// `PLUGIN_OUTPUT_INVALID`: the call returned, but its result is unusable: too large,
    /// malformed at the boundary (bad UTF-8, out-of-bounds list), or breaking the contract
    /// (one schedule evaluation per schedule, a payslip whose gross is not the sum of its
    /// lines...).
    #[error("plugin output invalid: {reason}")]
    OutputInvalid {
        /// What is wrong with it.
        reason: String,
    },

    /// `PLUGIN_INPUT_TOO_LARGE`: the host refused to send an input above the input limit
    /// (the problem is too big for the sandbox as configured); the plugin never ran.
    #[error("{what} is too large for a plugin call: {size} bytes > {limit} allowed")]
    InputTooLarge {
        /// Which input: "problem", "params", "schedules"...
        what: &'static str,
        /// Its estimated serialized size, in bytes.
        size: usize,
        /// The configured limit, in bytes.
        limit: usize,
    },

    /// `PLUGIN_ERROR`: the plugin returned its own `plugin-error` ("invalid-input",
    /// "invalid-params", "unsupported"...), passed through unchanged.
    #[error("plugin error {}: {}", .error.code, .error.message)]
    Plugin {
        /// The plugin's error, as it returned it.
        error: PluginError,
        /// Fuel used by the call up to the error.
        fuel_used: u64,
    },

    /// The tenant's rules plugin failed while an assigner was planning through
    /// `tenant-rules`: the whole run is aborted. [`Error::code`] is the inner error's.
    #[error("rules plugin failed during planning: {0}")]
    Rules(Box<Error>),

    /// `PLUGIN_RUNTIME_ERROR`: the host itself failed (bad configuration, a panic in host
    /// code, the engine refusing to start). Not the plugin's fault.
    #[error("plugin runtime error: {0}")]
    Runtime(String),
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

impl Error {
    /// The stable machine code of this error, for the API's `code` field and the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "PLUGIN_INVALID",
            Error::Trap { .. } => "PLUGIN_TRAP",
            Error::FuelExhausted { .. } => "PLUGIN_FUEL_EXHAUSTED",
            Error::Timeout { .. } => "PLUGIN_TIMEOUT",
            Error::MemoryLimit(_) => "PLUGIN_MEMORY_LIMIT",
            Error::OutputInvalid { .. } => "PLUGIN_OUTPUT_INVALID",
            Error::InputTooLarge { .. } => "PLUGIN_INPUT_TOO_LARGE",
            Error::Plugin { .. } => "PLUGIN_ERROR",
            Error::Rules(inner) => inner.code(),
            Error::Runtime(_) => "PLUGIN_RUNTIME_ERROR",
        }
    }

    /// The plugin's own error, when the plugin returned one (directly, or from the rules
    /// plugin during planning).
    pub fn plugin_error(&self) -> Option<&PluginError> {
        match self {
            Error::Plugin { error, .. } => Some(error),
            Error::Rules(inner) => inner.plugin_error(),
            _ => None,
        }
    }

    /// True when the error comes from the tenant's rules plugin during an assigner's run.
    pub fn is_from_rules(&self) -> bool {
        matches!(self, Error::Rules(_))
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Error::Invalid {
            reason: reason.into(),
        }
    }

    pub(crate) fn output(reason: impl Into<String>) -> Self {
        Error::OutputInvalid {
            reason: reason.into(),
        }
    }

    pub(crate) fn runtime(reason: impl fmt::Display) -> Self {
        Error::Runtime(reason.to_string())
    }
}

/// The kind of a guest trap, a stable name independent of wasmtime's version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrapKind {
    /// The guest's call stack exceeded the configured wasm stack (deep or infinite
    /// recursion).
    StackOverflow,
    /// `unreachable` executed: in a Rust guest, a panic or an abort.
    Unreachable,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// Integer division by zero.
    DivisionByZero,
    /// Integer overflow (`i32::MIN / -1`) or a float-to-int conversion out of range.
    IntegerOverflow,
    /// An indirect call through a bad table entry or with the wrong signature.
    BadIndirectCall,
    /// The guest broke a component-model rule (re-entering an instance, calling the host
    /// when it may not, such as `tenant-rules` outside `plan`).
    ComponentModel,
    /// Anything else, with wasmtime's description.
    Other(String),
}

impl TrapKind {
    /// Stable kebab-case name: "stack-overflow", "unreachable"...
    pub fn as_str(&self) -> &str {
        match self {
            TrapKind::StackOverflow => "stack-overflow",
            TrapKind::Unreachable => "unreachable",
            TrapKind::MemoryOutOfBounds => "memory-out-of-bounds",
            TrapKind::DivisionByZero => "division-by-zero",
            TrapKind::IntegerOverflow => "integer-overflow",
            TrapKind::BadIndirectCall => "bad-indirect-call",
            TrapKind::ComponentModel => "component-model",
            TrapKind::Other(_) => "other",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapKind::Other(what) => write!(f, "other: {what}"),
            kind => f.write_str(kind.as_str()),
        }
    }
}

/// A resource cap the guest ran into, raised as a typed error by the store's resource
/// limiter (see `sandbox::Limiter`) so that errors are mapped without matching messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitExceeded {
    /// Linear memory: the store's memories would total `requested` bytes.
    #[error("memory would grow to {requested} bytes, over the {limit}-byte cap")]
    Memory {
        /// Bytes the guest's memories would total after the growth.
        requested: usize,
        /// The cap, in bytes.
        limit: usize,
    },
    /// A table would exceed its element cap.
    #[error("a table would grow to {requested} elements, over the {limit}-element cap")]
    TableElements {
        /// Elements requested.
        requested: usize,
        /// The cap.
        limit: usize,
    },
}

/// What a call was allowed, to report which limit was hit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallLimits {
    pub fuel: u64,
    pub timeout: Duration,
}

/// Maps an error out of a wasmtime call (or instantiation) to our [`Error`].
///
/// Order matters: our own errors first (a rules failure that travelled through the
/// assigner, or a limit our limiter raised), then wasmtime's trap codes, then what can only
/// be a malformed value at the boundary (bad UTF-8 when lifting a string).
pub(crate) fn classify(err: wasmtime::Error, limits: CallLimits) -> Error {
    let err = match err.downcast::<Error>() {
        Ok(ours) => return ours,
        Err(err) => err,
    };
    if let Some(limit) = err.downcast_ref::<LimitExceeded>() {
        return Error::MemoryLimit(limit.clone());
    }
    if let Some(trap) = err.downcast_ref::<Trap>() {
        let kind = match *trap {
            Trap::OutOfFuel => {
                return Error::FuelExhausted {
                    budget: limits.fuel,
                };
            }
            Trap::Interrupt => {
                return Error::Timeout {
                    limit: limits.timeout,
                };
            }
            // Raised while lifting what the guest returned (or passed to a host import):
            // the value itself is malformed.
            Trap::StringOutOfBounds
            | Trap::ListOutOfBounds
            | Trap::InvalidDiscriminant
            | Trap::InvalidChar
            | Trap::UnalignedPointer => {
                return Error::output(format!("malformed value at the boundary: {trap}"));
            }
            Trap::StackOverflow => TrapKind::StackOverflow,
            Trap::UnreachableCodeReached => TrapKind::Unreachable,
            Trap::MemoryOutOfBounds | Trap::HeapMisaligned => TrapKind::MemoryOutOfBounds,
            Trap::IntegerDivisionByZero => TrapKind::DivisionByZero,
            Trap::IntegerOverflow | Trap::BadConversionToInteger => TrapKind::IntegerOverflow,
            Trap::TableOutOfBounds | Trap::IndirectCallToNull | Trap::BadSignature => {
                TrapKind::BadIndirectCall
            }
            Trap::CannotEnterComponent | Trap::CannotLeaveComponent => TrapKind::ComponentModel,
            other => TrapKind::Other(other.to_string()),
        };
        return Error::Trap {
            kind,
            detail: trap_detail(&err),
        };
    }
    if err.downcast_ref::<std::str::Utf8Error>().is_some() {
        return Error::output(format!("malformed value at the boundary: {err}"));
    }
    // Anything else raised during a call is the guest's doing (a host import refusing to
    // run, e.g. `tenant-rules` outside `plan`, or a bad pointer from its allocator): report
    // it as a trap with the whole chain so the author can see why.
    Error::Trap {
        kind: TrapKind::Other(format!("{err}")),
        detail: trap_detail(&err),
    }
}

/// The trap's message with its wasm backtrace (function indices or names), for the author.
fn trap_detail(err: &wasmtime::Error) -> String {
    let mut detail = String::new();
    if let Some(backtrace) = err.downcast_ref::<wasmtime::WasmBacktrace>() {
        let text = backtrace.to_string();
        // A stack overflow's backtrace repeats one frame thousands of times: keep the top.
        let lines: Vec<&str> = text.lines().collect();
        detail.push_str(&lines[..lines.len().min(12)].join("\n"));
        if lines.len() > 12 {
            detail.push_str(&format!("\n... {} more frames", lines.len() - 12));
        }
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let rules = Error::Rules(Box::new(Error::FuelExhausted { budget: 1 }));
        assert_eq!(rules.code(), "PLUGIN_FUEL_EXHAUSTED");
        assert!(rules.is_from_rules());
        assert_eq!(Error::invalid("x").code(), "PLUGIN_INVALID");
        assert_eq!(Error::output("x").code(), "PLUGIN_OUTPUT_INVALID");
        assert_eq!(
            Error::Timeout {
                limit: Duration::from_secs(1)
            }
            .code(),
            "PLUGIN_TIMEOUT"
        );
    }

    #[test]
    fn traps_map_to_their_kind() {
        let limits = CallLimits {
            fuel: 7,
            timeout: Duration::from_millis(5),
        };
        let classify_trap = |trap: Trap| classify(wasmtime::Error::new(trap), limits);
        assert_eq!(
            classify_trap(Trap::OutOfFuel),
            Error::FuelExhausted { budget: 7 }
        );
        assert_eq!(
            classify_trap(Trap::Interrupt),
            Error::Timeout {
                limit: limits.timeout
            }
        );
        assert!(matches!(
            classify_trap(Trap::StackOverflow),
            Error::Trap {
                kind: TrapKind::StackOverflow,
                ..
            }
        ));
        assert_eq!(
            classify_trap(Trap::InvalidChar).code(),
            "PLUGIN_OUTPUT_INVALID"
        );
        let limit = LimitExceeded::Memory {
            requested: 2,
            limit: 1,
        };
        assert_eq!(
            classify(wasmtime::Error::new(limit.clone()), limits),
            Error::MemoryLimit(limit)
        );
    }
}
