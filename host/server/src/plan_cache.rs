//! The plan cache: rendered day and week plans, per tenant, invalidated by every write.
//!
//! Invalidation is by generation: each tenant has a counter, every write bumps it (after
//! its commit), and entries are keyed by the generation they were computed under. A reader
//! takes the generation *before* reading the database, so a plan computed from data that
//! a concurrent write then changed is stored under the old generation and never served.
//! No entry is ever deleted by a write; stale ones age out (TTL, and the in-process cache's
//! capacity).
//!
//! Two backends, chosen by configuration:
//! - Redis when `REDIS_URL` is set, shared by every replica: one round trip to read (a
//!   script returns the generation and the entry together), one to store, one to bump;
//! - in process otherwise (moka), for a single server.
//!
//! The cache is an accelerator, never a source of truth: a Redis error is logged and the
//! plan is computed from the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::domain::TenantId;
use crate::metrics::{CacheLookup, Metrics};

/// How long an entry lives at most; writes make it unreachable earlier.
const TTL: Duration = Duration::from_secs(600);
/// In-process capacity, in entries.
const CAPACITY: u64 = 10_000;
/// The generation of a lookup the cache could not answer: what is computed then is never
/// stored under a live generation.
const UNREADABLE: u64 = u64::MAX;

/// A cached value and the generation to store a fresh one under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub generation: u64,
    pub hit: Option<Arc<str>>,
}

/// The cache handle in the application state. Cheap to clone.
#[derive(Clone)]
pub struct PlanCache {
    backend: Backend,
    /// Counts hits, misses and unreadable lookups.
    metrics: Metrics,
}

#[derive(Clone)]
enum Backend {
    Memory {
        generations: Arc<Mutex<HashMap<TenantId, u64>>>,
        entries: moka::future::Cache<String, Arc<str>>,
    },
    Redis {
        conn: ConnectionManager,
        prefix: String,
        lookup: Arc<redis::Script>,
    },
}

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.backend {
            Backend::Memory { .. } => "PlanCache(memory)",
            Backend::Redis { .. } => "PlanCache(redis)",
        })
    }
}

impl PlanCache {
    /// An in-process cache.
    pub fn memory() -> Self {
        Self {
            backend: Backend::Memory {
                generations: Arc::default(),
                entries: moka::future::Cache::builder()
                    .max_capacity(CAPACITY)
                    .time_to_live(TTL)
                    .build(),
            },
            metrics: Metrics::disabled(),
        }
    }

    /// The same cache, counting its lookups in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// A cache in Redis under `prefix`.
    pub fn redis(conn: ConnectionManager, prefix: &str) -> Self {
        // The generation and the entry under it, in one round trip.
        let lookup = redis::Script::new(
            r"local g = redis.call('GET', KEYS[1]) or '0'
              return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}",
        );
        Self {
            backend: Backend::Redis {
                conn,
                prefix: prefix.to_owned(),
                lookup: Arc::new(lookup),
            },
            metrics: Metrics::disabled(),
        }
    }

    /// The entry `key` of `tenant` under the current generation, if any.
    pub async fn get(&self, tenant: TenantId, key: &str) -> Lookup {
        let lookup = self.lookup(tenant, key).await;
        self.metrics
            .plan_cache(match (&lookup.hit, lookup.generation) {
                (Some(_), _) => CacheLookup::Hit,
                (None, UNREADABLE) => CacheLookup::Error,
                (None, _) => CacheLookup::Miss,
            });
        lookup
    }

    async fn lookup(&self, tenant: TenantId, key: &str) -> Lookup {
        match &self.backend {
            Backend::Memory {
                generations,
                entries,
            } => {
                let generation = current(generations, tenant);
                let hit = entries.get(&entry_key(tenant, generation, key)).await;
                Lookup { generation, hit }
            }
            Backend::Redis {
                conn,
                prefix,
                lookup,
            } => {
                let result: redis::RedisResult<(String, Option<String>)> = lookup
                    .key(generation_key(prefix, tenant))
                    .arg(format!("{prefix}:plan:{tenant}:"))
                    .arg(key)
                    .invoke_async(&mut conn.clone())
                    .await;
                match result {
                    Ok((generation, hit)) => Lookup {
                        generation: generation.parse().unwrap_or_default(),
                        hit: hit.map(Arc::from),
                    },
                    Err(error) => {
                        tracing::warn!(%error, "plan cache unavailable; reading the database");
                        Lookup {
                            generation: UNREADABLE,
                            hit: None,
                        }
                    }
                }
            }
        }
    }

    /// Stores `value` for `key` under `generation` (the one [`PlanCache::get`] returned).
    pub async fn put(&self, tenant: TenantId, generation: u64, key: &str, value: Arc<str>) {
        if generation == UNREADABLE {
            return;
        }
        match &self.backend {
            Backend::Memory { entries, .. } => {
                entries
                    .insert(entry_key(tenant, generation, key), value)
                    .await;
            }
            Backend::Redis { conn, prefix, .. } => {
                let full = format!("{prefix}:plan:{tenant}:{generation}:{key}");
                let result: redis::RedisResult<()> = redis::cmd("SET")
                    .arg(full)
                    .arg(value.as_ref())
                    .arg("EX")
                    .arg(TTL.as_secs())
                    .query_async(&mut conn.clone())
                    .await;
                if let Err(error) = result {
                    tracing::warn!(%error, "cannot store a plan in the cache");
                }
            }
        }
    }

    /// Makes every cached plan of `tenant` unreachable. Call it after a write commits.
    pub async fn invalidate(&self, tenant: TenantId) {
        match &self.backend {
            Backend::Memory { generations, .. } => {
                if let Ok(mut map) = generations.lock() {
                    *map.entry(tenant).or_default() += 1;
                }
            }
            Backend::Redis { conn, prefix, .. } => {
                let result: redis::RedisResult<u64> = redis::cmd("INCR")
                    .arg(generation_key(prefix, tenant))
                    .query_async(&mut conn.clone())
                    .await;
                if let Err(error) = result {
                    // A plan may now be served stale until its TTL: say so loudly.
                    tracing::error!(%error, %tenant, "cannot invalidate the plan cache");
                }
            }
        }
    }
}

fn current(generations: &Mutex<HashMap<TenantId, u64>>, tenant: TenantId) -> u64 {
    generations
        .lock()
        .map(|map| map.get(&tenant).copied().unwrap_or_default())
        .unwrap_or_default()
}

fn entry_key(tenant: TenantId, generation: u64, key: &str) -> String {
    format!("{tenant}:{generation}:{key}")
}

fn generation_key(prefix: &str, tenant: TenantId) -> String {
    format!("{prefix}:plan-generation:{tenant}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_makes_earlier_entries_unreachable() {
        let cache = PlanCache::memory();
        let tenant = TenantId::new();
        let first = cache.get(tenant, "day:2026-07-01").await;
        assert_eq!(first.hit, None);
        cache
            .put(
                tenant,
                first.generation,
                "day:2026-07-01",
                Arc::from("plan"),
            )
            .await;
        assert_eq!(
            cache.get(tenant, "day:2026-07-01").await.hit.as_deref(),
            Some("plan")
        );
        cache.invalidate(tenant).await;
        assert_eq!(cache.get(tenant, "day:2026-07-01").await.hit, None);
        // Computed before the write, stored after it: never served.
        cache
            .put(
                tenant,
                first.generation,
                "day:2026-07-01",
                Arc::from("stale"),
            )
            .await;
        assert_eq!(cache.get(tenant, "day:2026-07-01").await.hit, None);
        // Other tenants are untouched.
        assert_eq!(
            cache
                .get(TenantId::new(), "day:2026-07-01")
                .await
                .generation,
            0
        );
    }
}
