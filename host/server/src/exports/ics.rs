//! iCalendar (RFC 5545) files: a technician's assignments, for a download or a calendar
//! app's subscription.
//!
//! Times carry the tenant's `TZID`, defined by a `VTIMEZONE` listing every offset change of
//! the file's range (the `icalendar` crate builds events but not time zone definitions, so
//! the definition is assembled from the host's calendar of offsets as a generic component).
//! Each assignment keeps its `UID` whatever changes, so an edit updates the event in the
//! subscriber's calendar instead of duplicating it; `SEQUENCE` grows with each change; a
//! declined assignment stays in the file as `STATUS:CANCELLED` so calendar apps drop it.

use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, CalendarDateTime, Component, EventLike, EventStatus};

use super::Export;
use crate::domain::time::{Window, local_date};
use crate::domain::{AssignmentStatus, MissionId, TechnicianId, TenantId, TimeZone};
use crate::storage::planning::{NamedMission, PlanningRows};
use crate::storage::{DynStorage, StorageResult};

/// Days before today a feed still shows.
pub const FEED_PAST_DAYS: i64 = 31;
/// Days after today a feed shows.
pub const FEED_FUTURE_DAYS: i64 = 400;

/// The feed's range around `now`.
pub fn feed_window(now: DateTime<Utc>) -> Window {
    Window::new(
        now - Duration::days(FEED_PAST_DAYS),
        now + Duration::days(FEED_FUTURE_DAYS),
    )
    .expect("a year")
}

/// The technician's assignments overlapping `window` as an iCalendar file.
pub async fn technician(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    technician: TechnicianId,
    window: Window,
) -> StorageResult<Export> {
    let name = storage
        .technician(tenant, technician)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    let rows = storage
        .planning_rows(tenant, window, None, Some(technician))
        .await?;
    let mut calendar = Calendar::new();
    calendar
        .name(&format!("callsheet: {name}"))
        .timezone(tz.name())
        .push(vtimezone(tz, window));
    // Every status: the plan's rows hold only the missions they still work on, and a
    // declined assignment must reach the subscriber as cancelled.
    let mine = storage
        .technician_assignments(tenant, technician, window)
        .await?;
    let mut events = 0;
    for a in &mine {
        let Some(mission) = mission_of(storage, tenant, &rows, a.mission_id).await? else {
            continue;
        };
        let mission = &mission;
        let skill = rows
            .needs
            .iter()
            .find(|n| n.id == a.need_id)
            .map(|n| n.skill.clone())
            .unwrap_or_default();
        let crew: Vec<&str> = rows
            .assignments
            .iter()
            .filter(|o| {
                o.assignment.mission_id == a.mission_id
                    && o.assignment.status != AssignmentStatus::Declined
            })
            .map(|o| o.technician_name.as_str())
            .collect();
        let location = match &mission.room_name {
            Some(room) => format!("{}, {room}", mission.venue_name),
            None => mission.venue_name.clone(),
        };
        let mut description = format!("{skill}; crew: {}", crew.join(", "));
        if let Some(notes) = &mission.mission.notes {
            description.push_str("\n\n");
            description.push_str(notes);
        }
        let cancelled = a.status == AssignmentStatus::Declined
            || mission.mission.status == crate::domain::MissionStatus::Cancelled;
        let status = if cancelled {
            EventStatus::Cancelled
        } else if a.status == AssignmentStatus::Confirmed {
            EventStatus::Confirmed
        } else {
            EventStatus::Tentative
        };
        let sequence =
            u32::try_from((a.updated_at - a.created_at).num_seconds().max(0)).unwrap_or(u32::MAX);
        let event = icalendar::Event::new()
            .uid(&format!("{}@callsheet", a.id))
            .summary(&format!("{} ({skill})", mission.mission.title))
            .location(&location)
            .description(&description)
            .starts(zoned(a.window.start(), tz))
            .ends(zoned(a.window.end(), tz))
            .status(status)
            .sequence(sequence)
            .timestamp(a.updated_at)
            .done();
        calendar.push(event);
        events += 1;
    }
    let text = calendar.done().to_string();
    Ok(Export::new(
        format!("{}.ics", slug(&name)),
        "text/calendar; charset=utf-8",
        text.into_bytes(),
        events,
    ))
}

/// A venue's missions overlapping `window` as an iCalendar file: one event per mission
/// (`UID` `<mission id>@callsheet`), `TENTATIVE` while a draft, `CONFIRMED`, or
/// `CANCELLED`; the description lists each need with its crew.
pub async fn venue(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    venue: crate::domain::VenueId,
    window: Window,
) -> StorageResult<Option<Export>> {
    let Some(place) = storage.venue(tenant, venue).await? else {
        return Ok(None);
    };
    let rows = storage
        .planning_rows(tenant, window, Some(venue), None)
        .await?;
    let mut calendar = Calendar::new();
    calendar
        .name(&format!("callsheet: {}", place.name))
        .timezone(tz.name())
        .push(vtimezone(tz, window));
    for m in &rows.missions {
        let needs: Vec<String> = rows
            .needs
            .iter()
            .filter(|n| n.mission_id == m.mission.id)
            .map(|n| {
                let crew: Vec<&str> = rows
                    .assignments
                    .iter()
                    .filter(|a| {
                        a.assignment.need_id == n.id
                            && a.assignment.status != AssignmentStatus::Declined
                    })
                    .map(|a| a.technician_name.as_str())
                    .collect();
                format!(
                    "{} x{}: {}",
                    n.skill,
                    n.min_crew,
                    if crew.is_empty() {
                        "-".to_owned()
                    } else {
                        crew.join(", ")
                    }
                )
            })
            .collect();
        let mut description = needs.join("\n");
        if let Some(notes) = &m.mission.notes {
            description.push_str("\n\n");
            description.push_str(notes);
        }
        let status = match m.mission.status {
            crate::domain::MissionStatus::Cancelled => EventStatus::Cancelled,
            crate::domain::MissionStatus::Confirmed => EventStatus::Confirmed,
            crate::domain::MissionStatus::Draft => EventStatus::Tentative,
        };
        let location = match &m.room_name {
            Some(room) => format!("{}, {room}", m.venue_name),
            None => m.venue_name.clone(),
        };
        let sequence = u32::try_from(
            (m.mission.updated_at - m.mission.created_at)
                .num_seconds()
                .max(0),
        )
        .unwrap_or(u32::MAX);
        calendar.push(
            icalendar::Event::new()
                .uid(&format!("{}@callsheet", m.mission.id))
                .summary(&m.mission.title)
                .location(&location)
                .description(&description)
                .starts(zoned(m.mission.window.start(), tz))
                .ends(zoned(m.mission.window.end(), tz))
                .status(status)
                .sequence(sequence)
                .timestamp(m.mission.updated_at)
                .done(),
        );
    }
    let text = calendar.done().to_string();
    Ok(Some(Export::new(
        format!("{}.ics", slug(&place.name)),
        "text/calendar; charset=utf-8",
        text.into_bytes(),
        rows.missions.len(),
    )))
}

/// The mission with its venue's and room's names: from the plan's rows, or read alone
/// (a declined assignment's mission is not among the missions the technician works on).
async fn mission_of(
    storage: &DynStorage,
    tenant: TenantId,
    rows: &PlanningRows,
    id: MissionId,
) -> StorageResult<Option<NamedMission>> {
    if let Some(m) = rows.missions.iter().find(|m| m.mission.id == id) {
        return Ok(Some(m.clone()));
    }
    let Some(found) = storage.mission(tenant, id).await? else {
        return Ok(None);
    };
    let venue_name = storage
        .venue(tenant, found.mission.venue_id)
        .await?
        .map(|v| v.name)
        .unwrap_or_default();
    Ok(Some(NamedMission {
        mission: found.mission,
        venue_name,
        room_name: None,
    }))
}

fn zoned(t: DateTime<Utc>, tz: TimeZone) -> CalendarDateTime {
    CalendarDateTime::from_date_time(t.with_timezone(&tz.0))
}

/// A file name from a person's name: letters and digits, the rest as `-`.
pub(super) fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() {
        "calendar".to_owned()
    } else {
        s
    }
}

/// The tenant's zone as a `VTIMEZONE`: one observance per offset period of the range (the
/// host's calendar of offsets, which every plugin also reads), `DAYLIGHT` for the periods
/// above the zone's lowest offset, `STANDARD` otherwise.
fn vtimezone(tz: TimeZone, window: Window) -> icalendar::CalendarComponent {
    use icalendar::parser::{Component as Raw, Property};
    let first = local_date(window.start(), tz) - Duration::days(7);
    let last = local_date(window.end(), tz) + Duration::days(7);
    let offsets = callsheet_engine::calendar::build(tz.0, first, last).offsets;
    let lowest = offsets.iter().map(|o| o.offset).min().unwrap_or(0);
    let format_offset = |seconds: i32| {
        let sign = if seconds < 0 { '-' } else { '+' };
        let abs = seconds.unsigned_abs();
        format!("{sign}{:02}{:02}", abs / 3600, (abs % 3600) / 60)
    };
    let mut texts: Vec<(String, [(String, String); 3])> = Vec::new();
    let mut previous = offsets.first().map_or(0, |o| o.offset);
    for o in &offsets {
        // The onset in the local time in force before it.
        let onset = DateTime::<Utc>::from_timestamp(o.since + i64::from(previous), 0)
            .unwrap_or_default()
            .naive_utc()
            .format("%Y%m%dT%H%M%S")
            .to_string();
        let kind = if o.offset > lowest {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        texts.push((
            kind.to_owned(),
            [
                ("DTSTART".to_owned(), onset),
                ("TZOFFSETFROM".to_owned(), format_offset(previous)),
                ("TZOFFSETTO".to_owned(), format_offset(o.offset)),
            ],
        ));
        previous = o.offset;
    }
    let tzid = tz.name().to_owned();
    let raw = Raw {
        name: "VTIMEZONE".into(),
        properties: vec![Property {
            name: "TZID".into(),
            val: tzid.as_str().into(),
            params: Vec::new(),
        }],
        components: texts
            .iter()
            .map(|(kind, props)| Raw {
                name: kind.as_str().into(),
                properties: props
                    .iter()
                    .map(|(k, v)| Property {
                        name: k.as_str().into(),
                        val: v.as_str().into(),
                        params: Vec::new(),
                    })
                    .collect(),
                components: Vec::new(),
            })
            .collect(),
    };
    raw.into()
}
