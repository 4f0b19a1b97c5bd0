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

    // Coverage comes from the plan cache until a planning write: then it is computed again.
    let coverage_path = format!("/api/v1/analytics/coverage?{range}");
    let first = app.get(&coverage_path, &viewer).await;
    assert_eq!(
        first.headers()["x-cache"],
        "miss",
        "the venue's creation was a write"
    );
    assert_eq!(body(first).await, coverage);
    let cached = app.get(&coverage_path, &viewer).await;
    assert_eq!(cached.headers()["x-cache"], "hit");
    assert_eq!(body(cached).await, coverage);
    post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        assign(&wednesday["needs"][0]["id"], 0),
    )
    .await;
    let fresh = app.get(&coverage_path, &viewer).await;
    assert_eq!(fresh.headers()["x-cache"], "miss");
    assert_eq!(body(fresh).await["places_filled"], 5);

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

/// Pay figures against July 2026 paid by hand: Théo works five 8-hour days of ISO week 28
/// at 20.00 EUR/h (40 h: 800.00 EUR of base pay, and 5 h past 35 h at +25 %: 25.00 EUR),
/// Zoé 4 h at 24.00 EUR/h (96.00 EUR). Gross 921.00 EUR, 5 overtime hours; towards the
/// 507 hours, Théo 40 h (788 bp), Zoé 8 h with June (157 bp). July is paid twice (the second run
/// counts once); June, outside the range, not at all.
#[tokio::test]
async fn pay_figures_match_a_month_paid_by_hand() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await.access;
    let crate::payroll::July { venue, theo, zoe } = crate::payroll::july(&app, &admin, None).await;
    crate::payroll::worked(
        &app,
        &admin,
        &venue,
        &zoe,
        "2026-06-10T16:00:00Z",
        "2026-06-10T20:00:00Z",
    )
    .await;
    for period in ["2026-06", "2026-07"] {
        let closed = app
            .send_json(
                Method::POST,
                "/api/v1/timesheets/close",
                Some(&admin),
                &json!({"period": period}),
            )
            .await;
        assert!(closed.status().is_success());
    }
    let mut runs = Vec::new();
    for period in ["2026-06", "2026-07", "2026-07"] {
        let run = app
            .send_json(
                Method::POST,
                "/api/v1/payroll/runs",
                Some(&admin),
                &json!({"period": period}),
            )
            .await;
        assert_eq!(run.status(), StatusCode::CREATED);
        runs.push(body(run).await["id"].as_str().unwrap().to_owned());
    }

    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    let pay = body(
        app.get(
            "/api/v1/analytics/pay?from=2026-07-01&to=2026-07-31",
            &viewer,
        )
        .await,
    )
    .await;
    assert_eq!(pay["gross_cents"], 92_100, "{pay}");
    assert_eq!(pay["overtime_milli_hours"], 5_000);
    let periods = pay["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1, "{pay}");
    assert_eq!(periods[0]["period"], "2026-07");
    assert_eq!(periods[0]["run_id"], runs[2].as_str(), "the latest run");
    assert_eq!(periods[0]["technicians"], 2);
    let progress = |id: &str| {
        pay["eligibility"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["technician_id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(progress(&theo)["hours_milli"], 40_000);
    assert_eq!(progress(&theo)["progress_bp"], 788);
    assert_eq!(progress(&theo)["reached"], false);
    // Zoé's 12 months up to July's end hold June's 4 hours too.
    assert_eq!(progress(&zoe)["hours_milli"], 8_000);
    assert_eq!(progress(&zoe)["progress_bp"], 157);

    // June and July together: both periods, June's 96.00 EUR added.
    let both = body(
        app.get(
            "/api/v1/analytics/pay?from=2026-06-01&to=2026-07-31",
            &viewer,
        )
        .await,
    )
    .await;
    assert_eq!(both["gross_cents"], 92_100 + 9_600);
    assert_eq!(both["periods"].as_array().unwrap().len(), 2);
    // A range with no whole period paid: nothing.
    let none = body(
        app.get(
            "/api/v1/analytics/pay?from=2026-07-02&to=2026-07-31",
            &viewer,
        )
        .await,
    )
    .await;
    assert_eq!(none["gross_cents"], 0);
    assert!(none["periods"].as_array().unwrap().is_empty());
    // Pay is not a planning figure: no project or venue filter.
    let b = assert_error(
        app.get(
            &format!("/api/v1/analytics/pay?from=2026-07-01&to=2026-07-31&venue_id={venue}"),
            &viewer,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("venue_id"), "{b}");
}

/// Late changes against missions planned now: a concert tomorrow (Ana and Ben added now,
/// Ana then declines), a show in ten days (Ben, added well ahead), a load-out in two days
/// cancelled now. Within 72 hours: 2 of 3 assignments added late, 1 declined late (10000
/// bp), 1 of 3 missions cancelled late; within 12 hours: nothing.
#[tokio::test]
async fn late_changes_count_what_moved_shortly_before_the_work() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = crate::timesheets::team(&app, &tenant).await;
    let now = chrono::Utc::now();
    let at = |hours: i64| (now + chrono::Duration::hours(hours)).to_rfc3339();
    let mission = |title: &str, from: i64| {
        json!({"title": title, "venue_id": t.crew.venue, "start": at(from), "end": at(from + 4),
               "needs": [{"skill": "sound", "min_crew": 2}]})
    };
    let concert = post(
        &app,
        &t.crew.admin,
        "/api/v1/missions",
        mission("Concert", 24),
    )
    .await;
    let show = post(
        &app,
        &t.crew.admin,
        "/api/v1/missions",
        mission("Show", 240),
    )
    .await;
    let load_out = post(
        &app,
        &t.crew.admin,
        "/api/v1/missions",
        mission("Load-out", 48),
    )
    .await;
    let mut ana = String::new();
    for (need, who) in [
        (&concert["needs"][0]["id"], 0),
        (&concert["needs"][0]["id"], 1),
        (&show["needs"][0]["id"], 1),
    ] {
        let a = post(
            &app,
            &t.crew.admin,
            "/api/v1/assignments",
            json!({"need_id": need, "technician_id": t.crew.technicians[who]}),
        )
        .await;
        if who == 0 {
            ana = a["assignment"]["id"].as_str().unwrap().to_owned();
        }
    }
    let declined = app
        .request(
            Method::POST,
            &format!("/api/v1/assignments/{ana}/decline"),
            Some(&t.tech),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), StatusCode::OK);
    let cancelled = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/missions/{}", load_out["id"].as_str().unwrap()),
            Some(&t.crew.admin),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);

    let range = format!(
        "from={}&to={}",
        now.date_naive(),
        (now + chrono::Duration::days(12)).date_naive()
    );
    let late = body(
        app.get(
            &format!("/api/v1/analytics/late-changes?{range}"),
            &t.manager,
        )
        .await,
    )
    .await;
    assert_eq!(late["late_hours"], 72, "{late}");
    assert_eq!(late["assignments"], 3);
    assert_eq!(late["added_late"], 2);
    assert_eq!(late["declined_late"], 1);
    assert_eq!(late["late_bp"], 10_000);
    assert_eq!(late["missions"], 3);
    assert_eq!(late["cancelled_late"], 1);
    let tight = body(
        app.get(
            &format!("/api/v1/analytics/late-changes?{range}&late_hours=12"),
            &t.manager,
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            &tight["added_late"],
            &tight["declined_late"],
            &tight["cancelled_late"],
            &tight["late_bp"]
        ),
        (&json!(0), &json!(0), &json!(0), &json!(0)),
        "{tight}"
    );
    let b = assert_error(
        app.get(
            &format!("/api/v1/analytics/late-changes?{range}&late_hours=0"),
            &t.manager,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "late_hours");
}

#[tokio::test]
async fn workload_and_pay_come_from_the_cache_until_a_timesheet_or_payroll_write() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await.access;
    crate::payroll::july(&app, &admin, None).await;
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    let read = |path: &'static str| {
        let (app, viewer) = (&app, &viewer);
        async move {
            let response = app.get(path, viewer).await;
            assert_eq!(response.status(), StatusCode::OK);
            let cache = response.headers()["x-cache"].to_str().unwrap().to_owned();
            (cache, body(response).await)
        }
    };
    let workload = "/api/v1/analytics/workload?from=2026-07-01&to=2026-07-31";
    let pay = "/api/v1/analytics/pay?from=2026-07-01&to=2026-07-31";
    let (first, figures) = read(workload).await;
    assert_eq!(first, "miss");
    assert_eq!(read(workload).await, ("hit".to_owned(), figures.clone()));
    let (first, unpaid) = read(pay).await;
    assert_eq!(first, "miss");
    assert_eq!(unpaid["gross_cents"], 0);
    assert_eq!(read(pay).await.0, "hit");

    // Closing the period writes no planning data, yet both figures are computed again.
    let closed = app
        .send_json(
            Method::POST,
            "/api/v1/timesheets/close",
            Some(&admin),
            &json!({"period": "2026-07"}),
        )
        .await;
    assert!(closed.status().is_success());
    assert_eq!(read(workload).await, ("miss".to_owned(), figures));
    assert_eq!(read(pay).await.0, "miss");
    assert_eq!(read(pay).await.0, "hit");
    let run = app
        .send_json(
            Method::POST,
            "/api/v1/payroll/runs",
            Some(&admin),
            &json!({"period": "2026-07"}),
        )
        .await;
    assert_eq!(run.status(), StatusCode::CREATED);
    let (after, paid) = read(pay).await;
    assert_eq!(after, "miss", "a payroll run makes the pay figures stale");
    assert_eq!(paid["gross_cents"], 92_100, "{paid}");
}
