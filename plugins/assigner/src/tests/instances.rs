//! Seeded random instances: technicians with one or two skills, hourly or cachet rates,
//! preferred venues, unavailabilities and relations (affinity, soft and hard
//! incompatibility); needs of one or more places over a few days, at three venues, some in
//! the same room, some late at night and others early in the morning so that chaining them
//! breaks the daily rest.

use callsheet_plugin_sdk::testing::window;
use callsheet_plugin_sdk::types::*;

use super::fixture::{Fx, HOUR, may};
use crate::rng::Pcg32;

/// How big an instance is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Total places (sum of `min-crew`), at most.
    pub places: u32,
    pub techs: usize,
    /// Days from Monday 5 May over which the needs spread.
    pub days: u8,
    /// Most places per need.
    pub max_crew: u32,
}

const SKILLS: [&str; 2] = ["sound", "light"];
const VENUES: [&str; 3] = ["v1", "v2", "v3"];

fn between(rng: &mut Pcg32, low: i64, high: i64) -> i64 {
    low + rng.below((high - low + 1) as usize) as i64
}

fn chance(rng: &mut Pcg32, one_in: usize) -> bool {
    rng.below(one_in) == 0
}

/// A random instance.
pub fn random(seed: u64, size: Size) -> Fx {
    let mut rng = Pcg32::new(seed);
    let mut fx = Fx::new();
    fx.problem.seed = seed;
    for i in 0..size.techs {
        let first = SKILLS[rng.below(SKILLS.len())];
        let mut skills = vec![first];
        if chance(&mut rng, 3) {
            skills.push(SKILLS[(SKILLS.iter().position(|s| *s == first).unwrap_or(0) + 1) % 2]);
        }
        let id = format!("t{:02}", i + 1);
        let rate = between(&mut rng, 15, 30) * 100;
        let cachet = chance(&mut rng, 5);
        let venue = chance(&mut rng, 3).then(|| VENUES[rng.below(VENUES.len())].to_owned());
        let off = chance(&mut rng, 4).then(|| {
            let day = between(&mut rng, 0, i64::from(size.days) - 1) as u8;
            window(may(5 + day, 8, 0), may(5 + day, 20, 0))
        });
        let t = fx.tech(&id, &skills);
        if cachet {
            t.contract.kind = ContractKind::Cachet;
            t.contract.hourly_rate = 0;
            t.contract.cachet_rate = rate * 10;
        } else {
            t.contract.hourly_rate = rate;
        }
        t.preferences.preferred_venues.extend(venue);
        if let Some(w) = off {
            t.availability.push(Availability {
                window: w,
                kind: AvailabilityKind::Unavailable,
            });
        }
    }
    // About one relation in six pairs on small crews, about two relations per technician
    // on big ones (a real crew does not have dozens of friends and foes each).
    let one_in = 6.max(size.techs / 4);
    for a in 0..size.techs {
        for b in a + 1..size.techs {
            if !chance(&mut rng, one_in) {
                continue;
            }
            let (kind, severity, weight) = match rng.below(3) {
                0 => (
                    RelationKind::Affinity,
                    Severity::Soft,
                    between(&mut rng, 10, 60),
                ),
                1 => (
                    RelationKind::Incompatibility,
                    Severity::Soft,
                    between(&mut rng, 20, 90),
                ),
                _ => (RelationKind::Incompatibility, Severity::Hard, 1),
            };
            for (x, y) in [(a, b), (b, a)] {
                let other = fx.problem.technicians[y].id.clone();
                fx.problem.technicians[x].relations.push(Relation {
                    other,
                    kind,
                    severity,
                    weight,
                });
            }
        }
    }
    for t in &mut fx.problem.technicians {
        t.relations.sort_by(|a, b| a.other.cmp(&b.other));
    }
    let mut places = 0;
    let mut k = 0;
    while places < size.places {
        k += 1;
        let crew = (1 + rng.below(size.max_crew as usize) as u32).min(size.places - places);
        places += crew;
        let day = between(&mut rng, 0, i64::from(size.days) - 1) as u8;
        // Evenings and mornings, so that consecutive days chain into short rests.
        let start_hour = [7, 9, 14, 18, 20][rng.below(5)];
        let length = between(&mut rng, 3, 8);
        let start = may(5 + day, start_hour, 0);
        let skill = SKILLS[rng.below(SKILLS.len())];
        let venue = VENUES[rng.below(VENUES.len())];
        let room = chance(&mut rng, 3).then(|| "r1".to_owned());
        let penalty = between(&mut rng, 1, 8) * 50;
        let need = fx.need(
            &format!("Mission {k}"),
            skill,
            start,
            start + length * HOUR,
            crew,
        );
        need.venue_id = venue.into();
        need.room_id = room.clone();
        need.unfilled_penalty = penalty;
        let mission = fx.problem.missions.last_mut().expect("just pushed");
        mission.venue_id = venue.into();
        mission.room_id = room;
    }
    fx
}
