//! The outbox against crashes and replicas, on the real binary: a server killed with
//! `SIGKILL` while its messages are pending loses none and duplicates none once another
//! starts on the same database; two replicas on one PostgreSQL deliver each message once.
//!
//! The receiver stands in for a tenant's endpoint and counts, per `webhook-id`, the
//! deliveries it accepted. Runs on SQLite, and on PostgreSQL when
//! `CALLSHEET_TEST_POSTGRES_URL` is set (a database of its own, dropped afterwards).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use support::Running as Server;

mod support;

/// What the receiver saw: per message id, the assignment it announced and how many times
/// it was accepted; and how many deliveries it refused.
#[derive(Default)]
struct Seen {
    accepted: BTreeMap<String, (String, usize)>,
    refused: usize,
}

#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Seen>>,
    accepting: Arc<AtomicBool>,
}

impl Receiver {
    async fn start(accepting: bool) -> (Self, String) {
        let receiver = Receiver {
            seen: Arc::default(),
            accepting: Arc::new(AtomicBool::new(accepting)),
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    // Decided on arrival: a request sent by the server killed below arrives
                    // while the receiver refuses, and is refused even if the answer comes
                    // after the switch (its sender is dead and never learns it).
                    let accepting = state.accepting.load(Ordering::SeqCst);
                    // A little latency, so concurrent workers overlap.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let mut seen = state.seen.lock().unwrap();
                    if !accepting {
                        seen.refused += 1;
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let id = headers["webhook-id"].to_str().unwrap().to_owned();
                    let body: Value = serde_json::from_slice(&body).unwrap();
                    let assignment = body["data"]["assignment_id"].as_str().unwrap().to_owned();
                    seen.accepted.entry(id).or_insert((assignment, 0)).1 += 1;
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    /// Waits until `enough` holds (30 s at most).
    async fn until(&self, what: &str, enough: impl Fn(&Seen) -> bool) {
        for _ in 0..600 {
            if enough(&self.seen.lock().unwrap()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seen = self.seen.lock().unwrap();
        panic!(
            "{what}: accepted {} messages, refused {}",
            seen.accepted.len(),
            seen.refused
        );
    }
}

/// The database the servers share: a SQLite file, or a PostgreSQL database of its own.
struct Database {
    url: String,
    dir: PathBuf,
    postgres: Option<(String, String)>,
}

impl Database {
    async fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("callsheet-outbox-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        match std::env::var("CALLSHEET_TEST_POSTGRES_URL") {
            Ok(admin) => {
                let name = format!("callsheet_test_{id}");
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap();
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                let url = match admin.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => panic!("CALLSHEET_TEST_POSTGRES_URL names no database"),
                };
                Self {
                    url,
                    dir,
                    postgres: Some((admin, name)),
                }
            }
            Err(_) => Self {
                url: format!("sqlite://{}", dir.join("outbox.db").display()),
                dir,
                postgres: None,
            },
        }
    }

    async fn drop_it(self) {
        if let Some((admin, name)) = &self.postgres {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin)
                .await
                .unwrap();
            let _ = sqlx::Executor::execute(
                &mut conn,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
            )
            .await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Fast polls and retries, a short lease: a dead replica's claims expire quickly. Replicas
/// share a signing key, as in production: a token from one is good on all.
fn outbox_envs() -> Vec<(&'static str, String)> {
    [
        ("JWT_SECRET", "outbox-test-secret-0123456789-0123456789"),
        ("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "0"),
        ("RATE_LIMIT_PER_TENANT_PER_MINUTE", "0"),
        ("OUTBOX_POLL_MS", "50"),
        ("OUTBOX_RETRY_BASE_MS", "100"),
        ("OUTBOX_RETRY_MAX_SECONDS", "1"),
        ("OUTBOX_MAX_ATTEMPTS", "1000"),
        ("WEBHOOK_TIMEOUT_SECONDS", "1"),
        ("OUTBOX_LEASE_SECONDS", "2"),
        ("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

fn create_tenant(db: &Database) {
    support::create_tenant(&db.dir, &db.url);
}

async fn serve(db: &Database) -> Server {
    support::serve(&db.dir, &db.url, &outbox_envs()).await
}

async fn token(client: &reqwest::Client, server: &Server) -> String {
    support::admin_token(client, &server.base).await
}

async fn post(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    path: &str,
    body: Value,
) -> Value {
    let response = client
        .post(format!("{}{path}", server.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "POST {path}: {status} {body}");
    body
}

/// Registers the receiver, then makes `count` assignments (one event each) through the
/// given servers in turn; their ids.
async fn assignments(servers: &[&Server], url: &str, count: usize) -> BTreeSet<String> {
    let client = reqwest::Client::new();
    let first = servers[0];
    let admin = token(&client, first).await;
    post(
        &client,
        first,
        &admin,
        "/webhooks",
        json!({"url": url, "event_types": ["assignment.proposed"]}),
    )
    .await;
    let venue = post(
        &client,
        first,
        &admin,
        "/venues",
        json!({"name": "Olympia"}),
    )
    .await;
    let mission = post(
        &client,
        first,
        &admin,
        "/missions",
        json!({"title": "Festival", "venue_id": venue["id"], "start": "2026-07-01T18:00:00Z",
               "end": "2026-07-01T22:00:00Z", "needs": [{"skill": "sound", "min_crew": count}]}),
    )
    .await;
    let mut ids = BTreeSet::new();
    for i in 0..count {
        let server = servers[i % servers.len()];
        let technician = post(
            &client,
            server,
            &admin,
            "/technicians",
            json!({"name": format!("Tech {i:02}"), "skills": ["sound"],
                   "contract": {"kind": "hourly", "hourly_rate_cents": 2500, "cachet_rate_cents": 0}}),
        )
        .await;
        let a = post(
            &client,
            server,
            &admin,
            "/assignments",
            json!({"need_id": mission["needs"][0]["id"], "technician_id": technician["id"]}),
        )
        .await;
        ids.insert(a["assignment"]["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// Every assignment announced by exactly one accepted message, each accepted once.
fn assert_each_once(receiver: &Receiver, ids: &BTreeSet<String>) {
    let seen = receiver.seen.lock().unwrap();
    let duplicated: Vec<_> = seen.accepted.iter().filter(|(_, (_, n))| *n != 1).collect();
    assert!(
        duplicated.is_empty(),
        "accepted more than once: {duplicated:?}"
    );
    let announced: BTreeSet<String> = seen.accepted.values().map(|(a, _)| a.clone()).collect();
    assert_eq!(&announced, ids, "each assignment announced");
    assert_eq!(seen.accepted.len(), ids.len(), "one message per assignment");
}

#[tokio::test]
async fn a_server_killed_with_messages_pending_loses_none_and_duplicates_none() {
    let db = Database::new().await;
    create_tenant(&db);
    let (receiver, url) = Receiver::start(false).await;
    let mut first = serve(&db).await;
    let ids = assignments(&[&first], &url, 12).await;
    // Every message has been tried and refused at least once: all pending, some in flight.
    receiver
        .until("the first attempts", |s| s.refused >= 12)
        .await;
    first.child.kill().unwrap(); // SIGKILL: no shutdown, claims left behind
    first.child.wait().unwrap();
    receiver.accepting.store(true, Ordering::SeqCst);
    let _second = serve(&db).await;
    receiver
        .until("every message", |s| s.accepted.len() >= ids.len())
        .await;
    // Long enough for a lease to run out and a duplicate to show up, if one could.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_each_once(&receiver, &ids);
    drop(_second);
    db.drop_it().await;
}

#[tokio::test]
async fn two_replicas_on_one_database_deliver_each_message_once() {
    let db = Database::new().await;
    if db.postgres.is_none() {
        // One SQLite file is one server's (the embedded default); replicas share PostgreSQL.
        db.drop_it().await;
        return;
    }
    create_tenant(&db);
    let (receiver, url) = Receiver::start(true).await;
    let a = serve(&db).await;
    let b = serve(&db).await;
    let ids = assignments(&[&a, &b], &url, 40).await;
    receiver
        .until("every message", |s| s.accepted.len() >= ids.len())
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_each_once(&receiver, &ids);
    drop((a, b));
    db.drop_it().await;
}
