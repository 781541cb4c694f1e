//! Appending a JSONL log to a store: streaming, in batches, resumable, never half-applied.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Serialize;

use super::LogLine;

use crate::event::RecordedEvent;
use crate::ids::shorten_to;
use crate::policy::IMPORTED_THROUGH;
use crate::store::{EventStore, ExpectedVersion, StoreError, StreamAppend};
use crate::validate;

/// The longest line [`ImportOptions::default`] reads: 16 MiB. A longer line is refused by its
/// number without being read into memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// At most this much of a reason is repeated in a message: a 100 KB bad value is not.
const MAX_REASON_CHARS: usize = 400;

/// How to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// At most this many events per append (consecutive lines of one stream go together).
    pub batch: usize,
    /// Set aside lines that cannot be imported (through the `reject` callback) and go on,
    /// instead of stopping at the first.
    pub skip_invalid: bool,
    /// The longest line read, in bytes, not counting its line break.
    pub max_line_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            batch: 1000,
            skip_invalid: false,
            max_line_bytes: MAX_LINE_BYTES,
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

/// A line set aside: its number, its bytes, and why.
#[derive(Debug, Clone, Copy)]
pub struct Rejected<'a> {
    /// 1-based line number.
    pub line: u64,
    /// The line as read, without its line break: possibly not UTF-8, and empty for a line
    /// longer than [`ImportOptions::max_line_bytes`], which is not kept.
    pub bytes: &'a [u8],
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
    bytes: Vec<u8>,
    event: LogLine,
}

struct Importer<'s, S: ?Sized, F, P> {
    store: &'s S,
    options: ImportOptions,
    report: ImportReport,
    /// The position of the last event this import appended.
    last_position: u64,
    reject: F,
    progress: P,
    /// Runs of lines (each one stream's, contiguous) waiting to be appended together.
    queued: Vec<Vec<Pending>>,
    /// How many lines `queued` holds.
    queued_lines: usize,
    /// Whether queued runs go in one `append_many`: until a line is found already stored (a
    /// resumed import). From then on every run is checked on its own, as it must be to tell
    /// a repeat from a conflict before anything after it is written.
    quick: bool,
}

/// A batch-level failure: the line it is about and why.
struct Bad(u64, String);

impl<S, F, P> Importer<'_, S, F, P>
where
    S: EventStore + ?Sized,
    F: FnMut(Rejected<'_>),
    P: FnMut(&ImportReport),
{
    fn invalid(&mut self, line: u64, bytes: &[u8], reason: String) -> Result<(), ImportError> {
        let reason = shorten_to(&reason, MAX_REASON_CHARS);
        if self.options.skip_invalid {
            self.report.rejected += 1;
            (self.reject)(Rejected {
                line,
                bytes,
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

    /// Queues the run in `batch`; appends what is queued once it reaches the batch size.
    async fn enqueue(&mut self, batch: &mut Vec<Pending>) -> Result<(), ImportError> {
        if !batch.is_empty() {
            self.queued_lines += batch.len();
            self.queued.push(std::mem::take(batch));
        }
        if self.queued_lines >= self.options.batch {
            self.drain().await?;
        }
        Ok(())
    }

    /// Queues the run in `batch` and appends everything queued.
    async fn flush(&mut self, batch: &mut Vec<Pending>) -> Result<(), ImportError> {
        if !batch.is_empty() {
            self.queued_lines += batch.len();
            self.queued.push(std::mem::take(batch));
        }
        self.drain().await
    }

    /// Appends the queued runs: as many as can go in one [`EventStore::append_many`] (each at
    /// the version before its first line, which a fresh import's streams are at), then the
    /// rest one by one with every check, so a line that cannot be imported is found exactly
    /// as without the batching, everything before it committed.
    async fn drain(&mut self) -> Result<(), ImportError> {
        let runs = std::mem::take(&mut self.queued);
        self.queued_lines = 0;
        if runs.is_empty() {
            return Ok(());
        }
        let quick = if self.quick {
            self.quick_prefix(&runs).await?
        } else {
            0
        };
        let appends = runs[..quick]
            .iter()
            .map(|run| StreamAppend {
                stream: run[0].event.stream.clone(),
                expected: ExpectedVersion::Exact(run[0].event.version - 1),
                events: run.iter().map(|p| p.event.new_event()).collect(),
            })
            .collect();
        let appended = if quick > 0 {
            self.store.append_many(appends).await
        } else {
            crate::store::ManyAppended {
                done: Vec::new(),
                failed: None,
            }
        };
        self.quick &= appended.failed.is_none() && appended.done.iter().all(|o| o.written);
        for (run, outcome) in runs.iter().zip(&appended.done) {
            if outcome.written {
                self.report.imported += run.len() as u64;
                self.last_position = self.last_position.max(outcome.last_position);
            }
        }
        // The rest one by one with every check; a run the store already held is checked
        // against what it holds (a repeat, or a conflict) and writes nothing.
        for (index, run) in runs.into_iter().enumerate() {
            if !appended.done.get(index).is_some_and(|o| o.written) {
                self.flush_run(run).await?;
            }
        }
        (self.progress)(&self.report);
        Ok(())
    }

    /// How many of `runs`, from the first, can be appended without the checks of
    /// `append`: their lines meet the rules that need the stream's first event, whether it is
    /// among them or stored.
    async fn quick_prefix(&self, runs: &[Vec<Pending>]) -> Result<usize, ImportError> {
        let mut firsts: std::collections::HashMap<&crate::ids::StreamId, &crate::event::Event> =
            std::collections::HashMap::new();
        for (index, run) in runs.iter().enumerate() {
            let first = &run[0];
            let stream = &first.event.stream;
            if first.event.version == 1 {
                firsts.insert(stream, &first.event.event);
            }
            if !run.iter().any(|p| validate::needs_first(&p.event.event)) {
                continue;
            }
            let stored;
            let head = match firsts.get(stream) {
                Some(head) => *head,
                None => {
                    stored = self
                        .store
                        .read_stream(stream, 1, 1)
                        .await
                        .map_err(|source| ImportError::Store {
                            line: first.line,
                            source,
                        })?;
                    match stored.first() {
                        Some(e) => &e.event,
                        None => return Ok(index),
                    }
                }
            };
            let breaks = run
                .iter()
                .filter(|p| p.event.version > 1)
                .any(|p| validate::check_in_stream(head, &p.event.event).is_err());
            if breaks {
                return Ok(index);
            }
        }
        Ok(runs.len())
    }

    /// Appends one run with every check, setting aside (or stopping at) a line that cannot
    /// be imported.
    async fn flush_run(&mut self, pending: Vec<Pending>) -> Result<(), ImportError> {
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
                    self.invalid(p.line, &p.bytes, why)?;
                }
            }
            Err(Err(e)) => return Err(e),
        }
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
        if first.event.version > current.saturating_add(1) {
            return Err(Ok(Bad(
                first.line,
                format!(
                    "stream {stream} is at version {current}, so the next event must have version {}, not {}",
                    current.saturating_add(1),
                    first.event.version
                ),
            )));
        }
        // What the stream's later events must agree with (an order's currency).
        let needs_first = pending
            .iter()
            .any(|p| validate::needs_first(&p.event.event));
        let first_event = if !needs_first {
            None
        } else if current > 0 {
            let stored = self
                .store
                .read_stream(stream, 1, 1)
                .await
                .map_err(store_error)?;
            stored.into_iter().next().map(|e| Cow::Owned(e.event))
        } else {
            Some(Cow::Borrowed(&first.event.event))
        };
        if let Some(head) = &first_event {
            for p in pending.iter().filter(|p| p.event.version > 1) {
                if let Err(rule) = validate::check_in_stream(head, &p.event.event) {
                    return Err(Ok(Bad(p.line, rule.to_string())));
                }
            }
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
                if let Some(field) = differs(s, &p.event) {
                    return Err(Ok(Bad(
                        p.line,
                        format!(
                            "conflict: stream {stream} already holds event {} at version {} with another {field}; the store keeps what it holds",
                            s.id, s.version
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
            Ok(outcome) if outcome.written => {
                self.report.imported += rest.len() as u64;
                self.last_position = self.last_position.max(outcome.last_position);
            }
            Ok(_) => self.report.already_present += rest.len() as u64,
            Err(e @ (StoreError::DuplicateEventId { .. } | StoreError::Refused { .. })) => {
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

/// Which part of an imported line differs from the event stored with its id at its place.
fn differs(stored: &RecordedEvent, line: &LogLine) -> Option<&'static str> {
    if stored.event != line.event {
        Some("payload")
    } else if stored.occurred_at != line.occurred_at {
        Some("occurred_at")
    } else if stored.metadata != line.metadata {
        Some("metadata")
    } else {
        None
    }
}

fn continues(batch: &[Pending], next: &LogLine, limit: usize) -> bool {
    batch.last().is_some_and(|last: &Pending| {
        last.event.stream == next.stream
            && last.event.version.checked_add(1) == Some(next.version)
            && batch.len() < limit
    })
}

/// What one read found.
enum Read {
    /// The end of the input.
    End,
    /// A line, now in the buffer without its line break.
    Line,
    /// A line of this many bytes, longer than the limit: skipped, not kept.
    TooLong(usize),
}

/// Reads one line into `buf`, holding at most `max` bytes of it in memory.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Read> {
    buf.clear();
    let mut length = 0usize;
    let mut seen_any = false;
    loop {
        let available = match input.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        seen_any = true;
        let (chunk, ends) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], true),
            None => (available, false),
        };
        length = length.saturating_add(chunk.len());
        if length <= max {
            buf.extend_from_slice(chunk);
        }
        let used = chunk.len() + usize::from(ends);
        input.consume(used);
        if ends {
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(match (seen_any, length > max) {
        (false, _) => Read::End,
        (true, false) => Read::Line,
        (true, true) => Read::TooLong(length),
    })
}

/// The event a line holds, checked as a command's events are: its stream, its bounds.
fn parse(bytes: &[u8]) -> Result<LogLine, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "the line is not UTF-8 (the bytes at {} are not a character)",
            e.valid_up_to() + 1
        )
    })?;
    let event: LogLine = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if event.version == 0 {
        return Err("version: versions start at 1".to_owned());
    }
    validate::check(&event.stream, event.occurred_at, &event.event).map_err(|e| e.to_string())?;
    Ok(event)
}

/// Imports the JSONL log read from `input` into `store`.
///
/// Consecutive lines of one stream are appended together, up to `options.batch` at a time.
/// Each line is checked as a command's events are ([`crate::validate::check`]): an event in
/// another aggregate's stream, an amount out of range, an unknown field is refused. Lines the
/// store already holds at the same place are counted as `already_present` and not written
/// again; a line with a stored event's id and place but other content is a conflict. A line
/// that cannot be imported — including one that is not UTF-8 or is longer than
/// `options.max_line_bytes` — stops the import with [`ImportError::Invalid`], everything
/// before it committed, or, with `skip_invalid`, is passed to `reject` (with the rest of its
/// batch) and the import goes on. `progress` is called after each batch.
///
/// Up to `options.batch` lines at a time go to the store in one
/// [`EventStore::append_many`], each stream's run at the version before its first line, until
/// the import meets a line the store already holds; then it checks run by run. So in the
/// first batch that overlaps what is stored (a file imported again after a crash), a line
/// changed since its first import is reported as a conflict after the new lines of that same
/// batch were written; importing the fixed file again skips them.
pub async fn import<S, R>(
    store: &S,
    input: R,
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
        last_position: 0,
        reject,
        progress,
        queued: Vec::new(),
        queued_lines: 0,
        quick: true,
    };
    let result = read_all_lines(&mut importer, input, options).await;
    if importer.last_position > 0 {
        // What was imported is history: policies are not to react to it (see
        // `crate::policy::IMPORTED_THROUGH`), whether or not the import finished.
        let marked = store
            .save_checkpoint(IMPORTED_THROUGH, importer.last_position)
            .await;
        if let (Ok(_), Err(source)) = (&result, marked) {
            return Err(ImportError::Store {
                line: importer.report.lines,
                source,
            });
        }
    }
    result
}

async fn read_all_lines<S, R, F, P>(
    importer: &mut Importer<'_, S, F, P>,
    mut input: R,
    options: ImportOptions,
) -> Result<ImportReport, ImportError>
where
    S: EventStore + ?Sized,
    R: BufRead,
    F: FnMut(Rejected<'_>),
    P: FnMut(&ImportReport),
{
    let mut batch: Vec<Pending> = Vec::new();
    let mut bytes = Vec::new();
    let mut line = 0u64;
    loop {
        line += 1;
        let read = match read_line(&mut input, &mut bytes, options.max_line_bytes) {
            Ok(read) => read,
            Err(source) => {
                // What was read before the failure is committed before it is reported.
                importer.flush(&mut batch).await?;
                return Err(ImportError::Read { line, source });
            }
        };
        let parsed = match read {
            Read::End => break,
            Read::TooLong(length) => Err(format!(
                "the line is {length} bytes long, over the limit of {} bytes",
                options.max_line_bytes
            )),
            Read::Line if bytes.iter().all(u8::is_ascii_whitespace) => continue,
            Read::Line => parse(&bytes),
        };
        importer.report.lines += 1;
        match parsed {
            Ok(event) => {
                if !continues(&batch, &event, importer.options.batch) {
                    importer.enqueue(&mut batch).await?;
                }
                batch.push(Pending {
                    line,
                    bytes: std::mem::take(&mut bytes),
                    event,
                });
            }
            Err(reason) => {
                // Lines before this one are committed before it is reported.
                importer.flush(&mut batch).await?;
                importer.invalid(line, &bytes, reason)?;
            }
        }
    }
    importer.flush(&mut batch).await?;
    Ok(importer.report)
}
