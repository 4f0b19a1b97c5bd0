use callsheet::domain::Role;
use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn members_read_their_tenant_and_its_time_zone() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let tech = app.login_as(&tenant, Role::Tech).await;
    let b = body(app.get("/api/v1/tenant", &tech.access).await).await;
    assert_eq!(b["slug"], "acme");
    assert_eq!(b["time_zone"], "Europe/Paris");
    assert_eq!(b["id"], tenant.id.to_string());
}

#[tokio::test]
async fn an_admin_renames_the_tenant_and_moves_its_time_zone() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    let response = app
        .send_json(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&admin.access),
            &json!({"name": "Acme Live", "time_zone": "America/Montreal"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let b = body(response).await;
    assert_eq!(
        (b["name"].as_str(), b["time_zone"].as_str()),
        (Some("Acme Live"), Some("America/Montreal"))
    );

    for (patch, field) in [
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"name": "  "}), "name"),
        (json!({"slug": "x"}), "slug"),
    ] {
        let response = app
            .send_json(Method::PATCH, "/api/v1/tenant", Some(&admin.access), &patch)
            .await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], field);
    }
    let b = body(app.get("/api/v1/tenant", &admin.access).await).await;
    assert_eq!(
        b["time_zone"], "America/Montreal",
        "a refused change leaves the tenant as it was"
    );
}
