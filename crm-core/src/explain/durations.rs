//! A median or a percentile of durations, explained: the duration between two events of the
//! middle item (or two), or of the item at the percentile's rank, in seconds. The event that
//! ended it carries the duration, the one that started it is listed beside it with 0; a
//! median is a rate of that over how many middle items there are.

use chrono::{DateTime, Utc};

use super::traced::{Selection, Side};
use crate::ids::StreamId;
use crate::report::stats::nearest_rank;

/// One end of a duration: the stream, the event's type and its business time.
pub(crate) type End = (StreamId, &'static str, DateTime<Utc>);

/// A duration from `start` to `end`.
#[derive(Debug, Clone)]
pub(crate) struct Duration {
    pub(crate) start: End,
    pub(crate) end: End,
}

impl Duration {
    fn seconds(&self) -> i64 {
        (self.end.2 - self.start.2).num_seconds()
    }
}

/// Which statistic of the durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Statistic {
    /// The middle value, or the mean of the two middle ones.
    Median,
    /// The nearest-rank 90th percentile.
    P90,
}

/// `statistic` of `durations` explained, as the reports compute it over the sorted
/// durations; ties are broken by the ending event's stream, so the same item is chosen.
pub(crate) fn explained(
    what: &str,
    mut durations: Vec<Duration>,
    statistic: Statistic,
) -> Selection {
    durations.sort_by(|a, b| (a.seconds(), &a.end.0).cmp(&(b.seconds(), &b.end.0)));
    let n = durations.len();
    let (mut selection, chosen) = match statistic {
        Statistic::Median => {
            let middle = match n {
                0 => vec![],
                _ if n % 2 == 1 => vec![n / 2],
                _ => vec![n / 2 - 1, n / 2],
            };
            (
                Selection::rate(&format!("{what}, median"), "seconds", "middle ones"),
                middle,
            )
        }
        Statistic::P90 => {
            let at = nearest_rank(n, 0.9).into_iter().collect();
            (Selection::sum(format!("{what}, p90 seconds")), at)
        }
    };
    for d in chosen.into_iter().filter_map(|i| durations.get(i)) {
        let (start, end) = (&d.start, &d.end);
        selection.add(Side::Numerator, start.0.clone(), start.1, start.2, 0);
        selection.add(Side::Numerator, end.0.clone(), end.1, end.2, d.seconds());
        if statistic == Statistic::Median {
            selection.add(Side::Denominator, end.0.clone(), end.1, end.2, 1);
        }
    }
    selection
}
