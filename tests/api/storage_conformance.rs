//! The storage conformance suite: the `Storage` trait's contract, checked directly on
//! whichever backend this run uses (SQLite, or PostgreSQL with
//! `CALLSHEET_TEST_POSTGRES_URL`).

use callsheet::domain::{Email, PageRequest, Role, SessionId, TenantSlug, TimeZone};
use callsheet::storage::{
    self, DynStorage, NewSession, RefreshOutcome, StorageError, Tenant, User, UserFilter, UserPatch,
};
use callsheet_e2e::{TestApp, backend};
use chrono::{DateTime, Duration, Utc};

fn slug(s: &str) -> TenantSlug {
    TenantSlug::parse(s).unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

async fn tenant(s: &DynStorage, name: &str) -> Tenant {
    s.create_tenant(storage::new_tenant(
        slug(name),
        name.to_uppercase(),
        TimeZone::default(),
    ))
    .await
    .unwrap()
}

async fn tech(s: &DynStorage, tenant: &Tenant, address: &str) -> User {
    s.create_user(
        tenant.id,
        storage::new_user(email(address), "hash".into(), Role::Tech, true),
    )
    .await
    .unwrap()
}

/// A session for `user` whose refresh token hashes to `hash`, created at `created_at`.
async fn session(s: &DynStorage, user: &User, hash: u8, created_at: DateTime<Utc>) -> SessionId {
    let id = SessionId::new();
    s.create_session(NewSession {
        id,
        tenant_id: user.tenant_id,
        user_id: user.id,
        refresh_token_hash: vec![hash; 32],
        refresh_expires_at: created_at + Duration::days(1),
        created_at,
    })
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn tenant_slugs_are_unique() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let t = tenant(s, "acme").await;
    assert_eq!(s.tenant_by_slug(&slug("acme")).await.unwrap().unwrap(), t);
    let dup = s
        .create_tenant(storage::new_tenant(
            slug("acme"),
            "Other".into(),
            TimeZone::default(),
        ))
        .await;
    assert!(
        matches!(dup, Err(StorageError::Duplicate { field: "slug" })),
        "[{}] {dup:?}",
        backend()
    );
    assert!(s.tenant_by_slug(&slug("nobody")).await.unwrap().is_none());
}

#[tokio::test]
async fn users_are_scoped_to_their_tenant() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let a = tenant(s, "a-co").await;
    let b = tenant(s, "b-co").await;
    let user = tech(s, &a, "x@a.test").await;
    assert_eq!(s.user(a.id, user.id).await.unwrap().unwrap(), user);
    assert!(s.user(b.id, user.id).await.unwrap().is_none());
    assert!(
        s.credentials(b.id, &email("x@a.test"))
            .await
            .unwrap()
            .is_none()
    );
    let (listed, total) = s
        .list_users(b.id, &UserFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert!(listed.is_empty() && total == 0);
    let patched = s
        .update_user(
            b.id,
            user.id,
            UserPatch {
                role: Some(Role::Admin),
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(patched.is_none());
    assert_eq!(
        s.user(a.id, user.id).await.unwrap().unwrap().role,
        Role::Tech
    );
}

#[tokio::test]
async fn an_update_changes_only_the_given_fields() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let t = tenant(s, "acme").await;
    let user = tech(s, &t, "x@acme.test").await;
    let later = Utc::now() + Duration::seconds(5);
    let updated = s
        .update_user(
            t.id,
            user.id,
            UserPatch {
                role: Some(Role::Manager),
                ..Default::default()
            },
            later,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (updated.role, updated.email.as_str(), updated.active),
        (Role::Manager, "x@acme.test", true)
    );
    assert!(updated.updated_at > user.updated_at);
    assert_eq!(updated.created_at, user.created_at);
    assert_eq!(
        s.credentials(t.id, &email("x@acme.test"))
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "hash"
    );
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_rotate_it_exactly_once() {
    let app = TestApp::spawn().await;
    let s = app.storage.clone();
    let t = tenant(&s, "acme").await;
    let user = tech(&s, &t, "x@acme.test").await;
    let now = Utc::now();
    let session = session(&s, &user, 1, now).await;

    let attempts: Vec<_> = (0..8u8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.rotate_refresh_token(&[1; 32], &[10 + i; 32], now + Duration::days(1), Utc::now())
                    .await
            })
        })
        .collect();
    let mut rotated = 0;
    for attempt in attempts {
        match attempt.await.unwrap().unwrap() {
            RefreshOutcome::Rotated { session: got, .. } => {
                assert_eq!(got, session);
                rotated += 1;
            }
            RefreshOutcome::Reused { session: got } => assert_eq!(got, session),
            RefreshOutcome::Rejected => panic!("[{}] a known token was rejected", backend()),
        }
    }
    assert_eq!(
        rotated,
        1,
        "[{}] exactly one concurrent refresh wins",
        backend()
    );
    // The losers' presentation counted as reuse: the session is revoked.
    assert!(!s.principal(session).await.unwrap().unwrap().is_live());
}

#[tokio::test]
async fn an_expired_refresh_token_is_rejected_and_left_unspent() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let t = tenant(s, "acme").await;
    let user = tech(s, &t, "x@acme.test").await;
    let session = session(s, &user, 2, Utc::now() - Duration::days(2)).await;
    let outcome = s
        .rotate_refresh_token(
            &[2; 32],
            &[3; 32],
            Utc::now() + Duration::days(1),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Rejected);
    // Rejected, not reused: the session stays as it was.
    assert!(s.principal(session).await.unwrap().unwrap().is_live());
    assert_eq!(
        s.rotate_refresh_token(&[3; 32], &[4; 32], Utc::now(), Utc::now())
            .await
            .unwrap(),
        RefreshOutcome::Rejected
    );
}
