//! Login brute-force protection, in process and in Redis: the same behaviour both ways.

use callsheet_e2e::{PASSWORD, TestApp, Vars, assert_error};
use reqwest::StatusCode;

const LIMITS: Vars = &[
    ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3"),
    ("LOGIN_MAX_FAILURES_PER_IP", "6"),
];

async fn an_account_is_locked_after_repeated_failures(app: TestApp) {
    let tenant = app.create_tenant("acme").await;
    for _ in 0..3 {
        assert_error(
            app.login("acme", &tenant.admin_email, "wrong password")
                .await,
            StatusCode::UNAUTHORIZED,
            "AUTH_INVALID",
        )
        .await;
    }
    // Locked: even the right password is refused until the window ends.
    let response = app.login("acme", &tenant.admin_email, PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    let b = assert_error(response, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    assert_eq!(b["meta"]["retry_after_seconds"], retry_after);

    // Unknown accounts are throttled the same way (no enumeration by lock behaviour).
    for _ in 0..3 {
        app.login("acme", "ghost@acme.test", "wrong password").await;
    }
    // The address has now failed 6 times: every account from it is locked.
    assert_error(
        app.login("acme", "someone@acme.test", "x").await,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
    )
    .await;
}

async fn a_success_clears_the_accounts_failures(app: TestApp) {
    let tenant = app.create_tenant("acme").await;
    for _ in 0..2 {
        app.login("acme", &tenant.admin_email, "wrong password")
            .await;
    }
    assert_eq!(
        app.login("acme", &tenant.admin_email, PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    for _ in 0..2 {
        app.login("acme", &tenant.admin_email, "wrong password")
            .await;
    }
    assert_eq!(
        app.login("acme", &tenant.admin_email, PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

/// Sixty simultaneous attempts on one account allowed three failures, the right password
/// among them: at most three reach the password check, whatever the interleaving.
async fn parallel_attempts_cannot_outrun_the_limit(app: TestApp) {
    let tenant = app.create_tenant("acme").await;
    let attempts = (0..60).map(|i| {
        let password = if i == 30 { PASSWORD } else { "wrong password" };
        app.login("acme", &tenant.admin_email, password)
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let checked = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!((1..=3).contains(&checked), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [
            StatusCode::OK,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
        .contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn in_process_parallel_attempts_cannot_outrun_the_limit() {
    parallel_attempts_cannot_outrun_the_limit(TestApp::spawn_with(LIMITS, false).await).await;
}

#[tokio::test]
async fn with_redis_parallel_attempts_cannot_outrun_the_limit() {
    match TestApp::spawn_with_redis(LIMITS).await {
        Some(app) => parallel_attempts_cannot_outrun_the_limit(app).await,
        None => eprintln!("skipped: CALLSHEET_TEST_REDIS_URL is not set"),
    }
}

#[tokio::test]
async fn in_process_an_account_is_locked_after_repeated_failures() {
    an_account_is_locked_after_repeated_failures(TestApp::spawn_with(LIMITS, false).await).await;
}

#[tokio::test]
async fn in_process_a_success_clears_the_accounts_failures() {
    a_success_clears_the_accounts_failures(TestApp::spawn_with(LIMITS, false).await).await;
}

#[tokio::test]
async fn with_redis_an_account_is_locked_after_repeated_failures() {
    match TestApp::spawn_with_redis(LIMITS).await {
        Some(app) => an_account_is_locked_after_repeated_failures(app).await,
        None => eprintln!("skipped: CALLSHEET_TEST_REDIS_URL is not set"),
    }
}

#[tokio::test]
async fn with_redis_a_success_clears_the_accounts_failures() {
    match TestApp::spawn_with_redis(LIMITS).await {
        Some(app) => a_success_clears_the_accounts_failures(app).await,
        None => eprintln!("skipped: CALLSHEET_TEST_REDIS_URL is not set"),
    }
}

#[tokio::test]
async fn with_redis_two_replicas_share_the_failure_count() {
    let Some(first) = TestApp::spawn_with_redis(LIMITS).await else {
        eprintln!("skipped: CALLSHEET_TEST_REDIS_URL is not set");
        return;
    };
    // A second server with its own connections to the same database and the same Redis
    // prefix: another replica, sharing nothing in process with the first.
    let tenant = first.create_tenant("acme").await;
    let state = callsheet::state::AppState::connect((*first.state.config).clone())
        .await
        .unwrap();
    let second = callsheet::startup::Application::with_state(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let second_url = format!("http://{}", second.local_addr());
    tokio::spawn(second.run_until(std::future::pending()));
    for _ in 0..3 {
        first
            .login("acme", &tenant.admin_email, "wrong password")
            .await;
    }
    let response = first
        .client
        .post(format!("{second_url}/api/v1/auth/login"))
        .json(&serde_json::json!({"tenant": "acme", "email": tenant.admin_email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}
