//! Time travel: the views as they stood at a past point of the log.
//!
//! A past point is the log's own time — a position, or the instant by which events had been
//! *recorded* — not business time. A report's [`Period`](crate::report::Period) selects events
//! by when they *happened* (an order's `occurred_at`), within whatever the views hold; `as_of`
//! chooses which events the views hold at all. The two answer different questions: "what were
//! March's sales?" is a period; "what did the March sales report show on the 1st of April?"
//! is a period read [`AsOf`] that instant. An import that arrives late — April's upload of
//! March's orders — changes March's period the moment it is recorded, while every `as_of`
//! before its recording still shows March without it, as it was shown then.
//!
//! The past is rebuilt beside the live views, never by rolling them back: from the nearest
//! projection snapshot at or before the point (or from nothing), plus the events after it up
//! to the point.

use chrono::{DateTime, Utc};

use crate::event::RecordedEvent;
use crate::projection::{Tracked, Views};

/// A past point of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Every event up to and including this global position (0: none).
    Position(u64),
    /// The log as it had been recorded by this instant: every event up to the first one
    /// recorded after it. A store's recorded times rise with position, but for clocks that
    /// disagree between writing processes; an event recorded earlier than one before it in
    /// the log is cut with it, so the answer is always a prefix of the log, as a reader could
    /// have seen it.
    Recorded(DateTime<Utc>),
}

impl AsOf {
    /// Whether `event` is past this point: it and everything after it are left out.
    pub fn excludes(&self, event: &RecordedEvent) -> bool {
        match *self {
            Self::Position(position) => event.position > position,
            Self::Recorded(instant) => event.recorded_at > instant,
        }
    }
}

impl std::fmt::Display for AsOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Position(position) => write!(f, "position {position}"),
            Self::Recorded(instant) => write!(f, "{}", instant.to_rfc3339()),
        }
    }
}

/// The views as they stood at a past point: a copy built for the question, apart from the
/// live views.
#[derive(Debug, Clone, PartialEq)]
pub struct PastViews {
    /// The point asked for.
    pub as_of: AsOf,
    /// The last position the views hold (0: none).
    pub position: u64,
    /// When the last event they hold was recorded (`None` for an empty log).
    pub recorded_at: Option<DateTime<Utc>>,
    /// The position of the snapshot of the views they were built from (`None`: from the
    /// start of the log).
    pub from_snapshot: Option<u64>,
    /// The views.
    pub views: Views,
}

/// Folds `batch` into `views` up to `as_of`; returns `true` when a later event showed the
/// point was reached, so no further batch is needed.
pub(crate) fn fold_until(
    views: &mut Tracked<Views>,
    recorded_at: &mut Option<DateTime<Utc>>,
    batch: &[RecordedEvent],
    as_of: AsOf,
) -> bool {
    let reached = batch.iter().position(|e| as_of.excludes(e));
    let wanted = &batch[..reached.unwrap_or(batch.len())];
    views.apply_batch(wanted);
    if let Some(last) = wanted.last() {
        *recorded_at = Some(last.recorded_at);
    }
    reached.is_some()
}
