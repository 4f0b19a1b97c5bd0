//! Timesheets from plan to closed period, end to end: fill, submit, approve, reject,
//! exclude, close, writes refused after the close, reopen; every refusal with its code and
//! nothing written; a technician sees and touches only their own.
//!
//! Missions are in July 2026, in the past, in a tenant on Europe/Paris (UTC+2 in summer).

use callsheet::domain::Role;
use callsheet_e2e::{Tenant, TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::planning::{Crew, crew, post};

/// A crew of two whose first technician is linked to a `tech` login; the tech's token.
pub(crate) struct Team {
    pub(crate) crew: Crew,
    pub(crate) manager: String,
    pub(crate) tech: String,
}

pub(crate) async fn team(app: &TestApp, tenant: &Tenant) -> Team {
    let crew = crew(app, tenant, 2).await;
    let user = app.create_user(tenant, "ana@acme.test", Role::Tech).await;
    let linked = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/technicians/{}", crew.technicians[0]),
            Some(&crew.admin),
            &json!({"user_id": user}),
        )
        .await;
    assert_eq!(linked.status(), StatusCode::OK);
    let tech = app.login_ok(&tenant.slug, "ana@acme.test").await.access;
    let manager = app.login_as(tenant, Role::Manager).await.access;
    Team {
        crew,
        manager,
        tech,
    }
}

/// A mission with one sound need over `[start, end)` and technician `who` assigned to it;
/// the assignment's id.
pub(crate) async fn assigned(
    app: &TestApp,
    t: &Team,
    who: usize,
    start: &str,
    end: &str,
) -> String {
    let mission = post(
        app,
        &t.crew.admin,
        "/api/v1/missions",
        json!({"title": "Show", "venue_id": t.crew.venue, "start": start, "end": end,
               "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    let a = post(
        app,
        &t.crew.admin,
        "/api/v1/assignments",
        json!({"need_id": mission["needs"][0]["id"], "technician_id": t.crew.technicians[who]}),
    )
    .await;
    a["assignment"]["id"].as_str().unwrap().to_owned()
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    payload: Value,
) -> reqwest::Response {
    app.send_json(method, path, Some(token), &payload).await
}

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, payload: Value) -> Value {
    let response = send(app, method.clone(), path, token, payload).await;
    let status = response.status();
    let b = body(response).await;
    assert!(status.is_success(), "{method} {path}: {status} {b}");
    b
}

fn sheet_path(sheet: &Value) -> String {
    format!("/api/v1/timesheets/{}", sheet["id"].as_str().unwrap())
}

#[tokio::test]
async fn a_month_goes_from_plan_to_a_closed_period_and_back_with_an_admins_reason() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    let assignment = assigned(&app, &t, 0, "2026-07-06T08:00:00Z", "2026-07-06T18:00:00Z").await;

    // The technician records their assignment: the plan's figures by default.
    let created = app
        .send_json(
            Method::POST,
            "/api/v1/timesheets",
            Some(&t.tech),
            &json!({"assignment_id": assignment}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let sheet = body(created).await;
    assert_eq!(location, sheet_path(&sheet));
    assert_eq!(sheet["state"], "draft");
    assert_eq!(sheet["start"], "2026-07-06T10:00:00+02:00");
    assert_eq!(sheet["end"], "2026-07-06T20:00:00+02:00");
    assert_eq!(sheet["worked_seconds"], 36_000);
    assert_eq!(sheet["period"], "2026-07");
    assert_eq!(sheet["cachets"], 0);
    assert_eq!(
        sheet["difference"],
        json!({"start_seconds": 0, "end_seconds": 0, "worked_seconds": 0})
    );

    // They ended an hour late and took 45 minutes for lunch: local times, no offset.
    let edited = ok(
        &app,
        Method::PATCH,
        &sheet_path(&sheet),
        &t.tech,
        json!({
        "end": "2026-07-06T21:00",
        "breaks": [{"start": "2026-07-06T13:00", "end": "2026-07-06T13:45"}],
        "note": "load-out ran late"}),
    )
    .await;
    assert_eq!(edited["end"], "2026-07-06T21:00:00+02:00");
    assert_eq!(
        edited["breaks"],
        json!([{"start": "2026-07-06T13:00:00+02:00", "end": "2026-07-06T13:45:00+02:00"}])
    );
    assert_eq!(edited["worked_seconds"], 11 * 3600 - 45 * 60);
    assert_eq!(
        edited["difference"],
        json!({"start_seconds": 0, "end_seconds": 3600, "worked_seconds": 3600 - 45 * 60})
    );

    let submitted = ok(
        &app,
        Method::POST,
        &format!("{}/submit", sheet_path(&sheet)),
        &t.tech,
        json!(null),
    )
    .await;
    assert_eq!(submitted["state"], "submitted");
    assert!(submitted["submitted_at"].is_string());
    // Submitted: no more edits; only a planner decides.
    let b = assert_error(
        send(
            &app,
            Method::PATCH,
            &sheet_path(&sheet),
            &t.tech,
            json!({"note": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
        "TIMESHEET_STATE",
    )
    .await;
    assert_eq!(b["meta"]["state"], "submitted");
    assert_error(
        send(
            &app,
            Method::POST,
            &format!("{}/approve", sheet_path(&sheet)),
            &t.tech,
            json!(null),
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;

    // Sent back with a reason, fixed, submitted again, approved.
    let rejected = ok(
        &app,
        Method::POST,
        &format!("{}/reject", sheet_path(&sheet)),
        &t.manager,
        json!({"reason": "The load-out ended at 20:30"}),
    )
    .await;
    assert_eq!(rejected["state"], "draft");
    assert_eq!(rejected["reason"], "The load-out ended at 20:30");
    ok(
        &app,
        Method::PATCH,
        &sheet_path(&sheet),
        &t.tech,
        json!({"end": "2026-07-06T18:30:00Z"}),
    )
    .await;
    ok(
        &app,
        Method::POST,
        &format!("{}/submit", sheet_path(&sheet)),
        &t.tech,
        json!(null),
    )
    .await;
    let approved = ok(
        &app,
        Method::POST,
        &format!("{}/approve", sheet_path(&sheet)),
        &t.manager,
        json!(null),
    )
    .await;
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["reason"], Value::Null);
    assert!(approved["decided_by"].is_string());
    assert_eq!(approved["worked_seconds"], 10 * 3600 + 1800 - 45 * 60);

    // Unplanned work the manager adds, then approves.
    let extra = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.manager,
        json!({
        "technician_id": t.crew.technicians[1], "mission_id": approved["mission_id"],
        "start": "2026-07-31T20:00:00+02:00", "end": "2026-07-31T23:00:00+02:00"}),
    )
    .await;
    assert_eq!(extra["assignment_id"], Value::Null);
    assert_eq!(extra["difference"], Value::Null);
    ok(
        &app,
        Method::POST,
        &format!("{}/submit", sheet_path(&extra)),
        &t.manager,
        json!(null),
    )
    .await;
    ok(
        &app,
        Method::POST,
        &format!("{}/approve", sheet_path(&extra)),
        &t.manager,
        json!(null),
    )
    .await;

    // The manager closes July.
    let closed = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets/close",
        &t.manager,
        json!({"period": "2026-07"}),
    )
    .await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["start"], "2026-07-01T00:00:00+02:00");
    assert_eq!(closed["end"], "2026-08-01T00:00:00+02:00");
    assert_eq!(closed["counts"]["approved"], 2);
    assert_eq!(
        closed["counts"]["approved_worked_seconds"],
        10 * 3600 + 1800 - 45 * 60 + 3 * 3600
    );

    // Nothing in July changes any more, whoever asks.
    let refusals = [
        (
            Method::PATCH,
            sheet_path(&sheet),
            &t.tech,
            json!({"note": "x"}),
        ),
        (
            Method::POST,
            format!("{}/reject", sheet_path(&sheet)),
            &t.manager,
            json!({"reason": "again"}),
        ),
        (
            Method::POST,
            format!("{}/exclude", sheet_path(&extra)),
            &t.crew.admin,
            json!({"reason": "dup"}),
        ),
        (
            Method::POST,
            "/api/v1/timesheets".to_owned(),
            &t.manager,
            json!({
            "technician_id": t.crew.technicians[1], "mission_id": approved["mission_id"],
            "start": "2026-07-20T08:00:00Z", "end": "2026-07-20T09:00:00Z"}),
        ),
    ];
    for (method, path, token, payload) in refusals {
        let b = assert_error(
            send(&app, method, &path, token, payload).await,
            StatusCode::CONFLICT,
            "PERIOD_CLOSED",
        )
        .await;
        assert_eq!(b["meta"]["period"], "2026-07");
    }
    assert_eq!(
        body(app.get(&sheet_path(&sheet), &t.tech).await).await,
        approved,
        "unchanged"
    );
    assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets/close",
            &t.manager,
            json!({"period": "2026-07"}),
        )
        .await,
        StatusCode::CONFLICT,
        "PERIOD_ALREADY_CLOSED",
    )
    .await;

    // The close is in the audit chain, with a digest of what was approved; the chain holds.
    let entries = body(
        app.get("/api/v1/audit/entries?kind=period-close", &t.crew.admin)
            .await,
    )
    .await;
    assert_eq!(entries["total"], 1, "{entries}");
    let payload = &entries["items"][0]["payload"];
    assert_eq!(payload["period"], "2026-07");
    assert_eq!(payload["counts"]["approved"], 2);
    assert_eq!(payload["approved_digest"].as_str().unwrap().len(), 64);

    // Reopening is an admin's, with a reason.
    assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets/reopen",
            &t.manager,
            json!({"period": "2026-07", "reason": "late fix"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets/reopen",
            &t.crew.admin,
            json!({"period": "2026-07", "reason": "  "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    let reopened = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets/reopen",
        &t.crew.admin,
        json!({"period": "2026-07", "reason": "Ana's Monday was paid at the wrong rate"}),
    )
    .await;
    assert_eq!(reopened["state"], "open");
    assert_eq!(
        reopened["reopen_reason"],
        "Ana's Monday was paid at the wrong rate"
    );
    assert!(reopened["closed_at"].is_string() && reopened["reopened_by"].is_string());
    assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets/reopen",
            &t.crew.admin,
            json!({"period": "2026-07", "reason": "twice"}),
        )
        .await,
        StatusCode::CONFLICT,
        "PERIOD_NOT_CLOSED",
    )
    .await;
    let back = ok(
        &app,
        Method::POST,
        &format!("{}/reject", sheet_path(&sheet)),
        &t.manager,
        json!({"reason": "rate"}),
    )
    .await;
    assert_eq!(back["state"], "draft");

    let entries = body(
        app.get("/api/v1/audit/entries?kind=period-reopen", &t.crew.admin)
            .await,
    )
    .await;
    assert_eq!(
        entries["items"][0]["payload"]["reason"],
        "Ana's Monday was paid at the wrong rate"
    );
    let verified = body(app.get("/api/v1/audit/verify", &t.crew.admin).await).await;
    assert_eq!(verified["ok"], true, "{verified}");

    // The periods of the summer, as a planner sees them.
    let periods = body(
        app.get(
            "/api/v1/timesheets/periods?from=2026-06-15&to=2026-08-31",
            &t.manager,
        )
        .await,
    )
    .await;
    let labels: Vec<&str> = periods
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2026-06", "2026-07", "2026-08"]);
    assert_eq!(periods[1]["state"], "open");
    assert_eq!(
        periods[1]["counts"],
        json!({"draft": 1, "submitted": 0, "approved": 1, "excluded": 0,
        "approved_worked_seconds": 3 * 3600, "approved_cachets": 0})
    );
    assert_eq!(periods[0]["counts"]["approved"], 0);
}

#[tokio::test]
async fn a_period_with_drafts_or_submitted_timesheets_does_not_close_until_they_are_decided() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    let first = assigned(&app, &t, 0, "2026-07-06T08:00:00Z", "2026-07-06T18:00:00Z").await;
    let second = assigned(&app, &t, 1, "2026-07-07T08:00:00Z", "2026-07-07T18:00:00Z").await;
    let draft = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.manager,
        json!({"assignment_id": first}),
    )
    .await;
    let submitted = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.manager,
        json!({"assignment_id": second}),
    )
    .await;
    ok(
        &app,
        Method::POST,
        &format!("{}/submit", sheet_path(&submitted)),
        &t.manager,
        json!(null),
    )
    .await;

    let b = assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets/close",
            &t.manager,
            json!({"period": "2026-07"}),
        )
        .await,
        StatusCode::CONFLICT,
        "PERIOD_NOT_READY",
    )
    .await;
    assert_eq!(b["meta"]["drafts"], 1);
    assert_eq!(b["meta"]["submitted"], 1);
    assert_eq!(
        b["meta"]["pending_timesheet_ids"],
        json!([draft["id"], submitted["id"]])
    );
    let entries = body(
        app.get("/api/v1/audit/entries?kind=period-close", &t.crew.admin)
            .await,
    )
    .await;
    assert_eq!(entries["total"], 0, "nothing recorded");

    // A no-show is excluded (not paid, not counted); the other approved.
    let excluded = ok(
        &app,
        Method::POST,
        &format!("{}/exclude", sheet_path(&draft)),
        &t.manager,
        json!({"reason": "did not come"}),
    )
    .await;
    assert_eq!(excluded["state"], "excluded");
    ok(
        &app,
        Method::POST,
        &format!("{}/approve", sheet_path(&submitted)),
        &t.manager,
        json!(null),
    )
    .await;
    let closed = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets/close",
        &t.manager,
        json!({"period": "2026-07"}),
    )
    .await;
    assert_eq!(closed["counts"]["excluded"], 1);
    assert_eq!(closed["counts"]["approved"], 1);

    // The tenant's kind of period decides which labels exist.
    let b = assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets/close",
            &t.manager,
            json!({"period": "2026-W28"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "period");
    assert!(
        b["meta"]["reason"].as_str().unwrap().contains("2026-07"),
        "{b}"
    );
    // Switching to weeks keeps July closed as it was cut.
    ok(
        &app,
        Method::PATCH,
        "/api/v1/tenant",
        &t.crew.admin,
        json!({"pay_period": "week"}),
    )
    .await;
    let week = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.manager,
        json!({
        "technician_id": t.crew.technicians[0], "mission_id": draft["mission_id"],
        "start": "2026-08-03T08:00:00Z", "end": "2026-08-03T10:00:00Z"}),
    )
    .await;
    assert_eq!(week["period"], "2026-W32");
    let b = assert_error(
        send(
            &app,
            Method::PATCH,
            &sheet_path(&submitted),
            &t.manager,
            json!({"note": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
        "PERIOD_CLOSED",
    )
    .await;
    assert_eq!(b["meta"]["period"], "2026-07");
}

#[tokio::test]
async fn bad_timesheets_are_refused_with_the_field_or_the_state_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    let assignment = assigned(&app, &t, 0, "2026-07-06T08:00:00Z", "2026-07-06T18:00:00Z").await;
    let future = assigned(&app, &t, 0, "2030-07-06T08:00:00Z", "2030-07-06T18:00:00Z").await;
    let base = |extra: Value| {
        let mut b = json!({"assignment_id": assignment});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let invalid = [
        (base(json!({"end": "2026-07-06T07:00:00Z"})), "end"),
        (base(json!({"end": "2026-07-07T12:00:00Z"})), "end"),
        (base(json!({"start": "yesterday"})), "start"),
        (base(json!({"start": "2026-10-25T02:30"})), "start"),
        (
            base(
                json!({"breaks": [{"start": "2026-07-06T19:30:00Z", "end": "2026-07-06T20:00:00Z"}]}),
            ),
            "breaks",
        ),
        (
            base(
                json!({"breaks": [{"start": "2026-07-06T12:00:00Z", "end": "2026-07-06T13:00:00Z"},
                                {"start": "2026-07-06T12:30:00Z", "end": "2026-07-06T12:45:00Z"}]}),
            ),
            "breaks",
        ),
        (
            base(
                json!({"breaks": [{"start": "2026-07-06T13:00:00Z", "end": "2026-07-06T12:00:00Z"}]}),
            ),
            "breaks",
        ),
        (base(json!({"cachets": 11})), "cachets"),
        (
            base(json!({"technician_id": t.crew.technicians[1]})),
            "technician_id",
        ),
        (
            json!({"assignment_id": "0190b5a4-0000-7000-8000-000000000000"}),
            "assignment_id",
        ),
        (
            json!({"technician_id": t.crew.technicians[1], "start": "2026-07-06T08:00:00Z", "end": "2026-07-06T09:00:00Z"}),
            "mission_id",
        ),
    ];
    for (payload, field) in invalid {
        let b = assert_error(
            send(
                &app,
                Method::POST,
                "/api/v1/timesheets",
                &t.manager,
                payload.clone(),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERR",
        )
        .await;
        assert_eq!(b["meta"]["field"], field, "{payload}: {b}");
    }
    // End before start says where, in the tenant's zone.
    let b = body(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets",
            &t.manager,
            base(json!({"end": "2026-07-06T07:00:00Z"})),
        )
        .await,
    )
    .await;
    assert!(
        b["meta"]["reason"]
            .as_str()
            .unwrap()
            .contains("Europe/Paris"),
        "{b}"
    );
    assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets",
            &t.manager,
            json!({"assignment_id": future}),
        )
        .await,
        StatusCode::CONFLICT,
        "TIMESHEET_TOO_EARLY",
    )
    .await;
    // A technician records only through their own assignments.
    assert_error(
        send(&app, Method::POST, "/api/v1/timesheets", &t.tech, json!({"technician_id": t.crew.technicians[0],
            "mission_id": "0190b5a4-0000-7000-8000-000000000000", "start": "2026-07-06T08:00:00Z", "end": "2026-07-06T09:00:00Z"})).await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    let list = body(app.get("/api/v1/timesheets", &t.manager).await).await;
    assert_eq!(list["total"], 0, "nothing written: {list}");

    // One timesheet per assignment, one per moment per technician.
    let sheet = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.manager,
        json!({"assignment_id": assignment}),
    )
    .await;
    assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets",
            &t.manager,
            json!({"assignment_id": assignment}),
        )
        .await,
        StatusCode::CONFLICT,
        "TIMESHEET_EXISTS",
    )
    .await;
    assert_error(
        send(&app, Method::POST, "/api/v1/timesheets", &t.manager, json!({"technician_id": t.crew.technicians[0],
            "mission_id": sheet["mission_id"], "start": "2026-07-06T17:00:00Z", "end": "2026-07-06T19:00:00Z"})).await,
        StatusCode::CONFLICT,
        "TIMESHEET_OVERLAP",
    )
    .await;
    // Decisions in the wrong order.
    for (action, payload) in [
        ("approve", json!(null)),
        ("reject", json!({"reason": "why"})),
    ] {
        let b = assert_error(
            send(
                &app,
                Method::POST,
                &format!("{}/{action}", sheet_path(&sheet)),
                &t.manager,
                payload,
            )
            .await,
            StatusCode::CONFLICT,
            "TIMESHEET_STATE",
        )
        .await;
        assert_eq!(b["meta"]["state"], "draft");
    }
    ok(
        &app,
        Method::POST,
        &format!("{}/submit", sheet_path(&sheet)),
        &t.manager,
        json!(null),
    )
    .await;
    assert_error(
        send(
            &app,
            Method::DELETE,
            &sheet_path(&sheet),
            &t.manager,
            json!(null),
        )
        .await,
        StatusCode::CONFLICT,
        "TIMESHEET_STATE",
    )
    .await;
    let list = body(app.get("/api/v1/timesheets", &t.manager).await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["state"], "submitted");
}

#[tokio::test]
async fn a_technician_sees_and_touches_only_their_own_timesheets() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    let mine = assigned(&app, &t, 0, "2026-07-06T08:00:00Z", "2026-07-06T18:00:00Z").await;
    let theirs = assigned(&app, &t, 1, "2026-07-06T08:00:00Z", "2026-07-06T18:00:00Z").await;
    let my_sheet = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.tech,
        json!({"assignment_id": mine}),
    )
    .await;
    assert_error(
        send(
            &app,
            Method::POST,
            "/api/v1/timesheets",
            &t.tech,
            json!({"assignment_id": theirs}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    let their_sheet = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.manager,
        json!({"assignment_id": theirs}),
    )
    .await;

    let list = body(app.get("/api/v1/timesheets", &t.tech).await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], my_sheet["id"]);
    let filtered = body(
        app.get(
            &format!("/api/v1/timesheets?technician_id={}", t.crew.technicians[1]),
            &t.tech,
        )
        .await,
    )
    .await;
    assert_eq!(filtered["total"], 0);
    for (method, suffix, payload) in [
        (Method::GET, "", json!(null)),
        (Method::PATCH, "", json!({"note": "mine now"})),
        (Method::POST, "/submit", json!(null)),
        (Method::DELETE, "", json!(null)),
    ] {
        assert_error(
            send(
                &app,
                method,
                &format!("{}{suffix}", sheet_path(&their_sheet)),
                &t.tech,
                payload,
            )
            .await,
            StatusCode::NOT_FOUND,
            "ENTITY_NOT_FOUND",
        )
        .await;
    }
    // Viewers (auditors) read everything and change nothing; technicians see no periods.
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    assert_eq!(
        body(app.get("/api/v1/timesheets", &viewer).await).await["total"],
        2
    );
    assert_error(
        send(
            &app,
            Method::POST,
            &format!("{}/submit", sheet_path(&my_sheet)),
            &viewer,
            json!(null),
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    assert_eq!(
        app.get(
            "/api/v1/timesheets/periods?from=2026-07-01&to=2026-07-31",
            &viewer
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_error(
        app.get(
            "/api/v1/timesheets/periods?from=2026-07-01&to=2026-07-31",
            &t.tech,
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;

    // Filters: by state, by period, by mission.
    ok(
        &app,
        Method::POST,
        &format!("{}/submit", sheet_path(&my_sheet)),
        &t.tech,
        json!(null),
    )
    .await;
    let submitted = body(
        app.get("/api/v1/timesheets?state=submitted", &t.manager)
            .await,
    )
    .await;
    assert_eq!(submitted["total"], 1);
    assert_eq!(
        body(
            app.get("/api/v1/timesheets?period=2026-07", &t.manager)
                .await
        )
        .await["total"],
        2
    );
    assert_eq!(
        body(
            app.get("/api/v1/timesheets?period=2026-08", &t.manager)
                .await
        )
        .await["total"],
        0
    );
    let by_mission = format!(
        "/api/v1/timesheets?mission_id={}",
        their_sheet["mission_id"].as_str().unwrap()
    );
    assert_eq!(
        body(app.get(&by_mission, &t.manager).await).await["total"],
        1
    );
    // The technician deletes their own draft only.
    let draft = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.manager,
        json!({
        "technician_id": t.crew.technicians[0], "mission_id": my_sheet["mission_id"],
        "start": "2026-07-07T08:00:00Z", "end": "2026-07-07T10:00:00Z"}),
    )
    .await;
    let deleted = send(
        &app,
        Method::DELETE,
        &sheet_path(&draft),
        &t.tech,
        json!(null),
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&sheet_path(&draft), &t.manager).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_night_across_the_autumn_clock_change_counts_the_hours_really_worked() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    let assignment = assigned(&app, &t, 0, "2026-10-24T20:00:00Z", "2026-10-25T05:00:00Z").await;
    // 22:00 to 06:00 local on the night the clocks go back: nine hours, not eight.
    let sheet = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.tech,
        json!({"assignment_id": assignment,
        "start": "2026-10-24T22:00", "end": "2026-10-25T06:00"}),
    )
    .await;
    assert_eq!(sheet["start"], "2026-10-24T22:00:00+02:00");
    assert_eq!(sheet["end"], "2026-10-25T06:00:00+01:00");
    assert_eq!(sheet["worked_seconds"], 9 * 3600);
    assert_eq!(sheet["period"], "2026-10");
    // October is an hour longer.
    let periods = body(
        app.get(
            "/api/v1/timesheets/periods?from=2026-10-01&to=2026-10-31",
            &t.manager,
        )
        .await,
    )
    .await;
    assert_eq!(periods[0]["start"], "2026-10-01T00:00:00+02:00");
    assert_eq!(periods[0]["end"], "2026-11-01T00:00:00+01:00");
}

#[tokio::test]
async fn a_close_and_a_decision_racing_never_leave_a_closed_period_with_an_undecided_timesheet() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    for round in 0..8u32 {
        let day = 1 + round;
        let month = format!("2026-{:02}", 1 + round);
        let assignment = assigned(
            &app,
            &t,
            0,
            &format!("2026-{:02}-{day:02}T08:00:00Z", 1 + round),
            &format!("2026-{:02}-{day:02}T12:00:00Z", 1 + round),
        )
        .await;
        let sheet = ok(
            &app,
            Method::POST,
            "/api/v1/timesheets",
            &t.manager,
            json!({"assignment_id": assignment}),
        )
        .await;
        ok(
            &app,
            Method::POST,
            &format!("{}/submit", sheet_path(&sheet)),
            &t.manager,
            json!(null),
        )
        .await;
        ok(
            &app,
            Method::POST,
            &format!("{}/approve", sheet_path(&sheet)),
            &t.manager,
            json!(null),
        )
        .await;
        let close = send(
            &app,
            Method::POST,
            "/api/v1/timesheets/close",
            &t.manager,
            json!({"period": month}),
        );
        let reject_path = format!("{}/reject", sheet_path(&sheet));
        let reject = send(
            &app,
            Method::POST,
            &reject_path,
            &t.crew.admin,
            json!({"reason": "race"}),
        );
        let (closed, rejected) = tokio::join!(close, reject);
        let (closed, rejected) = (closed.status(), rejected.status());
        // Rejected first, the close finds a draft; closed first, the reject finds the
        // period closed: never both.
        assert!(
            !(closed.is_success() && rejected.is_success()),
            "round {round}: close {closed} and reject {rejected} both succeeded"
        );
        let now = body(app.get(&sheet_path(&sheet), &t.manager).await).await;
        let period = body(
            app.get(
                &format!("/api/v1/timesheets/periods?from={month}-01&to={month}-01"),
                &t.manager,
            )
            .await,
        )
        .await;
        if period[0]["state"] == "closed" {
            assert_eq!(now["state"], "approved", "round {round}: {now}");
        }
    }
}

#[tokio::test]
async fn the_store_refuses_stale_writes_other_tenants_and_stale_closes() {
    use callsheet::domain::{PayPeriod, PayPeriodKind, TimeZone, TimesheetId};
    use callsheet::storage::{PeriodChange, PeriodWrite, TimesheetWrite};

    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let t = team(&app, &tenant).await;
    let assignment = assigned(&app, &t, 0, "2026-07-06T08:00:00Z", "2026-07-06T18:00:00Z").await;
    let sheet = ok(
        &app,
        Method::POST,
        "/api/v1/timesheets",
        &t.manager,
        json!({"assignment_id": assignment}),
    )
    .await;
    let id = TimesheetId(sheet["id"].as_str().unwrap().parse().unwrap());
    let s = &app.storage;

    // Another tenant neither reads nor writes it.
    assert!(s.timesheet(other.id, id).await.unwrap().is_none());
    let stored = s.timesheet(tenant.id, id).await.unwrap().unwrap();
    assert_eq!(
        s.update_timesheet(other.id, &stored).await.unwrap(),
        TimesheetWrite::NotFound
    );
    assert_eq!(
        s.delete_timesheet(other.id, id, stored.version)
            .await
            .unwrap(),
        TimesheetWrite::NotFound
    );

    // A change computed from an old read is refused and leaves the row as it was.
    let mut first = stored.clone();
    first.note = Some("first".into());
    let TimesheetWrite::Done(Some(written)) = s.update_timesheet(tenant.id, &first).await.unwrap()
    else {
        panic!("the first write lands");
    };
    assert_eq!(written.version, stored.version + 1);
    let mut late = stored.clone();
    late.note = Some("late".into());
    assert_eq!(
        s.update_timesheet(tenant.id, &late).await.unwrap(),
        TimesheetWrite::Stale
    );
    assert_eq!(
        s.delete_timesheet(tenant.id, id, stored.version)
            .await
            .unwrap(),
        TimesheetWrite::Stale
    );
    assert_eq!(
        s.timesheet(tenant.id, id)
            .await
            .unwrap()
            .unwrap()
            .note
            .as_deref(),
        Some("first")
    );

    // A close prepared before a write does not commit.
    let (version, kind) = s.timesheet_clock(tenant.id).await.unwrap();
    assert_eq!(kind, PayPeriodKind::Month);
    let tz = TimeZone::parse("Europe/Paris").unwrap();
    let period = PayPeriod::parse("2026-07", kind).unwrap();
    let mut again = written.clone();
    again.note = Some("moved the clock".into());
    assert!(matches!(
        s.update_timesheet(tenant.id, &again).await.unwrap(),
        TimesheetWrite::Done(_)
    ));
    let audit = callsheet::audit::entry(
        s,
        tenant.id,
        callsheet::audit::EntryKind::PeriodClose,
        None,
        &json!({}),
    )
    .await
    .unwrap();
    let change = PeriodChange {
        label: period.label(),
        window: period.window(tz),
        by: callsheet::domain::UserId::new(),
        at: chrono::Utc::now(),
        expected_version: Some(version),
        reason: None,
        audit,
    };
    assert_eq!(
        s.close_period(tenant.id, &change).await.unwrap(),
        PeriodWrite::Stale
    );
    let periods = s.pay_periods(tenant.id, period.window(tz)).await.unwrap();
    assert!(periods.is_empty(), "nothing closed: {periods:?}");
    let entries = body(
        app.get("/api/v1/audit/entries?kind=period-close", &t.crew.admin)
            .await,
    )
    .await;
    assert_eq!(entries["total"], 0, "nor recorded");
}
