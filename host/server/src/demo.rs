//! Planning data made by the instance generator, imported as a tenant's real data: the
//! demo tenant's festival week (`callsheet demo`) and the year of data the load scripts
//! use (`callsheet seed --preset year`).
//!
//! The generator (`callsheet_engine::generator`) draws realistic instances: venues with
//! rooms, concerts, theatre and conferences with load-in, show and load-out shifts, crews
//! with mixed skills, contracts, preferences, incompatibilities and days off, and a few
//! existing assignments. One generated mission becomes one mission per shift here (a
//! "load-in", a "show", a "load-out"), which is how planners enter them: each has its own
//! times and crew.

use std::collections::{BTreeMap, BTreeSet};

use callsheet_engine::generator::{self, Spec, Style};
use callsheet_runtime::types::{self as wit, Problem};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde_json::json;

use crate::domain::time::Window;
use crate::domain::{
    AssignmentId, AssignmentSource, AssignmentStatus, AvailabilityId, MissionId, MissionStatus,
    NeedId, ProjectId, RoomId, TechnicianId, TenantId, VenueId,
};
use crate::storage::planning::{Assignment, Mission, Need, NewMission};
use crate::storage::seed::{Seed, SeedAvailability, SeedTechnician};
use crate::storage::{DynStorage, StorageResult};

/// The data sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// A festival week starting this Monday: 3 venues, 40 technicians, about 60 missions.
    FestivalWeek,
    /// A year of a production company from this year's first Monday: about 5,000 missions
    /// and 300 technicians.
    Year,
}

impl Preset {
    /// The generator's spec, starting at `monday`.
    pub fn spec(self, monday: NaiveDate, seed: u64) -> Spec {
        match self {
            Preset::FestivalWeek => Spec {
                name: "demo-festival-week".into(),
                places: 280,
                technicians: 40,
                first_day: monday,
                days: 7,
                venues: 3,
                style: Style::Festival,
                seed,
            },
            Preset::Year => Spec {
                name: "year".into(),
                places: 18_000,
                technicians: 300,
                first_day: monday,
                days: 364,
                venues: 20,
                style: Style::Season,
                seed,
            },
        }
    }

    /// Where the preset starts, for a given day: the Monday of its week (festival) or the
    /// first Monday of its year (year).
    pub fn first_monday(self, today: NaiveDate) -> NaiveDate {
        match self {
            Preset::FestivalWeek => callsheet_engine::calendar::monday_of(today),
            Preset::Year => {
                let jan1 = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
                callsheet_engine::calendar::monday_of(jan1 + Duration::days(6))
            }
        }
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub venues: usize,
    pub technicians: usize,
    pub missions: usize,
    pub needs: usize,
    pub assignments: usize,
}

/// Fills `tenant` with `spec`'s data, unless it already has missions (then nothing is
/// written and `None` returned: an import never mixes with real data).
pub async fn import(
    storage: &DynStorage,
    tenant: TenantId,
    spec: &Spec,
) -> StorageResult<Option<Imported>> {
    if storage.mission_count(tenant).await? > 0 {
        return Ok(None);
    }
    let problem = generator::generate(spec);
    let venues = generator::venues(spec);
    let seed = convert(&problem, &venues, Utc::now());
    let imported = Imported {
        venues: seed.venues.len(),
        technicians: seed.technicians.len(),
        missions: seed.missions.len(),
        needs: seed.missions.iter().map(|m| m.needs.len()).sum(),
        assignments: seed.assignments.len(),
    };
    storage.import(tenant, seed, Utc::now()).await?;
    Ok(Some(imported))
}

/// Generator ids to fresh UUIDs, one map per kind.
#[derive(Default)]
struct Ids {
    venues: BTreeMap<String, VenueId>,
    rooms: BTreeMap<String, RoomId>,
    projects: BTreeMap<String, ProjectId>,
    technicians: BTreeMap<String, TechnicianId>,
}

fn convert(problem: &Problem, venues: &[generator::Venue], now: DateTime<Utc>) -> Seed {
    let mut ids = Ids::default();
    let mut seed = Seed::default();
    for venue in venues {
        let id = VenueId::new();
        ids.venues.insert(venue.id.clone(), id);
        seed.venues.push((id, venue.name.clone()));
        for (i, room) in venue.rooms.iter().enumerate() {
            let room_id = RoomId::new();
            ids.rooms.insert(room.clone(), room_id);
            let name = if venue.name == "Festival site" {
                ["Main stage", "Second stage", "Club tent"]
                    .get(i)
                    .map_or_else(|| format!("Stage {}", i + 1), |s| (*s).to_owned())
            } else {
                format!("Room {}", i + 1)
            };
            seed.rooms.push((room_id, id, name));
        }
    }
    let projects: BTreeSet<&String> = problem
        .missions
        .iter()
        .filter_map(|m| m.project_id.as_ref())
        .collect();
    for p in projects {
        let id = ProjectId::new();
        ids.projects.insert(p.clone(), id);
        let name = match p.strip_prefix("p-") {
            Some("festival") => "Festival".to_owned(),
            Some(rest) => rest.replace('-', " ").to_uppercase(),
            None => p.clone(),
        };
        seed.projects.push((id, name));
    }
    for t in &problem.technicians {
        ids.technicians.insert(t.id.clone(), TechnicianId::new());
    }
    for t in &problem.technicians {
        let id = ids.technicians[&t.id];
        let venue_ids = |list: &[String]| -> Vec<VenueId> {
            list.iter()
                .filter_map(|v| ids.venues.get(v).copied())
                .collect()
        };
        let relations: Vec<serde_json::Value> = t
            .relations
            .iter()
            .filter_map(|r| {
                Some(json!({
                    "technician_id": ids.technicians.get(&r.other)?,
                    "kind": match r.kind { wit::RelationKind::Affinity => "affinity", wit::RelationKind::Incompatibility => "incompatibility" },
                    "severity": match r.severity { wit::Severity::Hard => "hard", wit::Severity::Soft => "soft" },
                    "weight": r.weight,
                }))
            })
            .collect();
        seed.technicians.push(SeedTechnician {
            id,
            name: t.name.clone(),
            skills: json!(t.skills).to_string(),
            contract_kind: match t.contract.kind {
                wit::ContractKind::Hourly => "hourly",
                wit::ContractKind::Cachet => "cachet",
            },
            hourly_rate_cents: t.contract.hourly_rate,
            cachet_rate_cents: t.contract.cachet_rate,
            preferences: json!({
                "preferred_venues": venue_ids(&t.preferences.preferred_venues),
                "avoided_venues": venue_ids(&t.preferences.avoided_venues),
                "max_weekly_hours": t.preferences.max_weekly.map(|s| s / 3600),
            })
            .to_string(),
            relations: json!(relations).to_string(),
        });
        for a in &t.availability {
            seed.availabilities.push(SeedAvailability {
                id: AvailabilityId::new(),
                technician_id: id,
                window: stored_window(&a.window),
                kind: match a.kind {
                    wit::AvailabilityKind::Available => "available",
                    wit::AvailabilityKind::Unavailable => "unavailable",
                    wit::AvailabilityKind::Preferred => "preferred",
                },
            });
        }
    }

    // One mission per (generated mission, shift): its needs share the shift's window.
    let by_id: BTreeMap<&str, &wit::Mission> = problem
        .missions
        .iter()
        .map(|m| (m.id.as_str(), m))
        .collect();
    let mut groups: BTreeMap<(&str, i64, Option<&str>), Vec<&wit::Need>> = BTreeMap::new();
    for need in &problem.needs {
        groups
            .entry((
                need.mission_id.as_str(),
                need.window.start,
                need.shift_type.as_deref(),
            ))
            .or_default()
            .push(need);
    }
    let mut need_ids: BTreeMap<&str, (NeedId, MissionId, Window)> = BTreeMap::new();
    for ((mission_id, _, shift), needs) in groups {
        let source = by_id[mission_id];
        // The shift's needs share its window; a group is never empty.
        let window = needs
            .iter()
            .map(|n| stored_window(&n.window))
            .reduce(Window::hull)
            .unwrap_or_else(|| stored_window(&source.window));
        let id = MissionId::new();
        let mission = Mission {
            id,
            tenant_id: TenantId::default(),
            title: match shift {
                Some(s) => format!("{} - {s}", source.title),
                None => source.title.clone(),
            },
            project_id: source
                .project_id
                .as_ref()
                .and_then(|p| ids.projects.get(p).copied()),
            venue_id: ids.venues[&source.venue_id],
            room_id: source
                .room_id
                .as_ref()
                .and_then(|r| ids.rooms.get(r).copied()),
            window,
            paid: source.paid,
            status: match source.status {
                wit::MissionStatus::Draft => MissionStatus::Draft,
                wit::MissionStatus::Confirmed => MissionStatus::Confirmed,
                wit::MissionStatus::Cancelled => MissionStatus::Cancelled,
            },
            notes: None,
            attributes: "{}".into(),
            created_at: now,
            updated_at: now,
        };
        let needs = needs
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let need_id = NeedId::new();
                let need_window = stored_window(&n.window);
                need_ids.insert(n.id.as_str(), (need_id, id, need_window));
                Need {
                    id: need_id,
                    mission_id: id,
                    position: i32::try_from(i).unwrap_or_default(),
                    skill: n.skill.clone(),
                    shift_type: n.shift_type.clone(),
                    min_crew: i32::try_from(n.min_crew).unwrap_or_default(),
                    max_crew: n.max_crew.and_then(|m| i32::try_from(m).ok()),
                    window: need_window,
                    unfilled_penalty: n.unfilled_penalty,
                    extra_penalty: n.extra_penalty,
                    attributes: "{}".into(),
                }
            })
            .collect();
        seed.missions.push(NewMission { mission, needs });
    }

    // The generator's existing assignments, minus any that would double-book (the
    // database would refuse the whole import).
    let mut booked: BTreeMap<TechnicianId, Vec<Window>> = BTreeMap::new();
    for a in &problem.assignments {
        let (Some(&(need_id, mission_id, window)), Some(&technician_id)) = (
            need_ids.get(a.need_id.as_str()),
            ids.technicians.get(&a.technician_id),
        ) else {
            continue;
        };
        let status = match a.status {
            wit::AssignmentStatus::Proposed => AssignmentStatus::Proposed,
            wit::AssignmentStatus::Confirmed => AssignmentStatus::Confirmed,
            wit::AssignmentStatus::Declined => AssignmentStatus::Declined,
        };
        if status != AssignmentStatus::Declined {
            let theirs = booked.entry(technician_id).or_default();
            if theirs.iter().any(|w| w.overlaps(&window)) {
                continue;
            }
            theirs.push(window);
        }
        seed.assignments.push(Assignment {
            id: AssignmentId::new(),
            tenant_id: TenantId::default(),
            need_id,
            mission_id,
            technician_id,
            window,
            status,
            pinned: a.pinned,
            source: AssignmentSource::Manual,
            run_id: None,
            override_reason: None,
            created_by: None,
            created_at: now,
            updated_at: now,
        });
    }
    seed
}

fn instant(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// The generator's window as a stored one: it never makes an empty one (its shifts last
/// hours), so a failure here is a bug of the generator.
fn stored_window(w: &wit::Window) -> Window {
    Window::new(instant(w.start), instant(w.end)).expect("the generator makes non-empty windows")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_festival_week_is_the_size_the_readme_promises() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let spec = Preset::FestivalWeek.spec(monday, 2026);
        let seed = convert(
            &generator::generate(&spec),
            &generator::venues(&spec),
            Utc::now(),
        );
        assert_eq!(seed.venues.len(), 3);
        assert_eq!(seed.technicians.len(), 40);
        assert!(
            (45..=80).contains(&seed.missions.len()),
            "{} missions",
            seed.missions.len()
        );
        for m in &seed.missions {
            let window = m.mission.window;
            assert!(m.needs.iter().all(|n| window.contains(&n.window)));
            assert!(m.mission.window.start().date_naive() >= monday - Duration::days(1));
        }
    }

    #[test]
    fn the_year_starts_on_the_first_monday_of_the_year() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(
            Preset::Year.first_monday(today),
            NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
        );
        assert_eq!(
            Preset::FestivalWeek.first_monday(today),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
    }
}
