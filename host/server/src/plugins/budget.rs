//! Budgets: fuel and a wall-clock limit per tenant and slot, as an admin sets them.

use callsheet_runtime::{Budget, Runtime};
use serde::{Deserialize, Serialize};

use super::{MAX_FUEL, MAX_TIMEOUT_MS, MIN_FUEL, MIN_TIMEOUT_MS, TenantPluginError};
use crate::storage::ActivationRecord;

/// A budget as an admin sets it: `None` parts take the runtime's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetSetting {
    /// Fuel per call (for the rules plugin under an assigner: for the whole run), from
    /// 1,000,000 to 100,000,000,000; unset: the runtime's default (20,000,000,000).
    pub fuel: Option<u64>,
    /// Wall-clock limit per call in milliseconds, from 100 to 300,000; unset: the runtime's
    /// default (60,000).
    pub timeout_ms: Option<u64>,
}

impl BudgetSetting {
    /// Checks the bounds.
    pub fn check(self) -> Result<Self, TenantPluginError> {
        if let Some(fuel) = self.fuel
            && !(MIN_FUEL..=MAX_FUEL).contains(&fuel)
        {
            return Err(TenantPluginError::Budget {
                field: "budget.fuel",
                reason: format!("must be between {MIN_FUEL} and {MAX_FUEL}, got {fuel}"),
            });
        }
        if let Some(ms) = self.timeout_ms
            && !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&ms)
        {
            return Err(TenantPluginError::Budget {
                field: "budget.timeout_ms",
                reason: format!(
                    "must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} ms, got {ms}"
                ),
            });
        }
        Ok(self)
    }

    pub(super) fn of(activation: &ActivationRecord) -> Self {
        BudgetSetting {
            fuel: activation.fuel.and_then(|f| u64::try_from(f).ok()),
            timeout_ms: activation.timeout_ms.and_then(|t| u64::try_from(t).ok()),
        }
    }

    /// The budget it gives on `runtime`.
    pub fn effective(self, runtime: &Runtime) -> Budget {
        let default = runtime.config().default_budget;
        Budget {
            fuel: self.fuel.unwrap_or(default.fuel),
            timeout: self
                .timeout_ms
                .map_or(default.timeout, std::time::Duration::from_millis),
        }
    }

    pub(super) fn columns(self) -> (Option<i64>, Option<i64>) {
        (
            self.fuel.and_then(|f| i64::try_from(f).ok()),
            self.timeout_ms.and_then(|t| i64::try_from(t).ok()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_bounded() {
        assert!(BudgetSetting::default().check().is_ok());
        let ok = BudgetSetting {
            fuel: Some(MIN_FUEL),
            timeout_ms: Some(MAX_TIMEOUT_MS),
        };
        assert!(ok.check().is_ok());
        for bad in [
            BudgetSetting {
                fuel: Some(MIN_FUEL - 1),
                timeout_ms: None,
            },
            BudgetSetting {
                fuel: Some(MAX_FUEL + 1),
                timeout_ms: None,
            },
            BudgetSetting {
                fuel: None,
                timeout_ms: Some(MIN_TIMEOUT_MS - 1),
            },
        ] {
            assert!(
                matches!(bad.check(), Err(TenantPluginError::Budget { .. })),
                "{bad:?}"
            );
        }
    }
}
