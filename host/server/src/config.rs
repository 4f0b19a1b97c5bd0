//! Configuration from the environment (and an optional `.env` file).
//!
//! Every variable is listed in `.env.example` and in the README's configuration table.
//! Secrets are held in [`SecretString`], whose `Debug` prints `[REDACTED]`, so a
//! `tracing::debug!(?config)` can never leak them.

use std::net::IpAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The value shipped in `.env.example`; refused in production.
pub const EXAMPLE_JWT_SECRET: &str = "change_me";
/// HS256 keys shorter than this are brute-forceable offline from any issued token.
pub const MIN_PROD_JWT_SECRET_LEN: usize = 32;

/// `/metrics` is on the API port: a short token could be guessed by anyone who reaches it.
pub const MIN_METRICS_TOKEN_LEN: usize = 32;

/// Where the server runs; `prod` switches on JSON logs and the secret checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Dev,
    Test,
    Prod,
}

/// Everything the server needs to start, parsed and checked once.
#[derive(Debug, Clone)]
pub struct Config {
    pub env: AppEnv,
    pub host: IpAddr,
    pub port: u16,
    /// `None` -> the embedded SQLite file `./data/callsheet.db`.
    pub database_url: Option<String>,
    /// `None` -> in-process cache and throttling (single replica only).
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key, so several deployments (or tests) can share a server.
    pub redis_prefix: String,
    pub jwt_secret: SecretString,
    pub jwt_expire: Duration,
    pub refresh_expire: Duration,
    /// Allowed browser origins; empty -> no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Send `Strict-Transport-Security`; only meaningful when served over TLS.
    pub hsts: bool,
    /// How many trusted proxies stand in front of the server: the client address is the
    /// `X-Forwarded-For` entry this many hops from the right (0: the socket peer).
    pub proxy_hops: u8,
    pub rate_limit: RateLimitConfig,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    /// Automatic runs with more places than this answer 202 and run as a background job.
    pub auto_assign_sync_places: u32,
    /// Where compiled plugins are kept across restarts; `None`: in memory only.
    pub plugin_cache_dir: Option<std::path::PathBuf>,
    pub login_throttle: LoginThrottleConfig,
    /// The bearer token Prometheus presents to read `/metrics`; `None`: metrics are off
    /// (nothing is counted and `/metrics` is an unknown route).
    pub metrics_token: Option<SecretString>,
    pub smtp: SmtpConfig,
    pub telegram: TelegramConfig,
    pub outbox: OutboxConfig,
}

/// The outbox worker: how often it looks for work, how long a claim holds, how failures
/// are retried, and where webhooks may go (see `notify` and ADR 0010).
#[derive(Debug, Clone, Copy)]
pub struct OutboxConfig {
    /// Whether this replica delivers (`OUTBOX_WORKER`); every replica may, claims keep
    /// them apart.
    pub worker: bool,
    /// How long the worker sleeps when it found nothing to do.
    pub poll: Duration,
    /// How long a claimed event or message is the claimer's: past it, a replica that died
    /// mid-send loses it to another. Longer than any send (`webhook_timeout`).
    pub lease: Duration,
    /// Failed attempts after which a message is dead.
    pub max_attempts: u32,
    /// The first retry's delay, doubled after each failure up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a webhook receiver has to answer.
    pub webhook_timeout: Duration,
    /// Whether webhooks may target loopback, private and link-local addresses (tests,
    /// on-premises receivers); off, a tenant cannot make the server call its own network.
    pub allow_private_targets: bool,
}

/// Failed logins tolerated before answering 429, per account and per client address.
#[derive(Debug, Clone, Copy)]
pub struct LoginThrottleConfig {
    pub max_failures_per_account: u32,
    pub max_failures_per_ip: u32,
    /// Failures are counted over this window; the lock lasts until it ends.
    pub window: Duration,
}

/// Requests per minute allowed per client address and per tenant; 0 switches one off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitConfig {
    pub per_address_per_minute: u32,
    pub per_tenant_per_minute: u32,
}

/// Outgoing mail; mail notifications are on when `host` and `from` are set.
#[derive(Debug, Clone, Default)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<SecretString>,
    pub from: Option<String>,
    pub tls: SmtpTls,
}

impl SmtpConfig {
    /// Whether mail notifications are on: a relay and a sender are set.
    pub fn enabled(&self) -> bool {
        self.host.is_some() && self.from.is_some()
    }
}

/// How the SMTP connection is secured (`SMTP_TLS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SmtpTls {
    /// `starttls`: plain, upgraded before anything is sent; refused if the server cannot.
    #[default]
    StartTls,
    /// `tls`: TLS from the first byte (port 465).
    Tls,
    /// `none`: plain text, for a relay on the same host or a test server only.
    None,
}

/// The Telegram Bot API; Telegram notifications are on when the token is set. Each user
/// links their own chat (`PUT /users/me/notifications`).
#[derive(Debug, Clone, Default)]
pub struct TelegramConfig {
    pub bot_token: Option<SecretString>,
    /// `TELEGRAM_API_URL`: the Bot API's base URL (a local Bot API server, or a test's).
    pub api_url: String,
}

impl TelegramConfig {
    /// Whether Telegram notifications are on: a bot token is set.
    pub fn enabled(&self) -> bool {
        self.bot_token.is_some()
    }
}

/// A configuration the server must not start with; the message says what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "JWT_SECRET is required with APP_ENV=prod: set it to at least {MIN_PROD_JWT_SECRET_LEN} random characters (for example `openssl rand -base64 48`)"
    )]
    MissingJwtSecret,
    #[error(
        "JWT_SECRET is {0} characters long; with APP_ENV=prod it must be at least {MIN_PROD_JWT_SECRET_LEN}"
    )]
    ShortJwtSecret(usize),
    #[error(
        "JWT_SECRET is the example value from .env.example; with APP_ENV=prod set a random secret"
    )]
    ExampleJwtSecret,
}

impl Config {
    /// Reads the process environment, after loading `.env` when there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case in production; a malformed one is not silent
        // because the variables it should have set are then checked below.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds a configuration from any variable source; tests pass a map.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let env = match get("APP_ENV").as_deref() {
            None | Some("dev") | Some("development") => AppEnv::Dev,
            Some("test") => AppEnv::Test,
            Some("prod") | Some("production") => AppEnv::Prod,
            Some(other) => {
                return Err(invalid(
                    "APP_ENV",
                    format!("`{other}` is not one of dev, test, prod"),
                ));
            }
        };
        let jwt_secret = match (env, get("JWT_SECRET")) {
            (AppEnv::Prod, None) => return Err(ConfigError::MissingJwtSecret),
            (AppEnv::Prod, Some(s)) if s == EXAMPLE_JWT_SECRET => {
                return Err(ConfigError::ExampleJwtSecret);
            }
            (AppEnv::Prod, Some(s)) if s.chars().count() < MIN_PROD_JWT_SECRET_LEN => {
                return Err(ConfigError::ShortJwtSecret(s.chars().count()));
            }
            (_, Some(s)) => SecretString::from(s),
            // Outside production a random per-process secret keeps `cargo run` working with
            // no setup; tokens simply do not survive a restart.
            (_, None) => SecretString::from(random_secret()),
        };
        let metrics_token = match get("METRICS_TOKEN") {
            Some(t) if t.chars().count() < MIN_METRICS_TOKEN_LEN => {
                return Err(invalid(
                    "METRICS_TOKEN",
                    format!(
                        "{} characters long; use at least {MIN_METRICS_TOKEN_LEN} random characters (for example `openssl rand -hex 32`)",
                        t.chars().count()
                    ),
                ));
            }
            token => token.map(SecretString::from),
        };
        let login_window =
            Duration::from_secs(parse_or("LOGIN_THROTTLE_WINDOW_SECONDS", &get, 900)?);
        Ok(Self {
            env,
            host: parse_or("APP_HOST", &get, IpAddr::from([127, 0, 0, 1]))?,
            port: parse_or("APP_PORT", &get, 8000)?,
            database_url: get("DATABASE_URL"),
            redis_url: get("REDIS_URL").map(SecretString::from),
            redis_prefix: get("REDIS_PREFIX").unwrap_or_else(|| "callsheet".to_owned()),
            jwt_secret,
            jwt_expire: minutes(
                parse_or("JWT_EXPIRE_MINUTES", &get, 60)?,
                "JWT_EXPIRE_MINUTES",
            )?,
            refresh_expire: Duration::from_secs(
                24 * 3600 * parse_or::<u64>("REFRESH_EXPIRE_DAYS", &get, 30)?,
            ),
            cors_origins: get("CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            hsts: parse_or("HSTS", &get, false)?,
            proxy_hops: proxy_hops(get("TRUST_PROXY_HEADERS"))?,
            rate_limit: RateLimitConfig {
                per_address_per_minute: parse_or("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", &get, 600)?,
                per_tenant_per_minute: parse_or("RATE_LIMIT_PER_TENANT_PER_MINUTE", &get, 6000)?,
            },
            body_limit_bytes: parse_or("BODY_LIMIT_BYTES", &get, 1024 * 1024)?,
            auto_assign_sync_places: parse_or("AUTO_ASSIGN_SYNC_PLACES", &get, 300)?,
            plugin_cache_dir: get("PLUGIN_CACHE_DIR")
                .filter(|d| !d.trim().is_empty())
                .map(std::path::PathBuf::from),
            request_timeout: Duration::from_secs(parse_or("REQUEST_TIMEOUT_SECONDS", &get, 30)?),
            login_throttle: LoginThrottleConfig {
                max_failures_per_account: parse_or("LOGIN_MAX_FAILURES_PER_ACCOUNT", &get, 5)?,
                max_failures_per_ip: parse_or("LOGIN_MAX_FAILURES_PER_IP", &get, 20)?,
                window: login_window,
            },
            metrics_token,
            smtp: SmtpConfig {
                host: get("SMTP_HOST"),
                port: parse_or("SMTP_PORT", &get, 1025)?,
                user: get("SMTP_USER"),
                password: get("SMTP_PASSWORD").map(SecretString::from),
                from: get("SMTP_FROM"),
                tls: match get("SMTP_TLS").as_deref().map(str::trim) {
                    None | Some("starttls") => SmtpTls::StartTls,
                    Some("tls") => SmtpTls::Tls,
                    Some("none") => SmtpTls::None,
                    Some(other) => {
                        return Err(invalid(
                            "SMTP_TLS",
                            format!("{other:?} is not starttls, tls or none"),
                        ));
                    }
                },
            },
            telegram: TelegramConfig {
                bot_token: get("TELEGRAM_BOT_TOKEN").map(SecretString::from),
                api_url: get("TELEGRAM_API_URL")
                    .map(|u| u.trim_end_matches('/').to_owned())
                    .unwrap_or_else(|| "https://api.telegram.org".to_owned()),
            },
            outbox: outbox(&get)?,
        })
    }

    /// The Redis URL, for the one place that connects.
    pub fn redis_url(&self) -> Option<&str> {
        self.redis_url.as_ref().map(|s| s.expose_secret())
    }
}

fn outbox(get: &impl Fn(&str) -> Option<String>) -> Result<OutboxConfig, ConfigError> {
    let webhook_timeout = Duration::from_secs(parse_or("WEBHOOK_TIMEOUT_SECONDS", get, 10)?);
    let lease = Duration::from_secs(parse_or("OUTBOX_LEASE_SECONDS", get, 60)?);
    if lease <= webhook_timeout {
        return Err(invalid(
            "OUTBOX_LEASE_SECONDS",
            format!(
                "{}s must exceed WEBHOOK_TIMEOUT_SECONDS ({}s): a claim must outlive its send",
                lease.as_secs(),
                webhook_timeout.as_secs()
            ),
        ));
    }
    let max_attempts = parse_or("OUTBOX_MAX_ATTEMPTS", get, 8)?;
    if max_attempts == 0 {
        return Err(invalid("OUTBOX_MAX_ATTEMPTS", "must be at least 1".into()));
    }
    Ok(OutboxConfig {
        worker: parse_or("OUTBOX_WORKER", get, true)?,
        poll: Duration::from_millis(parse_or("OUTBOX_POLL_MS", get, 1000)?),
        lease,
        max_attempts,
        retry_base: Duration::from_millis(parse_or("OUTBOX_RETRY_BASE_MS", get, 5000)?),
        retry_max: Duration::from_secs(parse_or("OUTBOX_RETRY_MAX_SECONDS", get, 3600)?),
        webhook_timeout,
        allow_private_targets: parse_or("WEBHOOK_ALLOW_PRIVATE_NETWORKS", get, false)?,
    })
}

/// `TRUST_PROXY_HEADERS`: `false` (or absent, or 0) trusts no proxy, `true` one, a number
/// that many (a load balancer in front of a reverse proxy is 2).
fn proxy_hops(raw: Option<String>) -> Result<u8, ConfigError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") | Some("false") => Ok(0),
        Some("true") => Ok(1),
        Some(n) => n.parse().map_err(|_| {
            invalid(
                "TRUST_PROXY_HEADERS",
                format!("{n:?} is not true, false or a number of proxies (0-255)"),
            )
        }),
    }
}

fn invalid(name: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { name, reason }
}

fn parse_or<T: std::str::FromStr>(
    name: &'static str,
    get: &impl Fn(&str) -> Option<String>,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match get(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse()
            .map_err(|e| invalid(name, format!("`{raw}`: {e}"))),
    }
}

fn minutes(value: u64, name: &'static str) -> Result<Duration, ConfigError> {
    if value == 0 {
        return Err(invalid(name, "must be at least 1".to_owned()));
    }
    Ok(Duration::from_secs(value * 60))
}

fn random_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_no_variable() {
        let c = config(&[]).unwrap();
        assert_eq!(c.env, AppEnv::Dev);
        assert_eq!(c.port, 8000);
        assert_eq!(c.jwt_expire, Duration::from_secs(3600));
        assert!(c.database_url.is_none());
        assert!(c.cors_origins.is_empty());
    }

    #[test]
    fn prod_refuses_a_missing_short_or_example_secret() {
        assert_eq!(
            config(&[("APP_ENV", "prod")]).unwrap_err(),
            ConfigError::MissingJwtSecret
        );
        assert_eq!(
            config(&[("APP_ENV", "prod"), ("JWT_SECRET", "short")]).unwrap_err(),
            ConfigError::ShortJwtSecret(5)
        );
        assert_eq!(
            config(&[("APP_ENV", "prod"), ("JWT_SECRET", EXAMPLE_JWT_SECRET)]).unwrap_err(),
            ConfigError::ExampleJwtSecret
        );
        let long = "x".repeat(MIN_PROD_JWT_SECRET_LEN);
        assert_eq!(
            config(&[("APP_ENV", "prod"), ("JWT_SECRET", &long)])
                .unwrap()
                .env,
            AppEnv::Prod
        );
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let c = config(&[
            ("JWT_SECRET", "super-secret-jwt-value"),
            ("REDIS_URL", "redis://:hunter2@localhost"),
            ("SMTP_PASSWORD", "smtp-pass-value"),
            ("TELEGRAM_BOT_TOKEN", "telegram-token-value"),
        ])
        .unwrap();
        let debug = format!("{c:?}");
        for secret in [
            "super-secret-jwt-value",
            "hunter2",
            "smtp-pass-value",
            "telegram-token-value",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked in {debug}");
        }
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = config(&[("APP_PORT", "eighty")]).unwrap_err();
        assert!(err.to_string().starts_with("APP_PORT: `eighty`"), "{err}");
        let err = config(&[("APP_ENV", "staging")]).unwrap_err();
        assert!(err.to_string().contains("APP_ENV"), "{err}");
        let err = config(&[("JWT_EXPIRE_MINUTES", "0")]).unwrap_err();
        assert!(err.to_string().contains("JWT_EXPIRE_MINUTES"), "{err}");
    }

    #[test]
    fn metrics_are_off_by_default_and_need_a_long_token() {
        assert!(config(&[]).unwrap().metrics_token.is_none());
        let err = config(&[("METRICS_TOKEN", "short")]).unwrap_err();
        assert!(
            err.to_string().starts_with("METRICS_TOKEN: 5 characters"),
            "{err}"
        );
        let token = "m".repeat(MIN_METRICS_TOKEN_LEN);
        let c = config(&[("METRICS_TOKEN", &token)]).unwrap();
        assert_eq!(c.metrics_token.unwrap().expose_secret(), token);
        assert!(!format!("{:?}", config(&[("METRICS_TOKEN", &token)])).contains(&token));
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let c = config(&[("CORS_ORIGINS", "http://a.test, http://b.test,")]).unwrap();
        assert_eq!(c.cors_origins, vec!["http://a.test", "http://b.test"]);
    }
}
