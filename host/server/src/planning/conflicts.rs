//! The conflicts report: every rule the tenant's plugin finds broken in the plan of a
//! window, with its provenance (one plugin call, counted and traced).

use callsheet_engine::ConflictReport;
use callsheet_runtime::Slot;
use tracing::Instrument as _;

use super::PlanningError;
use super::problem::Scope;
use super::runs::rules_and_problem;
use crate::domain::time::Window;
use crate::domain::{TenantId, TimeZone};
use crate::plugins::PluginCall;
use crate::state::AppState;

/// The conflicts of the plan over `window`, as the tenant's rules plugin reports them.
pub async fn report(
    state: &AppState,
    tenant: TenantId,
    tz: TimeZone,
    window: Window,
) -> Result<ConflictReport, PlanningError> {
    let scope = Scope {
        horizon: window,
        missions: None,
        technicians: None,
    };
    let (rules, problem) = rules_and_problem(state, tenant, tz, &scope).await?;
    let call = PluginCall::start(Slot::Rules);
    let report = tokio::task::spawn_blocking(move || {
        let plan = callsheet_runtime::types::Plan {
            assignments: problem.assignments.clone(),
        };
        callsheet_engine::find_conflicts(&problem, &plan, &rules)
    })
    .instrument(call.span())
    .await
    .map_err(PlanningError::internal)?;
    call.end(
        &state.metrics,
        report
            .as_ref()
            .map(|r| Some(r.rules_fuel))
            .map_err(callsheet_engine::EngineError::code),
    );
    Ok(report?)
}
