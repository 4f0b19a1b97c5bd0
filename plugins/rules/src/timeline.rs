//! A technician's time as the legal rules see it: merged busy blocks, the free intervals
//! between them, working days, and work per local day.
//!
//! A working day (for daily rest, night limits and rest derogations) starts with a block
//! after a rest of at least `rest.daily.min`, and takes every following block that starts
//! less than that rest later and within 24 h of its start: periods less than the required
//! rest apart belong to the same working day (BRIEF: a load-in 08:00-12:00 and a show
//! 19:00-23:00 are one working day with a 15 h span).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::ops::Range;

use callsheet_plugin_sdk::calendar::{Calendar, DAY};

use crate::model::Period;

/// Overlapping or touching periods merged.
#[derive(Debug, Clone)]
pub struct Block {
    pub start: i64,
    pub end: i64,
    /// The periods inside (indices into the sorted periods).
    pub periods: Range<usize>,
    /// The period that ends last (the one before the following gap).
    pub last: usize,
    /// Whether a candidate shift is inside.
    pub candidate: bool,
}

/// A working day: consecutive blocks.
#[derive(Debug, Clone)]
pub struct WorkingDay {
    pub start: i64,
    pub end: i64,
    pub blocks: Range<usize>,
    pub candidate: bool,
}

/// The whole timeline of one technician.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub blocks: Vec<Block>,
    /// Seconds of work per local day (blocks split at local midnight).
    pub day_work: BTreeMap<i32, i64>,
    /// Local days touched by candidate shifts.
    pub candidate_days: BTreeSet<i32>,
}

impl Timeline {
    pub fn build(periods: &[Period<'_>], cal: &Calendar<'_>) -> Timeline {
        let mut blocks: Vec<Block> = Vec::new();
        for (i, p) in periods.iter().enumerate() {
            match blocks.last_mut() {
                Some(b) if p.window.start <= b.end => {
                    b.periods.end = i + 1;
                    if p.window.end > b.end {
                        b.end = p.window.end;
                        b.last = i;
                    }
                    b.candidate |= !p.past;
                }
                _ => blocks.push(Block {
                    start: p.window.start,
                    end: p.window.end,
                    periods: i..i + 1,
                    last: i,
                    candidate: !p.past,
                }),
            }
        }
        let mut day_work = BTreeMap::new();
        for b in &blocks {
            for (day, secs) in cal.split_by_day(&callsheet_plugin_sdk::types::Window {
                start: b.start,
                end: b.end,
            }) {
                *day_work.entry(day).or_insert(0) += secs;
            }
        }
        let mut candidate_days = BTreeSet::new();
        for p in periods.iter().filter(|p| !p.past) {
            for (day, _) in cal.split_by_day(&p.window) {
                candidate_days.insert(day);
            }
        }
        Timeline {
            blocks,
            day_work,
            candidate_days,
        }
    }

    /// Working days for a required daily rest.
    pub fn working_days(&self, rest: i64) -> Vec<WorkingDay> {
        let mut days: Vec<WorkingDay> = Vec::new();
        for (i, b) in self.blocks.iter().enumerate() {
            match days.last_mut() {
                Some(d) if b.start - d.end < rest && b.start < d.start + DAY => {
                    d.end = d.end.max(b.end);
                    d.blocks.end = i + 1;
                    d.candidate |= b.candidate;
                }
                _ => days.push(WorkingDay {
                    start: b.start,
                    end: b.end,
                    blocks: i..i + 1,
                    candidate: b.candidate,
                }),
            }
        }
        days
    }

    /// The free interval after block `i`: up to the next block, or open-ended.
    pub fn gap_after(&self, i: usize) -> (i64, Option<i64>) {
        (self.blocks[i].end, self.blocks.get(i + 1).map(|b| b.start))
    }

    /// The longest free interval overlapping `[from, to)`, unclipped, with the blocks
    /// before and after it (none at the open ends). Free time before the first known block
    /// and after the last one is unbounded (`i64::MAX`).
    pub fn longest_rest_touching(&self, from: i64, to: i64) -> (i64, Option<usize>, Option<usize>) {
        let mut best: (i64, Option<usize>, Option<usize>) = (0, None, None);
        let first = self.blocks.first().map_or(i64::MAX, |b| b.start);
        if first > from {
            return (i64::MAX, None, self.blocks.first().map(|_| 0));
        }
        for i in 0..self.blocks.len() {
            let (start, next) = self.gap_after(i);
            let end = next.unwrap_or(i64::MAX);
            if start < to && end > from {
                let len = if next.is_none() {
                    i64::MAX
                } else {
                    end - start
                };
                if len > best.0 {
                    best = (len, Some(i), next.map(|_| i + 1));
                }
            }
        }
        best
    }
}
