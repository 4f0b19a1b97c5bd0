//! Calendars: every ICS file is read back by an independent parser (Python's `icalendar`),
//! its UIDs stay the same across edits, a declined assignment is `STATUS:CANCELLED`, the
//! times carry the tenant's zone with its `VTIMEZONE`, and a subscription URL works without
//! a login until rotated or revoked.

use std::io::Write;
use std::process::{Command, Stdio};

use callsheet::domain::Role;
use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::timesheets::{assigned, team};

/// The file as Python's `icalendar` reads it: the time zones and every event. Fails when
/// the parser is missing under CI (`CALLSHEET_ICALENDAR_CHECK`), skips (with `None`)
/// elsewhere.
fn parsed(ics: &[u8]) -> Option<Value> {
    const SCRIPT: &str = r#"
import icalendar, json, sys
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
zones = [str(z["TZID"]) for z in cal.walk("VTIMEZONE")]
kinds = sorted({c.name for z in cal.walk("VTIMEZONE") for c in z.subcomponents})
events = [{
    "uid": str(e["UID"]),
    "summary": str(e["SUMMARY"]),
    "location": str(e.get("LOCATION", "")),
    "status": str(e.get("STATUS", "")),
    "start": e.decoded("DTSTART").isoformat(),
    "end": e.decoded("DTEND").isoformat(),
    "tzid": e["DTSTART"].params.get("TZID"),
} for e in cal.walk("VEVENT")]
print(json.dumps({"zones": zones, "observances": kinds, "events": events}))
"#;
    let required = std::env::var_os("CALLSHEET_ICALENDAR_CHECK").is_some();
    let child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if !required => {
            eprintln!("python3 cannot run ({e}): the ICS check is skipped");
            return None;
        }
        Err(e) => panic!("python3 cannot run: {e}"),
    };
    child.stdin.take().unwrap().write_all(ics).unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if !required && err.contains("No module named 'icalendar'") {
            eprintln!("python's icalendar is not installed: the ICS check is skipped");
            return None;
        }
        panic!(
            "the ICS does not parse: {err}\n{}",
            String::from_utf8_lossy(ics)
        );
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[tokio::test]
async fn a_technicians_calendar_parses_keeps_its_uids_and_follows_the_plan_through_a_feed() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    let me = &t.crew.technicians[0];
    // A winter day (UTC+1) and a summer night (UTC+2); the second one declined.
    let winter = assigned(&app, &t, 0, "2027-01-15T08:00:00Z", "2027-01-15T16:00:00Z").await;
    let summer = assigned(&app, &t, 0, "2027-06-05T20:00:00Z", "2027-06-06T02:00:00Z").await;
    let declined = app
        .send_json(
            Method::POST,
            &format!("/api/v1/assignments/{summer}/decline"),
            Some(&t.tech),
            &json!(null),
        )
        .await;
    assert_eq!(
        declined.status(),
        StatusCode::OK,
        "{}",
        body(declined).await
    );

    let response = app
        .get("/api/v1/exports/ics?from=2027-01-01&to=2027-06-30", &t.tech)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let sha = response.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(
        sha,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
    );
    if let Some(cal) = parsed(&bytes) {
        assert_eq!(cal["zones"], json!(["Europe/Paris"]), "{cal}");
        assert_eq!(cal["observances"], json!(["DAYLIGHT", "STANDARD"]), "{cal}");
        let events = cal["events"].as_array().unwrap();
        assert_eq!(events.len(), 2, "{cal}");
        let by_uid = |id: &str| {
            events
                .iter()
                .find(|e| e["uid"] == format!("{id}@callsheet"))
                .unwrap()
                .clone()
        };
        let w = by_uid(&winter);
        assert_eq!(w["start"], "2027-01-15T09:00:00+01:00");
        assert_eq!(w["end"], "2027-01-15T17:00:00+01:00");
        assert_eq!(w["tzid"], "Europe/Paris");
        assert_eq!(w["location"], "Zénith");
        assert_eq!(w["status"], "TENTATIVE");
        let s = by_uid(&summer);
        assert_eq!(s["start"], "2027-06-05T22:00:00+02:00");
        assert_eq!(s["status"], "CANCELLED");
    }

    // A subscription URL, read without a login.
    let path = format!("/api/v1/technicians/{me}/calendar-feed");
    let created = app
        .send_json(Method::POST, &path, Some(&t.tech), &json!(null))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let feed = body(created).await["path"].as_str().unwrap().to_owned();
    let anonymous = app.client.get(app.url(&feed)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::OK);
    let first = anonymous.bytes().await.unwrap();

    // The mission moves by an hour: the same event, at its new time.
    let winter_mission = body(
        app.get(&format!("/api/v1/assignments/{winter}"), &t.crew.admin)
            .await,
    )
    .await["mission_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let moved = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/missions/{winter_mission}"),
            Some(&t.crew.admin),
            &json!({"start": "2027-01-15T09:00:00Z", "end": "2027-01-15T17:00:00Z"}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK, "{}", body(moved).await);
    let second = app
        .client
        .get(app.url(&feed))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_ne!(first, second);
    if let (Some(before), Some(after)) = (parsed(&first), parsed(&second)) {
        let uids = |c: &Value| {
            let mut u: Vec<String> = c["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["uid"].as_str().unwrap().to_owned())
                .collect();
            u.sort();
            u
        };
        assert_eq!(uids(&before), uids(&after), "stable UIDs");
        let start = |c: &Value| {
            c["events"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["uid"] == format!("{winter}@callsheet"))
                .unwrap()["start"]
                .clone()
        };
        assert_eq!(start(&before), "2027-01-15T09:00:00+01:00");
        assert_eq!(start(&after), "2027-01-15T10:00:00+01:00");
    }

    // Rotated: the old URL stops working; revoked: the new one too.
    let rotated = body(
        app.send_json(Method::POST, &path, Some(&t.crew.admin), &json!(null))
            .await,
    )
    .await["path"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rotated, feed);
    assert_error(
        app.client.get(app.url(&feed)).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    assert_eq!(
        app.client
            .get(app.url(&rotated))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let revoked = app
        .request(Method::DELETE, &path, Some(&t.tech))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.client.get(app.url(&rotated)).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    assert_error(
        app.request(Method::DELETE, &path, Some(&t.tech))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;

    // A technician reads and subscribes to their own calendar only; viewers have none.
    let other = &t.crew.technicians[1];
    assert_error(
        app.get(
            &format!("/api/v1/exports/ics?technician_id={other}"),
            &t.tech,
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    assert_error(
        app.send_json(
            Method::POST,
            &format!("/api/v1/technicians/{other}/calendar-feed"),
            Some(&t.tech),
            &json!(null),
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    assert_error(
        app.send_json(Method::POST, &path, Some(&viewer), &json!(null))
            .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    assert_error(
        app.client
            .get(app.url("/api/v1/feeds/not-a-feed"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn a_venues_calendar_has_one_event_per_mission_with_its_crew_and_status() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    let first = assigned(&app, &t, 0, "2027-02-01T18:00:00Z", "2027-02-01T23:00:00Z").await;
    let second = assigned(&app, &t, 1, "2027-02-03T18:00:00Z", "2027-02-03T23:00:00Z").await;
    let mission_of = |a: String| {
        let app = &app;
        let admin = t.crew.admin.clone();
        async move {
            body(app.get(&format!("/api/v1/assignments/{a}"), &admin).await).await["mission_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (confirmed, cancelled) = (mission_of(first).await, mission_of(second).await);
    for (id, status) in [(&confirmed, "confirmed"), (&cancelled, "cancelled")] {
        let r = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/missions/{id}"),
                Some(&t.crew.admin),
                &json!({"status": status}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    let path = format!(
        "/api/v1/exports/ics?venue_id={}&from=2027-02-01&to=2027-02-28",
        t.crew.venue
    );
    let response = app.get(&path, &viewer).await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        text.contains("Tech 00"),
        "the crew is in the description: {text}"
    );
    if let Some(cal) = parsed(&bytes) {
        let events = cal["events"].as_array().unwrap();
        let by_uid = |id: &str| {
            events
                .iter()
                .find(|e| e["uid"] == format!("{id}@callsheet"))
                .cloned()
        };
        let c = by_uid(&confirmed).expect("the confirmed mission");
        assert_eq!(c["status"], "CONFIRMED");
        assert_eq!(c["start"], "2027-02-01T19:00:00+01:00");
        assert_eq!(c["location"], "Zénith");
        let x = by_uid(&cancelled).expect("the cancelled mission stays, cancelled");
        assert_eq!(x["status"], "CANCELLED");
    }
    assert_error(
        app.get(
            &format!(
                "/api/v1/exports/ics?venue_id={}&technician_id={}",
                t.crew.venue, t.crew.technicians[0]
            ),
            &viewer,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_error(
        app.get(
            "/api/v1/exports/ics?venue_id=0190b5a4-0000-7000-8000-000000000000",
            &viewer,
        )
        .await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
}
