//! French public holidays (Code du travail L3133-1), with the stable codes plugins key
//! premiums on ("labour-day" for 1 May, paid double by L3133-6).
//!
//! The moving ones hang off Easter Sunday, computed with the anonymous Gregorian algorithm
//! (Meeus/Jones/Butcher), so no table needs updating.

use callsheet_runtime::types::Holiday;
use chrono::{Datelike, NaiveDate};

/// The holiday on `date`, if any.
pub fn french(date: NaiveDate) -> Option<Holiday> {
    let (code, name) = match (date.month(), date.day()) {
        (1, 1) => ("new-year", "Jour de l'an"),
        (5, 1) => ("labour-day", "Fête du Travail"),
        (5, 8) => ("victory-day", "Victoire 1945"),
        (7, 14) => ("bastille-day", "Fête nationale"),
        (8, 15) => ("assumption", "Assomption"),
        (11, 1) => ("all-saints", "Toussaint"),
        (11, 11) => ("armistice", "Armistice 1918"),
        (12, 25) => ("christmas", "Noël"),
        _ => {
            let from_easter = (date - easter_sunday(date.year())).num_days();
            match from_easter {
                1 => ("easter-monday", "Lundi de Pâques"),
                39 => ("ascension", "Ascension"),
                50 => ("whit-monday", "Lundi de Pentecôte"),
                _ => return None,
            }
        }
    };
    Some(Holiday {
        code: code.into(),
        name: name.into(),
    })
}

/// Easter Sunday of a Gregorian year.
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn easter_matches_known_dates() {
        assert_eq!(easter_sunday(2024), ymd(2024, 3, 31));
        assert_eq!(easter_sunday(2025), ymd(2025, 4, 20));
        assert_eq!(easter_sunday(2026), ymd(2026, 4, 5));
    }

    #[test]
    fn the_eleven_french_holidays_of_2025() {
        let codes: Vec<String> = (0..365)
            .filter_map(|d| french(ymd(2025, 1, 1) + Duration::days(d)))
            .map(|h| h.code)
            .collect();
        assert_eq!(codes.len(), 11);
        assert_eq!(
            french(ymd(2025, 5, 1)).map(|h| h.code).as_deref(),
            Some("labour-day")
        );
        assert_eq!(
            french(ymd(2025, 4, 21)).map(|h| h.code).as_deref(),
            Some("easter-monday")
        );
        assert_eq!(
            french(ymd(2025, 5, 29)).map(|h| h.code).as_deref(),
            Some("ascension")
        );
        assert_eq!(
            french(ymd(2025, 6, 9)).map(|h| h.code).as_deref(),
            Some("whit-monday")
        );
        assert_eq!(french(ymd(2025, 5, 2)), None);
    }
}
