//! Request rate limits, per client address and per tenant.
//!
//! Without Redis each replica limits on its own with [`governor`]'s GCRA (a burst of up to
//! the per-minute limit, then a steady refill). With Redis the count is shared by every
//! replica: a fixed one-minute window per key (`INCR` and its expiry in one `MULTI`), so a
//! client cannot multiply its budget by the number of replicas. A fixed window lets up to
//! twice the limit through around a window's edge; the limits are there to stop floods,
//! not to meter, and the shared count is worth that. While Redis fails, the in-process
//! limiter takes over (each replica then limits on its own, never not at all).
//!
//! A limit of 0 switches that limit off.

use std::num::NonZeroU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use redis::aio::ConnectionManager;

use crate::config::RateLimitConfig;
use crate::metrics::Metrics;

/// The shared window's length.
const WINDOW: Duration = Duration::from_secs(60);
/// Past this many keys, idle ones are dropped from the in-process limiter, so a flood of
/// addresses cannot grow it without bound.
const SWEEP_THRESHOLD: usize = 10_000;

/// What a limit counts requests of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The client's address (as `TRUST_PROXY_HEADERS` says to read it).
    Address,
    /// The caller's tenant, after authentication.
    Tenant,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Address => "address",
            Scope::Tenant => "tenant",
        }
    }
}

/// One limit: its rate and this replica's own count.
struct Limit {
    per_minute: NonZeroU32,
    local: DefaultKeyedRateLimiter<String>,
}

impl Limit {
    fn new(per_minute: u32) -> Option<Self> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(Self {
            per_minute,
            local: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
        })
    }

    fn check_local(&self, key: &str) -> Result<(), Duration> {
        if self.local.len() > SWEEP_THRESHOLD {
            self.local.retain_recent();
        }
        self.local
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The limits of the whole server, shared by every request.
pub struct RequestLimiter {
    address: Option<Limit>,
    tenant: Option<Limit>,
    shared: Option<(ConnectionManager, String)>,
    /// Counts refusals, by scope.
    metrics: Metrics,
}

impl std::fmt::Debug for RequestLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLimiter")
            .field("address", &self.address.as_ref().map(|l| l.per_minute))
            .field("tenant", &self.tenant.as_ref().map(|l| l.per_minute))
            .field("shared", &self.shared.is_some())
            .finish()
    }
}

impl RequestLimiter {
    /// Limits counted in process only.
    pub fn local(config: RateLimitConfig) -> Self {
        Self {
            address: Limit::new(config.per_address_per_minute),
            tenant: Limit::new(config.per_tenant_per_minute),
            shared: None,
            metrics: Metrics::disabled(),
        }
    }

    /// The same limits, counting their refusals in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Limits counted in Redis, shared by the replicas that use the same prefix.
    pub fn shared(config: RateLimitConfig, conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            shared: Some((conn, format!("{prefix}:rate:"))),
            ..Self::local(config)
        }
    }

    /// Counts one request of `key` in `scope`; `Err(retry_after)` when it is over the limit.
    pub async fn check(&self, scope: Scope, key: &str) -> Result<(), Duration> {
        let checked = self.count(scope, key).await;
        if checked.is_err() {
            self.metrics.rate_limited(scope.as_str());
        }
        checked
    }

    async fn count(&self, scope: Scope, key: &str) -> Result<(), Duration> {
        let limit = match scope {
            Scope::Address => &self.address,
            Scope::Tenant => &self.tenant,
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        if let Some((conn, prefix)) = &self.shared {
            match count_in_window(conn, prefix, scope, key).await {
                Ok((count, left)) if count > u64::from(limit.per_minute.get()) => return Err(left),
                Ok(_) => return Ok(()),
                Err(e) => {
                    tracing::warn!(error = %e, "rate limit: shared count unreachable, counting on this replica");
                }
            }
        }
        limit.check_local(key)
    }
}

/// Counts a request in the current shared window: the count so far and the time the
/// window has left.
async fn count_in_window(
    conn: &ConnectionManager,
    prefix: &str,
    scope: Scope,
    key: &str,
) -> Result<(u64, Duration), redis::RedisError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let window = now.as_secs() / WINDOW.as_secs();
    let left = Duration::from_secs((window + 1) * WINDOW.as_secs()).saturating_sub(now);
    let redis_key = format!("{prefix}{}:{key}:{window}", scope.as_str());
    // The expiry outlives the window a little, so a clock slightly behind among the
    // replicas still finds the count.
    let (count,): (u64,) = redis::pipe()
        .atomic()
        .incr(&redis_key, 1u64)
        .expire(&redis_key, 2 * WINDOW.as_secs() as i64)
        .ignore()
        .query_async(&mut conn.clone())
        .await?;
    Ok((count, left.max(Duration::from_secs(1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_address: u32, per_tenant: u32) -> RequestLimiter {
        RequestLimiter::local(RateLimitConfig {
            per_address_per_minute: per_address,
            per_tenant_per_minute: per_tenant,
        })
    }

    #[tokio::test]
    async fn a_key_is_refused_past_its_burst_and_told_when_to_retry() {
        let l = limiter(3, 0);
        for _ in 0..3 {
            assert_eq!(l.check(Scope::Address, "10.0.0.1").await, Ok(()));
        }
        let retry = l
            .check(Scope::Address, "10.0.0.1")
            .await
            .expect_err("over the limit");
        assert!(
            retry > Duration::ZERO && retry <= Duration::from_secs(20),
            "{retry:?}"
        );
        assert_eq!(l.check(Scope::Address, "10.0.0.2").await, Ok(()));
    }

    #[tokio::test]
    async fn a_limit_of_zero_is_off_and_scopes_are_apart() {
        let l = limiter(0, 1);
        for _ in 0..100 {
            assert_eq!(l.check(Scope::Address, "10.0.0.1").await, Ok(()));
        }
        assert_eq!(l.check(Scope::Tenant, "10.0.0.1").await, Ok(()));
        assert!(l.check(Scope::Tenant, "10.0.0.1").await.is_err());
        assert_eq!(l.check(Scope::Tenant, "other").await, Ok(()));
    }
}
