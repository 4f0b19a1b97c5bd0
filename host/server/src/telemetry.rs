//! Logging and traces.
//!
//! Logs: JSON lines in production (for log shippers), readable text otherwise. Levels come
//! from `RUST_LOG` with per-module directives (`RUST_LOG=info,callsheet::http=debug,sqlx=warn`);
//! the default keeps sqlx's per-query lines out.
//!
//! Traces: when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//! set, spans go to that collector over OTLP/HTTP (protobuf), batched on a thread of their
//! own, configured by the standard OpenTelemetry variables (`OTEL_SERVICE_NAME`,
//! `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`, `OTEL_TRACES_SAMPLER`...). A request is a span
//! (`GET /api/v1/missions/{id}`) with its route, status, request id, tenant and user, child
//! of the caller's span when it sends a W3C `traceparent`; storage calls and plugin calls
//! (with their fuel) are its children. The trace layer has its own filter, so storage
//! spans reach the collector without adding a log line, and cost nothing without it.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::AppEnv;

const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// What traces: requests, plugin calls (info) and storage calls (debug, target
/// `callsheet::storage`).
const TRACE_FILTER: &str =
    "info,callsheet::storage=debug,sqlx=off,tower_http=off,h2=off,hyper=off,reqwest=off";

/// Keeps the trace exporter alive; dropping it sends the spans still batched.
#[derive(Debug, Default)]
#[must_use = "dropping the guard stops the traces"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "traces not all exported at shutdown");
        }
    }
}

/// Whether the standard variables ask for traces.
fn traces_wanted(get: impl Fn(&str) -> Option<String>) -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| get(name).is_some_and(|v| !v.trim().is_empty()))
        && get("OTEL_SDK_DISABLED").is_none_or(|v| !v.eq_ignore_ascii_case("true"))
}

/// The tracer provider exporting over OTLP/HTTP. Built on a thread of its own: the
/// exporter's blocking HTTP client may not be made (or dropped) on an async runtime's
/// thread.
fn provider() -> Result<SdkTracerProvider, String> {
    std::thread::spawn(|| {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build()
            .map_err(|e| e.to_string())?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(
                std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "callsheet".to_owned()),
            )
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                env!("CARGO_PKG_VERSION"),
            ))
            .build();
        Ok(SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build())
    })
    .join()
    .map_err(|_| "the exporter's setup panicked".to_owned())?
}

/// Installs the global subscriber (and, when asked, the trace exporter). Safe to call more
/// than once (later calls do nothing), which tests rely on.
pub fn init(env: AppEnv) -> TelemetryGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Logs go to stderr: stdout is kept for what commands print (JSON for `jq`, logins).
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match env {
        AppEnv::Prod => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        AppEnv::Dev => logs.boxed(),
        // Captured by the test harness: shown only for the tests that fail.
        AppEnv::Test => logs.with_test_writer().boxed(),
    }
    .with_filter(filter);
    let mut guard = TelemetryGuard::default();
    let traces = if traces_wanted(|name| std::env::var(name).ok()) {
        match provider() {
            Ok(provider) => {
                opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
                let tracer = provider.tracer("callsheet");
                guard.provider = Some(provider);
                Some(
                    tracing_opentelemetry::layer()
                        .with_tracer(tracer)
                        .with_filter(EnvFilter::new(TRACE_FILTER)),
                )
            }
            Err(error) => {
                eprintln!("traces are off: cannot set up the OTLP exporter: {error}");
                None
            }
        }
    } else {
        None
    };
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init();
    guard
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_follow_the_standard_variables() {
        let with = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(!traces_wanted(with(&[])));
        assert!(traces_wanted(with(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://collector:4318"
        )])));
        assert!(traces_wanted(with(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://collector:4318/v1/traces"
        )])));
        assert!(!traces_wanted(with(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            " "
        )])));
        assert!(!traces_wanted(with(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_SDK_DISABLED", "true")
        ])));
    }
}
