//! Why a planning run fails as a whole. Every failure becomes a WIT `plugin-error` with a
//! stable code; bad input never traps.

use alloc::format;
use alloc::string::String;

use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::PluginError;

/// A failed run.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The problem or the parameters are refused ("invalid-input", "invalid-params").
    Input(Failure),
    /// A `tenant-rules` call returned an error, or an answer the assigner cannot use (the
    /// wrong number of evaluations): "rules-failed".
    Rules(String),
    /// A broken invariant of the assigner itself ("internal"): a bug, reported rather than
    /// trapped so that the host logs a readable message.
    Internal(String),
}

impl Error {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Input(f) => f.code(),
            Error::Rules(_) => "rules-failed",
            Error::Internal(_) => "internal",
        }
    }

    /// An error the rules plugin returned, passed on with its own code.
    pub fn from_rules(e: PluginError) -> Error {
        Error::Rules(format!(
            "the tenant's rules refused an evaluation ({}): {}",
            e.code, e.message
        ))
    }
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        Error::Input(f)
    }
}

impl From<Error> for PluginError {
    fn from(e: Error) -> PluginError {
        match e {
            Error::Input(f) => f.into(),
            Error::Rules(message) => PluginError {
                code: "rules-failed".into(),
                message,
            },
            Error::Internal(message) => PluginError {
                code: "internal".into(),
                message,
            },
        }
    }
}
