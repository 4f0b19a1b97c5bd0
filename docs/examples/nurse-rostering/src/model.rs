//! The problem as the rules read it, indexed once when the evaluator opens: needs by id
//! (with their day and shift type), technicians by id (with their resolved limits, days
//! off and requests), the horizon's days and the forbidden successions.
//!
//! Evaluations then only look ids up: the assigner sends thousands of schedules per run,
//! and a wasm guest pays for every string it compares.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use callsheet_plugin_sdk::calendar::Calendar;
use callsheet_plugin_sdk::params::{self, Reader};
use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::{AvailabilityKind, Param, Problem, RequestTarget, Window};

use crate::params::{FORBIDDEN, Limits, SPECS, parse_succession};

/// A need, as the schedule rules see it.
#[derive(Debug, Clone)]
pub struct NeedInfo {
    pub id: String,
    pub mission_id: String,
    /// Index into [`Model::types`].
    pub kind: usize,
    pub min_crew: u32,
    pub max_crew: u32,
    pub unfilled_penalty: i64,
    pub extra_penalty: i64,
    /// Local day of the need's start.
    pub day: i32,
}

/// A soft wish of a technician.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wish {
    pub day: i32,
    /// A shift type index, or `None` for the whole day.
    pub kind: Option<usize>,
    /// The shift type's name, or `None` for the whole day (kept for messages; also when
    /// no need has the type, so such a shift-on request is always missed).
    pub kind_name: Option<String>,
    pub wanted: bool,
    pub weight: i64,
}

/// A technician, as the schedule rules see them.
#[derive(Debug, Clone)]
pub struct TechInfo {
    pub id: String,
    pub limits: Limits,
    /// Windows declared unavailable (C&Q days off).
    pub unavailable: Vec<Window>,
    pub wishes: Vec<Wish>,
}

/// The indexed problem.
#[derive(Debug, Clone)]
pub struct Model {
    pub calendar: callsheet_plugin_sdk::types::Calendar,
    /// First and last local day of the horizon.
    pub first_day: i32,
    pub last_day: i32,
    /// Shift type names, sorted; a need without a shift type has type "".
    pub types: Vec<String>,
    /// `forbidden[a * types.len() + b]`: type b may not follow type a on the next day.
    pub forbidden: Vec<bool>,
    /// Sorted by id.
    pub needs: Vec<NeedInfo>,
    /// Sorted by id.
    pub technicians: Vec<TechInfo>,
    /// The shortest need's length in seconds (at least 1): the unit the working-time
    /// rules are priced in (see `schedule::totals`).
    pub shortest_shift: i64,
}

impl Model {
    /// Checks the parameters and indexes the problem.
    pub fn open(problem: &Problem, params: &[Param]) -> Result<Model, Failure> {
        let errors = params::validate(SPECS, params, false);
        if !errors.is_empty() {
            return Err(Failure::InvalidParams(errors));
        }
        let calendar =
            Calendar::new(&problem.calendar).map_err(|e| Failure::InvalidInput(format!("{e}")))?;
        let first_day = calendar.day_of(problem.horizon.start);
        let last_day = calendar.day_of(problem.horizon.end - 1);

        let mut types: Vec<String> = problem
            .needs
            .iter()
            .map(|n| n.shift_type.clone().unwrap_or_default())
            .collect();
        types.sort_unstable();
        types.dedup();
        let type_of = |name: &str| types.binary_search_by(|t| t.as_str().cmp(name)).ok();

        let mut forbidden = alloc::vec![false; types.len() * types.len()];
        for item in Reader::new(SPECS, params).texts(FORBIDDEN) {
            if let Ok((a, b)) = parse_succession(&item)
                && let (Some(a), Some(b)) = (type_of(a), type_of(b))
            {
                forbidden[a * types.len() + b] = true;
            }
        }

        let mut needs: Vec<NeedInfo> = problem
            .needs
            .iter()
            .map(|n| NeedInfo {
                id: n.id.clone(),
                mission_id: n.mission_id.clone(),
                kind: type_of(n.shift_type.as_deref().unwrap_or("")).unwrap_or(0),
                min_crew: n.min_crew,
                max_crew: n.max_crew.unwrap_or(n.min_crew),
                unfilled_penalty: n.unfilled_penalty,
                extra_penalty: n.extra_penalty,
                day: calendar.day_of(n.window.start),
            })
            .collect();
        needs.sort_by(|a, b| a.id.cmp(&b.id));
        let shortest_shift = problem
            .needs
            .iter()
            .map(|n| n.window.end.saturating_sub(n.window.start))
            .min()
            .unwrap_or(3600)
            .max(1);

        let mut technicians = Vec::with_capacity(problem.technicians.len());
        for t in &problem.technicians {
            let errors = params::validate(SPECS, &t.overrides, true);
            if let Some(e) = errors.first() {
                return Err(Failure::InvalidInput(format!(
                    "technician {}: {}",
                    t.id, e.message
                )));
            }
            let mut wishes = Vec::with_capacity(t.requests.len());
            for r in &t.requests {
                let (day, kind_name) = match &r.target {
                    RequestTarget::Day(day) => (*day, None),
                    RequestTarget::Shift(s) => (s.day, Some(s.shift_type.clone())),
                    _ => {
                        return Err(Failure::Unsupported(format!(
                            "technician {}: only day and shift requests are rules of this plugin",
                            t.id
                        )));
                    }
                };
                wishes.push(Wish {
                    day,
                    kind: kind_name.as_deref().and_then(type_of),
                    kind_name,
                    wanted: r.wanted,
                    weight: r.weight,
                });
            }
            technicians.push(TechInfo {
                id: t.id.clone(),
                limits: Limits::read(&Reader::with_overrides(SPECS, params, &t.overrides), &types),
                unavailable: t
                    .availability
                    .iter()
                    .filter(|a| a.kind == AvailabilityKind::Unavailable)
                    .map(|a| a.window)
                    .collect(),
                wishes,
            });
        }
        technicians.sort_by(|a, b| a.id.cmp(&b.id));

        Ok(Model {
            calendar: problem.calendar.clone(),
            first_day,
            last_day,
            types,
            forbidden,
            needs,
            technicians,
            shortest_shift,
        })
    }

    /// The need with this id.
    pub fn need(&self, id: &str) -> Result<usize, Failure> {
        self.needs
            .binary_search_by(|n| n.id.as_str().cmp(id))
            .map_err(|_| Failure::InvalidInput(format!("unknown need {id}")))
    }

    /// The technician with this id.
    pub fn technician(&self, id: &str) -> Result<usize, Failure> {
        self.technicians
            .binary_search_by(|t| t.id.as_str().cmp(id))
            .map_err(|_| Failure::InvalidInput(format!("unknown technician {id}")))
    }

    /// Whether type `next` may not follow type `first` on the next day.
    pub fn is_forbidden(&self, first: usize, next: usize) -> bool {
        self.forbidden[first * self.types.len() + next]
    }

    /// The calendar view (checked at open).
    pub fn calendar(&self) -> Calendar<'_> {
        Calendar::already_checked(&self.calendar)
    }
}
