//! What the search minimises, as a [`Cost`] `{hard, soft}` compared lexicographically:
//!
//! - the tenant's plan score, decomposed as the contract says `evaluate-plan` is: each
//!   technician's schedule score (from the rules), plus the plan-level rules the assigner
//!   mirrors exactly as the default rules state them: cover ([`cover`]: unfilled places,
//!   extra crew), relations between two technicians ([`pair`]: incompatibility on a shared
//!   mission, affinity split between overlapping missions) and room double bookings
//!   ([`room_pairs`]);
//! - the assigner's preference terms ([`own`] per technician: cost, preferred venues,
//!   balance of hours; the affinity reward in [`pair`]).
//!
//! Every term depends on one technician, one pair of related technicians, one need or one
//! pair of missions, so a move that changes two schedules changes few terms: the search
//! re-evaluates only those. Integers throughout, rounded once per term, so the sums are
//! exact and replayable.

use core::ops::{Add, AddAssign, Sub};

use alloc::vec::Vec;

use callsheet_plugin_sdk::types::{ContractKind, Need, Score, Severity};

use crate::config::Settings;
use crate::model::{MissionIx, Model, Shift, TechIx, overlaps};

/// A score: hard points first, then soft points; lower is better.
///
/// i128 although every term is an i64: sums of i64 terms cannot overflow it, so the
/// incremental total (a sum of deltas) always equals the total recomputed from scratch,
/// which saturating i64 sums would not guarantee on hostile figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cost {
    pub hard: i128,
    pub soft: i128,
}

impl Cost {
    pub const ZERO: Cost = Cost { hard: 0, soft: 0 };

    pub fn soft(points: i64) -> Cost {
        Cost {
            hard: 0,
            soft: i128::from(points),
        }
    }

    pub fn hard(points: i64) -> Cost {
        Cost {
            hard: i128::from(points),
            soft: 0,
        }
    }

    /// A part clamped to i64, for figures.
    pub fn clamp(points: i128) -> i64 {
        i64::try_from(points).unwrap_or(if points < 0 { i64::MIN } else { i64::MAX })
    }
}

impl From<Score> for Cost {
    fn from(s: Score) -> Cost {
        Cost {
            hard: i128::from(s.hard),
            soft: i128::from(s.soft),
        }
    }
}

impl Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            hard: self.hard.saturating_add(o.hard),
            soft: self.soft.saturating_add(o.soft),
        }
    }
}

impl AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        *self = *self + o;
    }
}

impl Sub for Cost {
    type Output = Cost;
    fn sub(self, o: Cost) -> Cost {
        Cost {
            hard: self.hard.saturating_sub(o.hard),
            soft: self.soft.saturating_sub(o.soft),
        }
    }
}

/// `num / den` rounded half up, clamped to i64 (`den > 0`). Saturating: the host's rates and
/// windows are any i64, and an overflow must not trap.
fn round_half_up(num: i128, den: i128) -> i64 {
    let q = num
        .saturating_mul(2)
        .saturating_add(den)
        .div_euclid(2 * den);
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// The labour cost of a shift in cents: hourly rate x hours (rounded half up to the cent),
/// or one cachet for a cachet contract.
pub fn shift_cost_cents(model: &Model<'_>, t: TechIx, shift: &Shift) -> i64 {
    let contract = &model.tech(t).contract;
    match contract.kind {
        ContractKind::Hourly => round_half_up(
            i128::from(contract.hourly_rate).saturating_mul(i128::from(shift.seconds())),
            3600,
        ),
        ContractKind::Cachet => contract.cachet_rate,
    }
}

/// Cost points of an amount: `assigner.cost.weight` points per 1000 cents, half up.
pub fn cost_points(settings: &Settings, cents: i64) -> i64 {
    round_half_up(
        i128::from(cents).saturating_mul(i128::from(settings.cost_weight)),
        1000,
    )
}

/// The preferred-venue reward of a shift: minus the weight when the need's venue is one
/// the technician prefers, else 0.
pub fn preferred_points(model: &Model<'_>, t: TechIx, shift: &Shift) -> i64 {
    let venue = &model.need(shift.need).venue_id;
    if model.tech(t).preferences.preferred_venues.contains(venue) {
        -model.settings.preferred_venue_weight
    } else {
        0
    }
}

/// The balance cost of a technician's planned time: weight x hours² / 100, rounded down.
pub fn balance_points(settings: &Settings, seconds: i64) -> i64 {
    let s = i128::from(seconds);
    let q = i128::from(settings.balance_weight)
        .saturating_mul(s)
        .saturating_mul(s)
        / (100 * 3600 * 3600);
    i64::try_from(q).unwrap_or(i64::MAX)
}

/// Total planned seconds of a schedule.
pub fn seconds(shifts: &[Shift]) -> i64 {
    shifts
        .iter()
        .fold(0i64, |sum, s| sum.saturating_add(s.seconds()))
}

/// The assigner's per-technician preference terms for a schedule (soft points).
pub fn own(model: &Model<'_>, t: TechIx, shifts: &[Shift]) -> i64 {
    let mut points = balance_points(&model.settings, seconds(shifts));
    for s in shifts {
        points = points
            .saturating_add(cost_points(&model.settings, shift_cost_cents(model, t, s)))
            .saturating_add(preferred_points(model, t, s));
    }
    points
}

/// The cover score of a need with `count` people on it, as the rules compute it:
/// `unfilled-penalty` per place below `min-crew`, `extra-penalty` per person above it up to
/// `max-crew`, and 1 hard point per person above `max-crew` (`min-crew` when unset).
pub fn cover(need: &Need, count: u32) -> Cost {
    let n = i64::from(count);
    let min = i64::from(need.min_crew);
    let max = i64::from(need.max_crew.unwrap_or(need.min_crew).max(need.min_crew));
    let mut c = Cost::ZERO;
    if n < min && need.unfilled_penalty > 0 {
        c += Cost::soft((min - n).saturating_mul(need.unfilled_penalty));
    }
    let extra = n.min(max) - min;
    if extra > 0 && need.extra_penalty > 0 {
        c += Cost::soft(extra.saturating_mul(need.extra_penalty));
    }
    if n > max {
        c += Cost::hard(n - max);
    }
    c
}

/// The terms between two related technicians, from their schedules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairCost {
    /// The rules' plan-level part: incompatibility per shared mission, affinity split per
    /// pair of overlapping different missions.
    pub rules: Cost,
    /// The assigner's affinity reward (<= 0) per shared mission.
    pub reward: i64,
}

impl PairCost {
    pub fn total(&self) -> Cost {
        self.rules + Cost::soft(self.reward)
    }
}

fn missions(model: &Model<'_>, shifts: &[Shift]) -> Vec<MissionIx> {
    let mut m: Vec<MissionIx> = shifts.iter().map(|s| model.mission_of(s.need)).collect();
    m.sort_unstable();
    m.dedup();
    m
}

/// The relation terms of technicians `a` and `b` working `sa` and `sb`.
pub fn pair(model: &Model<'_>, a: TechIx, sa: &[Shift], b: TechIx, sb: &[Shift]) -> PairCost {
    let relation = model.pair(a, b);
    let mut out = PairCost::default();
    if sa.is_empty() || sb.is_empty() {
        return out;
    }
    let (ma, mb) = (missions(model, sa), missions(model, sb));
    let shared = ma.iter().filter(|m| mb.binary_search(m).is_ok()).count() as i64;
    if let Some((severity, weight)) = relation.incompatibility
        && (severity == Severity::Hard || weight > 0)
    {
        let p = shared.saturating_mul(weight.max(1));
        out.rules += match severity {
            Severity::Hard => Cost::hard(p),
            Severity::Soft => Cost::soft(p),
        };
    }
    if relation.affinity > 0 {
        let mut split: Vec<(MissionIx, MissionIx)> = Vec::new();
        for x in sa {
            for y in sb {
                let (mx, my) = (model.mission_of(x.need), model.mission_of(y.need));
                if mx != my && overlaps(&x.window, &y.window) {
                    split.push((mx, my));
                }
            }
        }
        split.sort_unstable();
        split.dedup();
        out.rules += Cost::soft((split.len() as i64).saturating_mul(relation.affinity));
        let each = round_half_up(
            i128::from(relation.affinity).saturating_mul(i128::from(model.settings.affinity_bp)),
            10_000,
        );
        out.reward = -shared.saturating_mul(each);
    }
    out
}

/// Room double bookings among staffed missions: 1 hard point per pair of staffed missions
/// in the same room at overlapping times, counted once per pair. `staffed(m)` says whether
/// mission `m` has anyone on it; only pairs with a mission in `among` are counted (all
/// pairs when `among` is every mission), each pair once.
pub fn room_pairs(
    model: &Model<'_>,
    among: &[MissionIx],
    staffed: impl Fn(MissionIx) -> bool,
) -> i64 {
    let mut count = 0i64;
    for &m in among {
        if !staffed(m) {
            continue;
        }
        for &c in &model.room_conflicts[m as usize] {
            // A pair with both missions in `among` is counted from its lower mission only.
            if staffed(c) && (c > m || among.binary_search(&c).is_err()) {
                count += 1;
            }
        }
    }
    count
}
