//! The planning part of the storage contract (jobs, idempotency keys, run commits, the
//! database's refusal of double bookings, the counters manual assignments are checked
//! against), checked directly on this run's backend.

use callsheet::domain::time::Window;
use callsheet::domain::{
    AssignmentId, AssignmentSource, AssignmentStatus, AuditEntryId, JobId, JobState, MissionId,
    MissionStatus, NeedId, TechnicianId, TenantId, TenantSlug, TimeZone, VenueId,
};
use callsheet::storage::idempotency::IdempotencyBegin;
use callsheet::storage::jobs::{Job, JobUpdate};
use callsheet::storage::planning::{
    Admitted, Assignment, AssignmentInsert, Mission, MissionUpdate, Need, NeedUpdate, NewMission,
    RunCommit, RunCommitted,
};
use callsheet::storage::seed::{Seed, SeedTechnician};
use callsheet::storage::{self, AuditRow, DynStorage, StorageError, StorageResult};
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

/// Commits a run as the planning service does: against the counters as they are, with an
/// audit entry next in the chain (its hash is not this test's concern).
async fn run_commit(
    s: &DynStorage,
    f: &Fixture,
    delete: Vec<AssignmentId>,
    create: Vec<Assignment>,
) -> StorageResult<RunCommitted> {
    let expected = s
        .schedule_snapshot(f.tenant, Window::new(at(-1000), at(1000)).unwrap())
        .await?;
    let seq = s.audit_head(f.tenant).await?.map_or(1, |(seq, _)| seq + 1);
    let audit = run_entry(f.tenant, seq);
    s.commit_run(
        f.tenant,
        RunCommit {
            delete,
            create,
            expected,
            audit,
        },
    )
    .await
}

/// A run's audit entry with sequence number `seq` (hashes are the chain's concern).
fn run_entry(tenant: TenantId, seq: i64) -> AuditRow {
    AuditRow {
        tenant_id: tenant,
        seq,
        id: AuditEntryId::new(),
        kind: "auto-run".into(),
        actor: None,
        at: "2026-07-01T00:00:00Z".into(),
        payload: Some("{}".into()),
        prev_hash: "0".repeat(64),
        hash: format!("{seq:064}"),
        summary: None,
    }
}

/// Inserts `a` as the planning service does: admitted against the counters as they are.
async fn insert(s: &DynStorage, a: Assignment) -> StorageResult<Assignment> {
    let admitted = admitted(s, &a).await;
    match s.create_assignment(a.tenant_id, a, admitted).await? {
        AssignmentInsert::Created(created) => Ok(created),
        other => panic!("not inserted: {other:?}"),
    }
}

async fn admitted(s: &DynStorage, a: &Assignment) -> Admitted {
    let versions = s
        .schedule_versions(a.tenant_id, a.technician_id, a.need_id)
        .await
        .unwrap()
        .expect("the need and the technician exist");
    Admitted {
        versions,
        need_window: a.window,
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
    insert(s, assignment(&f, 0, 0)).await.unwrap();
    let clash = insert(s, assignment(&f, 1, 0)).await;
    assert!(matches!(clash, Err(StorageError::TimeOverlap)), "{clash:?}");
    // Back to back is not an overlap: windows are half-open.
    insert(s, assignment(&f, 2, 0)).await.unwrap();
    // A declined assignment frees the slot, and cannot come back over another one.
    let mut declined = assignment(&f, 1, 1);
    declined.status = AssignmentStatus::Declined;
    let declined = insert(s, declined).await.unwrap();
    insert(s, assignment(&f, 0, 1)).await.unwrap();
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
    let twice = insert(s, assignment(&f, 0, 0)).await;
    assert!(matches!(
        twice,
        Err(StorageError::Duplicate { .. } | StorageError::TimeOverlap)
    ));
}

#[tokio::test]
async fn an_insert_checked_against_moved_counters_or_another_window_is_stale() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let f = fixture(s, &[(0, 4), (10, 14)]).await;
    let a = assignment(&f, 0, 0);

    // The technician's counter moves with another assignment of theirs.
    let checked = admitted(s, &a).await;
    insert(s, assignment(&f, 1, 0)).await.unwrap();
    let stale = s.create_assignment(f.tenant, a.clone(), checked).await;
    assert_eq!(stale.unwrap(), AssignmentInsert::Stale);

    // The mission's counter moves with another technician joining its crew.
    let checked = admitted(s, &a).await;
    insert(s, assignment(&f, 0, 1)).await.unwrap();
    let stale = s.create_assignment(f.tenant, a.clone(), checked).await;
    assert_eq!(stale.unwrap(), AssignmentInsert::Stale);

    // A need whose window is not the one checked.
    let mut checked = admitted(s, &a).await;
    checked.need_window = Window::new(at(0), at(5)).unwrap();
    let stale = s.create_assignment(f.tenant, a.clone(), checked).await;
    assert_eq!(stale.unwrap(), AssignmentInsert::Stale);

    // Nothing was written by the refusals; with fresh counters it goes in.
    insert(s, a).await.unwrap();
}

#[tokio::test]
async fn writes_that_change_what_a_technicians_rules_read_move_their_counter() {
    use callsheet::domain::AvailabilityId;
    use callsheet::storage::crew::{AvailabilityKind, NewAvailability};

    let app = TestApp::spawn().await;
    let s = &app.storage;
    let f = fixture(s, &[(0, 4)]).await;
    let a = assignment(&f, 0, 0);
    let counters = || async { admitted(s, &a).await.versions };

    let before = counters().await;
    s.create_availability(
        f.tenant,
        NewAvailability {
            id: AvailabilityId::new(),
            technician_id: f.technicians[0],
            window: Window::new(at(20), at(30)).unwrap(),
            kind: AvailabilityKind::Unavailable,
            note: None,
            created_at: Utc::now(),
        },
    )
    .await
    .unwrap()
    .unwrap();
    let after = counters().await;
    assert!(after.technician > before.technician && after.mission == before.mission);

    // A commit of a run moves both counters of what it assigns.
    let before = after;
    let mut planned = a.clone();
    planned.source = AssignmentSource::Auto;
    run_commit(s, &f, vec![], vec![planned.clone()])
        .await
        .unwrap();
    let after = counters().await;
    assert!(after.technician > before.technician && after.mission > before.mission);

    // Declining and confirming again adds the shift back: both move.
    let before = after;
    let patch = |status| callsheet::storage::planning::AssignmentPatch {
        status: Some(status),
        pinned: None,
    };
    s.update_assignment(
        f.tenant,
        planned.id,
        patch(AssignmentStatus::Declined),
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    let after = counters().await;
    assert!(after.technician > before.technician && after.mission > before.mission);
}

#[tokio::test]
async fn a_page_of_missions_carries_each_missions_needs_exactly_as_read_alone() {
    use callsheet::domain::PageRequest;
    use callsheet::storage::planning::MissionFilter;

    let app = TestApp::spawn().await;
    let s = &app.storage;
    let f = fixture(s, &[(0, 4), (10, 14), (20, 30)]).await;
    // A mission of several needs, out of order, with every optional field and text that
    // JSON must escape.
    let (_, mission, window) = f.needs[2];
    let shapes = [
        (
            2,
            Some("night"),
            Some(4),
            r#"{"note":"l\u00e9ger \"quoted\" \\ é"}"#,
        ),
        (1, None, None, "{}"),
        (1, Some("day"), Some(1), r#"{"a":[1,2]}"#),
    ];
    for (position, shift_type, max_crew, attributes) in shapes {
        s.add_need(
            f.tenant,
            Need {
                id: NeedId::new(),
                mission_id: mission,
                position,
                skill: "light".into(),
                shift_type: shift_type.map(Into::into),
                min_crew: 0,
                max_crew,
                window: Window::new(window.start() + Duration::hours(1), window.end()).unwrap(),
                unfilled_penalty: 7,
                extra_penalty: 3,
                attributes: attributes.into(),
            },
        )
        .await
        .unwrap();
    }
    let filter = MissionFilter {
        window: Some(Window::new(at(-10), at(40)).unwrap()),
        ..Default::default()
    };
    let (page, total) = s
        .list_missions(
            f.tenant,
            &filter,
            PageRequest::new(Some(1), Some(2)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(total, 3);
    let (rest, _) = s
        .list_missions(
            f.tenant,
            &filter,
            PageRequest::new(Some(2), Some(2)).unwrap(),
        )
        .await
        .unwrap();
    let listed: Vec<_> = page.into_iter().chain(rest).collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[2].needs.len(), 4);
    for m in listed {
        let alone = s.mission(f.tenant, m.mission.id).await.unwrap().unwrap();
        assert_eq!(m, alone);
    }
}

#[tokio::test]
async fn a_move_checked_against_moved_crew_counters_writes_nothing() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let f = fixture(s, &[(0, 4), (10, 14)]).await;
    let (_, mission, _) = f.needs[0];
    insert(s, assignment(&f, 0, 0)).await.unwrap();
    let current = s.mission(f.tenant, mission).await.unwrap().unwrap();
    let snapshot = s.crew_snapshot(f.tenant, mission).await.unwrap();
    assert_eq!(
        snapshot.technicians.keys().collect::<Vec<_>>(),
        [&f.technicians[0]],
        "the crew, and only them"
    );
    assert!(snapshot.missions.contains_key(&mission));
    let moved = Window::new(at(1), at(5)).unwrap();
    let mut next = current.mission.clone();
    next.window = moved;
    next.updated_at = Utc::now();
    let needs: Vec<Need> = current
        .needs
        .iter()
        .map(|n| Need {
            window: moved,
            ..n.clone()
        })
        .collect();
    let update = |expected| {
        s.update_mission(
            f.tenant,
            next.clone(),
            needs.clone(),
            current.mission.updated_at,
            expected,
        )
    };

    // The crew member was assigned elsewhere after their rules were checked.
    insert(s, assignment(&f, 1, 0)).await.unwrap();
    assert_eq!(
        update(&snapshot).await.unwrap(),
        MissionUpdate::ScheduleChanged
    );
    let unchanged = s.mission(f.tenant, mission).await.unwrap().unwrap();
    assert_eq!(unchanged, current, "nothing written");

    // Someone joined the crew: the mission's own counter moved.
    let fresh = s.crew_snapshot(f.tenant, mission).await.unwrap();
    let (need, _, window) = f.needs[0];
    let mut joined = assignment(&f, 0, 1);
    joined.need_id = need;
    joined.window = window;
    insert(s, joined).await.unwrap();
    assert_eq!(
        update(&fresh).await.unwrap(),
        MissionUpdate::ScheduleChanged
    );

    // Checked against the counters as they are, it goes through and moves them.
    let fresh = s.crew_snapshot(f.tenant, mission).await.unwrap();
    assert_eq!(fresh.technicians.len(), 2);
    let done = update(&fresh).await.unwrap();
    assert!(matches!(done, MissionUpdate::Updated(_)), "{done:?}");
    let after = s.crew_snapshot(f.tenant, mission).await.unwrap();
    assert!(after.missions[&mission] > fresh.missions[&mission]);
    for (t, version) in &after.technicians {
        assert!(*version > fresh.technicians[t], "{t}");
    }

    // A need update against the counters from before the move is stale too.
    let mut need = s.need(f.tenant, need).await.unwrap().unwrap().0;
    need.skill = "light".into();
    assert_eq!(
        s.update_need(f.tenant, need.clone(), &fresh).await.unwrap(),
        NeedUpdate::ScheduleChanged
    );
    assert_eq!(
        s.need(f.tenant, need.id).await.unwrap().unwrap().0.skill,
        "sound"
    );
    let mut elsewhere = need.clone();
    elsewhere.mission_id = f.needs[1].1;
    let other = s
        .crew_snapshot(f.tenant, elsewhere.mission_id)
        .await
        .unwrap();
    assert_eq!(
        s.update_need(f.tenant, elsewhere, &other).await.unwrap(),
        NeedUpdate::NotFound,
        "a need is only written through its own mission"
    );
    let done = s.update_need(f.tenant, need.clone(), &after).await.unwrap();
    assert_eq!(done, NeedUpdate::Updated(need));
}

#[tokio::test]
async fn a_run_commit_writes_nothing_when_its_counters_moved_or_its_audit_seq_is_taken() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let f = fixture(s, &[(0, 4), (10, 14)]).await;
    let mut planned = assignment(&f, 0, 0);
    planned.source = AssignmentSource::Auto;
    let window = Window::new(at(-1000), at(1000)).unwrap();

    // The run read the counters; then a manual assignment of the same technician landed.
    let expected = s.schedule_snapshot(f.tenant, window).await.unwrap();
    insert(s, assignment(&f, 1, 0)).await.unwrap();
    let commit = |expected, seq| RunCommit {
        delete: vec![],
        create: vec![planned.clone()],
        expected,
        audit: run_entry(f.tenant, seq),
    };
    let stale = s.commit_run(f.tenant, commit(expected, 1)).await.unwrap();
    assert_eq!(stale, RunCommitted::ScheduleChanged);

    // Fresh counters, but another entry took the sequence number.
    let fresh = s.schedule_snapshot(f.tenant, window).await.unwrap();
    s.insert_audit_entry(&run_entry(f.tenant, 1)).await.unwrap();
    let taken = s
        .commit_run(f.tenant, commit(fresh.clone(), 1))
        .await
        .unwrap();
    assert_eq!(taken, RunCommitted::AuditSeqTaken);
    assert!(
        s.assignment(f.tenant, planned.id).await.unwrap().is_none(),
        "nothing written"
    );
    assert_eq!(s.audit_head(f.tenant).await.unwrap().unwrap().0, 1);

    // Built again on the new head, it commits with its entry.
    let done = s.commit_run(f.tenant, commit(fresh, 2)).await.unwrap();
    assert!(matches!(done, RunCommitted::Committed(_)), "{done:?}");
    assert!(s.assignment(f.tenant, planned.id).await.unwrap().is_some());
    assert_eq!(s.audit_head(f.tenant).await.unwrap().unwrap().0, 2);
}

#[tokio::test]
async fn a_run_commit_is_all_or_nothing_and_spares_what_was_confirmed_meanwhile() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let f = fixture(s, &[(0, 4), (10, 14), (12, 16)]).await;
    let dropped = insert(s, assignment(&f, 0, 0)).await.unwrap();
    let mut confirmed = assignment(&f, 1, 1);
    confirmed.status = AssignmentStatus::Confirmed;
    let confirmed = insert(s, confirmed).await.unwrap();

    // A commit whose new assignments overlap each other fails whole.
    let mut a = assignment(&f, 1, 0);
    a.source = AssignmentSource::Auto;
    a.run_id = Some(AuditEntryId::new());
    let mut b = assignment(&f, 2, 0);
    b.source = AssignmentSource::Auto;
    let failed = run_commit(s, &f, vec![dropped.id], vec![a.clone(), b]).await;
    assert!(
        matches!(failed, Err(StorageError::TimeOverlap)),
        "{failed:?}"
    );
    assert!(
        s.assignment(f.tenant, dropped.id).await.unwrap().is_some(),
        "rolled back"
    );

    // A valid one deletes the dropped proposal but never a confirmed assignment.
    let created = run_commit(s, &f, vec![dropped.id, confirmed.id], vec![a.clone()]).await;
    assert!(
        matches!(&created, Ok(RunCommitted::Committed(c)) if c.len() == 1),
        "{created:?}"
    );
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
    let long_ago = now - Duration::hours(1);
    let begin = |key: &'static str, sha: &'static str| {
        s.idempotency_begin(t, "POST /x", key, sha, now, long_ago)
    };
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
        s.idempotency_begin(t, "POST /y", "k", "z", now, long_ago)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
}

#[tokio::test]
async fn an_abandoned_claim_is_taken_over_by_the_same_request_only() {
    let app = TestApp::spawn().await;
    let s = &app.storage;
    let t = tenant(s).await;
    let claimed_at = Utc::now() - Duration::minutes(10);
    let begin = |sha: &'static str, now, abandoned_before| {
        s.idempotency_begin(t, "POST /x", "k", sha, now, abandoned_before)
    };
    let past = claimed_at - Duration::hours(1);
    assert_eq!(
        begin("a", claimed_at, past).await.unwrap(),
        IdempotencyBegin::Started
    );
    // The claimer was killed. Within the lease the key stays in progress...
    let now = Utc::now();
    assert_eq!(
        begin("a", now, claimed_at).await.unwrap(),
        IdempotencyBegin::InFlight
    );
    // ...past it, a retry of the same request runs; another body is still refused.
    let lease_over = now - Duration::minutes(1);
    assert_eq!(
        begin("b", now, lease_over).await.unwrap(),
        IdempotencyBegin::Mismatch
    );
    assert_eq!(
        begin("a", now, lease_over).await.unwrap(),
        IdempotencyBegin::Started
    );
    // Taken over means claimed again, now: a concurrent retry waits.
    assert_eq!(
        begin("a", now, lease_over).await.unwrap(),
        IdempotencyBegin::InFlight
    );
}

#[tokio::test]
async fn a_finished_job_never_changes_and_only_jobs_without_a_heartbeat_are_failed() {
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
    // Untouched for 30 s (recent enough for the server's own sweeper, which waits 60 s),
    // then its heartbeat says its work is alive.
    let alive = s
        .create_job(job(now - Duration::seconds(30)))
        .await
        .unwrap();
    s.touch_job(alive.id, now).await.unwrap();
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
    // The server's own sweeper (every 10 s) may have failed `old` already: at most it.
    let swept = s
        .fail_interrupted_jobs(now, now - Duration::seconds(10))
        .await
        .unwrap();
    assert!(swept <= 1, "{swept}");
    let old = s.job(t, old.id).await.unwrap().unwrap();
    assert_eq!(old.state, JobState::Failed);
    let alive = s.job(t, alive.id).await.unwrap().unwrap();
    assert_eq!(alive.state, JobState::Queued, "spared by its heartbeat");
    // A touch does not revive a finished job.
    s.touch_job(old.id, now + Duration::minutes(1))
        .await
        .unwrap();
    let still = s.job(t, old.id).await.unwrap().unwrap();
    assert_eq!(
        (still.state, still.updated_at),
        (JobState::Failed, old.updated_at)
    );
    assert!(old.error.unwrap().contains("JOB_INTERRUPTED"));
    assert!(
        s.job(TenantId::new(), fresh.id).await.unwrap().is_none(),
        "tenant-scoped"
    );
}
