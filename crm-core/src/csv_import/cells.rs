//! One row's cells by the field their column holds, read into typed values with errors that
//! name the row, the column and the value.

use chrono::{DateTime, NaiveDate, Utc};

use super::field_map::{Field, FieldMap};
use super::run::RowError;
use super::values::{parse_amount, parse_date, parse_instant};
use crate::money::Money;

/// The non-empty cells of row `row` (of the file `file`, when an import has several).
pub(crate) struct Cells<'a> {
    map: &'a FieldMap,
    file: Option<&'static str>,
    row: u64,
    cells: Vec<(&'a Field, &'a str, &'a str)>,
}

impl<'a> Cells<'a> {
    pub fn new(
        map: &'a FieldMap,
        file: Option<&'static str>,
        headers: &'a [String],
        record: &'a csv::StringRecord,
        row: u64,
    ) -> Self {
        let cells = headers
            .iter()
            .zip(record.iter())
            .filter_map(|(header, cell)| {
                let value = cell.trim();
                let field = map.columns.get(header)?;
                (!value.is_empty()).then_some((field, header.as_str(), value))
            })
            .collect();
        Self {
            map,
            file,
            row,
            cells,
        }
    }

    pub fn row(&self) -> u64 {
        self.row
    }

    /// An error about the row as a whole.
    pub fn whole(&self, reason: impl Into<String>) -> RowError {
        RowError {
            file: self.file.map(str::to_owned),
            ..RowError::whole(self.row, reason)
        }
    }

    fn bad(&self, header: &str, value: &str, reason: String) -> RowError {
        RowError {
            file: self.file.map(str::to_owned),
            row: self.row,
            column: Some(header.to_owned()),
            value: Some(value.to_owned()),
            reason,
        }
    }

    pub fn text(&self, field: &Field) -> Option<&'a str> {
        self.cells
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, _, v)| *v)
    }

    /// The cell, read by `parse`; its error names the column and the value.
    pub fn read<T>(
        &self,
        field: &Field,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, RowError> {
        match self.cells.iter().find(|(f, _, _)| *f == field) {
            None => Ok(None),
            Some((_, header, value)) => parse(value)
                .map(Some)
                .map_err(|reason| self.bad(header, value, reason)),
        }
    }

    /// An instant in the map's zone.
    pub fn instant(&self, field: &Field) -> Result<Option<DateTime<Utc>>, RowError> {
        self.read(field, |v| parse_instant(v, self.map.zone))
    }

    /// A date, in the map's format; a date and time is taken as its date.
    pub fn date(&self, field: &Field) -> Result<Option<NaiveDate>, RowError> {
        let format = self.map.date_format.as_deref();
        self.read(field, |v| {
            parse_date(v, format).or_else(|e| {
                parse_instant(v, self.map.zone)
                    .map(|t| t.with_timezone(&self.map.zone).date_naive())
                    .map_err(|_| e)
            })
        })
    }

    /// An amount in the map's currency and decimal separator.
    pub fn money(&self, field: &Field) -> Result<Option<Money>, RowError> {
        let Some(currency) = self.map.currency else {
            return Err(self.whole("amounts need the map's currency"));
        };
        self.read(field, |v| {
            parse_amount(v, self.map.decimal_separator).map(|m| Money::new(m, currency))
        })
    }

    /// A whole number.
    pub fn number(&self, field: &Field) -> Result<Option<u32>, RowError> {
        self.read(field, |v| {
            v.parse::<u32>()
                .map_err(|_| "not a whole number".to_owned())
        })
    }
}
