//! Every role against every protected route: allowed, or 403 `AUTH_FORBIDDEN`; and no
//! protected route left out of the table.
//!
//! The expected roles are written out here rather than read from `rbac::MATRIX`, so this
//! test checks both that each route asks for the right permission and that the matrix
//! says what the documentation promises. An allowed role must get past the permission
//! check: any answer but 401 and 403 (a second `DELETE` of the same row is a 404, a
//! plugin upload of junk bytes a 422; both prove the role was let in).

use std::collections::BTreeSet;

use callsheet::domain::Role;
use callsheet_e2e::{PASSWORD, TestApp, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use Role::{Admin, Manager, Tech, Viewer};

const ALL: &[Role] = &[Admin, Manager, Tech, Viewer];
const PLANNERS: &[Role] = &[Admin, Manager];

struct Route {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [Role],
}

fn route(
    method: Method,
    path: &'static str,
    body: Option<Value>,
    allowed: &'static [Role],
) -> Route {
    Route {
        method,
        path,
        body,
        allowed,
    }
}

fn routes() -> Vec<Route> {
    use Method as M;
    let mission = json!({"title": "Show", "venue_id": "{venue}", "start": "2026-07-01T18:00:00Z",
                         "end": "2026-07-01T22:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]});
    vec![
        route(M::GET, "/api/v1/auth/me", None, ALL),
        route(M::GET, "/api/v1/tenant", None, ALL),
        route(
            M::PATCH,
            "/api/v1/tenant",
            Some(json!({"name": "Renamed"})),
            &[Admin],
        ),
        route(M::GET, "/api/v1/users", None, PLANNERS),
        route(
            M::POST,
            "/api/v1/users",
            Some(json!({"email": "{unique}", "password": PASSWORD, "role": "viewer"})),
            &[Admin],
        ),
        route(M::GET, "/api/v1/users/{target}", None, PLANNERS),
        route(
            M::PATCH,
            "/api/v1/users/{target}",
            Some(json!({"role": "tech"})),
            &[Admin],
        ),
        // Crew and places.
        route(M::GET, "/api/v1/technicians", None, ALL),
        route(
            M::POST,
            "/api/v1/technicians",
            Some(
                json!({"name": "New", "skills": ["sound"], "contract": {"kind": "hourly", "hourly_rate_cents": 2000, "cachet_rate_cents": 0}}),
            ),
            PLANNERS,
        ),
        route(M::GET, "/api/v1/technicians/{technician}", None, ALL),
        route(
            M::PATCH,
            "/api/v1/technicians/{technician}",
            Some(json!({"phone": "+33 6 00 00 00 00"})),
            PLANNERS,
        ),
        route(
            M::DELETE,
            "/api/v1/technicians/{spare_technician}",
            None,
            PLANNERS,
        ),
        route(M::GET, "/api/v1/projects", None, ALL),
        route(
            M::POST,
            "/api/v1/projects",
            Some(json!({"name": "{unique}"})),
            PLANNERS,
        ),
        route(M::GET, "/api/v1/projects/{project}", None, ALL),
        route(
            M::PATCH,
            "/api/v1/projects/{project}",
            Some(json!({"client": "Client"})),
            PLANNERS,
        ),
        route(
            M::DELETE,
            "/api/v1/projects/{spare_project}",
            None,
            PLANNERS,
        ),
        route(M::GET, "/api/v1/venues", None, ALL),
        route(
            M::POST,
            "/api/v1/venues",
            Some(json!({"name": "{unique}"})),
            PLANNERS,
        ),
        route(M::GET, "/api/v1/venues/{venue}", None, ALL),
        route(
            M::PATCH,
            "/api/v1/venues/{venue}",
            Some(json!({"address": "1 rue de la Scène"})),
            PLANNERS,
        ),
        route(M::DELETE, "/api/v1/venues/{spare_venue}", None, PLANNERS),
        route(M::GET, "/api/v1/venues/{venue}/rooms", None, ALL),
        route(
            M::POST,
            "/api/v1/venues/{venue}/rooms",
            Some(json!({"name": "{unique}"})),
            PLANNERS,
        ),
        route(M::GET, "/api/v1/venues/{venue}/rooms/{room}", None, ALL),
        route(
            M::PATCH,
            "/api/v1/venues/{venue}/rooms/{room}",
            Some(json!({"capacity": 500})),
            PLANNERS,
        ),
        route(
            M::DELETE,
            "/api/v1/venues/{venue}/rooms/{spare_room}",
            None,
            PLANNERS,
        ),
        // A technician manages their own availabilities (the tech user is linked to
        // `{technician}`); planners manage everyone's.
        route(M::GET, "/api/v1/availabilities", None, ALL),
        route(
            M::POST,
            "/api/v1/availabilities",
            Some(
                json!({"technician_id": "{technician}", "start": "{avail_start}", "end": "{avail_end}", "kind": "unavailable"}),
            ),
            &[Admin, Manager, Tech],
        ),
        route(M::GET, "/api/v1/availabilities/{availability}", None, ALL),
        route(
            M::PATCH,
            "/api/v1/availabilities/{availability}",
            Some(json!({"note": "dentist"})),
            &[Admin, Manager, Tech],
        ),
        route(
            M::DELETE,
            "/api/v1/availabilities/{spare_availability}",
            None,
            &[Admin, Manager, Tech],
        ),
        // Missions.
        route(M::GET, "/api/v1/missions", None, ALL),
        route(M::POST, "/api/v1/missions", Some(mission), PLANNERS),
        route(M::GET, "/api/v1/missions/{mission}", None, ALL),
        route(
            M::PATCH,
            "/api/v1/missions/{mission}",
            Some(json!({"notes": "doors at 19:00"})),
            PLANNERS,
        ),
        route(
            M::DELETE,
            "/api/v1/missions/{spare_mission}",
            None,
            PLANNERS,
        ),
        route(
            M::POST,
            "/api/v1/missions/{mission}/needs",
            Some(json!({"skill": "light", "min_crew": 1})),
            PLANNERS,
        ),
        route(
            M::PATCH,
            "/api/v1/missions/{mission}/needs/{need}",
            Some(json!({"unfilled_penalty": 500})),
            PLANNERS,
        ),
        route(
            M::DELETE,
            "/api/v1/missions/{spare_mission2}/needs/{spare_need}",
            None,
            PLANNERS,
        ),
        // Plans and assignments.
        route(M::GET, "/api/v1/planning/day?date=2026-07-01", None, ALL),
        route(M::GET, "/api/v1/planning/week?week=2026-W27", None, ALL),
        route(M::GET, "/api/v1/assignments", None, ALL),
        route(
            M::POST,
            "/api/v1/assignments",
            Some(json!({"need_id": "{need}", "technician_id": "{other_technician}"})),
            PLANNERS,
        ),
        route(M::GET, "/api/v1/assignments/{assignment}", None, ALL),
        route(
            M::POST,
            "/api/v1/assignments/{assignment}/confirm",
            None,
            &[Admin, Manager, Tech],
        ),
        route(
            M::POST,
            "/api/v1/assignments/{assignment}/decline",
            None,
            &[Admin, Manager, Tech],
        ),
        route(
            M::POST,
            "/api/v1/assignments/{assignment}/pin",
            None,
            PLANNERS,
        ),
        route(
            M::POST,
            "/api/v1/assignments/{assignment}/unpin",
            None,
            PLANNERS,
        ),
        route(
            M::DELETE,
            "/api/v1/assignments/{spare_assignment}",
            None,
            PLANNERS,
        ),
        route(
            M::POST,
            "/api/v1/assignments/auto",
            Some(json!({"from": "2026-07-01", "to": "2026-07-01", "dry_run": true})),
            PLANNERS,
        ),
        route(M::GET, "/api/v1/jobs/{job}", None, PLANNERS),
        route(M::POST, "/api/v1/jobs/{job}/cancel", None, PLANNERS),
        route(
            M::GET,
            "/api/v1/conflicts?from=2026-07-01&to=2026-07-01",
            None,
            &[Admin, Manager, Viewer],
        ),
        // Plugins: admins only.
        route(M::GET, "/api/v1/plugins", None, &[Admin]),
        route(M::POST, "/api/v1/plugins?slot=rules", None, &[Admin]),
        route(M::GET, "/api/v1/plugins/{plugin}", None, &[Admin]),
        route(M::POST, "/api/v1/plugins/{plugin}/validate", None, &[Admin]),
        route(
            M::POST,
            "/api/v1/plugins/{plugin}/activate",
            Some(json!({})),
            &[Admin],
        ),
        route(M::GET, "/api/v1/plugins/active", None, &[Admin]),
        route(
            M::PUT,
            "/api/v1/plugins/active/{slot}/params",
            Some(json!({"params": []})),
            &[Admin],
        ),
        route(
            M::POST,
            "/api/v1/plugins/active/{slot}/rollback",
            None,
            &[Admin],
        ),
        route(
            M::GET,
            "/api/v1/plugins/active/{slot}/history",
            None,
            &[Admin],
        ),
        // The audit chain: auditors have the viewer role.
        route(
            M::GET,
            "/api/v1/audit/runs",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::GET,
            "/api/v1/audit/runs/{run}",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::POST,
            "/api/v1/audit/runs/{run}/replay",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::GET,
            "/api/v1/audit/entries",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::GET,
            "/api/v1/audit/verify",
            None,
            &[Admin, Manager, Viewer],
        ),
        // Timesheets: technicians act on their own (the fixture is the linked tech's).
        route(M::GET, "/api/v1/timesheets", None, ALL),
        route(
            M::POST,
            "/api/v1/timesheets",
            Some(json!({"assignment_id": "{assignment}"})),
            &[Admin, Manager, Tech],
        ),
        route(M::GET, "/api/v1/timesheets/{timesheet}", None, ALL),
        route(
            M::PATCH,
            "/api/v1/timesheets/{timesheet}",
            Some(json!({"note": "ok"})),
            &[Admin, Manager, Tech],
        ),
        route(
            M::POST,
            "/api/v1/timesheets/{timesheet}/submit",
            None,
            &[Admin, Manager, Tech],
        ),
        route(
            M::POST,
            "/api/v1/timesheets/{timesheet}/approve",
            None,
            PLANNERS,
        ),
        route(
            M::POST,
            "/api/v1/timesheets/{timesheet}/reject",
            Some(json!({"reason": "late"})),
            PLANNERS,
        ),
        route(
            M::POST,
            "/api/v1/timesheets/{timesheet}/exclude",
            Some(json!({"reason": "no-show"})),
            PLANNERS,
        ),
        route(
            M::DELETE,
            "/api/v1/timesheets/{timesheet}",
            None,
            &[Admin, Manager, Tech],
        ),
        route(
            M::GET,
            "/api/v1/timesheets/periods?from=2026-01-01&to=2026-01-31",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::POST,
            "/api/v1/timesheets/close",
            Some(json!({"period": "2026-01"})),
            PLANNERS,
        ),
        route(
            M::POST,
            "/api/v1/timesheets/reopen",
            Some(json!({"period": "2026-01", "reason": "check"})),
            &[Admin],
        ),
        // Payroll: planners pay a closed period (none here: 409); everyone reads runs,
        // a technician their own payslip; a replay is an audit read.
        route(M::GET, "/api/v1/payroll/runs", None, ALL),
        route(
            M::POST,
            "/api/v1/payroll/runs",
            Some(json!({"period": "2026-02"})),
            PLANNERS,
        ),
        route(M::GET, "/api/v1/payroll/runs/{payroll_run}", None, ALL),
        route(
            M::POST,
            "/api/v1/payroll/runs/{payroll_run}/replay",
            None,
            &[Admin, Manager, Viewer],
        ),
        // Exports follow what they export; the crew list is for planners and auditors.
        route(
            M::GET,
            "/api/v1/exports/timesheets?period=2026-07",
            None,
            ALL,
        ),
        route(M::GET, "/api/v1/exports/payroll/{payroll_run}", None, ALL),
        route(
            M::GET,
            "/api/v1/exports/technicians",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::GET,
            "/api/v1/analytics/coverage?from=2026-07-01&to=2026-07-31",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::GET,
            "/api/v1/analytics/workload?from=2026-07-01&to=2026-07-31",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::GET,
            "/api/v1/analytics/pay?from=2026-07-01&to=2026-07-31",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::GET,
            "/api/v1/analytics/late-changes?from=2026-07-01&to=2026-07-31",
            None,
            &[Admin, Manager, Viewer],
        ),
        route(
            M::GET,
            "/api/v1/exports/plan?from=2026-07-01&to=2026-07-31",
            None,
            &[Admin, Manager, Viewer],
        ),
        // Calendars and call sheets: a technician's own; a viewer without a profile is
        // asked whose (422).
        route(M::GET, "/api/v1/exports/ics", None, ALL),
        route(M::GET, "/api/v1/exports/call-sheet", None, ALL),
        // A background export's file: planners who can poll jobs, the asker only (404).
        route(M::GET, "/api/v1/exports/files/{job}", None, PLANNERS),
        route(
            M::GET,
            "/api/v1/exports/technician-week?week=2026-W29",
            None,
            ALL,
        ),
        route(
            M::POST,
            "/api/v1/technicians/{technician}/calendar-feed",
            None,
            &[Admin, Manager, Tech],
        ),
        route(
            M::DELETE,
            "/api/v1/technicians/{technician}/calendar-feed",
            None,
            &[Admin, Manager, Tech],
        ),
        // Webhook endpoints hold signing secrets: admins only.
        route(M::GET, "/api/v1/webhooks", None, &[Admin]),
        route(
            M::POST,
            "/api/v1/webhooks",
            Some(json!({"url": "https://hooks.example/rbac", "event_types": ["run.committed"]})),
            &[Admin],
        ),
        route(M::GET, "/api/v1/webhooks/{webhook}", None, &[Admin]),
        route(
            M::PATCH,
            "/api/v1/webhooks/{webhook}",
            Some(json!({"description": "changed"})),
            &[Admin],
        ),
        route(
            M::POST,
            "/api/v1/webhooks/{webhook}/rotate-secret",
            None,
            &[Admin],
        ),
        route(M::DELETE, "/api/v1/webhooks/{no_webhook}", None, &[Admin]),
        // Everyone's own notification settings.
        route(M::GET, "/api/v1/users/me/notifications", None, ALL),
        route(
            M::PUT,
            "/api/v1/users/me/notifications",
            Some(json!({"language": "en", "telegram_chat_id": null, "channels": {}})),
            ALL,
        ),
        // The outbox's messages: planners read, an admin sends again (none exists: 404).
        route(M::GET, "/api/v1/notifications", None, PLANNERS),
        route(
            M::GET,
            "/api/v1/notifications/{notification}",
            None,
            PLANNERS,
        ),
        route(
            M::POST,
            "/api/v1/notifications/{notification}/retry",
            None,
            &[Admin],
        ),
    ]
}

/// Ids of a tenant's fixtures, by placeholder name.
struct Fixtures(Vec<(&'static str, String)>);

impl Fixtures {
    fn fill(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for (name, value) in &self.0 {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    fn fill_json(&self, value: &Value) -> Value {
        serde_json::from_str(&self.fill(&value.to_string())).unwrap()
    }
}

async fn post(app: &TestApp, token: &str, path: &str, payload: Value) -> Value {
    let response = app
        .send_json(Method::POST, path, Some(token), &payload)
        .await;
    let status = response.status();
    let b = body(response).await;
    assert!(status.is_success(), "fixture POST {path}: {status} {b}");
    b
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

async fn fixtures(app: &TestApp, tenant: &callsheet_e2e::Tenant) -> Fixtures {
    let admin = app.login_as(tenant, Admin).await.access;
    let target = app.create_user(tenant, "target@acme.test", Tech).await;
    let tech_user = app.login_as(tenant, Tech).await;
    let tech_user_id = body(app.get("/api/v1/auth/me", &tech_user.access).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let technician = |name: &str| {
        json!({"name": name, "skills": ["sound", "light"],
               "contract": {"kind": "hourly", "hourly_rate_cents": 2000, "cachet_rate_cents": 0}})
    };
    let mut mine = technician("Tess");
    mine["user_id"] = json!(tech_user_id);
    let technician_id = id(&post(app, &admin, "/api/v1/technicians", mine).await);
    let other_technician = id(&post(app, &admin, "/api/v1/technicians", technician("Otto")).await);
    let venue = id(&post(app, &admin, "/api/v1/venues", json!({"name": "Olympia"})).await);
    let room = id(&post(
        app,
        &admin,
        &format!("/api/v1/venues/{venue}/rooms"),
        json!({"name": "Hall"}),
    )
    .await);
    let project = id(&post(app, &admin, "/api/v1/projects", json!({"name": "Tour"})).await);
    let mission = post(app, &admin, "/api/v1/missions", json!({"title": "Show", "venue_id": venue,
        "start": "2026-07-01T18:00:00Z", "end": "2026-07-01T22:00:00Z", "needs": [{"skill": "sound", "min_crew": 2}]})).await;
    let need = mission["needs"][0]["id"].as_str().unwrap().to_owned();
    let assignment = post(
        app,
        &admin,
        "/api/v1/assignments",
        json!({"need_id": need, "technician_id": technician_id}),
    )
    .await;
    let run = post(
        app,
        &admin,
        "/api/v1/assignments/auto",
        json!({"from": "2026-07-01", "to": "2026-07-01", "dry_run": true}),
    )
    .await;
    let job = app
        .send_json(
            Method::POST,
            "/api/v1/assignments/auto",
            Some(&admin),
            &json!({"from": "2026-07-01", "to": "2026-07-01", "dry_run": true, "background": true}),
        )
        .await;
    assert_eq!(job.status(), StatusCode::ACCEPTED);
    let job = id(&body(job).await);
    let plugins = body(app.get("/api/v1/plugins?slot=rules", &admin).await).await;
    let plugin = id(&plugins["items"][0]);
    let availability = |day: u32| {
        json!({"technician_id": technician_id, "start": format!("2026-08-{day:02}T08:00:00Z"),
               "end": format!("2026-08-{day:02}T18:00:00Z"), "kind": "unavailable"})
    };
    let availability_id = id(&post(app, &admin, "/api/v1/availabilities", availability(1)).await);
    let mut spares = Vec::new();
    for role in Role::ALL {
        let label = role.as_str();
        let spare_mission = post(app, &admin, "/api/v1/missions", json!({"title": format!("Spare {label}"), "venue_id": venue,
            "start": "2026-09-01T08:00:00Z", "end": "2026-09-01T10:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}, {"skill": "light", "min_crew": 1}]})).await;
        spares.push((role, [
            id(&post(app, &admin, "/api/v1/technicians", technician(&format!("Spare {label}"))).await),
            id(&post(app, &admin, "/api/v1/projects", json!({"name": format!("Spare {label}")})).await),
            id(&post(app, &admin, "/api/v1/venues", json!({"name": format!("Spare {label}")})).await),
            id(&post(app, &admin, &format!("/api/v1/venues/{venue}/rooms"), json!({"name": format!("Spare {label}")})).await),
            id(&post(app, &admin, "/api/v1/availabilities", availability(2 + role as u32)).await),
            id(&spare_mission),
            spare_mission["needs"][1]["id"].as_str().unwrap().to_owned(),
            id(&post(app, &admin, "/api/v1/missions", json!({"title": format!("Spare2 {label}"), "venue_id": venue,
                "start": "2026-09-02T08:00:00Z", "end": "2026-09-02T10:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]})).await),
        ]));
    }
    let spare_assignment = id(&post(
        app,
        &admin,
        "/api/v1/assignments",
        json!({"need_id": spares[0].1[6], "technician_id": other_technician}),
    )
    .await["assignment"]);
    let timesheet = id(&post(
        app,
        &admin,
        "/api/v1/timesheets",
        json!({"assignment_id": id(&assignment["assignment"])}),
    )
    .await);
    let webhook = id(&post(
        app,
        &admin,
        "/api/v1/webhooks",
        json!({"url": "https://hooks.example/fixture", "event_types": ["assignment.proposed"]}),
    )
    .await);
    let mut values = vec![
        ("webhook", webhook),
        // None exists: an allowed role gets 404, a refused one 403.
        (
            "no_webhook",
            "0190b5a4-0000-7000-8000-000000000001".to_owned(),
        ),
        (
            "notification",
            "0190b5a4-0000-7000-8000-000000000002".to_owned(),
        ),
        // No run exists: an allowed role gets 404, a refused one 403.
        (
            "payroll_run",
            "0190b5a4-0000-7000-8000-000000000000".to_owned(),
        ),
        ("timesheet", timesheet),
        ("target", target),
        ("technician", technician_id),
        ("other_technician", other_technician),
        ("venue", venue),
        ("room", room),
        ("project", project),
        ("mission", id(&mission)),
        ("need", need),
        ("assignment", id(&assignment["assignment"])),
        ("spare_assignment", spare_assignment),
        ("run", run["run_id"].as_str().unwrap().to_owned()),
        ("job", job),
        ("plugin", plugin),
        ("availability", availability_id),
        ("slot", "rules".to_owned()),
        ("avail_start", "2026-08-20T08:00:00Z".to_owned()),
        ("avail_end", "2026-08-20T18:00:00Z".to_owned()),
    ];
    // Per-role spares are substituted by the caller; keep them as a flat list here.
    for (role, [t, p, v, r, a, m, n, m2]) in spares {
        let key = |k: &'static str| -> &'static str {
            Box::leak(format!("{k}@{}", role.as_str()).into_boxed_str())
        };
        values.extend([
            (key("spare_technician"), t),
            (key("spare_project"), p),
            (key("spare_venue"), v),
            (key("spare_room"), r),
            (key("spare_availability"), a),
            (key("spare_mission"), m),
            (key("spare_need"), n),
            (key("spare_mission2"), m2),
        ]);
    }
    Fixtures(values)
}

/// The path for `role`: per-role spares (for deletions) first, then shared fixtures.
fn path_for(fixtures: &Fixtures, template: &str, role: Role) -> String {
    let mut path = template.to_owned();
    for name in [
        "spare_technician",
        "spare_project",
        "spare_venue",
        "spare_room",
        "spare_availability",
        "spare_mission2",
        "spare_mission",
        "spare_need",
    ] {
        let key = format!("{name}@{}", role.as_str());
        if let Some((_, value)) = fixtures.0.iter().find(|(k, _)| *k == key) {
            path = path.replace(&format!("{{{name}}}"), value);
        }
    }
    fixtures.fill(&path)
}

#[tokio::test]
async fn every_role_against_every_protected_route() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let fixtures = fixtures(&app, &tenant).await;
    let mut failures = Vec::new();
    for role in Role::ALL {
        let tokens = app.login_as(&tenant, role).await;
        for (i, route) in routes().into_iter().enumerate() {
            let path = path_for(&fixtures, route.path, role);
            let mut request = app.request(route.method.clone(), &path, Some(&tokens.access));
            if let Some(payload) = &route.body {
                let mut payload = fixtures.fill_json(payload);
                let unique = format!("new{i}-{role}@acme.test");
                for field in ["email", "name"] {
                    if payload[field] == "{unique}" {
                        payload[field] = json!(unique);
                    }
                }
                request = request.json(&payload);
            } else if route.path.starts_with("/api/v1/plugins?") {
                request = request
                    .header("content-type", "application/wasm")
                    .body(b"\0asm-junk".to_vec());
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let b: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let expected_allowed = route.allowed.contains(&role);
            let ok = if expected_allowed {
                status != StatusCode::FORBIDDEN
                    && status != StatusCode::UNAUTHORIZED
                    && !status.is_server_error()
            } else {
                status == StatusCode::FORBIDDEN && b["code"] == "AUTH_FORBIDDEN"
            };
            if !ok {
                failures.push(format!(
                    "{role} {} {path}: got {status} {b}, expected {}",
                    route.method,
                    if expected_allowed {
                        "to be let in"
                    } else {
                        "403"
                    }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "RBAC mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_protected_route_refuses_anonymous_callers() {
    let app = TestApp::spawn().await;
    for route in routes() {
        // Well-formed ids that name nothing: the answer must come from authentication.
        let mut path = route.path.to_owned();
        while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
            path.replace_range(open..=close, &uuid::Uuid::now_v7().to_string());
        }
        let mut request = app.request(route.method.clone(), &path, None);
        if let Some(payload) = route.body {
            request = request.json(&payload);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{} {path}",
            route.method
        );
        assert_eq!(
            body(response).await["code"],
            "AUTH_INVALID",
            "{} {path}",
            route.method
        );
    }
}

/// The table above covers every route the OpenAPI document lists, except the public ones.
#[tokio::test]
async fn the_table_covers_every_protected_route_of_the_openapi_document() {
    let app = TestApp::spawn().await;
    let openapi = body(
        app.request(Method::GET, "/api/v1/openapi.json", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let public: BTreeSet<&str> = [
        "/api/v1/health",
        "/api/v1/health/ready",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        // The secret in the URL is the credential (calendar apps poll without a login).
        "/api/v1/feeds/{token}",
    ]
    .into();
    let normalise = |p: &str| {
        let p = p.split('?').next().unwrap_or(p);
        p.split('/')
            .map(|seg| if seg.starts_with('{') { "{}" } else { seg })
            .collect::<Vec<_>>()
            .join("/")
    };
    let covered: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.as_str().to_lowercase(), normalise(r.path)))
        .collect();
    let mut missing = Vec::new();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        if public.contains(path.as_str()) {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if !covered.contains(&(method.clone(), normalise(path))) {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from the RBAC table:\n{}",
        missing.join("\n")
    );
}
