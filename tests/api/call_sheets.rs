//! PDF call sheets and the plan's CSV, end to end: each PDF rendered by poppler
//! (`pdftoppm` counts its pages, `pdftotext` reads its text layer, where the crew's names
//! must appear with their accents), each checksum header equal to the sha256 of the body,
//! each file in the audit chain, and a technician printing only what is theirs.

use std::path::Path;
use std::process::Command;

use callsheet::domain::Role;
use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::exports::csv_file;
use crate::planning::post;

/// What poppler reads of a PDF: its page count (pages rendered by `pdftoppm`) and its
/// text (`pdftotext`). Fails when poppler is missing under CI (`CALLSHEET_PDF_CHECK`),
/// skips (with `None`) elsewhere.
fn poppler(pdf: &[u8]) -> Option<(usize, String)> {
    let required = std::env::var_os("CALLSHEET_PDF_CHECK").is_some();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sheet.pdf");
    std::fs::write(&file, pdf).unwrap();
    let rendered = Command::new("pdftoppm")
        .args(["-r", "20", "-png"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .output();
    let rendered = match rendered {
        Ok(out) => out,
        Err(e) if !required => {
            eprintln!("pdftoppm cannot run ({e}): the PDF check is skipped");
            return None;
        }
        Err(e) => panic!("pdftoppm cannot run: {e}"),
    };
    assert!(
        rendered.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let pages = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            Path::new(&name).extension().is_some_and(|x| x == "png")
        })
        .count();
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs where pdftoppm does");
    assert!(text.status.success());
    Some((pages, String::from_utf8(text.stdout).unwrap()))
}

/// The body of a PDF answer, after checking its type and every checksum header.
async fn pdf_file(response: reqwest::Response) -> Vec<u8> {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap().to_vec();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(headers["content-type"], "application/pdf");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".pdf"),
        "{disposition}"
    );
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(headers["x-content-sha256"], sha.as_str());
    assert_eq!(headers["etag"], format!("\"{sha}\"").as_str());
    assert!(bytes.starts_with(b"%PDF-"));
    bytes
}

struct Show {
    admin: String,
    manager: String,
    venue: String,
    theo: String,
    zoe: String,
    tech: String,
    concert: Value,
    rehearsal: Value,
}

/// At the Zénith on 14 July 2026 (Paris, UTC+2): a concert with two sound places (Théo on
/// one, the other open) and a light place (Zoé), and a rehearsal where only Zoé works.
/// Théo's login is a technician's.
async fn show(app: &TestApp) -> Show {
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await.access;
    let venue = post(
        app,
        &admin,
        "/api/v1/venues",
        json!({"name": "Zénith", "address": "211 avenue Jean-Jaurès, Paris"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = post(
        app,
        &admin,
        &format!("/api/v1/venues/{venue}/rooms"),
        json!({"name": "Grande salle"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = app.create_user(&tenant, "theo@acme.test", Role::Tech).await;
    let technician = |name: &str, phone: &str, user: Option<&str>| {
        json!({"name": name, "skills": ["sound", "light"], "phone": phone, "user_id": user,
               "contract": {"kind": "hourly", "hourly_rate_cents": 2050, "cachet_rate_cents": 0}})
    };
    let theo = post(
        app,
        &admin,
        "/api/v1/technicians",
        technician("Théo Lefèvre", "+33 6 12 34 56 78", Some(&user)),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let zoe = post(
        app,
        &admin,
        "/api/v1/technicians",
        technician("Zoé Müller", "+33 7 98 76 54 32", None),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let concert = post(
        app,
        &admin,
        "/api/v1/missions",
        json!({"title": "Nuit électro", "venue_id": venue, "room_id": room,
               "start": "2026-07-14T16:00:00Z", "end": "2026-07-14T21:30:00Z",
               "notes": "Accès décor par la rue de l'Ourcq, badge à l'accueil.",
               "needs": [{"skill": "sound", "min_crew": 2}, {"skill": "light", "min_crew": 1}]}),
    )
    .await;
    let rehearsal = post(
        app,
        &admin,
        "/api/v1/missions",
        json!({"title": "Répétition générale", "venue_id": venue,
               "start": "2026-07-14T08:00:00Z", "end": "2026-07-14T10:00:00Z",
               "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    for (need, who) in [
        (&concert["needs"][0]["id"], &theo),
        (&concert["needs"][1]["id"], &zoe),
        (&rehearsal["needs"][0]["id"], &zoe),
    ] {
        post(
            app,
            &admin,
            "/api/v1/assignments",
            json!({"need_id": need, "technician_id": who}),
        )
        .await;
    }
    let tech = app.login_ok(&tenant.slug, "theo@acme.test").await.access;
    let manager = app.login_as(&tenant, Role::Manager).await.access;
    Show {
        admin,
        manager,
        venue,
        theo,
        zoe,
        tech,
        concert,
        rehearsal,
    }
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

#[tokio::test]
async fn call_sheets_print_each_crew_with_their_phones_accents_and_open_places() {
    let app = TestApp::spawn().await;
    let s = show(&app).await;

    // A mission's sheet: one A4 page with the place, the notes, the crew and the open place.
    let pdf = pdf_file(
        app.get(
            &format!("/api/v1/exports/call-sheet?mission_id={}", id(&s.concert)),
            &s.admin,
        )
        .await,
    )
    .await;
    if let Some((pages, text)) = poppler(&pdf) {
        assert_eq!(pages, 1, "{text}");
        for expected in [
            "Nuit électro",
            "Zénith, Grande salle",
            "211 avenue Jean-Jaurès",
            "Théo Lefèvre",
            "+33 6 12 34 56 78",
            "Zoé Müller",
            "18:00-23:30",
            "Europe/Paris",
            "(open)",
            "rue de l'Ourcq",
            "page 1 of 1",
        ] {
            assert!(text.contains(expected), "{expected:?} not in:\n{text}");
        }
        assert!(!text.contains("Répétition"), "{text}");
    }

    // The venue's day: both missions, in order.
    let pdf = pdf_file(
        app.get(
            &format!(
                "/api/v1/exports/call-sheet?venue_id={}&date=2026-07-14",
                s.venue
            ),
            &s.admin,
        )
        .await,
    )
    .await;
    if let Some((_, text)) = poppler(&pdf) {
        let rehearsal = text.find("Répétition générale").expect(&text);
        let concert = text.find("Nuit électro").expect(&text);
        assert!(rehearsal < concert, "{text}");
        assert!(text.contains("Tuesday 14 July 2026"), "{text}");
    }

    // Théo's week, as Théo prints it: his shift, his hours; nothing of Zoé's.
    let pdf = pdf_file(
        app.get("/api/v1/exports/technician-week?week=2026-W29", &s.tech)
            .await,
    )
    .await;
    if let Some((pages, text)) = poppler(&pdf) {
        assert_eq!(pages, 1);
        for expected in ["Théo Lefèvre, week 2026-W29", "Nuit électro", "5 h 30"] {
            assert!(text.contains(expected), "{expected:?} not in:\n{text}");
        }
        assert!(!text.contains("Répétition"), "{text}");
    }

    // A technician prints what is theirs only.
    pdf_file(
        app.get(
            &format!("/api/v1/exports/call-sheet?mission_id={}", id(&s.concert)),
            &s.tech,
        )
        .await,
    )
    .await;
    assert_error(
        app.get(
            &format!("/api/v1/exports/call-sheet?mission_id={}", id(&s.rehearsal)),
            &s.tech,
        )
        .await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    for path in [
        format!(
            "/api/v1/exports/call-sheet?venue_id={}&date=2026-07-14",
            s.venue
        ),
        format!(
            "/api/v1/exports/technician-week?week=2026-W29&technician_id={}",
            s.zoe
        ),
    ] {
        assert_error(
            app.get(&path, &s.tech).await,
            StatusCode::FORBIDDEN,
            "AUTH_FORBIDDEN",
        )
        .await;
    }

    // Every sheet issued is in the audit chain.
    let entries = body(
        app.get("/api/v1/audit/entries?kind=export&size=50", &s.admin)
            .await,
    )
    .await;
    let kinds: Vec<&str> = entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["export"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["call-sheet", "technician-week", "call-sheet", "call-sheet"],
        "newest first"
    );
}

#[tokio::test]
async fn a_long_call_sheet_runs_over_pages_and_bad_requests_are_refused() {
    let app = TestApp::spawn().await;
    let s = show(&app).await;
    // Ninety open places: the crew table runs over pages.
    let crowd = post(
        &app,
        &s.admin,
        "/api/v1/missions",
        json!({"title": "Festival d'été", "venue_id": s.venue,
               "start": "2026-07-15T08:00:00Z", "end": "2026-07-15T20:00:00Z",
               "needs": [{"skill": "sound", "min_crew": 90}]}),
    )
    .await;
    let pdf = pdf_file(
        app.get(
            &format!("/api/v1/exports/call-sheet?mission_id={}", id(&crowd)),
            &s.admin,
        )
        .await,
    )
    .await;
    if let Some((pages, text)) = poppler(&pdf) {
        assert!(pages >= 2, "{pages} pages");
        assert!(
            text.contains(&format!("page {pages} of {pages}")),
            "{pages} pages:\n{text}"
        );
        assert_eq!(text.matches("(open)").count(), 90);
        assert_eq!(text.matches("Role").count(), pages, "a header on each page");
    }

    for (path, status, field) in [
        ("/api/v1/exports/call-sheet", 422, Some("mission_id")),
        (
            "/api/v1/exports/call-sheet?date=2026-07-14",
            422,
            Some("mission_id"),
        ),
        (
            "/api/v1/exports/technician-week?week=2026-13",
            422,
            Some("week"),
        ),
        (
            "/api/v1/exports/technician-week?week=2026-W54",
            422,
            Some("week"),
        ),
        (
            "/api/v1/exports/call-sheet?mission_id=0190b5a4-0000-7000-8000-000000000000",
            404,
            None,
        ),
        (
            "/api/v1/exports/technician-week?week=2026-W29&technician_id=0190b5a4-0000-7000-8000-000000000000",
            404,
            None,
        ),
    ] {
        let response = app.get(path, &s.admin).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        let b = body(response).await;
        if let Some(field) = field {
            assert_eq!(b["meta"]["field"], field, "{path}: {b}");
        }
    }
    let venue_without_date = body(
        app.get(
            &format!("/api/v1/exports/call-sheet?venue_id={}", s.venue),
            &s.admin,
        )
        .await,
    )
    .await;
    assert_eq!(venue_without_date["meta"]["field"], "date");
}

#[tokio::test]
async fn the_plan_exports_as_csv_with_every_need_and_its_crew() {
    let app = TestApp::spawn().await;
    let s = show(&app).await;
    let (header, rows, _) = csv_file(
        app.get(
            "/api/v1/exports/plan?from=2026-07-14&to=2026-07-14",
            &s.admin,
        )
        .await,
    )
    .await;
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // The rehearsal (Zoé), then the concert's sound (Théo) and light (Zoé): three needs,
    // three assignments; the open sound place is counted by `min_crew`, not a row.
    let seen: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r[col("mission_title")].as_str(),
                r[col("skill")].as_str(),
                r[col("technician_name")].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Répétition générale", "sound", "Zoé Müller"),
            ("Nuit électro", "sound", "Théo Lefèvre"),
            ("Nuit électro", "light", "Zoé Müller"),
        ]
    );
    // Compared with the API's view of the same missions.
    let concert = body(
        app.get(&format!("/api/v1/missions/{}", id(&s.concert)), &s.admin)
            .await,
    )
    .await;
    let row = &rows[1];
    assert_eq!(row[col("mission_id")], id(&concert));
    assert_eq!(row[col("room")], "Grande salle");
    assert_eq!(row[col("mission_start")], "2026-07-14T18:00:00+02:00");
    assert_eq!(row[col("min_crew")], "2");
    assert_eq!(
        row[col("need_id")],
        concert["needs"][0]["id"].as_str().unwrap()
    );
    assert_eq!(row[col("technician_id")], s.theo);
    assert_eq!(row[col("assignment_status")], "proposed");

    // A need without crew still has its row.
    post(
        &app,
        &s.admin,
        "/api/v1/missions",
        json!({"title": "Démontage", "venue_id": s.venue,
               "start": "2026-07-14T22:00:00Z", "end": "2026-07-14T23:00:00Z",
               "needs": [{"skill": "rigging", "min_crew": 1}]}),
    )
    .await;
    let text = app
        .get(
            "/api/v1/exports/plan?from=2026-07-14&to=2026-07-15",
            &s.admin,
        )
        .await
        .text()
        .await
        .unwrap();
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("Démontage") && last.ends_with(",,,,,,,"),
        "{last}"
    );

    // Planners' file: not a technician's.
    assert_error(
        app.get(
            "/api/v1/exports/plan?from=2026-07-14&to=2026-07-14",
            &s.tech,
        )
        .await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    let b = assert_error(
        app.get("/api/v1/exports/plan?from=2026-07-14", &s.admin)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "to", "{b}");
}

/// Polls a job until it ends; its final view.
async fn finished(app: &TestApp, token: &str, location: &str) -> Value {
    for _ in 0..200 {
        let polled = body(app.get(location, token).await).await;
        if polled["state"] != "queued" && polled["state"] != "running" {
            return polled;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the job at {location} never finished");
}

#[tokio::test]
async fn large_exports_run_as_jobs_whose_file_is_the_one_a_direct_download_gives() {
    let app = TestApp::spawn().await;
    let s = show(&app).await;
    let path = "/api/v1/exports/plan?from=2026-07-01&to=2026-07-31";
    let direct = app.get(path, &s.admin).await;
    assert_eq!(direct.status(), StatusCode::OK);
    let direct = direct.bytes().await.unwrap();

    // Asked in the background: 202, the job, then the same bytes from the job's file.
    let started = app
        .request(reqwest::Method::GET, path, Some(&s.admin))
        .header("Prefer", "wait=5, respond-async")
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let job = body(started).await;
    assert_eq!(job["kind"], "export");
    assert_eq!(job["request"]["export"], "plan");
    assert_eq!(
        location,
        format!("/api/v1/jobs/{}", job["id"].as_str().unwrap())
    );
    let done = finished(&app, &s.admin, &location).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let result = &done["result"];
    let sha = hex::encode(Sha256::digest(&direct));
    assert_eq!(result["sha256"], sha.as_str(), "same data, same file");
    assert_eq!(result["rows"], 3);
    assert_eq!(result["content_type"], "text/csv; charset=utf-8");
    let file_path = result["file"].as_str().unwrap();
    let downloaded = app.get(file_path, &s.admin).await;
    assert_eq!(downloaded.status(), StatusCode::OK);
    assert_eq!(downloaded.headers()["x-content-sha256"], sha.as_str());
    assert!(
        downloaded.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("plan-2026-07-01_2026-07-31.csv")
    );
    assert_eq!(downloaded.bytes().await.unwrap(), direct);

    // The file is the asker's: another planner does not see it; a technician cannot poll.
    assert_error(
        app.get(file_path, &s.manager).await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    let entries = body(
        app.get("/api/v1/audit/entries?kind=export&size=10", &s.admin)
            .await,
    )
    .await;
    let recorded: Vec<&str> = entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["sha256"].as_str().unwrap())
        .collect();
    assert_eq!(
        recorded,
        [sha.as_str(), sha.as_str()],
        "both issues recorded"
    );
    assert_error(
        app.get(file_path, &s.tech).await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    assert_error(
        app.get(
            "/api/v1/exports/files/0190b5a4-0000-7000-8000-000000000000",
            &s.admin,
        )
        .await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;

    // A year of plan is a job without asking; a technician's own export never is.
    let year = app
        .get(
            "/api/v1/exports/plan?from=2026-01-01&to=2026-12-31",
            &s.admin,
        )
        .await;
    assert_eq!(year.status(), StatusCode::ACCEPTED);
    let location = year.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        finished(&app, &s.admin, &location).await["state"],
        "succeeded"
    );
    let own = app
        .request(
            reqwest::Method::GET,
            "/api/v1/exports/timesheets?from=2026-01-01&to=2026-12-31",
            Some(&s.tech),
        )
        .header("Prefer", "respond-async")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK, "a preference, not an order");

    // A failure in the background fails the job with the route's code.
    let missing = app
        .request(
            reqwest::Method::GET,
            "/api/v1/exports/payroll/0190b5a4-0000-7000-8000-000000000000",
            Some(&s.admin),
        )
        .header("Prefer", "respond-async")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::ACCEPTED);
    let location = missing.headers()["location"].to_str().unwrap().to_owned();
    let failed = finished(&app, &s.admin, &location).await;
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["error"]["code"], "ENTITY_NOT_FOUND", "{failed}");
}
