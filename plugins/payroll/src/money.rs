//! Money arithmetic. The one rounding rule of this plugin: each line's amount is computed
//! from exact integers (seconds, cents per hour, basis points) and rounded to the cent
//! **once, half away from zero**; nothing is rounded before (in particular not the hours
//! shown as the quantity, nor the premium rate shown per hour), and the gross is the exact
//! sum of the rounded lines.

/// `numerator / denominator` rounded half away from zero (denominator > 0). i128 inside so
/// that seconds x cents x basis points cannot overflow; saturates to the i64 range.
pub fn div_round(numerator: i128, denominator: i128) -> i64 {
    let q = numerator / denominator;
    let r = numerator % denominator;
    let q = if 2 * r.abs() >= denominator {
        q + numerator.signum()
    } else {
        q
    };
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// Seconds as thousandths of an hour (the `quantity-milli` of an "h" line), rounded half
/// away from zero: display only, amounts use the seconds.
pub fn hours_milli(seconds: i64) -> i64 {
    div_round(i128::from(seconds) * 1000, 3600)
}

/// The amount of `seconds` at `cents_per_hour` times `basis_points` (10000 = 100 %).
pub fn amount(seconds: i64, cents_per_hour: i64, basis_points: i64) -> i64 {
    div_round(
        i128::from(seconds) * i128::from(cents_per_hour) * i128::from(basis_points),
        3600 * 10_000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero_once() {
        let cases = [
            ("exact", 10, 2, 5),
            ("just under a half", 149, 100, 1),
            ("a half rounds up", 150, 100, 2),
            ("just over a half", 151, 100, 2),
            ("negative half rounds away", -150, 100, -2),
            ("negative just under a half", -149, 100, -1),
        ];
        for (case, n, d, expected) in cases {
            assert_eq!(div_round(n, d), expected, "div_round, case {case}");
        }
        // 1 h 30 at 1850 c/h x 25 % = 693.75 c -> 694 c.
        assert_eq!(
            amount(5400, 1850, 2500),
            694,
            "amount, 1 h 30 at 25 % of 1850"
        );
        // 20 min at 1801 c/h = 600.333 c -> 600 c.
        assert_eq!(amount(1200, 1801, 10_000), 600, "amount, 20 min at 1801");
        assert_eq!(
            (hours_milli(34200), hours_milli(1), hours_milli(2)),
            (9500, 0, 1),
            "hours_milli"
        );
    }
}
