//! `find_conflicts` on a crafted plan: every kind, from the rules plugin and natively.

use callsheet_engine::{ConflictKind, Source, find_conflicts};
use callsheet_runtime::types::*;

use crate::common::*;

/// One plan with every kind of conflict:
/// - t1 works n1 (m1) and n2 (m2) at overlapping times: technician overlap;
/// - m1 and m2 share room r1 at overlapping times, both staffed: room double booking;
/// - t2 (light only) on n1 (sound): missing skill; t1 and t2 are incompatible (hard) and
///   both on m1: role incompatibility;
/// - t3 is unavailable during n3: unavailability; n3 lasts 11 h: more than 10 h in a day,
///   a legal rule.
fn crafted() -> (Problem, Plan) {
    let day = ymd(2025, 6, 4);
    let m1 = mission("m1", Some("r1"), window(at(day, 8, 0), at(day, 12, 0)));
    let m2 = mission("m2", Some("r1"), window(at(day, 10, 0), at(day, 14, 0)));
    let m3 = mission("m3", None, window(at(day, 7, 0), at(day, 18, 0)));
    let n1 = need("n1", &m1, "sound", 2, m1.window);
    let n2 = need("n2", &m2, "sound", 1, m2.window);
    let n3 = need("n3", &m3, "stage", 1, m3.window);
    let mut t1 = technician("t1", &["sound"]);
    let mut t2 = technician("t2", &["light"]);
    let mut t3 = technician("t3", &["stage"]);
    let incompatible = |other: &str| Relation {
        other: other.into(),
        kind: RelationKind::Incompatibility,
        severity: Severity::Hard,
        weight: 1,
    };
    t1.relations.push(incompatible("t2"));
    t2.relations.push(incompatible("t1"));
    t3.availability.push(Availability {
        window: window(at(day, 16, 0), at(day, 23, 0)),
        kind: AvailabilityKind::Unavailable,
    });
    let plan = Plan {
        assignments: vec![
            assign(&n1, "t1"),
            assign(&n1, "t2"),
            assign(&n2, "t1"),
            assign(&n3, "t3"),
        ],
    };
    let problem = problem(vec![t1, t2, t3], vec![m1, m2, m3], vec![n1, n2, n3]);
    (problem, plan)
}

const KINDS: [ConflictKind; 6] = [
    ConflictKind::TechnicianOverlap,
    ConflictKind::RoomDoubleBooking,
    ConflictKind::LegalRule,
    ConflictKind::RoleIncompatibility,
    ConflictKind::Unavailability,
    ConflictKind::MissingSkill,
];

#[test]
fn the_rules_plugin_finds_every_kind_on_a_crafted_plan() {
    let (problem, plan) = crafted();
    let rules = rules();
    let report = find_conflicts(&problem, &plan, &rules).expect("checks");
    for kind in KINDS {
        let found: Vec<_> = report.conflicts.iter().filter(|c| c.kind == kind).collect();
        assert!(!found.is_empty(), "no {kind:?} in {:#?}", report.conflicts);
        for c in found {
            assert_eq!(
                c.provenance.source,
                Source::Plugin(rules.identity.clone()),
                "{kind:?}"
            );
            assert!(!c.message.is_empty() && !c.subjects.is_empty());
        }
    }
    let daily = report
        .conflicts
        .iter()
        .find(|c| c.provenance.rule_id == "work.max-daily")
        .expect("11 h in a day is over the 10 h limit");
    assert_eq!(daily.severity, Severity::Hard);
    assert!(report.rules_fuel > 0);
    // Hard conflicts come first.
    let first_soft = report
        .conflicts
        .iter()
        .position(|c| c.severity == Severity::Soft);
    if let Some(i) = first_soft {
        assert!(
            report.conflicts[i..]
                .iter()
                .all(|c| c.severity == Severity::Soft)
        );
    }
}

#[test]
fn the_host_checks_natively_what_a_minimal_rules_plugin_does_not_declare() {
    let (problem, plan) = crafted();
    let report = find_conflicts(&problem, &plan, &fixture_rules()).expect("checks");
    for kind in [
        ConflictKind::TechnicianOverlap,
        ConflictKind::RoomDoubleBooking,
        ConflictKind::RoleIncompatibility,
        ConflictKind::Unavailability,
        ConflictKind::MissingSkill,
    ] {
        assert!(
            report
                .conflicts
                .iter()
                .any(|c| c.kind == kind && matches!(c.provenance.source, Source::Host { .. })),
            "no native {kind:?} in {:#?}",
            report.conflicts
        );
    }
}

#[test]
fn a_clean_plan_has_no_hard_conflict() {
    let (problem, _) = crafted();
    let n1 = problem.needs[0].clone();
    let plan = Plan {
        assignments: vec![assign(&n1, "t1")],
    };
    let report = find_conflicts(&problem, &plan, &rules()).expect("checks");
    assert!(
        report
            .conflicts
            .iter()
            .all(|c| c.severity == Severity::Soft),
        "{:#?}",
        report.conflicts
    );
}

#[test]
fn an_unknown_technician_is_refused() {
    let (problem, mut plan) = crafted();
    plan.assignments[0].technician_id = "nobody".into();
    let err = find_conflicts(&problem, &plan, &rules()).expect_err("refused");
    assert_eq!(err.code(), "ENGINE_INVALID_PROBLEM");
}
