//! A plugin call as the server observes it: a trace span, child of the request's (its
//! slot; once it ends, its fuel or its error code), and the slot's metrics.

use std::time::Instant;

use callsheet_runtime::Slot;
use tracing::Span;
use tracing::field::Empty;

use crate::metrics::Metrics;

/// A plugin call under way; [`PluginCall::end`] records it.
#[derive(Debug)]
pub struct PluginCall {
    span: Span,
    slot: &'static str,
    started: Instant,
}

impl PluginCall {
    pub fn start(slot: Slot) -> Self {
        let slot = slot.as_str();
        Self {
            span: tracing::info_span!(
                "plugin.call",
                otel.name = %format_args!("plugin {slot}"),
                plugin.slot = slot,
                plugin.fuel = Empty,
                error.code = Empty,
                otel.status_code = Empty,
            ),
            slot,
            started: Instant::now(),
        }
    }

    /// The call's span, to instrument the work with.
    pub fn span(&self) -> Span {
        self.span.clone()
    }

    /// Records the call: its fuel when known, or its error code.
    pub fn end(self, metrics: &Metrics, outcome: Result<Option<u64>, &'static str>) {
        metrics.plugin_call(self.slot, self.started.elapsed(), outcome);
        match outcome {
            Ok(Some(fuel)) => {
                self.span.record("plugin.fuel", fuel);
            }
            Ok(None) => {}
            Err(code) => {
                self.span.record("error.code", code);
                self.span.record("otel.status_code", "ERROR");
            }
        }
    }
}
