//! The `payroll` slot: [`PayrollPlugin`] computes one technician's payslip per call, on a
//! fresh instance.

use std::sync::Arc;

use crate::bindings::payroll::PayrollPre;
use crate::call::{self, CallOutcome, Core, EngineHandle, GuestState};
use crate::error::{Error, Result};
use crate::sandbox::{Budget, Limiter, Permit};
use crate::size;
use crate::types::{Params, PayInput, Payslip};

pub(crate) type Pre = PayrollPre<GuestState>;

/// A loaded payroll plugin: cheap to clone, safe to share between threads.
#[derive(Clone)]
pub struct PayrollPlugin {
    rt: Arc<EngineHandle>,
    core: Arc<Core<Pre>>,
    budget: Budget,
}

call::common_calls!(PayrollPlugin);

impl PayrollPlugin {
    fn fresh_state(&self) -> GuestState {
        GuestState {
            limiter: Limiter::new(&self.rt.config),
        }
    }

    /// `pay-calculator.compute(input, params)`: one payslip. Its gross must be the sum of
    /// its lines and it must be the input technician's, or the call fails with
    /// `PLUGIN_OUTPUT_INVALID`.
    pub fn compute(&self, input: &PayInput, params: &Params) -> Result<CallOutcome<Payslip>> {
        let permit = self.rt.gate.acquire_blocking(1)?;
        self.compute_with(&permit, input, params)
    }

    fn compute_with(
        &self,
        permit: &Permit,
        input: &PayInput,
        params: &Params,
    ) -> Result<CallOutcome<Payslip>> {
        let limits = &self.rt.config;
        size::check_input("pay-input", input, limits.max_input_bytes)?;
        size::check_input("params", params, limits.max_input_bytes)?;
        let outcome = call::call_fresh(
            &self.rt,
            permit,
            self.fresh_state(),
            &self.budget,
            |store| self.core.pre.instantiate(store),
            |store, payroll| {
                payroll
                    .callsheet_plugins_pay_calculator()
                    .call_compute(store, input, params)
            },
        )?;
        let fuel_used = outcome.fuel_used;
        let payslip = outcome
            .value
            .map_err(|e| call::plugin_error(e, fuel_used))?;
        size::check_output("payslip", &payslip, limits.max_output_bytes)?;
        check_payslip(input, &payslip)?;
        Ok(CallOutcome {
            value: payslip,
            fuel_used,
        })
    }

    /// [`PayrollPlugin::compute`] off the async executor.
    pub async fn compute_async(
        &self,
        input: PayInput,
        params: Params,
    ) -> Result<CallOutcome<Payslip>> {
        let this = self.clone();
        self.rt
            .gate
            .run(1, move |permit| this.compute_with(&permit, &input, &params))
            .await
    }
}

/// The payslip's own arithmetic and identity, which the audit log relies on.
/// The largest amount one pay line may carry, in cents: 10^11 (a billion euros). Far above
/// any real payslip, far below where sums of lines could overflow.
pub const MAX_LINE_CENTS: i64 = 100_000_000_000;

fn check_payslip(input: &PayInput, payslip: &Payslip) -> Result<()> {
    if payslip.technician_id != input.technician.id {
        return Err(Error::output(format!(
            "payslip is for technician {:?}, asked for {:?}",
            payslip.technician_id, input.technician.id
        )));
    }
    // Pay lines are gross pay: what a line pays, how much and at what rate is never
    // negative (deductions belong to the net pay, outside this contract).
    for line in &payslip.lines {
        if line.amount < 0 || line.quantity_milli < 0 || line.rate < 0 {
            return Err(Error::output(format!(
                "pay line {:?} has a negative amount, quantity or rate ({} c, {} milli, {} c/unit); pay lines are never negative",
                line.code, line.amount, line.quantity_milli, line.rate
            )));
        }
        if line.amount > MAX_LINE_CENTS {
            return Err(Error::output(format!(
                "pay line {:?} pays {} c, over the {MAX_LINE_CENTS} c a line may carry",
                line.code, line.amount
            )));
        }
    }
    let sum = payslip
        .lines
        .iter()
        .try_fold(0i64, |sum, line| sum.checked_add(line.amount));
    match sum {
        Some(sum) if sum == payslip.gross => Ok(()),
        Some(sum) => Err(Error::output(format!(
            "payslip gross {} c is not the sum of its lines ({sum} c)",
            payslip.gross
        ))),
        None => Err(Error::output("payslip lines overflow when summed")),
    }
}
