//! The planning part of the storage contract (jobs, idempotency keys, run commits, the
//! database's refusal of double bookings), checked directly on this run's backend.

use callsheet::domain::time::Window;
use callsheet::domain::{
    AssignmentId, AssignmentSource, AssignmentStatus, AuditEntryId, JobId, JobState, MissionId,
    MissionStatus, NeedId, TechnicianId, TenantId, TenantSlug, TimeZone, VenueId,
};
use callsheet::storage::idempotency::IdempotencyBegin;
use callsheet::storage::jobs::{Job, JobUpdate};
use callsheet::storage::planning::{Assignment, Mission, Need, NewMission, RunCommit};
use callsheet::storage::seed::{Seed, SeedTechnician};
use callsheet::storage::{self, DynStorage, StorageError};
use callsheet_e2e::TestApp;
use chrono::{DateTime, Duration, Utc};

async fn tenant(s: &DynStorage) -> TenantId {
    s.create_tenant(storage::new_tenant(
        TenantSlug::parse("acme").unwrap(),
        "Acme".into(),
        TimeZone::default(),
    ))
    .await
    .unwrap()
    .id
}

fn at(hour: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_782_900_000 + hour * 3600, 0).unwrap()
}

/// A tenant's venue, two technicians and two missions (one need each) at `hours`.
struct Fixture {
    tenant: TenantId,
    technicians: [TechnicianId; 2],
    needs: Vec<(NeedId, MissionId, Window)>,
}

async fn fixture(s: &DynStorage, hours: &[(i64, i64)]) -> Fixture {
    let tenant = tenant(s).await;
    let venue = VenueId::new();
    let technicians = [TechnicianId::new(), TechnicianId::new()];
    let now = Utc::now();
    let mut seed = Seed {
        venues: vec![(venue, "Olympia".into())],
        ..Default::default()
    };
    for (i, id) in technicians.iter().enumerate() {
        seed.technicians.push(SeedTechnician {
            id: *id,
            name: format!("T{i}"),
            skills: r#"["sound"]"#.into(),
            contract_kind: "hourly",
            hourly_rate_cents: 2000,
            cachet_rate_cents: 0,
            preferences: r#"{"preferred_venues":[],"avoided_venues":[],"max_weekly_hours":null}"#
                .into(),
            relations: "[]".into(),
        });
    }
    let mut needs = Vec::new();
    for (start, end) in hours {
        let window = Window::new(at(*start), at(*end)).unwrap();
        let mission = Mission {
            id: MissionId::new(),
            tenant_id: tenant,
            title: "Show".into(),
            project_id: None,
            venue_id: venue,
            room_id: None,
            window,
            paid: true,
            status: MissionStatus::Confirmed,
            notes: None,
            attributes: "{}".into(),
            created_at: now,
            updated_at: now,
        };
        let need = Need {
            id: NeedId::new(),
            mission_id: mission.id,
            position: 0,
            skill: "sound".into(),
            shift_type: None,
            min_crew: 1,
            max_crew: None,
            window,
            unfilled_penalty: 1000,
            extra_penalty: 0,
            attributes: "{}".into(),
        };
        needs.push((need.id, mission.id, window));
        seed.missions.push(NewMission {
            mission,
            needs: vec![need],
        });
    }
    s.import(tenant, seed, now).await.unwrap();
    Fixture {
        tenant,
        technicians,
        needs,
    }
}

fn assignment(f: &Fixture, need: usize, technician: usize) -> Assignment {
    let (need_id, mission_id, window) = f.needs[need];
    let now = Utc::now();
    Assignment {
        id: AssignmentId::new(),
        tenant_id: f.tenant,
        need_id,
        mission_id,
        technician_id: f.technicians[technician],
        window,
        status: AssignmentStatus::Proposed,
        pinned: false,
        source: AssignmentSource::Manual,
        run_id: None,
        override_reason: None,
        created_by: None,
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test]
async fn the_database_refuses_an_overlapping_assignment_but_not_a_declined_one() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let f = fixture(s, &[(0, 4), (3, 6), (4, 8)]).await;
    s.create_assignment(f.tenant, assignment(&f, 0, 0))
        .await
        .unwrap();
    let clash = s.create_assignment(f.tenant, assignment(&f, 1, 0)).await;
    assert!(matches!(clash, Err(StorageError::TimeOverlap)), "{clash:?}");
    // Back to back is not an overlap: windows are half-open.
    s.create_assignment(f.tenant, assignment(&f, 2, 0))
        .await
        .unwrap();
    // A declined assignment frees the slot, and cannot come back over another one.
    let mut declined = assignment(&f, 1, 1);
    declined.status = AssignmentStatus::Declined;
    let declined = s.create_assignment(f.tenant, declined).await.unwrap();
    s.create_assignment(f.tenant, assignment(&f, 0, 1))
        .await
        .unwrap();
    let back = s
        .update_assignment(
            f.tenant,
            declined.id,
            callsheet::storage::planning::AssignmentPatch {
                status: Some(AssignmentStatus::Confirmed),
                pinned: None,
            },
            Utc::now(),
        )
        .await;
    assert!(matches!(back, Err(StorageError::TimeOverlap)), "{back:?}");
    let twice = s.create_assignment(f.tenant, assignment(&f, 0, 0)).await;
    assert!(matches!(
        twice,
        Err(StorageError::Duplicate { .. } | StorageError::TimeOverlap)
    ));
}

#[tokio::test]
async fn a_run_commit_is_all_or_nothing_and_spares_what_was_confirmed_meanwhile() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let f = fixture(s, &[(0, 4), (10, 14), (12, 16)]).await;
    let dropped = s
        .create_assignment(f.tenant, assignment(&f, 0, 0))
        .await
        .unwrap();
    let mut confirmed = assignment(&f, 1, 1);
    confirmed.status = AssignmentStatus::Confirmed;
    let confirmed = s.create_assignment(f.tenant, confirmed).await.unwrap();

    // A commit whose new assignments overlap each other fails whole.
    let mut a = assignment(&f, 1, 0);
    a.source = AssignmentSource::Auto;
    a.run_id = Some(AuditEntryId::new());
    let mut b = assignment(&f, 2, 0);
    b.source = AssignmentSource::Auto;
    let failed = s
        .commit_run(
            f.tenant,
            RunCommit {
                delete: vec![dropped.id],
                create: vec![a.clone(), b],
            },
            Utc::now(),
        )
        .await;
    assert!(
        matches!(failed, Err(StorageError::TimeOverlap)),
        "{failed:?}"
    );
    assert!(
        s.assignment(f.tenant, dropped.id).await.unwrap().is_some(),
        "rolled back"
    );

    // A valid one deletes the dropped proposal but never a confirmed assignment.
    let created = s
        .commit_run(
            f.tenant,
            RunCommit {
                delete: vec![dropped.id, confirmed.id],
                create: vec![a.clone()],
            },
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    assert!(s.assignment(f.tenant, dropped.id).await.unwrap().is_none());
    assert!(
        s.assignment(f.tenant, confirmed.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.assignment(f.tenant, a.id).await.unwrap().unwrap().run_id,
        a.run_id
    );
}

#[tokio::test]
async fn idempotency_keys_claim_once_replay_and_detect_another_body() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let t = tenant(s).await;
    let now = Utc::now();
    let begin =
        |key: &'static str, sha: &'static str| s.idempotency_begin(t, "POST /x", key, sha, now);
    assert_eq!(begin("k", "a").await.unwrap(), IdempotencyBegin::Started);
    assert_eq!(begin("k", "a").await.unwrap(), IdempotencyBegin::InFlight);
    assert_eq!(begin("k", "b").await.unwrap(), IdempotencyBegin::Mismatch);
    s.idempotency_finish(t, "POST /x", "k", 201, "{}")
        .await
        .unwrap();
    assert_eq!(
        begin("k", "a").await.unwrap(),
        IdempotencyBegin::Replay {
            status: 201,
            body: "{}".into()
        }
    );
    // Releasing a finished key does nothing; releasing a pending one frees it.
    s.idempotency_release(t, "POST /x", "k").await.unwrap();
    assert!(matches!(
        begin("k", "a").await.unwrap(),
        IdempotencyBegin::Replay { .. }
    ));
    assert_eq!(begin("j", "a").await.unwrap(), IdempotencyBegin::Started);
    s.idempotency_release(t, "POST /x", "j").await.unwrap();
    assert_eq!(begin("j", "b").await.unwrap(), IdempotencyBegin::Started);
    // Keys are per route.
    assert_eq!(
        s.idempotency_begin(t, "POST /y", "k", "z", now)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
}

#[tokio::test]
async fn a_finished_job_never_changes_and_only_stale_jobs_are_failed_at_start_up() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let t = tenant(s).await;
    let now = Utc::now();
    let job = |created: DateTime<Utc>| Job {
        id: JobId::new(),
        tenant_id: t,
        kind: "auto-assign".into(),
        state: JobState::Queued,
        progress: 0,
        request: "{}".into(),
        result: None,
        error: None,
        created_by: None,
        created_at: created,
        updated_at: created,
    };
    let old = s.create_job(job(now - Duration::hours(1))).await.unwrap();
    let fresh = s.create_job(job(now)).await.unwrap();
    let update = |state| JobUpdate {
        state,
        progress: 100,
        result: Some("{\"ok\":true}".into()),
        error: None,
    };
    let done = s
        .update_job(fresh.id, update(JobState::Succeeded), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert!(
        s.update_job(fresh.id, update(JobState::Cancelled), now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.fail_interrupted_jobs(now, now - Duration::minutes(10))
            .await
            .unwrap(),
        1
    );
    let old = s.job(t, old.id).await.unwrap().unwrap();
    assert_eq!(old.state, JobState::Failed);
    assert!(old.error.unwrap().contains("JOB_INTERRUPTED"));
    assert!(
        s.job(TenantId::new(), fresh.id).await.unwrap().is_none(),
        "tenant-scoped"
    );
}
