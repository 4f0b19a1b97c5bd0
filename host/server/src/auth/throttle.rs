//! Login brute-force protection: failed attempts counted per account and per client address.
//!
//! A fixed window per key: the first failure starts a window of `LOGIN_THROTTLE_WINDOW_SECONDS`;
//! once a key holds the maximum number of failures, logins on it answer 429 with
//! `Retry-After` until the window ends. A successful login clears the account's counter (not
//! the address's, so one valid account cannot be used to reset an address that is guessing
//! others).
//!
//! An attempt is counted *before* its password is checked ([`LoginThrottle::reserve`]): the
//! increment is atomic and its result decides, so of sixty parallel attempts on an account
//! allowed five, exactly five reach the password check. Checking the count first and
//! recording the failure after the (slow, by design) password hash let all sixty through. A
//! success takes its reservation back ([`LoginThrottle::record_success`]).
//!
//! The counters live in Redis when `REDIS_URL` is set, so every replica sees the same
//! failures, and in process otherwise; both implement [`FailureCounter`] with the same
//! semantics and are tested the same way. When Redis cannot be reached, [`Degrading`]
//! counts in process instead: each replica then throttles on its own failures, weaker than
//! the shared count but never none, and nobody is locked out by the outage itself.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use crate::config::LoginThrottleConfig;
use crate::domain::{Email, TenantSlug};
use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
#[error("throttle store unavailable: {0}")]
pub struct ThrottleError(#[from] redis::RedisError);

/// A map from key to a number of failures that expires with its window.
#[async_trait]
pub trait FailureCounter: Send + Sync + std::fmt::Debug {
    /// The failures recorded on `key` in its current window and the time left in it.
    async fn get(&self, key: &str) -> Result<Option<(u32, Duration)>, ThrottleError>;
    /// Adds one failure, starting a window of `window` if none is running.
    async fn increment(&self, key: &str, window: Duration) -> Result<u32, ThrottleError>;
    async fn clear(&self, key: &str) -> Result<(), ThrottleError>;
    /// Takes one back from a live count (never below zero, keeping its window).
    async fn release(&self, key: &str) -> Result<(), ThrottleError>;
}

/// In-process counters, for a single replica without Redis.
#[derive(Debug, Default)]
pub struct MemoryCounter {
    entries: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Past this many keys, expired entries are swept on the next write, so a flood of
/// distinct usernames cannot grow the map without bound.
const SWEEP_THRESHOLD: usize = 10_000;

#[async_trait]
impl FailureCounter for MemoryCounter {
    async fn get(&self, key: &str) -> Result<Option<(u32, Duration)>, ThrottleError> {
        let now = Instant::now();
        let entries = self.entries.lock().expect("throttle map poisoned");
        Ok(entries
            .get(key)
            .filter(|(_, until)| *until > now)
            .map(|(n, until)| (*n, *until - now)))
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<u32, ThrottleError> {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("throttle map poisoned");
        if entries.len() >= SWEEP_THRESHOLD {
            entries.retain(|_, (_, until)| *until > now);
        }
        let entry = entries.entry(key.to_owned()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += 1;
        Ok(entry.0)
    }

    async fn clear(&self, key: &str) -> Result<(), ThrottleError> {
        self.entries
            .lock()
            .expect("throttle map poisoned")
            .remove(key);
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), ThrottleError> {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("throttle map poisoned");
        if let Some((count, until)) = entries.get_mut(key)
            && *until > now
        {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }
}

/// Counters in Redis, shared by every replica.
#[derive(Clone)]
pub struct RedisCounter {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCounter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCounter {
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}:throttle:"),
        }
    }
}

#[async_trait]
impl FailureCounter for RedisCounter {
    async fn get(&self, key: &str) -> Result<Option<(u32, Duration)>, ThrottleError> {
        let key = format!("{}{key}", self.prefix);
        let (count, ttl_ms): (Option<u32>, i64) = redis::pipe()
            .get(&key)
            .pttl(&key)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(match count {
            Some(n) if ttl_ms > 0 => Some((n, Duration::from_millis(ttl_ms.unsigned_abs()))),
            _ => None,
        })
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<u32, ThrottleError> {
        let key = format!("{}{key}", self.prefix);
        // MULTI/EXEC so the counter never exists without its expiry; `NX` keeps the window
        // fixed from the first failure instead of sliding with each one.
        let (count,): (u32,) = redis::pipe()
            .atomic()
            .incr(&key, 1u32)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(u64::try_from(window.as_millis()).unwrap_or(u64::MAX))
            .arg("NX")
            .ignore()
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(count)
    }

    async fn clear(&self, key: &str) -> Result<(), ThrottleError> {
        let key = format!("{}{key}", self.prefix);
        redis::cmd("DEL")
            .arg(&key)
            .query_async::<()>(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), ThrottleError> {
        // A script, so the check and the decrement are one step: a plain DECR on a key
        // that expired meanwhile would create it at -1 with no expiry.
        static RELEASE: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
            redis::Script::new(
                "local n = tonumber(redis.call('GET', KEYS[1]) or '0') \
                 if n > 0 then return redis.call('DECR', KEYS[1]) end return 0",
            )
        });
        let key = format!("{}{key}", self.prefix);
        RELEASE
            .key(&key)
            .invoke_async::<i64>(&mut self.conn.clone())
            .await?;
        Ok(())
    }
}

/// A shared counter (Redis) that falls back to this replica's own counters while the
/// shared one fails. Failures counted during an outage stay local and expire with their
/// window; once Redis answers again, its counts (which missed them) are used.
#[derive(Debug)]
pub struct Degrading {
    shared: Arc<dyn FailureCounter>,
    local: MemoryCounter,
}

impl Degrading {
    pub fn new(shared: Arc<dyn FailureCounter>) -> Self {
        Self {
            shared,
            local: MemoryCounter::default(),
        }
    }
}

#[async_trait]
impl FailureCounter for Degrading {
    async fn get(&self, key: &str) -> Result<Option<(u32, Duration)>, ThrottleError> {
        match self.shared.get(key).await {
            Ok(found) => Ok(found),
            Err(e) => {
                tracing::warn!(error = %e, "login throttle: shared counter unreachable, reading this replica's");
                self.local.get(key).await
            }
        }
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<u32, ThrottleError> {
        match self.shared.increment(key, window).await {
            Ok(n) => Ok(n),
            Err(e) => {
                tracing::warn!(error = %e, "login throttle: shared counter unreachable, counting on this replica");
                self.local.increment(key, window).await
            }
        }
    }

    async fn clear(&self, key: &str) -> Result<(), ThrottleError> {
        // Both: a success must also end a lock counted locally during an outage.
        self.local.clear(key).await?;
        self.shared.clear(key).await
    }

    async fn release(&self, key: &str) -> Result<(), ThrottleError> {
        // Both, like `clear`: the reservation was taken from whichever answered.
        self.local.release(key).await?;
        self.shared.release(key).await
    }
}

/// The login policy on top of a [`FailureCounter`].
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    counter: Arc<dyn FailureCounter>,
    config: LoginThrottleConfig,
    /// Counts refused attempts, by the scope that was locked.
    metrics: Metrics,
}

/// The keys one login attempt is counted under.
#[derive(Debug, Clone)]
pub struct AttemptKeys {
    account: String,
    address: String,
}

impl AttemptKeys {
    pub fn new(tenant: &TenantSlug, email: &Email, ip: IpAddr) -> Self {
        Self {
            account: format!("login:account:{tenant}:{email}"),
            address: format!("login:ip:{ip}"),
        }
    }
}

impl LoginThrottle {
    pub fn new(counter: Arc<dyn FailureCounter>, config: LoginThrottleConfig) -> Self {
        Self {
            counter,
            config,
            metrics: Metrics::disabled(),
        }
    }

    /// The same throttle, counting the attempts it refuses in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Counts this attempt on the account and on the address, before the password is
    /// checked; `Err(retry_after)` when either count is now past its limit (the attempt is
    /// refused and stays counted, within the same fixed window). An admitted attempt stays
    /// counted as a failure unless [`LoginThrottle::record_success`] takes it back.
    ///
    /// If the counter fails, the attempt is allowed and the error logged rather than every
    /// user locked out. With Redis the counter is [`Degrading`], which counts in process
    /// while Redis is down, so an outage weakens the protection to one replica's count
    /// instead of switching it off; the readiness probe reports the outage meanwhile.
    pub async fn reserve(&self, keys: &AttemptKeys) -> Result<(), Duration> {
        let checks = [
            (
                "account",
                &keys.account,
                self.config.max_failures_per_account,
            ),
            ("address", &keys.address, self.config.max_failures_per_ip),
        ];
        let mut longest: Option<Duration> = None;
        for (scope, key, limit) in checks {
            match self.counter.increment(key, self.config.window).await {
                Ok(attempts) if attempts > limit => {
                    self.metrics.login_refused(scope);
                    let left = match self.counter.get(key).await {
                        Ok(Some((_, left))) => left,
                        _ => self.config.window,
                    };
                    longest = Some(longest.map_or(left, |l| l.max(left)));
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "login attempt not counted"),
            }
        }
        longest.map_or(Ok(()), Err)
    }

    /// A reserved attempt succeeded: the account's failures are cleared and the address
    /// gets its reservation back (its other failures stand).
    pub async fn record_success(&self, keys: &AttemptKeys) {
        if let Err(e) = self.counter.clear(&keys.account).await {
            tracing::error!(error = %e, "login throttle not cleared");
        }
        if let Err(e) = self.counter.release(&keys.address).await {
            tracing::error!(error = %e, "login attempt not released");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_account: u32, per_ip: u32) -> LoginThrottle {
        throttle_over(Arc::new(MemoryCounter::default()), per_account, per_ip)
    }

    fn throttle_over(
        counter: Arc<dyn FailureCounter>,
        per_account: u32,
        per_ip: u32,
    ) -> LoginThrottle {
        LoginThrottle::new(
            counter,
            LoginThrottleConfig {
                max_failures_per_account: per_account,
                max_failures_per_ip: per_ip,
                window: Duration::from_secs(60),
            },
        )
    }

    fn keys(email: &str, ip: [u8; 4]) -> AttemptKeys {
        AttemptKeys::new(
            &TenantSlug::parse("demo").unwrap(),
            &Email::parse(email).unwrap(),
            IpAddr::from(ip),
        )
    }

    #[tokio::test]
    async fn an_account_locks_after_its_limit_and_a_success_clears_it() {
        let t = throttle(3, 100);
        let k = keys("a@x.test", [10, 0, 0, 1]);
        for _ in 0..3 {
            assert_eq!(t.reserve(&k).await, Ok(()), "attempts 1 to 3 are checked");
        }
        let left = t.reserve(&k).await.expect_err("locked after 3 failures");
        assert!(
            left <= Duration::from_secs(60) && left > Duration::from_secs(55),
            "{left:?}"
        );
        t.record_success(&k).await;
        assert_eq!(t.reserve(&k).await, Ok(()));
    }

    #[tokio::test]
    async fn an_address_locks_across_accounts() {
        let t = throttle(100, 2);
        assert!(t.reserve(&keys("a@x.test", [10, 0, 0, 2])).await.is_ok());
        assert!(t.reserve(&keys("b@x.test", [10, 0, 0, 2])).await.is_ok());
        assert!(t.reserve(&keys("c@x.test", [10, 0, 0, 2])).await.is_err());
        assert!(t.reserve(&keys("c@x.test", [10, 0, 0, 3])).await.is_ok());
    }

    #[tokio::test]
    async fn parallel_attempts_past_the_limit_never_reach_the_password_check() {
        let t = throttle(5, 100);
        let k = keys("p@x.test", [10, 0, 0, 7]);
        let mut attempts = tokio::task::JoinSet::new();
        for _ in 0..60 {
            let (t, k) = (t.clone(), k.clone());
            attempts.spawn(async move { t.reserve(&k).await });
        }
        let admitted = attempts
            .join_all()
            .await
            .into_iter()
            .filter(Result::is_ok)
            .count();
        assert_eq!(admitted, 5);
    }

    #[tokio::test]
    async fn a_success_gives_the_address_its_attempt_back() {
        let t = throttle(100, 2);
        for account in ["a@x.test", "b@x.test", "c@x.test"] {
            let k = keys(account, [10, 0, 0, 8]);
            assert!(t.reserve(&k).await.is_ok(), "{account}");
            t.record_success(&k).await;
        }
        let counter = MemoryCounter::default();
        counter.release("never-counted").await.unwrap();
        assert!(counter.get("never-counted").await.unwrap().is_none());
    }

    /// A shared store that is down: every call fails as a refused connection does.
    #[derive(Debug)]
    struct Unreachable;

    fn refused() -> ThrottleError {
        ThrottleError(redis::RedisError::from((
            redis::ErrorKind::IoError,
            "connection refused",
        )))
    }

    #[async_trait]
    impl FailureCounter for Unreachable {
        async fn get(&self, _: &str) -> Result<Option<(u32, Duration)>, ThrottleError> {
            Err(refused())
        }
        async fn increment(&self, _: &str, _: Duration) -> Result<u32, ThrottleError> {
            Err(refused())
        }
        async fn clear(&self, _: &str) -> Result<(), ThrottleError> {
            Err(refused())
        }
        async fn release(&self, _: &str) -> Result<(), ThrottleError> {
            Err(refused())
        }
    }

    #[tokio::test]
    async fn without_the_shared_store_an_account_still_locks_on_this_replica() {
        let t = throttle_over(Arc::new(Degrading::new(Arc::new(Unreachable))), 2, 100);
        let k = keys("a@x.test", [10, 0, 0, 4]);
        assert!(t.reserve(&k).await.is_ok());
        assert!(t.reserve(&k).await.is_ok());
        assert!(
            t.reserve(&k).await.is_err(),
            "counted in process while the store is down"
        );
        // A success ends the local lock even though the shared store still fails.
        t.record_success(&k).await;
        assert!(t.reserve(&k).await.is_ok());
    }

    #[tokio::test]
    async fn while_the_shared_store_answers_its_counts_are_the_ones_used() {
        let shared = Arc::new(MemoryCounter::default());
        let t = throttle_over(Arc::new(Degrading::new(shared.clone())), 2, 100);
        let k = keys("b@x.test", [10, 0, 0, 5]);
        // Failures another replica recorded in the shared store lock this one too.
        for _ in 0..2 {
            shared
                .increment(&k.account, Duration::from_secs(60))
                .await
                .unwrap();
        }
        assert!(t.reserve(&k).await.is_err());
        t.record_success(&k).await;
        assert!(shared.get(&k.account).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn without_the_fallback_an_unreachable_store_locks_nobody() {
        // What `Degrading` prevents: the policy alone fails open.
        let t = throttle_over(Arc::new(Unreachable), 1, 100);
        let k = keys("c@x.test", [10, 0, 0, 6]);
        for _ in 0..3 {
            assert!(t.reserve(&k).await.is_ok());
        }
    }

    #[tokio::test]
    async fn an_expired_window_starts_again() {
        let counter = MemoryCounter::default();
        assert_eq!(
            counter
                .increment("k", Duration::from_millis(1))
                .await
                .unwrap(),
            1
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(counter.get("k").await.unwrap().is_none());
        assert_eq!(
            counter
                .increment("k", Duration::from_secs(60))
                .await
                .unwrap(),
            1
        );
    }
}
