//! Technicians: skills, contracts, availability, preferences, requests, relations,
//! overrides, and their work before the horizon.

use std::collections::BTreeSet;

use callsheet_runtime::types::{
    Availability, AvailabilityKind, Contract, ContractKind, Need, Param, PastShift, Preferences,
    Relation, RelationKind, Request, RequestTarget, Severity, Technician, Value, Window,
};
use chrono::Duration;

use super::work::Venue;
use super::{HOUR, Spec};
use crate::calendar::{self, PARIS};
use crate::rng::Rng;

/// Skills and how common each is as a technician's main trade: stage hands are many,
/// certified riggers and video technicians few.
const SKILLS: &[&str] = &["sound", "light", "rigging", "video", "stage", "driver"];
const MAIN_SKILL_WEIGHTS: &[u64] = &[22, 22, 10, 8, 28, 10];

/// Base hourly rate range by skill, cents (2025 IDCC 2717 grids plus the market).
fn hourly_rate(skill: &str, rng: &mut Rng) -> i64 {
    let (lo, hi) = match skill {
        "rigging" => (2_400, 3_200),
        "video" => (2_200, 3_000),
        "sound" | "light" => (2_000, 2_800),
        "driver" => (1_700, 2_100),
        _ => (1_600, 2_200),
    };
    rng.range(lo / 10, hi / 10) * 10
}

const FIRST_NAMES: &[&str] = &[
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Jade", "Louise", "Emma", "Alice",
    "Lucas", "Hugo", "Louis", "Nathan", "Théo", "Jules", "Arthur", "Tom", "Nolan", "Karim",
    "Yanis", "Mehdi", "Sofia", "Nina", "Paul", "Maxime", "Antoine", "Julie", "Claire", "Romain",
];
const LAST_NAMES: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "Andre", "Mercier", "Dupont", "Lambert", "Bonnet",
    "Francois", "Martinez", "Benali",
];

fn param(name: &str, value: Value) -> Param {
    Param {
        name: name.into(),
        value,
    }
}

/// The technicians `t0001`, `t0002`...
pub fn technicians(spec: &Spec, venues: &[Venue], rng: &mut Rng) -> Vec<Technician> {
    let n = spec.technicians as usize;
    let ids: Vec<String> = (1..=n).map(|i| format!("t{i:04}")).collect();
    let first_day = spec.first_day;
    let mut techs: Vec<Technician> = ids
        .iter()
        .map(|id| {
            let main = SKILLS[rng.weighted(MAIN_SKILL_WEIGHTS)];
            let mut skills: BTreeSet<&str> = BTreeSet::from([main]);
            if rng.chance(45) {
                skills.insert(SKILLS[rng.weighted(MAIN_SKILL_WEIGHTS)]);
            }
            if rng.chance(15) {
                skills.insert(SKILLS[rng.weighted(MAIN_SKILL_WEIGHTS)]);
            }
            // Most technicians are hourly (annexe 8); a few are paid per show (annexe 10).
            let contract = if rng.chance(12) {
                Contract {
                    kind: ContractKind::Cachet,
                    hourly_rate: 0,
                    cachet_rate: rng.range(150, 300) * 100,
                }
            } else {
                Contract {
                    kind: ContractKind::Hourly,
                    hourly_rate: hourly_rate(main, rng),
                    cachet_rate: 0,
                }
            };
            let mut preferences = Preferences {
                preferred_venues: vec![],
                avoided_venues: vec![],
                max_weekly: None,
            };
            if rng.chance(30) {
                let mut v: BTreeSet<String> = BTreeSet::new();
                for _ in 0..rng.range(1, 2) {
                    v.insert(rng.pick(venues).id.clone());
                }
                preferences.preferred_venues = v.into_iter().collect();
            }
            if rng.chance(8) {
                let v = rng.pick(venues).id.clone();
                if !preferences.preferred_venues.contains(&v) {
                    preferences.avoided_venues = vec![v];
                }
            }
            if rng.chance(15) {
                preferences.max_weekly = Some(*rng.pick(&[30 * HOUR, 35 * HOUR]));
            }

            let mut availability = Vec::new();
            let day_window = |d: i64| Window {
                start: calendar::local_instant(PARIS, first_day + Duration::days(d), 0),
                end: calendar::local_instant(PARIS, first_day + Duration::days(d + 1), 0),
            };
            let days = i64::from(spec.days);
            // Days off: about one day in ten, and sometimes a few days in a row.
            let mut off: BTreeSet<i64> = (0..days).filter(|_| rng.chance(10)).collect();
            if rng.chance(6) {
                let from = rng.range(0, days - 1);
                off.extend(from..(from + rng.range(3, 5)).min(days));
            }
            for &d in &off {
                availability.push(Availability {
                    window: day_window(d),
                    kind: AvailabilityKind::Unavailable,
                });
            }
            // Some prefer evenings (17:00-02:00), others weekday daytime (08:00-18:00).
            let prefers = rng.below(100);
            if prefers < 12 || (12..20).contains(&prefers) {
                let evenings = prefers < 12;
                for d in (0..days).filter(|d| !off.contains(d)) {
                    let date = first_day + Duration::days(d);
                    if !evenings && d % 7 >= 5 {
                        continue;
                    }
                    let (from, to) = if evenings { (17, 26) } else { (8, 18) };
                    availability.push(Availability {
                        window: Window {
                            start: calendar::local_instant(PARIS, date, from * HOUR),
                            end: calendar::local_instant(PARIS, date, to * HOUR),
                        },
                        kind: AvailabilityKind::Preferred,
                    });
                }
            }
            availability.sort_by_key(|a| (a.window.start, a.window.end));

            // Day-off requests (soft), on days not already declared unavailable.
            let mut requests = Vec::new();
            if rng.chance(15) {
                let d = rng.range(0, days - 1);
                if !off.contains(&d) {
                    requests.push(Request {
                        target: RequestTarget::Day(calendar::day_number(
                            first_day + Duration::days(d),
                        )),
                        wanted: false,
                        weight: rng.range(3, 8) * 10,
                    });
                }
            }

            let mut overrides = Vec::new();
            if rng.chance(5) {
                // A 12 h day by agreement (L3121-19).
                overrides.push(param("work.daily.max", Value::Int(12 * HOUR)));
            }
            let mut attributes = vec![param("seniority.years", Value::Int(rng.range(0, 25)))];
            if skills.contains("rigging") {
                attributes.insert(0, param("licence.caces", Value::Bool(true)));
            }

            Technician {
                id: id.clone(),
                name: format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)),
                skills: skills.into_iter().map(String::from).collect(),
                contract,
                preferences,
                relations: vec![],
                availability,
                requests,
                overrides,
                attributes,
            }
        })
        .collect();
    relate(&mut techs, rng);
    techs
}

/// Affinities (one pair per ten technicians) and incompatibilities (one per twenty-five,
/// half of them hard), sent in both directions as the contract says.
fn relate(techs: &mut [Technician], rng: &mut Rng) {
    let n = techs.len();
    if n < 2 {
        return;
    }
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut add = |techs: &mut [Technician], kind: RelationKind, rng: &mut Rng| {
        let (a, b) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
        let key = (a.min(b), a.max(b));
        if a == b || !pairs.insert(key) {
            return;
        }
        let (severity, weight) = match kind {
            RelationKind::Affinity => (Severity::Soft, 20),
            RelationKind::Incompatibility if rng.chance(50) => (Severity::Hard, 1),
            RelationKind::Incompatibility => (Severity::Soft, 200),
        };
        for (x, y) in [(a, b), (b, a)] {
            let other = techs[y].id.clone();
            techs[x].relations.push(Relation {
                other,
                kind,
                severity,
                weight,
            });
        }
    };
    for _ in 0..n.div_ceil(10) {
        add(techs, RelationKind::Affinity, rng);
    }
    for _ in 0..n.div_ceil(25) {
        add(techs, RelationKind::Incompatibility, rng);
    }
    for t in techs.iter_mut() {
        t.relations.sort_by(|a, b| a.other.cmp(&b.other));
    }
}

/// Whether a technician declared themselves unavailable during part of `window`.
pub fn unavailable(t: &Technician, window: &Window) -> bool {
    t.availability.iter().any(|a| {
        a.kind == AvailabilityKind::Unavailable
            && a.window.start < window.end
            && window.start < a.window.end
    })
}

/// Makes sure every need has a qualified technician who is not unavailable then: when the
/// draw left none, a technician free at that time learns the skill (a second trade).
pub fn repair_coverage(techs: &mut [Technician], needs: &[Need], rng: &mut Rng) {
    for need in needs {
        let covered = techs
            .iter()
            .any(|t| t.skills.contains(&need.skill) && !unavailable(t, &need.window));
        if covered {
            continue;
        }
        let free: Vec<usize> = (0..techs.len())
            .filter(|&i| !unavailable(&techs[i], &need.window))
            .collect();
        if free.is_empty() {
            continue;
        }
        let t = &mut techs[*rng.pick(&free)];
        t.skills.push(need.skill.clone());
        t.skills.sort();
    }
}

/// Work before the horizon for a quarter of the technicians: one to three evening shows in
/// the last days before it, so rest across the horizon's edge matters.
pub fn history(spec: &Spec, techs: &[Technician], rng: &mut Rng) -> Vec<PastShift> {
    let mut out = Vec::new();
    for t in techs {
        if !rng.chance(25) {
            continue;
        }
        let mut days: BTreeSet<i64> = BTreeSet::new();
        for _ in 0..rng.range(1, 3) {
            days.insert(rng.range(1, 6));
        }
        for d in days.into_iter().rev() {
            let date = spec.first_day - Duration::days(d);
            out.push(PastShift {
                technician_id: t.id.clone(),
                window: Window {
                    start: calendar::local_instant(PARIS, date, 19 * HOUR),
                    end: calendar::local_instant(PARIS, date, 23 * HOUR),
                },
                mission_id: None,
                shift_type: Some("show".into()),
            });
        }
    }
    out.sort_by(|a, b| {
        (a.technician_id.as_str(), a.window.start).cmp(&(b.technician_id.as_str(), b.window.start))
    });
    out
}
