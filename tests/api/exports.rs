//! CSV exports, end to end: each file parsed back and compared with the API's data, its
//! checksum headers equal to the sha256 of the body, its record in the audit chain, and a
//! technician's export holding only their own rows.

use base64::Engine as _;
use callsheet::domain::Role;
use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::payroll::worked;
use crate::planning::post;

/// The body parsed as CSV (header, rows), after checking every checksum header.
pub(crate) async fn csv_file(
    response: reqwest::Response,
) -> (Vec<String>, Vec<Vec<String>>, String) {
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"")
    );
    let bytes = response.bytes().await.unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(headers["x-content-sha256"], sha.as_str());
    assert_eq!(headers["etag"], format!("\"{sha}\"").as_str());
    let b64 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
    assert_eq!(headers["repr-digest"], format!("sha-256=:{b64}:").as_str());
    let generated = headers["x-generated-at"].to_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(generated).is_ok(),
        "{generated}"
    );
    let mut reader = csv::Reader::from_reader(bytes.as_ref());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows, sha)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
}

#[tokio::test]
async fn timesheet_payroll_and_crew_exports_parse_back_to_the_apis_data_with_their_checksums() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_as(&tenant, Role::Admin).await.access;
    let venue = post(&app, &admin, "/api/v1/venues", json!({"name": "Zénith"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = app.create_user(&tenant, "theo@acme.test", Role::Tech).await;
    let theo = post(
        &app,
        &admin,
        "/api/v1/technicians",
        json!({"name": "Théo", "skills": ["sound"],
        "phone": "+33 6 12 34 56 78", "user_id": user,
        "contract": {"kind": "hourly", "hourly_rate_cents": 2050, "cachet_rate_cents": 0}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let zoe = post(
        &app,
        &admin,
        "/api/v1/technicians",
        json!({"name": "Zoé, \"la régie\"", "skills": ["sound", "light"],
        "contract": {"kind": "hourly", "hourly_rate_cents": 2400, "cachet_rate_cents": 0}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    worked(
        &app,
        &admin,
        &venue,
        &theo,
        "2026-07-06T06:00:00Z",
        "2026-07-06T14:00:00Z",
    )
    .await;
    worked(
        &app,
        &admin,
        &venue,
        &zoe,
        "2026-07-07T16:00:00Z",
        "2026-07-07T20:30:00Z",
    )
    .await;

    // Timesheets of July, as the manager sees them in the API.
    let manager = app.login_as(&tenant, Role::Manager).await.access;
    let listed = body(app.get("/api/v1/timesheets?period=2026-07", &manager).await).await;
    let (header, rows, sha) = csv_file(
        app.get("/api/v1/exports/timesheets?period=2026-07", &manager)
            .await,
    )
    .await;
    assert_eq!(header[0], "timesheet_id");
    assert_eq!(rows.len(), 2);
    for (row, item) in rows.iter().zip(listed["items"].as_array().unwrap()) {
        assert_eq!(
            row[column(&header, "timesheet_id")],
            item["id"].as_str().unwrap()
        );
        assert_eq!(
            row[column(&header, "start")],
            item["start"].as_str().unwrap()
        );
        assert_eq!(row[column(&header, "end")], item["end"].as_str().unwrap());
        assert_eq!(
            row[column(&header, "worked_seconds")],
            item["worked_seconds"].to_string()
        );
        assert_eq!(row[column(&header, "state")], "approved");
        assert_eq!(row[column(&header, "period")], "2026-07");
    }
    assert_eq!(rows[0][column(&header, "technician_name")], "Théo");
    assert_eq!(
        rows[1][column(&header, "technician_name")],
        "Zoé, \"la régie\"",
        "quoted and escaped"
    );
    assert_eq!(rows[1][column(&header, "worked_hours")], "4.500");

    // The technician's own export holds their rows only.
    let tech = app.login_ok(&tenant.slug, "theo@acme.test").await.access;
    let (_, mine, _) = csv_file(
        app.get(
            "/api/v1/exports/timesheets?from=2026-07-01&to=2026-07-31",
            &tech,
        )
        .await,
    )
    .await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0][1], theo);

    // A payroll run's lines add up to its gross.
    post(
        &app,
        &admin,
        "/api/v1/timesheets/close",
        json!({"period": "2026-07"}),
    )
    .await;
    let run = post(
        &app,
        &admin,
        "/api/v1/payroll/runs",
        json!({"period": "2026-07"}),
    )
    .await;
    let path = format!("/api/v1/exports/payroll/{}", run["id"].as_str().unwrap());
    let (header, lines, _) = csv_file(app.get(&path, &manager).await).await;
    let amount = column(&header, "amount_cents");
    let total: i64 = lines
        .iter()
        .map(|l| l[amount].parse::<i64>().unwrap())
        .sum();
    assert_eq!(Value::from(total), run["gross_cents"]);
    let base = lines
        .iter()
        .find(|l| {
            l[column(&header, "technician_id")] == theo && l[column(&header, "code")] == "base"
        })
        .unwrap();
    assert_eq!(base[column(&header, "quantity")], "8.000");
    assert_eq!(base[column(&header, "rate")], "20.50");
    assert_eq!(base[column(&header, "amount")], "164.00");
    let (_, own_lines, _) = csv_file(app.get(&path, &tech).await).await;
    assert!(
        !own_lines.is_empty() && own_lines.iter().all(|l| l[2] == theo),
        "{own_lines:?}"
    );

    // The crew, for planners and auditors only.
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    let (header, crew, _) = csv_file(app.get("/api/v1/exports/technicians", &viewer).await).await;
    assert_eq!(crew.len(), 2);
    let theo_row = crew.iter().find(|r| r[0] == theo).unwrap();
    assert_eq!(theo_row[column(&header, "hourly_rate")], "20.50");
    assert_eq!(theo_row[column(&header, "phone")], "+33 6 12 34 56 78");
    assert_error(
        app.get("/api/v1/exports/technicians", &tech).await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;

    // Every file issued is in the audit chain with its sha256.
    let entries = body(
        app.get("/api/v1/audit/entries?kind=export&size=50", &admin)
            .await,
    )
    .await;
    assert_eq!(entries["total"], 5, "{entries}");
    let first = entries["items"].as_array().unwrap().last().unwrap();
    assert_eq!(first["payload"]["sha256"], sha.as_str());
    assert_eq!(first["payload"]["export"], "timesheets");
    assert_eq!(first["payload"]["rows"], 2);

    // A range is required, and bounded.
    for (query, field) in [
        ("", "period"),
        ("?from=2026-01-01&to=2027-06-30", "to"),
        ("?period=2026-W27", "period"),
    ] {
        let b = assert_error(
            app.get(&format!("/api/v1/exports/timesheets{query}"), &manager)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERR",
        )
        .await;
        assert_eq!(b["meta"]["field"], field, "{query}: {b}");
    }
    assert_error(
        app.get(
            "/api/v1/exports/payroll/0190b5a4-0000-7000-8000-000000000000",
            &manager,
        )
        .await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
}
