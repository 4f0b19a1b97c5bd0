//! Coverage: of the places the needs ask for (their minimum crew), how many are filled.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Scope, rows};
use crate::domain::{AssignmentStatus, NeedId, TenantId};
use crate::storage::{DynStorage, StorageResult};

/// Places needed and filled, overall and by skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    /// Needs of the scope's missions (cancelled missions left out).
    pub needs: usize,
    /// Sum of the needs' minimum crews.
    pub places_needed: i64,
    /// Sum over the needs of their proposed or confirmed crew, each need counted up to its
    /// minimum (extra crew on one need does not fill another).
    pub places_filled: i64,
    /// `places_filled / places_needed` in basis points (10000 = 100 %); 10000 when nothing
    /// is needed.
    pub coverage_bp: i64,
    /// Confirmed assignments of those needs.
    pub confirmed: usize,
    /// Proposed (not yet confirmed) assignments.
    pub proposed: usize,
    /// By skill, sorted by skill.
    pub by_skill: Vec<SkillCoverage>,
}

/// One skill's places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SkillCoverage {
    pub skill: String,
    pub places_needed: i64,
    pub places_filled: i64,
    /// `places_needed - places_filled`.
    pub open_places: i64,
}

/// The coverage of `scope`.
pub async fn coverage(
    storage: &DynStorage,
    tenant: TenantId,
    scope: &Scope,
) -> StorageResult<Coverage> {
    let rows = rows(storage, tenant, scope).await?;
    let mut crew: BTreeMap<NeedId, i64> = BTreeMap::new();
    let (mut confirmed, mut proposed) = (0, 0);
    for a in &rows.assignments {
        match a.assignment.status {
            AssignmentStatus::Confirmed => confirmed += 1,
            AssignmentStatus::Proposed => proposed += 1,
            AssignmentStatus::Declined => continue,
        }
        *crew.entry(a.assignment.need_id).or_default() += 1;
    }
    let mut by_skill: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for n in &rows.needs {
        let needed = i64::from(n.min_crew);
        let filled = crew.get(&n.id).copied().unwrap_or(0).min(needed);
        let entry = by_skill.entry(n.skill.clone()).or_default();
        entry.0 += needed;
        entry.1 += filled;
    }
    let places_needed: i64 = by_skill.values().map(|(n, _)| n).sum();
    let places_filled: i64 = by_skill.values().map(|(_, f)| f).sum();
    Ok(Coverage {
        needs: rows.needs.len(),
        places_needed,
        places_filled,
        coverage_bp: if places_needed == 0 {
            10_000
        } else {
            places_filled * 10_000 / places_needed
        },
        confirmed,
        proposed,
        by_skill: by_skill
            .into_iter()
            .map(|(skill, (needed, filled))| SkillCoverage {
                skill,
                places_needed: needed,
                places_filled: filled,
                open_places: needed - filled,
            })
            .collect(),
    })
}
