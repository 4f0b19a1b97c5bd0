//! Payroll runs through the API: a closed month paid by the default payroll plugin, the
//! same bytes again on a second run and on a replay, a technician reading only their own
//! payslip, an open period refused.
//!
//! Hand-computed: five 8-hour days in ISO week 28 of 2026 at 20.00 EUR/h are 40 hours:
//! 40 h of base pay (80,000 cents) and 5 h past 35 h at +25 % (5 h x 500 c = 2,500 cents).

use callsheet::domain::Role;
use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::planning::post;

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, payload: Value) -> Value {
    let response = app
        .send_json(method.clone(), path, Some(token), &payload)
        .await;
    let status = response.status();
    let b = body(response).await;
    assert!(status.is_success(), "{method} {path}: {status} {b}");
    b
}

/// An approved timesheet of technician `who` from a planned shift `[start, end)`.
pub(crate) async fn worked(
    app: &TestApp,
    admin: &str,
    venue: &str,
    who: &str,
    start: &str,
    end: &str,
) {
    let mission = post(
        app,
        admin,
        "/api/v1/missions",
        json!({"title": "Show", "venue_id": venue,
        "start": start, "end": end, "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    let a = post(
        app,
        admin,
        "/api/v1/assignments",
        json!({"need_id": mission["needs"][0]["id"], "technician_id": who}),
    )
    .await;
    let sheet = ok(
        app,
        Method::POST,
        "/api/v1/timesheets",
        admin,
        json!({"assignment_id": a["assignment"]["id"]}),
    )
    .await;
    let path = format!("/api/v1/timesheets/{}", sheet["id"].as_str().unwrap());
    ok(
        app,
        Method::POST,
        &format!("{path}/submit"),
        admin,
        json!(null),
    )
    .await;
    ok(
        app,
        Method::POST,
        &format!("{path}/approve"),
        admin,
        json!(null),
    )
    .await;
}

/// July 2026 worked by hand-computable hours: Théo (20.00 EUR/h; linked to `theo_user` if
/// given) five 8-hour days of ISO week 28, Zoé (24.00 EUR/h) 4 hours on the 8th; every
/// timesheet approved.
pub(crate) struct July {
    pub(crate) venue: String,
    pub(crate) theo: String,
    pub(crate) zoe: String,
}

pub(crate) async fn july(app: &TestApp, admin: &str, theo_user: Option<&str>) -> July {
    let venue = post(app, admin, "/api/v1/venues", json!({"name": "Zénith"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let technician = |name: &str, rate: i64| {
        json!({"name": name, "skills": ["sound"],
        "contract": {"kind": "hourly", "hourly_rate_cents": rate, "cachet_rate_cents": 0}})
    };
    let mut theo = technician("Théo", 2000);
    theo["user_id"] = json!(theo_user);
    let theo = post(app, admin, "/api/v1/technicians", theo).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let zoe = post(app, admin, "/api/v1/technicians", technician("Zoé", 2400)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for day in 6..=10 {
        worked(
            app,
            admin,
            &venue,
            &theo,
            &format!("2026-07-{day:02}T06:00:00Z"),
            &format!("2026-07-{day:02}T14:00:00Z"),
        )
        .await;
    }
    worked(
        app,
        admin,
        &venue,
        &zoe,
        "2026-07-08T16:00:00Z",
        "2026-07-08T20:00:00Z",
    )
    .await;
    July { venue, theo, zoe }
}

#[tokio::test]
async fn a_closed_month_is_paid_the_same_bytes_every_time_and_each_technician_sees_their_own() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await.access;
    let user = app.create_user(&tenant, "theo@acme.test", Role::Tech).await;
    let July { theo, zoe, .. } = july(&app, &admin, Some(&user)).await;

    // An open period is not paid.
    let b = assert_error(
        app.send_json(
            Method::POST,
            "/api/v1/payroll/runs",
            Some(&admin),
            &json!({"period": "2026-07"}),
        )
        .await,
        StatusCode::CONFLICT,
        "PERIOD_NOT_CLOSED",
    )
    .await;
    assert_eq!(b["meta"]["period"], "2026-07");
    ok(
        &app,
        Method::POST,
        "/api/v1/timesheets/close",
        &admin,
        json!({"period": "2026-07"}),
    )
    .await;

    let started = app
        .send_json(
            Method::POST,
            "/api/v1/payroll/runs",
            Some(&admin),
            &json!({"period": "2026-07"}),
        )
        .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let run = body(started).await;
    assert_eq!(run["period"], "2026-07");
    assert_eq!(run["technicians"], 2);
    let details = &run["details"];
    let slips = details["payslips"].as_array().unwrap();
    let theo_slip = slips
        .iter()
        .find(|p| p["technician_id"] == theo.as_str())
        .unwrap();
    let line = |code: &str| {
        theo_slip["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == code)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(line("base")["quantity_milli"], 40_000, "{theo_slip}");
    assert_eq!(line("base")["amount_cents"], 80_000, "{theo_slip}");
    assert_eq!(line("overtime-25")["quantity_milli"], 5_000, "{theo_slip}");
    assert_eq!(line("overtime-25")["amount_cents"], 2_500, "{theo_slip}");
    let sum: i64 = theo_slip["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(theo_slip["gross_cents"], sum);
    let zoe_slip = slips
        .iter()
        .find(|p| p["technician_id"] == zoe.as_str())
        .unwrap();
    assert_eq!(zoe_slip["gross_cents"], 4 * 2400, "{zoe_slip}");
    assert_eq!(run["gross_cents"], sum + 4 * 2400);
    let theo_hours = details["eligibility"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["technician_id"] == theo.as_str())
        .unwrap();
    assert_eq!(theo_hours["hours_milli"], 40_000);
    assert_eq!(theo_hours["threshold_hours"], 507);
    assert_eq!(theo_hours["reached"], false);
    assert_eq!(
        details["plugin"]["name"], "callsheet-payroll-fr",
        "{details}"
    );

    // The same period again: the same inputs, the same bytes.
    let again = ok(
        &app,
        Method::POST,
        "/api/v1/payroll/runs",
        &admin,
        json!({"period": "2026-07"}),
    )
    .await;
    assert_ne!(again["id"], run["id"]);
    assert_eq!(again["inputs_sha256"], run["inputs_sha256"]);
    assert_eq!(again["result_sha256"], run["result_sha256"]);

    // An auditor replays it; the chain records both runs and holds.
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    let path = format!("/api/v1/payroll/runs/{}", run["id"].as_str().unwrap());
    let replay = ok(
        &app,
        Method::POST,
        &format!("{path}/replay"),
        &viewer,
        json!(null),
    )
    .await;
    assert_eq!(replay["identical"], true, "{replay}");
    assert_eq!(replay["replayed_result_sha256"], run["result_sha256"]);
    let entries = body(
        app.get("/api/v1/audit/entries?kind=payroll-run", &admin)
            .await,
    )
    .await;
    assert_eq!(entries["total"], 2);
    assert_eq!(
        entries["items"][1]["payload"]["result_sha256"],
        run["result_sha256"]
    );
    assert_eq!(
        body(app.get("/api/v1/audit/verify", &admin).await).await["ok"],
        true
    );

    // Théo sees his own payslip, not Zoé's, and no totals of others; he cannot run one.
    let tech = app.login_ok(&tenant.slug, "theo@acme.test").await.access;
    let mine = body(app.get(&path, &tech).await).await;
    let slips = mine["details"]["payslips"].as_array().unwrap();
    assert_eq!(slips.len(), 1);
    assert_eq!(slips[0]["technician_id"], theo.as_str());
    assert_eq!(mine["gross_cents"], sum);
    assert_eq!(mine["details"]["eligibility"].as_array().unwrap().len(), 1);
    let listed = body(app.get("/api/v1/payroll/runs", &tech).await).await;
    assert_eq!(listed["total"], 2);
    assert_eq!(listed["items"][0]["gross_cents"], 0);
    assert_error(
        app.send_json(
            Method::POST,
            "/api/v1/payroll/runs",
            Some(&tech),
            &json!({"period": "2026-07"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    // Listing by period, and a run that does not exist.
    assert_eq!(
        body(app.get("/api/v1/payroll/runs?period=2026-08", &admin).await).await["total"],
        0
    );
    assert_error(
        app.get(
            "/api/v1/payroll/runs/0190b5a4-0000-7000-8000-000000000000",
            &admin,
        )
        .await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    let b = assert_error(
        app.send_json(
            Method::POST,
            "/api/v1/payroll/runs",
            Some(&admin),
            &json!({"period": "July"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "period");

    // Reopened, July is not paid any more until it closes again.
    ok(
        &app,
        Method::POST,
        "/api/v1/timesheets/reopen",
        &admin,
        json!({"period": "2026-07", "reason": "a missed shift"}),
    )
    .await;
    assert_error(
        app.send_json(
            Method::POST,
            "/api/v1/payroll/runs",
            Some(&admin),
            &json!({"period": "2026-07"}),
        )
        .await,
        StatusCode::CONFLICT,
        "PERIOD_NOT_CLOSED",
    )
    .await;
}
