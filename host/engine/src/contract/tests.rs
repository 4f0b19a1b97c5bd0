//! The planner contract on a hand-made problem: a valid result passes, and each breach is
//! refused, named by its need, technician and kind.
//!
//! The problem, one day: needs `n1` (sound, 09-13, one place) and `n2` (sound, 14-18, one
//! to two places); technicians `t1`, `t3`, `t4` (sound) and `t2` (light); existing
//! assignments `a-pin` (t1 on n2, pinned, confirmed), `a-prop` (t3 on n1, proposed) and
//! `a-dec` (t1 declined n1).

use callsheet_runtime::types::{
    Assignment, AssignmentStatus, Contract, ContractKind, Mission, MissionStatus, Need,
    PlannedAssignment, Preferences, Problem, Technician, Window,
};
use chrono::NaiveDate;

use super::*;
use crate::calendar::{self, PARIS};

const HOUR: i64 = 3_600;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 2).expect("valid date")
}

fn at(hour: i64) -> i64 {
    calendar::local_instant(PARIS, day(), hour * HOUR)
}

fn window(from: i64, to: i64) -> Window {
    Window {
        start: at(from),
        end: at(to),
    }
}

fn technician(id: &str, skill: &str) -> Technician {
    Technician {
        id: id.into(),
        name: format!("Tech {id}"),
        skills: vec![skill.into()],
        contract: Contract {
            kind: ContractKind::Hourly,
            hourly_rate: 2_000,
            cachet_rate: 0,
        },
        preferences: Preferences {
            preferred_venues: vec![],
            avoided_venues: vec![],
            max_weekly: None,
        },
        relations: vec![],
        availability: vec![],
        requests: vec![],
        overrides: vec![],
        attributes: vec![],
    }
}

fn need(id: &str, w: Window, max_crew: Option<u32>) -> Need {
    Need {
        id: id.into(),
        mission_id: "m1".into(),
        venue_id: "v1".into(),
        room_id: None,
        window: w,
        skill: "sound".into(),
        shift_type: None,
        min_crew: 1,
        max_crew,
        unfilled_penalty: 1_000,
        extra_penalty: 10,
        attributes: vec![],
    }
}

fn existing(
    id: &str,
    need: &str,
    tech: &str,
    status: AssignmentStatus,
    pinned: bool,
) -> Assignment {
    let w = if need == "n1" {
        window(9, 13)
    } else {
        window(14, 18)
    };
    Assignment {
        id: Some(id.into()),
        need_id: need.into(),
        technician_id: tech.into(),
        window: w,
        status,
        pinned,
    }
}

fn problem() -> Problem {
    Problem {
        tenant_id: "test".into(),
        horizon: window(0, 24),
        seed: 1,
        calendar: calendar::build(PARIS, day(), day()),
        technicians: vec![
            technician("t1", "sound"),
            technician("t2", "light"),
            technician("t3", "sound"),
            technician("t4", "sound"),
        ],
        missions: vec![Mission {
            id: "m1".into(),
            title: "Mission m1".into(),
            project_id: None,
            venue_id: "v1".into(),
            room_id: None,
            window: window(8, 19),
            paid: true,
            status: MissionStatus::Confirmed,
            attributes: vec![],
        }],
        needs: vec![
            need("n1", window(9, 13), None),
            need("n2", window(14, 18), Some(2)),
        ],
        assignments: vec![
            existing("a-dec", "n1", "t1", AssignmentStatus::Declined, false),
            existing("a-prop", "n1", "t3", AssignmentStatus::Proposed, false),
            existing("a-pin", "n2", "t1", AssignmentStatus::Confirmed, true),
        ],
        history: vec![],
        attributes: vec![],
    }
}

fn sent(problem: &Problem, id: &str) -> Assignment {
    problem
        .assignments
        .iter()
        .find(|a| a.id.as_deref() == Some(id))
        .cloned()
        .expect("an existing assignment")
}

/// A new proposal of `tech` on `need`, over the need's window.
fn proposal(problem: &Problem, need: &str, tech: &str) -> Assignment {
    let w = problem
        .needs
        .iter()
        .find(|n| n.id == need)
        .map_or(window(0, 1), |n| n.window);
    Assignment {
        id: None,
        need_id: need.into(),
        technician_id: tech.into(),
        window: w,
        status: AssignmentStatus::Proposed,
        pinned: false,
    }
}

fn planned(assignments: Vec<Assignment>) -> Vec<PlannedAssignment> {
    assignments
        .into_iter()
        .map(|assignment| PlannedAssignment {
            assignment,
            terms: vec![],
        })
        .collect()
}

/// A valid result: the pin and the proposal kept, t3 proposed on n2 besides.
fn valid(problem: &Problem) -> Vec<Assignment> {
    vec![
        sent(problem, "a-prop"),
        sent(problem, "a-pin"),
        proposal(problem, "n2", "t3"),
    ]
}

/// The breach `result` commits against the standard problem.
fn breach(result: Vec<Assignment>) -> Breach {
    first_breach(&problem(), &planned(result)).expect("a breach")
}

#[track_caller]
fn assert_breach(b: &Breach, need: &str, tech: Option<&str>, code: &str) {
    assert_eq!(
        (
            b.need_id.as_str(),
            b.technician_id.as_deref(),
            b.kind.code()
        ),
        (need, tech, code),
        "{b}"
    );
}

#[test]
fn a_result_that_keeps_the_contract_passes() {
    let p = problem();
    assert_eq!(first_breach(&p, &planned(valid(&p))), None);
    assert!(check(&p, &planned(valid(&p))).is_ok());
    // Dropping an unpinned proposal is allowed, and so is returning a declined one as sent
    // (it occupies nobody, so it is not a duplicate nor counted).
    let mut result = vec![sent(&p, "a-pin"), sent(&p, "a-dec")];
    result.push(proposal(&p, "n1", "t4"));
    assert_eq!(first_breach(&p, &planned(result)), None);
}

#[test]
fn an_unknown_need_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result.push(proposal(&p, "n9", "t3"));
    assert_breach(&breach(result), "n9", Some("t3"), "unknown-need");
}

#[test]
fn an_unknown_technician_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result.push(proposal(&p, "n2", "t9"));
    assert_breach(&breach(result), "n2", Some("t9"), "unknown-technician");
}

#[test]
fn an_unqualified_technician_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result.push(proposal(&p, "n2", "t2"));
    let b = breach(result);
    assert_breach(&b, "n2", Some("t2"), "unqualified");
    assert!(b.to_string().contains("\"sound\""), "{b}");
}

#[test]
fn more_people_than_max_crew_are_refused() {
    let p = problem();
    let mut result = valid(&p);
    result.push(proposal(&p, "n2", "t4"));
    let b = breach(result);
    assert_breach(&b, "n2", None, "over-crew");
    assert_eq!(
        b.kind,
        BreachKind::OverCrew {
            assigned: 3,
            limit: 2
        }
    );
}

#[test]
fn without_max_crew_the_limit_is_min_crew() {
    let p = problem();
    let mut result = valid(&p);
    result.push(proposal(&p, "n1", "t4"));
    assert_breach(&breach(result), "n1", None, "over-crew");
}

#[test]
fn pinned_and_confirmed_assignments_raise_the_crew_limit_to_their_number() {
    let mut p = problem();
    p.assignments.push(existing(
        "a-pin2",
        "n2",
        "t3",
        AssignmentStatus::Proposed,
        true,
    ));
    p.assignments.push(existing(
        "a-conf",
        "n2",
        "t4",
        AssignmentStatus::Confirmed,
        false,
    ));
    let result = vec![sent(&p, "a-pin"), sent(&p, "a-pin2"), sent(&p, "a-conf")];
    assert_eq!(first_breach(&p, &planned(result.clone())), None);
    let mut more = result;
    more.push(proposal(&p, "n2", "t2"));
    more[3].technician_id = "t5".into();
    p.technicians.push(technician("t5", "sound"));
    let b = first_breach(&p, &planned(more)).expect("a breach");
    assert_eq!(
        b.kind,
        BreachKind::OverCrew {
            assigned: 4,
            limit: 3
        }
    );
}

#[test]
fn a_window_other_than_the_needs_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    let mut moved = proposal(&p, "n2", "t4");
    moved.window = window(14, 19);
    result.push(moved);
    let b = breach(result);
    assert_breach(&b, "n2", Some("t4"), "window-not-needs");
    assert_eq!(
        b.kind,
        BreachKind::WindowNotNeeds {
            window: window(14, 19),
            need: window(14, 18)
        }
    );
}

#[test]
fn an_inverted_window_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    let mut inverted = proposal(&p, "n2", "t4");
    inverted.window = window(18, 14);
    result.push(inverted);
    assert_breach(&breach(result), "n2", Some("t4"), "empty-window");
}

#[test]
fn a_zero_length_window_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    let mut empty = proposal(&p, "n2", "t4");
    empty.window = window(14, 14);
    result.push(empty);
    assert_breach(&breach(result), "n2", Some("t4"), "empty-window");
}

#[test]
fn a_kept_assignment_with_a_changed_window_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result[0].window = window(9, 14);
    let b = breach(result);
    assert_breach(&b, "n1", Some("t3"), "kept-changed");
    assert_eq!(
        b.kind,
        BreachKind::KeptChanged {
            id: "a-prop".into(),
            field: "window"
        }
    );
}

#[test]
fn a_kept_assignment_moved_to_another_technician_or_need_is_refused() {
    let p = problem();
    for (field, change) in [
        (
            "technician",
            (|a: &mut Assignment| a.technician_id = "t4".into()) as fn(&mut _),
        ),
        ("need", |a: &mut Assignment| {
            a.need_id = "n2".into();
            a.window = window(14, 18);
        }),
    ] {
        let mut result = valid(&p);
        change(&mut result[0]);
        let b = breach(result);
        assert_eq!(
            b.kind,
            BreachKind::KeptChanged {
                id: "a-prop".into(),
                field
            },
            "{field}: {b}"
        );
    }
}

#[test]
fn a_kept_assignment_with_a_changed_status_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result[0].status = AssignmentStatus::Confirmed;
    let b = breach(result);
    assert_eq!(
        b.kind,
        BreachKind::KeptChanged {
            id: "a-prop".into(),
            field: "status"
        }
    );
    let mut result = valid(&p);
    result[0].pinned = true;
    assert_eq!(
        breach(result).kind,
        BreachKind::KeptChanged {
            id: "a-prop".into(),
            field: "pinned"
        }
    );
}

#[test]
fn a_changed_pinned_assignment_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result[1].window = window(15, 18);
    let b = breach(result);
    assert_breach(&b, "n2", Some("t1"), "kept-changed");
}

#[test]
fn a_dropped_pinned_assignment_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result.remove(1);
    let b = breach(result);
    assert_breach(&b, "n2", Some("t1"), "pin-dropped");
    assert_eq!(
        b.kind,
        BreachKind::PinDropped {
            id: Some("a-pin".into())
        }
    );
    // Returned without its id, it is a new assignment the assigner may not pin or confirm.
    let mut result = valid(&p);
    result[1].id = None;
    assert_breach(&breach(result), "n2", Some("t1"), "status-not-allowed");
}

#[test]
fn an_unknown_or_repeated_assignment_id_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result[2].id = Some("a-made-up".into());
    assert_eq!(
        breach(result).kind,
        BreachKind::UnknownAssignment {
            id: "a-made-up".into()
        }
    );
    // The same id on a second assignment: the second is not the one the host sent.
    let mut result = valid(&p);
    let mut copy = sent(&p, "a-prop");
    copy.technician_id = "t4".into();
    result.push(copy);
    assert_eq!(
        breach(result).kind,
        BreachKind::UnknownAssignment {
            id: "a-prop".into()
        }
    );
}

#[test]
fn a_status_other_than_proposed_on_a_new_assignment_is_refused() {
    let p = problem();
    for status in [AssignmentStatus::Confirmed, AssignmentStatus::Declined] {
        let mut result = valid(&p);
        result[2].status = status;
        let b = breach(result);
        assert_breach(&b, "n2", Some("t3"), "status-not-allowed");
        assert_eq!(b.kind, BreachKind::StatusNotAllowed { status });
    }
}

#[test]
fn a_new_assignment_pinned_by_the_assigner_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result[2].pinned = true;
    assert_breach(&breach(result), "n2", Some("t3"), "pinned-by-assigner");
}

#[test]
fn the_same_technician_twice_on_a_need_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result.push(proposal(&p, "n2", "t3"));
    assert_breach(&breach(result), "n2", Some("t3"), "duplicate");
}

#[test]
fn a_declined_pair_proposed_again_is_refused() {
    let p = problem();
    let mut result = valid(&p);
    result.remove(0);
    result.push(proposal(&p, "n1", "t1"));
    assert_breach(&breach(result), "n1", Some("t1"), "declined-proposed-again");
}

#[test]
fn the_first_breach_in_need_then_technician_order_is_named_whatever_the_result_order() {
    let p = problem();
    let mut result = valid(&p);
    result.push(proposal(&p, "n2", "t2")); // unqualified
    result.push(proposal(&p, "n1", "t4")); // over n1's crew, but a per-need check
    let mut wrong = proposal(&p, "n1", "t4");
    wrong.window = window(10, 13); // and a wrong window: the first breach
    result.pop();
    result.push(wrong);
    let first = breach(result.clone());
    result.reverse();
    assert_eq!(breach(result), first);
    assert_breach(&first, "n1", Some("t4"), "window-not-needs");
}

#[test]
fn a_breach_is_an_engine_contract_error_naming_need_and_technician() {
    let p = problem();
    let mut result = valid(&p);
    result.push(proposal(&p, "n2", "t2"));
    let err = check(&p, &planned(result)).expect_err("refused");
    assert_eq!(err.code(), "ENGINE_CONTRACT_BROKEN");
    let message = err.to_string();
    assert!(
        message.contains("need n2") && message.contains("technician t2"),
        "{message}"
    );
}
