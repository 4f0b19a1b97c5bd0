//! Missions and needs, plans, manual assignments, idempotency, automatic runs, jobs and
//! conflicts, end to end.

use callsheet::domain::Role;
use callsheet_e2e::{Tenant, TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A tenant with a venue and technicians, made through the API.
pub(crate) struct Crew {
    pub(crate) admin: String,
    pub(crate) venue: String,
    /// (id, skills) in creation order.
    pub(crate) technicians: Vec<String>,
}

pub(crate) async fn post(app: &TestApp, token: &str, path: &str, payload: Value) -> Value {
    let response = app
        .send_json(Method::POST, path, Some(token), &payload)
        .await;
    let status = response.status();
    let b = body(response).await;
    assert!(status.is_success(), "POST {path}: {status} {b}");
    b
}

pub(crate) async fn crew(app: &TestApp, tenant: &Tenant, technicians: usize) -> Crew {
    let admin = app.login_as(tenant, Role::Admin).await.access;
    let venue = post(app, &admin, "/api/v1/venues", json!({"name": "Zénith"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = Vec::new();
    for i in 0..technicians {
        let t = post(
            app,
            &admin,
            "/api/v1/technicians",
            json!({
                "name": format!("Tech {i:02}"),
                "skills": ["sound", "light"],
                "contract": {"kind": "hourly", "hourly_rate_cents": 2500, "cachet_rate_cents": 0},
            }),
        )
        .await;
        ids.push(t["id"].as_str().unwrap().to_owned());
    }
    Crew {
        admin,
        venue,
        technicians: ids,
    }
}

fn mission(venue: &str, start: &str, end: &str, crew: i32) -> Value {
    json!({
        "title": "Show",
        "venue_id": venue,
        "start": start,
        "end": end,
        "needs": [{"skill": "sound", "min_crew": crew}],
    })
}

#[tokio::test]
async fn a_mission_is_created_with_its_needs_and_shown_in_the_tenants_zone() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 0).await;
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/missions",
            Some(&c.admin),
            &json!({
                "title": "  Main stage  ",
                "venue_id": c.venue,
                "start": "2026-07-01T16:00:00Z",
                "end": "2026-07-01T21:30:00.900Z",
                "needs": [
                    {"skill": "sound", "min_crew": 2, "max_crew": 3},
                    {"skill": "light", "min_crew": 1, "start": "2026-07-01T19:00:00+02:00", "end": "2026-07-01T22:00:00+02:00"},
                ],
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let m = body(response).await;
    assert_eq!(m["title"], "Main stage");
    assert_eq!(m["start"], "2026-07-01T18:00:00+02:00");
    assert_eq!(m["end"], "2026-07-01T23:30:00+02:00");
    assert_eq!(m["status"], "draft");
    assert_eq!(m["needs"][0]["start"], m["start"]);
    assert_eq!(m["needs"][1]["skill"], "light");
    assert_eq!(m["needs"][1]["unfilled_penalty"], 1000);
    assert_eq!(body(app.get(&location, &c.admin).await).await, m);

    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    let list = body(
        app.get("/api/v1/missions?from=2026-07-01&to=2026-07-01", &viewer)
            .await,
    )
    .await;
    assert_eq!(list["total"], 1);
    let none = body(app.get("/api/v1/missions?from=2026-07-02", &viewer).await).await;
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn a_window_lists_every_mission_overlapping_it_however_long_before_it_began() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 0).await;
    // The longest mission there can be, ending in the window; one ending just before it;
    // one starting in it; one after it.
    for (start, end) in [
        ("2026-06-01T00:00:00Z", "2026-07-02T00:00:00Z"),
        ("2026-06-01T00:00:00Z", "2026-06-30T22:00:00Z"),
        ("2026-07-03T08:00:00Z", "2026-07-03T10:00:00Z"),
        ("2026-07-10T08:00:00Z", "2026-07-10T10:00:00Z"),
    ] {
        post(
            &app,
            &c.admin,
            "/api/v1/missions",
            mission(&c.venue, start, end, 1),
        )
        .await;
    }
    // 2026-07-01..07-07 in Paris: from 2026-06-30T22:00Z to 2026-07-07T22:00Z.
    let list = body(
        app.get("/api/v1/missions?from=2026-07-01&to=2026-07-07", &c.admin)
            .await,
    )
    .await;
    let starts: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        ["2026-06-01T02:00:00+02:00", "2026-07-03T10:00:00+02:00"],
        "{list}"
    );
    assert_eq!(list["total"], 2);
    let all = body(app.get("/api/v1/missions", &c.admin).await).await;
    assert_eq!(all["total"], 4);
    // One side open: the other is the supported range's end.
    let after = body(app.get("/api/v1/missions?from=2026-07-03", &c.admin).await).await;
    assert_eq!(after["total"], 2, "{after}");
    let before = body(app.get("/api/v1/missions?to=2026-06-30", &c.admin).await).await;
    assert_eq!(before["total"], 2, "{before}");
}

#[tokio::test]
async fn a_title_search_ignores_case_beyond_ascii_on_every_backend() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 0).await;
    for title in [
        "Festival d'été",
        "NUIT D'ÉTÉ",
        "Été indien",
        "Summer",
        "Ete sans accent",
    ] {
        let mut m = mission(&c.venue, "2026-07-01T16:00:00Z", "2026-07-01T20:00:00Z", 1);
        m["title"] = json!(title);
        post(&app, &c.admin, "/api/v1/missions", m).await;
    }
    // Percent-encoded "Été", "été" and "ÉTÉ": SQLite's LOWER would fold only the T.
    for needle in ["%C3%89t%C3%A9", "%C3%A9t%C3%A9", "%C3%89T%C3%89"] {
        let list = body(
            app.get(&format!("/api/v1/missions?q={needle}"), &c.admin)
                .await,
        )
        .await;
        let mut titles: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap())
            .collect();
        titles.sort_unstable();
        assert_eq!(
            titles,
            ["Festival d'été", "NUIT D'ÉTÉ", "Été indien"],
            "q={needle}: {list}"
        );
    }
}

#[tokio::test]
async fn bad_missions_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 0).await;
    let cases = [
        (
            mission(&c.venue, "2026-07-01T20:00:00Z", "2026-07-01T18:00:00Z", 1),
            "end",
        ),
        (
            mission(&c.venue, "2026-07-01T18:00:00Z", "2026-09-01T18:00:00Z", 1),
            "end",
        ),
        // Past the four-digit years the API supports (SQLite orders instants as text).
        (
            mission(
                &c.venue,
                "9999-12-31T22:00:00Z",
                "+10000-01-01T02:00:00Z",
                1,
            ),
            "end",
        ),
        (
            mission(
                &uuid::Uuid::now_v7().to_string(),
                "2026-07-01T18:00:00Z",
                "2026-07-01T20:00:00Z",
                1,
            ),
            "venue_id",
        ),
        (
            json!({"title": "x", "venue_id": c.venue, "start": "2026-07-01T18:00:00Z", "end": "2026-07-01T20:00:00Z",
                   "needs": [{"skill": "sound", "min_crew": 1, "start": "2026-07-01T17:00:00Z"}]}),
            "needs[0].start",
        ),
        (
            json!({"title": "x", "venue_id": c.venue, "start": "2026-07-01T18:00:00Z", "end": "2026-07-01T20:00:00Z",
                   "needs": [{"skill": "Sound!", "min_crew": 1}]}),
            "needs[0].skill",
        ),
        (
            json!({"title": "x", "venue_id": c.venue, "start": "2026-07-01T18:00:00Z", "end": "2026-07-01T20:00:00Z",
                   "needs": [{"skill": "sound", "min_crew": 3, "max_crew": 2}]}),
            "needs[0].max_crew",
        ),
        (
            json!({"title": "x", "venue_id": c.venue, "start": "2026-07-01T18:00:00Z", "end": "2026-07-01T20:00:00Z", "needs": []}),
            "needs",
        ),
        (
            json!({"title": "", "venue_id": c.venue, "start": "2026-07-01T18:00:00Z", "end": "2026-07-01T20:00:00Z",
                   "needs": [{"skill": "sound", "min_crew": 1}]}),
            "title",
        ),
        (
            json!({"title": "x", "venue_id": c.venue, "start": "2026-07-01T18:00:00", "end": "2026-07-01T20:00:00Z",
                   "needs": [{"skill": "sound", "min_crew": 1}]}),
            "start",
        ),
    ];
    for (payload, field) in cases {
        let response = app
            .send_json(Method::POST, "/api/v1/missions", Some(&c.admin), &payload)
            .await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], field, "{payload}");
    }
    let list = body(app.get("/api/v1/missions", &c.admin).await).await;
    assert_eq!(list["total"], 0, "nothing half-written");
}

#[tokio::test]
async fn moving_a_mission_moves_its_needs_and_their_assignments() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let m = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        mission(&c.venue, "2026-07-01T18:00:00Z", "2026-07-01T22:00:00Z", 1),
    )
    .await;
    let id = m["id"].as_str().unwrap();
    let need = m["needs"][0]["id"].as_str().unwrap();
    post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": need, "technician_id": c.technicians[0]}),
    )
    .await;
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/missions/{id}"),
            Some(&c.admin),
            &json!({"start": "2026-07-02T18:00:00Z", "end": "2026-07-02T22:00:00Z"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let moved = body(response).await;
    assert_eq!(moved["needs"][0]["start"], "2026-07-02T20:00:00+02:00");
    let assignments = body(
        app.get(&format!("/api/v1/assignments?mission_id={id}"), &c.admin)
            .await,
    )
    .await;
    assert_eq!(
        assignments["items"][0]["start"],
        "2026-07-02T20:00:00+02:00"
    );

    // Cancelling releases the crew.
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/missions/{id}"),
            Some(&c.admin),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let assignments = body(
        app.get(&format!("/api/v1/assignments?mission_id={id}"), &c.admin)
            .await,
    )
    .await;
    assert_eq!(assignments["total"], 0);
}

#[tokio::test]
async fn another_tenants_missions_and_assignments_are_404() {
    let app = TestApp::spawn().await;
    let acme = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let c = crew(&app, &acme, 1).await;
    let m = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        mission(&c.venue, "2026-07-01T18:00:00Z", "2026-07-01T22:00:00Z", 1),
    )
    .await;
    let id = m["id"].as_str().unwrap();
    let need = m["needs"][0]["id"].as_str().unwrap();
    let a = post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": need, "technician_id": c.technicians[0]}),
    )
    .await;
    let a = a["assignment"]["id"].as_str().unwrap();
    let intruder = app.login_as(&other, Role::Admin).await.access;
    for (method, path, payload) in [
        (Method::GET, format!("/api/v1/missions/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/missions/{id}"),
            Some(json!({"title": "mine"})),
        ),
        (Method::DELETE, format!("/api/v1/missions/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/missions/{id}/needs/{need}"),
            Some(json!({"min_crew": 5})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/missions/{id}/needs/{need}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/missions/{id}/needs"),
            Some(json!({"skill": "sound", "min_crew": 1})),
        ),
        (Method::GET, format!("/api/v1/assignments/{a}"), None),
        (Method::DELETE, format!("/api/v1/assignments/{a}"), None),
        (
            Method::POST,
            format!("/api/v1/assignments/{a}/confirm"),
            None,
        ),
        (Method::POST, format!("/api/v1/assignments/{a}/pin"), None),
    ] {
        let mut request = app.request(method.clone(), &path, Some(&intruder));
        if let Some(p) = payload {
            request = request.json(&p);
        }
        let response = request.send().await.unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    }
    // Referencing another tenant's need is refused without revealing it.
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/assignments",
            Some(&intruder),
            &json!({"need_id": need, "technician_id": c.technicians[0]}),
        )
        .await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    for path in ["/api/v1/missions", "/api/v1/assignments"] {
        assert_eq!(body(app.get(path, &intruder).await).await["total"], 0);
    }
    assert_eq!(
        body(
            app.get("/api/v1/planning/week?week=2026-W27", &intruder)
                .await
        )
        .await["totals"]["missions"],
        0
    );
    // And acme's data is intact.
    assert_eq!(
        body(app.get(&format!("/api/v1/missions/{id}"), &c.admin).await).await["title"],
        "Show"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_replays_and_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 0).await;
    let payload = mission(&c.venue, "2026-07-01T18:00:00Z", "2026-07-01T22:00:00Z", 1);
    let send = |payload: Value, key: &'static str| {
        app.request(Method::POST, "/api/v1/missions", Some(&c.admin))
            .header("Idempotency-Key", key)
            .json(&payload)
            .send()
    };
    let first = send(payload.clone(), "k-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()["location"].clone();
    let first = body(first).await;
    let again = send(payload.clone(), "k-1").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(body(again).await, first);
    assert_eq!(
        body(app.get("/api/v1/missions", &c.admin).await).await["total"],
        1
    );

    let mut other = payload.clone();
    other["title"] = json!("Another show");
    let refused = send(other, "k-1").await.unwrap();
    assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
    // A refusal is replayed as such, too.
    let mut bad = payload.clone();
    bad["needs"] = json!([]);
    let r1 = send(bad.clone(), "k-2").await.unwrap();
    assert_eq!(r1.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r2 = send(bad, "k-2").await.unwrap();
    assert_eq!(r2.headers()["idempotent-replayed"], "true");
    let bad_key = app
        .request(Method::POST, "/api/v1/missions", Some(&c.admin))
        .header("Idempotency-Key", "with space")
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_error(bad_key, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    assert_eq!(
        body(app.get("/api/v1/missions", &c.admin).await).await["total"],
        1
    );
}

#[tokio::test]
async fn plans_group_missions_by_local_day_and_come_from_the_cache_until_a_write() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    // 23:30 UTC on 30 June is 01:30 on 1 July in Paris.
    let m = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        mission(&c.venue, "2026-06-30T23:30:00Z", "2026-07-01T03:00:00Z", 2),
    )
    .await;
    let tech = app.login_as(&tenant, Role::Tech).await.access;
    let first = app.get("/api/v1/planning/day?date=2026-07-01", &tech).await;
    assert_eq!(first.headers()["x-cache"], "miss");
    let day = body(first).await;
    assert_eq!(day["time_zone"], "Europe/Paris");
    assert_eq!(day["start"], "2026-07-01T00:00:00+02:00");
    assert_eq!(day["days"][0]["missions"][0]["id"], m["id"]);
    assert_eq!(day["days"][0]["missions"][0]["venue"], "Zénith");
    assert_eq!(day["totals"]["open"], 2);
    let second = app.get("/api/v1/planning/day?date=2026-07-01", &tech).await;
    assert_eq!(second.headers()["x-cache"], "hit");
    assert_eq!(body(second).await, day);

    post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": m["needs"][0]["id"], "technician_id": c.technicians[0]}),
    )
    .await;
    let after = app.get("/api/v1/planning/day?date=2026-07-01", &tech).await;
    assert_eq!(after.headers()["x-cache"], "miss");
    let after = body(after).await;
    assert_eq!(after["totals"]["open"], 1);
    assert_eq!(
        after["days"][0]["missions"][0]["needs"][0]["crew"][0]["name"],
        "Tech 00"
    );

    let week = body(app.get("/api/v1/planning/week?week=2026-W27", &tech).await).await;
    assert_eq!(week["days"].as_array().unwrap().len(), 7);
    assert_eq!(week["days"][0]["date"], "2026-06-29");
    assert_eq!(week["days"][2]["missions"][0]["id"], m["id"]);
    let filtered = body(
        app.get(
            &format!(
                "/api/v1/planning/week?week=2026-W27&technician_id={}",
                c.technicians[0]
            ),
            &tech,
        )
        .await,
    )
    .await;
    assert_eq!(filtered["totals"]["missions"], 1);
    let elsewhere = body(
        app.get(
            &format!(
                "/api/v1/planning/week?week=2026-W27&venue_id={}",
                uuid::Uuid::now_v7()
            ),
            &tech,
        )
        .await,
    )
    .await;
    assert_eq!(elsewhere["totals"]["missions"], 0);
    for bad in [
        "week=2026-27",
        "week=2027-W53",
        "date=2026-13-01",
        "date=2026-07-01&x=1",
    ] {
        let path = if bad.starts_with("week") {
            "week"
        } else {
            "day"
        };
        let response = app
            .get(&format!("/api/v1/planning/{path}?{bad}"), &tech)
            .await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    }
}

#[tokio::test]
async fn a_technician_already_booked_is_a_409_and_responds_to_their_own_assignments_only() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 2).await;
    let first = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        mission(&c.venue, "2026-07-01T18:00:00Z", "2026-07-01T22:00:00Z", 1),
    )
    .await;
    let second = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        mission(&c.venue, "2026-07-01T21:00:00Z", "2026-07-01T23:00:00Z", 1),
    )
    .await;
    let a = post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": first["needs"][0]["id"], "technician_id": c.technicians[0]}),
    )
    .await;
    assert_eq!(a["assignment"]["status"], "proposed");
    assert_eq!(a["assignment"]["source"], "manual");
    let a_id = a["assignment"]["id"].as_str().unwrap().to_owned();
    let clash = app
        .send_json(
            Method::POST,
            "/api/v1/assignments",
            Some(&c.admin),
            &json!({"need_id": second["needs"][0]["id"], "technician_id": c.technicians[0]}),
        )
        .await;
    let b = assert_error(clash, StatusCode::CONFLICT, "CONFLICT_TIME_OVERLAP").await;
    assert_eq!(b["meta"]["conflicting_assignment_id"], a_id.as_str());
    let twice = app
        .send_json(
            Method::POST,
            "/api/v1/assignments",
            Some(&c.admin),
            &json!({"need_id": first["needs"][0]["id"], "technician_id": c.technicians[0]}),
        )
        .await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);

    // Link the tech account to the first technician, then answer.
    let tech_user = app.create_user(&tenant, "t0@acme.test", Role::Tech).await;
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/technicians/{}", c.technicians[0]),
            Some(&c.admin),
            &json!({"user_id": tech_user}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tech = app.login_ok("acme", "t0@acme.test").await.access;
    let confirmed = app
        .request(
            Method::POST,
            &format!("/api/v1/assignments/{a_id}/confirm"),
            Some(&tech),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(body(confirmed).await["status"], "confirmed");
    // Not theirs: 404; pinning is for planners: 403.
    let other = post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": second["needs"][0]["id"], "technician_id": c.technicians[1]}),
    )
    .await;
    let other_id = other["assignment"]["id"].as_str().unwrap();
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/assignments/{other_id}/decline"),
            Some(&tech),
        )
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/assignments/{a_id}/pin"),
            Some(&tech),
        )
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;

    // Declining frees the slot: the second mission can now have technician 0.
    let declined = app
        .request(
            Method::POST,
            &format!("/api/v1/assignments/{a_id}/decline"),
            Some(&tech),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(body(declined).await["status"], "declined");
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/assignments",
            Some(&c.admin),
            &json!({"need_id": second["needs"][0]["id"], "technician_id": c.technicians[0]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // ...and confirming the declined one again would double-book: the database says no.
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/assignments/{a_id}/confirm"),
            Some(&c.admin),
        )
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::CONFLICT, "CONFLICT_TIME_OVERLAP").await;
}

#[tokio::test]
async fn a_hundred_concurrent_assignments_of_one_technician_book_exactly_one() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let mut needs = Vec::new();
    for i in 0..100 {
        // Every mission overlaps every other (all cover 20:00-21:00 UTC).
        let start = format!("2026-07-01T{:02}:{:02}:00Z", 18 + i / 60 % 2, i % 60);
        let m = post(
            &app,
            &c.admin,
            "/api/v1/missions",
            mission(&c.venue, &start, "2026-07-01T21:00:00Z", 1),
        )
        .await;
        needs.push(m["needs"][0]["id"].as_str().unwrap().to_owned());
    }
    let technician = c.technicians[0].clone();
    let requests = needs.iter().map(|need| {
        app.request(Method::POST, "/api/v1/assignments", Some(&c.admin))
            .json(&json!({"need_id": need, "technician_id": technician}))
            .send()
    });
    let responses = futures::future::join_all(requests).await;
    let mut created = 0;
    for response in responses {
        let response = response.expect("request");
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                let b = body(response).await;
                assert_eq!(b["code"], "CONFLICT_TIME_OVERLAP", "{b}");
            }
            other => panic!("unexpected {other}: {}", body(response).await),
        }
    }
    assert_eq!(created, 1);
    let list = body(
        app.get(
            &format!("/api/v1/assignments?technician_id={technician}"),
            &c.admin,
        )
        .await,
    )
    .await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn hard_rule_violations_refuse_unless_an_admin_overrides_with_a_reason() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    // A rigging need: the technician has sound and light only.
    let m = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        json!({"title": "Rig", "venue_id": c.venue, "start": "2026-07-01T08:00:00Z", "end": "2026-07-01T12:00:00Z",
               "needs": [{"skill": "rigging", "min_crew": 1}]}),
    )
    .await;
    let payload = json!({"need_id": m["needs"][0]["id"], "technician_id": c.technicians[0]});
    let manager = app.login_as(&tenant, Role::Manager).await.access;
    let refused = app
        .send_json(
            Method::POST,
            "/api/v1/assignments",
            Some(&manager),
            &payload,
        )
        .await;
    let b = assert_error(refused, StatusCode::CONFLICT, "RULES_VIOLATION").await;
    let violations = b["meta"]["violations"].as_array().unwrap();
    assert!(
        violations.iter().any(|v| v["rule_id"] == "skill.missing"),
        "{b}"
    );
    let mut with_reason = payload.clone();
    with_reason["override_reason"] =
        json!("rigging licence pending, supervised by the head rigger");
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/assignments",
            Some(&manager),
            &with_reason,
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;
    let mut short = payload.clone();
    short["override_reason"] = json!("because");
    let response = app
        .send_json(Method::POST, "/api/v1/assignments", Some(&c.admin), &short)
        .await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/assignments",
            Some(&c.admin),
            &with_reason,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = body(response).await;
    assert_eq!(
        created["assignment"]["override_reason"],
        "rigging licence pending, supervised by the head rigger"
    );
    assert!(!created["overridden"].as_array().unwrap().is_empty());
    let entries = body(
        app.get("/api/v1/audit/entries?kind=override", &c.admin)
            .await,
    )
    .await;
    assert_eq!(entries["total"], 1, "{entries}");
    let verify = body(app.get("/api/v1/audit/verify", &c.admin).await).await;
    assert_eq!(verify["ok"], true);
}

#[tokio::test]
async fn null_for_a_field_that_cannot_be_cleared_is_refused_not_ignored() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 0).await;
    let m = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        mission(&c.venue, "2026-07-01T18:00:00Z", "2026-07-01T22:00:00Z", 1),
    )
    .await;
    let id = m["id"].as_str().unwrap();
    let need = m["needs"][0]["id"].as_str().unwrap();
    for (path, field) in [
        (format!("/api/v1/missions/{id}"), "title"),
        (format!("/api/v1/missions/{id}"), "start"),
        (format!("/api/v1/missions/{id}"), "status"),
        (format!("/api/v1/missions/{id}/needs/{need}"), "skill"),
        (format!("/api/v1/missions/{id}/needs/{need}"), "min_crew"),
    ] {
        let b = assert_error(
            app.send_json(
                Method::PATCH,
                &path,
                Some(&c.admin),
                &json!({ field: null }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERR",
        )
        .await;
        assert_eq!(b["meta"]["field"], field, "{b}");
    }
    // Fields that can be cleared still take null.
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/missions/{id}"),
            Some(&c.admin),
            &json!({"notes": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // Nothing was changed by the refused requests.
    let after = body(app.get(&format!("/api/v1/missions/{id}"), &c.admin).await).await;
    assert_eq!(after["title"], "Show");
    assert_eq!(after["needs"][0]["skill"], "sound");
}
