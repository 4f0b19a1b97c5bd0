//! Test harness: a real callsheet server on port 0 with a database of its own.
//!
//! The backend is chosen by the environment, so the same suite runs on both:
//! - `CALLSHEET_TEST_POSTGRES_URL` unset: a fresh SQLite file in a temporary directory;
//! - set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`): a fresh PostgreSQL database
//!   named `callsheet_test_<uuid>`, created for the test and dropped when it ends.
//!
//! `CALLSHEET_TEST_REDIS_URL` makes [`TestApp::spawn_with_redis`] available (tests that
//! exercise the shared throttle); each app uses its own random key prefix.

use std::collections::HashMap;
use std::path::PathBuf;

use callsheet::config::Config;
use callsheet::domain::{Role, TenantId};
use callsheet::provision::{self, TenantSpec};
use callsheet::startup::Application;
use callsheet::state::AppState;
use callsheet::storage::DynStorage;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The signing secret of test servers, so tests can forge tokens on purpose.
pub const TEST_JWT_SECRET: &str = "test-secret-for-the-e2e-suite-0123456789";
/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";

/// Overrides of the default test configuration, e.g. a small body limit.
pub type Vars = &'static [(&'static str, &'static str)];

/// A running server and its database; both go away when it is dropped.
#[allow(missing_debug_implementations)] // holds a client and a channel; nothing to print
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub storage: DynStorage,
    pub state: AppState,
    /// The test database's URL, for tests that must reach below the API (raw SQL).
    pub database_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    database: TestDatabase,
}

enum TestDatabase {
    Sqlite { _dir: TempDir },
    Postgres { admin_url: String, name: String },
}

/// A directory removed on drop (std has none, and a crate for six lines is not worth it).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One plugin runtime for every test server of the process: the default plugins are
/// compiled once (and kept on disk across test processes), not once per test.
pub fn shared_runtime() -> callsheet::Runtime {
    static RUNTIME: std::sync::OnceLock<callsheet::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let dir = std::env::temp_dir().join("callsheet-test-plugin-cache");
            callsheet::Runtime::new(callsheet::RuntimeConfig {
                cache_dir: Some(dir),
                ..callsheet::RuntimeConfig::default()
            })
            .expect("the plugin runtime starts")
        })
        .clone()
}

/// Which backend this run uses, for test names in failure messages.
pub fn backend() -> &'static str {
    if std::env::var("CALLSHEET_TEST_POSTGRES_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[], false).await
    }

    /// A server whose throttle and cache live in Redis; `None` when no Redis is configured
    /// for the tests (the caller then skips, and says so).
    pub async fn spawn_with_redis(vars: Vars) -> Option<Self> {
        std::env::var("CALLSHEET_TEST_REDIS_URL").ok()?;
        Some(Self::spawn_with(vars, true).await)
    }

    pub async fn spawn_with(vars: Vars, with_redis: bool) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (database_url, database) = match std::env::var("CALLSHEET_TEST_POSTGRES_URL") {
            Ok(admin_url) => {
                let name = format!("callsheet_test_{id}");
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
                    .await
                    .expect("CALLSHEET_TEST_POSTGRES_URL must reach a PostgreSQL server");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create the test database");
                let url = replace_database(&admin_url, &name);
                (url, TestDatabase::Postgres { admin_url, name })
            }
            Err(_) => {
                let dir = std::env::temp_dir().join(format!("callsheet-test-{id}"));
                std::fs::create_dir_all(&dir).expect("create a temporary directory");
                let url = format!("sqlite://{}", dir.join("callsheet.db").display());
                (url, TestDatabase::Sqlite { _dir: TempDir(dir) })
            }
        };
        let mut env: HashMap<String, String> = [
            ("APP_ENV", "test"),
            ("APP_HOST", "127.0.0.1"),
            ("APP_PORT", "0"),
            ("JWT_SECRET", TEST_JWT_SECRET),
            ("CORS_ORIGINS", "http://planner.test"),
            // The suites send hundreds of requests from one address on purpose (races,
            // floods); the rate-limit tests set the limits they exercise.
            ("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "0"),
            ("RATE_LIMIT_PER_TENANT_PER_MINUTE", "0"),
            // Events pile up in the outbox unsent; the webhook tests start the worker.
            ("OUTBOX_WORKER", "false"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        env.insert("DATABASE_URL".into(), database_url.clone());
        if with_redis {
            env.insert(
                "REDIS_URL".into(),
                std::env::var("CALLSHEET_TEST_REDIS_URL").expect("checked by the caller"),
            );
            env.insert("REDIS_PREFIX".into(), format!("callsheet-test-{id}"));
        }
        for (k, v) in vars {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let config =
            Config::from_lookup(|name| env.get(name).cloned()).expect("valid test configuration");
        // Logs only: the suite sets no OTLP endpoint (the trace export is tested on the
        // binary, host/server/tests/otlp.rs), so the guard holds nothing.
        let _ = callsheet::telemetry::init(config.env);
        let app = Application::build_with_runtime(config, shared_runtime())
            .await
            .expect("the server starts");
        let address = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Self {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            storage: state.storage.clone(),
            state,
            database_url,
            shutdown: Some(tx),
            database,
        }
    }

    /// What the outbox worker's first step does, for servers that run without one: claims
    /// the waiting events, fans each out (webhooks only) and marks it dispatched; how many.
    pub async fn fan_out_events(&self) -> usize {
        let now = chrono::Utc::now();
        let events = self
            .storage
            .claim_events(now, now + chrono::Duration::seconds(60), 1000)
            .await
            .expect("events claimed");
        for event in &events {
            let deliveries =
                callsheet::notify::fanout::deliveries_for(&self.storage, event, Default::default())
                    .await
                    .expect("fanned out");
            self.storage
                .dispatch_event(event, &deliveries, now)
                .await
                .expect("dispatched");
        }
        events.len()
    }

    /// The URL of this app's own database, for tests that write rows no route writes yet.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates a tenant whose admin is `admin@<slug>.test`.
    pub async fn create_tenant(&self, slug: &str) -> Tenant {
        let admin_email = format!("admin@{slug}.test");
        let spec = TenantSpec::parse(
            slug,
            &format!("Tenant {slug}"),
            "Europe/Paris",
            &admin_email,
            PASSWORD,
        )
        .expect("valid tenant");
        let created = provision::create_tenant(&self.storage, spec)
            .await
            .expect("tenant created");
        Tenant {
            id: created.tenant.id,
            slug: slug.to_owned(),
            admin_email,
        }
    }

    /// Creates a user through the API (as the tenant's admin) and returns its id.
    pub async fn create_user(&self, tenant: &Tenant, email: &str, role: Role) -> String {
        let admin = self.login_ok(&tenant.slug, &tenant.admin_email).await;
        let response = self
            .request(Method::POST, "/api/v1/users", Some(&admin.access))
            .json(&json!({"email": email, "password": PASSWORD, "role": role.as_str()}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::CREATED, "create {email}");
        body(response).await["id"].as_str().expect("id").to_owned()
    }

    /// Logs in a user of `tenant` holding `role` (created on first use) and returns tokens.
    pub async fn login_as(&self, tenant: &Tenant, role: Role) -> Tokens {
        if role == Role::Admin {
            return self.login_ok(&tenant.slug, &tenant.admin_email).await;
        }
        let email = format!("{}@{}.test", role.as_str(), tenant.slug);
        if self
            .storage
            .credentials(
                tenant.id,
                &callsheet::domain::Email::parse(&email).expect("email"),
            )
            .await
            .expect("db")
            .is_none()
        {
            self.create_user(tenant, &email, role).await;
        }
        self.login_ok(&tenant.slug, &email).await
    }

    pub async fn login(&self, tenant: &str, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"tenant": tenant, "email": email, "password": password}))
            .send()
            .await
            .expect("request")
    }

    pub async fn login_ok(&self, tenant: &str, email: &str) -> Tokens {
        let response = self.login(tenant, email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login {email}");
        let b = body(response).await;
        Tokens {
            access: b["access_token"].as_str().expect("access_token").to_owned(),
            refresh: b["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
        }
    }

    /// A request builder with the bearer token set when given.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    /// Sends `body` as JSON with the bearer token set when given.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        self.request(method, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let TestDatabase::Postgres { admin_url, name } = &self.database {
            // Drop cannot be async, and the test's runtime may be shutting down: a short
            // thread with its own runtime removes the database.
            let (admin_url, name) = (admin_url.clone(), name.clone());
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(mut conn) =
                        <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await
                    {
                        let _ = sqlx::Executor::execute(
                            &mut conn,
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// The URL of another database on the same server.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub admin_email: String,
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// The JSON body of a response.
pub async fn body(response: Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts a standard error response and returns its body.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    let actual = response.status();
    let request_id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let b = body(response).await;
    assert_eq!(actual, status, "[{}] body: {b}", backend());
    assert_eq!(b["code"], code, "[{}] body: {b}", backend());
    assert!(
        b["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail missing: {b}"
    );
    assert_eq!(
        b["meta"]["request_id"].as_str().map(str::to_owned),
        request_id,
        "meta.request_id: {b}"
    );
    b
}
