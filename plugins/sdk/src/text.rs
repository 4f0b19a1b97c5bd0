//! Numbers formatted for violation messages and pay-line formulas.
//!
//! Messages are English sentences read by planners and auditors, so durations read the way
//! a French payslip or a labour inspector writes them ("9 h 30"), and every figure a message
//! shows is also in the violation's structured `figures`.

use alloc::format;
use alloc::string::String;

/// A duration in seconds as "9 h 30", "11 h", "45 min" or "30 s"; negative durations get a
/// leading "-". Seconds are shown only when the duration is not a whole number of minutes,
/// so that no figure is silently rounded in a message.
pub fn duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let total = seconds.unsigned_abs();
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let body = match (h, m, s) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, 0, 0) => format!("{h} h"),
        (h, m, 0) => format!("{h} h {m:02}"),
        (h, m, s) => format!("{h} h {m:02} min {s:02} s"),
    };
    format!("{sign}{body}")
}

/// Thousandths as a decimal with three places: 9500 -> "9.500".
pub fn milli(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let v = value.unsigned_abs();
    format!("{sign}{}.{:03}", v / 1000, v % 1000)
}

/// Basis points as a percentage: 2500 -> "25 %", 1250 -> "12.5 %", 5 -> "0.05 %".
pub fn percent(basis_points: i64) -> String {
    let sign = if basis_points < 0 { "-" } else { "" };
    let v = basis_points.unsigned_abs();
    let (whole, frac) = (v / 100, v % 100);
    if frac == 0 {
        format!("{sign}{whole} %")
    } else if frac % 10 == 0 {
        format!("{sign}{whole}.{} %", frac / 10)
    } else {
        format!("{sign}{whole}.{frac:02} %")
    }
}

/// Minutes, rounded up, of a positive number of seconds: the unit of hard penalties that
/// measure a magnitude (missing rest, excess work), never 0 for a real shortfall.
pub fn minutes_up(seconds: i64) -> i64 {
    if seconds <= 0 { 0 } else { (seconds + 59) / 60 }
}

/// Hours, rounded up, of a positive number of seconds (soft penalties per started hour).
pub fn hours_up(seconds: i64) -> i64 {
    if seconds <= 0 {
        0
    } else {
        (seconds + 3599) / 3600
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_payslip() {
        let cases = [
            (34200, "9 h 30"),
            (39600, "11 h"),
            (3900, "1 h 05"),
            (2700, "45 min"),
            (30, "30 s"),
            (0, "0 s"),
            (-5400, "-1 h 30"),
            (3661, "1 h 01 min 01 s"),
            (61, "1 min 01 s"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(duration(seconds), expected, "duration({seconds})");
        }
    }

    #[test]
    fn percentages_and_thousandths() {
        for (bp, expected) in [
            (2500, "25 %"),
            (1250, "12.5 %"),
            (5, "0.05 %"),
            (10000, "100 %"),
        ] {
            assert_eq!(percent(bp), expected, "percent({bp})");
        }
        for (m, expected) in [(9500, "9.500"), (1, "0.001"), (-2500, "-2.500")] {
            assert_eq!(milli(m), expected, "milli({m})");
        }
    }

    #[test]
    fn rounding_up_never_hides_a_shortfall() {
        for (s, min, h) in [
            (0, 0, 0),
            (1, 1, 1),
            (60, 1, 1),
            (61, 2, 1),
            (3600, 60, 1),
            (3601, 61, 2),
            (-5, 0, 0),
        ] {
            assert_eq!(minutes_up(s), min, "minutes_up({s})");
            assert_eq!(hours_up(s), h, "hours_up({s})");
        }
    }
}
