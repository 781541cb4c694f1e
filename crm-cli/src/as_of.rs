//! `--as-of`: which past point of the log a reading command shows.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use crm::time_travel::AsOf;

/// What `--as-of` takes, for its help text.
pub const HELP: &str = "Show the store as it was: a position in the log (digits), an RFC 3339 instant, or a day (YYYY-MM-DD: as recorded by the end of that day). Recording time, not business time";

/// `--as-of`, if given, read with [`parse`].
pub fn given(text: Option<&str>, zone: Tz) -> Result<Option<AsOf>, String> {
    text.map(|text| parse(text, zone)).transpose()
}

/// Reads `text`: digits are a position, `YYYY-MM-DD` the end of that day in `zone`, anything
/// else an RFC 3339 instant.
pub fn parse(text: &str, zone: Tz) -> Result<AsOf, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(AsOf::Position)
            .map_err(|_| format!("--as-of {text}: the position is too large"));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return end_of(day, zone)
            .map(AsOf::Recorded)
            .ok_or_else(|| format!("--as-of {text}: the day has no end in {zone}"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| AsOf::Recorded(t.to_utc()))
        .map_err(|e| {
            format!(
                "--as-of {text:?}: not a position, a day (YYYY-MM-DD) or an RFC 3339 instant ({e})"
            )
        })
}

/// The last microsecond of `day` in `zone`: the next day's first instant, less one.
fn end_of(day: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    let next = day.succ_opt()?.and_hms_opt(0, 0, 0)?;
    let start = next.and_local_timezone(zone).earliest()?;
    Some(start.to_utc() - TimeDelta::microseconds(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> AsOf {
        AsOf::Recorded(
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.to_utc())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn positions_days_and_instants_read_as_such() {
        assert_eq!(parse("1200", chrono_tz::UTC), Ok(AsOf::Position(1200)));
        assert_eq!(
            parse("2018-03-01", chrono_tz::UTC),
            Ok(at("2018-03-01T23:59:59.999999Z"))
        );
        assert_eq!(
            parse("2018-03-01", chrono_tz::Europe::Madrid),
            Ok(at("2018-03-01T22:59:59.999999Z")),
            "the end of the day in the zone"
        );
        assert_eq!(
            parse("2018-03-01T10:00:00+02:00", chrono_tz::UTC),
            Ok(at("2018-03-01T08:00:00Z"))
        );
    }

    #[test]
    fn anything_else_is_refused_by_name() {
        for bad in ["", "yesterday", "2018-13-01", "99999999999999999999999"] {
            let refused = parse(bad, chrono_tz::UTC).unwrap_err();
            assert!(refused.starts_with("--as-of"), "{refused}");
        }
    }
}
