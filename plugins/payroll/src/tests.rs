//! Table-driven tests of every pay figure and limit: overtime thresholds (35 h, 43 h), night
//! bounds, 1 May, Sunday and holiday premiums, cachets, rounding, period bounds. Each
//! failure names the pay code and the case.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use callsheet_plugin_sdk::testing::{self, at, param, window};
use callsheet_plugin_sdk::types::*;

use crate::payslip::compute;

const HOUR: i64 = 3600;

fn may(day: u8, hour: i64, minute: i64) -> i64 {
    at(2025, 5, day, hour, minute)
}

#[derive(Debug, Clone)]
struct Fx {
    input: PayInput,
    params: Vec<Param>,
}

impl Fx {
    /// Hourly at 18.00 / h, pay period May 2025.
    fn new() -> Fx {
        let mut technician = testing::technician("t1", &["sound"]);
        technician.contract.hourly_rate = 1800;
        let input = PayInput {
            technician,
            period: window(may(1, 0, 0), at(2025, 6, 1, 0, 0)),
            calendar: testing::paris_2025(),
            worked: vec![],
            attributes: vec![],
        };
        Fx {
            input,
            params: vec![],
        }
    }

    fn work(&mut self, start: i64, end: i64) -> &mut WorkedPeriod {
        let n = self.input.worked.len() + 1;
        self.input.worked.push(WorkedPeriod {
            id: format!("w{n:02}"),
            assignment_id: None,
            mission_id: "m1".into(),
            window: window(start, end),
            breaks: vec![],
            cachets: 0,
            tags: vec![],
            attributes: vec![],
        });
        self.input.worked.last_mut().expect("just pushed")
    }

    /// A worked period, nothing else.
    fn add(&mut self, start: i64, end: i64) {
        self.work(start, end);
    }

    /// Monday 12 to Friday 16 May from 08:00, equal shares of `total` (Friday gets the rest).
    fn week(&mut self, total: i64) {
        let share = total / 5;
        for d in 12..=16 {
            let len = if d == 16 { total - 4 * share } else { share };
            self.work(may(d, 8, 0), may(d, 8, 0) + len);
        }
    }

    fn slip(&self) -> Payslip {
        compute(&self.input, &self.params).unwrap_or_else(|f| panic!("compute failed: {f:?}"))
    }
}

/// (case, builder, pay code, expected quantity in milli-hours (summed), expected amount)
type Case = (&'static str, fn(&mut Fx), &'static str, i64, i64);

fn run(cases: &[Case]) {
    for (case, build, code, quantity, amount) in cases {
        let mut fx = Fx::new();
        build(&mut fx);
        let slip = fx.slip();
        let lines: Vec<&PayLine> = slip.lines.iter().filter(|l| l.code == *code).collect();
        let (q, a) = (
            lines.iter().map(|l| l.quantity_milli).sum::<i64>(),
            lines.iter().map(|l| l.amount).sum::<i64>(),
        );
        assert!(
            (q, a) == (*quantity, *amount),
            "pay code {code}, case \"{case}\": expected quantity {quantity} and amount {amount}, got {q} and {a}: {lines:#?}"
        );
        assert_eq!(
            slip.gross,
            slip.lines.iter().map(|l| l.amount).sum::<i64>(),
            "gross, case \"{case}\""
        );
    }
}

#[test]
fn base_hours() {
    let cases: &[Case] = &[
        (
            "9 h 30 at 1800",
            |fx| fx.add(may(12, 8, 0), may(12, 17, 30)),
            "base",
            9500,
            17100,
        ),
        (
            "a 1 h break is not paid",
            |fx| {
                let w = fx.work(may(12, 8, 0), may(12, 18, 0));
                w.breaks.push(window(may(12, 12, 0), may(12, 13, 0)));
            },
            "base",
            9000,
            16200,
        ),
        (
            "work before the period is not paid here",
            |fx| fx.add(at(2025, 4, 30, 20, 0), may(1, 2, 0)),
            "base",
            2000,
            3600,
        ),
        (
            "20 min at 1801 rounds 600.33 to 600",
            |fx| {
                fx.input.technician.contract.hourly_rate = 1801;
                fx.work(may(12, 8, 0), may(12, 8, 20));
            },
            "base",
            333,
            600,
        ),
        (
            "30 min at 1801 rounds 900.5 to 901",
            |fx| {
                fx.input.technician.contract.hourly_rate = 1801;
                fx.work(may(12, 8, 0), may(12, 8, 30));
            },
            "base",
            500,
            901,
        ),
    ];
    run(cases);
}

#[test]
fn weekly_overtime() {
    let cases: &[Case] = &[
        ("35 h: none", |fx| fx.week(35 * HOUR), "overtime-25", 0, 0),
        (
            "35 h plus 1 min: 1 min at 25 %",
            |fx| fx.week(35 * HOUR + 60),
            "overtime-25",
            17,
            8,
        ),
        (
            "43 h minus 1 min",
            |fx| fx.week(43 * HOUR - 60),
            "overtime-25",
            7983,
            3593,
        ),
        (
            "43 h: 8 h at 25 %",
            |fx| fx.week(43 * HOUR),
            "overtime-25",
            8000,
            3600,
        ),
        (
            "43 h: none at 50 %",
            |fx| fx.week(43 * HOUR),
            "overtime-50",
            0,
            0,
        ),
        (
            "43 h plus 1 min: still 8 h at 25 %",
            |fx| fx.week(43 * HOUR + 60),
            "overtime-25",
            8000,
            3600,
        ),
        (
            "43 h plus 1 min: 1 min at 50 %",
            |fx| fx.week(43 * HOUR + 60),
            "overtime-50",
            17,
            15,
        ),
        (
            "48 h: 5 h at 50 %",
            |fx| fx.week(48 * HOUR),
            "overtime-50",
            5000,
            4500,
        ),
        (
            "a week ending in June is paid in June",
            |fx| {
                for d in 26..=31 {
                    fx.work(may(d, 8, 0), may(d, 16, 0));
                }
            },
            "overtime-25",
            0,
            0,
        ),
        (
            "a week starting in April is paid in May, April hours included",
            |fx| {
                fx.work(at(2025, 4, 28, 6, 0), at(2025, 4, 28, 16, 0));
                fx.work(at(2025, 4, 29, 6, 0), at(2025, 4, 29, 16, 0));
                fx.work(at(2025, 4, 30, 6, 0), at(2025, 4, 30, 16, 0));
                fx.work(may(2, 8, 0), may(2, 16, 0));
            },
            "overtime-25",
            3000,
            1350,
        ),
        (
            "first rate by parameter",
            |fx| {
                fx.params
                    .push(param("overtime.first-rate", Value::Int(1000)));
                fx.week(36 * HOUR);
            },
            "overtime-25",
            1000,
            180,
        ),
    ];
    run(cases);
}

#[test]
fn premiums() {
    let cases: &[Case] = &[
        (
            "22:00-06:00: 6 h of night",
            |fx| fx.add(may(12, 22, 0), may(12, 30, 0)),
            "night",
            6000,
            2700,
        ),
        (
            "ends 06:01: still 6 h",
            |fx| fx.add(may(12, 22, 0), may(12, 30, 1)),
            "night",
            6000,
            2700,
        ),
        (
            "05:59-07:00: 1 min",
            |fx| fx.add(may(13, 5, 59), may(13, 7, 0)),
            "night",
            17,
            8,
        ),
        (
            "06:00-14:00: none",
            |fx| fx.add(may(13, 6, 0), may(13, 14, 0)),
            "night",
            0,
            0,
        ),
        (
            "23:59-00:01: 1 min",
            |fx| fx.add(may(12, 23, 59), may(12, 24, 1)),
            "night",
            17,
            8,
        ),
        (
            "1 May 08:00-16:00 is paid double",
            |fx| fx.add(may(1, 8, 0), may(1, 16, 0)),
            "labour-day",
            8000,
            14400,
        ),
        (
            "1 May: base too",
            |fx| fx.add(may(1, 8, 0), may(1, 16, 0)),
            "base",
            8000,
            14400,
        ),
        (
            "2 May: no labour-day premium",
            |fx| fx.add(may(2, 8, 0), may(2, 16, 0)),
            "labour-day",
            0,
            0,
        ),
        (
            "Sunday: 0 % by default",
            |fx| fx.add(may(11, 8, 0), may(11, 12, 0)),
            "sunday",
            0,
            0,
        ),
        (
            "Sunday at +50 % by parameter",
            |fx| {
                fx.params.push(param("sunday.rate", Value::Int(5000)));
                fx.work(may(11, 8, 0), may(11, 12, 0));
            },
            "sunday",
            4000,
            3600,
        ),
        (
            "8 May: 0 % by default",
            |fx| fx.add(may(8, 8, 0), may(8, 12, 0)),
            "holiday",
            0,
            0,
        ),
        (
            "8 May at +20 % by parameter",
            |fx| {
                fx.params.push(param("holiday.rate", Value::Int(2000)));
                fx.work(may(8, 8, 0), may(8, 12, 0));
            },
            "holiday",
            4000,
            1440,
        ),
        (
            "night on 1 May is cumulative",
            |fx| fx.add(may(1, 2, 0), may(1, 4, 0)),
            "night",
            2000,
            900,
        ),
        (
            "1 h 30 of night at 1850 rounds 693.75 to 694",
            |fx| {
                fx.input.technician.contract.hourly_rate = 1850;
                fx.work(may(13, 4, 30), may(13, 6, 0));
            },
            "night",
            1500,
            694,
        ),
    ];
    run(cases);
}

#[test]
fn cachets() {
    let mut fx = Fx::new();
    fx.input.technician.contract = Contract {
        kind: ContractKind::Cachet,
        hourly_rate: 0,
        cachet_rate: 25_000,
    };
    for d in [9, 10, 11] {
        fx.work(may(d, 20, 0), may(d, 23, 0)).cachets = 1;
    }
    // A cachet earned by a show starting before the period is not paid here.
    fx.work(at(2025, 4, 30, 20, 0), at(2025, 4, 30, 23, 0))
        .cachets = 1;
    let slip = fx.slip();
    let line = slip
        .lines
        .iter()
        .find(|l| l.code == "cachet")
        .expect("pay code cachet, case \"3 cachets\": no line");
    assert_eq!(
        (line.quantity_milli, line.rate, line.amount),
        (3000, 25_000, 75_000),
        "pay code cachet, case \"3 cachets\""
    );
    let eligibility = slip
        .figures
        .iter()
        .find(|f| f.name == "eligibility-hours")
        .map(|f| f.value);
    assert_eq!(
        eligibility,
        Some(36 * HOUR),
        "pay code cachet, case \"3 cachets count 36 h\""
    );
    assert_eq!(
        slip.lines.len(),
        1,
        "a cachet contract with cachet work has only the cachet line"
    );
    assert_eq!(
        line.worked_ids,
        vec!["w01".to_owned(), "w02".to_owned(), "w03".to_owned()],
        "worked ids, sorted"
    );
}

#[test]
fn formulas_show_the_numbers() {
    let mut fx = Fx::new();
    fx.work(may(12, 22, 0), may(13, 0, 30));
    let slip = fx.slip();
    let night = slip
        .lines
        .iter()
        .find(|l| l.code == "night")
        .expect("night line");
    assert_eq!(
        night.formula, "0.500 h x 25 % of 1800 c/h = 225 c (night 00:00-06:00)",
        "night formula"
    );
    assert_eq!(night.rate, 450, "night rate: the premium part only");
    let base = slip
        .lines
        .iter()
        .find(|l| l.code == "base")
        .expect("base line");
    assert_eq!(
        base.formula, "2.500 h x 1800 c/h = 4500 c (hours worked in the period)",
        "base formula"
    );
}

#[test]
fn bad_input_and_parameters_become_errors() {
    let code = |fx: &Fx| compute(&fx.input, &fx.params).err().map(|f| f.code());
    let mut fx = Fx::new();
    fx.input.technician.contract.hourly_rate = 0;
    fx.work(may(12, 8, 0), may(12, 12, 0));
    assert_eq!(
        code(&fx),
        Some("invalid-input"),
        "hourly work without an hourly rate"
    );
    let mut fx = Fx::new();
    fx.work(may(12, 8, 0), may(12, 12, 0));
    fx.work(may(12, 11, 0), may(12, 14, 0));
    assert_eq!(
        code(&fx),
        Some("invalid-input"),
        "overlapping worked periods"
    );
    let mut fx = Fx::new();
    fx.work(may(12, 8, 0), may(12, 8, 0));
    assert_eq!(code(&fx), Some("invalid-input"), "empty worked period");
    let mut fx = Fx::new();
    fx.params
        .push(param("overtime.second-threshold", Value::Int(30 * HOUR)));
    assert_eq!(
        code(&fx),
        Some("invalid-params"),
        "second threshold below the first"
    );
    let mut fx = Fx::new();
    fx.params.push(param("night.rate", Value::Int(-1)));
    assert_eq!(code(&fx), Some("invalid-params"), "negative rate");
    let info = crate::catalog::describe();
    assert!(
        crate::config::validate(&[]).is_empty(),
        "defaults are valid"
    );
    assert_eq!(
        info.params.len(),
        crate::config::SPECS.len(),
        "every parameter described"
    );
}

#[test]
fn the_readme_documents_every_pay_code_and_parameter() {
    let readme = include_str!("../../README.md");
    let info = crate::catalog::describe();
    for id in info
        .rules
        .iter()
        .map(|r| &r.id)
        .chain(info.params.iter().map(|p| &p.name))
    {
        assert!(
            readme.contains(&format!("`{id}`")),
            "plugins/README.md does not mention `{id}`"
        );
    }
}

/// (case, builder, every line as (pay code, quantity in milli-units, amount in cents), in
/// display order). Whole payslips computed by hand at 18.00 EUR/h (1800 c/h); premiums are
/// the premium part only (25 % of 1800 = 450 c/h, 50 % = 900 c/h).
type Slip = (
    &'static str,
    fn(&mut Fx),
    &'static [(&'static str, i64, i64)],
);

#[test]
fn whole_payslips_computed_by_hand() {
    let slips: &[Slip] = &[
        (
            "35 h in a week: base only",
            |fx| fx.week(35 * HOUR),
            &[("base", 35_000, 63_000)],
        ),
        (
            "39 h: 4 h at +25 %",
            |fx| fx.week(39 * HOUR),
            &[("base", 39_000, 70_200), ("overtime-25", 4_000, 1_800)],
        ),
        (
            "46 h: 8 h at +25 %, 3 h at +50 %",
            |fx| fx.week(46 * HOUR),
            &[
                ("base", 46_000, 82_800),
                ("overtime-25", 8_000, 3_600),
                ("overtime-50", 3_000, 2_700),
            ],
        ),
        (
            "a night shift 22:00-04:00: 4 h of night at +25 %",
            |fx| fx.add(may(12, 22, 0), may(13, 4, 0)),
            &[("base", 6_000, 10_800), ("night", 4_000, 1_800)],
        ),
        (
            "a Sunday at +50 % (tenant parameter)",
            |fx| {
                fx.params.push(param("sunday.rate", Value::Int(5000)));
                fx.work(may(18, 9, 0), may(18, 17, 0));
            },
            &[("base", 8_000, 14_400), ("sunday", 8_000, 7_200)],
        ),
        (
            "1 May worked: paid double",
            |fx| fx.add(may(1, 8, 0), may(1, 16, 0)),
            &[("base", 8_000, 14_400), ("labour-day", 8_000, 14_400)],
        ),
        (
            "8 May, a public holiday, at +100 % (tenant parameter)",
            |fx| {
                fx.params.push(param("holiday.rate", Value::Int(10_000)));
                fx.work(may(8, 10, 0), may(8, 14, 0));
            },
            &[("base", 4_000, 7_200), ("holiday", 4_000, 7_200)],
        ),
    ];
    for (case, build, expected) in slips {
        let mut fx = Fx::new();
        build(&mut fx);
        let slip = fx.slip();
        let lines: Vec<(&str, i64, i64)> = slip
            .lines
            .iter()
            .filter(|l| l.amount != 0 || l.quantity_milli != 0)
            .map(|l| (l.code.as_str(), l.quantity_milli, l.amount))
            .collect();
        assert_eq!(
            lines,
            expected.to_vec(),
            "case \"{case}\": {:#?}",
            slip.lines
        );
        let gross: i64 = expected.iter().map(|(_, _, a)| a).sum();
        assert_eq!(slip.gross, gross, "gross, case \"{case}\"");
    }
}

#[test]
fn a_cachet_contract_and_a_month_with_a_daylight_saving_change() {
    // A cachet contract: 2 shows, 250.00 EUR each, one line.
    let mut fx = Fx::new();
    fx.input.technician.contract = Contract {
        kind: ContractKind::Cachet,
        hourly_rate: 0,
        cachet_rate: 25_000,
    };
    for d in [9, 10] {
        fx.work(may(d, 20, 0), may(d, 23, 0)).cachets = 1;
    }
    let slip = fx.slip();
    let lines: Vec<(&str, i64, i64)> = slip
        .lines
        .iter()
        .map(|l| (l.code.as_str(), l.quantity_milli, l.amount))
        .collect();
    assert_eq!(lines, vec![("cachet", 2_000, 50_000)]);
    assert_eq!(slip.gross, 50_000);

    // March 2025: the night of Saturday 29 to Sunday 30, 22:00-06:00 local, is 7 real
    // hours (the clocks jump from 02:00 to 03:00), 5 of them between 00:00 and 06:00.
    let mut fx = Fx::new();
    fx.input.period = window(at(2025, 3, 1, 0, 0), at(2025, 4, 1, 0, 0));
    fx.add(at(2025, 3, 29, 22, 0), at(2025, 3, 30, 6, 0));
    let slip = fx.slip();
    let lines: Vec<(&str, i64, i64)> = slip
        .lines
        .iter()
        .filter(|l| l.amount != 0 || l.quantity_milli != 0)
        .map(|l| (l.code.as_str(), l.quantity_milli, l.amount))
        .collect();
    assert_eq!(
        lines,
        vec![("base", 7_000, 12_600), ("night", 5_000, 2_250)],
        "{:#?}",
        slip.lines
    );
    assert_eq!(slip.gross, 14_850);
}
