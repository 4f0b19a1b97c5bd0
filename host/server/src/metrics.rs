//! Prometheus metrics: what the server counts, and the text `/metrics` serves.
//!
//! Each fact is recorded by the module that knows it: the HTTP middleware (requests, their
//! latency, those in flight), the plan cache (hits and misses), the rate limiter and the
//! login throttle (refusals), the planning services (plugin calls). Gauges that are a
//! property of the database -- pool occupancy, the job queue -- are read when `/metrics` is
//! scraped, not maintained on every change.
//!
//! Design points (see `docs/adr/0006-metrics.md`):
//! - **One registry per application**, held in `AppState`, never the process's global one:
//!   the test suite runs dozens of servers in one process, and a server's figures must be
//!   its own for a test to assert exact counts.
//! - **Bounded labels only.** Routes are the router's templates (`/api/v1/missions/{id}`),
//!   never raw paths; a request no route matched is `unmatched`; methods outside the
//!   standard ones are `other`; statuses, slots, error codes and scopes come from closed
//!   sets. No label carries a tenant, a user or an id: their number has no bound.
//! - **Off means free.** Without `METRICS_TOKEN`, [`Metrics`] is an empty handle: every
//!   record is a branch on `None`, nothing is allocated or counted, `/metrics` is not routed.
//!
//! The crate is `prometheus` (the text format 0.0.4 that `promtool check metrics` and every
//! Prometheus read) with its own [`Registry`]; it never opens a listener: the API serves the
//! text.

use std::sync::Arc;
use std::time::Duration;

use prometheus::{
    Encoder as _, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

/// Latency buckets, in seconds: from a cached plan (about a millisecond) to the request
/// timeout's default (30 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Fuel buckets, in instructions: a rule check on a day (about 10^5) to a large run near
/// the default budget (10^10).
const FUEL_BUCKETS: &[f64] = &[1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

/// The label of a request no route matched (an unknown path): one series for all of them.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// What a plan cache lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheLookup {
    Hit,
    Miss,
    /// The cache could not be read (Redis down): the plan was computed from the database.
    Error,
}

impl CacheLookup {
    fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Error => "error",
        }
    }
}

/// The handle every part records through. Cheap to clone; a disabled one records nothing.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Option<Arc<Registered>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.inner.is_some() {
            "Metrics(enabled)"
        } else {
            "Metrics(disabled)"
        })
    }
}

/// Every metric of the server, registered once in the application's own registry.
struct Registered {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    http_in_flight: IntGauge,
    db_pool_connections: IntGaugeVec,
    db_pool_idle: IntGaugeVec,
    db_pool_max: IntGaugeVec,
    db_pool_acquire_wait: GaugeVec,
    plan_cache: IntCounterVec,
    plugin_calls: IntCounterVec,
    plugin_failures: IntCounterVec,
    plugin_duration: HistogramVec,
    plugin_fuel: HistogramVec,
    jobs: IntGaugeVec,
    jobs_oldest_age: IntGaugeVec,
    outbox_events_undispatched: IntGauge,
    outbox_messages: IntGaugeVec,
    outbox_oldest_pending_age: IntGauge,
    rate_limited: IntCounterVec,
    login_refused: IntCounterVec,
}

impl Registered {
    fn new() -> prometheus::Result<Self> {
        let registry = Registry::new_custom(Some("callsheet".to_owned()), None)?;
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(c.clone()))?;
            Ok::<_, prometheus::Error>(c)
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            let g = IntGaugeVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(g.clone()))?;
            Ok::<_, prometheus::Error>(g)
        };
        let histogram = |name: &str, help: &str, labels: &[&str], buckets: &[f64]| {
            let h = HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )?;
            registry.register(Box::new(h.clone()))?;
            Ok::<_, prometheus::Error>(h)
        };
        let http_in_flight =
            IntGauge::new("http_requests_in_flight", "Requests being served now.")?;
        registry.register(Box::new(http_in_flight.clone()))?;
        let db_pool_acquire_wait = GaugeVec::new(
            Opts::new(
                "db_pool_acquire_wait_seconds",
                "How long taking a connection from the pool took at scrape time (a probe, released at once): the wait a request would have seen then.",
            ),
            &["pool"],
        )?;
        registry.register(Box::new(db_pool_acquire_wait.clone()))?;
        let outbox_events_undispatched = IntGauge::new(
            "outbox_events_undispatched",
            "Outbox events not yet fanned out into messages, over every tenant, read at scrape time.",
        )?;
        registry.register(Box::new(outbox_events_undispatched.clone()))?;
        let outbox_oldest_pending_age = IntGauge::new(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox message (0 when there is none), read at scrape time.",
        )?;
        registry.register(Box::new(outbox_oldest_pending_age.clone()))?;
        Ok(Self {
            http_requests: counter(
                "http_requests_total",
                "Requests served, by method, route template and status code.",
                &["method", "route", "status"],
            )?,
            http_duration: histogram(
                "http_request_duration_seconds",
                "Time to serve a request, by method, route template and status class (2xx...).",
                &["method", "route", "status"],
                LATENCY_BUCKETS,
            )?,
            http_in_flight,
            db_pool_connections: gauge(
                "db_pool_connections",
                "Open database connections, by pool (read and write on SQLite, main on PostgreSQL).",
                &["pool"],
            )?,
            db_pool_idle: gauge(
                "db_pool_idle_connections",
                "Open database connections waiting for work, by pool.",
                &["pool"],
            )?,
            db_pool_acquire_wait,
            db_pool_max: gauge(
                "db_pool_max_connections",
                "The most connections a pool opens; requests wait for one beyond it.",
                &["pool"],
            )?,
            plan_cache: counter(
                "plan_cache_lookups_total",
                "Day and week plan lookups in the plan cache, by result (hit, miss, error).",
                &["result"],
            )?,
            plugin_calls: counter(
                "plugin_calls_total",
                "Rule plugin calls made by the server, by slot (a planning run counts once, as an assigner call).",
                &["slot"],
            )?,
            plugin_failures: counter(
                "plugin_call_failures_total",
                "Rule plugin calls that failed, by slot and error code (PLUGIN_TRAP, PLUGIN_FUEL_EXHAUSTED...).",
                &["slot", "code"],
            )?,
            plugin_duration: histogram(
                "plugin_call_duration_seconds",
                "Wall-clock time of rule plugin calls, by slot.",
                &["slot"],
                LATENCY_BUCKETS,
            )?,
            plugin_fuel: histogram(
                "plugin_call_fuel",
                "Fuel (WebAssembly instructions) used by successful rule plugin calls, by slot.",
                &["slot"],
                FUEL_BUCKETS,
            )?,
            jobs: gauge(
                "jobs",
                "Background jobs not yet finished, by state (queued, running), read at scrape time.",
                &["state"],
            )?,
            jobs_oldest_age: gauge(
                "jobs_oldest_age_seconds",
                "Age of the oldest job in each unfinished state (0 when there is none), read at scrape time.",
                &["state"],
            )?,
            outbox_events_undispatched,
            outbox_messages: gauge(
                "outbox_messages",
                "Outbox messages waiting (pending) or given up (dead), by channel and state, read at scrape time.",
                &["channel", "state"],
            )?,
            outbox_oldest_pending_age,
            rate_limited: counter(
                "rate_limit_refusals_total",
                "Requests refused with 429 RATE_LIMITED, by scope (address, tenant).",
                &["scope"],
            )?,
            login_refused: counter(
                "login_lockout_refusals_total",
                "Login attempts refused because an account or an address is locked out, by scope (account, address).",
                &["scope"],
            )?,
            registry,
        })
    }
}

impl Metrics {
    /// A handle that records nothing (metrics switched off).
    pub fn disabled() -> Self {
        Self::default()
    }

    /// A handle with a fresh registry of its own.
    pub fn enabled() -> Self {
        let registered = Registered::new().expect("metric names and labels are valid");
        Self {
            inner: Some(Arc::new(registered)),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// One request served: `route` is the matched template (or [`UNMATCHED_ROUTE`]),
    /// `status` the three digits of its status code. Allocates nothing once the series
    /// exist: this runs on every request.
    pub fn http_request(&self, method: &str, route: &str, status: &str, elapsed: Duration) {
        let Some(m) = &self.inner else { return };
        let method = bounded_method(method);
        m.http_requests
            .with_label_values(&[method, route, status])
            .inc();
        m.http_duration
            .with_label_values(&[method, route, status_class(status)])
            .observe(elapsed.as_secs_f64());
    }

    /// A request starts; the guard counts it out when dropped (served or abandoned).
    pub fn request_in_flight(&self) -> InFlight {
        let gauge = self.inner.as_ref().map(|m| m.http_in_flight.clone());
        if let Some(g) = &gauge {
            g.inc();
        }
        InFlight(gauge)
    }

    pub fn plan_cache(&self, lookup: CacheLookup) {
        if let Some(m) = &self.inner {
            m.plan_cache.with_label_values(&[lookup.as_str()]).inc();
        }
    }

    /// One plugin call made by the server: its slot, how long it took, the fuel it used
    /// when known, and its error code when it failed.
    pub fn plugin_call(
        &self,
        slot: &'static str,
        elapsed: Duration,
        outcome: Result<Option<u64>, &'static str>,
    ) {
        let Some(m) = &self.inner else { return };
        m.plugin_calls.with_label_values(&[slot]).inc();
        m.plugin_duration
            .with_label_values(&[slot])
            .observe(elapsed.as_secs_f64());
        match outcome {
            Ok(Some(fuel)) => m
                .plugin_fuel
                .with_label_values(&[slot])
                .observe(fuel as f64),
            Ok(None) => {}
            Err(code) => m.plugin_failures.with_label_values(&[slot, code]).inc(),
        }
    }

    /// A request refused by a rate limit of `scope`.
    pub fn rate_limited(&self, scope: &'static str) {
        if let Some(m) = &self.inner {
            m.rate_limited.with_label_values(&[scope]).inc();
        }
    }

    /// A login refused because the `scope` (account or address) is locked out.
    pub fn login_refused(&self, scope: &'static str) {
        if let Some(m) = &self.inner {
            m.login_refused.with_label_values(&[scope]).inc();
        }
    }

    /// A database pool's occupancy, as read at scrape time.
    pub fn set_db_pool(&self, pool: &'static str, size: u32, idle: usize, max: u32) {
        if let Some(m) = &self.inner {
            m.db_pool_connections
                .with_label_values(&[pool])
                .set(i64::from(size));
            m.db_pool_idle
                .with_label_values(&[pool])
                .set(i64::try_from(idle).unwrap_or(i64::MAX));
            m.db_pool_max.with_label_values(&[pool]).set(i64::from(max));
        }
    }

    /// How long a probe waited for a connection of `pool` at scrape time.
    pub fn set_db_pool_wait(&self, pool: &'static str, wait: Duration) {
        if let Some(m) = &self.inner {
            m.db_pool_acquire_wait
                .with_label_values(&[pool])
                .set(wait.as_secs_f64());
        }
    }

    /// The unfinished jobs in `state`, and the age of the oldest, as read at scrape time.
    pub fn set_jobs(&self, state: &'static str, count: u64, oldest_age: Duration) {
        if let Some(m) = &self.inner {
            m.jobs
                .with_label_values(&[state])
                .set(i64::try_from(count).unwrap_or(i64::MAX));
            m.jobs_oldest_age
                .with_label_values(&[state])
                .set(i64::try_from(oldest_age.as_secs()).unwrap_or(i64::MAX));
        }
    }

    /// The outbox as read at scrape time: events waiting to be fanned out, messages
    /// pending and dead per channel (every channel set, so none is left at an old value),
    /// the age of the oldest pending one.
    pub fn set_outbox(
        &self,
        undispatched: u64,
        pending: &[(&'static str, u64)],
        dead: &[(&'static str, u64)],
        oldest_pending_age: Duration,
    ) {
        if let Some(m) = &self.inner {
            let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            m.outbox_events_undispatched.set(int(undispatched));
            for (state, counts) in [("pending", pending), ("dead", dead)] {
                for (channel, count) in counts {
                    m.outbox_messages
                        .with_label_values(&[channel, state])
                        .set(int(*count));
                }
            }
            m.outbox_oldest_pending_age
                .set(int(oldest_pending_age.as_secs()));
        }
    }

    /// Every metric in the Prometheus text format 0.0.4 ([`CONTENT_TYPE`]); `None` when
    /// metrics are off.
    pub fn render(&self) -> Option<String> {
        let m = self.inner.as_ref()?;
        let mut text = Vec::new();
        // Encoding into memory fails only on a metric family without metrics, which the
        // registry never gathers.
        if let Err(error) = TextEncoder::new().encode(&m.registry.gather(), &mut text) {
            tracing::error!(%error, "cannot encode the metrics");
        }
        Some(String::from_utf8_lossy(&text).into_owned())
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Counts a request out of the in-flight gauge when dropped.
#[derive(Debug)]
pub struct InFlight(Option<IntGauge>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(g) = &self.0 {
            g.dec();
        }
    }
}

/// The method as a label: the standard ones by name, anything else `other` (a client can
/// send any token as a method).
fn bounded_method(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: &str) -> &'static str {
    match status.as_bytes().first() {
        Some(b'1') => "1xx",
        Some(b'2') => "2xx",
        Some(b'3') => "3xx",
        Some(b'4') => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_handle_records_nothing_and_renders_nothing() {
        let m = Metrics::disabled();
        m.http_request("GET", "/api/v1/health", "200", Duration::from_millis(1));
        let _guard = m.request_in_flight();
        assert_eq!(m.render(), None);
    }

    #[test]
    fn labels_are_bounded_and_counts_are_per_handle() {
        let a = Metrics::enabled();
        let b = Metrics::enabled();
        a.http_request("BREW", "/api/v1/health", "200", Duration::from_millis(1));
        a.http_request("GET", UNMATCHED_ROUTE, "404", Duration::from_millis(1));
        let text = a.render().unwrap();
        assert!(
            text.contains(
                r#"callsheet_http_requests_total{method="other",route="/api/v1/health",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"callsheet_http_request_duration_seconds_count{method="GET",route="unmatched",status="4xx"} 1"#),
            "{text}"
        );
        assert!(
            !b.render().unwrap().contains("/api/v1/health"),
            "another application's registry is untouched"
        );
    }

    #[test]
    fn the_in_flight_gauge_counts_a_request_out_when_it_ends() {
        let m = Metrics::enabled();
        let guard = m.request_in_flight();
        assert!(
            m.render()
                .unwrap()
                .contains("callsheet_http_requests_in_flight 1")
        );
        drop(guard);
        assert!(
            m.render()
                .unwrap()
                .contains("callsheet_http_requests_in_flight 0")
        );
    }
}
