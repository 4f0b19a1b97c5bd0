//! Mail and Telegram notifications, end to end: a real SMTP server (`aiosmtpd`, from
//! PyPI) started by the test receives the mails, which Python's `email` package parses
//! (headers, both parts, the ICS attached); a local HTTP server stands in for the Telegram
//! Bot API. Users choose their language, chat and channels per event.
//!
//! The mail test needs `aiosmtpd`: with `CALLSHEET_SMTP_CHECK=1` (`.ci/run` sets it) a
//! missing one fails the test; without, the test is skipped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode as AxumStatus;
use callsheet::domain::Role;
use callsheet_e2e::{TestApp, assert_error, body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::planning::post;
use crate::timesheets::team;

/// An `aiosmtpd` server writing what it receives into a maildir; killed on drop.
struct SmtpServer {
    child: Child,
    maildir: PathBuf,
    port: u16,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

impl SmtpServer {
    /// `None` when aiosmtpd is not installed and the check is not required.
    async fn start() -> Option<Self> {
        let installed = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var("CALLSHEET_SMTP_CHECK").as_deref() != Ok("1"),
                "CALLSHEET_SMTP_CHECK=1 but aiosmtpd is not installed (pip install aiosmtpd)"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir =
            std::env::temp_dir().join(format!("callsheet-smtp-{}", uuid::Uuid::new_v4().simple()));
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let server = Self {
            child,
            maildir,
            port,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start");
    }

    /// Every mail received, parsed by Python's `email` package.
    fn mails(&self) -> Vec<Value> {
        parse_maildir(&self.maildir)
    }

    async fn until(&self, count: usize) -> Vec<Value> {
        for _ in 0..400 {
            let mails = self.mails();
            if mails.len() >= count {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} mails, got {:#?}", self.mails());
    }
}

/// Each message of the maildir: its headers, and each leaf part's type, file name and text.
fn parse_maildir(maildir: &Path) -> Vec<Value> {
    let script = r#"
import email, email.policy, json, mailbox, sys
out = []
for key, raw in sorted(mailbox.Maildir(sys.argv[1], create=False).iteritems()):
    msg = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
    parts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        parts.append({
            "type": part.get_content_type(),
            "method": part.get_param("method"),
            "filename": part.get_filename(),
            "text": part.get_content() if part.get_content_maintype() == "text" else None,
        })
    out.append({
        "subject": str(msg["subject"]), "to": str(msg["to"]), "from": str(msg["from"]),
        "message_id": str(msg["message-id"]), "type": msg.get_content_type(), "parts": parts,
    })
print(json.dumps(out))
"#;
    if !maildir.join("new").exists() {
        return Vec::new();
    }
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(maildir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// A stand-in for the Telegram Bot API: records each `sendMessage`.
#[derive(Clone, Default)]
struct BotApi {
    got: Arc<Mutex<Vec<(String, Value)>>>,
}

impl BotApi {
    async fn start() -> (Self, String) {
        let api = BotApi::default();
        let state = api.clone();
        let app = axum::Router::new().route(
            "/{bot}/sendMessage",
            axum::routing::post(
                move |axum::extract::Path(bot): axum::extract::Path<String>,
                      axum::Json(body): axum::Json<Value>| {
                    let state = state.clone();
                    async move {
                        state.got.lock().unwrap().push((bot, body));
                        (
                            AxumStatus::OK,
                            axum::Json(json!({"ok": true, "result": {"message_id": 1}})),
                        )
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (api, url)
    }

    fn got(&self) -> Vec<(String, Value)> {
        self.got.lock().unwrap().clone()
    }
}

async fn settings(app: &TestApp, token: &str, payload: Value) -> reqwest::Response {
    app.send_json(
        Method::PUT,
        "/api/v1/users/me/notifications",
        Some(token),
        &payload,
    )
    .await
}

#[tokio::test]
async fn a_technician_gets_their_proposal_by_mail_with_the_ics_and_by_telegram_in_their_language() {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let (bot, bot_url) = BotApi::start().await;
    let smtp_port = smtp.port.to_string();
    let vars: Vec<(&'static str, &'static str)> = vec![
        ("OUTBOX_WORKER", "true"),
        ("OUTBOX_POLL_MS", "50"),
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", Box::leak(smtp_port.into_boxed_str())),
        ("SMTP_TLS", "none"),
        ("SMTP_FROM", "Callsheet <planning@acme.test>"),
        ("TELEGRAM_BOT_TOKEN", "123456:test-token"),
        ("TELEGRAM_API_URL", Box::leak(bot_url.into_boxed_str())),
    ];
    let app = TestApp::spawn_with(Box::leak(vars.into_boxed_slice()), false).await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;

    // Defaults until chosen: French, no chat, the news others make about their work.
    let defaults = body(app.get("/api/v1/users/me/notifications", &t.tech).await).await;
    assert_eq!(defaults["language"], "fr");
    assert!(defaults["telegram_chat_id"].is_null());
    assert_eq!(
        defaults["channels"]["assignment.proposed"],
        json!(["mail", "telegram"])
    );
    assert!(defaults["channels"].get("assignment.confirmed").is_none());
    assert_eq!(defaults["mail_available"], true);
    assert_eq!(defaults["telegram_available"], true);

    let chosen = settings(
        &app,
        &t.tech,
        json!({"language": "en", "telegram_chat_id": "4242",
               "channels": {"assignment.proposed": ["mail", "telegram"], "mission.cancelled": ["mail"]}}),
    )
    .await;
    assert_eq!(chosen.status(), StatusCode::OK);

    let mission = post(
        &app,
        &t.crew.admin,
        "/api/v1/missions",
        json!({"title": "Rock & Roll night", "venue_id": t.crew.venue, "start": "2026-07-06T16:00:00Z",
               "end": "2026-07-06T22:00:00Z", "needs": [{"skill": "sound", "min_crew": 1}]}),
    )
    .await;
    let a = post(
        &app,
        &t.crew.admin,
        "/api/v1/assignments",
        json!({"need_id": mission["needs"][0]["id"], "technician_id": t.crew.technicians[0]}),
    )
    .await;
    let a_id = a["assignment"]["id"].as_str().unwrap().to_owned();

    let mails = smtp.until(1).await;
    let mail = &mails[0];
    assert_eq!(mail["subject"], "Proposed: Rock & Roll night");
    assert_eq!(mail["to"], "ana@acme.test");
    assert_eq!(mail["from"], "Callsheet <planning@acme.test>");
    assert!(mail["message_id"].as_str().unwrap().contains("msg_"));
    assert_eq!(mail["type"], "multipart/mixed");
    let parts = mail["parts"].as_array().unwrap();
    let part = |kind: &str| {
        parts
            .iter()
            .find(|p| p["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} part in {parts:#?}"))
    };
    let text = part("text/plain")["text"].as_str().unwrap();
    assert!(text.starts_with("Hello,"), "{text}");
    assert!(
        text.contains(
            "Rock & Roll night, Zénith: 2026-07-06 18:00 - 2026-07-07 00:00 (Europe/Paris)"
        ),
        "{text}"
    );
    let html = part("text/html")["text"].as_str().unwrap();
    assert!(html.contains("Rock &amp; Roll night"), "{html}");
    let ics = part("text/calendar");
    assert_eq!(ics["filename"], "callsheet.ics");
    assert_eq!(ics["method"], "PUBLISH");
    let calendar = ics["text"].as_str().unwrap();
    assert!(calendar.contains("BEGIN:VCALENDAR"));
    assert!(
        calendar.contains(&format!("UID:{a_id}@callsheet")),
        "{calendar}"
    );
    assert!(calendar.contains("STATUS:TENTATIVE"));

    let mut sent = Vec::new();
    for _ in 0..200 {
        sent = bot.got();
        if !sent.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "bot123456:test-token");
    assert_eq!(sent[0].1["chat_id"], "4242");
    assert!(
        sent[0].1["text"]
            .as_str()
            .unwrap()
            .starts_with("Proposed: Rock & Roll night")
    );

    // Their own answer is not news to them; a cancellation is, in French now, mail only.
    let confirmed = app
        .request(
            Method::POST,
            &format!("/api/v1/assignments/{a_id}/confirm"),
            Some(&t.tech),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    let french = settings(
        &app,
        &t.tech,
        json!({"language": "fr", "telegram_chat_id": "4242",
               "channels": {"mission.cancelled": ["mail"]}}),
    )
    .await;
    assert_eq!(french.status(), StatusCode::OK);
    let cancelled = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/missions/{}", mission["id"].as_str().unwrap()),
            Some(&t.crew.admin),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    // The maildir's order is not the order of arrival: the mail is found by its subject.
    let mails = smtp.until(2).await;
    let mail = mails
        .iter()
        .find(|m| m["subject"] == "Mission annulée : Rock & Roll night")
        .unwrap_or_else(|| panic!("no cancellation mail in {mails:#?}"));
    let parts = mail["parts"].as_array().unwrap();
    assert!(
        parts.iter().all(|p| p["type"] != "text/calendar"),
        "nothing to add to a calendar: {parts:#?}"
    );
    assert!(
        parts
            .iter()
            .any(|p| p["type"] == "text/plain"
                && p["text"].as_str().unwrap().starts_with("Bonjour,"))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.mails().len(), 2, "nothing for the confirmation");
    assert_eq!(bot.got().len(), 1, "no Telegram for the cancellation");

    // The log shows each message, delivered.
    let log = body(
        app.get("/api/v1/notifications?channel=mail", &t.crew.admin)
            .await,
    )
    .await;
    assert_eq!(log["total"], 2, "{log}");
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["state"] == "delivered")
    );
}

#[tokio::test]
async fn notification_settings_are_checked_and_each_user_s_own() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let tech = app.login_as(&tenant, Role::Tech).await.access;
    let viewer = app.login_as(&tenant, Role::Viewer).await.access;
    let off = body(app.get("/api/v1/users/me/notifications", &tech).await).await;
    assert_eq!(off["mail_available"], false, "no SMTP configured");
    assert_eq!(off["telegram_available"], false);
    for (payload, field) in [
        (
            json!({"language": "de", "telegram_chat_id": null, "channels": {}}),
            "language",
        ),
        (
            json!({"language": "fr", "telegram_chat_id": null, "channels": {"period.closed": ["mail"]}}),
            "channels",
        ),
        (
            json!({"language": "fr", "telegram_chat_id": null, "channels": {"assignment.proposed": ["webhook"]}}),
            "channels",
        ),
        (
            json!({"language": "fr", "telegram_chat_id": null, "channels": {"assignment.proposed": ["pigeon"]}}),
            "channels",
        ),
        (
            json!({"language": "fr", "telegram_chat_id": "12 34", "channels": {}}),
            "telegram_chat_id",
        ),
    ] {
        let response = settings(&app, &tech, payload.clone()).await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert!(
            b["meta"]["field"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{payload}: {b}"
        );
    }
    // Nothing changed.
    assert_eq!(
        body(app.get("/api/v1/users/me/notifications", &tech).await).await,
        off
    );
    // Everyone sets their own; an empty choice hears nothing.
    let silent = settings(
        &app,
        &viewer,
        json!({"language": "en", "telegram_chat_id": "@crew_bot_chat", "channels": {}}),
    )
    .await;
    assert_eq!(silent.status(), StatusCode::OK);
    let silent = body(silent).await;
    assert_eq!(silent["channels"], json!({}));
    assert_eq!(silent["telegram_chat_id"], "@crew_bot_chat");
    assert_eq!(
        body(app.get("/api/v1/users/me/notifications", &tech).await).await["language"],
        "fr"
    );
    let anonymous = app
        .request(Method::GET, "/api/v1/users/me/notifications", None)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_run_tells_each_technician_its_proposals_in_one_mail() {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let smtp_port = smtp.port.to_string();
    let vars: Vec<(&'static str, &'static str)> = vec![
        ("OUTBOX_WORKER", "true"),
        ("OUTBOX_POLL_MS", "50"),
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", Box::leak(smtp_port.into_boxed_str())),
        ("SMTP_TLS", "none"),
        ("SMTP_FROM", "planning@acme.test"),
    ];
    let app = TestApp::spawn_with(Box::leak(vars.into_boxed_slice()), false).await;
    let tenant = app.create_tenant("acme").await;
    let t = team(&app, &tenant).await;
    // Only Ana (technician 0, with an account) can be told; the other has none.
    for (title, day) in [("Load-in", "06"), ("Show", "07"), ("Load-out", "08")] {
        post(
            &app,
            &t.crew.admin,
            "/api/v1/missions",
            json!({"title": title, "venue_id": t.crew.venue, "start": format!("2026-07-{day}T16:00:00Z"),
                   "end": format!("2026-07-{day}T20:00:00Z"), "needs": [{"skill": "sound", "min_crew": 2}]}),
        )
        .await;
    }
    let run = post(
        &app,
        &t.crew.admin,
        "/api/v1/assignments/auto",
        json!({"from": "2026-07-06", "to": "2026-07-08"}),
    )
    .await;
    assert_eq!(run["created"], 6, "{run}");
    let mails = smtp.until(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.mails().len(), 1, "one mail for the whole run");
    let mail = &mails[0];
    assert_eq!(mail["subject"], "3 nouvelles propositions");
    assert_eq!(mail["to"], "ana@acme.test");
    let text = mail["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "text/plain")
        .and_then(|p| p["text"].as_str())
        .unwrap()
        .to_owned();
    for line in [
        "- Load-in, Zénith: 2026-07-06 18:00 - 22:00 (Europe/Paris)",
        "- Show, Zénith: 2026-07-07 18:00 - 22:00 (Europe/Paris)",
        "- Load-out, Zénith: 2026-07-08 18:00 - 22:00 (Europe/Paris)",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(
        mail["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["type"] == "text/calendar"),
        "the three shifts' calendar"
    );
}
