//! Checking a whole store: every invariant the append path keeps, walked from disk.

use std::collections::HashMap;
use std::fmt;

use crm_core::store::StoreError;

use crate::{backend, keys, record};

/// One inconsistency found by [`SledStore::verify`](crate::SledStore::verify).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// A key in the log tree that no writer produces.
    MalformedKey {
        /// The key's bytes.
        key: Vec<u8>,
    },
    /// An event record that does not decode.
    Undecodable {
        /// Where it is.
        position: u64,
        /// Why it does not decode.
        reason: String,
    },
    /// A stream's versions skip or repeat.
    VersionGap {
        /// The stream.
        stream: String,
        /// The version that should come next.
        expected: u64,
        /// The version found.
        found: u64,
        /// Where.
        position: u64,
    },
    /// A stream index entry is missing or points elsewhere.
    StreamIndex {
        /// The stream.
        stream: String,
        /// The version.
        version: u64,
        /// What is wrong.
        problem: String,
    },
    /// An event id index entry is missing or points elsewhere.
    IdIndex {
        /// The event id or index key.
        event: String,
        /// What is wrong.
        problem: String,
    },
    /// The log ends before the last position the store recorded as committed: sled's files
    /// lost events (truncated, deleted or replaced).
    LostCommitted {
        /// The last position recorded as durable.
        committed: u64,
        /// The last position the log holds.
        found: u64,
    },
    /// The commit record beside sled's files cannot be read.
    CommitRecord {
        /// Why.
        problem: String,
    },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedKey { key } => write!(f, "malformed key {key:?}"),
            Self::Undecodable { position, reason } => {
                write!(f, "position {position} does not decode: {reason}")
            }
            Self::VersionGap {
                stream,
                expected,
                found,
                position,
            } => {
                write!(f, "stream {stream}: expected version {expected}, found {found} at position {position}")
            }
            Self::StreamIndex {
                stream,
                version,
                problem,
            } => write!(f, "stream {stream} version {version}: {problem}"),
            Self::IdIndex { event, problem } => write!(f, "event id {event}: {problem}"),
            Self::LostCommitted { committed, found } => write!(
                f,
                "events up to position {committed} were committed, but the log ends at {found}: restore from a backup or an export"
            ),
            Self::CommitRecord { problem } => write!(f, "commit record: {problem}"),
        }
    }
}

/// What [`SledStore::verify`](crate::SledStore::verify) found.
pub type VerifyReport = crm_core::store::VerifyReport<Fault>;

/// Walks events, then the stream index, then the id index. Positions are strictly increasing
/// by construction (they are the keys, walked in order); everything else is checked.
pub(crate) fn run(log: &sled::Tree) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    let mut versions: HashMap<String, u64> = HashMap::new();
    for entry in log.scan_prefix([keys::EVENT]) {
        let (key, value) = entry.map_err(backend)?;
        let Some(position) = keys::position_of(&key) else {
            report
                .faults
                .push(Fault::MalformedKey { key: key.to_vec() });
            continue;
        };
        report.events += 1;
        let event = match record::decode(position, &value) {
            Ok(event) => event,
            Err(reason) => {
                report.faults.push(Fault::Undecodable { position, reason });
                continue;
            }
        };
        let stream = event.stream.as_str().to_owned();
        let last = versions.entry(stream.clone()).or_insert(0);
        if event.version != *last + 1 {
            report.faults.push(Fault::VersionGap {
                stream: stream.clone(),
                expected: *last + 1,
                found: event.version,
                position,
            });
        }
        *last = event.version;
        let indexed = log
            .get(keys::stream_entry(&event.stream, event.version))
            .map_err(backend)?;
        if indexed.as_deref().and_then(keys::parse_u64) != Some(position) {
            let problem = format!("the index does not point at position {position}");
            report.faults.push(Fault::StreamIndex {
                stream,
                version: event.version,
                problem,
            });
        }
        let by_id = log.get(keys::id(&event.id)).map_err(backend)?;
        match by_id.as_deref().and_then(keys::parse_id_entry) {
            Some((p, v, s))
                if p == position && v == event.version && s == event.stream.as_str() => {}
            _ => report.faults.push(Fault::IdIndex {
                event: event.id.to_string(),
                problem: format!("the index does not point at position {position}"),
            }),
        }
    }
    report.streams = versions.len() as u64;
    for entry in log.scan_prefix([keys::STREAM]) {
        let (key, value) = entry.map_err(backend)?;
        let Some((stream, version)) = keys::parse_stream_entry(&key) else {
            report
                .faults
                .push(Fault::MalformedKey { key: key.to_vec() });
            continue;
        };
        let problem = match keys::parse_u64(&value) {
            None => Some("malformed position".to_owned()),
            Some(position) => match log.get(keys::event(position)).map_err(backend)? {
                None => Some(format!(
                    "points at position {position}, which holds no event"
                )),
                Some(record) => match record::header(&record) {
                    Ok(h) if h.stream == stream && h.version == version => None,
                    Ok(h) => Some(format!(
                        "points at position {position}, which holds {} version {}",
                        h.stream, h.version
                    )),
                    Err(_) => None, // Already reported as undecodable.
                },
            },
        };
        if let Some(problem) = problem {
            report.faults.push(Fault::StreamIndex {
                stream: stream.to_owned(),
                version,
                problem,
            });
        }
    }
    for entry in log.scan_prefix([keys::ID]) {
        let (key, value) = entry.map_err(backend)?;
        let Some(event_id) = keys::parse_id(&key) else {
            report
                .faults
                .push(Fault::MalformedKey { key: key.to_vec() });
            continue;
        };
        let Some((position, _, _)) = keys::parse_id_entry(&value) else {
            report.faults.push(Fault::IdIndex {
                event: event_id.to_string(),
                problem: "malformed entry".into(),
            });
            continue;
        };
        if log.get(keys::event(position)).map_err(backend)?.is_none() {
            report.faults.push(Fault::IdIndex {
                event: event_id.to_string(),
                problem: format!("points at position {position}, which holds no event"),
            });
        }
    }
    Ok(report)
}
