//! The plugin contract's `problem`, built from the tenant's data.
//!
//! Every plugin call (a manual assignment's rule check, an automatic run, the conflicts
//! report, a conformance run on real data) sees the tenant through this one function, so
//! they all agree on what a mission, a need, a history or a calendar is:
//!
//! - the horizon is a window of the tenant's missions (cancelled ones left out); a scope
//!   may keep only some missions and some technicians;
//! - confirmed assignments go to the plugins as pinned: "pinned and confirmed assignments
//!   stay" is then the contract's own rule, checked by the engine;
//! - work outside the scope (before the horizon back to the rules plugin's look-back, after
//!   it up to a week, or on missions left out) is `history`, which rules read and runs
//!   never move;
//! - the calendar covers all that in whole ISO weeks, in the tenant's zone, with holidays;
//! - every list is sorted (ids, then start), ids are the UUIDs as text, and the seed is a
//!   hash of the tenant and the horizon: the same data gives the same problem, byte for
//!   byte, which is what makes runs replayable.

use std::collections::{BTreeMap, BTreeSet};

use callsheet_runtime::types::{
    self as wit, Availability, Calendar, Contract, ContractKind, Param, PastShift, Preferences,
    Problem, Relation, RelationKind, Scalar, Severity, Technician as WitTechnician, Value,
};
use chrono::{Duration, NaiveDate};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::domain::time::{Window, local_midnight};
use crate::domain::{AssignmentStatus, MissionId, MissionStatus, TechnicianId, TenantId, TimeZone};
use crate::storage::planning::{Assignment, Mission, Need};
use crate::storage::{self, DynStorage, StorageResult};

/// What part of the tenant's data a problem covers.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Missions overlapping this window are planned.
    pub horizon: Window,
    /// Only these missions (all the horizon's when `None`).
    pub missions: Option<BTreeSet<MissionId>>,
    /// Only these technicians (every active one when `None`).
    pub technicians: Option<BTreeSet<TechnicianId>>,
}

/// Builds the problem of `scope`, with `lookback_days` of history before it (what the
/// rules plugin asks for: `describe().lookback-days`). Six queries whatever the size.
pub async fn build(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    scope: &Scope,
    lookback_days: u32,
) -> StorageResult<Problem> {
    let horizon = scope.horizon;
    // A week of margin on each side: missions overlapping the window may reach a day
    // beyond it, and the horizon grows to cover them (below). The look-back is bounded
    // as at upload (a plugin stored before the bound may ask for more).
    let first_day = crate::domain::time::local_date(horizon.start(), tz)
        - Duration::days(i64::from(lookback_days.min(callsheet_runtime::MAX_LOOKBACK_DAYS)) + 7);
    let first_day = monday_of(first_day);
    let last_day =
        monday_of(crate::domain::time::local_date(horizon.end(), tz)) + Duration::days(13);
    let outer = Window::new(
        local_midnight(tz, first_day),
        local_midnight(tz, last_day + Duration::days(1)),
    )
    .expect("a fortnight past the horizon's start ends after it");

    let rows = storage.planning_rows(tenant, horizon, None, None).await?;
    // A scope of a few technicians (a manual assignment's check) reads only theirs,
    // through the per-technician indexes; a run reads the whole tenant.
    let (technicians, availabilities, around) = match &scope.technicians {
        Some(only) => {
            let ids: Vec<TechnicianId> = only.iter().copied().collect();
            let mut technicians = storage.technicians_by_ids(tenant, &ids).await?;
            technicians.retain(|t| t.active);
            (
                technicians,
                storage.availabilities_of(tenant, &ids, outer).await?,
                storage.assignments_of(tenant, &ids, outer).await?,
            )
        }
        None => (
            storage.active_technicians(tenant).await?,
            storage
                .availabilities_overlapping(tenant, outer, None)
                .await?,
            storage.assignments_overlapping(tenant, outer).await?,
        ),
    };
    let known: BTreeSet<TechnicianId> = technicians.iter().map(|t| t.id).collect();

    let in_scope = |m: &Mission| {
        m.status != MissionStatus::Cancelled
            && scope
                .missions
                .as_ref()
                .is_none_or(|only| only.contains(&m.id))
    };
    let missions: Vec<&Mission> = rows
        .missions
        .iter()
        .map(|m| &m.mission)
        .filter(|m| in_scope(m))
        .collect();
    let mission_ids: BTreeSet<MissionId> = missions.iter().map(|m| m.id).collect();
    let venue_of: BTreeMap<MissionId, &Mission> = missions.iter().map(|m| (m.id, *m)).collect();
    let needs: Vec<&Need> = rows
        .needs
        .iter()
        .filter(|n| mission_ids.contains(&n.mission_id))
        .collect();
    let need_ids: BTreeSet<_> = needs.iter().map(|n| n.id).collect();
    // Missions overlapping the window may start before it or end after it (a load-out
    // past Sunday midnight): the contract's horizon covers every need it plans.
    let horizon = needs.iter().fold(horizon, |h, n| h.hull(n.window));
    let shift_type: BTreeMap<_, _> = rows
        .needs
        .iter()
        .map(|n| (n.id, n.shift_type.clone()))
        .collect();

    let assignments: Vec<&Assignment> = rows
        .assignments
        .iter()
        .map(|a| &a.assignment)
        .filter(|a| need_ids.contains(&a.need_id) && known.contains(&a.technician_id))
        .collect();
    let planned: BTreeSet<_> = assignments.iter().map(|a| a.id).collect();
    let mut history: Vec<PastShift> = around
        .iter()
        .filter(|a| {
            !planned.contains(&a.id)
                && a.status != AssignmentStatus::Declined
                && known.contains(&a.technician_id)
        })
        .map(|a| PastShift {
            technician_id: a.technician_id.to_string(),
            window: window(a.window),
            mission_id: Some(a.mission_id.to_string()),
            shift_type: shift_type.get(&a.need_id).cloned().flatten(),
        })
        .collect();
    history.sort_by(|a, b| {
        (&a.technician_id, a.window.start, &a.mission_id).cmp(&(
            &b.technician_id,
            b.window.start,
            &b.mission_id,
        ))
    });

    let mut availability_of: BTreeMap<TechnicianId, Vec<Availability>> = BTreeMap::new();
    for a in &availabilities {
        availability_of
            .entry(a.technician_id)
            .or_default()
            .push(Availability {
                window: window(a.window),
                kind: match a.kind {
                    storage::AvailabilityKind::Available => wit::AvailabilityKind::Available,
                    storage::AvailabilityKind::Unavailable => wit::AvailabilityKind::Unavailable,
                    storage::AvailabilityKind::Preferred => wit::AvailabilityKind::Preferred,
                },
            });
    }

    let mut wit_technicians: Vec<WitTechnician> = technicians
        .iter()
        .map(|t| {
            let mut availability = availability_of.remove(&t.id).unwrap_or_default();
            availability.sort_by_key(|a| (a.window.start, a.window.end));
            let mut relations: Vec<Relation> = t
                .relations
                .iter()
                .filter(|r| known.contains(&r.technician_id))
                .map(|r| Relation {
                    other: r.technician_id.to_string(),
                    kind: match r.kind {
                        storage::RelationKind::Affinity => RelationKind::Affinity,
                        storage::RelationKind::Incompatibility => RelationKind::Incompatibility,
                    },
                    severity: match r.severity {
                        storage::RelationSeverity::Hard => Severity::Hard,
                        storage::RelationSeverity::Soft => Severity::Soft,
                    },
                    weight: r.weight,
                })
                .collect();
            relations.sort_by(|a, b| a.other.cmp(&b.other));
            WitTechnician {
                id: t.id.to_string(),
                name: t.name.clone(),
                skills: t.skills.iter().map(ToString::to_string).collect(),
                contract: Contract {
                    kind: match t.contract.kind {
                        storage::ContractKind::Hourly => ContractKind::Hourly,
                        storage::ContractKind::Cachet => ContractKind::Cachet,
                    },
                    hourly_rate: t.contract.hourly_rate_cents,
                    cachet_rate: t.contract.cachet_rate_cents,
                },
                preferences: Preferences {
                    preferred_venues: sorted(
                        t.preferences
                            .preferred_venues
                            .iter()
                            .map(ToString::to_string),
                    ),
                    avoided_venues: sorted(
                        t.preferences.avoided_venues.iter().map(ToString::to_string),
                    ),
                    max_weekly: t.preferences.max_weekly_hours.map(|h| i64::from(h) * 3600),
                },
                relations,
                availability,
                requests: Vec::new(),
                overrides: Vec::new(),
                attributes: attributes(&serde_json::to_value(&t.attributes).unwrap_or_default()),
            }
        })
        .collect();
    wit_technicians.sort_by(|a, b| a.id.cmp(&b.id));

    let mut wit_missions: Vec<wit::Mission> = missions.iter().map(|m| wit_mission(m)).collect();
    wit_missions.sort_by(|a, b| a.id.cmp(&b.id));

    let mut wit_needs: Vec<wit::Need> = needs
        .iter()
        .map(|n| wit_need(n, venue_of[&n.mission_id]))
        .collect();
    wit_needs.sort_by(|a, b| a.id.cmp(&b.id));

    let mut wit_assignments: Vec<wit::Assignment> = assignments.iter().map(|a| to_wit(a)).collect();
    wit_assignments
        .sort_by(|a, b| (&a.need_id, &a.technician_id).cmp(&(&b.need_id, &b.technician_id)));

    Ok(Problem {
        tenant_id: tenant.to_string(),
        horizon: window(horizon),
        seed: seed(tenant, horizon),
        calendar: calendar(tz, first_day, last_day),
        technicians: wit_technicians,
        missions: wit_missions,
        needs: wit_needs,
        assignments: wit_assignments,
        history,
        attributes: Vec::new(),
    })
}

/// `problem` as it would be once `mission` and its `needs` are written: the mission and
/// its needs replaced, their assignments moved to their needs' windows. What a move is
/// checked against (`planning::reschedule`); `problem` must hold the mission.
pub fn with_mission(problem: &Problem, mission: &Mission, needs: &[Need]) -> Problem {
    let mut next = problem.clone();
    let id = mission.id.to_string();
    if let Some(m) = next.missions.iter_mut().find(|m| m.id == id) {
        *m = wit_mission(mission);
    }
    next.needs.retain(|n| n.mission_id != id);
    next.needs
        .extend(needs.iter().map(|n| wit_need(n, mission)));
    next.needs.sort_by(|a, b| a.id.cmp(&b.id));
    let windows: BTreeMap<String, wit::Window> = needs
        .iter()
        .map(|n| (n.id.to_string(), window(n.window)))
        .collect();
    for a in &mut next.assignments {
        if let Some(w) = windows.get(&a.need_id) {
            a.window = *w;
        }
    }
    next.horizon = next.needs.iter().fold(next.horizon, |h, n| wit::Window {
        start: h.start.min(n.window.start),
        end: h.end.max(n.window.end),
    });
    next
}

fn wit_mission(m: &Mission) -> wit::Mission {
    wit::Mission {
        id: m.id.to_string(),
        title: m.title.clone(),
        project_id: m.project_id.map(|p| p.to_string()),
        venue_id: m.venue_id.to_string(),
        room_id: m.room_id.map(|r| r.to_string()),
        window: window(m.window),
        paid: m.paid,
        status: match m.status {
            MissionStatus::Draft => wit::MissionStatus::Draft,
            MissionStatus::Confirmed => wit::MissionStatus::Confirmed,
            MissionStatus::Cancelled => wit::MissionStatus::Cancelled,
        },
        attributes: attributes_text(&m.attributes),
    }
}

/// A need as the contract has it; its venue and room are its mission's.
fn wit_need(n: &Need, mission: &Mission) -> wit::Need {
    wit::Need {
        id: n.id.to_string(),
        mission_id: n.mission_id.to_string(),
        venue_id: mission.venue_id.to_string(),
        room_id: mission.room_id.map(|r| r.to_string()),
        window: window(n.window),
        skill: n.skill.clone(),
        shift_type: n.shift_type.clone(),
        min_crew: u32::try_from(n.min_crew).unwrap_or_default(),
        max_crew: n.max_crew.and_then(|m| u32::try_from(m).ok()),
        unfilled_penalty: n.unfilled_penalty,
        extra_penalty: n.extra_penalty,
        attributes: attributes_text(&n.attributes),
    }
}

/// An assignment as the contract has it; a confirmed one is pinned for the plugins.
pub fn to_wit(a: &Assignment) -> wit::Assignment {
    wit::Assignment {
        id: Some(a.id.to_string()),
        need_id: a.need_id.to_string(),
        technician_id: a.technician_id.to_string(),
        window: window(a.window),
        status: match a.status {
            AssignmentStatus::Proposed => wit::AssignmentStatus::Proposed,
            AssignmentStatus::Confirmed => wit::AssignmentStatus::Confirmed,
            AssignmentStatus::Declined => wit::AssignmentStatus::Declined,
        },
        pinned: a.pinned || a.status == AssignmentStatus::Confirmed,
    }
}

pub fn window(w: Window) -> wit::Window {
    wit::Window {
        start: w.start().timestamp(),
        end: w.end().timestamp(),
    }
}

fn calendar(tz: TimeZone, first: NaiveDate, last: NaiveDate) -> Calendar {
    callsheet_engine::calendar::build(tz.0, first, last)
}

fn monday_of(date: NaiveDate) -> NaiveDate {
    callsheet_engine::calendar::monday_of(date)
}

/// The run's seed: a function of the tenant and the horizon only, so a replay, or the same
/// request tomorrow on the same data, searches the same way.
fn seed(tenant: TenantId, horizon: Window) -> u64 {
    let digest = Sha256::new()
        .chain_update(tenant.0.as_bytes())
        .chain_update(horizon.start().timestamp().to_le_bytes())
        .chain_update(horizon.end().timestamp().to_le_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.collect();
    v.sort();
    v.dedup();
    v
}

fn attributes_text(json: &str) -> Vec<Param> {
    attributes(&serde_json::from_str(json).unwrap_or(Json::Null))
}

/// A JSON object of scalars and flat lists as the contract's `attributes`, sorted by name.
/// Other shapes cannot reach here (the API refuses them) and are skipped.
pub fn attributes(json: &Json) -> Vec<Param> {
    let Some(object) = json.as_object() else {
        return Vec::new();
    };
    let mut params: Vec<Param> = object
        .iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Json::Array(items) => Value::List(items.iter().filter_map(scalar).collect()),
                other => match scalar(other)? {
                    Scalar::Int(i) => Value::Int(i),
                    Scalar::Float(f) => Value::Float(f),
                    Scalar::Bool(b) => Value::Bool(b),
                    Scalar::Text(t) => Value::Text(t),
                },
            };
            Some(Param {
                name: name.clone(),
                value,
            })
        })
        .collect();
    params.sort_by(|a, b| a.name.cmp(&b.name));
    params
}

fn scalar(value: &Json) -> Option<Scalar> {
    match value {
        Json::Bool(b) => Some(Scalar::Bool(*b)),
        Json::Number(n) => n
            .as_i64()
            .map(Scalar::Int)
            .or_else(|| n.as_f64().map(Scalar::Float)),
        Json::String(s) => Some(Scalar::Text(s.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_become_sorted_params_and_numbers_keep_their_kind() {
        let params = attributes(&serde_json::json!({"z": 1, "a": [true, "x", 2.5], "m": 1.5}));
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "m", "z"]);
        assert!(matches!(params[1].value, Value::Float(f) if (f - 1.5).abs() < f64::EPSILON));
        assert!(matches!(params[2].value, Value::Int(1)));
        assert!(matches!(&params[0].value, Value::List(items) if items.len() == 3));
    }

    #[test]
    fn the_seed_depends_on_tenant_and_horizon_only() {
        let tenant = TenantId::new();
        let start = chrono::DateTime::<chrono::Utc>::from_timestamp(1_782_900_000, 0).unwrap();
        let w = Window::new(start, start + Duration::days(7)).unwrap();
        assert_eq!(seed(tenant, w), seed(tenant, w));
        assert_ne!(seed(tenant, w), seed(TenantId::new(), w));
        let later = Window::new(start, start + Duration::days(8)).unwrap();
        assert_ne!(seed(tenant, w), seed(tenant, later));
    }
}
