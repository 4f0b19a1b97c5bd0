//! callsheet's default assigner (`plugins/assigner`), run natively with this plugin as the
//! tenant's rules, on the instances in the repository: the rosters it returns must be legal
//! by the independent checker, and the same input must give the same roster.

use callsheet_assigner::Rules;
use callsheet_assigner::planner::{self, Outcome};
use callsheet_plugin_sdk::types::{
    Plan, PlanEvaluation, PluginError, Schedule, ScheduleEvaluation,
};
use nrp_convert::check::check;
use nrp_convert::instance::Instance;
use nrp_convert::problem::{convert, roster_of};
use nurse_rostering::Session;

/// The plugin behind the assigner's `Rules` seam, as the host's `tenant-rules` is.
struct Plugin(Session);

impl Rules for Plugin {
    fn evaluate_schedules(
        &mut self,
        schedules: &[Schedule],
    ) -> Result<Vec<ScheduleEvaluation>, PluginError> {
        self.0
            .evaluate_schedules(schedules)
            .map_err(PluginError::from)
    }

    fn evaluate_plan(&mut self, plan: &Plan) -> Result<PlanEvaluation, PluginError> {
        self.0.evaluate_plan(plan).map_err(PluginError::from)
    }
}

fn instance(n: u32) -> Instance {
    let text = match n {
        1 => include_str!("../../data/Instance1.txt"),
        2 => include_str!("../../data/Instance2.txt"),
        3 => include_str!("../../data/Instance3.txt"),
        _ => unreachable!("only Instance1-3 are in the repository"),
    };
    Instance::parse(text).unwrap()
}

/// Plans instance `n` with the assigner's default parameters.
fn plan(i: &Instance, n: u32) -> Outcome {
    let converted = convert(i, &format!("Instance{n}"), 1).unwrap();
    let mut rules = Plugin(Session::open(&converted.problem, &converted.rules_params).unwrap());
    planner::run(&converted.problem, &[], &mut rules)
        .unwrap_or_else(|e| panic!("Instance{n}: the assigner fails: {e:?}"))
}

#[test]
fn the_default_assigner_rosters_instance_1_to_3_legally_at_its_default_budget() {
    // Before 2026-12 it left a shift on a day off (Instance1), a weekend too many
    // (Instance2) or both (Instance3) in every roster.
    for n in 1..=3 {
        let i = instance(n);
        let outcome = plan(&i, n);
        let assignments: Vec<_> = outcome
            .result
            .assignments
            .iter()
            .map(|p| p.assignment.clone())
            .collect();
        let report = check(&i, &roster_of(&i, &assignments).unwrap());
        assert!(
            report.hard.is_empty(),
            "Instance{n}: the checker finds {:?}",
            report.hard
        );
        assert_eq!(
            outcome.result.score.hard, 0,
            "Instance{n}: the plugin agrees"
        );
        assert_eq!(
            outcome.result.score.soft,
            report.objective(),
            "Instance{n}: the plugin's soft score is the C&Q objective"
        );
    }
}

#[test]
fn the_same_instance_gives_the_same_roster() {
    let i = instance(2);
    assert_eq!(plan(&i, 2), plan(&i, 2));
}
