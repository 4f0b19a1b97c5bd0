//! Moving a mission or changing a need under its crew: a change that breaks a crew
//! member's hard rules is refused as a manual assignment that breaks them is, and nothing
//! changes; a change the rules do not read goes through.

use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::planning::{Crew, crew, post};

/// Technician 0 on a show's need Monday 08:00-18:00 UTC and on a load-in Tuesday
/// 05:00-10:00: 11 h of rest between them, the French minimum. The show ends at
/// `show_end` (the need's end or later). Returns (show, its need, load-in).
async fn two_days(app: &TestApp, c: &Crew, show_end: &str) -> (Value, String, Value) {
    let show = post(
        app,
        &c.admin,
        "/api/v1/missions",
        json!({"title": "Show", "venue_id": c.venue, "start": "2026-09-07T08:00:00Z",
               "end": show_end, "needs": [{"skill": "sound", "min_crew": 1,
               "start": "2026-09-07T08:00:00Z", "end": "2026-09-07T18:00:00Z"}]}),
    )
    .await;
    let load_in = post(
        app,
        &c.admin,
        "/api/v1/missions",
        json!({"title": "Load-in", "venue_id": c.venue, "start": "2026-09-08T05:00:00Z",
               "end": "2026-09-08T10:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    let need = show["needs"][0]["id"].as_str().unwrap().to_owned();
    for n in [&need, load_in["needs"][0]["id"].as_str().unwrap()] {
        post(
            app,
            &c.admin,
            "/api/v1/assignments",
            json!({"need_id": n, "technician_id": c.technicians[0]}),
        )
        .await;
    }
    (show, need, load_in)
}

async fn assignments(app: &TestApp, c: &Crew) -> Value {
    body(app.get("/api/v1/assignments?size=200", &c.admin).await).await["items"].clone()
}

#[tokio::test]
async fn a_move_that_cuts_a_crew_members_rest_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let (show, _, _) = two_days(&app, &c, "2026-09-07T18:00:00Z").await;
    let path = format!("/api/v1/missions/{}", show["id"].as_str().unwrap());
    let before = assignments(&app, &c).await;

    // Ending at 23:00 leaves 6 h before Tuesday's 05:00.
    let late = json!({"start": "2026-09-07T13:00:00Z", "end": "2026-09-07T23:00:00Z"});
    let refused = app
        .send_json(Method::PATCH, &path, Some(&c.admin), &late)
        .await;
    let b = assert_error(refused, StatusCode::CONFLICT, "RULES_VIOLATION").await;
    assert!(b["meta"].get("hint").is_none(), "no override offered: {b}");
    let violations = b["meta"]["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v["rule_id"].as_str().unwrap().starts_with("rest.")),
        "{b}"
    );
    assert_eq!(
        body(app.get(&path, &c.admin).await).await,
        show,
        "unchanged"
    );
    assert_eq!(assignments(&app, &c).await, before, "unchanged");

    // What the rules do not read goes through; so does a move that keeps the rest.
    let renamed = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&c.admin),
            &json!({"title": "Show (sold out)", "notes": "extra chairs"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let early = json!({"start": "2026-09-07T07:00:00Z", "end": "2026-09-07T17:00:00Z"});
    let moved = app
        .send_json(Method::PATCH, &path, Some(&c.admin), &early)
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved = body(moved).await;
    assert_eq!(moved["title"], "Show (sold out)");
    assert_eq!(moved["needs"][0]["start"], "2026-09-07T09:00:00+02:00");

    // Cancelling only takes shifts away: never refused.
    let cancelled = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&c.admin),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_need_change_that_breaks_a_crew_members_rules_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let (show, need, load_in) = two_days(&app, &c, "2026-09-07T23:00:00Z").await;
    let path = format!(
        "/api/v1/missions/{}/needs/{need}",
        show["id"].as_str().unwrap()
    );

    // The technician has sound and light, not rigging.
    let refused = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&c.admin),
            &json!({"skill": "rigging"}),
        )
        .await;
    let b = assert_error(refused, StatusCode::CONFLICT, "RULES_VIOLATION").await;
    let violations = b["meta"]["violations"].as_array().unwrap();
    assert!(
        violations.iter().any(|v| v["rule_id"] == "skill.missing"),
        "{b}"
    );

    // A shorter need that ends later in its mission: 7 h of rest left before the load-in.
    let refused = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&c.admin),
            &json!({"start": "2026-09-07T14:00:00Z", "end": "2026-09-07T22:00:00Z"}),
        )
        .await;
    assert_error(refused, StatusCode::CONFLICT, "RULES_VIOLATION").await;
    let mission = body(
        app.get(
            &format!("/api/v1/missions/{}", show["id"].as_str().unwrap()),
            &c.admin,
        )
        .await,
    )
    .await;
    assert_eq!(mission, show, "unchanged");

    // A change the crew member meets: they have light too.
    let other = format!(
        "/api/v1/missions/{}/needs/{}",
        load_in["id"].as_str().unwrap(),
        load_in["needs"][0]["id"].as_str().unwrap()
    );
    let fine = app
        .send_json(
            Method::PATCH,
            &other,
            Some(&c.admin),
            &json!({"skill": "light", "min_crew": 2}),
        )
        .await;
    assert_eq!(fine.status(), StatusCode::OK);
    assert_eq!(body(fine).await["skill"], "light");

    // A need of another mission is not found through this one.
    let wrong = format!(
        "/api/v1/missions/{}/needs/{}",
        show["id"].as_str().unwrap(),
        load_in["needs"][0]["id"].as_str().unwrap()
    );
    let response = app
        .send_json(
            Method::PATCH,
            &wrong,
            Some(&c.admin),
            &json!({"min_crew": 1}),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
}

#[tokio::test]
async fn renaming_a_mission_whose_crew_already_breaks_a_rule_is_not_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    // The show ends at 23:00 and the load-in starts at 05:00: 6 h of rest, assigned anyway
    // by an admin with a reason. The violation's message names both missions.
    let show = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        json!({"title": "Show", "venue_id": c.venue, "start": "2026-09-07T13:00:00Z",
               "end": "2026-09-07T23:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    let load_in = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        json!({"title": "Load-in", "venue_id": c.venue, "start": "2026-09-08T05:00:00Z",
               "end": "2026-09-08T10:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": show["needs"][0]["id"], "technician_id": c.technicians[0]}),
    )
    .await;
    let overridden = post(
        &app,
        &c.admin,
        "/api/v1/assignments",
        json!({"need_id": load_in["needs"][0]["id"], "technician_id": c.technicians[0],
               "override_reason": "the venue's rest area, agreed with the technician"}),
    )
    .await;
    assert!(
        !overridden["overridden"].as_array().unwrap().is_empty(),
        "{overridden}"
    );

    let renamed = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/missions/{}", show["id"].as_str().unwrap()),
            Some(&c.admin),
            &json!({"title": "Show (second night)"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK, "{}", body(renamed).await);
}
