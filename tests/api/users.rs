use callsheet::domain::Role;
use callsheet_e2e::{PASSWORD, TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_log_in() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/users",
            Some(&admin.access),
            &json!({"email": "Ana@Acme.test", "password": PASSWORD, "role": "manager"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created = body(response).await;
    assert_eq!(created["email"], "ana@acme.test");
    assert_eq!(created["role"], "manager");
    assert_eq!(created["active"], true);
    assert_eq!(
        location,
        format!("/api/v1/users/{}", created["id"].as_str().unwrap())
    );

    let fetched = body(app.get(&location, &admin.access).await).await;
    assert_eq!(fetched, created);
    assert_eq!(
        app.login("acme", "ana@acme.test", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_duplicate_email_in_the_tenant_is_a_409_whatever_its_case() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    app.create_user(&tenant, "ana@acme.test", Role::Tech).await;
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/users",
            Some(&admin.access),
            &json!({"email": "ANA@acme.test", "password": PASSWORD, "role": "viewer"}),
        )
        .await;
    let b = assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;
    assert_eq!(b["meta"]["field"], "email");

    // The same email in another tenant is another account.
    let other = app.create_tenant("other").await;
    app.create_user(&other, "ana@acme.test", Role::Tech).await;

    // Renaming onto a taken email is refused the same way.
    let bob = app.create_user(&tenant, "bob@acme.test", Role::Tech).await;
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{bob}"),
            Some(&admin.access),
            &json!({"email": "ana@acme.test"}),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;
}

#[tokio::test]
async fn invalid_user_fields_are_named_in_the_error() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let cases = [
        (
            json!({"email": "nope", "password": PASSWORD, "role": "tech"}),
            "email",
        ),
        (
            json!({"email": "a@acme.test", "password": "short", "role": "tech"}),
            "password",
        ),
        (
            json!({"email": "a@acme.test", "password": PASSWORD, "role": "root"}),
            "role",
        ),
        (
            json!({"email": "a@acme.test", "password": PASSWORD}),
            "role",
        ),
        (
            json!({"email": 42, "password": PASSWORD, "role": "tech"}),
            "email",
        ),
        (
            json!({"email": "a@acme.test", "password": PASSWORD, "role": "tech", "is_admin": true}),
            "is_admin",
        ),
        (
            json!({"email": "a@acme.test", "password": PASSWORD, "role": "tech", "active": "yes"}),
            "active",
        ),
    ];
    for (payload, field) in cases {
        let response = app
            .send_json(Method::POST, "/api/v1/users", Some(&admin.access), &payload)
            .await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], field, "payload {payload}: {b}");
    }
    let listed = body(app.get("/api/v1/users", &admin.access).await).await;
    assert_eq!(listed["total"], 1, "nothing was half-written: {listed}");
}

#[tokio::test]
async fn malformed_json_and_a_missing_content_type_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let malformed = app
        .request(Method::POST, "/api/v1/users", Some(&admin.access))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let b = assert_error(
        malformed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "body");

    let text = app
        .request(Method::POST, "/api/v1/users", Some(&admin.access))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(
        text,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
}

#[tokio::test]
async fn the_user_list_is_paginated_with_its_edges() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    for i in 0..4 {
        app.create_user(&tenant, &format!("user{i}@acme.test"), Role::Tech)
            .await;
    }
    // 5 users: the admin and user0..user3, ordered by email.
    let page = |q: &'static str| {
        let app = &app;
        let token = admin.access.clone();
        async move { app.get(&format!("/api/v1/users{q}"), &token).await }
    };
    let first = body(page("").await).await;
    assert_eq!(
        (
            first["total"].as_u64(),
            first["page"].as_u64(),
            first["size"].as_u64()
        ),
        (Some(5), Some(1), Some(50))
    );
    assert_eq!(first["items"].as_array().unwrap().len(), 5);

    let second = body(page("?page=2&size=2").await).await;
    let emails: Vec<&str> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["user1@acme.test", "user2@acme.test"]);
    let last = body(page("?page=3&size=2").await).await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    let beyond = body(page("?page=9&size=2").await).await;
    assert_eq!(
        (
            beyond["items"].as_array().unwrap().len(),
            beyond["total"].as_u64()
        ),
        (0, Some(5))
    );
    let max = body(page("?size=200").await).await;
    assert_eq!(max["size"], 200);

    for (query, field) in [
        ("?page=0", "page"),
        ("?size=0", "size"),
        ("?size=201", "size"),
        ("?page=-1", "page"),
        ("?page=x", "page"),
        ("?sort=email", "sort"),
    ] {
        let b = assert_error(
            page(query).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERR",
        )
        .await;
        assert_eq!(b["meta"]["field"], field, "query {query}: {b}");
    }
}

#[tokio::test]
async fn the_user_list_filters_by_role_activity_and_email() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    app.create_user(&tenant, "light_1@acme.test", Role::Tech)
        .await;
    let sound = app
        .create_user(&tenant, "sound%1@acme.test", Role::Tech)
        .await;
    app.create_user(&tenant, "boss@acme.test", Role::Manager)
        .await;
    app.send_json(
        Method::PATCH,
        &format!("/api/v1/users/{sound}"),
        Some(&admin.access),
        &json!({"active": false}),
    )
    .await;

    let total = |q: String| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            body(app.get(&format!("/api/v1/users{q}"), &token).await).await["total"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(total("?role=tech".into()).await, 2);
    assert_eq!(total("?role=tech&active=true".into()).await, 1);
    assert_eq!(total("?active=false".into()).await, 1);
    assert_eq!(total("?email=SOUND".into()).await, 1);
    // `%` and `_` match literally, not as wildcards.
    assert_eq!(total("?email=%25".into()).await, 1);
    assert_eq!(total("?email=t_1".into()).await, 1);
}

#[tokio::test]
async fn a_deactivated_user_can_no_longer_log_in_refresh_or_use_a_token() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let id = app
        .create_user(&tenant, "ana@acme.test", Role::Manager)
        .await;
    let ana = app.login_ok("acme", "ana@acme.test").await;

    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin.access),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["active"], false);

    assert_error(
        app.login("acme", "ana@acme.test", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
    let refresh = app
        .send_json(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": ana.refresh}),
        )
        .await;
    assert_error(refresh, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
    assert_error(
        app.get("/api/v1/users", &ana.access).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;

    // Reactivated, the user logs in again.
    app.send_json(
        Method::PATCH,
        &format!("/api/v1/users/{id}"),
        Some(&admin.access),
        &json!({"active": true}),
    )
    .await;
    assert_eq!(
        app.login("acme", "ana@acme.test", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let id = app
        .create_user(&tenant, "ana@acme.test", Role::Manager)
        .await;
    let ana = app.login_ok("acme", "ana@acme.test").await;
    assert_eq!(
        app.get("/api/v1/users", &ana.access).await.status(),
        StatusCode::OK
    );
    app.send_json(
        Method::PATCH,
        &format!("/api/v1/users/{id}"),
        Some(&admin.access),
        &json!({"role": "viewer"}),
    )
    .await;
    assert_error(
        app.get("/api/v1/users", &ana.access).await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
}

#[tokio::test]
async fn a_password_change_ends_the_users_sessions_and_takes_the_new_password() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let id = app.create_user(&tenant, "ana@acme.test", Role::Tech).await;
    let ana = app.login_ok("acme", "ana@acme.test").await;
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin.access),
            &json!({"password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_error(
        app.get("/api/v1/auth/me", &ana.access).await,
        StatusCode::UNAUTHORIZED,
        "AUTH_INVALID",
    )
    .await;
    assert_eq!(
        app.login("acme", "ana@acme.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("acme", "ana@acme.test", "a brand new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_admin_cannot_deactivate_or_demote_themselves() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let me = body(app.get("/api/v1/auth/me", &admin.access).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for patch in [json!({"active": false}), json!({"role": "manager"})] {
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/users/{me}"),
                Some(&admin.access),
                &patch,
            )
            .await;
        assert_error(response, StatusCode::CONFLICT, "SELF_LOCKOUT").await;
    }
    assert_eq!(
        app.get("/api/v1/users", &admin.access).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_user_of_one_tenant_never_sees_another_tenants_users() {
    let app = TestApp::spawn().await;
    let acme = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let acme_user = app.create_user(&acme, "ana@acme.test", Role::Tech).await;
    let other_admin = app.login_ok("other", &other.admin_email).await;

    let listed = body(app.get("/api/v1/users", &other_admin.access).await).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["email"], "admin@other.test");

    let path = format!("/api/v1/users/{acme_user}");
    let b = assert_error(
        app.get(&path, &other_admin.access).await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    assert!(!b.to_string().contains("ana@acme.test"));
    let patch = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&other_admin.access),
            &json!({"role": "admin"}),
        )
        .await;
    assert_error(patch, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    // Unchanged in its own tenant.
    let acme_admin = app.login_ok("acme", &acme.admin_email).await;
    assert_eq!(
        body(app.get(&path, &acme_admin.access).await).await["role"],
        "tech"
    );
}

#[tokio::test]
async fn unknown_and_malformed_user_ids_are_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let unknown = format!("/api/v1/users/{}", uuid::Uuid::now_v7());
    assert_error(
        app.get(&unknown, &admin.access).await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    let b = assert_error(
        app.get("/api/v1/users/not-a-uuid", &admin.access).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "path");
}
