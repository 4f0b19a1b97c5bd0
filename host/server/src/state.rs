//! What every request and every service can reach: [`AppState`], built once at start-up.
//!
//! It sits below the services and the API (see `docs/architecture.md`): the storage, the
//! JWT keys, the login throttle, Redis, the plugin runtime, the plan cache and the
//! configuration. [`AppState::connect`] opens the configured backends; `startup` binds the
//! listener and serves.

use std::net::SocketAddr;
use std::sync::Arc;

use redis::aio::ConnectionManager;

use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::{
    Degrading, FailureCounter, LoginThrottle, MemoryCounter, RedisCounter,
};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::rate_limit::RequestLimiter;
use crate::storage::{self, DynStorage, StorageError};

/// What every handler can reach. Cheap to clone: everything is behind an `Arc` or a pool.
#[derive(Clone)]
pub struct AppState {
    pub storage: DynStorage,
    pub jwt: Arc<JwtKeys>,
    pub throttle: LoginThrottle,
    /// Request rate limits per client address and per tenant.
    pub limiter: Arc<RequestLimiter>,
    /// Set when `REDIS_URL` is; shared cache and counters across replicas.
    pub redis: Option<ConnectionManager>,
    pub config: Arc<Config>,
    /// The WebAssembly sandbox every tenant plugin runs in; compiled components are cached
    /// inside by sha256, so loading the same plugin twice costs a lookup.
    pub runtime: callsheet_runtime::Runtime,
    /// Rendered plans; every write to planning data calls `plan_cache.invalidate(tenant)`.
    pub plan_cache: crate::plan_cache::PlanCache,
    /// This application's metrics (a registry of its own); a no-op handle when
    /// `METRICS_TOKEN` is unset.
    pub metrics: Metrics,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("storage", &self.storage)
            .field("redis", &self.redis.is_some())
            .field("config", &self.config)
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot connect to Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("cannot start the plugin runtime: {0}")]
    Runtime(#[from] callsheet_runtime::Error),
    /// The outbox cannot send mail as configured (`SMTP_FROM` is not an address...).
    #[error("cannot set up mail notifications: {0}")]
    Mail(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl AppState {
    /// Connects to the configured backends and starts the plugin runtime.
    pub async fn connect(config: Config) -> Result<Self, StartError> {
        let runtime = callsheet_runtime::Runtime::new(runtime_config(&config))?;
        Self::connect_with_runtime(config, runtime).await
    }

    /// [`AppState::connect`] with a runtime started beforehand: one runtime serves every
    /// tenant of a process, and tests share one across their servers so each plugin is
    /// compiled once per process.
    pub async fn connect_with_runtime(
        config: Config,
        runtime: callsheet_runtime::Runtime,
    ) -> Result<Self, StartError> {
        let storage = storage::connect(config.database_url.as_deref()).await?;
        let redis = match config.redis_url() {
            Some(url) => Some(ConnectionManager::new(redis::Client::open(url)?).await?),
            None => None,
        };
        Ok(Self::new(config, storage, redis, runtime))
    }

    pub fn new(
        config: Config,
        storage: DynStorage,
        redis: Option<ConnectionManager>,
        runtime: callsheet_runtime::Runtime,
    ) -> Self {
        let metrics = if config.metrics_token.is_some() {
            Metrics::enabled()
        } else {
            Metrics::disabled()
        };
        let counter: Arc<dyn FailureCounter> = match &redis {
            Some(conn) => Arc::new(Degrading::new(Arc::new(RedisCounter::new(
                conn.clone(),
                &config.redis_prefix,
            )))),
            None => Arc::new(MemoryCounter::default()),
        };
        let plan_cache = match &redis {
            Some(conn) => crate::plan_cache::PlanCache::redis(conn.clone(), &config.redis_prefix),
            None => crate::plan_cache::PlanCache::memory(),
        }
        .with_metrics(metrics.clone());
        Self {
            plan_cache,
            storage,
            jwt: Arc::new(JwtKeys::new(&config.jwt_secret, config.jwt_expire)),
            throttle: LoginThrottle::new(counter, config.login_throttle)
                .with_metrics(metrics.clone()),
            limiter: Arc::new(
                match &redis {
                    Some(conn) => RequestLimiter::shared(
                        config.rate_limit,
                        conn.clone(),
                        &config.redis_prefix,
                    ),
                    None => RequestLimiter::local(config.rate_limit),
                }
                .with_metrics(metrics.clone()),
            ),
            metrics,
            redis,
            runtime,
            config: Arc::new(config),
        }
    }
}

/// The sandbox's settings from the configuration: the defaults (see
/// `callsheet_runtime::RuntimeConfig`), with compiled plugins kept in `PLUGIN_CACHE_DIR`
/// when set, so a restart does not compile them again.
pub fn runtime_config(config: &Config) -> callsheet_runtime::RuntimeConfig {
    callsheet_runtime::RuntimeConfig {
        cache_dir: config.plugin_cache_dir.clone(),
        ..callsheet_runtime::RuntimeConfig::default()
    }
}
