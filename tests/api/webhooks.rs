//! Webhooks through the outbox, end to end: a change's event is posted, signed, to a
//! receiver the test runs; failures are retried until one success; dead messages are
//! sent again on demand; endpoints are checked and kept per tenant.
//!
//! Signatures are verified here with an HMAC written from RFC 2104 over `sha2` (not the
//! server's code), and, with `CALLSHEET_WEBHOOK_CHECK=1` (`.ci/run` sets it), by the
//! Standard Webhooks reference library for Python.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use callsheet::domain::Role;
use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::planning::{crew, post};

/// What a receiver got: headers and body of each request, in order.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    /// What the receiver answered.
    answered: u16,
}

/// A stand-in for a tenant's endpoint: answers the scripted statuses in turn, then 200.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    async fn start(script: Vec<u16>) -> (Self, String) {
        let receiver = Receiver {
            got: Arc::default(),
            script: Arc::new(Mutex::new(script)),
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let state = state.clone();
                async move {
                    let status = {
                        let mut script = state.script.lock().unwrap();
                        if script.is_empty() {
                            200
                        } else {
                            script.remove(0)
                        }
                    };
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    state.got.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: body.to_vec(),
                        answered: status,
                    });
                    AxumStatus::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `enough` holds of what was received (20 s at most).
    async fn until(&self, what: &str, enough: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.got();
            if enough(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what}: the receiver got {:#?}", self.got());
    }
}

/// A server whose worker polls often and retries fast.
async fn app_with_worker(max_attempts: &'static str) -> TestApp {
    TestApp::spawn_with(
        Box::leak(Box::new([
            ("OUTBOX_WORKER", "true"),
            ("OUTBOX_POLL_MS", "50"),
            ("OUTBOX_RETRY_BASE_MS", "200"),
            ("OUTBOX_RETRY_MAX_SECONDS", "1"),
            ("OUTBOX_MAX_ATTEMPTS", max_attempts),
            ("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true"),
        ])),
        false,
    )
    .await
}

/// HMAC-SHA256 (RFC 2104) over sha2, independent of the server's signing code.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// Whether one of the `v1,` signatures of `r` is the secret's.
fn signed_by(r: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64");
    let mut message = format!("{}.{}.", r.id, r.timestamp).into_bytes();
    message.extend_from_slice(&r.body);
    let expected = format!("v1,{}", STANDARD.encode(hmac_sha256(&key, &message)));
    r.signature.split(' ').any(|s| s == expected)
}

/// With `CALLSHEET_WEBHOOK_CHECK=1`: the `standardwebhooks` library verifies `r`.
fn reference_library_verifies(r: &Received, secret: &str) {
    if std::env::var("CALLSHEET_WEBHOOK_CHECK").as_deref() != Ok("1") {
        return;
    }
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
secret, msg_id, ts, sig = sys.argv[1:5]
body = sys.stdin.buffer.read()
payload = Webhook(secret).verify(body, {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig})
print(json.dumps(payload["type"]))
"#;
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, secret, &r.id, &r.timestamp, &r.signature])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&r.body)
        .expect("body written");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "standardwebhooks refused the delivery: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json_of(r: &Received) -> Value {
    serde_json::from_slice(&r.body).expect("a JSON body")
}

/// A mission with one sound need on the crew's venue; its need's id.
async fn need(app: &TestApp, admin: &str, venue: &str, day: u32) -> String {
    let m = post(
        app,
        admin,
        "/api/v1/missions",
        json!({
            "title": "Show",
            "venue_id": venue,
            "start": format!("2026-07-{day:02}T18:00:00Z"),
            "end": format!("2026-07-{day:02}T22:00:00Z"),
            "needs": [{"skill": "sound", "min_crew": 1}],
        }),
    )
    .await;
    m["needs"][0]["id"].as_str().unwrap().to_owned()
}

/// Puts `technician` on `need`; the answer (`{assignment, ...}`).
async fn assign(
    app: &TestApp,
    admin: &str,
    need: &impl serde::Serialize,
    technician: &impl serde::Serialize,
) -> Value {
    post(
        app,
        admin,
        "/api/v1/assignments",
        json!({"need_id": need, "technician_id": technician}),
    )
    .await
}

/// `POST /notifications/{id}/retry` as `token`.
async fn retry(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/api/v1/notifications/{id}/retry"),
        Some(token),
    )
    .send()
    .await
    .unwrap()
}

async fn register(app: &TestApp, admin: &str, url: &str, types: &[&str]) -> Value {
    let response = app
        .send_json(
            Method::POST,
            "/api/v1/webhooks",
            Some(admin),
            &json!({"url": url, "event_types": types, "description": "payroll tool"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    body(response).await
}

#[tokio::test]
async fn an_assignment_and_its_confirmation_are_posted_signed_to_the_subscribed_endpoint() {
    let app = app_with_worker("8").await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let (receiver, url) = Receiver::start(vec![]).await;
    let hook = register(
        &app,
        &c.admin,
        &url,
        &["assignment.proposed", "assignment.confirmed"],
    )
    .await;
    let secret = hook["secret"].as_str().expect("the secret, shown once");
    assert!(secret.starts_with("whsec_"));
    // Not subscribed: mission events are not posted.
    let need_id = need(&app, &c.admin, &c.venue, 1).await;
    let a = assign(&app, &c.admin, &need_id, &c.technicians[0]).await;
    let a_id = a["assignment"]["id"].as_str().unwrap().to_owned();
    let confirmed = app
        .request(
            Method::POST,
            &format!("/api/v1/assignments/{a_id}/confirm"),
            Some(&c.admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);

    let got = receiver.until("two events", |g| g.len() >= 2).await;
    // Messages are sent concurrently, in no promised order: the body's `timestamp` (when
    // the change happened) orders them.
    let mut by_time: Vec<Value> = got.iter().map(json_of).collect();
    by_time.sort_by_key(|b| b["timestamp"].as_str().unwrap().to_owned());
    let types: Vec<Value> = by_time.iter().map(|b| b["type"].clone()).collect();
    assert_eq!(
        types,
        [json!("assignment.proposed"), json!("assignment.confirmed")]
    );
    for r in &got {
        assert!(signed_by(r, secret), "bad signature on {r:?}");
        assert!(!signed_by(r, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        reference_library_verifies(r, secret);
        let data = &json_of(r)["data"];
        assert_eq!(data["assignment_id"], a_id.as_str());
        assert_eq!(data["technician_id"], c.technicians[0].as_str());
        assert!(r.id.starts_with("msg_"));
        let sent_at: i64 = r.timestamp.parse().expect("Unix seconds");
        assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    }
    assert_ne!(got[0].id, got[1].id, "one message id per message");
    // The secret is not shown again.
    let shown = body(
        app.get(
            &format!("/api/v1/webhooks/{}", hook["id"].as_str().unwrap()),
            &c.admin,
        )
        .await,
    )
    .await;
    assert!(shown.get("secret").is_none(), "{shown}");
    assert_eq!(
        shown["event_types"],
        json!(["assignment.proposed", "assignment.confirmed"])
    );

    // The delivery log: both delivered at the first attempt.
    let log = body(
        app.get(
            &format!(
                "/api/v1/notifications?webhook_id={}",
                hook["id"].as_str().unwrap()
            ),
            &c.admin,
        )
        .await,
    )
    .await;
    assert_eq!(log["total"], 2, "{log}");
    for item in log["items"].as_array().unwrap() {
        assert_eq!(item["state"], "delivered");
        assert_eq!(item["attempts"], 1);
        assert_eq!(item["channel"], "webhook");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), 2, "nothing else was posted");
}

#[tokio::test]
async fn a_receiver_that_fails_twice_then_succeeds_gets_exactly_one_success() {
    let app = app_with_worker("8").await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let (receiver, url) = Receiver::start(vec![500, 503]).await;
    register(&app, &c.admin, &url, &["assignment.proposed"]).await;
    let need_id = need(&app, &c.admin, &c.venue, 1).await;
    assign(&app, &c.admin, &need_id, &c.technicians[0]).await;
    let got = receiver
        .until("a success", |g| g.iter().any(|r| r.answered == 200))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_after = receiver.got();
    assert_eq!(
        got_after.len(),
        3,
        "two failures and one success: {got_after:#?}"
    );
    assert_eq!(
        got_after.iter().filter(|r| r.answered == 200).count(),
        1,
        "exactly one success"
    );
    assert!(
        got.iter().all(|r| r.id == got[0].id),
        "one message id across retries"
    );
    assert!(got.iter().all(|r| r.body == got[0].body), "the same body");

    let list = body(
        app.get("/api/v1/notifications?channel=webhook", &c.admin)
            .await,
    )
    .await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let one = body(
        app.get(&format!("/api/v1/notifications/{id}"), &c.admin)
            .await,
    )
    .await;
    assert_eq!(one["state"], "delivered");
    assert_eq!(one["attempts"], 3);
    let log = one["attempt_log"].as_array().unwrap();
    let statuses: Vec<Value> = log.iter().map(|a| a["status_code"].clone()).collect();
    assert_eq!(statuses, [json!(500), json!(503), json!(200)]);
    assert_eq!(log[0]["succeeded"], false);
    assert!(log[0]["error"].as_str().unwrap().contains("500"));
    assert_eq!(log[2]["succeeded"], true);
}

#[tokio::test]
async fn a_message_dies_after_its_last_attempt_and_an_admin_sends_it_again() {
    let app = app_with_worker("2").await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let (receiver, url) = Receiver::start(vec![500, 500]).await;
    register(&app, &c.admin, &url, &["assignment.proposed"]).await;
    let need_id = need(&app, &c.admin, &c.venue, 1).await;
    assign(&app, &c.admin, &need_id, &c.technicians[0]).await;
    receiver.until("two failures", |g| g.len() >= 2).await;
    let mut dead = Value::Null;
    for _ in 0..100 {
        dead = body(app.get("/api/v1/notifications?state=dead", &c.admin).await).await;
        if dead["total"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dead["total"], 1, "{dead}");
    let id = dead["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(dead["items"][0]["failures"], 2);
    assert!(dead["items"][0]["next_attempt_at"].is_null());

    // Planners read the log; only an admin sends again.
    let manager = app.login_as(&tenant, Role::Manager).await.access;
    assert_eq!(
        app.get(&format!("/api/v1/notifications/{id}"), &manager)
            .await
            .status(),
        StatusCode::OK
    );
    let refused = retry(&app, &manager, &id).await;
    assert_error(refused, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;
    let retried = retry(&app, &c.admin, &id).await;
    assert_eq!(retried.status(), StatusCode::OK);
    let retried = body(retried).await;
    assert_eq!(retried["state"], "pending");
    assert_eq!(retried["failures"], 0);
    let got = receiver
        .until("the retry", |g| g.iter().any(|r| r.answered == 200))
        .await;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.id == got[0].id), "the same webhook-id");

    // Delivered now: sent again on demand too; pending: refused; unknown: 404.
    let mut state = Value::Null;
    for _ in 0..100 {
        state = body(
            app.get(&format!("/api/v1/notifications/{id}"), &c.admin)
                .await,
        )
        .await;
        if state["state"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state["state"], "delivered", "{state}");
    assert_eq!(state["attempts"], 3);
    let again = retry(&app, &c.admin, &id).await;
    assert_eq!(again.status(), StatusCode::OK);
    let twice = retry(&app, &c.admin, &id).await;
    // Either still pending (409), or already delivered again by the fast worker (200).
    assert!(
        [StatusCode::CONFLICT, StatusCode::OK].contains(&twice.status()),
        "{}",
        twice.status()
    );
    let unknown = app
        .request(
            Method::POST,
            &format!("/api/v1/notifications/{}/retry", uuid::Uuid::now_v7()),
            Some(&c.admin),
        )
        .send()
        .await
        .unwrap();
    assert_error(unknown, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
}

#[tokio::test]
async fn a_pending_message_cannot_be_retried() {
    // No worker: the message stays pending.
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let url = "http://127.0.0.1:9/hook";
    let blocked = app
        .send_json(
            Method::POST,
            "/api/v1/webhooks",
            Some(&c.admin),
            &json!({"url": url, "event_types": ["assignment.proposed"]}),
        )
        .await;
    // The test server does not allow private networks: loopback is refused.
    let b = assert_error(blocked, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    assert_eq!(b["meta"]["field"], "url");
    assert!(b["detail"].as_str().unwrap().contains("127.0.0.1"), "{b}");
    let hook = register(
        &app,
        &c.admin,
        "https://hooks.example.com/x",
        &["assignment.proposed"],
    )
    .await;
    let need_id = need(&app, &c.admin, &c.venue, 1).await;
    assign(&app, &c.admin, &need_id, &c.technicians[0]).await;
    // Fan the event out by hand (no worker runs): one pending message.
    let storage = &app.storage;
    let now = chrono::Utc::now();
    let events = storage
        .claim_events(now, now + chrono::Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let deliveries =
        callsheet::notify::fanout::deliveries_for(storage, &events[0], Default::default())
            .await
            .unwrap();
    storage
        .dispatch_event(&events[0], &deliveries, now)
        .await
        .unwrap();
    // Twice changes nothing: the message is unique per event, channel and target.
    storage
        .dispatch_event(&events[0], &deliveries, now)
        .await
        .unwrap();
    let list = body(app.get("/api/v1/notifications", &c.admin).await).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["state"], "pending");
    assert_eq!(list["items"][0]["webhook_id"], hook["id"]);
    let id = list["items"][0]["id"].as_str().unwrap();
    let pending = retry(&app, &c.admin, id).await;
    assert_error(pending, StatusCode::CONFLICT, "NOTIFICATION_PENDING").await;
}

#[tokio::test]
async fn endpoints_are_checked_limited_and_kept_per_tenant() {
    let app = TestApp::spawn().await;
    let acme = app.create_tenant("acme").await;
    let other = app.create_tenant("other").await;
    let admin = app.login_as(&acme, Role::Admin).await.access;
    let other_admin = app.login_as(&other, Role::Admin).await.access;
    for (payload, field) in [
        (
            json!({"url": "https://h.example/x", "event_types": []}),
            "event_types",
        ),
        (
            json!({"url": "ftp://h.example/x", "event_types": ["run.committed"]}),
            "url",
        ),
        (
            json!({"url": "https://u:p@h.example/x", "event_types": ["run.committed"]}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/latest", "event_types": ["run.committed"]}),
            "url",
        ),
        (
            json!({"url": "http://localhost:8080/", "event_types": ["run.committed"]}),
            "url",
        ),
        (
            json!({"url": "https://h.example/x", "event_types": ["run.comitted"]}),
            "event_types",
        ),
    ] {
        let response = app
            .send_json(Method::POST, "/api/v1/webhooks", Some(&admin), &payload)
            .await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert!(
            b["meta"]["field"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{payload}: {b}"
        );
    }
    let hook = register(
        &app,
        &admin,
        "https://h.example/x",
        &["run.committed", "run.committed"],
    )
    .await;
    assert_eq!(
        hook["event_types"],
        json!(["run.committed"]),
        "deduplicated"
    );
    let id = hook["id"].as_str().unwrap();
    // Another tenant does not see it.
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{id}"), &other_admin)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let theirs = body(app.get("/api/v1/webhooks", &other_admin).await).await;
    assert_eq!(theirs, json!([]));
    let deleted = app
        .request(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&other_admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NOT_FOUND);
    // Managers cannot see secrets' owners at all.
    let manager = app.login_as(&acme, Role::Manager).await.access;
    let refused = app.get("/api/v1/webhooks", &manager).await;
    assert_error(refused, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;

    // Changes: a bad URL is refused and nothing changes; null for the events is refused.
    let bad = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            &json!({"url": "http://10.0.0.1/"}),
        )
        .await;
    assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    let null = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            &json!({"event_types": null}),
        )
        .await;
    assert_error(null, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    let changed = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
            &json!({"active": false, "description": null, "event_types": ["mission.moved", "mission.cancelled"]}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed = body(changed).await;
    assert_eq!(changed["url"], "https://h.example/x");
    assert_eq!(changed["active"], false);
    assert!(changed["description"].is_null());
    assert_eq!(
        changed["event_types"],
        json!(["mission.moved", "mission.cancelled"])
    );

    // Twenty at most.
    for i in 1..20 {
        register(
            &app,
            &admin,
            &format!("https://h.example/{i}"),
            &["run.committed"],
        )
        .await;
    }
    let over = app
        .send_json(
            Method::POST,
            "/api/v1/webhooks",
            Some(&admin),
            &json!({"url": "https://h.example/21", "event_types": ["run.committed"]}),
        )
        .await;
    let b = assert_error(over, StatusCode::CONFLICT, "WEBHOOK_LIMIT").await;
    assert_eq!(b["meta"]["max"], 20);
    let gone = app
        .request(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{id}"), &admin)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_during_the_grace() {
    let app = app_with_worker("8").await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 1).await;
    let (receiver, url) = Receiver::start(vec![]).await;
    let hook = register(&app, &c.admin, &url, &["assignment.proposed"]).await;
    let old = hook["secret"].as_str().unwrap().to_owned();
    let rotated = app
        .request(
            Method::POST,
            &format!(
                "/api/v1/webhooks/{}/rotate-secret",
                hook["id"].as_str().unwrap()
            ),
            Some(&c.admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated = body(rotated).await;
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_expires_at"].is_string());
    let need_id = need(&app, &c.admin, &c.venue, 1).await;
    assign(&app, &c.admin, &need_id, &c.technicians[0]).await;
    let got = receiver.until("the event", |g| !g.is_empty()).await;
    assert_eq!(
        got[0].signature.split(' ').count(),
        2,
        "{}",
        got[0].signature
    );
    assert!(signed_by(&got[0], &new) && signed_by(&got[0], &old));
    reference_library_verifies(&got[0], &new);
    reference_library_verifies(&got[0], &old);
}

/// Every event recorded so far, oldest first, with its payload (claims them: no worker
/// runs in these tests).
async fn events(app: &TestApp) -> Vec<(String, Value)> {
    let now = chrono::Utc::now();
    app.storage
        .claim_events(now, now + chrono::Duration::seconds(600), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.event_type.as_str().to_owned(),
                serde_json::from_str(&e.payload).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_change_records_its_event_and_a_refused_one_records_none() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 2).await;
    let first = need(&app, &c.admin, &c.venue, 1).await;
    assert!(
        events(&app).await.is_empty(),
        "creating a mission is not news"
    );
    let a = assign(&app, &c.admin, &first, &c.technicians[0]).await;
    let a_id = a["assignment"]["id"].as_str().unwrap().to_owned();
    // Refused (the technician is booked): no event.
    let clash_need = need(&app, &c.admin, &c.venue, 1).await;
    let clash = app
        .send_json(
            Method::POST,
            "/api/v1/assignments",
            Some(&c.admin),
            &json!({"need_id": clash_need, "technician_id": c.technicians[0]}),
        )
        .await;
    assert_eq!(clash.status(), StatusCode::CONFLICT);
    let seen = events(&app).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, "assignment.proposed");
    assert_eq!(seen[0].1["assignment_id"], a_id.as_str());
    assert_eq!(seen[0].1["status"], "proposed");

    // Pinning is no news; confirming and declining are.
    for action in ["pin", "confirm", "unpin", "decline"] {
        let response = app
            .request(
                Method::POST,
                &format!("/api/v1/assignments/{a_id}/{action}"),
                Some(&c.admin),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{action}");
    }
    let seen: Vec<String> = events(&app).await.into_iter().map(|e| e.0).collect();
    assert_eq!(seen, ["assignment.confirmed", "assignment.declined"]);

    // A second assignment, deleted: cancelled, with what it was.
    let b = assign(&app, &c.admin, &clash_need, &c.technicians[1]).await;
    let b_id = b["assignment"]["id"].as_str().unwrap().to_owned();
    let deleted = app
        .request(
            Method::DELETE,
            &format!("/api/v1/assignments/{b_id}"),
            Some(&c.admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let seen = events(&app).await;
    let kinds: Vec<&str> = seen.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(kinds, ["assignment.proposed", "assignment.cancelled"]);
    assert_eq!(seen[1].1["technician_id"], c.technicians[1].as_str());

    // A mission moved, then cancelled: each with its crew.
    let m = post(
        &app,
        &c.admin,
        "/api/v1/missions",
        json!({"title": "Gala", "venue_id": c.venue, "start": "2026-07-10T18:00:00Z",
               "end": "2026-07-10T22:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    let m_id = m["id"].as_str().unwrap();
    assign(&app, &c.admin, &m["needs"][0]["id"], &c.technicians[1]).await;
    for patch in [
        json!({"title": "Gala night"}),
        json!({"start": "2026-07-11T18:00:00Z", "end": "2026-07-11T22:00:00Z"}),
        json!({"status": "cancelled"}),
    ] {
        let response = app
            .send_json(
                Method::PATCH,
                &format!("/api/v1/missions/{m_id}"),
                Some(&c.admin),
                &patch,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{patch}");
    }
    let seen = events(&app).await;
    let kinds: Vec<&str> = seen.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        kinds,
        ["assignment.proposed", "mission.moved", "mission.cancelled"]
    );
    let moved = &seen[1].1;
    assert_eq!(moved["previous_start_at"], "2026-07-10T18:00:00Z");
    assert_eq!(moved["start_at"], "2026-07-11T18:00:00Z");
    assert_eq!(moved["crew"], json!([c.technicians[1]]));
    assert_eq!(seen[2].1["crew"], json!([c.technicians[1]]));
    assert_eq!(seen[2].1["title"], "Gala night");
}

#[tokio::test]
async fn a_run_a_submitted_timesheet_and_a_closed_period_record_their_events() {
    use crate::timesheets::{assigned, team};
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    let a = assigned(&app, &t, 0, "2026-07-06T08:00:00Z", "2026-07-06T18:00:00Z").await;
    // A second mission for the run to fill.
    need(&app, &t.crew.admin, &t.crew.venue, 8).await;
    events(&app).await;
    let run = post(
        &app,
        &t.crew.admin,
        "/api/v1/assignments/auto",
        json!({"from": "2026-07-08", "to": "2026-07-08"}),
    )
    .await;
    let seen = events(&app).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, "run.committed");
    assert_eq!(seen[0].1["run_id"], run["run_id"]);
    assert_eq!(seen[0].1["created"].as_array().unwrap().len(), 1);
    assert_eq!(seen[0].1["deleted"], json!([]));

    let sheet = post(
        &app,
        &t.tech,
        "/api/v1/timesheets",
        json!({"assignment_id": a}),
    )
    .await;
    let sheet_id = sheet["id"].as_str().unwrap();
    assert!(events(&app).await.is_empty(), "a draft is not news");
    for (path, token) in [
        (format!("/api/v1/timesheets/{sheet_id}/submit"), &t.tech),
        (format!("/api/v1/timesheets/{sheet_id}/approve"), &t.manager),
    ] {
        let response = app
            .send_json(Method::POST, &path, Some(token), &Value::Null)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let seen = events(&app).await;
    let kinds: Vec<&str> = seen.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(kinds, ["timesheet.submitted"]);
    assert_eq!(seen[0].1["timesheet_id"], sheet_id);
    assert_eq!(seen[0].1["worked_seconds"], 36_000);

    post(
        &app,
        &t.manager,
        "/api/v1/timesheets/close",
        json!({"period": "2026-07"}),
    )
    .await;
    let seen = events(&app).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "period.closed");
    assert_eq!(seen[0].1["label"], "2026-07");
}

#[tokio::test]
async fn a_month_after_the_last_attempt_an_event_and_its_final_messages_are_purged() {
    use callsheet::storage::outbox::{Attempt, Outcome};
    // No worker: each step is taken by hand, so nothing moves behind the test's back.
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let c = crew(&app, &tenant, 2).await;
    register(
        &app,
        &c.admin,
        "https://hooks.example/x",
        &["assignment.proposed"],
    )
    .await;
    let first = need(&app, &c.admin, &c.venue, 1).await;
    assign(&app, &c.admin, &first, &c.technicians[0]).await;
    assert_eq!(app.fan_out_events().await, 1);
    // Its message delivered.
    let now = chrono::Utc::now();
    let claimed = app
        .storage
        .claim_deliveries(now, now + chrono::Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let attempt = Attempt {
        attempt: claimed[0].delivery.attempts,
        started_at: now,
        duration_ms: 3,
        status_code: Some(204),
        error: None,
        succeeded: true,
    };
    assert!(
        app.storage
            .record_attempt(
                &claimed[0].delivery,
                &attempt,
                &Outcome::Delivered,
                None,
                now
            )
            .await
            .unwrap()
    );
    // A second event whose message stays pending.
    let second = need(&app, &c.admin, &c.venue, 2).await;
    assign(&app, &c.admin, &second, &c.technicians[1]).await;
    assert_eq!(app.fan_out_events().await, 1);

    assert_eq!(
        app.storage
            .purge_outbox(chrono::Utc::now() - chrono::Duration::days(30))
            .await
            .unwrap(),
        0,
        "too recent"
    );
    let later = chrono::Utc::now() + chrono::Duration::days(31);
    assert_eq!(
        app.storage.purge_outbox(later).await.unwrap(),
        1,
        "the delivered one's event only: a pending message keeps its event"
    );
    let left = body(app.get("/api/v1/notifications", &c.admin).await).await;
    assert_eq!(left["total"], 1, "{left}");
    assert_eq!(left["items"][0]["state"], "pending");
}
