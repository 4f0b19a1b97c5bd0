//! What a mission and its needs may hold: the rules of their fields, as types and parsers,
//! so the API parses its input once and storage keeps only values that passed.

use chrono::Duration;

use super::time::Window;
use super::{InvalidValue, Skill};

/// Longest mission; longer work is split into several (plans and rules work per day).
pub const MAX_MISSION_DAYS: i64 = 31;
/// Most needs one mission may have.
pub const MAX_NEEDS: usize = 50;
/// Longest mission notes, in characters.
pub const MAX_NOTES_CHARS: usize = 4000;
/// Most technicians one need may ask for.
pub const MAX_CREW: i32 = 100;
/// Largest penalty a need may set, in points.
pub const MAX_PENALTY: i64 = 1_000_000_000;
/// Penalty of each place left open, when the need does not say.
pub const DEFAULT_UNFILLED_PENALTY: i64 = 1000;
/// Penalty of each technician beyond `min_crew`, when the need does not say.
pub const DEFAULT_EXTRA_PENALTY: i64 = 100;

/// A mission's title: trimmed, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissionTitle(String);

impl MissionTitle {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let title = raw.trim();
        if title.is_empty() || title.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(format!(
                "must be 1 to {} characters",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(title.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A mission's notes: blank notes are no notes; at most [`MAX_NOTES_CHARS`] characters.
pub fn parse_notes(raw: Option<String>) -> Result<Option<String>, InvalidValue> {
    match raw {
        Some(n) if n.chars().count() > MAX_NOTES_CHARS => Err(InvalidValue::new(format!(
            "must be at most {MAX_NOTES_CHARS} characters"
        ))),
        Some(n) if n.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// A mission's window: what [`Window::new`] accepts, at most [`MAX_MISSION_DAYS`] long.
pub fn mission_window(window: Window) -> Result<Window, InvalidValue> {
    if window.seconds() > Duration::days(MAX_MISSION_DAYS).num_seconds() {
        return Err(InvalidValue::new(format!(
            "a mission lasts at most {MAX_MISSION_DAYS} days; split longer work"
        )));
    }
    Ok(window)
}

/// A shift type ("load-in", "night"): a tenant's tag, in the alphabet of skill codes.
pub fn parse_shift_type(raw: &str) -> Result<String, InvalidValue> {
    Skill::parse(raw)
        .map(|code| code.to_string())
        .map_err(|e| InvalidValue::new(e.reason.replace("skill code", "shift type")))
}

/// Which crew field a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrewField {
    Min,
    Max,
}

impl CrewField {
    pub fn as_str(self) -> &'static str {
        match self {
            CrewField::Min => "min_crew",
            CrewField::Max => "max_crew",
        }
    }
}

/// How many technicians a need asks for: `min` (0 to [`MAX_CREW`]) and an optional `max`
/// (at least `min`, at least 1). A need of `min` 0 is optional work and must bound it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crew {
    pub min: i32,
    pub max: Option<i32>,
}

impl Crew {
    pub fn new(min: i32, max: Option<i32>) -> Result<Self, (CrewField, InvalidValue)> {
        if !(0..=MAX_CREW).contains(&min) {
            return Err((
                CrewField::Min,
                InvalidValue::new(format!("must be between 0 and {MAX_CREW}")),
            ));
        }
        match max {
            Some(max) if max < min.max(1) || max > MAX_CREW => Err((
                CrewField::Max,
                InvalidValue::new(format!(
                    "must be at least min_crew, at least 1, and at most {MAX_CREW}"
                )),
            )),
            None if min == 0 => Err((
                CrewField::Min,
                InvalidValue::new("a need with min_crew 0 must set max_crew"),
            )),
            _ => Ok(Crew { min, max }),
        }
    }
}

/// A need's penalty in points: 0 to [`MAX_PENALTY`], `default` when not given.
pub fn parse_penalty(value: Option<i64>, default: i64) -> Result<i64, InvalidValue> {
    match value {
        Some(p) if !(0..=MAX_PENALTY).contains(&p) => Err(InvalidValue::new(format!(
            "must be between 0 and {MAX_PENALTY} points"
        ))),
        Some(p) => Ok(p),
        None => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_782_900_000 + h * 3600, 0).unwrap()
    }

    #[test]
    fn a_title_is_trimmed_and_bounded() {
        assert_eq!(
            MissionTitle::parse("  Zénith  ").unwrap().into_string(),
            "Zénith"
        );
        assert!(MissionTitle::parse("   ").is_err());
        assert!(MissionTitle::parse(&"é".repeat(200)).is_ok());
        assert!(MissionTitle::parse(&"é".repeat(201)).is_err());
    }

    #[test]
    fn blank_notes_are_none_and_long_ones_refused() {
        assert_eq!(parse_notes(Some("  ".into())), Ok(None));
        assert_eq!(parse_notes(None), Ok(None));
        assert!(parse_notes(Some("x".repeat(MAX_NOTES_CHARS + 1))).is_err());
    }

    #[test]
    fn a_mission_lasts_at_most_a_month() {
        let month = Window::new(at(0), at(24 * MAX_MISSION_DAYS)).unwrap();
        assert!(mission_window(month).is_ok());
        let longer = Window::new(at(0), at(24 * MAX_MISSION_DAYS + 1)).unwrap();
        assert!(mission_window(longer).is_err());
    }

    #[test]
    fn crews_are_bounded_and_optional_work_is_capped() {
        assert!(Crew::new(2, None).is_ok());
        assert!(Crew::new(0, Some(3)).is_ok());
        assert_eq!(Crew::new(0, None).unwrap_err().0, CrewField::Min);
        assert_eq!(Crew::new(-1, None).unwrap_err().0, CrewField::Min);
        assert_eq!(Crew::new(101, None).unwrap_err().0, CrewField::Min);
        assert_eq!(Crew::new(3, Some(2)).unwrap_err().0, CrewField::Max);
        assert_eq!(Crew::new(0, Some(0)).unwrap_err().0, CrewField::Max);
        assert_eq!(Crew::new(1, Some(101)).unwrap_err().0, CrewField::Max);
    }

    #[test]
    fn penalties_default_and_are_bounded() {
        assert_eq!(parse_penalty(None, 7), Ok(7));
        assert_eq!(parse_penalty(Some(0), 7), Ok(0));
        assert!(parse_penalty(Some(-1), 7).is_err());
        assert!(parse_penalty(Some(MAX_PENALTY + 1), 7).is_err());
    }

    #[test]
    fn a_shift_type_uses_the_skill_alphabet_and_says_so() {
        assert_eq!(parse_shift_type("load-in").unwrap(), "load-in");
        let err = parse_shift_type("Load In").unwrap_err();
        assert!(err.reason.contains("shift type"), "{}", err.reason);
    }
}
