//! Who, among the crew, an event concerns, and what it tells each of them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::texts::{Notice, ShiftLine};
use crate::domain::{EventType, MissionId, TechnicianId, TenantId, TimeZone, UserId};
use crate::storage::outbox::OutboxEvent;
use crate::storage::{DynStorage, StorageResult};

/// The technicians `event` is about: an assignment's technician, a moved or cancelled
/// mission's crew, the technicians a run proposed shifts to. None for the events no
/// person is told of (a timesheet submitted, a period closed: they go to webhooks).
pub fn technicians_of(event: &OutboxEvent) -> Vec<TechnicianId> {
    let payload = payload(event);
    let ids: Vec<&Value> = match event.event_type {
        EventType::AssignmentProposed
        | EventType::AssignmentConfirmed
        | EventType::AssignmentDeclined
        | EventType::AssignmentCancelled => vec![&payload["technician_id"]],
        EventType::MissionMoved | EventType::MissionCancelled => payload["crew"]
            .as_array()
            .map(|c| c.iter().collect())
            .unwrap_or_default(),
        EventType::RunCommitted => payload["created"]
            .as_array()
            .map(|c| c.iter().map(|a| &a["technician_id"]).collect())
            .unwrap_or_default(),
        EventType::TimesheetSubmitted | EventType::PeriodClosed => Vec::new(),
    };
    let mut ids: Vec<TechnicianId> = ids
        .into_iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// What `event` tells `user` (the account of one of its technicians), read now: the
/// missions' titles and venues as they are, the times the event carries, in the tenant's
/// zone; with the technician it concerns.
pub async fn notice_for(
    storage: &DynStorage,
    event: &OutboxEvent,
    user: UserId,
) -> StorageResult<(Notice, Option<TechnicianId>)> {
    let tenant = event.tenant_id;
    let technicians = technicians_of(event);
    let technician = storage
        .technician_users(tenant, &technicians)
        .await?
        .into_iter()
        .find(|(_, u)| *u == user)
        .map(|(t, _)| t);
    let time_zone = storage
        .tenant(tenant)
        .await?
        .and_then(|t| TimeZone::parse(&t.time_zone).ok())
        .unwrap_or_default();
    let payload = payload(event);
    let items: Vec<&Value> = match event.event_type {
        EventType::RunCommitted => payload["created"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter(|a| {
                        technician.is_some_and(|t| a["technician_id"] == serde_json::json!(t))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => vec![&payload],
    };
    let known = named_missions(storage, tenant, technician, &items).await?;
    let mut shifts = Vec::with_capacity(items.len());
    for item in items {
        shifts.push(shift_line(storage, tenant, event.event_type, item, &known).await?);
    }
    Ok((
        Notice {
            event: event.event_type,
            time_zone,
            shifts,
        },
        technician,
    ))
}

/// Titles and venues of the missions a run's shifts are on, read in one batch (the
/// technician's plan over the shifts' span): a run may propose dozens of shifts to one
/// person, and reading each mission and venue apart would cost two queries a shift.
async fn named_missions(
    storage: &DynStorage,
    tenant: TenantId,
    technician: Option<TechnicianId>,
    items: &[&Value],
) -> StorageResult<HashMap<MissionId, (String, String)>> {
    let time = |item: &Value, key: &str| -> Option<DateTime<Utc>> {
        serde_json::from_value(item[key].clone()).ok()
    };
    let start = items.iter().filter_map(|i| time(i, "start_at")).min();
    let end = items.iter().filter_map(|i| time(i, "end_at")).max();
    let (Some(technician), Some(start), Some(end), true) =
        (technician, start, end, items.len() > 1)
    else {
        return Ok(HashMap::new());
    };
    let Ok(window) = crate::domain::time::Window::new(start, end) else {
        return Ok(HashMap::new());
    };
    let rows = storage
        .planning_rows(tenant, window, None, Some(technician))
        .await?;
    Ok(rows
        .missions
        .into_iter()
        .map(|m| (m.mission.id, (m.mission.title, m.venue_name)))
        .collect())
}

async fn shift_line(
    storage: &DynStorage,
    tenant: TenantId,
    event: EventType,
    item: &Value,
    known: &HashMap<MissionId, (String, String)>,
) -> StorageResult<ShiftLine> {
    let time =
        |key: &str| -> Option<DateTime<Utc>> { serde_json::from_value(item[key].clone()).ok() };
    let mission_id: Option<MissionId> = serde_json::from_value(item["mission_id"].clone()).ok();
    let (title, venue) = match mission_id.and_then(|id| known.get(&id)) {
        Some((title, venue)) => (Some(title.clone()), Some(venue.clone())),
        None => {
            let mission = match mission_id {
                Some(id) => storage.mission(tenant, id).await?,
                None => None,
            };
            let venue = match &mission {
                Some(m) => storage
                    .venue(tenant, m.mission.venue_id)
                    .await?
                    .map(|v| v.name),
                None => None,
            };
            (mission.map(|m| m.mission.title), venue)
        }
    };
    let title = title
        .or_else(|| item["title"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let now = crate::domain::time::now();
    let previous = match (event, time("previous_start_at"), time("previous_end_at")) {
        (EventType::MissionMoved, Some(start), Some(end)) => Some((start, end)),
        _ => None,
    };
    Ok(ShiftLine {
        title,
        venue,
        start: time("start_at").unwrap_or(now),
        end: time("end_at").unwrap_or(now),
        previous,
    })
}

fn payload(event: &OutboxEvent) -> Value {
    serde_json::from_str(&event.payload).unwrap_or(Value::Null)
}
