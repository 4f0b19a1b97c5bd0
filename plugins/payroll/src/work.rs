//! Worked time as pay sees it: each worked period's window minus its breaks, as pieces of
//! continuous work, checked (no empty window, no two periods overlapping: that would pay the
//! same hour twice).

use alloc::format;
use alloc::vec::Vec;

use callsheet_plugin_sdk::report::Failure;
use callsheet_plugin_sdk::types::{Window, WorkedPeriod};

/// A stretch of continuous work of one worked period.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'a> {
    pub id: &'a str,
    pub window: Window,
}

/// The pieces of the periods paid by the hour (those earning no cachet), sorted by start.
pub fn hourly_pieces(worked: &[WorkedPeriod]) -> Result<Vec<Piece<'_>>, Failure> {
    let mut windows: Vec<(&str, Window)> = Vec::new();
    for w in worked {
        if w.window.end <= w.window.start {
            return Err(Failure::InvalidInput(format!(
                "worked period {} has an empty window",
                w.id
            )));
        }
        windows.push((w.id.as_str(), w.window));
    }
    windows.sort_by_key(|(id, w)| (w.start, w.end, *id));
    if let Some(pair) = windows.windows(2).find(|p| p[1].1.start < p[0].1.end) {
        return Err(Failure::InvalidInput(format!(
            "worked periods {} and {} overlap",
            pair[0].0, pair[1].0
        )));
    }
    let mut pieces = Vec::new();
    for w in worked.iter().filter(|w| w.cachets == 0) {
        let mut breaks: Vec<Window> = w
            .breaks
            .iter()
            .filter(|b| b.end > b.start)
            .copied()
            .collect();
        breaks.sort_by_key(|b| (b.start, b.end));
        let mut cursor = w.window.start;
        for b in breaks {
            // Breaks are inside the window by contract; the parts outside are ignored.
            let (start, end) = (b.start.max(w.window.start), b.end.min(w.window.end));
            if start > cursor {
                pieces.push(Piece {
                    id: &w.id,
                    window: Window {
                        start: cursor,
                        end: start,
                    },
                });
            }
            cursor = cursor.max(end);
        }
        if w.window.end > cursor {
            pieces.push(Piece {
                id: &w.id,
                window: Window {
                    start: cursor,
                    end: w.window.end,
                },
            });
        }
    }
    pieces.sort_by_key(|p| (p.window.start, p.window.end));
    Ok(pieces)
}

/// A piece cut at the bounds of `period`, if anything remains.
pub fn clip<'a>(piece: &Piece<'a>, period: &Window) -> Option<Piece<'a>> {
    let (start, end) = (
        piece.window.start.max(period.start),
        piece.window.end.min(period.end),
    );
    (end > start).then_some(Piece {
        id: piece.id,
        window: Window { start, end },
    })
}
