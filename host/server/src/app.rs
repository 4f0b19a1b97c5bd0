//! Assembling and running the server.
//!
//! [`Application::build`] connects to the database (and Redis), binds its own listener
//! and returns; [`Application::run_until`] serves until a shutdown future completes. Tests
//! bind port 0 and drive both, exactly as `callsheet serve` does with Ctrl-C.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::FromRef;
use redis::aio::ConnectionManager;
use tokio::net::TcpListener;

use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::{
    Degrading, FailureCounter, LoginThrottle, MemoryCounter, RedisCounter,
};
use crate::config::Config;
use crate::storage::{self, DynStorage, StorageError};

/// What every handler can reach. Cheap to clone: everything is behind an `Arc` or a pool.
#[derive(Clone)]
pub struct AppState {
    pub storage: DynStorage,
    pub jwt: Arc<JwtKeys>,
    pub throttle: LoginThrottle,
    /// Set when `REDIS_URL` is; shared cache and counters across replicas.
    pub redis: Option<ConnectionManager>,
    pub config: Arc<Config>,
    /// The WebAssembly sandbox every tenant plugin runs in; compiled components are cached
    /// inside by sha256, so loading the same plugin twice costs a lookup.
    pub runtime: callsheet_runtime::Runtime,
    /// Rendered plans; every write to planning data calls `plan_cache.invalidate(tenant)`.
    pub plan_cache: crate::plan_cache::PlanCache,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("storage", &self.storage)
            .field("redis", &self.redis.is_some())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl FromRef<AppState> for DynStorage {
    fn from_ref(state: &AppState) -> Self {
        state.storage.clone()
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
        };
        Self {
            plan_cache,
            storage,
            jwt: Arc::new(JwtKeys::new(&config.jwt_secret, config.jwt_expire)),
            throttle: LoginThrottle::new(counter, config.login_throttle),
            redis,
            runtime,
            config: Arc::new(config),
        }
    }
}

/// A server bound to its address, ready to serve.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects everything and binds `APP_HOST:APP_PORT` (port 0 picks a free port).
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let addr = SocketAddr::new(config.host, config.port);
        let state = AppState::connect(config).await?;
        Self::with_state(state, addr).await
    }

    /// [`Application::build`] on a runtime started beforehand.
    pub async fn build_with_runtime(
        config: Config,
        runtime: callsheet_runtime::Runtime,
    ) -> Result<Self, StartError> {
        let addr = SocketAddr::new(config.host, config.port);
        let state = AppState::connect_with_runtime(config, runtime).await?;
        Self::with_state(state, addr).await
    }

    pub async fn with_state(state: AppState, addr: SocketAddr) -> Result<Self, StartError> {
        // Jobs die with the process that ran them: say so to whoever polls them. A run is
        // bounded by its plugins' budgets (seconds), so a job untouched for ten minutes is
        // no other replica's live job.
        let now = chrono::Utc::now();
        let interrupted = state
            .storage
            .fail_interrupted_jobs(now, now - chrono::Duration::minutes(10))
            .await?;
        if interrupted > 0 {
            tracing::warn!(
                jobs = interrupted,
                "jobs interrupted by the last stop marked failed"
            );
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        // Hash the login decoy now, not during the first login with an unknown email.
        tokio::task::spawn_blocking(crate::auth::password::warm_up);
        Ok(Self { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(
            addr = %self.local_addr(),
            database = self.state.storage.backend(),
            redis = self.state.redis.is_some(),
            "callsheet listening"
        );
        let app = crate::http::router(self.state);
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
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

/// Completes on Ctrl-C or SIGTERM (what orchestrators send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
