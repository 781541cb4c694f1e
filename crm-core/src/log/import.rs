//! Appending a JSONL log to a store: streaming, in batches, resumable, never half-applied.

use std::io::BufRead;

use serde::Serialize;

use super::LogLine;
use crate::store::{EventStore, ExpectedVersion, StoreError};

/// How to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// At most this many events per append (consecutive lines of one stream go together).
    pub batch: usize,
    /// Set aside lines that cannot be imported (through the `reject` callback) and go on,
    /// instead of stopping at the first.
    pub skip_invalid: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            batch: 1000,
            skip_invalid: false,
        }
    }
}

/// What an import did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Non-blank lines read.
    pub lines: u64,
    /// Events appended.
    pub imported: u64,
    /// Events the store already held at the same place (an earlier import of the same file).
    pub already_present: u64,
    /// Lines set aside (with `skip_invalid`).
    pub rejected: u64,
}

/// A line set aside: its number, its text, and why.
#[derive(Debug, Clone, Copy)]
pub struct Rejected<'a> {
    /// 1-based line number.
    pub line: u64,
    /// The line as read.
    pub text: &'a str,
    /// Why it was not imported.
    pub reason: &'a str,
}

/// Why an import stopped. Everything before the line named was committed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A line cannot be imported.
    #[error("line {line}: {reason}. Everything before line {line} is imported: fix the line, or skip such lines with --skip-invalid, and import the file again (what is already imported is skipped)")]
    Invalid {
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
        /// What was done before it.
        report: ImportReport,
    },
    /// The input could not be read.
    #[error("could not read line {line}: {source}")]
    Read {
        /// 1-based line number.
        line: u64,
        /// Why.
        source: std::io::Error,
    },
    /// The store failed.
    #[error("the store failed at line {line}: {source}")]
    Store {
        /// 1-based line number of the first line of the failed batch.
        line: u64,
        /// Why.
        source: StoreError,
    },
}

struct Pending {
    line: u64,
    text: String,
    event: LogLine,
}

struct Importer<'s, S: ?Sized, F, P> {
    store: &'s S,
    options: ImportOptions,
    report: ImportReport,
    reject: F,
    progress: P,
}

/// A batch-level failure: the line it is about and why.
struct Bad(u64, String);

impl<S, F, P> Importer<'_, S, F, P>
where
    S: EventStore + ?Sized,
    F: FnMut(Rejected<'_>),
    P: FnMut(&ImportReport),
{
    fn invalid(&mut self, line: u64, text: &str, reason: String) -> Result<(), ImportError> {
        if self.options.skip_invalid {
            self.report.rejected += 1;
            (self.reject)(Rejected {
                line,
                text,
                reason: &reason,
            });
            Ok(())
        } else {
            Err(ImportError::Invalid {
                line,
                reason,
                report: self.report,
            })
        }
    }

    async fn flush(&mut self, batch: &mut Vec<Pending>) -> Result<(), ImportError> {
        if batch.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(batch);
        match self.append(&pending).await {
            Ok(()) => {}
            Err(Ok(Bad(line, reason))) => {
                // The batch is all or nothing from the failing line on.
                let from = pending.iter().position(|p| p.line == line).unwrap_or(0);
                for p in &pending[from..] {
                    let why = if p.line == line {
                        reason.clone()
                    } else {
                        format!("follows line {line}, which could not be imported")
                    };
                    self.invalid(p.line, &p.text, why)?;
                }
            }
            Err(Err(e)) => return Err(e),
        }
        (self.progress)(&self.report);
        Ok(())
    }

    /// Appends `pending` (one stream, contiguous versions), skipping what the stream already
    /// holds at the same places.
    async fn append(&mut self, pending: &[Pending]) -> Result<(), Result<Bad, ImportError>> {
        let first = &pending[0];
        let stream = &first.event.stream;
        let store_error = |source| {
            Err(ImportError::Store {
                line: first.line,
                source,
            })
        };
        let current = self
            .store
            .stream_version(stream)
            .await
            .map_err(store_error)?;
        if first.event.version > current + 1 {
            return Err(Ok(Bad(
                first.line,
                format!(
                    "stream {stream} is at version {current}, so the next event must have version {}, not {}",
                    current + 1,
                    first.event.version
                ),
            )));
        }
        let overlap = pending
            .iter()
            .take_while(|p| p.event.version <= current)
            .count();
        if overlap > 0 {
            let stored = self
                .store
                .read_stream(stream, first.event.version, overlap)
                .await
                .map_err(store_error)?;
            for (p, s) in pending.iter().zip(&stored) {
                if s.id != p.event.id {
                    return Err(Ok(Bad(
                        p.line,
                        format!(
                            "stream {stream} already holds event {} at version {}, not {}",
                            s.id, s.version, p.event.id
                        ),
                    )));
                }
            }
            self.report.already_present += overlap as u64;
        }
        let rest = &pending[overlap..];
        if rest.is_empty() {
            return Ok(());
        }
        let events = rest.iter().map(|p| p.event.new_event()).collect();
        match self
            .store
            .append(stream, ExpectedVersion::Exact(current), events)
            .await
        {
            Ok(outcome) if outcome.written => self.report.imported += rest.len() as u64,
            Ok(_) => self.report.already_present += rest.len() as u64,
            Err(e @ StoreError::DuplicateEventId { .. }) => {
                return Err(Ok(Bad(rest[0].line, e.to_string())))
            }
            Err(source) => {
                return Err(Err(ImportError::Store {
                    line: rest[0].line,
                    source,
                }))
            }
        }
        Ok(())
    }
}

fn continues(batch: &[Pending], next: &LogLine, limit: usize) -> bool {
    batch.last().is_some_and(|last: &Pending| {
        last.event.stream == next.stream
            && last.event.version + 1 == next.version
            && batch.len() < limit
    })
}

/// Imports the JSONL log read from `input` into `store`.
///
/// Consecutive lines of one stream are appended together, up to `options.batch` at a time.
/// Lines the store already holds at the same place are counted as `already_present` and not
/// written again. A line that cannot be imported stops the import with [`ImportError::Invalid`]
/// — everything before it committed — or, with `skip_invalid`, is passed to `reject` (with the
/// rest of its batch) and the import goes on. `progress` is called after each batch.
pub async fn import<S, R>(
    store: &S,
    mut input: R,
    options: ImportOptions,
    reject: impl FnMut(Rejected<'_>),
    progress: impl FnMut(&ImportReport),
) -> Result<ImportReport, ImportError>
where
    S: EventStore + ?Sized,
    R: BufRead,
{
    let mut importer = Importer {
        store,
        options: ImportOptions {
            batch: options.batch.max(1),
            ..options
        },
        report: ImportReport::default(),
        reject,
        progress,
    };
    let mut batch: Vec<Pending> = Vec::new();
    let mut text = String::new();
    let mut line = 0u64;
    loop {
        text.clear();
        line += 1;
        let read = input
            .read_line(&mut text)
            .map_err(|source| ImportError::Read { line, source })?;
        if read == 0 {
            break;
        }
        let trimmed = text.trim_end_matches(['\n', '\r']);
        if trimmed.trim().is_empty() {
            continue;
        }
        importer.report.lines += 1;
        let parsed = serde_json::from_str::<LogLine>(trimmed)
            .map_err(|e| e.to_string())
            .and_then(|event| match event.version {
                0 => Err("versions start at 1".to_owned()),
                _ => Ok(event),
            });
        match parsed {
            Ok(event) => {
                if !continues(&batch, &event, importer.options.batch) {
                    importer.flush(&mut batch).await?;
                }
                batch.push(Pending {
                    line,
                    text: trimmed.to_owned(),
                    event,
                });
            }
            Err(reason) => {
                // Lines before this one are committed before it is reported.
                importer.flush(&mut batch).await?;
                importer.invalid(line, trimmed, reason)?;
            }
        }
    }
    importer.flush(&mut batch).await?;
    Ok(importer.report)
}
