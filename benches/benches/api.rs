//! The API stack in process: every middleware layer, the JWT check, the live-session query,
//! RBAC and a paginated list query on the embedded SQLite backend, without the network.
//!
//! `cargo bench -p callsheet-benches --bench api`

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use callsheet::config::Config;
use callsheet::domain::{Email, Role, SessionId, TenantSlug, TimeZone};
use callsheet::state::AppState;
use callsheet::storage::{self, NewSession};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt as _;

struct Fixture {
    router: axum::Router,
    token: String,
    _dir: std::path::PathBuf,
}

async fn fixture(users: usize) -> Fixture {
    let dir =
        std::env::temp_dir().join(format!("callsheet-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let env: HashMap<&str, String> = [
        ("APP_ENV", "test".to_owned()),
        (
            "JWT_SECRET",
            "bench-secret-bench-secret-bench-secret".to_owned(),
        ),
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("bench.db").display()),
        ),
    ]
    .into_iter()
    .collect();
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("config");
    let state = AppState::connect(config).await.expect("state");
    let s = &state.storage;
    let tenant = s
        .create_tenant(storage::new_tenant(
            TenantSlug::parse("bench").unwrap(),
            "Bench".into(),
            TimeZone::default(),
        ))
        .await
        .expect("tenant");
    // A precomputed hash: the benchmark measures the API, not argon2.
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$ZmFrZWhhc2hmYWtlaGFzaGZha2VoYXNo"
        .to_owned();
    let mut admin = None;
    for i in 0..users {
        let role = if i == 0 { Role::Admin } else { Role::Tech };
        let email = Email::parse(&format!("user{i:04}@bench.test")).unwrap();
        let user = s
            .create_user(
                tenant.id,
                storage::new_user(email, hash.clone(), role, true),
            )
            .await
            .expect("user");
        admin.get_or_insert(user);
    }
    let admin = admin.expect("at least one user");
    let session = SessionId::new();
    let now = chrono::Utc::now();
    s.create_session(NewSession {
        id: session,
        tenant_id: tenant.id,
        user_id: admin.id,
        refresh_token_hash: vec![0; 32],
        refresh_expires_at: now + chrono::Duration::days(1),
        created_at: now,
    })
    .await
    .expect("session");
    let token = state.jwt.issue(admin.id, tenant.id, Role::Admin, session);
    Fixture {
        router: callsheet::http::router(state),
        token,
        _dir: dir,
    }
}

fn get(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

fn api(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let f = rt.block_on(fixture(1_000));
    let mut group = c.benchmark_group("api");
    for (name, path) in [
        ("health", "/api/v1/health"),
        ("auth_me", "/api/v1/auth/me"),
        ("users_page_50_of_1000", "/api/v1/users?page=3&size=50"),
        ("users_filtered", "/api/v1/users?role=admin"),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let response = f
                    .router
                    .clone()
                    .oneshot(get(path, &f.token))
                    .await
                    .expect("response");
                assert_eq!(response.status(), StatusCode::OK);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, api);
criterion_main!(benches);
