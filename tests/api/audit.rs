//! The audit chain: runs appended through the library, listed, detailed and replayed;
//! tampering named by the verification; concurrent appends; who may read it.

use callsheet::audit::{self, EntryKind, RecordedPlugin, RunRecord, RunRequest, RunWindow};
use callsheet::domain::{AuditEntryId, Email, Role, TenantId, UserId};
use callsheet::plugins;
use callsheet_e2e::{Tenant, TestApp, assert_error, backend, body};
use chrono::{Duration, Utc};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

async fn ok(response: Response) -> Value {
    let status = response.status();
    let b = body(response).await;
    assert_eq!(status, StatusCode::OK, "[{}] {b}", backend());
    b
}

async fn admin_id(app: &TestApp, tenant: &Tenant) -> UserId {
    app.storage
        .credentials(tenant.id, &Email::parse(&tenant.admin_email).unwrap())
        .await
        .unwrap()
        .expect("the admin exists")
        .user
        .id
}

/// Plans a generated problem with the tenant's plugins, as an automatic run does, and
/// appends the run to the chain.
async fn record_run(
    app: &TestApp,
    tenant: TenantId,
    actor: UserId,
    seed: u64,
) -> audit::AuditEntry {
    let problem = callsheet_engine::generator::custom(16, 8, seed);
    let rules = plugins::rules(&app.state, tenant).await.unwrap();
    let assigner = plugins::assigner(&app.state, tenant).await.unwrap();
    let (outcome, problem, rules, assigner) = tokio::task::spawn_blocking(move || {
        let outcome = callsheet_engine::plan(&problem, &assigner, &rules).expect("the run");
        (outcome, problem, rules, assigner)
    })
    .await
    .unwrap();
    let start = Utc::now() - Duration::days(1);
    let record = RunRecord {
        request: RunRequest {
            window: RunWindow {
                start: callsheet::domain::time::to_second(start),
                end: callsheet::domain::time::to_second(start + Duration::days(7)),
            },
            missions: None,
            dry_run: true,
        },
        problem,
        assigner: RecordedPlugin {
            identity: assigner.identity.clone(),
            params: assigner.params.clone(),
            budget: assigner.budget().into(),
        },
        rules: RecordedPlugin {
            identity: rules.identity.clone(),
            params: rules.params.clone(),
            budget: rules.budget().into(),
        },
        outcome_sha256: outcome.sha256().unwrap(),
        outcome,
        committed: false,
    };
    audit::append_run(
        &app.storage,
        tenant,
        AuditEntryId::new(),
        Some(actor),
        &record,
    )
    .await
    .expect("appended")
}

/// Raw SQL on the test database, below the API: what someone with database access could do.
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Db {
    async fn connect(app: &TestApp) -> Self {
        use sqlx::Connection as _;
        if app.database_url.starts_with("postgres") {
            Db::Postgres(
                sqlx::PgConnection::connect(&app.database_url)
                    .await
                    .unwrap(),
            )
        } else {
            Db::Sqlite(
                sqlx::SqliteConnection::connect(&app.database_url)
                    .await
                    .unwrap(),
            )
        }
    }

    /// A text column of the entry `seq` of the tenant's chain.
    async fn read(&mut self, tenant: TenantId, seq: i64, column: &str) -> String {
        let sql = format!("SELECT {column} FROM audit_entries WHERE tenant_id = $1 AND seq = $2");
        match self {
            Db::Sqlite(c) => {
                sqlx::query_scalar(&sql)
                    .bind(tenant)
                    .bind(seq)
                    .fetch_one(c)
                    .await
            }
            Db::Postgres(c) => {
                sqlx::query_scalar(&sql)
                    .bind(tenant)
                    .bind(seq)
                    .fetch_one(c)
                    .await
            }
        }
        .unwrap()
    }

    /// Overwrites a text column of the entry `seq`.
    async fn write(&mut self, tenant: TenantId, seq: i64, column: &str, value: &str) {
        let sql =
            format!("UPDATE audit_entries SET {column} = $3 WHERE tenant_id = $1 AND seq = $2");
        let done = match self {
            Db::Sqlite(c) => sqlx::query(&sql)
                .bind(tenant)
                .bind(seq)
                .bind(value)
                .execute(c)
                .await
                .unwrap()
                .rows_affected(),
            Db::Postgres(c) => sqlx::query(&sql)
                .bind(tenant)
                .bind(seq)
                .bind(value)
                .execute(c)
                .await
                .unwrap()
                .rows_affected(),
        };
        assert_eq!(done, 1);
    }

    /// Sets the entry's actor to none.
    async fn clear_actor(&mut self, tenant: TenantId, seq: i64) {
        let sql = "UPDATE audit_entries SET actor = NULL WHERE tenant_id = $1 AND seq = $2";
        let done = match self {
            Db::Sqlite(c) => sqlx::query(sql)
                .bind(tenant)
                .bind(seq)
                .execute(c)
                .await
                .unwrap()
                .rows_affected(),
            Db::Postgres(c) => sqlx::query(sql)
                .bind(tenant)
                .bind(seq)
                .execute(c)
                .await
                .unwrap()
                .rows_affected(),
        };
        assert_eq!(done, 1);
    }
}

#[tokio::test]
async fn a_recorded_run_is_listed_detailed_and_replays_identically() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let actor = admin_id(&app, &tenant).await;
    let entry = record_run(&app, tenant.id, actor, 7).await;
    assert_eq!(entry.seq, 1);
    assert_eq!(entry.kind, EntryKind::AutoRun);
    assert_eq!(entry.prev_hash, audit::GENESIS);
    // Auditors have the viewer role.
    let viewer = app.login_as(&tenant, Role::Viewer).await;
    let token = viewer.access.as_str();

    let runs = ok(app.get("/api/v1/audit/runs", token).await).await;
    assert_eq!(runs["total"], 1);
    let item = &runs["items"][0];
    assert_eq!(item["id"], entry.id.to_string());
    assert_eq!(item["seq"], 1);
    assert_eq!(item["actor"], actor.to_string());
    assert_eq!(item["hash"], entry.hash);
    assert!(
        item["at"].as_str().unwrap().ends_with("+01:00")
            || item["at"].as_str().unwrap().ends_with("+02:00"),
        "{item}"
    );
    let run = &item["run"];
    assert_eq!(run["dry_run"], true);
    assert_eq!(run["committed"], false);
    assert!(run["assignments"].as_u64().unwrap() > 0, "{run}");
    assert!(run["fuel"]["assigner"].as_u64().unwrap() > 0);
    assert_eq!(run["plugins"]["rules"]["name"], "callsheet-rules-fr");
    let active = ok(app
        .get(
            "/api/v1/plugins/active",
            &app.login_ok("acme", &tenant.admin_email).await.access,
        )
        .await)
    .await;
    assert_eq!(
        run["plugins"]["rules"]["sha256"],
        active["rules"]["plugin"]["sha256"]
    );
    assert_eq!(run["inputs_sha256"].as_str().unwrap().len(), 64);

    let detail = ok(app
        .get(&format!("/api/v1/audit/runs/{}", entry.id), token)
        .await)
    .await;
    assert_eq!(detail["run"], *run);
    let record = &detail["record"];
    assert_eq!(record["outcome_sha256"], run["outcome_sha256"]);
    assert!(
        !record["problem"]["technicians"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(record["assigner"]["budget"]["fuel"], 20_000_000_000u64);
    // Explanations: each assignment's score terms, each unfilled need's rejections.
    let outcome = &record["outcome"];
    assert!(outcome["assignments"][0]["terms"].is_array(), "{outcome}");
    for unfilled in outcome["unfilled"].as_array().unwrap() {
        assert!(unfilled["rejections"].is_array());
    }

    let replay = ok(app
        .request(
            Method::POST,
            &format!("/api/v1/audit/runs/{}/replay", entry.id),
            Some(token),
        )
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(replay["identical"], true, "{replay}");
    assert_eq!(replay["differences"], json!([]));
    assert_eq!(replay["recorded_sha256"], replay["replayed_sha256"]);
    assert_eq!(replay["recorded_sha256"], run["outcome_sha256"]);

    // The replay wrote nothing.
    let verify = ok(app.get("/api/v1/audit/verify", token).await).await;
    assert_eq!(
        verify,
        json!({"ok": true, "entries_checked": 1, "first_broken": null})
    );

    // Date filters, in the tenant's time zone, inclusive of the `to` day.
    let paris = callsheet::domain::TimeZone::parse("Europe/Paris").unwrap();
    let today = callsheet::domain::time::local(Utc::now(), paris).date_naive();
    let (yesterday, tomorrow) = (today - Duration::days(1), today + Duration::days(1));
    for (query, total) in [
        (format!("from={today}"), 1),
        (format!("to={today}"), 1),
        (format!("from={tomorrow}"), 0),
        (format!("to={yesterday}"), 0),
        (format!("from={yesterday}&to={tomorrow}"), 1),
    ] {
        let runs = ok(app.get(&format!("/api/v1/audit/runs?{query}"), token).await).await;
        assert_eq!(runs["total"], total, "{query}");
    }
    let b = assert_error(
        app.get("/api/v1/audit/runs?from=yesterday", token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "from");
}

#[tokio::test]
async fn entries_list_every_kind_and_filter_by_kind() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let actor = admin_id(&app, &tenant).await;
    let admin = app.login_ok("acme", &tenant.admin_email).await;
    record_run(&app, tenant.id, actor, 3).await;
    let payload =
        json!({"assignment_id": "a-1", "reason": "the client insisted", "violations": []});
    let entry = audit::append(
        &app.storage,
        tenant.id,
        EntryKind::Override,
        Some(actor),
        &payload,
    )
    .await
    .unwrap();
    assert_eq!(entry.seq, 2);
    let active = ok(app.get("/api/v1/plugins/active", &admin.access).await).await;
    let payroll = active["payroll"]["plugin"]["id"].as_str().unwrap();
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/plugins/{payroll}/activate"),
            Some(&admin.access),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let all = ok(app.get("/api/v1/audit/entries", &admin.access).await).await;
    assert_eq!(all["total"], 3);
    let kinds: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["plugin-activation", "override", "auto-run"]);
    assert_eq!(all["items"][1]["payload"], payload);
    // A run's record is not inlined in the list; its summary is.
    assert_eq!(all["items"][2]["payload"], Value::Null);
    assert!(all["items"][2]["run"]["score"].is_object());
    // Each entry links to the previous one.
    assert_eq!(all["items"][0]["prev_hash"], all["items"][1]["hash"]);
    assert_eq!(all["items"][1]["prev_hash"], all["items"][2]["hash"]);

    let overrides = ok(app
        .get("/api/v1/audit/entries?kind=override", &admin.access)
        .await)
    .await;
    assert_eq!(overrides["total"], 1);
    assert_eq!(overrides["items"][0]["id"], entry.id.to_string());
    let b = assert_error(
        app.get("/api/v1/audit/entries?kind=deletion", &admin.access)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "kind");
    // Runs only in the runs listing; an override is not a run.
    assert_eq!(
        ok(app.get("/api/v1/audit/runs", &admin.access).await).await["total"],
        1
    );
    assert_error(
        app.get(&format!("/api/v1/audit/runs/{}", entry.id), &admin.access)
            .await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn an_edited_entry_is_named_by_the_verification() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let actor = admin_id(&app, &tenant).await;
    let token = app.login_ok("acme", &tenant.admin_email).await.access;
    record_run(&app, tenant.id, actor, 5).await;
    for i in 0..3 {
        audit::append(
            &app.storage,
            tenant.id,
            EntryKind::Override,
            Some(actor),
            &json!({"n": i}),
        )
        .await
        .unwrap();
    }
    let verify = ok(app.get("/api/v1/audit/verify", &token).await).await;
    assert_eq!(
        verify,
        json!({"ok": true, "entries_checked": 4, "first_broken": null})
    );

    let mut db = Db::connect(&app).await;
    let other = "f".repeat(64);
    let cases: [(&str, i64, String); 7] = [
        ("payload", 3, "{\"n\":42}".to_owned()),
        ("hash", 3, other.clone()),
        ("prev_hash", 3, other.clone()),
        ("kind", 2, "auto-run".to_owned()),
        ("at", 4, "2020-01-01T00:00:00Z".to_owned()),
        // The first entry: a run, whose listed summary must match its record.
        ("summary", 1, "{\"edited\":true}".to_owned()),
        ("prev_hash", 1, other.clone()),
    ];
    for (column, seq, value) in cases {
        let original = db.read(tenant.id, seq, column).await;
        db.write(tenant.id, seq, column, &value).await;
        let verify = ok(app.get("/api/v1/audit/verify", &token).await).await;
        assert_eq!(verify["ok"], false, "{column}: {verify}");
        assert_eq!(verify["first_broken"]["seq"], seq, "{column}: {verify}");
        assert!(
            !verify["first_broken"]["reason"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        assert_eq!(verify["entries_checked"], seq);
        db.write(tenant.id, seq, column, &original).await;
        let verify = ok(app.get("/api/v1/audit/verify", &token).await).await;
        assert_eq!(verify["ok"], true, "restored {column}: {verify}");
    }
    // The actor too.
    db.clear_actor(tenant.id, 2).await;
    let verify = ok(app.get("/api/v1/audit/verify", &token).await).await;
    assert_eq!(verify["first_broken"]["seq"], 2, "{verify}");
}

#[tokio::test]
async fn a_replay_of_an_edited_run_reports_the_differences() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let actor = admin_id(&app, &tenant).await;
    let token = app.login_ok("acme", &tenant.admin_email).await.access;
    let entry = record_run(&app, tenant.id, actor, 11).await;
    let replay_path = format!("/api/v1/audit/runs/{}/replay", entry.id);
    let replay = |app: &TestApp| app.request(Method::POST, &replay_path, Some(&token)).send();

    let mut db = Db::connect(&app).await;
    let original = db.read(tenant.id, 1, "payload").await;
    let mut record: Value = serde_json::from_str(&original).unwrap();

    // A better score than the plugins gave, and one assignment less.
    let soft = record["outcome"]["score"]["soft"].as_i64().unwrap();
    record["outcome"]["score"]["soft"] = json!(soft - 1);
    let dropped = record["outcome"]["assignments"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    db.write(tenant.id, 1, "payload", &record.to_string()).await;

    let result = ok(replay(&app).await.unwrap()).await;
    assert_eq!(result["identical"], false);
    let fields: Vec<&str> = result["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"outcome_sha256"), "{result}");
    assert!(fields.contains(&"score"), "{result}");
    assert!(fields.contains(&"assignments.added"), "{result}");
    let added = result["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["field"] == "assignments.added")
        .unwrap();
    assert_eq!(
        added["replayed"][0]["need_id"],
        dropped["assignment"]["need_id"]
    );
    assert_eq!(
        added["replayed"][0]["technician_id"],
        dropped["assignment"]["technician_id"]
    );
    let score = result["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["field"] == "score")
        .unwrap();
    assert_eq!(score["recorded"]["soft"], soft - 1);
    assert_eq!(score["replayed"]["soft"], soft);
    // The replayed outcome is the one originally recorded.
    assert_eq!(result["replayed_sha256"], result["recorded_sha256"]);
    let verify = ok(app.get("/api/v1/audit/verify", &token).await).await;
    assert_eq!(verify["first_broken"]["seq"], 1, "{verify}");

    // A changed input: the problem's seed. The inputs no longer hash as recorded.
    let mut record: Value = serde_json::from_str(&original).unwrap();
    let seed = record["problem"]["seed"].as_u64().unwrap();
    record["problem"]["seed"] = json!(seed.wrapping_add(1));
    db.write(tenant.id, 1, "payload", &record.to_string()).await;
    let result = ok(replay(&app).await.unwrap()).await;
    assert_eq!(result["identical"], false);
    let fields: Vec<&str> = result["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"inputs_sha256"), "{result}");
    assert_ne!(result["replayed_sha256"], result["recorded_sha256"]);

    // A budget too small for the recorded run: the replay says how it failed.
    let mut record: Value = serde_json::from_str(&original).unwrap();
    record["assigner"]["budget"]["fuel"] = json!(1000);
    db.write(tenant.id, 1, "payload", &record.to_string()).await;
    let result = ok(replay(&app).await.unwrap()).await;
    assert_eq!(result["identical"], false);
    assert_eq!(result["error"]["code"], "PLUGIN_FUEL_EXHAUSTED", "{result}");
    assert_eq!(result["replayed_sha256"], Value::Null);

    // Not a run record any more.
    db.write(tenant.id, 1, "payload", "{\"oops\":1}").await;
    assert_error(
        replay(&app).await.unwrap(),
        StatusCode::CONFLICT,
        "AUDIT_PAYLOAD_UNREADABLE",
    )
    .await;

    // Restored: identical again.
    db.write(tenant.id, 1, "payload", &original).await;
    let result = ok(replay(&app).await.unwrap()).await;
    assert_eq!(result["identical"], true, "{result}");
}

#[tokio::test]
async fn concurrent_appends_form_one_valid_chain() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        for t in [tenant.id, other.id] {
            let storage = app.storage.clone();
            tasks.push(tokio::spawn(async move {
                audit::append(&storage, t, EntryKind::Override, None, &json!({"n": i}))
                    .await
                    .expect("appended")
            }));
        }
    }
    let mut seqs: Vec<(TenantId, u64)> = Vec::new();
    for task in tasks {
        let entry = task.await.unwrap();
        seqs.push((entry.tenant, entry.seq));
    }
    for t in [tenant.id, other.id] {
        let mut mine: Vec<u64> = seqs
            .iter()
            .filter(|(x, _)| *x == t)
            .map(|(_, s)| *s)
            .collect();
        mine.sort_unstable();
        assert_eq!(mine, (1..=20).collect::<Vec<u64>>());
        let verified = audit::verify(&app.storage, t).await.unwrap();
        assert!(verified.ok, "{verified:?}");
        assert_eq!(verified.entries_checked, 20);
    }
}

#[tokio::test]
async fn audit_routes_are_for_admins_managers_and_viewers_of_the_tenant() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let actor = admin_id(&app, &tenant).await;
    let entry = record_run(&app, tenant.id, actor, 2).await;
    let routes = [
        (Method::GET, "/api/v1/audit/runs".to_owned()),
        (Method::GET, format!("/api/v1/audit/runs/{}", entry.id)),
        (
            Method::POST,
            format!("/api/v1/audit/runs/{}/replay", entry.id),
        ),
        (Method::GET, "/api/v1/audit/entries".to_owned()),
        (Method::GET, "/api/v1/audit/verify".to_owned()),
    ];
    let tech = app.login_as(&tenant, Role::Tech).await;
    for (method, path) in &routes {
        let response = app
            .request(method.clone(), path, Some(&tech.access))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;
    }
    for role in [Role::Admin, Role::Manager, Role::Viewer] {
        let tokens = app.login_as(&tenant, role).await;
        for (method, path) in &routes {
            let response = app
                .request(method.clone(), path, Some(&tokens.access))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{role:?} {path}");
        }
    }

    // Another tenant's run: not found, never data.
    let other = app.create_tenant("other").await;
    let theirs = app.login_ok("other", &other.admin_email).await;
    for (method, path) in &routes[1..3] {
        let response = app
            .request(method.clone(), path, Some(&theirs.access))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    }
    assert_eq!(
        ok(app.get("/api/v1/audit/runs", &theirs.access).await).await["total"],
        0
    );
    let verify = ok(app.get("/api/v1/audit/verify", &theirs.access).await).await;
    assert_eq!(verify["entries_checked"], 0);
}

#[tokio::test]
async fn a_record_edited_where_the_replay_cannot_see_is_never_identical() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let actor = admin_id(&app, &tenant).await;
    let token = app.login_ok("acme", &tenant.admin_email).await.access;
    let entry = record_run(&app, tenant.id, actor, 12).await;
    let replay_path = format!("/api/v1/audit/runs/{}/replay", entry.id);

    // What the run was asked (a dry run or not) plays no part in planning it again, so
    // only the chain can tell the record was edited.
    let mut db = Db::connect(&app).await;
    let mut record: Value = serde_json::from_str(&db.read(tenant.id, 1, "payload").await).unwrap();
    let dry_run = record["request"]["dry_run"].as_bool().unwrap();
    record["request"]["dry_run"] = json!(!dry_run);
    db.write(tenant.id, 1, "payload", &record.to_string()).await;

    let result = ok(app
        .request(Method::POST, &replay_path, Some(&token))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(result["identical"], false, "{result}");
    assert_eq!(result["differences"][0]["field"], "record", "{result}");
    // The plan itself replays as recorded: the report says so rather than hiding it.
    assert_eq!(result["replayed_sha256"], result["recorded_sha256"]);
    assert_eq!(
        result["differences"].as_array().unwrap().len(),
        1,
        "{result}"
    );
}
