//! Concurrent clients against the real server: assignments racing each other and racing
//! moves, cancellations and deletions of their mission. Whatever the interleaving, no
//! answer is a 5xx, nobody is double-booked, no need takes more than its maximum crew, no
//! two requests that each keep the hard rules are both admitted when together they break
//! one, and every assignment keeps its need's window (ADR 0004).

use callsheet_e2e::{TestApp, body};

use crate::planning::{Crew, crew, post};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// Rounds of each race: enough for the interleavings to vary (the unguarded code lost
/// most of them).
const ROUNDS: usize = 12;

/// A mission with one sound need; returns (mission id, need id).
async fn mission(
    app: &TestApp,
    c: &Crew,
    start: &str,
    end: &str,
    max_crew: Option<i32>,
) -> (String, String) {
    let m = post(
        app,
        &c.admin,
        "/api/v1/missions",
        json!({
            "title": "Show",
            "venue_id": c.venue,
            "start": start,
            "end": end,
            "needs": [{"skill": "sound", "min_crew": 1, "max_crew": max_crew}],
        }),
    )
    .await;
    (
        m["id"].as_str().unwrap().to_owned(),
        m["needs"][0]["id"].as_str().unwrap().to_owned(),
    )
}

fn assign(app: &TestApp, c: &Crew, need: &str, technician: &str) -> impl Future<Output = Response> {
    let request = app
        .request(Method::POST, "/api/v1/assignments", Some(&c.admin))
        .json(&json!({"need_id": need, "technician_id": technician}));
    async move { request.send().await.expect("request") }
}

/// The status and JSON body (null when empty), after failing the test on any 5xx.
async fn status_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let b: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    assert!(!status.is_server_error(), "{status}: {b}");
    (status, b)
}

/// Every assignment has its need's window, and the conflicts report finds nothing hard.
async fn assert_consistent(app: &TestApp, c: &Crew, from: &str, to: &str) {
    let missions = body(
        app.get(
            &format!("/api/v1/missions?from={from}&to={to}&size=200"),
            &c.admin,
        )
        .await,
    )
    .await;
    for m in missions["items"].as_array().unwrap() {
        for need in m["needs"].as_array().unwrap() {
            let id = need["id"].as_str().unwrap();
            let assigned = body(
                app.get(
                    &format!("/api/v1/assignments?need_id={id}&size=200"),
                    &c.admin,
                )
                .await,
            )
            .await;
            for a in assigned["items"].as_array().unwrap() {
                assert_eq!(
                    (&a["start"], &a["end"]),
                    (&need["start"], &need["end"]),
                    "{a} on {need}"
                );
                if m["status"] == "cancelled" {
                    panic!("an assignment on a cancelled mission: {a}");
                }
            }
        }
    }
    // A report covers 62 days at most.
    let (mut start, last) = (
        from.parse::<chrono::NaiveDate>().unwrap(),
        to.parse::<chrono::NaiveDate>().unwrap(),
    );
    while start <= last {
        let end = (start + chrono::Duration::days(55)).min(last);
        let conflicts = body(
            app.get(
                &format!("/api/v1/conflicts?from={start}&to={end}&severity=hard"),
                &c.admin,
            )
            .await,
        )
        .await;
        assert_eq!(conflicts["hard"], 0, "{conflicts}");
        start = end + chrono::Duration::days(1);
    }
}

/// The ISO date `days` after 2026-09-07 (a Monday), and that day at `hour` UTC.
fn day(days: usize) -> String {
    (chrono::NaiveDate::from_ymd_opt(2026, 9, 7).unwrap() + chrono::Duration::days(days as i64))
        .to_string()
}

fn at(days: usize, hour: u32) -> String {
    format!("{}T{hour:02}:00:00Z", day(days))
}

#[tokio::test]
async fn an_assignment_racing_a_move_of_its_mission_never_double_books() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let technician = &c.technicians[0];
    let mut both = 0;
    for round in 0..ROUNDS {
        // A week apart, so rounds do not meet in any rule.
        let d = round * 7;
        let (_, booked) = mission(&app, &c, &at(d, 8), &at(d, 10), None).await;
        post(
            &app,
            &c.admin,
            "/api/v1/assignments",
            json!({"need_id": booked, "technician_id": technician}),
        )
        .await;
        let (moving, need) = mission(&app, &c, &at(d, 12), &at(d, 14), None).await;
        // Move the second mission onto the technician's first one while assigning them.
        let path = format!("/api/v1/missions/{moving}");
        let patch = json!({"start": at(d, 8), "end": at(d, 10)});
        let (assigned, moved) = tokio::join!(
            assign(&app, &c, &need, technician),
            app.send_json(Method::PATCH, &path, Some(&c.admin), &patch),
        );
        let (assigned, _) = status_of(assigned).await;
        let (moved, _) = status_of(moved).await;
        if assigned.is_success() && moved.is_success() {
            both += 1;
        }
    }
    assert_eq!(
        both, 0,
        "rounds where the assignment and the move both succeeded"
    );
    assert_consistent(&app, &c, &day(0), &day(ROUNDS * 7)).await;
}

#[tokio::test]
async fn an_assignment_racing_a_cancel_or_a_delete_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 2).await;
    for round in 0..ROUNDS {
        let d = round * 7;
        let (cancelled, need) = mission(&app, &c, &at(d, 8), &at(d, 10), None).await;
        let path = format!("/api/v1/missions/{cancelled}");
        let cancelling = json!({"status": "cancelled"});
        let (assigned, cancel) = tokio::join!(
            assign(&app, &c, &need, &c.technicians[0]),
            app.send_json(Method::PATCH, &path, Some(&c.admin), &cancelling),
        );
        let (assigned, b) = status_of(assigned).await;
        assert!(
            assigned == StatusCode::CREATED || b["code"] == "MISSION_CANCELLED",
            "{assigned}: {b}"
        );
        assert_eq!(status_of(cancel).await.0, StatusCode::OK);

        let (deleted, need) = mission(&app, &c, &at(d, 12), &at(d, 14), None).await;
        let path = format!("/api/v1/missions/{deleted}");
        let (assigned, delete) = tokio::join!(
            assign(&app, &c, &need, &c.technicians[1]),
            app.request(Method::DELETE, &path, Some(&c.admin)).send(),
        );
        let (assigned, b) = status_of(assigned).await;
        assert!(
            assigned == StatusCode::CREATED || b["code"] == "VALIDATION_ERR",
            "{assigned}: {b}"
        );
        assert_eq!(
            status_of(delete.expect("request")).await.0,
            StatusCode::NO_CONTENT
        );
    }
    assert_consistent(&app, &c, &day(0), &day(ROUNDS * 7)).await;
    let left = body(app.get("/api/v1/assignments?size=200", &c.admin).await).await;
    assert_eq!(left["total"], 0, "{left}");
}

#[tokio::test]
async fn concurrent_assignments_never_exceed_a_needs_maximum_crew() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 12).await;
    let (_, need) = mission(&app, &c, &at(0, 8), &at(0, 12), Some(2)).await;
    let requests = c.technicians.iter().map(|t| assign(&app, &c, &need, t));
    let mut created = 0;
    for response in futures::future::join_all(requests).await {
        let (status, b) = status_of(response).await;
        if status == StatusCode::CREATED {
            created += 1;
        } else {
            assert_eq!(b["code"], "NEED_FULL", "{b}");
        }
    }
    assert_eq!(created, 2);
    // Sequentially too: the third is refused.
    let (status, b) = status_of(assign(&app, &c, &need, &c.technicians[0]).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{b}");
}

#[tokio::test]
async fn two_assignments_that_only_together_break_a_hard_rule_are_never_both_admitted() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let technician = &c.technicians[0];
    for round in 0..ROUNDS {
        // 6 h + 6 h on one local day: each alone is within the 10 h daily maximum.
        let d = round * 7;
        let (_, morning) = mission(&app, &c, &at(d, 5), &at(d, 11), None).await;
        let (_, evening) = mission(&app, &c, &at(d, 12), &at(d, 18), None).await;
        let (first, second) = tokio::join!(
            assign(&app, &c, &morning, technician),
            assign(&app, &c, &evening, technician),
        );
        let (first, a) = status_of(first).await;
        let (second, b) = status_of(second).await;
        let created = [first, second]
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "round {round}: {a} / {b}");
        let refused = if first == StatusCode::CREATED { b } else { a };
        assert_eq!(refused["code"], "RULES_VIOLATION", "{refused}");
    }
    assert_consistent(&app, &c, &day(0), &day(ROUNDS * 7)).await;
}

#[tokio::test]
async fn a_move_and_an_assignment_that_only_together_cut_a_rest_are_never_both_admitted() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let technician = &c.technicians[0];
    for round in 0..ROUNDS {
        // The show ends 11 h before the load-in; moved to end at 23:00, it would leave 6 h.
        // Each request alone is fine: the move without the load-in, the load-in without
        // the move.
        let d = round * 7;
        let (show, booked) = mission(&app, &c, &at(d, 8), &at(d, 18), None).await;
        post(
            &app,
            &c.admin,
            "/api/v1/assignments",
            json!({"need_id": booked, "technician_id": technician}),
        )
        .await;
        let (_, load_in) = mission(&app, &c, &at(d + 1, 5), &at(d + 1, 10), None).await;
        let path = format!("/api/v1/missions/{show}");
        let late = json!({"start": at(d, 13), "end": at(d, 23)});
        let (assigned, moved) = tokio::join!(
            assign(&app, &c, &load_in, technician),
            app.send_json(Method::PATCH, &path, Some(&c.admin), &late),
        );
        let (assigned, a) = status_of(assigned).await;
        let (moved, b) = status_of(moved).await;
        let admitted = [assigned, moved].iter().filter(|s| s.is_success()).count();
        assert_eq!(admitted, 1, "round {round}: {a} / {b}");
        let refused = if assigned.is_success() { b } else { a };
        assert_eq!(refused["code"], "RULES_VIOLATION", "{refused}");
    }
    assert_consistent(&app, &c, &day(0), &day(ROUNDS * 7)).await;
}

#[tokio::test]
async fn a_mission_keeps_its_last_need_even_when_two_deletions_race() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 0).await;
    for round in 0..ROUNDS {
        let d = round * 7;
        let m = post(
            &app,
            &c.admin,
            "/api/v1/missions",
            json!({"title": "Show", "venue_id": c.venue, "start": at(d, 8), "end": at(d, 12),
                   "needs": [{"skill": "sound", "min_crew": 1}, {"skill": "light", "min_crew": 1}]}),
        )
        .await;
        let id = m["id"].as_str().unwrap();
        let path = |i: usize| {
            format!(
                "/api/v1/missions/{id}/needs/{}",
                m["needs"][i]["id"].as_str().unwrap()
            )
        };
        let (first, second) = tokio::join!(
            app.request(Method::DELETE, &path(0), Some(&c.admin)).send(),
            app.request(Method::DELETE, &path(1), Some(&c.admin)).send(),
        );
        let (first, a) = status_of(first.expect("request")).await;
        let (second, b) = status_of(second.expect("request")).await;
        let deleted = [first, second]
            .iter()
            .filter(|s| **s == StatusCode::NO_CONTENT)
            .count();
        assert_eq!(deleted, 1, "{first} {a} / {second} {b}");
        let refused = if first == StatusCode::NO_CONTENT {
            b
        } else {
            a
        };
        assert_eq!(refused["code"], "LAST_NEED", "{refused}");
        let left = body(app.get(&format!("/api/v1/missions/{id}"), &c.admin).await).await;
        assert_eq!(left["needs"].as_array().unwrap().len(), 1, "{left}");
    }
}

#[tokio::test]
async fn a_declined_assignment_confirmed_again_is_checked_as_a_new_one() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 2).await;
    let (t0, t1) = (&c.technicians[0], &c.technicians[1]);
    let (_, need) = mission(&app, &c, &at(0, 6), &at(0, 10), Some(1)).await;
    let id = |created: &Value| created["assignment"]["id"].as_str().unwrap().to_owned();
    let first = id(&post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": need, "technician_id": t0}),
    )
    .await);
    let respond = |action: &'static str, assignment: String| {
        let request = app.request(
            Method::POST,
            &format!("/api/v1/assignments/{assignment}/{action}"),
            Some(&c.admin),
        );
        async move { status_of(request.send().await.expect("request")).await }
    };
    assert_eq!(respond("decline", first.clone()).await.0, StatusCode::OK);
    let second = id(&post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": need, "technician_id": t1}),
    )
    .await);

    // The place is taken.
    let (status, b) = respond("confirm", first.clone()).await;
    assert_eq!(
        (status, &b["code"]),
        (StatusCode::CONFLICT, &json!("NEED_FULL")),
        "{b}"
    );

    // The place is free, but 4 h + 8 h on one day break the 10 h daily maximum.
    let (_, evening) = mission(&app, &c, &at(0, 11), &at(0, 19), None).await;
    let late = id(&post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": evening, "technician_id": t0}),
    )
    .await);
    let delete = |assignment: String| {
        let request = app.request(
            Method::DELETE,
            &format!("/api/v1/assignments/{assignment}"),
            Some(&c.admin),
        );
        async move { status_of(request.send().await.expect("request")).await.0 }
    };
    assert_eq!(delete(second).await, StatusCode::NO_CONTENT);
    let (status, b) = respond("confirm", first.clone()).await;
    assert_eq!(
        (status, &b["code"]),
        (StatusCode::CONFLICT, &json!("RULES_VIOLATION")),
        "{b}"
    );

    // Nothing stands in the way any more.
    assert_eq!(delete(late).await, StatusCode::NO_CONTENT);
    let (status, b) = respond("confirm", first).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "confirmed");
}
