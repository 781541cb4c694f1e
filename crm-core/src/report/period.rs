//! The stretch of time a report covers, cut into buckets in a time zone.
//!
//! A shop in Madrid closes its month at midnight Madrid time: a bucket starts at local midnight
//! of its first day, in the period's zone, and an event falls in the bucket its `occurred_at`
//! falls in. The first and last buckets are clipped to the period, so the buckets partition it
//! exactly: every instant of the period is in one bucket, and a sum over the buckets is the
//! sum over the period.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// How a period is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Calendar days.
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

impl std::str::FromStr for Bucket {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            "quarter" => Ok(Self::Quarter),
            "year" => Ok(Self::Year),
            other => Err(PeriodError::UnknownBucket(other.to_owned())),
        }
    }
}

impl Bucket {
    /// The first day of the bucket that holds `day`.
    fn start_of(self, day: NaiveDate) -> NaiveDate {
        let first_of_month = day.with_day(1).unwrap_or(day);
        match self {
            Self::Day => day,
            Self::Week => day
                .checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))
                .unwrap_or(day),
            Self::Month => first_of_month,
            Self::Quarter => {
                let back = day.month0() % 3;
                first_of_month
                    .checked_sub_months(Months::new(back))
                    .unwrap_or(first_of_month)
            }
            Self::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day),
        }
    }

    /// The next bucket's first day; `start` itself at the end of the calendar, which ends
    /// the walk over the buckets.
    fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => start.checked_add_days(Days::new(1)),
            Self::Week => start.checked_add_days(Days::new(7)),
            Self::Month => start.checked_add_months(Months::new(1)),
            Self::Quarter => start.checked_add_months(Months::new(3)),
            Self::Year => start.checked_add_months(Months::new(12)),
        }
        .unwrap_or(start)
    }

    fn label(self, start: NaiveDate) -> String {
        match self {
            Self::Day => start.format("%Y-%m-%d").to_string(),
            Self::Week => {
                let week = start.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Self::Month => start.format("%Y-%m").to_string(),
            Self::Quarter => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
            Self::Year => start.year().to_string(),
        }
    }
}

/// A half-open interval of business time, `from` ≤ t < `to`, cut into buckets in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The first instant included.
    pub from: DateTime<Utc>,
    /// The first instant after the period.
    pub to: DateTime<Utc>,
    /// How it is cut.
    pub bucket: Bucket,
    /// The zone buckets are cut in.
    pub zone: Tz,
}

/// One bucket of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// `2026-03`, `2026-W09`, `2026-Q1`, `2026-03-02`, `2026`.
    pub label: String,
    /// Its first instant (clipped to the period).
    pub from: DateTime<Utc>,
    /// The first instant after it (clipped to the period).
    pub to: DateTime<Utc>,
}

/// A period that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// It ends before it starts.
    #[error("a period must end after it starts: {from} is not before {to}")]
    Empty {
        /// The start given.
        from: DateTime<Utc>,
        /// The end given.
        to: DateTime<Utc>,
    },
    /// Not day, week, month, quarter or year.
    #[error("unknown bucket {0:?}: use day, week, month, quarter or year")]
    UnknownBucket(String),
    /// It reaches outside the years any event can have (see [`crate::validate`]), so no
    /// report over it could show more, and a daily one would hold millions of buckets.
    #[error("a period lies within the years {earliest} to {latest}: {from} to {to} does not")]
    OutOfRange {
        /// The start given.
        from: DateTime<Utc>,
        /// The end given.
        to: DateTime<Utc>,
        /// The earliest year.
        earliest: i32,
        /// The latest year.
        latest: i32,
    },
}

/// Local midnight of `day` in `zone`. Where midnight does not exist (a zone that springs
/// forward at midnight), the first instant of the day.
fn midnight(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + chrono::TimeDelta::hours(1)))
                .earliest()
        })
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

impl Period {
    /// The period from `from` up to, not including, `to`, cut into months in UTC.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, PeriodError> {
        let (earliest, latest) = (crate::validate::EARLIEST, crate::validate::LATEST);
        if from.year() < earliest || to.year() > latest + 1 {
            return Err(PeriodError::OutOfRange {
                from,
                to,
                earliest,
                latest,
            });
        }
        if from < to {
            Ok(Self {
                from,
                to,
                bucket: Bucket::Month,
                zone: Tz::UTC,
            })
        } else {
            Err(PeriodError::Empty { from, to })
        }
    }

    /// From local midnight of `first` to local midnight after `last`, in `zone`: the days a
    /// person means by "from 1 March to 31 March".
    pub fn days(first: NaiveDate, last: NaiveDate, zone: Tz) -> Result<Self, PeriodError> {
        let after = last.checked_add_days(Days::new(1)).unwrap_or(last);
        Ok(Self::new(midnight(first, zone), midnight(after, zone))?.in_zone(zone))
    }

    /// The same period cut into `bucket`s.
    pub fn by(self, bucket: Bucket) -> Self {
        Self { bucket, ..self }
    }

    /// The same period with buckets cut in `zone`.
    pub fn in_zone(self, zone: Tz) -> Self {
        Self { zone, ..self }
    }

    /// Whether `t` falls in the period.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }

    /// The buckets, in order; they partition the period.
    pub fn spans(&self) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut start = self
            .bucket
            .start_of(self.from.with_timezone(&self.zone).date_naive());
        loop {
            let next = self.bucket.next(start);
            let (from, to) = (midnight(start, self.zone), midnight(next, self.zone));
            if from >= self.to || next <= start {
                return spans;
            }
            if to > self.from {
                spans.push(Span {
                    label: self.bucket.label(start),
                    from: from.max(self.from),
                    to: to.min(self.to),
                });
            }
            start = next;
        }
    }

    /// The label of the bucket `t` falls in, if it is in the period.
    pub fn label_of(&self, t: DateTime<Utc>) -> Option<String> {
        self.contains(t).then(|| {
            let local = t.with_timezone(&self.zone).date_naive();
            self.bucket.label(self.bucket.start_of(local))
        })
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (from, to) = (
            self.from.with_timezone(&self.zone),
            self.to.with_timezone(&self.zone),
        );
        write!(
            f,
            "{} to {} ({})",
            from.format("%Y-%m-%d %H:%M"),
            to.format("%Y-%m-%d %H:%M"),
            self.zone
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn a_period_of_a_million_days_is_refused_not_allocated() {
        let first = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let last = first + Days::new(1_000_000);
        let err = Period::days(first, last, Tz::UTC).unwrap_err();
        assert!(matches!(err, PeriodError::OutOfRange { .. }), "{err}");
        let err = Period::days(NaiveDate::MIN, NaiveDate::MAX, Tz::UTC).unwrap_err();
        assert!(matches!(err, PeriodError::OutOfRange { .. }), "{err}");
        let widest = Period::days(
            NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2200, 12, 31).unwrap(),
            Tz::UTC,
        )
        .unwrap();
        assert_eq!(widest.by(Bucket::Year).spans().len(), 301);
    }

    #[test]
    fn a_period_is_half_open_and_not_empty() {
        let p = Period::new(utc(2026, 11, 1, 0), utc(2026, 12, 1, 0)).unwrap();
        assert!(p.contains(utc(2026, 11, 1, 0)) && !p.contains(utc(2026, 12, 1, 0)));
        assert_eq!(
            Period::new(utc(2026, 12, 1, 0), utc(2026, 11, 1, 0)).unwrap_err().to_string(),
            "a period must end after it starts: 2026-12-01 00:00:00 UTC is not before 2026-11-01 00:00:00 UTC"
        );
        assert_eq!(
            "fortnight".parse::<Bucket>().unwrap_err().to_string(),
            "unknown bucket \"fortnight\": use day, week, month, quarter or year"
        );
    }

    #[test]
    fn months_are_cut_at_local_midnight() {
        let madrid: Tz = "Europe/Madrid".parse().unwrap();
        let q1 = Period::days(
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            madrid,
        )
        .unwrap();
        let spans = q1.spans();
        let labels: Vec<_> = spans.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["2026-01", "2026-02", "2026-03"]);
        // Madrid is UTC+1 in winter: its February starts at 23:00 UTC on 31 January.
        assert_eq!(spans[1].from, utc(2026, 1, 31, 23));
        // ... and UTC+2 from 29 March, so the quarter ends at 22:00 UTC on 31 March.
        assert_eq!(spans[2].to, utc(2026, 3, 31, 22));
        assert_eq!(
            q1.label_of(utc(2026, 1, 31, 23)).as_deref(),
            Some("2026-02")
        );
        assert_eq!(
            q1.in_zone(Tz::UTC)
                .label_of(utc(2026, 1, 31, 23))
                .as_deref(),
            Some("2026-01")
        );
    }

    #[test]
    fn weeks_quarters_and_years_have_their_labels_and_edges_are_clipped() {
        let p = Period::new(utc(2026, 12, 30, 12), utc(2027, 1, 6, 0)).unwrap();
        let weeks: Vec<_> = p
            .by(Bucket::Week)
            .spans()
            .into_iter()
            .map(|s| s.label)
            .collect();
        assert_eq!(weeks, ["2026-W53", "2027-W01"]);
        let first = &p.by(Bucket::Week).spans()[0];
        assert_eq!(first.from, utc(2026, 12, 30, 12), "clipped to the period");
        let quarters: Vec<_> = p
            .by(Bucket::Quarter)
            .spans()
            .into_iter()
            .map(|s| s.label)
            .collect();
        assert_eq!(quarters, ["2026-Q4", "2027-Q1"]);
        let years: Vec<_> = p
            .by(Bucket::Year)
            .spans()
            .into_iter()
            .map(|s| s.label)
            .collect();
        assert_eq!(years, ["2026", "2027"]);
        assert_eq!(p.by(Bucket::Day).spans().len(), 7);
    }
}
