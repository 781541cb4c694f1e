//! The report period `crm explain` reads a figure in.

use chrono::{Datelike, NaiveDate};
use crm::report::Period;

use super::Args;
use crate::commands::Failure;

/// The report's period: `--from`/`--to`, or the bucket's own days.
pub(super) fn period_around(args: &Args, bucket: &str) -> Result<Period, Failure> {
    let (from, to) = match (args.from, args.to) {
        (Some(from), Some(to)) => (from, to),
        _ => bucket_days(bucket).ok_or_else(|| {
            format!(
                "--bucket {bucket:?}: give --from and --to, or a month (2018-03) or a year (2018)"
            )
        })?,
    };
    Ok(Period::days(from, to, args.tz)?.by(args.by))
}

/// The first and last day of a month (`2018-03`) or a year (`2018`) label.
fn bucket_days(label: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{label}-01"), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("{label}-01-01"), "%Y-%m-%d"))
        .ok()?;
    let next = if label.len() == 4 {
        first.with_year(first.year() + 1)?
    } else {
        first.checked_add_months(chrono::Months::new(1))?
    };
    Some((first, next.pred_opt()?))
}
