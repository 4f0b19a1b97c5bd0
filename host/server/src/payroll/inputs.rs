//! What a payroll plugin is given for one period: one [`PayInput`] per technician with
//! approved time starting in it.

use std::collections::{BTreeMap, BTreeSet};

use callsheet_runtime::types::{
    Contract as WitContract, ContractKind as WitContractKind, PayInput, Preferences,
    Technician as WitTechnician, WorkedPeriod,
};
use chrono::Duration;

use crate::domain::time::{Window, local_midnight};
use crate::domain::{ContractKind, PayPeriod, TechnicianId, TenantId, TimeZone, TimesheetState};
use crate::planning::problem::{attributes, window as wit_window};
use crate::storage::{DynStorage, StorageResult, Timesheet, crew::Technician};

/// The inputs of `period`, sorted by technician id, with the approved timesheets they were
/// built from (those starting in the period: what the close's digest covers).
pub async fn build(
    storage: &DynStorage,
    tenant: TenantId,
    tz: TimeZone,
    period: PayPeriod,
) -> StorageResult<(Vec<PayInput>, Vec<Timesheet>)> {
    let window = period.window(tz);
    let weeks = whole_weeks(period, tz);
    let approved: Vec<Timesheet> = storage
        .timesheets_starting_in(tenant, weeks)
        .await?
        .into_iter()
        .filter(|t| t.state == TimesheetState::Approved)
        .collect();
    let in_period: Vec<Timesheet> = approved
        .iter()
        .filter(|t| window.start() <= t.window.start() && t.window.start() < window.end())
        .cloned()
        .collect();
    let paid: BTreeSet<TechnicianId> = in_period.iter().map(|t| t.technician_id).collect();
    let ids: Vec<TechnicianId> = paid.iter().copied().collect();
    let technicians: BTreeMap<TechnicianId, Technician> = storage
        .technicians_by_ids(tenant, &ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let first = callsheet_engine::calendar::monday_of(period.first_day());
    let last = callsheet_engine::calendar::monday_of(period.end_day() - Duration::days(1))
        + Duration::days(6);
    let calendar = callsheet_engine::calendar::build(tz.0, first, last);
    let mut inputs = Vec::new();
    for id in &ids {
        let Some(technician) = technicians.get(id) else {
            continue;
        };
        let worked = approved
            .iter()
            .filter(|t| t.technician_id == *id)
            .map(worked_period)
            .collect();
        inputs.push(PayInput {
            technician: wit_technician(technician),
            period: wit_window(window),
            calendar: calendar.clone(),
            worked,
            attributes: Vec::new(),
        });
    }
    Ok((inputs, in_period))
}

/// Local midnight of the Monday of the period's first week to local midnight after the
/// Sunday of its last.
pub fn whole_weeks(period: PayPeriod, tz: TimeZone) -> Window {
    let first = callsheet_engine::calendar::monday_of(period.first_day());
    let after = callsheet_engine::calendar::monday_of(period.end_day() - Duration::days(1))
        + Duration::days(7);
    Window::new(local_midnight(tz, first), local_midnight(tz, after))
        .expect("whole weeks last days")
}

fn worked_period(t: &Timesheet) -> WorkedPeriod {
    WorkedPeriod {
        id: t.id.to_string(),
        assignment_id: t.assignment_id.map(|a| a.to_string()),
        mission_id: t.mission_id.to_string(),
        window: wit_window(t.window),
        breaks: t.breaks.iter().copied().map(wit_window).collect(),
        cachets: t.cachets,
        tags: Vec::new(),
        attributes: Vec::new(),
    }
}

/// What a payroll plugin reads of a technician: who, the contract, the free attributes.
/// Availability, relations and preferences are planning's, not pay's.
fn wit_technician(t: &Technician) -> WitTechnician {
    WitTechnician {
        id: t.id.to_string(),
        name: t.name.clone(),
        skills: t.skills.iter().map(ToString::to_string).collect(),
        contract: WitContract {
            kind: match t.contract.kind {
                ContractKind::Hourly => WitContractKind::Hourly,
                ContractKind::Cachet => WitContractKind::Cachet,
            },
            hourly_rate: t.contract.hourly_rate_cents,
            cachet_rate: t.contract.cachet_rate_cents,
        },
        preferences: Preferences {
            preferred_venues: Vec::new(),
            avoided_venues: Vec::new(),
            max_weekly: None,
        },
        relations: Vec::new(),
        availability: Vec::new(),
        requests: Vec::new(),
        overrides: Vec::new(),
        attributes: attributes(&serde_json::to_value(&t.attributes).unwrap_or_default()),
    }
}
