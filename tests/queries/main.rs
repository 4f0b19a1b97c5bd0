//! How many database queries the plan routes and the mission list make, counted.
//!
//! Its own test binary, so that one test owns the process: the global tracing subscriber
//! counts every statement sqlx runs (its `sqlx::query` events, emitted for each statement
//! on both backends), and nothing else runs queries between the reset and the read. A
//! connection's own set-up (SQLite's `PRAGMA`s when a pool opens one more connection) is
//! not the route's work and is not counted.

use std::sync::atomic::{AtomicUsize, Ordering};

use callsheet::domain::Role;
use callsheet_e2e::{TestApp, body};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

static QUERIES: AtomicUsize = AtomicUsize::new(0);

struct CountQueries;

impl<S: tracing::Subscriber> Layer<S> for CountQueries {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut statement = Statement(String::new());
        event.record(&mut statement);
        if !statement.0.trim_start().starts_with("PRAGMA") {
            QUERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The `summary` field of a `sqlx::query` event: the statement's first words.
struct Statement(String);

impl tracing::field::Visit for Statement {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            value.clone_into(&mut self.0);
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}").trim_matches('"').to_owned();
        }
    }
}

/// The queries `request` makes.
async fn count<F: std::future::Future<Output = reqwest::Response>>(
    request: F,
) -> (usize, reqwest::Response) {
    QUERIES.store(0, Ordering::SeqCst);
    let response = request.await;
    (QUERIES.load(Ordering::SeqCst), response)
}

#[tokio::test]
async fn plans_cost_at_most_five_queries_on_a_miss_and_only_the_session_check_on_a_hit() {
    tracing_subscriber::registry()
        .with(
            CountQueries
                .with_filter(Targets::new().with_target("sqlx::query", tracing::Level::TRACE)),
        )
        .init();
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await.access;
    let venue = body(
        app.send_json(
            Method::POST,
            "/api/v1/venues",
            Some(&admin),
            &json!({"name": "Olympia"}),
        )
        .await,
    )
    .await["id"]
        .clone();
    let mut technicians = Vec::new();
    for i in 0..5 {
        let t = body(
            app.send_json(
                Method::POST,
                "/api/v1/technicians",
                Some(&admin),
                &json!({"name": format!("T{i}"), "skills": ["sound"],
                        "contract": {"kind": "hourly", "hourly_rate_cents": 2000, "cachet_rate_cents": 0}}),
            )
            .await,
        )
        .await;
        technicians.push(t["id"].clone());
    }
    // Twenty missions over the week, each with two needs, some staffed.
    for (day, date) in [
        "2026-06-29",
        "2026-06-30",
        "2026-07-01",
        "2026-07-02",
        "2026-07-03",
    ]
    .into_iter()
    .enumerate()
    {
        for slot in 0..4 {
            let start = format!("{date}T{:02}:00:00Z", 8 + slot * 3);
            let end = format!("{date}T{:02}:00:00Z", 10 + slot * 3);
            let m = body(
                app.send_json(
                    Method::POST,
                    "/api/v1/missions",
                    Some(&admin),
                    &json!({"title": format!("M{day}{slot}"), "venue_id": venue, "start": start, "end": end,
                            "needs": [{"skill": "sound", "min_crew": 2}, {"skill": "sound", "min_crew": 1}]}),
                )
                .await,
            )
            .await;
            let response = app
                .send_json(
                    Method::POST,
                    "/api/v1/assignments",
                    Some(&admin),
                    &json!({"need_id": m["needs"][0]["id"], "technician_id": technicians[slot as usize]}),
                )
                .await;
            assert!(response.status().is_success() || response.status() == StatusCode::CONFLICT);
        }
    }
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    for path in [
        "/api/v1/planning/week?week=2026-W27".to_owned(),
        "/api/v1/planning/day?date=2026-07-01".to_owned(),
        format!(
            "/api/v1/planning/week?week=2026-W27&technician_id={}",
            technicians[0].as_str().unwrap()
        ),
        format!(
            "/api/v1/planning/week?week=2026-W27&venue_id={}",
            venue.as_str().unwrap()
        ),
    ] {
        let (miss, response) = count(app.get(&path, &viewer)).await;
        assert_eq!(response.headers()["x-cache"], "miss", "{path}");
        let plan = body(response).await;
        assert!(
            plan["totals"]["missions"].as_u64().unwrap() > 0,
            "{path}: {plan}"
        );
        // The session check and the three plan queries; fewer would mean the counter is
        // blind, more that the route grew an N+1.
        assert!((4..=5).contains(&miss), "{path}: {miss} queries on a miss");
        let (hit, response) = count(app.get(&path, &viewer)).await;
        assert_eq!(response.headers()["x-cache"], "hit", "{path}");
        assert_eq!(
            hit, 1,
            "{path}: {hit} queries on a hit (the session check only)"
        );
    }

    // A page of missions: the session check, the count, and the page with every
    // mission's needs in its own row (not one query more for the needs).
    let (queries, response) = count(app.get(
        "/api/v1/missions?from=2026-06-29&to=2026-07-05&size=50",
        &viewer,
    ))
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = body(response).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!((items.len(), &page["total"]), (20, &json!(20)), "{page}");
    assert!(
        items
            .iter()
            .all(|m| m["needs"].as_array().unwrap().len() == 2),
        "{page}"
    );
    assert_eq!(queries, 3, "{queries} queries for a page of missions");
}
