//! A snapshot of the views: their state at a position, encoded to be stored beside the log
//! and read back instead of replaying the events before it.
//!
//! A snapshot is never trusted blindly. It carries the schema it was written with
//! ([`VIEWS_SCHEMA`], raised whenever the views' state changes shape or meaning) and the id of
//! the event at its position; one written under another schema, for another log, or that does
//! not decode is reported and ignored, and the views are rebuilt from the events instead.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Tracked, Views};
use crate::ids::EventId;

/// The views' snapshot schema. Raise it with every change to what the views hold or how they
/// encode: an older snapshot is then ignored (and rebuilt), never misread.
pub const VIEWS_SCHEMA: u32 = 1;

/// Where a snapshot stands in the log, as a store lists it: enough to choose one without
/// reading its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// The last position the views held.
    pub position: u64,
    /// When the event at that position was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The schema it was written with.
    pub schema: u32,
}

/// A stored snapshot of the views: where it stands, and its encoded state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewsSnapshot {
    /// Where it stands.
    pub info: SnapshotInfo,
    /// The encoded views (see [`encode`]).
    pub state: Vec<u8>,
}

/// Why a snapshot was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Written under another schema, by an older or newer build.
    #[error(
        "the snapshot at position {position} has schema {found}, this build reads {VIEWS_SCHEMA}"
    )]
    Schema {
        /// Its position.
        position: u64,
        /// Its schema.
        found: u32,
    },
    /// Its bytes do not decode into views.
    #[error("the snapshot at position {position} does not decode: {reason}")]
    Undecodable {
        /// Its position.
        position: u64,
        /// What the decoder said.
        reason: String,
    },
    /// It belongs to another log: the event at its position is not the one it was taken at,
    /// or the log is shorter.
    #[error("the snapshot at position {position} was taken of another log ({reason})")]
    OtherLog {
        /// Its position.
        position: u64,
        /// What did not match.
        reason: String,
    },
    /// The views did not encode (a bug in a derive; the snapshot is not written).
    #[error("the views do not encode: {reason}")]
    Unencodable {
        /// What the encoder said.
        reason: String,
    },
    /// Its phone searches read national numbers in another country than this CRM's.
    #[error("the snapshot at position {position} reads national phone numbers in another default country")]
    OtherCountry {
        /// Its position.
        position: u64,
    },
}

/// What is encoded: the views and the id of the event they were taken at.
#[derive(Serialize, Deserialize)]
struct Encoded<V> {
    at: Option<EventId>,
    views: V,
}

/// Encodes `views`, which hold everything through the event `at` (`None` for an empty log).
pub fn encode(views: &Views, at: Option<EventId>) -> Result<Vec<u8>, SnapshotError> {
    rmp_serde::to_vec_named(&Encoded { at, views }).map_err(|e| SnapshotError::Unencodable {
        reason: e.to_string(),
    })
}

/// Decodes a snapshot's state after checking its schema; returns the views and the id of the
/// event they were taken at.
pub fn decode(
    snapshot: &ViewsSnapshot,
) -> Result<(Tracked<Views>, Option<EventId>), SnapshotError> {
    let position = snapshot.info.position;
    if snapshot.info.schema != VIEWS_SCHEMA {
        return Err(SnapshotError::Schema {
            position,
            found: snapshot.info.schema,
        });
    }
    let decoded: Encoded<Views> =
        rmp_serde::from_slice(&snapshot.state).map_err(|e| SnapshotError::Undecodable {
            position,
            reason: e.to_string(),
        })?;
    Ok((
        Tracked {
            position,
            projection: decoded.views,
        },
        decoded.at,
    ))
}
