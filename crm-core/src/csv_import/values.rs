//! Reading a cell: dates, instants in the source's time zone, yes and no.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Day-first and ISO forms tried when the map names no format. A month-first source
/// (`03/31/2026`) needs its `date_format`: guessing between the two would misread days 1–12.
const DATE_FORMS: [&str; 4] = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"];

/// A date in `format` (a chrono format such as `%d/%m/%Y`), or in one of the usual forms.
pub fn parse_date(text: &str, format: Option<&str>) -> Result<NaiveDate, String> {
    let text = text.trim();
    let forms: Vec<&str> = match format {
        Some(f) => vec![f],
        None => DATE_FORMS.to_vec(),
    };
    forms
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
        .ok_or_else(|| match format {
            Some(f) => format!("not a date in the form {f}"),
            None => "not a date (YYYY-MM-DD or DD/MM/YYYY; say another form in the map)".into(),
        })
}

/// An instant: with an offset (RFC 3339) as written; without one, the local time of the
/// source's `zone` — never silently UTC. A local time that does not exist (inside a spring
/// gap) is refused; one that exists twice (the autumn hour) is taken the first time.
pub fn parse_instant(text: &str, zone: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .ok_or(());
    let local = match local {
        Ok(local) => local,
        // A date alone is the start of that day there: where a clock change skips midnight
        // (Brazil's summer time began at 00:00), the first hour that exists.
        Err(()) => {
            let day = parse_date(text, None)
                .map_err(|_| "not a date and time (YYYY-MM-DD HH:MM:SS)".to_owned())?;
            return (0..=3)
                .filter_map(|h| day.and_hms_opt(h, 0, 0))
                .find_map(|t| zone.from_local_datetime(&t).earliest())
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| format!("{day} has no start in {zone}"));
        }
    };
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
        LocalResult::None => Err(format!("{local} does not exist in {zone} (a clock change)")),
    }
}

/// An amount in minor units: `1234.50`, `1,234.50` or (with `decimal` `,`) `1.234,50`, a
/// currency sign or code around it ignored; at most two decimals, never negative.
pub fn parse_amount(text: &str, decimal: char) -> Result<i64, String> {
    let thousands = if decimal == ',' { '.' } else { ',' };
    let digits: String = text
        .trim()
        .trim_matches(|c: char| c.is_alphabetic() || "$€£R ".contains(c))
        .chars()
        .filter(|c| *c != thousands && !c.is_whitespace())
        .collect();
    let refuse = || format!("not an amount (like 1234{decimal}50)");
    let (units, cents) = digits.split_once(decimal).unwrap_or((&digits, ""));
    if units.is_empty() && cents.is_empty()
        || !units.chars().all(|c| c.is_ascii_digit())
        || !cents.chars().all(|c| c.is_ascii_digit())
    {
        return Err(refuse());
    }
    if cents.len() > 2 {
        return Err("more than two decimals".into());
    }
    let units: i64 = if units.is_empty() {
        0
    } else {
        units.parse().map_err(|_| refuse())?
    };
    let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| refuse())?;
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .ok_or_else(|| "too large an amount".to_owned())
}

/// Yes or no, as spreadsheets write it.
pub(crate) fn parse_yes(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "1" | "y" | "yes" | "true" | "x" | "si" | "sí" | "s" | "oui" | "ja" => Ok(true),
        "" | "0" | "n" | "no" | "false" | "non" | "nein" => Ok(false),
        _ => Err("not yes or no".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_is_the_sources_and_an_offset_is_kept() {
        let sao_paulo = chrono_tz::America::Sao_Paulo;
        let late = parse_instant("2017-10-31 22:30:00", sao_paulo).map(|t| t.to_rfc3339());
        assert_eq!(
            late,
            Ok("2017-11-01T00:30:00+00:00".to_owned()),
            "a month later in UTC"
        );
        let given = parse_instant("2017-10-31T22:30:00+01:00", sao_paulo).map(|t| t.to_rfc3339());
        assert_eq!(given, Ok("2017-10-31T21:30:00+00:00".to_owned()));
        let gap = parse_instant("2026-03-29 02:30:00", chrono_tz::Europe::Madrid);
        assert!(gap.is_err_and(|e| e.contains("does not exist")));
        let midnight_skipped = parse_instant("2017-10-15", sao_paulo).map(|t| t.to_rfc3339());
        assert_eq!(
            midnight_skipped,
            Ok("2017-10-15T03:00:00+00:00".to_owned()),
            "a day without a midnight starts at 01:00, summer time (UTC-2)"
        );
    }

    #[test]
    fn amounts_are_read_in_the_sources_decimal_separator() {
        assert_eq!(parse_amount("1,234.50", '.'), Ok(123_450));
        assert_eq!(parse_amount("1.234,5", ','), Ok(123_450));
        assert_eq!(parse_amount("R$ 58.9", '.'), Ok(5_890));
        assert_eq!(parse_amount("12 EUR", '.'), Ok(1_200));
        assert_eq!(parse_amount("0.0", '.'), Ok(0));
        assert!(parse_amount("-5", '.').is_err());
        assert!(parse_amount("1.234", '.').is_err(), "three decimals");
        assert!(parse_amount("abc", '.').is_err());
        assert!(parse_amount("99999999999999999999", '.').is_err());
    }

    #[test]
    fn dates_are_read_day_first_unless_the_map_says_otherwise() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(parse_date("03/04/1990", None), Ok(d(1990, 4, 3)));
        assert_eq!(
            parse_date("03/04/1990", Some("%m/%d/%Y")),
            Ok(d(1990, 3, 4))
        );
        assert_eq!(parse_date(" 1990-04-03 ", None), Ok(d(1990, 4, 3)));
        assert!(parse_date("31/02/1990", None).is_err());
    }
}
