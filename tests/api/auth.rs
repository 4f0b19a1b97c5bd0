use base64::Engine as _;
use callsheet::domain::Role;
use callsheet_e2e::{PASSWORD, TEST_JWT_SECRET, TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_with_the_right_password_returns_a_bearer_token_pair() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let response = app.login("acme", &tenant.admin_email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let b = body(response).await;
    assert_eq!(b["token_type"], "bearer");
    assert_eq!(b["expires_in"], 3600);
    assert!(b["refresh_token"].as_str().unwrap().len() >= 43);

    let claims = decode_claims(b["access_token"].as_str().unwrap());
    assert_eq!(claims["tid"], tenant.id.to_string());
    assert_eq!(claims["role"], "admin");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert!(claims["jti"].is_string() && claims["sid"].is_string() && claims["sub"].is_string());
}

#[tokio::test]
async fn login_is_case_insensitive_on_the_email() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme").await;
    let response = app.login("acme", "ADMIN@Acme.Test", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_password_an_unknown_email_and_an_unknown_tenant_get_the_same_401() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let wrong_password = assert_error(
        app.login("acme", &tenant.admin_email, "not the password")
            .await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
    let unknown_email = assert_error(
        app.login("acme", "ghost@acme.test", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
    let unknown_tenant = assert_error(
        app.login("nowhere", &tenant.admin_email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
    assert_eq!(wrong_password["detail"], unknown_email["detail"]);
    assert_eq!(wrong_password["detail"], unknown_tenant["detail"]);
}

#[tokio::test]
async fn a_login_body_with_a_malformed_email_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let b = assert_error(
        app.login("acme", "not-an-email", PASSWORD).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "email");
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_spends_the_old_refresh_token() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let first = app.login_ok("acme", &tenant.admin_email).await;

    let response = refresh(&app, &first.refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let b = body(response).await;
    let second_refresh = b["refresh_token"].as_str().unwrap().to_owned();
    let second_access = b["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh);
    assert_ne!(second_access, first.access);
    assert_eq!(
        app.get("/api/v1/auth/me", &second_access).await.status(),
        StatusCode::OK
    );

    // The successor works once more, and so on.
    let third = refresh(&app, &second_refresh).await;
    assert_eq!(third.status(), StatusCode::OK);
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_every_token_of_that_login() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let first = app.login_ok("acme", &tenant.admin_email).await;
    let rotated = body(refresh(&app, &first.refresh).await).await;
    let rotated_refresh = rotated["refresh_token"].as_str().unwrap();
    let rotated_access = rotated["access_token"].as_str().unwrap();

    // The spent token is presented again: someone copied it.
    assert_error(
        refresh(&app, &first.refresh).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;

    // Every token of that login is now dead, including the legitimate successor...
    assert_error(
        refresh(&app, rotated_refresh).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
    assert_error(
        app.get("/api/v1/auth/me", rotated_access).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
    assert_error(
        app.get("/api/v1/auth/me", &first.access).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;

    // ...while another login of the same user is untouched.
    let other = app.login_ok("acme", &tenant.admin_email).await;
    assert_eq!(
        app.get("/api/v1/auth/me", &other.access).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    assert_error(
        refresh(&app, "not-a-token").await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
}

#[tokio::test]
async fn logout_ends_the_refresh_and_access_tokens_of_the_login() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let tokens = app.login_ok("acme", &tenant.admin_email).await;
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": tokens.refresh}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        refresh(&app, &tokens.refresh).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
    assert_error(
        app.get("/api/v1/auth/me", &tokens.access).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;

    // Logging out again is harmless.
    let again = app
        .send_json(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": tokens.refresh}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn expired_tampered_foreign_and_unsigned_tokens_get_401() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let tokens = app.login_ok("acme", &tenant.admin_email).await;
    let claims = decode_claims(&tokens.access);

    let mut expired = claims.clone();
    expired["iat"] = json!(claims["iat"].as_i64().unwrap() - 7200);
    expired["exp"] = json!(claims["iat"].as_i64().unwrap() - 3600);
    let expired = sign(&expired, TEST_JWT_SECRET);

    let mut promoted = claims.clone();
    promoted["role"] = json!("admin");
    promoted["sub"] = json!(uuid::Uuid::now_v7().to_string());
    let mut parts: Vec<String> = tokens.access.split('.').map(str::to_owned).collect();
    parts[1] = b64(&promoted.to_string());
    let tampered = parts.join(".");

    let foreign = sign(&claims, "a-different-secret-a-different-secret");
    let unsigned = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims.to_string())
    );

    for (name, token) in [
        ("expired", expired),
        ("tampered", tampered),
        ("foreign", foreign),
        ("alg none", unsigned),
    ] {
        let response = app.get("/api/v1/auth/me", &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name} token");
        assert_eq!(body(response).await["code"], "AUTH_INVALID", "{name} token");
    }
    let no_token = app
        .request(Method::GET, "/api/v1/auth/me", None)
        .send()
        .await
        .unwrap();
    assert_error(no_token, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
    let basic = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_error(basic, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
}

#[tokio::test]
async fn me_returns_the_callers_account_without_its_hash() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let tokens = app.login_as(&tenant, Role::Viewer).await;
    let b = body(app.get("/api/v1/auth/me", &tokens.access).await).await;
    assert_eq!(b["email"], "viewer@acme.test");
    assert_eq!(b["role"], "viewer");
    assert!(b.get("password_hash").is_none());
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": token}),
    )
    .await
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

fn sign(claims: &serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}
