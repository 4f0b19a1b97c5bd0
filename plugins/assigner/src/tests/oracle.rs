//! The heuristic against an exhaustive search on small instances (up to 6 places x 5
//! technicians): every way to staff every place (or leave it empty) is scored on the same
//! objective, computed from scratch with the native rules, and the heuristic must reach the
//! optimum exactly. Tolerance: none. At this size the late-acceptance search's budget
//! (20 000 moves) is thousands of times the neighbourhood, so anything short of the optimum
//! is a bug in the moves or the bookkeeping, not bad luck.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::fixture::{Fx, NativeRules};
use super::instances::{Size, random};
use crate::Rules;
use crate::config::Settings;
use crate::model::{MissionIx, Model, NeedIx, Shift, TechIx, overlaps};
use crate::objective::{self, Cost};
use crate::state::with_shift;

/// Instances per size (the CALLSHEET_ORACLE_SEEDS environment variable raises it for a
/// longer soak).
fn seeds() -> u64 {
    std::env::var("CALLSHEET_ORACLE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

/// The exhaustive search.
struct Oracle<'m, 'p> {
    model: &'m Model<'p>,
    rules: NativeRules,
    scores: BTreeMap<(TechIx, Vec<NeedIx>), Cost>,
    /// Per technician, the needs given so far.
    plan: Vec<Vec<NeedIx>>,
    best: Cost,
    /// Needs per technician of the best plan found.
    best_plan: Vec<Vec<NeedIx>>,
    plans: u64,
}

impl Oracle<'_, '_> {
    fn shifts(&self, t: TechIx) -> Vec<Shift> {
        self.plan[t as usize].iter().fold(Vec::new(), |acc, &n| {
            with_shift(&acc, self.model.shift_for(n, t))
        })
    }

    fn rules_score(&mut self, t: TechIx) -> Cost {
        let mut key = self.plan[t as usize].clone();
        key.sort_unstable();
        if let Some(c) = self.scores.get(&(t, key.clone())) {
            return *c;
        }
        let schedule = self.model.schedule(t, &self.shifts(t));
        let e = self
            .rules
            .evaluate_schedules(&[schedule])
            .expect("the rules evaluate");
        let c = Cost::from(e[0].score);
        self.scores.insert((t, key), c);
        c
    }

    /// The objective of the current complete plan, from scratch.
    fn objective(&mut self) -> Cost {
        let model = self.model;
        let mut total = Cost::ZERO;
        let shifts: Vec<Vec<Shift>> = model.tech_indices().map(|t| self.shifts(t)).collect();
        for t in model.tech_indices() {
            total +=
                self.rules_score(t) + Cost::soft(objective::own(model, t, &shifts[t as usize]));
        }
        let mut crew = vec![0u32; model.needs.len()];
        let mut mission_crew = vec![0u32; model.problem.missions.len()];
        for t in model.tech_indices() {
            for s in &shifts[t as usize] {
                crew[s.need as usize] += 1;
                mission_crew[model.mission_of(s.need) as usize] += 1;
            }
        }
        for n in model.need_indices() {
            total += objective::cover(model.need(n), crew[n as usize]);
        }
        for &(a, b) in model.pairs.keys() {
            total += objective::pair(model, a, &shifts[a as usize], b, &shifts[b as usize]).total();
        }
        let all: Vec<MissionIx> = (0..model.problem.missions.len() as MissionIx).collect();
        total += Cost::hard(objective::room_pairs(model, &all, |m| {
            mission_crew[m as usize] > 0
        }));
        total
    }

    /// Staffs need `n` onwards in every possible way.
    fn search(&mut self, n: NeedIx) {
        if n as usize == self.model.needs.len() {
            self.plans += 1;
            let c = self.objective();
            if c < self.best {
                self.best = c;
                self.best_plan = self.plan.clone();
            }
            return;
        }
        let qualified = self.model.needs[n as usize].qualified.clone();
        let places = self.model.needs[n as usize].places as usize;
        self.choose(n, &qualified, 0, places);
    }

    /// Picks up to `left` more technicians for `n` from `pool[from..]`, then moves on.
    fn choose(&mut self, n: NeedIx, pool: &[TechIx], from: usize, left: usize) {
        self.search(n + 1);
        if left == 0 {
            return;
        }
        for i in from..pool.len() {
            let t = pool[i];
            let window = self.model.need(n).window;
            // Two overlapping shifts are a hard violation: never optimal (leaving the place
            // empty is legal), so skip them.
            let busy = self.plan[t as usize]
                .iter()
                .any(|&m| overlaps(&self.model.need(m).window, &window));
            if busy {
                continue;
            }
            self.plan[t as usize].push(n);
            self.choose(n, pool, i + 1, left - 1);
            self.plan[t as usize].pop();
        }
    }
}

/// The optimum, how many plans were scored, and an optimal plan (needs per technician).
fn optimum(fx: &Fx) -> (Cost, u64, Vec<Vec<NeedIx>>) {
    let settings = Settings::read(&fx.params).expect("valid params");
    let model = Model::build(&fx.problem, settings).expect("valid problem");
    let mut oracle = Oracle {
        model: &model,
        rules: NativeRules::open(&fx.problem, &fx.rules_params),
        scores: BTreeMap::new(),
        plan: vec![Vec::new(); fx.problem.technicians.len()],
        best: Cost {
            hard: i128::MAX,
            soft: i128::MAX,
        },
        best_plan: vec![],
        plans: 0,
    };
    oracle.search(0);
    (oracle.best, oracle.plans, oracle.best_plan)
}

#[test]
fn on_small_instances_the_heuristic_reaches_the_exhaustive_optimum() {
    let sizes = [
        Size {
            places: 6,
            techs: 5,
            days: 2,
            max_crew: 2,
        },
        Size {
            places: 6,
            techs: 4,
            days: 1,
            max_crew: 3,
        },
        Size {
            places: 5,
            techs: 5,
            days: 3,
            max_crew: 1,
        },
    ];
    let (mut heuristic_time, mut oracle_time, mut plans) = (Duration::ZERO, Duration::ZERO, 0);
    let mut instances = 0;
    for size in sizes {
        for seed in 1..=seeds() {
            let fx = random(seed * 31 + u64::from(size.places), size);
            let started = Instant::now();
            let found = fx.run().expect("plans").objective;
            heuristic_time += started.elapsed();
            let started = Instant::now();
            let (best, count, plan) = optimum(&fx);
            oracle_time += started.elapsed();
            plans += count;
            instances += 1;
            assert_eq!(
                found, best,
                "seed {seed}, {size:?}: the optimum is {best:?} with needs {plan:?} per technician"
            );
        }
    }
    eprintln!(
        "{instances} small instances: heuristic {heuristic_time:?} in all, exhaustive search {oracle_time:?} over {plans} plans"
    );
}
