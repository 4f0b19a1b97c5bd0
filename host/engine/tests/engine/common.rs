//! Plugins, a shared runtime, and small hand-made problems.

use std::path::PathBuf;
use std::sync::OnceLock;

use callsheet_engine::Configured;
use callsheet_engine::calendar::{self, PARIS};
use callsheet_runtime::types::*;
use callsheet_runtime::{AssignerPlugin, Budget, RulesPlugin, Runtime, RuntimeConfig};
use chrono::NaiveDate;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> Option<Vec<u8>> {
    std::fs::read(repo().join(path)).ok()
}

/// The runtime shared by the tests of this binary.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(RuntimeConfig::default()).expect("runtime starts"))
}

/// The default rules plugin, committed in `plugins/dist`.
pub fn rules() -> Configured<RulesPlugin> {
    let bytes = read("plugins/dist/rules.wasm").expect("plugins/dist/rules.wasm is committed");
    Configured::rules(runtime(), &bytes, vec![], Budget::default()).expect("rules load")
}

/// The runtime's minimal rules fixture: declares only "skill", "overlap", "max-shifts" and
/// "cover.under", so the host must complete it with native checks.
pub fn fixture_rules() -> Configured<RulesPlugin> {
    let bytes = read("host/runtime/tests/fixtures/rules.wasm").expect("runtime fixture");
    Configured::rules(runtime(), &bytes, vec![], Budget::default()).expect("fixture rules load")
}

/// The runtime's minimal greedy assigner fixture (scored through `tenant-rules`).
pub fn fixture_assigner() -> Configured<AssignerPlugin> {
    let bytes = read("host/runtime/tests/fixtures/assigner.wasm").expect("runtime fixture");
    Configured::assigner(runtime(), &bytes, vec![], Budget::default()).expect("fixture loads")
}

/// The default assigner, when `plugins/dist/assigner.wasm` has been built and committed;
/// `None` (and a message on stderr) until then.
pub fn default_assigner(params: Params) -> Option<Configured<AssignerPlugin>> {
    match read("plugins/dist/assigner.wasm") {
        Some(bytes) => Some(
            Configured::assigner(runtime(), &bytes, params, Budget::default())
                .expect("default assigner loads"),
        ),
        None => {
            eprintln!(
                "SKIPPED: plugins/dist/assigner.wasm is not built yet (cargo xtask plugins); \
                 the tests that need the default assigner did not run"
            );
            None
        }
    }
}

pub const HOUR: i64 = 3_600;

/// Local time on a date in Paris, as UTC seconds.
pub fn at(date: NaiveDate, hour: i64, minute: i64) -> i64 {
    calendar::local_instant(PARIS, date, hour * HOUR + minute * 60)
}

pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub fn window(start: i64, end: i64) -> Window {
    Window { start, end }
}

pub fn technician(id: &str, skills: &[&str]) -> Technician {
    Technician {
        id: id.into(),
        name: format!("Tech {id}"),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        contract: Contract {
            kind: ContractKind::Hourly,
            hourly_rate: 2_000,
            cachet_rate: 0,
        },
        preferences: Preferences {
            preferred_venues: vec![],
            avoided_venues: vec![],
            max_weekly: None,
        },
        relations: vec![],
        availability: vec![],
        requests: vec![],
        overrides: vec![],
        attributes: vec![],
    }
}

pub fn mission(id: &str, room: Option<&str>, w: Window) -> Mission {
    Mission {
        id: id.into(),
        title: format!("Mission {id}"),
        project_id: None,
        venue_id: "v1".into(),
        room_id: room.map(String::from),
        window: w,
        paid: true,
        status: MissionStatus::Confirmed,
        attributes: vec![],
    }
}

pub fn need(id: &str, m: &Mission, skill: &str, min_crew: u32, w: Window) -> Need {
    Need {
        id: id.into(),
        mission_id: m.id.clone(),
        venue_id: m.venue_id.clone(),
        room_id: m.room_id.clone(),
        window: w,
        skill: skill.into(),
        shift_type: None,
        min_crew,
        max_crew: None,
        unfilled_penalty: 1_000,
        extra_penalty: 0,
        attributes: vec![],
    }
}

/// A problem over the week of Monday 2 June 2025 with a calendar covering the look-back.
pub fn problem(technicians: Vec<Technician>, missions: Vec<Mission>, needs: Vec<Need>) -> Problem {
    let first = ymd(2025, 6, 2);
    Problem {
        tenant_id: "test".into(),
        horizon: window(at(first, 0, 0), at(ymd(2025, 6, 9), 0, 0)),
        seed: 1,
        calendar: calendar::build(PARIS, ymd(2025, 3, 10), ymd(2025, 6, 22)),
        technicians,
        missions,
        needs,
        assignments: vec![],
        history: vec![],
        attributes: vec![],
    }
}

pub fn assign(need: &Need, tech: &str) -> Assignment {
    Assignment {
        id: None,
        need_id: need.id.clone(),
        technician_id: tech.into(),
        window: need.window,
        status: AssignmentStatus::Proposed,
        pinned: false,
    }
}
