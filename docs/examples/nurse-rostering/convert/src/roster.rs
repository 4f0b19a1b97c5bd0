//! A roster: the shift types each employee works on each day of the horizon, by index into
//! the instance's staff and shift types. The checker's input, and what a callsheet plan
//! converts to and from (`problem::plan_of`, `problem::roster_of`).

use crate::instance::Instance;

/// Shift types per employee per day; a day is usually empty (off) or holds one shift, but
/// a roster may hold more (the one-shift-a-day rule is checked, not assumed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    days: usize,
    /// `cells[staff * days + day]`.
    cells: Vec<Vec<usize>>,
}

impl Roster {
    /// Nobody works.
    pub fn empty(staff: usize, days: usize) -> Roster {
        Roster {
            days,
            cells: vec![Vec::new(); staff * days],
        }
    }

    /// The shift types `staff` works on `day`.
    pub fn on(&self, staff: usize, day: usize) -> &[usize] {
        &self.cells[staff * self.days + day]
    }

    /// Adds a shift.
    pub fn add(&mut self, staff: usize, day: usize, shift: usize) {
        self.cells[staff * self.days + day].push(shift);
    }

    /// Number of employees.
    pub fn staff(&self) -> usize {
        self.cells.len() / self.days.max(1)
    }

    /// A roster written one row per employee (the first rows; the others are off), one
    /// character per day: `.` for off, else a one-character shift id (all the ids of
    /// Instance1-3 are one character). For hand-written test rosters.
    pub fn from_rows(instance: &Instance, rows: &[&str]) -> Roster {
        let mut roster = Roster::empty(instance.staff.len(), instance.days);
        for (staff, row) in rows.iter().enumerate() {
            for (day, c) in row.chars().enumerate() {
                if c == '.' {
                    continue;
                }
                let shift = instance
                    .shift_index(&c.to_string())
                    .unwrap_or_else(|| panic!("{c} is not a shift id"));
                roster.add(staff, day, shift);
            }
        }
        roster
    }
}
