//! Analytics against a week computed by hand (Paris, summer: UTC+2), at 25.00 EUR/h:
//!
//! - Monday 10:00-18:00, sound, 2 places: Tech 00 and Tech 01 (8 h each);
//! - Wednesday 10:00-14:00, light, 2 places: Tech 01 only (4 h; 1 place open);
//! - Saturday 22:00 to Sunday 04:00, light, 1 place: Tech 00 (6 h: 4 h of night, all
//!   weekend);
//! - a cancelled mission, which counts for nothing.
//!
//! Coverage: 4 of 5 places (8000 bp); light 2 of 3, sound 2 of 2. Tech 00: 14 h, Tech 01:
//! 12 h; cost 350.00 + 300.00 EUR; spread: mean 13 h, deviation 1 h, Gini 0.0385.

use callsheet::domain::Role;
use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::planning::{crew, post};

#[tokio::test]
async fn coverage_and_workload_match_a_week_computed_by_hand() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 2).await;
    let shift = |title: &str, skill: &str, places: i32, start: &str, end: &str| {
        json!({"title": title, "venue_id": c.venue, "start": start, "end": end,
               "needs": [{"skill": skill, "min_crew": places}]})
    };
    let assign = |need: &serde_json::Value, who: usize| json!({"need_id": need, "technician_id": c.technicians[who]});
    let monday = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        shift(
            "Concert",
            "sound",
            2,
            "2026-07-06T08:00:00Z",
            "2026-07-06T16:00:00Z",
        ),
    )
    .await;
    let wednesday = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        shift(
            "Rehearsal",
            "light",
            2,
            "2026-07-08T08:00:00Z",
            "2026-07-08T12:00:00Z",
        ),
    )
    .await;
    let saturday = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        shift(
            "Night show",
            "light",
            1,
            "2026-07-11T20:00:00Z",
            "2026-07-12T02:00:00Z",
        ),
    )
    .await;
    let cancelled = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        shift(
            "Cancelled",
            "sound",
            3,
            "2026-07-09T08:00:00Z",
            "2026-07-09T12:00:00Z",
        ),
    )
    .await;
    for (need, who) in [
        (&monday["needs"][0]["id"], 0),
        (&monday["needs"][0]["id"], 1),
        (&wednesday["needs"][0]["id"], 1),
        (&saturday["needs"][0]["id"], 0),
    ] {
        post(&app, &c.admin, "/api/v1/assignments", assign(need, who)).await;
    }
    let path = format!("/api/v1/missions/{}", cancelled["id"].as_str().unwrap());
    let response = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&c.admin),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    let range = "from=2026-07-06&to=2026-07-12";
    let coverage = body(
        app.get(&format!("/api/v1/analytics/coverage?{range}"), &viewer)
            .await,
    )
    .await;
    assert_eq!(coverage["needs"], 3, "{coverage}");
    assert_eq!(coverage["places_needed"], 5);
    assert_eq!(coverage["places_filled"], 4);
    assert_eq!(coverage["coverage_bp"], 8000);
    assert_eq!(coverage["proposed"], 4);
    assert_eq!(
        coverage["by_skill"],
        json!([
            {"skill": "light", "places_needed": 3, "places_filled": 2, "open_places": 1},
            {"skill": "sound", "places_needed": 2, "places_filled": 2, "open_places": 0},
        ])
    );

    let workload = body(
        app.get(&format!("/api/v1/analytics/workload?{range}"), &viewer)
            .await,
    )
    .await;
    let t = workload["technicians"].as_array().unwrap();
    assert_eq!(t.len(), 2, "{workload}");
    assert_eq!(t[0]["name"], "Tech 00");
    assert_eq!(
        (
            t[0]["assignments"].as_i64(),
            t[0]["planned_seconds"].as_i64()
        ),
        (Some(2), Some(14 * 3600))
    );
    assert_eq!(t[0]["night_seconds"], 4 * 3600);
    assert_eq!(t[0]["weekend_seconds"], 6 * 3600);
    assert_eq!(t[0]["planned_cost_cents"], 35_000);
    assert_eq!(t[1]["planned_seconds"], 12 * 3600);
    assert_eq!(
        (
            t[1]["night_seconds"].as_i64(),
            t[1]["weekend_seconds"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(workload["planned_cost_cents"], 65_000);
    assert_eq!(workload["planned_seconds"], 26 * 3600);
    assert_eq!(
        workload["spread"],
        json!({"technicians": 2, "min_seconds": 43_200, "max_seconds": 50_400,
               "mean_seconds": 46_800.0, "stddev_seconds": 3_600.0, "gini": 0.0385})
    );

    // A range narrowed to Monday, and one venue that has nothing.
    let monday_only = body(
        app.get(
            "/api/v1/analytics/coverage?from=2026-07-06&to=2026-07-06",
            &viewer,
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            monday_only["places_needed"].as_i64(),
            monday_only["coverage_bp"].as_i64()
        ),
        (Some(2), Some(10_000))
    );
    let venue = post(&app, &c.admin, "/api/v1/venues", json!({"name": "Olympia"})).await;
    let elsewhere = format!(
        "/api/v1/analytics/coverage?{range}&venue_id={}",
        venue["id"].as_str().unwrap()
    );
    let empty = body(app.get(&elsewhere, &viewer).await).await;
    assert_eq!(
        (empty["needs"].as_i64(), empty["coverage_bp"].as_i64()),
        (Some(0), Some(10_000))
    );

    // Technicians do not see everyone's hours; ranges are bounded.
    let tech = app.login_as(&tenant, Role::Tech).await.access;
    assert_error(
        app.get(&format!("/api/v1/analytics/workload?{range}"), &tech)
            .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    let b = assert_error(
        app.get(
            "/api/v1/analytics/workload?from=2026-01-01&to=2027-06-30",
            &viewer,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "to");
    assert_error(
        app.get("/api/v1/analytics/coverage?from=2026-07-06", &viewer)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
}
