//! The Curtois & Qu instance format (schedulingbenchmarks.org "shift scheduling" text
//! files): sections `SECTION_HORIZON`, `SECTION_SHIFTS`, `SECTION_STAFF`,
//! `SECTION_DAYS_OFF`, `SECTION_SHIFT_ON_REQUESTS`, `SECTION_SHIFT_OFF_REQUESTS` and
//! `SECTION_COVER`, comma-separated rows, `#` comments.
//!
//! Parsed into plain indexed data: shift types and staff by their position in the file, so
//! the converter and the checker both index arrays rather than look names up.

use std::collections::BTreeMap;
use std::fmt;

/// A shift type: `ShiftID, Length in mins, Shifts which cannot follow this shift`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftType {
    pub id: String,
    pub minutes: i64,
    /// Indexes of the shift types that may not be worked the day after this one.
    pub cannot_follow: Vec<usize>,
}

/// One employee's contract limits (`SECTION_STAFF`) and days off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: String,
    /// Most shifts of each type over the horizon, indexed like `Instance::shifts`.
    pub max_shifts: Vec<u32>,
    pub max_total_minutes: i64,
    pub min_total_minutes: i64,
    pub max_consecutive_shifts: u32,
    pub min_consecutive_shifts: u32,
    pub min_consecutive_days_off: u32,
    pub max_weekends: u32,
    /// Days (0-based) on which the employee may not work, sorted.
    pub days_off: Vec<usize>,
}

/// A shift on or off request: the employee would like (or not) to work `shift` on `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub staff: usize,
    pub day: usize,
    pub shift: usize,
    pub weight: i64,
}

/// The cover of one day and shift type: how many people, and the weights per person under
/// and over that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cover {
    pub requirement: u32,
    pub under_weight: i64,
    pub over_weight: i64,
}

/// A parsed instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Horizon length in days; day 0 is a Monday.
    pub days: usize,
    pub shifts: Vec<ShiftType>,
    pub staff: Vec<Staff>,
    pub on_requests: Vec<Request>,
    pub off_requests: Vec<Request>,
    /// `cover[day][shift]`; a pair the file does not list has no requirement and no weight.
    pub cover: Vec<Vec<Cover>>,
}

/// Why a file is not a valid instance: the line (1-based) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for ParseError {}

impl Instance {
    /// The index of a shift type by its id.
    pub fn shift_index(&self, id: &str) -> Option<usize> {
        self.shifts.iter().position(|s| s.id == id)
    }

    /// Parses the text of an instance file.
    pub fn parse(text: &str) -> Result<Instance, ParseError> {
        let sections = split_sections(text)?;
        let rows = |name: &str| sections.get(name).cloned().unwrap_or_default();

        let horizon = rows("SECTION_HORIZON");
        let (line, days) = horizon.first().ok_or(ParseError {
            line: 0,
            reason: "no SECTION_HORIZON".into(),
        })?;
        let days = number::<usize>(*line, days, "horizon")?;

        let shift_rows = rows("SECTION_SHIFTS");
        let ids: Vec<String> = shift_rows
            .iter()
            .map(|(_, row)| field(row, 0).to_owned())
            .collect();
        let index = |line: usize, id: &str| {
            ids.iter().position(|s| s == id).ok_or(ParseError {
                line,
                reason: format!("unknown shift type {id:?}"),
            })
        };
        let mut shifts = Vec::new();
        for (line, row) in &shift_rows {
            let cannot_follow = field(row, 2)
                .split('|')
                .filter(|s| !s.is_empty())
                .map(|id| index(*line, id))
                .collect::<Result<_, _>>()?;
            shifts.push(ShiftType {
                id: field(row, 0).to_owned(),
                minutes: number(*line, field(row, 1), "shift length")?,
                cannot_follow,
            });
        }

        let mut staff = Vec::new();
        for (line, row) in rows("SECTION_STAFF") {
            let mut max_shifts = vec![u32::MAX; shifts.len()];
            for pair in field(&row, 1).split('|').filter(|s| !s.is_empty()) {
                let (id, max) = pair.split_once('=').ok_or(ParseError {
                    line,
                    reason: format!("{pair:?} is not SHIFT=MAX"),
                })?;
                max_shifts[index(line, id)?] = number(line, max, "max shifts")?;
            }
            staff.push(Staff {
                id: field(&row, 0).to_owned(),
                max_shifts,
                max_total_minutes: number(line, field(&row, 2), "max total minutes")?,
                min_total_minutes: number(line, field(&row, 3), "min total minutes")?,
                max_consecutive_shifts: number(line, field(&row, 4), "max consecutive")?,
                min_consecutive_shifts: number(line, field(&row, 5), "min consecutive")?,
                min_consecutive_days_off: number(line, field(&row, 6), "min days off")?,
                max_weekends: number(line, field(&row, 7), "max weekends")?,
                days_off: Vec::new(),
            });
        }
        let staff_ids: Vec<String> = staff.iter().map(|s| s.id.clone()).collect();
        let staff_index = |line: usize, id: &str| {
            staff_ids.iter().position(|s| s == id).ok_or(ParseError {
                line,
                reason: format!("unknown employee {id:?}"),
            })
        };

        let mut days_off = vec![Vec::new(); staff.len()];
        for (line, row) in rows("SECTION_DAYS_OFF") {
            let who = staff_index(line, field(&row, 0))?;
            for day in row.split(',').skip(1).filter(|s| !s.trim().is_empty()) {
                days_off[who].push(day_number(line, day, days)?);
            }
        }
        for (person, mut off) in staff.iter_mut().zip(days_off) {
            off.sort_unstable();
            off.dedup();
            person.days_off = off;
        }

        let requests = |section: &str| -> Result<Vec<Request>, ParseError> {
            rows(section)
                .iter()
                .map(|(line, row)| {
                    Ok(Request {
                        staff: staff_index(*line, field(row, 0))?,
                        day: day_number(*line, field(row, 1), days)?,
                        shift: index(*line, field(row, 2))?,
                        weight: number(*line, field(row, 3), "weight")?,
                    })
                })
                .collect()
        };
        let on_requests = requests("SECTION_SHIFT_ON_REQUESTS")?;
        let off_requests = requests("SECTION_SHIFT_OFF_REQUESTS")?;

        let none = Cover {
            requirement: 0,
            under_weight: 0,
            over_weight: 0,
        };
        let mut cover = vec![vec![none; shifts.len()]; days];
        for (line, row) in rows("SECTION_COVER") {
            let day = day_number(line, field(&row, 0), days)?;
            let shift = index(line, field(&row, 1))?;
            cover[day][shift] = Cover {
                requirement: number(line, field(&row, 2), "requirement")?,
                under_weight: number(line, field(&row, 3), "under weight")?,
                over_weight: number(line, field(&row, 4), "over weight")?,
            };
        }

        Ok(Instance {
            days,
            shifts,
            staff,
            on_requests,
            off_requests,
            cover,
        })
    }
}

/// Rows of each section, with their line numbers, comments and blank lines left out.
fn split_sections(text: &str) -> Result<BTreeMap<String, Vec<(usize, String)>>, ParseError> {
    let mut sections: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("SECTION_") {
            current = Some(line.to_owned());
            sections.entry(line.to_owned()).or_default();
            continue;
        }
        let Some(section) = &current else {
            return Err(ParseError {
                line: i + 1,
                reason: "data before the first section".into(),
            });
        };
        sections
            .entry(section.clone())
            .or_default()
            .push((i + 1, line.to_owned()));
    }
    Ok(sections)
}

fn field(row: &str, n: usize) -> &str {
    row.split(',').nth(n).unwrap_or("").trim()
}

fn number<T: std::str::FromStr>(line: usize, text: &str, what: &str) -> Result<T, ParseError> {
    text.trim().parse().map_err(|_| ParseError {
        line,
        reason: format!("{what}: {text:?} is not a number"),
    })
}

fn day_number(line: usize, text: &str, days: usize) -> Result<usize, ParseError> {
    let day: usize = number(line, text, "day")?;
    if day >= days {
        return Err(ParseError {
            line,
            reason: format!("day {day} is outside the {days}-day horizon"),
        });
    }
    Ok(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANCE_3: &str = include_str!("../../data/Instance3.txt");

    #[test]
    fn instance_3_is_read_field_by_field() {
        let i = Instance::parse(INSTANCE_3).unwrap();
        assert_eq!(i.days, 14);
        let ids: Vec<&str> = i.shifts.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["E", "D", "L"]);
        assert_eq!(i.shifts[2].minutes, 480);
        assert_eq!(i.shifts[2].cannot_follow, [0, 1], "L: E|D cannot follow");
        assert_eq!(i.staff.len(), 20);
        let a = &i.staff[0];
        assert_eq!(
            (a.id.as_str(), a.max_shifts.as_slice()),
            ("A", [14, 14, 0].as_slice())
        );
        assert_eq!(
            (a.max_total_minutes, a.min_total_minutes),
            (4320, 3360),
            "A's total minutes"
        );
        let k = &i.staff[10];
        assert_eq!(
            (
                k.max_consecutive_shifts,
                k.min_consecutive_shifts,
                k.min_consecutive_days_off,
                k.max_weekends
            ),
            (6, 2, 3, 1)
        );
        assert_eq!(i.staff[1].days_off, [6], "B is off on day 6");
        assert_eq!(i.cover.len(), 14);
    }

    #[test]
    fn errors_name_the_line() {
        let bad = "SECTION_HORIZON\n14\nSECTION_SHIFTS\nD,eight,\n";
        let error = Instance::parse(bad).unwrap_err();
        assert_eq!(error.line, 4, "{error}");
        let unknown = "SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480,X\n";
        assert!(
            Instance::parse(unknown)
                .unwrap_err()
                .reason
                .contains("unknown shift type")
        );
    }
}
