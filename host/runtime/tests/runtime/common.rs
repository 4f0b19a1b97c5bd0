//! Fixtures, sample inputs and the shared runtime.

use std::sync::OnceLock;
use std::time::Duration;

use callsheet_runtime::types::*;
use callsheet_runtime::{
    AssignerPlugin, Budget, PayrollPlugin, RulesPlugin, Runtime, RuntimeConfig,
};

pub const RULES: &[u8] = include_bytes!("../fixtures/rules.wasm");
pub const ASSIGNER: &[u8] = include_bytes!("../fixtures/assigner.wasm");
pub const PAYROLL: &[u8] = include_bytes!("../fixtures/payroll.wasm");
pub const WASI_FS: &[u8] = include_bytes!("../fixtures/wasi-fs.wasm");

pub const MIB: usize = 1024 * 1024;

/// Small limits so the hostile fixtures hit them fast.
pub fn config() -> RuntimeConfig {
    RuntimeConfig {
        memory_bytes: 32 * MIB,
        max_instances: 8,
        max_output_bytes: MIB,
        default_budget: Budget {
            fuel: 2_000_000_000,
            timeout: Duration::from_secs(20),
        },
        ..RuntimeConfig::default()
    }
}

/// The runtime shared by the tests of this binary.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(config()).expect("runtime starts"))
}

pub fn rules() -> RulesPlugin {
    runtime().load_rules(RULES).expect("rules fixture loads")
}

pub fn assigner() -> AssignerPlugin {
    runtime()
        .load_assigner(ASSIGNER)
        .expect("assigner fixture loads")
}

pub fn payroll() -> PayrollPlugin {
    runtime()
        .load_payroll(PAYROLL)
        .expect("payroll fixture loads")
}

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// 2025-06-02 00:00 UTC, a Monday.
const MONDAY: i64 = 1_748_822_400;

fn window(start: i64, end: i64) -> Window {
    Window { start, end }
}

pub fn calendar() -> Calendar {
    Calendar {
        time_zone: "Europe/Paris".into(),
        offsets: vec![UtcOffset {
            since: MONDAY - 7 * DAY,
            offset: 7_200,
        }],
        days: vec![],
    }
}

pub fn technician(id: &str, skills: &[&str]) -> Technician {
    Technician {
        id: id.into(),
        name: format!("Technician {id}"),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        contract: Contract {
            kind: ContractKind::Hourly,
            hourly_rate: 1_800,
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

pub fn need(id: &str, skill: &str, start: i64, hours: i64, min_crew: u32) -> Need {
    Need {
        id: id.into(),
        mission_id: "m1".into(),
        venue_id: "olympia".into(),
        room_id: None,
        window: window(start, start + hours * HOUR),
        skill: skill.into(),
        shift_type: None,
        min_crew,
        max_crew: None,
        unfilled_penalty: 100,
        extra_penalty: 10,
        attributes: vec![],
    }
}

/// Three technicians, three needs: n1 (2 sound, Monday 08-12), n2 (1 light, Monday 10-14,
/// overlapping n1), n3 (1 sound, Tuesday 08-12).
pub fn problem() -> Problem {
    Problem {
        tenant_id: "tenant-1".into(),
        horizon: window(MONDAY, MONDAY + 7 * DAY),
        seed: 42,
        calendar: calendar(),
        technicians: vec![
            technician("t1", &["light", "sound"]),
            technician("t2", &["sound"]),
            technician("t3", &["light"]),
        ],
        missions: vec![Mission {
            id: "m1".into(),
            title: "Load-in Olympia".into(),
            project_id: None,
            venue_id: "olympia".into(),
            room_id: None,
            window: window(MONDAY, MONDAY + 2 * DAY),
            paid: true,
            status: MissionStatus::Confirmed,
            attributes: vec![],
        }],
        needs: vec![
            need("n1", "sound", MONDAY + 8 * HOUR, 4, 2),
            need("n2", "light", MONDAY + 10 * HOUR, 4, 1),
            need("n3", "sound", MONDAY + DAY + 8 * HOUR, 4, 1),
        ],
        assignments: vec![],
        history: vec![],
        attributes: vec![],
    }
}

pub fn shift(problem: &Problem, need_id: &str) -> Shift {
    let need = problem
        .needs
        .iter()
        .find(|n| n.id == need_id)
        .expect("known need");
    Shift {
        need_id: need_id.into(),
        window: need.window,
    }
}

pub fn text_param(name: &str, value: &str) -> Param {
    Param {
        name: name.into(),
        value: Value::Text(value.into()),
    }
}

/// A pay input whose attribute "mode" picks the payroll fixture's behaviour.
pub fn pay_input(mode: &str) -> PayInput {
    PayInput {
        technician: technician("t1", &["sound"]),
        period: window(MONDAY, MONDAY + 7 * DAY),
        calendar: calendar(),
        worked: vec![WorkedPeriod {
            id: "w1".into(),
            assignment_id: None,
            mission_id: "m1".into(),
            window: window(MONDAY + 8 * HOUR, MONDAY + 17 * HOUR),
            breaks: vec![window(MONDAY + 12 * HOUR, MONDAY + 13 * HOUR)],
            cachets: 0,
            tags: vec![],
            attributes: vec![],
        }],
        attributes: vec![text_param("mode", mode)],
    }
}

/// The payslip of `pay_input("ok")`: 8 h at 18 EUR.
pub fn assert_good_payslip(payroll: &PayrollPlugin) {
    let payslip = payroll
        .compute(&pay_input("ok"), &vec![])
        .expect("a good call succeeds")
        .value;
    assert_eq!(payslip.technician_id, "t1");
    assert_eq!(payslip.gross, 8 * 1_800);
    assert_eq!(payslip.lines.len(), 1);
    assert_eq!(payslip.lines[0].quantity_milli, 8_000);
}
