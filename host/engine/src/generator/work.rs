//! Venues, rooms, missions and their needs.
//!
//! Missions come from templates of real show days: a concert's load-in in the morning, the
//! show at night and the load-out past midnight; a theatre's afternoon get-in and evening
//! performance; a conference's set-up, two sessions and tear-down; a festival stage's day
//! and night shifts. Times are local (Europe/Paris) and converted to UTC through the time
//! zone, so they stay at 08:00 local across daylight-saving changes. Each room hosts at most
//! one mission a day, and every template ends by 02:00 the next day, before any template
//! starts, so no room is ever double-booked.

use std::collections::BTreeSet;

use callsheet_runtime::types::{Mission, MissionStatus, Need, Param, Value, Window};
use chrono::Duration;

use super::{HOUR, Spec, Style};
use crate::calendar::{self, PARIS};
use crate::rng::Rng;

/// A venue and its rooms (ids).
#[derive(Debug, Clone)]
pub struct Venue {
    pub id: String,
    pub name: String,
    /// Room ids; empty when the venue is one space.
    pub rooms: Vec<String>,
}

const VENUE_NAMES: &[&str] = &[
    "Olympia",
    "Zénith",
    "Bataclan",
    "La Cigale",
    "Le Trianon",
    "Salle Pleyel",
    "Le Transbordeur",
    "Le Bikini",
    "L'Aéronef",
    "La Laiterie",
    "Le Rocher de Palmer",
    "Stereolux",
    "Le Chabada",
    "La Coopérative de Mai",
    "L'Autre Canal",
    "Le Silo",
    "La Belle Électrique",
    "Le Moulin",
    "La Rodia",
    "Le Cargö",
];

/// Venues `v01`, `v02`...; a third of them (and the festival site) have rooms.
pub fn venues(spec: &Spec, rng: &mut Rng) -> Vec<Venue> {
    (0..spec.venues.max(1))
        .map(|i| {
            let id = format!("v{:02}", i + 1);
            let base = VENUE_NAMES[i as usize % VENUE_NAMES.len()];
            let name = if (i as usize) < VENUE_NAMES.len() {
                base.to_string()
            } else {
                format!("{base} {}", i as usize / VENUE_NAMES.len() + 1)
            };
            let (name, rooms) = if spec.style == Style::Festival && i == 0 {
                ("Festival site".to_string(), 3)
            } else if rng.chance(33) {
                (name, rng.range(2, 3))
            } else {
                (name, 0)
            };
            let rooms = (0..rooms).map(|r| format!("{id}-r{}", r + 1)).collect();
            Venue { id, name, rooms }
        })
        .collect()
}

/// One shift of a template: its type, local start and end (seconds after the mission
/// day's midnight; past 24 h is the next day), and its crew (skill, places).
struct ShiftTemplate {
    shift_type: &'static str,
    start: i64,
    end: i64,
    crew: &'static [(&'static str, u32)],
}

struct Template {
    kind: &'static str,
    shifts: &'static [ShiftTemplate],
}

const fn at(h: i64, m: i64) -> i64 {
    h * HOUR + m * 60
}

const CONCERT: Template = Template {
    kind: "Concert",
    shifts: &[
        ShiftTemplate {
            shift_type: "load-in",
            start: at(8, 0),
            end: at(12, 0),
            crew: &[("rigging", 2), ("light", 1), ("sound", 1), ("stage", 2)],
        },
        ShiftTemplate {
            shift_type: "show",
            start: at(19, 0),
            end: at(23, 0),
            crew: &[("sound", 2), ("light", 1), ("video", 1), ("stage", 1)],
        },
        ShiftTemplate {
            shift_type: "load-out",
            start: at(23, 0),
            end: at(26, 0),
            crew: &[("stage", 2), ("rigging", 1), ("driver", 1)],
        },
    ],
};

const THEATRE: Template = Template {
    kind: "Theatre",
    shifts: &[
        ShiftTemplate {
            shift_type: "load-in",
            start: at(13, 0),
            end: at(18, 0),
            crew: &[("light", 1), ("sound", 1), ("stage", 1)],
        },
        ShiftTemplate {
            shift_type: "show",
            start: at(20, 0),
            end: at(22, 30),
            crew: &[("light", 1), ("sound", 1), ("stage", 1)],
        },
    ],
};

const CONFERENCE: Template = Template {
    kind: "Conference",
    shifts: &[
        ShiftTemplate {
            shift_type: "set-up",
            start: at(6, 30),
            end: at(9, 0),
            crew: &[("video", 1), ("sound", 1), ("stage", 1)],
        },
        ShiftTemplate {
            shift_type: "early",
            start: at(9, 0),
            end: at(13, 0),
            crew: &[("video", 1), ("sound", 1)],
        },
        ShiftTemplate {
            shift_type: "late",
            start: at(14, 0),
            end: at(18, 0),
            crew: &[("video", 1), ("sound", 1)],
        },
        ShiftTemplate {
            shift_type: "tear-down",
            start: at(18, 0),
            end: at(20, 0),
            crew: &[("stage", 1), ("driver", 1)],
        },
    ],
};

const FESTIVAL_DAY: Template = Template {
    kind: "Festival day",
    shifts: &[
        ShiftTemplate {
            shift_type: "day",
            start: at(12, 0),
            end: at(19, 0),
            crew: &[("sound", 1), ("light", 1), ("stage", 2)],
        },
        ShiftTemplate {
            shift_type: "night",
            start: at(19, 0),
            end: at(25, 0),
            crew: &[("sound", 1), ("light", 1), ("video", 1), ("stage", 2)],
        },
    ],
};

/// Templates and their weights for a style.
fn templates(style: Style) -> (&'static [&'static Template], &'static [u64]) {
    match style {
        Style::Festival => (&[&FESTIVAL_DAY, &CONCERT], &[3, 1]),
        Style::Touring => (&[&CONCERT, &THEATRE], &[4, 1]),
        Style::Season => (&[&CONCERT, &THEATRE, &CONFERENCE], &[3, 2, 2]),
    }
}

/// A (venue, room) slot that hosts missions.
struct Space<'v> {
    venue: &'v Venue,
    room: Option<String>,
}

/// Missions and needs until exactly `spec.places` places, sorted by id (ids follow time).
pub fn missions(spec: &Spec, venues: &[Venue], rng: &mut Rng) -> (Vec<Mission>, Vec<Need>) {
    let spaces: Vec<Space<'_>> = venues
        .iter()
        .flat_map(|v| {
            if v.rooms.is_empty() {
                vec![Space {
                    venue: v,
                    room: None,
                }]
            } else {
                v.rooms
                    .iter()
                    .map(|r| Space {
                        venue: v,
                        room: Some(r.clone()),
                    })
                    .collect()
            }
        })
        .collect();
    let projects: Vec<String> = match spec.style {
        Style::Festival => vec!["p-festival".into()],
        Style::Touring => (1..=5).map(|i| format!("p-tour-{i}")).collect(),
        Style::Season => (1..=8).map(|i| format!("p-client-{i}")).collect(),
    };
    let (kinds, weights) = templates(spec.style);

    // Draw (day, space, template) until the places are reached; a slot is used once.
    let mut used: BTreeSet<(u32, usize)> = BTreeSet::new();
    let mut drafts: Vec<(u32, usize, &Template)> = Vec::new();
    let mut places = 0u32;
    let capacity = spec.days as usize * spaces.len();
    while places < spec.places && used.len() < capacity {
        let day = rng.below(u64::from(spec.days)) as u32;
        let space = rng.below(spaces.len() as u64) as usize;
        if !used.insert((day, space)) {
            continue;
        }
        // The festival site hosts festival days; other spaces any template of the style.
        let template = if spec.style == Style::Festival && spaces[space].venue.id == "v01" {
            &FESTIVAL_DAY
        } else if spec.style == Style::Festival {
            &CONCERT
        } else {
            kinds[rng.weighted(weights)]
        };
        places += template
            .shifts
            .iter()
            .flat_map(|s| s.crew.iter().map(|c| c.1))
            .sum::<u32>();
        drafts.push((day, space, template));
    }
    // Ids in time order (then space), so that sorted by id is chronological.
    drafts.sort_by_key(|(day, space, t)| (*day, t.shifts[0].start, *space));

    let mut missions = Vec::new();
    let mut needs = Vec::new();
    let mut left = spec.places;
    for (i, (day, space, template)) in drafts.into_iter().enumerate() {
        if left == 0 {
            break;
        }
        let space = &spaces[space];
        let date = spec.first_day + Duration::days(i64::from(day));
        let id = format!("m{:04}", i + 1);
        let instant = |secs: i64| calendar::local_instant(PARIS, date, secs);
        let window = Window {
            start: instant(template.shifts[0].start),
            end: instant(template.shifts.iter().map(|s| s.end).max().unwrap_or(0)),
        };
        let room_label = space
            .room
            .as_ref()
            .map(|r| format!(" ({})", &r[r.len() - 2..]))
            .unwrap_or_default();
        missions.push(Mission {
            id: id.clone(),
            title: format!(
                "{} {}{room_label} {}",
                template.kind,
                space.venue.name,
                date.format("%d/%m")
            ),
            project_id: Some(rng.pick(&projects).clone()),
            venue_id: space.venue.id.clone(),
            room_id: space.room.clone(),
            window,
            paid: true,
            status: if rng.chance(85) {
                MissionStatus::Confirmed
            } else {
                MissionStatus::Draft
            },
            attributes: vec![Param {
                name: "kind".into(),
                value: Value::Text(template.kind.to_lowercase()),
            }],
        });
        for shift in template.shifts {
            for &(skill, crew) in shift.crew {
                if left == 0 {
                    break;
                }
                let min_crew = crew.min(left);
                left -= min_crew;
                // Some needs accept one extra person at a cost (a spare hand at a show).
                let max_crew = rng.chance(20).then_some(min_crew + 1);
                needs.push(Need {
                    id: format!("n{:05}", needs.len() + 1),
                    mission_id: id.clone(),
                    venue_id: space.venue.id.clone(),
                    room_id: space.room.clone(),
                    window: Window {
                        start: instant(shift.start),
                        end: instant(shift.end),
                    },
                    skill: skill.into(),
                    shift_type: Some(shift.shift_type.into()),
                    min_crew,
                    max_crew,
                    // Filling a place outweighs any preference: a show place most.
                    unfilled_penalty: match shift.shift_type {
                        "show" | "night" => 3_000,
                        "load-in" | "day" | "set-up" => 2_000,
                        _ => 1_000,
                    },
                    extra_penalty: if max_crew.is_some() { 100 } else { 0 },
                    attributes: vec![],
                });
            }
        }
    }
    (missions, needs)
}
