//! Call sheets, printed as PDF: what a crew gets before a show.
//!
//! - [`mission`]: one mission -- when, where (venue, room, address), its status and notes,
//!   and each need with its window and crew, their phones, and the places still open;
//! - [`venue_day`]: every mission of a venue on one local day, one section each;
//! - [`technician_week`]: one technician's ISO week, a row per shift with its mission,
//!   place, role and status, and the week's hours.
//!
//! Times are the tenant's local times (its zone is named on the sheet). Declined
//! assignments are left out (those people are not coming); a cancelled mission stays on
//! the sheet, marked, so whoever still holds an old copy learns it is off.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate, Utc};

use super::pdf::{self, Block, Sheet, Table};
use super::{Export, ExportError};
use crate::domain::time::{Window, local, local_date, local_midnight};
use crate::domain::{
    AssignmentStatus, MissionId, MissionStatus, PayPeriod, TechnicianId, TenantId, TimeZone,
    VenueId,
};
use crate::storage::DynStorage;
use crate::storage::crew::Technician;
use crate::storage::planning::{NamedAssignment, NamedMission, PlanningRows};

/// Who asks for a call sheet: planners see any, a technician only the missions they are
/// on the crew of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Planner,
    Technician(TechnicianId),
}

/// A mission's call sheet; `None` when there is no such mission, or the reader is a
/// technician who is not on its crew.
pub async fn mission(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    id: MissionId,
    reader: Reader,
) -> Result<Option<Export>, ExportError> {
    let Some(found) = storage.mission(tenant, id).await? else {
        return Ok(None);
    };
    let rows = storage
        .planning_rows(
            tenant,
            found.mission.window,
            Some(found.mission.venue_id),
            None,
        )
        .await?;
    let Some(named) = rows.missions.iter().find(|m| m.mission.id == id) else {
        return Ok(None);
    };
    let crew = crew_of(&rows, id);
    if let Reader::Technician(me) = reader
        && !crew.iter().any(|a| a.assignment.technician_id == me)
    {
        return Ok(None);
    }
    let phones = phones(storage, tenant, &crew).await?;
    let address = storage
        .venue(tenant, named.mission.venue_id)
        .await?
        .and_then(|v| v.address);
    let day = local_date(named.mission.window.start(), tz);
    let mut blocks = Vec::new();
    mission_blocks(&mut blocks, named, &rows, &phones, address.as_deref(), tz);
    let sheet = Sheet {
        title: named.mission.title.clone(),
        subtitle: format!("Call sheet, {}", long_date(day)),
        footer: footer(tz),
        blocks,
    };
    let filename = format!(
        "call-sheet-{}-{day}.pdf",
        super::ics::slug(&named.mission.title)
    );
    Ok(Some(printed(&sheet, filename, 1)?))
}

/// The call sheet of a venue's day: every mission at the venue overlapping the local day,
/// by start. `None` when there is no such venue.
pub async fn venue_day(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    venue: VenueId,
    day: NaiveDate,
) -> Result<Option<Export>, ExportError> {
    let Some(place) = storage.venue(tenant, venue).await? else {
        return Ok(None);
    };
    let window = Window::new(
        local_midnight(tz, day),
        local_midnight(tz, day + Duration::days(1)),
    )
    .map_err(|e| ExportError::Invalid {
        field: "date",
        reason: e.reason,
    })?;
    let rows = storage
        .planning_rows(tenant, window, Some(venue), None)
        .await?;
    let everyone: Vec<&NamedAssignment> = rows
        .assignments
        .iter()
        .filter(|a| a.assignment.status != AssignmentStatus::Declined)
        .collect();
    let phones = phones(storage, tenant, &everyone).await?;
    let mut blocks = Vec::new();
    if let Some(address) = &place.address {
        blocks.push(field("Address", address.clone()));
    }
    if rows.missions.is_empty() {
        blocks.push(Block::Text("No mission at this venue on this day.".into()));
    }
    for named in &rows.missions {
        blocks.push(Block::Heading(named.mission.title.clone()));
        mission_blocks(&mut blocks, named, &rows, &phones, None, tz);
    }
    let sheet = Sheet {
        title: place.name.clone(),
        subtitle: format!("Call sheet, {}", long_date(day)),
        footer: footer(tz),
        blocks,
    };
    let filename = format!("call-sheet-{}-{day}.pdf", super::ics::slug(&place.name));
    Ok(Some(printed(&sheet, filename, rows.missions.len())?))
}

/// A technician's week: a row per shift (declined ones left out) and the week's hours.
/// `None` when there is no such technician.
pub async fn technician_week(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    technician: TechnicianId,
    week: &PayPeriod,
) -> Result<Option<Export>, ExportError> {
    let Some(person) = storage.technician(tenant, technician).await? else {
        return Ok(None);
    };
    let window = week.window(tz);
    let rows = storage
        .planning_rows(tenant, window, None, Some(technician))
        .await?;
    let shifts: Vec<&NamedAssignment> = rows
        .assignments
        .iter()
        .filter(|a| {
            a.assignment.technician_id == technician
                && a.assignment.status != AssignmentStatus::Declined
        })
        .collect();
    let mut table = Table {
        columns: vec![
            ("Day".into(), 1.3),
            ("Time".into(), 1.2),
            ("Mission".into(), 2.4),
            ("Place".into(), 2.2),
            ("Role".into(), 1.1),
            ("Status".into(), 1.1),
        ],
        rows: Vec::new(),
    };
    let mut worked = Duration::zero();
    for a in &shifts {
        let Some(named) = rows
            .missions
            .iter()
            .find(|m| m.mission.id == a.assignment.mission_id)
        else {
            continue;
        };
        let cancelled = named.mission.status == MissionStatus::Cancelled;
        if !cancelled {
            worked += a.assignment.window.end() - a.assignment.window.start();
        }
        let role = rows
            .needs
            .iter()
            .find(|n| n.id == a.assignment.need_id)
            .map(|n| n.skill.clone())
            .unwrap_or_default();
        table.rows.push(vec![
            short_date(local_date(a.assignment.window.start(), tz)),
            span(a.assignment.window, tz),
            named.mission.title.clone(),
            place(named),
            role,
            if cancelled {
                "mission cancelled".to_owned()
            } else {
                a.assignment.status.as_str().to_owned()
            },
        ]);
    }
    let shown = table.rows.len();
    let mut blocks = vec![field("Technician", person.name.clone())];
    if let Some(phone) = &person.phone {
        blocks.push(field("Phone", phone.clone()));
    }
    blocks.push(field(
        "Hours",
        format!(
            "{} h {:02} over {} shift(s)",
            worked.num_hours(),
            worked.num_minutes() % 60,
            shown
        ),
    ));
    blocks.push(Block::Gap);
    if table.rows.is_empty() {
        blocks.push(Block::Text("No shift this week.".into()));
    } else {
        blocks.push(Block::Table(table));
    }
    let notes: Vec<&NamedMission> = {
        let on: BTreeSet<MissionId> = shifts.iter().map(|a| a.assignment.mission_id).collect();
        rows.missions
            .iter()
            .filter(|m| on.contains(&m.mission.id) && m.mission.notes.is_some())
            .collect()
    };
    if !notes.is_empty() {
        blocks.push(Block::Heading("Notes".into()));
        for m in notes {
            blocks.push(field(
                &m.mission.title,
                m.mission.notes.clone().unwrap_or_default(),
            ));
        }
    }
    let label = week.label();
    let last = week.end_day() - Duration::days(1);
    let sheet = Sheet {
        title: format!("{}, week {label}", person.name),
        subtitle: format!("{} to {}", long_date(week.first_day()), long_date(last)),
        footer: footer(tz),
        blocks,
    };
    let filename = format!("week-{}-{label}.pdf", super::ics::slug(&person.name));
    Ok(Some(printed(&sheet, filename, shown)?))
}

/// The mission's part of a sheet: when, where, status, notes, then its needs and crew.
fn mission_blocks(
    blocks: &mut Vec<Block>,
    named: &NamedMission,
    rows: &PlanningRows,
    phones: &BTreeMap<TechnicianId, String>,
    address: Option<&str>,
    tz: TimeZone,
) {
    let m = &named.mission;
    blocks.push(field(
        "When",
        format!(
            "{} {} ({})",
            short_date(local_date(m.window.start(), tz)),
            span(m.window, tz),
            tz.name()
        ),
    ));
    blocks.push(field("Where", place(named)));
    if let Some(address) = address {
        blocks.push(field("Address", address.to_owned()));
    }
    let status = match m.status {
        MissionStatus::Cancelled => "CANCELLED: this mission is off",
        MissionStatus::Confirmed => "confirmed",
        MissionStatus::Draft => "draft (may still change)",
    };
    blocks.push(field("Status", status.to_owned()));
    if let Some(notes) = &m.notes {
        blocks.push(field("Notes", notes.clone()));
    }
    blocks.push(Block::Gap);
    let mut table = Table {
        columns: vec![
            ("Role".into(), 1.4),
            ("Time".into(), 1.2),
            ("Name".into(), 2.2),
            ("Phone".into(), 1.6),
            ("Status".into(), 1.0),
        ],
        rows: Vec::new(),
    };
    for need in rows.needs.iter().filter(|n| n.mission_id == m.id) {
        let role = match need.max_crew {
            Some(max) if max > need.min_crew => {
                format!("{} ({}-{max})", need.skill, need.min_crew)
            }
            _ => format!("{} ({})", need.skill, need.min_crew),
        };
        let crew: Vec<&NamedAssignment> = rows
            .assignments
            .iter()
            .filter(|a| {
                a.assignment.need_id == need.id && a.assignment.status != AssignmentStatus::Declined
            })
            .collect();
        for a in &crew {
            table.rows.push(vec![
                role.clone(),
                span(a.assignment.window, tz),
                a.technician_name.clone(),
                phones
                    .get(&a.assignment.technician_id)
                    .cloned()
                    .unwrap_or_default(),
                a.assignment.status.as_str().to_owned(),
            ]);
        }
        let open = usize::try_from(need.min_crew).unwrap_or(0);
        for _ in crew.len()..open {
            table.rows.push(vec![
                role.clone(),
                span(need.window, tz),
                "(open)".to_owned(),
                String::new(),
                String::new(),
            ]);
        }
    }
    blocks.push(Block::Table(table));
}

/// The non-declined assignments of a mission.
fn crew_of(rows: &PlanningRows, id: MissionId) -> Vec<&NamedAssignment> {
    rows.assignments
        .iter()
        .filter(|a| {
            a.assignment.mission_id == id && a.assignment.status != AssignmentStatus::Declined
        })
        .collect()
}

/// The phones of the crew, read in one query.
async fn phones(
    storage: &DynStorage,
    tenant: TenantId,
    crew: &[&NamedAssignment],
) -> Result<BTreeMap<TechnicianId, String>, ExportError> {
    let ids: BTreeSet<TechnicianId> = crew.iter().map(|a| a.assignment.technician_id).collect();
    let ids: Vec<TechnicianId> = ids.into_iter().collect();
    let people: Vec<Technician> = storage.technicians_by_ids(tenant, &ids).await?;
    Ok(people
        .into_iter()
        .filter_map(|t| t.phone.map(|p| (t.id, p)))
        .collect())
}

fn printed(sheet: &Sheet, filename: String, rows: usize) -> Result<Export, ExportError> {
    let bytes = pdf::render(sheet).map_err(ExportError::Write)?;
    Ok(Export::new(filename, "application/pdf", bytes, rows))
}

fn field(label: &str, value: String) -> Block {
    Block::Field {
        label: label.to_owned(),
        value,
    }
}

fn place(named: &NamedMission) -> String {
    match &named.room_name {
        Some(room) => format!("{}, {room}", named.venue_name),
        None => named.venue_name.clone(),
    }
}

fn footer(tz: TimeZone) -> String {
    format!(
        "callsheet, printed {}",
        local(Utc::now(), tz).format("%Y-%m-%d %H:%M %:z")
    )
}

/// `14:00-23:30`, with the end's date when it falls on another day.
fn span(window: Window, tz: TimeZone) -> String {
    let start = local(window.start(), tz);
    let end = local(window.end(), tz);
    if end.date_naive() == start.date_naive() {
        format!("{}-{}", start.format("%H:%M"), end.format("%H:%M"))
    } else {
        format!(
            "{}-{} ({})",
            start.format("%H:%M"),
            end.format("%H:%M"),
            short_date(end.date_naive())
        )
    }
}

/// `Tue 2026-07-14`.
fn short_date(day: NaiveDate) -> String {
    day.format("%a %Y-%m-%d").to_string()
}

/// `Tuesday 14 July 2026`.
fn long_date(day: NaiveDate) -> String {
    day.format("%A %-d %B %Y").to_string()
}
