//! Traces over OTLP/HTTP, end to end: the `callsheet` binary exports to a receiver this test
//! starts, which decodes each request with the official protobuf definitions
//! (`opentelemetry-proto`); the test then checks the span tree and its attributes.

use std::path::PathBuf;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

mod support;

type Received = Arc<Mutex<Vec<Span>>>;

async fn receive(State(spans): State<Received>, body: Bytes) -> &'static str {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf request");
    let mut spans = spans.lock().unwrap();
    for resource in request.resource_spans {
        for scope in resource.scope_spans {
            spans.extend(scope.spans);
        }
    }
    ""
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| {
        match a.value.as_ref()?.value.as_ref()? {
            AnyValue::StringValue(s) => Some(s.clone()),
            AnyValue::IntValue(i) => Some(i.to_string()),
            AnyValue::BoolValue(b) => Some(b.to_string()),
            AnyValue::DoubleValue(d) => Some(d.to_string()),
            _ => None,
        }
    })
}

/// The first span received that matches, waiting up to 10 s for the batches to arrive.
async fn exported(spans: &Received, what: &str, matches: impl Fn(&Span) -> bool) -> Span {
    for _ in 0..200 {
        if let Some(span) = spans.lock().unwrap().iter().find(|s| matches(s)) {
            return span.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} never reached the collector");
}

/// The test's folder, removed when dropped (after the server, declared before it).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_request_is_exported_as_a_span_tree_continuing_the_callers_trace() {
    // The receiver.
    let spans: Received = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/v1/traces", post(receive))
        .with_state(spans.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // A tenant, then the server with traces on.
    let dir =
        std::env::temp_dir().join(format!("callsheet-otlp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let scratch = Scratch(dir);
    let database = format!("sqlite://{}", scratch.0.join("otlp.db").display());
    support::create_tenant(&scratch.0, &database);
    let server = support::serve(
        &scratch.0,
        &database,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.clone()),
            ("OTEL_BSP_SCHEDULE_DELAY", "50".into()),
            ("OTEL_SERVICE_NAME", "callsheet-test".into()),
        ],
    )
    .await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let token = support::admin_token(&client, &base).await;

    // The caller's trace: W3C trace context in, the request id echoed.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let response = client
        .get(format!("{base}/missions"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace_id}-{parent_id}-01"))
        .header("x-request-id", "req-otlp-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "req-otlp-1");

    // Wait for the batch to arrive.
    let parent = hex::decode(parent_id).unwrap();
    let request_span = exported(&spans, "the request's span", |s| {
        hex::encode(&s.trace_id) == trace_id && s.parent_span_id == parent
    })
    .await;
    assert_eq!(request_span.name, "GET /api/v1/missions");
    assert_eq!(
        attribute(&request_span, "http.route").as_deref(),
        Some("/api/v1/missions")
    );
    assert_eq!(
        attribute(&request_span, "http.request.method").as_deref(),
        Some("GET")
    );
    assert_eq!(
        attribute(&request_span, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        attribute(&request_span, "request_id").as_deref(),
        Some("req-otlp-1")
    );
    let tenant = attribute(&request_span, "tenant.id").expect("the tenant");
    let user = attribute(&request_span, "user.id").expect("the user");
    assert_eq!(tenant.len(), 36);
    assert_eq!(user.len(), 36);

    // Its descendants: the storage calls that served it, started inside it. (Their ends are
    // not compared with the request's: a child may legitimately outlive its parent, e.g. a
    // task the request started, and one run in several saw that once.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all: Vec<Span> = spans.lock().unwrap().clone();
    let mut tree = vec![request_span.span_id.clone()];
    let mut descendants: Vec<&Span> = Vec::new();
    while let Some(parent) = tree.pop() {
        for child in all.iter().filter(|s| s.parent_span_id == parent) {
            tree.push(child.span_id.clone());
            descendants.push(child);
        }
    }
    let names: Vec<&str> = descendants.iter().map(|s| s.name.as_str()).collect();
    for expected in ["storage.principal", "storage.list_missions"] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    for span in &descendants {
        assert_eq!(span.trace_id, request_span.trace_id);
        assert!(span.start_time_unix_nano >= request_span.start_time_unix_nano);
    }

    // A manual assignment checks the tenant's rules: a plugin call with its fuel.
    let post = |path: &str, body: serde_json::Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let json = |r: reqwest::Response| async move {
        let status = r.status();
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(status.is_success(), "{status} {v}");
        v
    };
    let venue = json(
        post("/venues", serde_json::json!({"name": "Zénith"}))
            .await
            .unwrap(),
    )
    .await;
    let technician = json(
        post(
            "/technicians",
            serde_json::json!({"name": "Théo", "skills": ["sound"],
                "contract": {"kind": "hourly", "hourly_rate_cents": 2000, "cachet_rate_cents": 0}}),
        )
        .await
        .unwrap(),
    )
    .await;
    let mission = json(
        post(
            "/missions",
            serde_json::json!({"title": "Show", "venue_id": venue["id"],
                "start": "2026-07-06T08:00:00Z", "end": "2026-07-06T16:00:00Z",
                "needs": [{"skill": "sound", "min_crew": 1}]}),
        )
        .await
        .unwrap(),
    )
    .await;
    json(
        post(
            "/assignments",
            serde_json::json!({"need_id": mission["needs"][0]["id"], "technician_id": technician["id"]}),
        )
        .await
        .unwrap(),
    )
    .await;
    let plugin_span = exported(&spans, "the rules plugin's call", |s| {
        s.name == "plugin rules"
    })
    .await;
    assert_eq!(
        attribute(&plugin_span, "plugin.slot").as_deref(),
        Some("rules")
    );
    let fuel: u64 = attribute(&plugin_span, "plugin.fuel")
        .expect("its fuel")
        .parse()
        .unwrap();
    assert!(fuel > 0);
    // The parent ends after its child, so it may come in a later batch.
    let parent = exported(&spans, "the plugin call's parent", |s| {
        s.span_id == plugin_span.parent_span_id
    })
    .await;
    assert_eq!(parent.name, "POST /api/v1/assignments");
    drop(server);
}
