//! The WIT shell: bindings for world `payroll` and the exports, delegating to
//! [`payslip::compute`](crate::payslip::compute). Compiled for wasm32 only: the generated
//! exports carry WIT names that native linkers refuse.

#![allow(unsafe_code)]

use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{ParamError, Params, PayInput, Payslip, PluginError, PluginInfo};

use crate::{catalog, config, payslip};

#[allow(missing_debug_implementations, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "callsheet:plugins/payroll@0.1.0",
        with: { "callsheet:plugins/types@0.1.0": callsheet_plugin_sdk::types },
    });
}

use bindings::exports::callsheet::plugins::{pay_calculator, plugin};

struct Component;

impl plugin::Guest for Component {
    fn describe() -> PluginInfo {
        catalog::describe()
    }

    fn validate_params(params: Params) -> Result<(), Vec<ParamError>> {
        let errors = config::validate(&params);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl pay_calculator::Guest for Component {
    fn compute(input: PayInput, params: Params) -> Result<Payslip, PluginError> {
        Ok(payslip::compute(&input, &params)?)
    }
}

bindings::export!(Component with_types_in bindings);
