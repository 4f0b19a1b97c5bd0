//! Conventions every route follows: request ids, security headers, error shapes, limits.

use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn a_client_request_id_is_echoed_and_a_missing_one_is_generated() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/health"))
        .header("x-request-id", "trace-42.abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-42.abc");

    let response = app
        .client
        .get(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");

    // An id unsafe for logs is replaced, not echoed.
    let response = app
        .client
        .get(app.url("/api/v1/health"))
        .header("x-request-id", "a b\tc")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "a b\tc");
}

#[tokio::test]
async fn error_bodies_carry_the_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/users"))
        .header("x-request-id", "req-7")
        .send()
        .await
        .unwrap();
    let b = assert_error(response, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
    assert_eq!(b["meta"]["request_id"], "req-7");
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/health", "/api/v1/users", "/api/v1/nowhere"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'none'"),
            "{path}"
        );
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS without TLS: {path}"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_when_configured() {
    let app = TestApp::spawn_with(&[("HSTS", "true")], false).await;
    let response = app
        .client
        .get(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn an_oversized_body_is_a_413_in_the_standard_shape() {
    let app = TestApp::spawn_with(&[("BODY_LIMIT_BYTES", "1024")], false).await;
    let big = format!(
        "{{\"tenant\":\"acme\",\"email\":\"a@acme.test\",\"password\":\"{}\"}}",
        "x".repeat(4096)
    );
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_in_the_standard_shape() {
    let app = TestApp::spawn().await;
    let b = assert_error(
        app.client
            .get(app.url("/api/v1/nowhere"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    assert_eq!(b["meta"]["entity"], "route");
    let response = app
        .request(Method::DELETE, "/api/v1/health", None)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("allow").is_some());
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    )
    .await;
}

#[tokio::test]
async fn cors_allows_the_configured_origins_only() {
    let app = TestApp::spawn().await;
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/api/v1/users", None)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("http://planner.test").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://planner.test"
    );
    let refused = preflight("http://evil.test").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn the_openapi_document_and_the_docs_page_are_served() {
    let app = TestApp::spawn().await;
    let doc = body(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/health/ready",
        "/api/v1/tenant",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "the docs page is Swagger UI");
    assert!(
        !html.contains("https://"),
        "the docs page loads nothing from elsewhere"
    );
}

/// Bodies the server must not half-read: trailing bytes, an array for an object, NUL in
/// text (which PostgreSQL cannot store). Each is a 422 naming the body, on every route.
#[tokio::test]
async fn malformed_bodies_and_nul_characters_are_refused_before_any_handler() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let token = app.login_ok("acme", &tenant.admin_email).await.access;
    let post = |raw: &'static str| {
        app.client
            .post(app.url("/api/v1/venues"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(raw)
            .send()
    };
    for (raw, field) in [
        (r#"{"name": "Zénith"} {"name": "again"}"#, "body"),
        (r#"{"name": "Zénith"}garbage"#, "body"),
        (r#"["Zénith"]"#, "body"),
        (r#"{"name": "Zé\u0000nith"}"#, "body"),
    ] {
        let b = assert_error(
            post(raw).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERR",
        )
        .await;
        assert_eq!(b["meta"]["field"], field, "{raw}: {b}");
    }
    // An escaped backslash followed by `u0000` is text, not NUL: the body reaches the
    // handler (and its own checks).
    let response = post(r#"{"name": "C:\\u0000 hall"}"#).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        body(response).await
    );

    let b = assert_error(
        app.client
            .get(app.url("/api/v1/missions?q=a%00b"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "q");
}

#[tokio::test]
async fn token_responses_are_never_cached() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let login = app
        .login("acme", &tenant.admin_email, callsheet_e2e::PASSWORD)
        .await;
    assert_eq!(login.headers()["cache-control"], "no-store");
    let refresh_token = body(login).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refreshed = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&serde_json::json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    assert_eq!(refreshed.headers()["cache-control"], "no-store");
}
