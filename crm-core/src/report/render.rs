//! Rendering any report as an aligned text table, CSV or JSON, to a string or a file.
//!
//! A report lists its columns and, per row, one cell per column ([`Tabular`]); JSON is the
//! report's own serde form, with every field typed. Money appears in tables and CSV as a
//! decimal in major units beside its currency code, never mixed in one cell.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::money::Money;

/// One cell of a table. Numbers are right-aligned in text tables.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, left-aligned.
    Text(String),
    /// A number already formatted, right-aligned.
    Number(String),
    /// Nothing to show (no data): `—` in a table, empty in CSV.
    Empty,
}

impl Cell {
    /// A count.
    pub fn count(n: usize) -> Self {
        Self::Number(n.to_string())
    }

    /// Money as a decimal in major units (the currency goes in its own column).
    pub fn money(m: Money) -> Self {
        let sign = if m.minor < 0 { "-" } else { "" };
        let abs = m.minor.unsigned_abs();
        Self::Number(format!("{sign}{}.{:02}", abs / 100, abs % 100))
    }

    /// A ratio as a percentage with one decimal.
    pub fn percent(r: Option<f64>) -> Self {
        r.map_or(Self::Empty, |r| Self::Number(format!("{:.1}", r * 100.0)))
    }

    /// A number with one decimal.
    pub fn decimal(x: Option<f64>) -> Self {
        x.map_or(Self::Empty, |x| Self::Number(format!("{x:.1}")))
    }

    /// Text.
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Text(s) | Self::Number(s) => s,
            Self::Empty => "",
        }
    }
}

/// One table of a report: a title, column headers, and rows of cells as long as the headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// A short, stable name to pick it by (`--table stages`) and to name its CSV file.
    pub name: &'static str,
    /// What the table shows.
    pub title: String,
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

/// A report that can be shown as tables: one for most reports, several for a report with
/// sections (the fulfillment report's stages, carriers and stuck orders).
pub trait Tabular: Serialize {
    /// The report's tables, in reading order.
    fn tables(&self) -> Vec<Table>;
}

/// How to render a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// The report's JSON form, pretty-printed.
    Json,
}

impl std::str::FromStr for Format {
    type Err = RenderError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Self::Table),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            other => Err(RenderError::UnknownFormat(other.to_owned())),
        }
    }
}

/// Why a report could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Not table, csv or json.
    #[error("unknown format {0:?}: use table, csv or json")]
    UnknownFormat(String),
    /// The CSV writer failed.
    #[error("could not write CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The JSON encoder failed.
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// CSV holds one table per file, and this report has several: pick one, or write each
    /// to its own file with [`write_csv_tables`].
    #[error("a CSV file holds one table, and this report has {}: choose one ({}), or write each to its own file", names.len(), names.join(", "))]
    SeveralTables {
        /// The tables' names.
        names: Vec<&'static str>,
    },
    /// No table of this report has this name.
    #[error("the report has no table {name:?}; its tables are {}", known.join(", "))]
    UnknownTable {
        /// The name asked for.
        name: String,
        /// The tables it has.
        known: Vec<&'static str>,
    },
    /// The file could not be written.
    #[error("could not write {path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// `report` as text in `format`. CSV needs a report of one table
/// ([`RenderError::SeveralTables`] otherwise: see [`render_table`] and [`write_csv_tables`]),
/// because a CSV file with several tables of different columns is no valid CSV.
pub fn render<R: Tabular>(report: &R, format: Format) -> Result<String, RenderError> {
    match format {
        Format::Json => Ok(serde_json::to_string_pretty(report)? + "\n"),
        Format::Csv => match report.tables().as_slice() {
            [table] => csv_table(table),
            tables => Err(RenderError::SeveralTables {
                names: tables.iter().map(|t| t.name).collect(),
            }),
        },
        Format::Table => Ok(report
            .tables()
            .iter()
            .map(text_table)
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// The table of `report` named `name`, as a text table or CSV (JSON shows the whole report).
pub fn render_table<R: Tabular>(
    report: &R,
    format: Format,
    name: &str,
) -> Result<String, RenderError> {
    let tables = report.tables();
    let Some(table) = tables.iter().find(|t| t.name == name) else {
        return Err(RenderError::UnknownTable {
            name: name.to_owned(),
            known: tables.iter().map(|t| t.name).collect(),
        });
    };
    match format {
        Format::Csv => csv_table(table),
        Format::Table => Ok(text_table(table)),
        Format::Json => render(report, Format::Json),
    }
}

/// Writes each table of `report` as its own CSV file, `<prefix>-<table>.csv` in `dir`;
/// returns the files written.
pub fn write_csv_tables<R: Tabular>(
    report: &R,
    dir: &Path,
    prefix: &str,
) -> Result<Vec<std::path::PathBuf>, RenderError> {
    let mut written = Vec::new();
    for table in report.tables() {
        let path = dir.join(format!("{prefix}-{}.csv", table.name));
        std::fs::write(&path, csv_table(&table)?).map_err(|source| RenderError::File {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

fn csv_table(table: &Table) -> Result<String, RenderError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&table.headers)?;
    for row in &table.rows {
        writer.write_record(row.iter().map(Cell::as_str))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Renders `report` into the file at `path`, replacing it.
pub fn write<R: Tabular>(report: &R, format: Format, path: &Path) -> Result<(), RenderError> {
    let text = render(report, format)?;
    std::fs::write(path, text).map_err(|source| RenderError::File {
        path: path.to_owned(),
        source,
    })
}

fn text_table(table: &Table) -> String {
    let shown = |c: &Cell| match c {
        Cell::Empty => "—".to_owned(),
        other => other.as_str().to_owned(),
    };
    let mut widths: Vec<usize> = table.headers.iter().map(|h| h.chars().count()).collect();
    for row in &table.rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(shown(cell).chars().count());
        }
    }
    let line = |cells: Vec<(String, bool)>| {
        let parts: Vec<String> = cells
            .into_iter()
            .zip(&widths)
            .map(|((text, right), w)| {
                let pad = " ".repeat(w.saturating_sub(text.chars().count()));
                if right {
                    format!("{pad}{text}")
                } else {
                    format!("{text}{pad}")
                }
            })
            .collect();
        parts.join("  ").trim_end().to_owned()
    };
    let mut out = format!("{}\n", table.title);
    let headers = table
        .headers
        .iter()
        .map(|h| (h.to_string(), false))
        .collect();
    let _ = writeln!(out, "{}", line(headers));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "{}", rule.join("  "));
    for row in &table.rows {
        let cells = row
            .iter()
            .map(|c| (shown(c), matches!(c, Cell::Number(_) | Cell::Empty)))
            .collect();
        let _ = writeln!(out, "{}", line(cells));
    }
    out
}
