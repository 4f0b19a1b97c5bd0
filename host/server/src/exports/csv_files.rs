//! The CSV files. One function per file; each reads what it needs and writes the rows in
//! a stable order (by start then id, by technician then line).

use std::collections::BTreeMap;

use super::{Export, ExportError};
use crate::domain::time::{Window, local};
use crate::domain::{
    MissionId, PayPeriod, PayPeriodKind, PayrollRunId, TechnicianId, TenantId, TimeZone,
    TimesheetState,
};
use crate::payroll::runs;
use crate::state::AppState;
use crate::storage::DynStorage;
use crate::timesheets::Scope;

/// The longest range a timesheet export covers.
pub const MAX_DAYS: i64 = 366;

/// Cents as a decimal amount: `123450` -> `1234.50`, `-5` -> `-0.05`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Thousandths as a decimal: `9500` -> `9.500`.
pub fn milli(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, ExportError> {
    w.into_inner()
        .map_err(|e| ExportError::Write(e.to_string()))
}

fn write<I, T>(w: &mut csv::Writer<Vec<u8>>, record: I) -> Result<(), ExportError>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    w.write_record(record)
        .map_err(|e| ExportError::Write(e.to_string()))
}

/// The columns of `timesheets-*.csv`, in order.
pub const TIMESHEET_COLUMNS: &[&str] = &[
    "timesheet_id",
    "technician_id",
    "technician_name",
    "mission_id",
    "mission_title",
    "assignment_id",
    "state",
    "period",
    "start",
    "end",
    "break_seconds",
    "worked_seconds",
    "worked_hours",
    "cachets",
    "planned_start",
    "planned_end",
    "note",
    "reason",
];

/// Timesheets starting in `window` that `scope` may see, optionally of one state.
pub async fn timesheets(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    scope: Scope,
    window: Window,
    state: Option<TimesheetState>,
    label: &str,
) -> Result<Export, ExportError> {
    if window.seconds() > MAX_DAYS * 86_400 {
        return Err(ExportError::Invalid {
            field: "to",
            reason: format!("an export covers at most {MAX_DAYS} days"),
        });
    }
    let (_, kind): (i64, PayPeriodKind) = storage.timesheet_clock(tenant).await?;
    let sheets: Vec<_> = storage
        .timesheets_starting_in(tenant, window)
        .await?
        .into_iter()
        .filter(|t| scope.may_see(t.technician_id))
        .filter(|t| state.is_none_or(|s| s == t.state))
        .collect();
    let mut ids: Vec<TechnicianId> = sheets.iter().map(|t| t.technician_id).collect();
    ids.sort();
    ids.dedup();
    let names: BTreeMap<TechnicianId, String> = storage
        .technicians_by_ids(tenant, &ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    // The missions of the range in one read; a timesheet outside its mission's window
    // (unplanned work) has its mission read alone.
    let mut titles: BTreeMap<MissionId, String> = storage
        .planning_rows(tenant, window, None, None)
        .await?
        .missions
        .into_iter()
        .map(|m| (m.mission.id, m.mission.title))
        .collect();
    for t in &sheets {
        if let std::collections::btree_map::Entry::Vacant(slot) = titles.entry(t.mission_id) {
            let mission = storage.mission(tenant, t.mission_id).await?;
            slot.insert(mission.map(|m| m.mission.title).unwrap_or_default());
        }
    }
    let shown = |w: Option<Window>, end: bool| {
        w.map(|w| local(if end { w.end() } else { w.start() }, tz).to_rfc3339())
            .unwrap_or_default()
    };
    let mut w = writer();
    write(&mut w, TIMESHEET_COLUMNS)?;
    for t in &sheets {
        let breaks: i64 = t.breaks.iter().map(Window::seconds).sum();
        write(
            &mut w,
            [
                t.id.to_string(),
                t.technician_id.to_string(),
                names.get(&t.technician_id).cloned().unwrap_or_default(),
                t.mission_id.to_string(),
                titles.get(&t.mission_id).cloned().unwrap_or_default(),
                t.assignment_id.map(|a| a.to_string()).unwrap_or_default(),
                t.state.as_str().to_owned(),
                PayPeriod::at(kind, t.window.start(), tz).label(),
                local(t.window.start(), tz).to_rfc3339(),
                local(t.window.end(), tz).to_rfc3339(),
                breaks.to_string(),
                t.worked_seconds.to_string(),
                milli(t.worked_seconds * 1000 / 3600),
                t.cachets.to_string(),
                shown(t.planned, false),
                shown(t.planned, true),
                t.note.clone().unwrap_or_default(),
                t.reason.clone().unwrap_or_default(),
            ],
        )?;
    }
    Ok(Export::csv(
        format!("timesheets-{label}.csv"),
        finish(w)?,
        sheets.len(),
    ))
}

/// The columns of `plan-*.csv`, in order.
pub const PLAN_COLUMNS: &[&str] = &[
    "mission_id",
    "mission_title",
    "mission_status",
    "venue",
    "room",
    "mission_start",
    "mission_end",
    "need_id",
    "need_position",
    "skill",
    "min_crew",
    "max_crew",
    "need_start",
    "need_end",
    "assignment_id",
    "technician_id",
    "technician_name",
    "assignment_status",
    "pinned",
    "source",
    "assignment_start",
    "assignment_end",
];

/// The plan of `window`: one row per assignment (every status), by mission start, need
/// position, assignment start; a need without anyone on it gives one row whose assignment
/// columns are empty, so every need of the range is in the file.
pub async fn plan(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    window: Window,
    label: &str,
) -> Result<Export, ExportError> {
    if window.seconds() > MAX_DAYS * 86_400 {
        return Err(ExportError::Invalid {
            field: "to",
            reason: format!("an export covers at most {MAX_DAYS} days"),
        });
    }
    let rows = storage.planning_rows(tenant, window, None, None).await?;
    let at = |t| local(t, tz).to_rfc3339();
    let mut w = writer();
    write(&mut w, PLAN_COLUMNS)?;
    let mut count = 0;
    for named in &rows.missions {
        let m = &named.mission;
        let mission = [
            m.id.to_string(),
            m.title.clone(),
            m.status.as_str().to_owned(),
            named.venue_name.clone(),
            named.room_name.clone().unwrap_or_default(),
            at(m.window.start()),
            at(m.window.end()),
        ];
        for need in rows.needs.iter().filter(|n| n.mission_id == m.id) {
            let need_cells = [
                need.id.to_string(),
                need.position.to_string(),
                need.skill.clone(),
                need.min_crew.to_string(),
                need.max_crew.map(|c| c.to_string()).unwrap_or_default(),
                at(need.window.start()),
                at(need.window.end()),
            ];
            let crew: Vec<_> = rows
                .assignments
                .iter()
                .filter(|a| a.assignment.need_id == need.id)
                .collect();
            let assignment_cells = crew.iter().map(|a| {
                let a_row = &a.assignment;
                vec![
                    a_row.id.to_string(),
                    a_row.technician_id.to_string(),
                    a.technician_name.clone(),
                    a_row.status.as_str().to_owned(),
                    a_row.pinned.to_string(),
                    a_row.source.as_str().to_owned(),
                    at(a_row.window.start()),
                    at(a_row.window.end()),
                ]
            });
            let assignment_cells: Vec<Vec<String>> = if crew.is_empty() {
                vec![vec![String::new(); 8]]
            } else {
                assignment_cells.collect()
            };
            for cells in assignment_cells {
                write(&mut w, mission.iter().chain(&need_cells).chain(&cells))?;
                count += 1;
            }
        }
    }
    Ok(Export::csv(format!("plan-{label}.csv"), finish(w)?, count))
}

/// The columns of `payroll-*.csv`, in order.
pub const PAYROLL_COLUMNS: &[&str] = &[
    "run_id",
    "period",
    "technician_id",
    "technician_name",
    "code",
    "label",
    "quantity",
    "unit",
    "rate_cents",
    "rate",
    "amount_cents",
    "amount",
    "formula",
];

/// A payroll run's lines, one row per line, by technician then line; `only` limits them to
/// one technician's (a technician's own export).
pub async fn payroll(
    state: &AppState,
    tenant: TenantId,
    id: PayrollRunId,
    only: Option<Option<TechnicianId>>,
) -> Result<Export, ExportError> {
    let recorded = runs::get(state, tenant, id).await?;
    let names: BTreeMap<String, String> = recorded
        .record
        .inputs
        .iter()
        .map(|i| (i.technician.id.clone(), i.technician.name.clone()))
        .collect();
    let mine = |tid: &str| match only {
        None => true,
        Some(own) => own.is_some_and(|t| t.to_string() == tid),
    };
    let mut w = writer();
    write(&mut w, PAYROLL_COLUMNS)?;
    let mut rows = 0;
    for slip in recorded
        .record
        .payslips
        .iter()
        .filter(|p| mine(&p.technician_id))
    {
        for line in &slip.lines {
            rows += 1;
            write(
                &mut w,
                [
                    id.to_string(),
                    recorded.run.period.clone(),
                    slip.technician_id.clone(),
                    names.get(&slip.technician_id).cloned().unwrap_or_default(),
                    line.code.clone(),
                    line.label.clone(),
                    milli(line.quantity_milli),
                    line.unit.clone(),
                    line.rate.to_string(),
                    money(line.rate),
                    line.amount.to_string(),
                    money(line.amount),
                    line.formula.clone(),
                ],
            )?;
        }
    }
    Ok(Export::csv(
        format!("payroll-{}-{id}.csv", recorded.run.period),
        finish(w)?,
        rows,
    ))
}

/// The columns of `technicians.csv`, in order.
pub const TECHNICIAN_COLUMNS: &[&str] = &[
    "technician_id",
    "name",
    "email",
    "phone",
    "skills",
    "contract_kind",
    "hourly_rate_cents",
    "hourly_rate",
    "cachet_rate_cents",
    "cachet_rate",
    "active",
];

/// Every technician of the tenant, by name then id; skills joined with `;`.
pub async fn technicians(storage: &DynStorage, tenant: TenantId) -> Result<Export, ExportError> {
    let all = crate::storage::crew::all_technicians(storage, tenant).await?;
    let mut w = writer();
    write(&mut w, TECHNICIAN_COLUMNS)?;
    for t in &all {
        let skills: Vec<String> = t.skills.iter().map(ToString::to_string).collect();
        write(
            &mut w,
            [
                t.id.to_string(),
                t.name.clone(),
                t.email
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                t.phone
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                skills.join(";"),
                t.contract.kind.as_str().to_owned(),
                t.contract.hourly_rate_cents.to_string(),
                money(t.contract.hourly_rate_cents),
                t.contract.cachet_rate_cents.to_string(),
                money(t.contract.cachet_rate_cents),
                t.active.to_string(),
            ],
        )?;
    }
    Ok(Export::csv(
        "technicians.csv".to_owned(),
        finish(w)?,
        all.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_quantities_are_exact_decimals() {
        assert_eq!(money(123_450), "1234.50");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money(0), "0.00");
        assert_eq!(milli(9500), "9.500");
        assert_eq!(milli(17), "0.017");
        assert_eq!(milli(-1500), "-1.500");
    }
}
