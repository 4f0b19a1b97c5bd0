//! Tenant plugins: the defaults, upload, validation, activation, parameters, budgets,
//! rollback and history; hostile plugins refused or contained; admins only; tenants apart.

use callsheet::domain::Role;
use callsheet::http::error::ApiError;
use callsheet::plugins;
use callsheet_e2e::{Tenant, TestApp, Tokens, assert_error, backend, body};
use callsheet_runtime::types::{Param, PayInput, Value as PluginValue};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../host/runtime/tests/fixtures"
);
const DIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/dist");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}.wasm")).expect("fixture")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(callsheet_runtime::sha256(bytes))
}

async fn upload(app: &TestApp, token: &str, slot: &str, bytes: Vec<u8>) -> Response {
    app.request(
        Method::POST,
        &format!("/api/v1/plugins?slot={slot}"),
        Some(token),
    )
    .header("content-type", "application/wasm")
    .body(bytes)
    .send()
    .await
    .expect("request")
}

/// Uploads a fixture that must be accepted; returns the plugin.
async fn upload_ok(app: &TestApp, token: &str, slot: &str, name: &str) -> Value {
    let response = upload(app, token, slot, fixture(name)).await;
    let status = response.status();
    let b = body(response).await;
    assert_eq!(status, StatusCode::CREATED, "[{}] {b}", backend());
    b
}

async fn post(app: &TestApp, token: &str, path: &str, json: Option<Value>) -> Response {
    let builder = app.request(Method::POST, path, Some(token));
    let builder = match json {
        Some(j) => builder.json(&j),
        None => builder,
    };
    builder.send().await.expect("request")
}

async fn ok(response: Response) -> Value {
    let status = response.status();
    let b = body(response).await;
    assert_eq!(status, StatusCode::OK, "[{}] {b}", backend());
    b
}

fn text(name: &str, value: &str) -> Value {
    json!({"name": name, "value": {"Text": value}})
}

fn int(name: &str, value: i64) -> Value {
    json!({"name": name, "value": {"Int": value}})
}

async fn admin(app: &TestApp, slug: &str) -> (Tenant, Tokens) {
    let tenant = app.create_tenant(slug).await;
    let tokens = app.login_ok(slug, &tenant.admin_email).await;
    (tenant, tokens)
}

#[tokio::test]
async fn a_new_tenant_has_the_three_default_plugins_active() {
    let app = TestApp::spawn().await;
    let (_, admin) = admin(&app, "acme").await;

    let active = ok(app.get("/api/v1/plugins/active", &admin.access).await).await;
    for slot in ["rules", "assigner", "payroll"] {
        let a = &active[slot];
        let wasm = std::fs::read(format!("{DIST}/{slot}.wasm")).expect("default plugin");
        assert_eq!(a["slot"], slot, "{active}");
        assert_eq!(a["action"], "default");
        assert_eq!(a["seq"], 1);
        assert_eq!(a["plugin"]["sha256"], sha256_hex(&wasm));
        assert_eq!(a["params"], json!([]));
        assert_eq!(a["budget"]["fuel"], Value::Null);
        assert_eq!(a["budget"]["effective"]["fuel"], 20_000_000_000u64);
        assert_eq!(a["budget"]["effective"]["timeout_ms"], 60_000);
        assert_eq!(a["activated_by"], Value::Null);
    }

    let list = ok(app.get("/api/v1/plugins", &admin.access).await).await;
    assert_eq!(list["total"], 3);
    for p in list["items"].as_array().unwrap() {
        assert_eq!(p["active"], true, "{p}");
        assert_eq!(p["builtin"], true);
        assert!(p["info"]["rules"].is_array() && !p["name"].as_str().unwrap().is_empty());
        assert_eq!(p["validation"], Value::Null);
    }
    let payroll = ok(app.get("/api/v1/plugins?slot=payroll", &admin.access).await).await;
    assert_eq!(payroll["total"], 1);
    assert_eq!(payroll["items"][0]["slot"], "payroll");

    let history = ok(app
        .get("/api/v1/plugins/active/rules/history", &admin.access)
        .await)
    .await;
    assert_eq!(history["total"], 1);
    assert_eq!(history["items"][0]["action"], "default");

    // The defaults are what the server resolves for the tenant's runs.
    let tenant = app.create_tenant("other").await;
    let rules = plugins::rules(&app.state, tenant.id).await.unwrap();
    assert_eq!(
        rules.identity.sha256,
        active["rules"]["plugin"]["sha256"].as_str().unwrap()
    );
    assert_eq!(rules.params, vec![]);
}

#[tokio::test]
async fn a_tenant_without_plugins_gets_the_defaults_on_first_use_exactly_once() {
    let app = TestApp::spawn().await;
    // A tenant stored directly, as one created before plugins existed: no activation.
    let tenant = app
        .storage
        .create_tenant(callsheet::storage::new_tenant(
            callsheet::domain::TenantSlug::parse("legacy").unwrap(),
            "Legacy".into(),
            callsheet::domain::TimeZone::parse("Europe/Paris").unwrap(),
        ))
        .await
        .unwrap();
    assert!(
        app.storage
            .active_plugins(tenant.id)
            .await
            .unwrap()
            .is_empty()
    );
    // Many runs resolving at once provision each default once.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            let rules = plugins::rules(&state, tenant.id).await.unwrap();
            let assigner = plugins::assigner(&state, tenant.id).await.unwrap();
            let payroll = plugins::payroll(&state, tenant.id).await.unwrap();
            (rules.identity, assigner.identity, payroll.identity)
        }));
    }
    let mut identities = Vec::new();
    for task in tasks {
        identities.push(task.await.unwrap());
    }
    assert!(identities.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(identities[0].0.name, "callsheet-rules-fr");
    let active = app.storage.active_plugins(tenant.id).await.unwrap();
    assert_eq!(active.len(), 3);
    assert!(active.iter().all(|a| a.seq == 1 && a.action == "default"));
    let page = callsheet::domain::PageRequest::default();
    let (plugins, total) = app
        .storage
        .list_plugins(tenant.id, None, page)
        .await
        .unwrap();
    assert_eq!(total, 3, "{plugins:?}");
    // Provisioning again changes nothing.
    plugins::provision_defaults(&app.storage, tenant.id)
        .await
        .unwrap();
    assert_eq!(app.storage.active_plugins(tenant.id).await.unwrap(), active);
}

#[tokio::test]
async fn an_admin_uploads_validates_activates_sets_parameters_and_rolls_back() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin(&app, "acme").await;
    let token = admin.access.as_str();
    let bytes = fixture("rules");

    let response = upload(&app, token, "rules", bytes.clone()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let plugin = body(response).await;
    let id = plugin["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/plugins/{id}"));
    assert_eq!(plugin["slot"], "rules");
    assert_eq!(plugin["name"], "fixture-rules");
    assert_eq!(plugin["version"], "0.1.0");
    assert_eq!(plugin["sha256"], sha256_hex(&bytes));
    assert_eq!(plugin["size"], bytes.len());
    assert_eq!(plugin["active"], false);
    assert_eq!(plugin["builtin"], false);
    assert_eq!(plugin["info"]["rules"].as_array().unwrap().len(), 4);
    let report = &plugin["validation"];
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 6);
    let calls = report["conformance"]["calls"].as_array().unwrap();
    let names: Vec<&str> = calls.iter().map(|c| c["call"].as_str().unwrap()).collect();
    assert_eq!(names, ["open", "evaluate-schedules", "evaluate-plan"]);
    assert!(calls.iter().all(|c| c["fuel_used"].as_u64().unwrap() > 0));
    assert!(report["fuel_used"].as_u64().unwrap() > 0);

    // The same bytes again: the same plugin, nothing new.
    let again = upload(&app, token, "rules", bytes.clone()).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(body(again).await["id"], plugin["id"]);
    assert_eq!(ok(app.get(&location, token).await).await, plugin);
    let rules = ok(app.get("/api/v1/plugins?slot=rules", token).await).await;
    assert_eq!(rules["total"], 2);

    // Validated again on demand: the same deterministic fuel.
    let revalidated = ok(post(&app, token, &format!("{location}/validate"), None).await).await;
    assert_eq!(revalidated["ok"], true);
    assert_eq!(revalidated["fuel_used"], report["fuel_used"]);

    // Activated with parameters and a budget; the cached plans are dropped.
    let generation = |app: &TestApp| {
        let cache = app.state.plan_cache.clone();
        let id = tenant.id;
        async move { cache.get(id, "probe").await.generation }
    };
    let before = generation(&app).await;
    let activated = ok(post(
        &app,
        token,
        &format!("{location}/activate"),
        Some(json!({"params": [int("max-shifts", 3)], "budget": {"fuel": 500_000_000}})),
    )
    .await)
    .await;
    assert_eq!(activated["seq"], 2);
    assert_eq!(activated["action"], "activate");
    let after_activation = generation(&app).await;
    assert!(after_activation > before);
    assert_eq!(activated["plugin"]["id"], plugin["id"]);
    assert_eq!(activated["params"], json!([int("max-shifts", 3)]));
    assert_eq!(activated["budget"]["fuel"], 500_000_000);
    assert_eq!(activated["budget"]["effective"]["fuel"], 500_000_000);
    assert_eq!(activated["budget"]["timeout_ms"], Value::Null);
    assert!(activated["activated_by"].is_string());
    let active = ok(app.get("/api/v1/plugins/active", token).await).await;
    assert_eq!(active["rules"]["plugin"]["id"], plugin["id"]);
    assert_eq!(ok(app.get(&location, token).await).await["active"], true);
    // What a run of the tenant now gets.
    let resolved = plugins::rules(&app.state, tenant.id).await.unwrap();
    assert_eq!(resolved.identity.sha256, sha256_hex(&bytes));
    assert_eq!(resolved.identity.name, "fixture-rules");
    assert_eq!(resolved.params.len(), 1);
    assert_eq!(resolved.budget().fuel, 500_000_000);

    // New parameters, checked by the plugin; the budget stays.
    let params = ok(app
        .send_json(
            Method::PUT,
            "/api/v1/plugins/active/rules/params",
            Some(token),
            &json!({"params": [int("max-shifts", 3), int("penalty", 5)]}),
        )
        .await)
    .await;
    assert_eq!(params["seq"], 3);
    assert_eq!(params["action"], "params");
    assert!(generation(&app).await > after_activation);
    assert_eq!(params["budget"]["fuel"], 500_000_000);

    // Refused parameters: every error listed, nothing changed.
    let refused = app
        .send_json(
            Method::PUT,
            "/api/v1/plugins/active/rules/params",
            Some(token),
            &json!({"params": [int("bogus", 1), text("other", "x")]}),
        )
        .await;
    let b = assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PLUGIN_PARAMS_INVALID",
    )
    .await;
    let errors = b["meta"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{b}");
    assert_eq!(errors[0]["name"], "bogus");
    assert_eq!(errors[0]["code"], "unknown");
    let duplicate = app
        .send_json(
            Method::PUT,
            "/api/v1/plugins/active/rules/params",
            Some(token),
            &json!({"params": [int("penalty", 1), int("penalty", 2)]}),
        )
        .await;
    let b = assert_error(
        duplicate,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PLUGIN_PARAMS_INVALID",
    )
    .await;
    assert_eq!(b["meta"]["errors"][0]["code"], "duplicate");
    let malformed = app
        .send_json(
            Method::PUT,
            "/api/v1/plugins/active/rules/params",
            Some(token),
            &json!({"params": [{"name": "penalty", "value": 5}]}),
        )
        .await;
    let b = assert_error(
        malformed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "params[0]", "{b}");
    let active = ok(app.get("/api/v1/plugins/active", token).await).await;
    assert_eq!(active["rules"]["seq"], 3);

    // A budget out of bounds names its field.
    let b = assert_error(
        app.send_json(
            Method::PUT,
            "/api/v1/plugins/active/rules/params",
            Some(token),
            &json!({"params": [], "budget": {"fuel": 10}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "budget.fuel");
    let b = assert_error(
        post(
            &app,
            token,
            &format!("{location}/activate"),
            Some(json!({"budget": {"timeout_ms": 1_000_000_000}})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "budget.timeout_ms");
    let budget = ok(app
        .send_json(
            Method::PUT,
            "/api/v1/plugins/active/rules/params",
            Some(token),
            &json!({"params": params["params"], "budget": {"fuel": null, "timeout_ms": 30_000}}),
        )
        .await)
    .await;
    assert_eq!(budget["seq"], 4);
    assert_eq!(budget["action"], "params");
    assert_eq!(budget["budget"]["effective"]["fuel"], 20_000_000_000u64);
    assert_eq!(budget["budget"]["timeout_ms"], 30_000);
    assert_eq!(budget["params"], params["params"]);

    // Rollbacks walk back one configuration at a time, appending to the history.
    let back = ok(post(&app, token, "/api/v1/plugins/active/rules/rollback", None).await).await;
    assert_eq!(back["seq"], 5);
    assert_eq!(back["action"], "rollback");
    assert!(generation(&app).await > after_activation + 1);
    assert_eq!(back["restores_seq"], 3);
    assert_eq!(back["params"], params["params"]);
    assert_eq!(back["budget"]["fuel"], 500_000_000);
    for (seq, restores) in [(6, 2), (7, 1)] {
        let back = ok(post(&app, token, "/api/v1/plugins/active/rules/rollback", None).await).await;
        assert_eq!(
            (back["seq"].clone(), back["restores_seq"].clone()),
            (json!(seq), json!(restores))
        );
    }
    let active = ok(app.get("/api/v1/plugins/active", token).await).await;
    assert_eq!(active["rules"]["action"], "rollback");
    assert_eq!(active["rules"]["plugin"]["name"], "callsheet-rules-fr");
    assert_eq!(active["rules"]["params"], json!([]));
    assert_error(
        post(&app, token, "/api/v1/plugins/active/rules/rollback", None).await,
        StatusCode::CONFLICT,
        "NOTHING_TO_ROLL_BACK",
    )
    .await;
    assert_error(
        post(&app, token, "/api/v1/plugins/active/payroll/rollback", None).await,
        StatusCode::CONFLICT,
        "NOTHING_TO_ROLL_BACK",
    )
    .await;

    let history = ok(app
        .get("/api/v1/plugins/active/rules/history?size=3", token)
        .await)
    .await;
    assert_eq!(history["total"], 7);
    let seqs: Vec<i64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [7, 6, 5]);

    // Every change is in the audit chain, and the chain holds.
    let entries = ok(app
        .get("/api/v1/audit/entries?kind=plugin-activation", token)
        .await)
    .await;
    assert_eq!(entries["total"], 6);
    let actions: Vec<&str> = entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "rollback", "rollback", "rollback", "params", "params", "activate"
        ]
    );
    assert_eq!(
        entries["items"][5]["payload"]["plugin"]["sha256"],
        sha256_hex(&bytes)
    );
    let verify = ok(app.get("/api/v1/audit/verify", token).await).await;
    assert_eq!(verify["ok"], true, "{verify}");
    assert_eq!(verify["entries_checked"], 6);

    // Bad slots are named.
    let b = assert_error(
        app.get("/api/v1/plugins?slot=scheduler", token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "slot");
    let b = assert_error(
        post(
            &app,
            token,
            "/api/v1/plugins/active/scheduler/rollback",
            None,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
    assert_eq!(b["meta"]["field"], "slot");
    assert_error(
        upload(&app, token, "scheduler", bytes).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
}

#[tokio::test]
async fn non_admins_get_403_on_every_plugin_route() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin(&app, "acme").await;
    let plugin = upload_ok(&app, &admin.access, "payroll", "payroll").await;
    let id = plugin["id"].as_str().unwrap();
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/plugins".into(), None),
        (Method::POST, "/api/v1/plugins?slot=payroll".into(), None),
        (Method::GET, "/api/v1/plugins/active".into(), None),
        (Method::GET, format!("/api/v1/plugins/{id}"), None),
        (Method::POST, format!("/api/v1/plugins/{id}/validate"), None),
        (
            Method::POST,
            format!("/api/v1/plugins/{id}/activate"),
            Some(json!({})),
        ),
        (
            Method::PUT,
            "/api/v1/plugins/active/payroll/params".into(),
            Some(json!({"params": []})),
        ),
        (
            Method::POST,
            "/api/v1/plugins/active/payroll/rollback".into(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/plugins/active/payroll/history".into(),
            None,
        ),
    ];
    for role in [Role::Manager, Role::Tech, Role::Viewer] {
        let tokens = app.login_as(&tenant, role).await;
        for (method, path, json) in &routes {
            let mut builder = app.request(method.clone(), path, Some(&tokens.access));
            if let Some(j) = json {
                builder = builder.json(j);
            }
            let response = builder.send().await.expect("request");
            assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;
        }
    }
    // Without a token: 401.
    let response = app
        .request(Method::GET, "/api/v1/plugins", None)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
    // Nothing changed meanwhile.
    let active = ok(app.get("/api/v1/plugins/active", &admin.access).await).await;
    assert_eq!(active["payroll"]["seq"], 1);
}

#[tokio::test]
async fn another_tenants_plugin_is_not_found() {
    let app = TestApp::spawn().await;
    let (_, acme) = admin(&app, "acme").await;
    let (_, other) = admin(&app, "other").await;
    let plugin = upload_ok(&app, &acme.access, "rules", "rules").await;
    let id = plugin["id"].as_str().unwrap();
    assert_error(
        app.get(&format!("/api/v1/plugins/{id}"), &other.access)
            .await,
        StatusCode::NOT_FOUND,
        "ENTITY_NOT_FOUND",
    )
    .await;
    for action in ["validate", "activate"] {
        assert_error(
            post(
                &app,
                &other.access,
                &format!("/api/v1/plugins/{id}/{action}"),
                None,
            )
            .await,
            StatusCode::NOT_FOUND,
            "ENTITY_NOT_FOUND",
        )
        .await;
    }
    let theirs = ok(app.get("/api/v1/plugins?slot=rules", &other.access).await).await;
    assert_eq!(theirs["total"], 1, "{theirs}");
    assert_eq!(theirs["items"][0]["builtin"], true);
    // The same bytes uploaded by the other tenant are its own plugin.
    let mine = upload_ok(&app, &other.access, "rules", "rules").await;
    assert_ne!(mine["id"], plugin["id"]);
    assert_eq!(mine["sha256"], plugin["sha256"]);
    assert_error(
        app.get("/api/v1/plugins/not-a-uuid", &other.access).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERR",
    )
    .await;
}

#[tokio::test]
async fn malformed_uploads_are_refused_with_plugin_invalid_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let (_, admin) = admin(&app, "acme").await;
    let token = admin.access.as_str();

    // A standard (std) build imports WASI's file system: named, refused.
    let b = assert_error(
        upload(&app, token, "payroll", fixture("wasi-fs")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PLUGIN_INVALID",
    )
    .await;
    assert!(
        b["detail"].as_str().unwrap().contains("wasi:filesystem"),
        "{b}"
    );
    assert_eq!(b["meta"]["stage"], "load");
    assert_eq!(b["meta"]["slot"], "payroll");

    // A rules component is not an assigner.
    let b = assert_error(
        upload(&app, token, "assigner", fixture("rules")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PLUGIN_INVALID",
    )
    .await;
    assert_eq!(b["meta"]["slot"], "assigner");

    for junk in [
        Vec::new(),
        b"not wasm at all".to_vec(),
        // A core module, not a component.
        b"\0asm\x01\0\0\0".to_vec(),
    ] {
        assert_error(
            upload(&app, token, "rules", junk).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "PLUGIN_INVALID",
        )
        .await;
    }

    // Declared as something else: 415.
    let response = app
        .request(Method::POST, "/api/v1/plugins?slot=rules", Some(token))
        .header("content-type", "application/octet-stream")
        .body(fixture("rules"))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;

    // Over the runtime's binary limit: refused before it is read.
    let response = upload(&app, token, "rules", vec![0; 16 * 1024 * 1024 + 1]).await;
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;

    let list = ok(app.get("/api/v1/plugins", token).await).await;
    assert_eq!(list["total"], 3, "only the defaults: {list}");
}

#[tokio::test]
async fn hostile_configurations_are_refused_before_they_are_active() {
    let app = TestApp::spawn().await;
    let (_, admin) = admin(&app, "acme").await;
    let token = admin.access.as_str();
    let small = json!({"fuel": 50_000_000});

    // The rules fixture is well-behaved with its defaults: accepted.
    let rules = upload_ok(&app, token, "rules", "rules").await;
    let rules_id = rules["id"].as_str().unwrap();
    // With `mode = loop` its evaluate-schedules spins: the conformance run exhausts the fuel.
    let b = assert_error(
        post(
            &app,
            token,
            &format!("/api/v1/plugins/{rules_id}/activate"),
            Some(json!({"params": [text("mode", "loop")], "budget": small})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PLUGIN_FUEL_EXHAUSTED",
    )
    .await;
    assert_eq!(b["meta"]["stage"], "conformance");

    // The assigner fixture plans the sample on the tenant's (default) rules: accepted.
    let assigner = upload_ok(&app, token, "assigner", "assigner").await;
    let calls = assigner["validation"]["conformance"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(calls, ["plan", "tenant-rules", "verification"]);
    let assigner_id = assigner["id"].as_str().unwrap();
    // Its planner loops with `mode = loop`...
    assert_error(
        post(
            &app,
            token,
            &format!("/api/v1/plugins/{assigner_id}/activate"),
            Some(json!({"params": [text("mode", "loop")], "budget": small})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PLUGIN_FUEL_EXHAUSTED",
    )
    .await;
    // ...and calls tenant-rules outside a run with `mode = outside`: a trap, at once.
    let b = assert_error(
        post(
            &app,
            token,
            &format!("/api/v1/plugins/{assigner_id}/activate"),
            Some(json!({"params": [text("mode", "outside")]})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PLUGIN_TRAP",
    )
    .await;
    assert_eq!(b["meta"]["stage"], "validate-params");

    // Nothing of that was activated; a sane configuration of the same plugins is.
    let active = ok(app.get("/api/v1/plugins/active", token).await).await;
    for slot in ["rules", "assigner", "payroll"] {
        assert_eq!(active[slot]["action"], "default", "{slot}: {active}");
    }
    ok(post(
        &app,
        token,
        &format!("/api/v1/plugins/{assigner_id}/activate"),
        None,
    )
    .await)
    .await;
    let entries = ok(app.get("/api/v1/audit/entries", token).await).await;
    assert_eq!(
        entries["total"], 1,
        "refusals are not activations: {entries}"
    );
}

/// A pay input whose attribute `mode` picks the payroll fixture's behaviour.
fn pay_input(mode: &str) -> PayInput {
    let problem = callsheet_engine::generator::custom(6, 3, 1);
    let mut technician = problem.technicians[0].clone();
    technician.contract = callsheet_runtime::types::Contract {
        kind: callsheet_runtime::types::ContractKind::Hourly,
        hourly_rate: 1_800,
        cachet_rate: 0,
    };
    let need = &problem.needs[0];
    PayInput {
        technician,
        period: problem.horizon,
        calendar: problem.calendar.clone(),
        worked: vec![callsheet_runtime::types::WorkedPeriod {
            id: "w1".into(),
            assignment_id: None,
            mission_id: need.mission_id.clone(),
            window: need.window,
            breaks: vec![],
            cachets: 0,
            tags: vec![],
            attributes: vec![],
        }],
        attributes: vec![Param {
            name: "mode".into(),
            value: PluginValue::Text(mode.into()),
        }],
    }
}

#[tokio::test]
async fn hostile_plugins_fail_at_run_time_with_their_code_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin(&app, "acme").await;
    let token = admin.access.as_str();
    let payroll = upload_ok(&app, token, "payroll", "payroll").await;
    let id = payroll["id"].as_str().unwrap();
    ok(post(&app, token, &format!("/api/v1/plugins/{id}/activate"), None).await).await;

    // What the pay input asks for is only known at run time: each hostile behaviour is
    // contained with its code.
    let resolved = plugins::payroll(&app.state, tenant.id).await.unwrap();
    assert_eq!(resolved.identity.name, "fixture-payroll");
    let good = resolved
        .plugin
        .compute_async(pay_input("ok"), vec![])
        .await
        .expect("a good call");
    assert!(good.value.gross > 0);
    for (mode, code) in [
        ("bomb", "PLUGIN_MEMORY_LIMIT"),
        ("recurse", "PLUGIN_TRAP"),
        ("recurse-frames", "PLUGIN_TRAP"),
        ("trap", "PLUGIN_TRAP"),
        ("panic", "PLUGIN_TRAP"),
        // With the server's limits (128 MiB of memory, 32 MiB of output) a payslip big
        // enough to pass the output limit cannot even be built and returned within the
        // memory cap: the memory limit stops it first (the output limit itself is
        // exercised by the runtime's tests, under smaller limits).
        ("huge", "PLUGIN_MEMORY_LIMIT"),
        ("huge-but-fits", ""),
        ("error", "PLUGIN_ERROR"),
    ] {
        let mut input = pay_input(mode);
        if mode.starts_with("huge") {
            // 420,000 lines would serialise to about 34 MB; 20,000 lines are a large but
            // valid payslip.
            let lines = if mode == "huge" { 420_000 } else { 20_000 };
            input.attributes = vec![
                Param {
                    name: "mode".into(),
                    value: PluginValue::Text("huge".into()),
                },
                Param {
                    name: "lines".into(),
                    value: PluginValue::Int(lines),
                },
            ];
        }
        let result = resolved.plugin.compute_async(input, vec![]).await;
        if code.is_empty() {
            assert_eq!(result.expect(mode).value.lines.len(), 20_000);
            continue;
        }
        let err = result.expect_err(mode);
        assert_eq!(err.code(), code, "{mode}: {err}");
        // As the API answers it: a failing plugin is a bad gateway, with its code.
        let api: ApiError = plugins::TenantPluginError::from(err).into();
        assert_eq!((api.status().as_u16(), api.code()), (502, code), "{mode}");
        // The server still answers, and the plugin still computes.
        ok(app.get("/api/v1/plugins/active", token).await).await;
    }

    // An infinite loop runs into the tenant's fuel budget.
    ok(app
        .send_json(
            Method::PUT,
            "/api/v1/plugins/active/payroll/params",
            Some(token),
            &json!({"params": [], "budget": {"fuel": 5_000_000}}),
        )
        .await)
    .await;
    let resolved = plugins::payroll(&app.state, tenant.id).await.unwrap();
    assert_eq!(resolved.plugin.budget().fuel, 5_000_000);
    let err = resolved
        .plugin
        .compute_async(pay_input("loop"), vec![])
        .await
        .expect_err("loop");
    assert_eq!(err.code(), "PLUGIN_FUEL_EXHAUSTED");
    let good = resolved
        .plugin
        .compute_async(pay_input("ok"), vec![])
        .await
        .expect("still computes");
    assert!(good.value.gross > 0);
    ok(app.get("/api/v1/plugins", token).await).await;
}

#[tokio::test]
async fn an_upload_may_exceed_the_json_body_limit_up_to_the_binary_limit() {
    // JSON bodies are limited to 64 KiB here; the 110 KB rules fixture still uploads.
    let app = TestApp::spawn_with(&[("BODY_LIMIT_BYTES", "65536")], false).await;
    let (_, admin) = admin(&app, "acme").await;
    let bytes = fixture("rules");
    assert!(bytes.len() > 65_536);
    let response = upload(&app, &admin.access, "rules", bytes).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // A JSON route keeps its limit.
    let big = json!({"params": [text("mode", &"x".repeat(70_000))]});
    let response = app
        .send_json(
            Method::PUT,
            "/api/v1/plugins/active/rules/params",
            Some(&admin.access),
            &big,
        )
        .await;
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
}
