//! Automatic runs on the demo festival week, jobs and the conflicts report.

use callsheet::demo::Preset;
use callsheet::domain::Role;
use callsheet_e2e::{Tenant, TestApp, assert_error, body};
use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The demo festival week, in the ISO week 2026-W48.
async fn festival(app: &TestApp, slug: &str) -> (Tenant, String) {
    let tenant = app.create_tenant(slug).await;
    let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let spec = Preset::FestivalWeek.spec(monday, 2026);
    callsheet::demo::import(&app.storage, tenant.id, &spec)
        .await
        .expect("import")
        .expect("an empty tenant is filled");
    let admin = app.login_as(&tenant, Role::Admin).await.access;
    (tenant, admin)
}

async fn auto(app: &TestApp, token: &str, payload: Value) -> reqwest::Response {
    app.send_json(
        Method::POST,
        "/api/v1/assignments/auto",
        Some(token),
        &payload,
    )
    .await
}

#[tokio::test]
async fn a_run_on_the_demo_week_leaves_no_hard_conflict_and_explains_every_unfilled_place() {
    let app = TestApp::spawn().await;
    let (_tenant, admin) = festival(&app, "fest").await;
    let week = json!({"from": "2026-11-23", "to": "2026-11-29"});

    // A dry run writes nothing.
    let mut dry = week.clone();
    dry["dry_run"] = json!(true);
    let response = auto(&app, &admin, dry).await;
    let status = response.status();
    let preview = body(response).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["committed"], false);
    assert_eq!(preview["created"], 0);
    assert!(!preview["assignments"].as_array().unwrap().is_empty());
    let before = body(app.get("/api/v1/assignments?size=200", &admin).await).await["total"].clone();

    let response = auto(&app, &admin, week.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let run = body(response).await;
    assert_eq!(run["committed"], true);
    assert_eq!(run["score"]["hard"], 0, "{}", run["violations"]);
    // Same data, same seed: the dry run proposed exactly what the run committed.
    assert_eq!(run["outcome_sha256"], preview["outcome_sha256"]);
    let created = run["created"].as_u64().unwrap();
    assert!(created > 0);
    let after = body(app.get("/api/v1/assignments?size=200", &admin).await).await["total"].clone();
    assert_eq!(
        after.as_u64().unwrap(),
        before.as_u64().unwrap() + created - run["removed"].as_u64().unwrap()
    );
    for planned in run["assignments"].as_array().unwrap() {
        assert!(planned["terms"].is_array(), "{planned}");
    }
    for unfilled in run["unfilled"].as_array().unwrap() {
        let explained = !unfilled["rejections"].as_array().unwrap().is_empty()
            || !unfilled["scarcity"].is_null();
        assert!(explained, "unexplained: {unfilled}");
    }

    let conflicts = body(
        app.get(
            "/api/v1/conflicts?from=2026-11-23&to=2026-11-29&severity=hard",
            &admin,
        )
        .await,
    )
    .await;
    assert_eq!(conflicts["hard"], 0, "{conflicts}");
    let all = body(
        app.get("/api/v1/conflicts?from=2026-11-23&to=2026-11-29", &admin)
            .await,
    )
    .await;
    for c in all["conflicts"].as_array().unwrap() {
        assert!(c["provenance"]["rule_id"].is_string(), "{c}");
    }

    // The run is in the audit chain and replays identically.
    let run_id = run["run_id"].as_str().unwrap();
    let detail = body(
        app.get(&format!("/api/v1/audit/runs/{run_id}"), &admin)
            .await,
    )
    .await;
    assert!(
        detail
            .to_string()
            .contains(run["outcome_sha256"].as_str().unwrap())
    );
    let replay = app
        .request(
            Method::POST,
            &format!("/api/v1/audit/runs/{run_id}/replay"),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(body(replay).await["identical"], true);

    // A second run keeps what the first committed (all proposed now, none moved for nothing).
    let again = body(auto(&app, &admin, week).await).await;
    assert_eq!(again["score"]["hard"], 0);
}

/// The runtime's fixture assigner: with `mode = cheat` it keeps the planner contract on
/// the conformance sample, so it can be activated, and on the tenant's own data proposes a
/// technician over an inverted window (which the database would refuse: a 500 before the
/// host checked every result).
const FIXTURE_ASSIGNER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../host/runtime/tests/fixtures/assigner.wasm"
);

#[tokio::test]
async fn a_run_whose_assigner_breaks_the_contract_is_refused_naming_the_breach_and_writes_nothing()
{
    let app = TestApp::spawn().await;
    let (_tenant, admin) = festival(&app, "fest").await;
    let uploaded = app
        .request(Method::POST, "/api/v1/plugins?slot=assigner", Some(&admin))
        .header("content-type", "application/wasm")
        .body(std::fs::read(FIXTURE_ASSIGNER).expect("the runtime's fixture"))
        .send()
        .await
        .unwrap();
    let status = uploaded.status();
    let plugin = body(uploaded).await;
    assert_eq!(status, StatusCode::CREATED, "{plugin}");
    let activate = format!(
        "/api/v1/plugins/{}/activate",
        plugin["id"].as_str().unwrap()
    );
    let cheat = json!({"params": [{"name": "mode", "value": {"Text": "cheat"}}]});
    let activated = app
        .send_json(Method::POST, &activate, Some(&admin), &cheat)
        .await;
    let status = activated.status();
    assert_eq!(status, StatusCode::OK, "{}", body(activated).await);
    let before = body(app.get("/api/v1/assignments?size=200", &admin).await).await;

    for dry_run in [true, false] {
        let response = auto(
            &app,
            &admin,
            json!({"from": "2026-11-23", "to": "2026-11-29", "dry_run": dry_run}),
        )
        .await;
        let b = assert_error(response, StatusCode::BAD_GATEWAY, "ENGINE_CONTRACT_BROKEN").await;
        let breach = &b["meta"]["breach"];
        assert_eq!(breach["code"], "empty-window", "{b}");
        let (need, technician) = (breach["need"].as_str(), breach["technician"].as_str());
        assert!(need.is_some() && technician.is_some(), "{b}");
        let detail = b["detail"].as_str().unwrap();
        assert!(
            detail.contains(need.unwrap()) && detail.contains(technician.unwrap()),
            "{b}"
        );
    }

    let after = body(app.get("/api/v1/assignments?size=200", &admin).await).await;
    assert_eq!(after, before, "a refused run wrote assignments");
}

#[tokio::test]
async fn a_run_keeps_confirmed_and_pinned_assignments() {
    let app = TestApp::spawn().await;
    let (_tenant, admin) = festival(&app, "fest").await;
    let run = body(
        auto(
            &app,
            &admin,
            json!({"from": "2026-11-23", "to": "2026-11-29"}),
        )
        .await,
    )
    .await;
    let created: Vec<Value> = body(
        app.get("/api/v1/assignments?size=200&status=proposed", &admin)
            .await,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!created.is_empty(), "{run}");
    let confirm = created[0]["id"].as_str().unwrap();
    let pin = created[1]["id"].as_str().unwrap();
    for (action, id) in [("confirm", confirm), ("pin", pin)] {
        let r = app
            .request(
                Method::POST,
                &format!("/api/v1/assignments/{id}/{action}"),
                Some(&admin),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let rerun = auto(
        &app,
        &admin,
        json!({"from": "2026-11-23", "to": "2026-11-29"}),
    )
    .await;
    assert_eq!(rerun.status(), StatusCode::OK);
    for id in [confirm, pin] {
        let a = body(app.get(&format!("/api/v1/assignments/{id}"), &admin).await).await;
        assert_eq!(a["id"], id, "kept");
    }
}

#[tokio::test]
async fn a_background_run_is_a_job_that_can_be_polled_and_not_cancelled_once_finished() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = festival(&app, "fest").await;
    let response = app
        .request(Method::POST, "/api/v1/assignments/auto", Some(&admin))
        .header("Idempotency-Key", "run-1")
        .json(
            &json!({"from": "2026-11-23", "to": "2026-11-29", "dry_run": true, "background": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let job = body(response).await;
    assert_eq!(job["kind"], "auto-assign");
    // The same key replays the 202 rather than starting a second job.
    let replayed = app
        .request(Method::POST, "/api/v1/assignments/auto", Some(&admin))
        .header("Idempotency-Key", "run-1")
        .json(
            &json!({"from": "2026-11-23", "to": "2026-11-29", "dry_run": true, "background": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), StatusCode::ACCEPTED);
    assert_eq!(body(replayed).await["id"], job["id"]);

    let mut finished = Value::Null;
    for _ in 0..600 {
        let polled = body(app.get(&location, &admin).await).await;
        if polled["state"] == "succeeded" || polled["state"] == "failed" {
            finished = polled;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(finished["state"], "succeeded", "{finished}");
    assert_eq!(finished["progress"], 100);
    assert_eq!(finished["result"]["dry_run"], true);
    let cancel = app
        .request(Method::POST, &format!("{location}/cancel"), Some(&admin))
        .send()
        .await
        .unwrap();
    assert_error(cancel, StatusCode::CONFLICT, "JOB_FINISHED").await;

    // Jobs are the tenant's and the planners'.
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    assert_error(
        app.get(&location, &viewer).await,
        StatusCode::FORBIDDEN,
        "AUTH_FORBIDDEN",
    )
    .await;
    let other = app.create_tenant("other").await;
    let intruder = app.login_as(&other, Role::Admin).await.access;
    assert_error(
        app.get(&location, &intruder).await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn bad_run_requests_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = festival(&app, "fest").await;
    for (payload, field) in [
        (json!({"from": "2026-11-29", "to": "2026-11-23"}), "to"),
        (json!({"from": "2026-01-01", "to": "2026-12-31"}), "to"),
        (json!({"from": "tomorrow", "to": "2026-11-29"}), "from"),
        (
            json!({"from": "2026-11-23", "to": "2026-11-29", "mission_ids": []}),
            "mission_ids",
        ),
        (json!({"from": "2026-11-23"}), "to"),
    ] {
        let response = auto(&app, &admin, payload.clone()).await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], field, "{payload}");
    }
    let tech = app.login_as(&tenant, Role::Tech).await.access;
    let response = auto(
        &app,
        &tech,
        json!({"from": "2026-11-23", "to": "2026-11-29"}),
    )
    .await;
    assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;
    let response = app.get("/api/v1/conflicts?from=2026-11-23", &admin).await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
}

#[tokio::test]
async fn a_plugin_is_validated_on_a_window_of_the_tenants_own_data() {
    let app = TestApp::spawn().await;
    let (_tenant, admin) = festival(&app, "fest").await;
    for slot in ["rules", "assigner"] {
        let plugins = body(
            app.get(&format!("/api/v1/plugins?slot={slot}"), &admin)
                .await,
        )
        .await;
        let id = plugins["items"][0]["id"].as_str().unwrap().to_owned();
        let response = app
            .request(
                Method::POST,
                &format!("/api/v1/plugins/{id}/validate?from=2026-11-23&to=2026-11-29"),
                Some(&admin),
            )
            .send()
            .await
            .unwrap();
        let status = response.status();
        let report = body(response).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let text = report.to_string();
        assert!(
            text.contains("the tenant's missions from 2026-11-23"),
            "{slot}: {report}"
        );
        let half = app
            .request(
                Method::POST,
                &format!("/api/v1/plugins/{id}/validate?from=2026-11-23"),
                Some(&admin),
            )
            .send()
            .await
            .unwrap();
        let b = assert_error(half, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], "to");
    }
}

#[tokio::test]
async fn a_run_over_a_window_without_needs_is_refused_not_blamed_on_the_assigner() {
    let app = TestApp::spawn().await;
    let (_, admin) = festival(&app, "fest").await;
    // The festival is in November; July has nothing.
    let response = auto(
        &app,
        &admin,
        json!({"from": "2026-07-01", "to": "2026-07-07"}),
    )
    .await;
    let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    assert_eq!(b["meta"]["field"], "from", "{b}");
    let audit = body(app.get("/api/v1/audit/runs", &admin).await).await;
    assert_eq!(audit["total"], 0, "nothing ran: {audit}");
}
