//! A technician's time as the legal rules see it: merged busy blocks, the free intervals
//! between them, working days, and work per local day.
//!
//! A working day (for daily rest, night limits and rest derogations) starts with a block
//! after a rest of at least `rest.daily.min`, and takes every following block that starts
//! less than that rest later and within 24 h of its start: periods less than the required
//! rest apart belong to the same working day (BRIEF: a load-in 08:00-12:00 and a show
//! 19:00-23:00 are one working day with a 15 h span).

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
    /// Seconds of work per local day (blocks split at local midnight), by day, each day
    /// once. Sorted vectors rather than B-trees: they are built in order, read in order or
    /// by binary search, and allocate once per technician instead of per node.
    day_work: Vec<(i32, i64)>,
    /// Local days touched by candidate shifts, sorted, each once.
    pub candidate_days: Vec<i32>,
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
        // Blocks are sorted and disjoint, so their parts come in day order; two blocks on
        // the same day add up in the last entry.
        let mut day_work: Vec<(i32, i64)> = Vec::new();
        for b in &blocks {
            let window = callsheet_plugin_sdk::types::Window {
                start: b.start,
                end: b.end,
            };
            for (day, secs) in cal.split_by_day(&window) {
                add_in_order(&mut day_work, day, secs);
            }
        }
        // Candidate periods may overlap, so their days are sorted afterwards.
        let mut candidate_days: Vec<i32> = periods
            .iter()
            .filter(|p| !p.past)
            .flat_map(|p| cal.split_by_day(&p.window).map(|(day, _)| day))
            .collect();
        candidate_days.sort_unstable();
        candidate_days.dedup();
        Timeline {
            blocks,
            day_work,
            candidate_days,
        }
    }

    /// Seconds of work on a local day.
    pub fn work_on(&self, day: i32) -> i64 {
        self.day_work
            .binary_search_by_key(&day, |&(d, _)| d)
            .map_or(0, |i| self.day_work[i].1)
    }

    /// Seconds of work per local day in `days`, in day order, for days with work (every
    /// entry is positive).
    pub fn work_between(&self, days: Range<i32>) -> &[(i32, i64)] {
        let from = self.day_work.partition_point(|&(d, _)| d < days.start);
        let to = self.day_work.partition_point(|&(d, _)| d < days.end);
        &self.day_work[from..to.max(from)]
    }

    /// Seconds of work per local day, in day order, for days with work.
    pub fn day_work(&self) -> &[(i32, i64)] {
        &self.day_work
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

/// Adds `secs` to the running totals by key, keys arriving in order: the same key adds to
/// the last entry, a new one starts an entry.
pub fn add_in_order<K: PartialEq>(totals: &mut Vec<(K, i64)>, key: K, secs: i64) {
    match totals.last_mut() {
        Some((last, total)) if *last == key => *total += secs,
        _ => totals.push((key, secs)),
    }
}
