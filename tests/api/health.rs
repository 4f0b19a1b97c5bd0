use callsheet_e2e::{TestApp, backend, body};
use reqwest::StatusCode;

#[tokio::test]
async fn liveness_answers_ok_without_credentials() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["status"], "ok");
}

#[tokio::test]
async fn readiness_names_the_database_backend() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let b = body(response).await;
    assert_eq!(b["database"], backend());
    assert_eq!(b["cache"], "in-process");
}

#[tokio::test]
async fn readiness_checks_redis_when_it_is_configured() {
    let Some(app) = TestApp::spawn_with_redis(&[]).await else {
        eprintln!("skipped: CALLSHEET_TEST_REDIS_URL is not set");
        return;
    };
    let response = app
        .client
        .get(app.url("/api/v1/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["cache"], "redis");
}
