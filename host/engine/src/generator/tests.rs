//! Generator tests: determinism, sizes, sort orders, and the realism the brief asks for.

use callsheet_runtime::types::{AssignmentStatus, AvailabilityKind, Problem};

use super::*;

fn presets() -> Vec<Problem> {
    vec![festival_week(1), touring_month(2)]
}

#[test]
fn the_same_seed_gives_the_same_problem_byte_for_byte() {
    for spec in [
        Spec::festival_week(7),
        Spec::touring_month(7),
        Spec::custom(30, 10, 7),
    ] {
        let a = to_json(&generate(&spec)).expect("serialises");
        let b = to_json(&generate(&spec)).expect("serialises");
        assert_eq!(a, b, "{} is not deterministic", spec.name);
    }
}

#[test]
fn different_seeds_give_different_problems() {
    assert_ne!(festival_week(1), festival_week(2));
}

#[test]
fn presets_have_exactly_their_places_and_technicians() {
    for (p, places, techs) in [(festival_week(3), 50, 20), (touring_month(3), 500, 200)] {
        let got: u32 = p.needs.iter().map(|n| n.min_crew).sum();
        assert_eq!(got, places);
        assert_eq!(p.technicians.len(), techs);
    }
    let p = custom(12, 5, 3);
    assert_eq!(p.needs.iter().map(|n| n.min_crew).sum::<u32>(), 12);
}

#[test]
fn every_need_has_a_qualified_technician_free_at_that_time() {
    for p in presets() {
        for need in &p.needs {
            assert!(
                p.technicians
                    .iter()
                    .any(|t| t.skills.contains(&need.skill) && !crew::unavailable(t, &need.window)),
                "need {} ({}) has no qualified technician free",
                need.id,
                need.skill
            );
        }
    }
}

#[test]
fn windows_are_valid_and_inside_the_horizon_and_their_mission() {
    for p in presets() {
        assert!(p.horizon.start < p.horizon.end);
        for m in &p.missions {
            assert!(m.window.start < m.window.end, "mission {}", m.id);
            assert!(p.horizon.start <= m.window.start && m.window.end <= p.horizon.end);
        }
        for n in &p.needs {
            let m = p
                .missions
                .iter()
                .find(|m| m.id == n.mission_id)
                .expect("mission exists");
            assert!(n.window.start < n.window.end, "need {}", n.id);
            assert!(
                m.window.start <= n.window.start && n.window.end <= m.window.end,
                "need {}",
                n.id
            );
            assert_eq!((&n.venue_id, &n.room_id), (&m.venue_id, &m.room_id));
        }
        for t in &p.technicians {
            for a in &t.availability {
                assert!(a.window.start < a.window.end);
            }
        }
    }
}

#[test]
fn lists_are_sorted_as_the_contract_requires() {
    for p in presets() {
        assert!(p.technicians.windows(2).all(|w| w[0].id < w[1].id));
        assert!(p.missions.windows(2).all(|w| w[0].id < w[1].id));
        assert!(p.needs.windows(2).all(|w| w[0].id < w[1].id));
        assert!(
            p.assignments.windows(2).all(
                |w| (&w[0].need_id, &w[0].technician_id) < (&w[1].need_id, &w[1].technician_id)
            )
        );
        assert!(
            p.history
                .windows(2)
                .all(|w| (&w[0].technician_id, w[0].window.start)
                    <= (&w[1].technician_id, w[1].window.start))
        );
        for t in &p.technicians {
            assert!(t.relations.windows(2).all(|w| w[0].other < w[1].other));
            assert!(
                t.availability
                    .windows(2)
                    .all(|w| w[0].window.start <= w[1].window.start)
            );
        }
    }
}

#[test]
fn no_room_hosts_two_missions_at_once() {
    for p in presets() {
        for (i, a) in p.missions.iter().enumerate() {
            for b in &p.missions[i + 1..] {
                if a.venue_id == b.venue_id && a.room_id == b.room_id {
                    assert!(
                        a.window.end <= b.window.start || b.window.end <= a.window.start,
                        "{} and {} overlap in the same space",
                        a.id,
                        b.id
                    );
                }
            }
        }
    }
}

#[test]
fn pins_are_qualified_available_and_one_per_technician() {
    for p in presets() {
        let pins: Vec<_> = p.assignments.iter().filter(|a| a.pinned).collect();
        assert!(!pins.is_empty());
        assert!(
            p.assignments
                .iter()
                .any(|a| a.status == AssignmentStatus::Declined)
        );
        let mut techs: Vec<&str> = pins.iter().map(|a| a.technician_id.as_str()).collect();
        techs.sort_unstable();
        techs.dedup();
        assert_eq!(techs.len(), pins.len());
        for a in pins {
            let t = p
                .technicians
                .iter()
                .find(|t| t.id == a.technician_id)
                .expect("tech");
            let n = p.needs.iter().find(|n| n.id == a.need_id).expect("need");
            assert!(t.skills.contains(&n.skill));
            assert!(!crew::unavailable(t, &n.window));
        }
    }
}

#[test]
fn the_mix_is_realistic() {
    let p = touring_month(4);
    let count = |skill: &str| {
        p.technicians
            .iter()
            .filter(|t| t.skills.iter().any(|s| s == skill))
            .count()
    };
    assert!(
        count("stage") > count("rigging"),
        "riggers are rarer than stage hands"
    );
    assert!(count("video") < count("sound"));
    assert!(
        p.technicians
            .iter()
            .any(|t| t.contract.kind == callsheet_runtime::types::ContractKind::Cachet)
    );
    assert!(
        p.technicians
            .iter()
            .all(|t| t.contract.hourly_rate > 0 || t.contract.cachet_rate > 0)
    );
    assert!(p.technicians.iter().any(|t| {
        t.availability
            .iter()
            .any(|a| a.kind == AvailabilityKind::Preferred)
    }));
    assert!(p.technicians.iter().any(|t| !t.relations.is_empty()));
    assert!(!p.history.is_empty());
    // Shows start at 19:00 local: 18:00 UTC before 30 March, 17:00 UTC after.
    let show_hours: std::collections::BTreeSet<i64> = p
        .needs
        .iter()
        .filter(|n| n.shift_type.as_deref() == Some("show"))
        .map(|n| n.window.start.rem_euclid(86_400) / 3_600)
        .collect();
    assert!(
        show_hours.contains(&18) && show_hours.contains(&17),
        "{show_hours:?}"
    );
}

#[test]
fn the_calendar_covers_the_look_back_in_whole_iso_weeks_with_holidays() {
    let p = festival_week(5);
    let days = &p.calendar.days;
    assert_eq!(
        days.first().map(|d| d.weekday),
        Some(callsheet_runtime::types::Weekday::Monday)
    );
    assert_eq!(
        days.last().map(|d| d.weekday),
        Some(callsheet_runtime::types::Weekday::Sunday)
    );
    let first = crate::calendar::day_number(Spec::festival_week(5).first_day);
    assert!(days[0].day <= first - 77);
    assert!(
        days.iter()
            .any(|d| d.holiday.as_ref().is_some_and(|h| h.code == "labour-day"))
    );
    assert!(
        days.windows(2)
            .all(|w| w[1].day == w[0].day + 1 && w[1].bounds.start == w[0].bounds.end)
    );
}

#[test]
fn json_round_trips() {
    let p = festival_week(6);
    let json = to_json(&p).expect("serialises");
    assert_eq!(from_json(&json).expect("parses"), p);
}

#[test]
fn the_venue_list_is_the_one_the_problem_uses() {
    let spec = Spec::festival_week(7);
    let problem = generate(&spec);
    let venues = venues(&spec);
    for mission in &problem.missions {
        let venue = venues
            .iter()
            .find(|v| v.id == mission.venue_id)
            .expect("the mission's venue is listed");
        if let Some(room) = &mission.room_id {
            assert!(venue.rooms.contains(room));
        }
    }
    assert_eq!(venues[0].name, "Festival site");
}
