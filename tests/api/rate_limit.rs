//! Request rate limits per client address and per tenant, in process and through Redis.

use std::time::Duration;

use callsheet::domain::Role;
use callsheet_e2e::{TestApp, Vars, assert_error};
use reqwest::{Response, StatusCode};

async fn get(app: &TestApp, path: &str, forwarded_for: Option<&str>) -> Response {
    let mut request = app.client.get(app.url(path));
    if let Some(hops) = forwarded_for {
        request = request.header("x-forwarded-for", hops);
    }
    request.send().await.expect("request")
}

/// A shared window is a calendar minute: start a test well inside one, so its requests do
/// not straddle two windows.
async fn away_from_a_window_edge() {
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second >= 50 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
}

async fn an_address_is_refused_past_its_limit(app: TestApp) {
    away_from_a_window_edge().await;
    // Probes are not counted, however often a load balancer polls them.
    for _ in 0..10 {
        assert_eq!(
            get(&app, "/api/v1/health", None).await.status(),
            StatusCode::OK
        );
    }
    // Unauthenticated requests count: a flood of them is exactly what the limit is for.
    for _ in 0..3 {
        assert_eq!(
            get(&app, "/api/v1/auth/me", None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = get(&app, "/api/v1/auth/me", None).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let body = assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    assert_eq!(body["meta"]["retry_after_seconds"], retry_after);
}

const PER_ADDRESS: Vars = &[("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "3")];

#[tokio::test]
async fn in_process_an_address_is_refused_past_its_limit() {
    an_address_is_refused_past_its_limit(TestApp::spawn_with(PER_ADDRESS, false).await).await;
}

#[tokio::test]
async fn with_redis_an_address_is_refused_past_its_limit() {
    match TestApp::spawn_with_redis(PER_ADDRESS).await {
        Some(app) => an_address_is_refused_past_its_limit(app).await,
        None => eprintln!("skipped: CALLSHEET_TEST_REDIS_URL is not set"),
    }
}

async fn a_tenant_is_refused_past_its_limit_and_others_are_not(app: TestApp) {
    let busy = app.create_tenant("busy").await;
    let quiet = app.create_tenant("quiet").await;
    let busy_token = app.login_as(&busy, Role::Admin).await.access;
    let quiet_token = app.login_as(&quiet, Role::Admin).await.access;
    away_from_a_window_edge().await;
    let me = |token: String| {
        app.client
            .get(app.url("/api/v1/auth/me"))
            .bearer_auth(token)
            .send()
    };
    for _ in 0..4 {
        assert_eq!(
            me(busy_token.clone()).await.unwrap().status(),
            StatusCode::OK
        );
    }
    assert_error(
        me(busy_token.clone()).await.unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
    )
    .await;
    assert_eq!(me(quiet_token).await.unwrap().status(), StatusCode::OK);
}

const PER_TENANT: Vars = &[("RATE_LIMIT_PER_TENANT_PER_MINUTE", "4")];

#[tokio::test]
async fn in_process_a_tenant_is_refused_past_its_limit_and_others_are_not() {
    a_tenant_is_refused_past_its_limit_and_others_are_not(
        TestApp::spawn_with(PER_TENANT, false).await,
    )
    .await;
}

#[tokio::test]
async fn with_redis_a_tenant_is_refused_past_its_limit_and_others_are_not() {
    match TestApp::spawn_with_redis(PER_TENANT).await {
        Some(app) => a_tenant_is_refused_past_its_limit_and_others_are_not(app).await,
        None => eprintln!("skipped: CALLSHEET_TEST_REDIS_URL is not set"),
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_address_is_the_one_it_added_not_the_clients_claim() {
    let app = TestApp::spawn_with(
        &[
            ("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "2"),
            ("TRUST_PROXY_HEADERS", "true"),
        ],
        false,
    )
    .await;
    // A client forging a new leftmost entry each time is still the proxy's rightmost one.
    for forged in ["1.1.1.1", "2.2.2.2"] {
        let hops = format!("{forged}, 203.0.113.9");
        assert_eq!(
            get(&app, "/api/v1/auth/me", Some(&hops)).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        get(&app, "/api/v1/auth/me", Some("3.3.3.3, 203.0.113.9"))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy has its own count.
    assert_eq!(
        get(&app, "/api/v1/auth/me", Some("1.1.1.1, 203.0.113.10"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn with_two_proxies_the_client_is_two_hops_from_the_right() {
    let app = TestApp::spawn_with(
        &[
            ("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "1"),
            ("TRUST_PROXY_HEADERS", "2"),
        ],
        false,
    )
    .await;
    // The client is 198.51.100.7; 10.0.0.5 is the first proxy, seen by the second.
    for (hops, expected) in [
        ("198.51.100.7, 10.0.0.5", StatusCode::UNAUTHORIZED),
        (
            "6.6.6.6, 198.51.100.7, 10.0.0.6",
            StatusCode::TOO_MANY_REQUESTS,
        ),
        ("198.51.100.8, 10.0.0.5", StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(
            get(&app, "/api/v1/auth/me", Some(hops)).await.status(),
            expected,
            "{hops}"
        );
    }
}
