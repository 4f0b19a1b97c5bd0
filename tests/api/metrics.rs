//! `/metrics`: off without `METRICS_TOKEN`, refused without the token, valid Prometheus text
//! (checked by `promtool check metrics`) whose counters move with the requests served.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::process::{Command, Stdio};

use callsheet::domain::{JobId, JobState, Role};
use callsheet::storage::jobs::Job;
use callsheet_e2e::{TestApp, Vars, assert_error, backend, body};
use chrono::{SubsecRound as _, Utc};
use reqwest::StatusCode;

const TOKEN: &str = "metrics-token-for-the-e2e-suite-0123456789";
const WITH_METRICS: Vars = &[("METRICS_TOKEN", TOKEN)];

/// One sample of a scrape: the metric's name and its labels.
type Series = (String, BTreeMap<String, String>);

/// A scrape, parsed: every sample by name and labels.
#[derive(Debug)]
struct Scrape {
    text: String,
    samples: BTreeMap<Series, f64>,
}

impl Scrape {
    /// The value of `name{labels}`, 0 when the series does not exist (yet).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .get(&(name.to_owned(), labels))
            .copied()
            .unwrap_or(0.0)
    }
}

/// Parses the text format's sample lines: `name{k="v",...} value` (label values here
/// never hold quotes or backslashes).
fn parse(text: &str) -> BTreeMap<Series, f64> {
    let mut samples = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let inner = rest.strip_suffix('}').expect("labels end with }");
                let mut labels = BTreeMap::new();
                let mut rest = inner;
                while let Some((key, after)) = rest.split_once("=\"") {
                    let (value, after) = after.split_once('"').expect("a quoted label value");
                    labels.insert(key.trim_start_matches(',').to_owned(), value.to_owned());
                    rest = after;
                }
                (name, labels)
            }
        };
        let value: f64 = value.parse().expect("a numeric sample");
        samples.insert((name.to_owned(), labels), value);
    }
    samples
}

async fn scrape(app: &TestApp) -> Scrape {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "[{}]", backend());
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        response.headers()["content-type"]
    );
    let text = response.text().await.expect("body");
    Scrape {
        samples: parse(&text),
        text,
    }
}

/// `promtool`, the Prometheus project's own checker: `CALLSHEET_PROMTOOL` (set by
/// `.ci/run`, which installs it) must run; otherwise the one on the `PATH`. Under CI
/// (`CI` set) a missing promtool fails the test; elsewhere the check is skipped, loudly.
fn promtool() -> Option<String> {
    if let Ok(path) = std::env::var("CALLSHEET_PROMTOOL") {
        return Some(path);
    }
    let on_path = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return Some("promtool".to_owned());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "promtool is missing under CI: .ci/run installs it (Debian package `prometheus`) and sets CALLSHEET_PROMTOOL"
    );
    eprintln!(
        "skipped: promtool not found (apt-get install prometheus; .ci/run installs it), the text is not linted"
    );
    None
}

/// `promtool check metrics` must accept the text: well-formed, and every metric with its
/// help, its type and the naming rules (counters in `_total`, base units).
fn assert_promtool_accepts(text: &str) {
    let Some(promtool) = promtool() else { return };
    let mut child = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {promtool}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write the scrape to promtool");
    let out = child.wait_with_output().expect("promtool ends");
    assert!(
        out.status.success(),
        "[{}] promtool check metrics refused the scrape:\n{}{}\n--- scrape ---\n{text}",
        backend(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const REQUESTS: &str = "callsheet_http_requests_total";

#[tokio::test]
async fn without_a_token_configured_metrics_are_off_and_metrics_is_an_unknown_route() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let b = assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    assert_eq!(b["meta"]["entity"], "route");
    assert!(!app.state.metrics.is_enabled());
}

#[tokio::test]
async fn a_scrape_without_the_token_or_with_another_is_a_401() {
    let app = TestApp::spawn_with(WITH_METRICS, false).await;
    let bare = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(bare.headers()["www-authenticate"], "Bearer");
    assert_error(bare, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(format!("{TOKEN}x"))
        .send()
        .await
        .unwrap();
    assert_error(wrong, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
    // An API token is not the metrics token either.
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await;
    let api_token = app.get("/metrics", &admin.access).await;
    assert_error(api_token, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
}

#[tokio::test]
async fn requests_are_counted_per_route_template_and_status_and_promtool_accepts_the_text() {
    let app = TestApp::spawn_with(WITH_METRICS, false).await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await;
    let before = scrape(&app).await;

    for _ in 0..3 {
        let r = app
            .client
            .get(app.url("/api/v1/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    // Two users, one route template: the ids never become labels.
    let me = body(app.get("/api/v1/auth/me", &admin.access).await).await;
    let my_id = me["id"].as_str().expect("id").to_owned();
    let other = uuid::Uuid::now_v7();
    assert_eq!(
        app.get(&format!("/api/v1/users/{my_id}"), &admin.access)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/users/{other}"), &admin.access)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Unknown paths all fall into one bounded series.
    for path in ["/api/v1/nowhere-7f3a", "/wp-admin/setup-9c1e.php"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    // A method no client should send is `other`, not its own label.
    let brew = app
        .client
        .request(
            reqwest::Method::from_bytes(b"BREW").unwrap(),
            app.url("/api/v1/health"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(brew.status(), StatusCode::METHOD_NOT_ALLOWED);

    let after = scrape(&app).await;
    assert_promtool_accepts(&after.text);
    let moved =
        |labels: &[(&str, &str)]| after.value(REQUESTS, labels) - before.value(REQUESTS, labels);
    let ok_health = [
        ("method", "GET"),
        ("route", "/api/v1/health"),
        ("status", "200"),
    ];
    assert_eq!(moved(&ok_health), 3.0, "[{}] {}", backend(), after.text);
    let user = |status| {
        [
            ("method", "GET"),
            ("route", "/api/v1/users/{id}"),
            ("status", status),
        ]
    };
    assert_eq!(moved(&user("200")), 1.0, "{}", after.text);
    assert_eq!(moved(&user("404")), 1.0, "{}", after.text);
    assert_eq!(
        moved(&[("method", "GET"), ("route", "unmatched"), ("status", "404")]),
        2.0,
        "{}",
        after.text
    );
    assert_eq!(
        moved(&[
            ("method", "other"),
            ("route", "/api/v1/health"),
            ("status", "405")
        ]),
        1.0,
        "{}",
        after.text
    );
    for raw in [my_id.as_str(), "nowhere-7f3a", "wp-admin", "BREW"] {
        assert!(!after.text.contains(raw), "{raw} leaked into a label");
    }
    // The latency histogram agrees with the count, by status class.
    assert_eq!(
        after.value(
            "callsheet_http_request_duration_seconds_count",
            &[
                ("method", "GET"),
                ("route", "/api/v1/health"),
                ("status", "2xx")
            ]
        ),
        after.value(REQUESTS, &ok_health)
    );
    // The scrape itself is a request in flight while it is served.
    assert_eq!(after.value("callsheet_http_requests_in_flight", &[]), 1.0);
    // The pools are read at scrape time.
    let pools: Vec<&str> = match backend() {
        "postgres" => vec!["main"],
        _ => vec!["read", "write"],
    };
    for pool in pools {
        let max = after.value("callsheet_db_pool_max_connections", &[("pool", pool)]);
        let size = after.value("callsheet_db_pool_connections", &[("pool", pool)]);
        let idle = after.value("callsheet_db_pool_idle_connections", &[("pool", pool)]);
        assert!(
            max >= 1.0 && size <= max && idle <= size,
            "{pool}: {}",
            after.text
        );
        // An idle pool hands a connection out at once; the probe gives it back.
        let series = format!("callsheet_db_pool_acquire_wait_seconds{{pool=\"{pool}\"}}");
        assert!(after.text.contains(&series), "{series} in {}", after.text);
        let wait = after.value("callsheet_db_pool_acquire_wait_seconds", &[("pool", pool)]);
        assert!((0.0..1.0).contains(&wait), "{pool} waited {wait} s");
    }
}

#[tokio::test]
async fn reading_the_week_plan_twice_is_a_cache_miss_then_a_hit() {
    week_plan_lookups_are_counted(TestApp::spawn_with(WITH_METRICS, false).await).await;
}

#[tokio::test]
async fn reading_the_week_plan_twice_is_a_cache_miss_then_a_hit_through_redis() {
    let Some(app) = TestApp::spawn_with_redis(WITH_METRICS).await else {
        eprintln!("skipped: CALLSHEET_TEST_REDIS_URL is not set");
        return;
    };
    week_plan_lookups_are_counted(app).await;
}

async fn week_plan_lookups_are_counted(app: TestApp) {
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await;
    let lookups = "callsheet_plan_cache_lookups_total";
    let before = scrape(&app).await;
    for _ in 0..2 {
        let r = app
            .get("/api/v1/planning/week?week=2026-W27", &admin.access)
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let after = scrape(&app).await;
    let moved = |result| {
        after.value(lookups, &[("result", result)]) - before.value(lookups, &[("result", result)])
    };
    assert_eq!(moved("miss"), 1.0, "[{}] {}", backend(), after.text);
    assert_eq!(moved("hit"), 1.0, "[{}] {}", backend(), after.text);
    assert_eq!(moved("error"), 0.0);
}

#[tokio::test]
async fn a_conflicts_report_is_one_rules_plugin_call_with_its_fuel() {
    let app = TestApp::spawn_with(WITH_METRICS, false).await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await;
    let r = app
        .get(
            "/api/v1/conflicts?from=2026-06-29&to=2026-07-05",
            &admin.access,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body(r).await);
    let after = scrape(&app).await;
    let rules = [("slot", "rules")];
    assert_eq!(
        after.value("callsheet_plugin_calls_total", &rules),
        1.0,
        "[{}] {}",
        backend(),
        after.text
    );
    assert_eq!(
        after.value("callsheet_plugin_call_duration_seconds_count", &rules),
        1.0
    );
    assert_eq!(after.value("callsheet_plugin_call_fuel_count", &rules), 1.0);
    assert!(after.value("callsheet_plugin_call_fuel_sum", &rules) > 0.0);
    assert!(!after.text.contains("callsheet_plugin_call_failures_total{"));
    assert_promtool_accepts(&after.text);
}

#[tokio::test]
async fn the_job_queue_is_read_at_scrape_time_over_every_tenant() {
    let app = TestApp::spawn_with(WITH_METRICS, false).await;
    let tenant = app.create_tenant("acme").await;
    let empty = scrape(&app).await;
    for state in ["queued", "running"] {
        assert_eq!(empty.value("callsheet_jobs", &[("state", state)]), 0.0);
        // Zero, not absent: a state without jobs is still a series.
        assert!(
            empty
                .text
                .contains(&format!("callsheet_jobs{{state=\"{state}\"}} 0")),
            "{}",
            empty.text
        );
    }
    let now = Utc::now().trunc_subsecs(0);
    let created = now - chrono::Duration::seconds(120);
    for state in [JobState::Queued, JobState::Queued, JobState::Succeeded] {
        app.storage
            .create_job(Job {
                id: JobId::new(),
                tenant_id: tenant.id,
                kind: "auto_assign".into(),
                state,
                progress: 0,
                request: "{}".into(),
                result: None,
                error: None,
                created_by: None,
                created_at: created,
                updated_at: now,
            })
            .await
            .expect("job created");
    }
    let after = scrape(&app).await;
    assert_eq!(
        after.value("callsheet_jobs", &[("state", "queued")]),
        2.0,
        "[{}] {}",
        backend(),
        after.text
    );
    assert_eq!(after.value("callsheet_jobs", &[("state", "running")]), 0.0);
    let age = after.value("callsheet_jobs_oldest_age_seconds", &[("state", "queued")]);
    assert!((120.0..600.0).contains(&age), "oldest queued job: {age} s");
    assert!(
        !after.text.contains("succeeded"),
        "finished jobs are not a queue"
    );
}

#[tokio::test]
async fn rate_limit_refusals_are_counted_and_scrapes_are_never_limited() {
    const VARS: Vars = &[
        ("METRICS_TOKEN", TOKEN),
        ("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "3"),
    ];
    let app = TestApp::spawn_with(VARS, false).await;
    for _ in 0..3 {
        let r = app
            .client
            .get(app.url("/api/v1/auth/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // Past the address's limit, the scraper (on the same address) still reads.
    let mut last = None;
    for _ in 0..5 {
        last = Some(scrape(&app).await);
    }
    let after = last.expect("scraped");
    assert_eq!(
        after.value(
            "callsheet_rate_limit_refusals_total",
            &[("scope", "address")]
        ),
        1.0,
        "{}",
        after.text
    );
    assert_eq!(
        after.value(
            REQUESTS,
            &[
                ("method", "GET"),
                ("route", "/api/v1/auth/me"),
                ("status", "429")
            ]
        ),
        1.0
    );
}

#[tokio::test]
async fn login_lockout_refusals_are_counted_by_scope_without_the_account() {
    const VARS: Vars = &[
        ("METRICS_TOKEN", TOKEN),
        ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "1"),
    ];
    let app = TestApp::spawn_with(VARS, false).await;
    let tenant = app.create_tenant("acme").await;
    let first = app
        .login("acme", &tenant.admin_email, "wrong password")
        .await;
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    let second = app
        .login("acme", &tenant.admin_email, "wrong password")
        .await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let after = scrape(&app).await;
    let lockouts = "callsheet_login_lockout_refusals_total";
    assert_eq!(
        after.value(lockouts, &[("scope", "account")]),
        1.0,
        "{}",
        after.text
    );
    assert_eq!(after.value(lockouts, &[("scope", "address")]), 0.0);
    assert!(!after.text.contains(&tenant.admin_email));
    assert_promtool_accepts(&after.text);
}

/// The metric names an expression uses: `callsheet_...`, a histogram's `_bucket`, `_count`
/// and `_sum` series counted under the histogram's name.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("callsheet_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let base = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        names.insert(base.to_owned());
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_alert_rules_and_the_dashboard_name_only_metrics_the_server_exports() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read =
        |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let source = read("host/server/src/metrics.rs");
    let rules = read("docs/observability/alerts.yml");
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("docs/observability/grafana-dashboard.json"))
            .expect("the dashboard is JSON");
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().expect("targets").iter())
        .map(|t| t["expr"].as_str().expect("an expression").to_owned())
        .collect();
    assert!(exprs.len() >= 10, "{exprs:?}");
    let used: BTreeSet<String> = metric_names(&rules)
        .into_iter()
        .chain(exprs.iter().flat_map(|e| metric_names(e)))
        .collect();
    assert!(used.len() >= 10, "{used:?}");
    for name in &used {
        let bare = name.strip_prefix("callsheet_").expect("prefixed");
        assert!(
            source.contains(&format!("\"{bare}\"")),
            "{name} is not a metric of host/server/src/metrics.rs"
        );
    }
    // Every runbook an alert points to exists.
    let runbooks = read("docs/runbooks.md");
    for line in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("runbook: \"docs/runbooks.md#"))
    {
        let anchor = line.trim_end_matches('"');
        let exists = runbooks
            .lines()
            .filter_map(|l| l.strip_prefix("## "))
            .any(|h| {
                let slug: String = h
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect();
                slug == anchor
            });
        assert!(
            exists,
            "runbook anchor #{anchor} names no heading of docs/runbooks.md"
        );
    }
    // promtool checks the rules themselves.
    let Some(promtool) = promtool() else { return };
    let out = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(root.join("docs/observability/alerts.yml"))
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "promtool check rules: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_outbox_is_read_at_scrape_time_per_channel_and_state() {
    // No worker: what is recorded stays where it is.
    let app = TestApp::spawn_with(WITH_METRICS, false).await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await.access;
    let empty = scrape(&app).await;
    assert_eq!(
        empty.value("callsheet_outbox_events_undispatched", &[]),
        0.0
    );
    assert!(
        empty
            .text
            .contains("callsheet_outbox_messages{channel=\"webhook\",state=\"pending\"} 0"),
        "{}",
        empty.text
    );
    let hook = app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/webhooks",
            Some(&admin),
            &serde_json::json!({"url": "https://hooks.example/m", "event_types": ["mission.cancelled"]}),
        )
        .await;
    assert_eq!(hook.status(), StatusCode::CREATED);
    let venue = body(
        app.send_json(
            reqwest::Method::POST,
            "/api/v1/venues",
            Some(&admin),
            &serde_json::json!({"name": "Olympia"}),
        )
        .await,
    )
    .await;
    let mission = body(
        app.send_json(
            reqwest::Method::POST,
            "/api/v1/missions",
            Some(&admin),
            &serde_json::json!({"title": "Show", "venue_id": venue["id"], "start": "2026-07-01T18:00:00Z",
                               "end": "2026-07-01T22:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]}),
        )
        .await,
    )
    .await;
    let cancelled = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/missions/{}", mission["id"].as_str().unwrap()),
            Some(&admin),
            &serde_json::json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    let waiting = scrape(&app).await;
    assert_eq!(
        waiting.value("callsheet_outbox_events_undispatched", &[]),
        1.0,
        "{}",
        waiting.text
    );
    // Fanned out by hand: one pending webhook message.
    assert_eq!(app.fan_out_events().await, 1);
    let fanned = scrape(&app).await;
    assert_eq!(
        fanned.value("callsheet_outbox_events_undispatched", &[]),
        0.0
    );
    assert_eq!(
        fanned.value(
            "callsheet_outbox_messages",
            &[("channel", "webhook"), ("state", "pending")]
        ),
        1.0
    );
    assert_eq!(
        fanned.value(
            "callsheet_outbox_messages",
            &[("channel", "mail"), ("state", "dead")]
        ),
        0.0
    );
    assert!(fanned.value("callsheet_outbox_oldest_pending_age_seconds", &[]) < 60.0);
}
