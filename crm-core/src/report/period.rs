//! The stretch of time a report covers.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A half-open interval of business time: `from` ≤ t < `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The first instant included.
    pub from: DateTime<Utc>,
    /// The first instant after the period.
    pub to: DateTime<Utc>,
}

/// A period that ends before it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a period must end after it starts: {from} is not before {to}")]
pub struct PeriodError {
    /// The start given.
    pub from: DateTime<Utc>,
    /// The end given.
    pub to: DateTime<Utc>,
}

impl Period {
    /// The period from `from` up to, not including, `to`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, PeriodError> {
        if from < to {
            Ok(Self { from, to })
        } else {
            Err(PeriodError { from, to })
        }
    }

    /// Whether `t` falls in the period.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to {}",
            self.from.format("%Y-%m-%d %H:%M"),
            self.to.format("%Y-%m-%d %H:%M UTC")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_period_is_half_open_and_not_empty() {
        let a = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let p = Period::new(a, b).unwrap();
        assert!(p.contains(a) && !p.contains(b));
        assert_eq!(
            Period::new(b, a).unwrap_err().to_string(),
            "a period must end after it starts: 2026-12-01 00:00:00 UTC is not before 2026-11-01 00:00:00 UTC"
        );
    }
}
