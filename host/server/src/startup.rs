//! Assembling and running the server.
//!
//! [`Application::build`] connects to the database (and Redis), binds its own listener
//! and returns; [`Application::run_until`] serves until a shutdown future completes. Tests
//! bind port 0 and drive both, exactly as `callsheet serve` does with Ctrl-C.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::state::{AppState, StartError};

/// A server bound to its address, ready to serve.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    /// This replica's outbox worker, when `OUTBOX_WORKER` is on.
    outbox: Option<crate::notify::worker::Worker>,
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
        // Jobs die with the process that ran them: say so to whoever polls them, now and
        // while serving (see `jobs`).
        crate::jobs::sweep_abandoned(&state.storage).await?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let outbox = if state.config.outbox.worker {
            let worker = crate::notify::worker::Worker::new(state.storage.clone(), &state.config)
                .map_err(|e| StartError::Mail(e.to_string()))?;
            Some(worker)
        } else {
            None
        };
        // Hash the login decoy now, not during the first login with an unknown email.
        tokio::task::spawn_blocking(crate::auth::password::warm_up);
        Ok(Self {
            listener,
            state,
            outbox,
        })
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
        let sweeper = tokio::spawn(crate::jobs::sweep_forever(self.state.storage.clone()));
        let purger = tokio::spawn(crate::exports::background::purge_forever(
            self.state.storage.clone(),
        ));
        let outbox = self.outbox.map(|worker| tokio::spawn(worker.run_forever()));
        let app = crate::http::router(self.state);
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        sweeper.abort();
        purger.abort();
        if let Some(outbox) = outbox {
            outbox.abort();
        }
        served
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
