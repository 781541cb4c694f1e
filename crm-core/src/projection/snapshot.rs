//! A snapshot of the views: their state at a position, encoded to be stored beside the log
//! and read back instead of replaying the events before it.
//!
//! A snapshot is never trusted blindly. It carries the schema it was written with
//! ([`VIEWS_SCHEMA`], raised whenever the views' state changes shape or meaning) and the id of
//! the event at its position; one written under another schema, for another log, or that does
//! not decode is reported and ignored, and the views are rebuilt from the events instead.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Tracked, Views};
use crate::ids::EventId;

/// The views' snapshot schema. Raise it with every change to what the views hold or how they
/// encode: an older snapshot is then ignored (and rebuilt), never misread.
pub const VIEWS_SCHEMA: u32 = 2;

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

// The encoded form: a header of 17 bytes — a flag (1: the id of the event taken at follows;
// 0: none, and zeros follow) and that id — then each projection as a MessagePack part, its length (u64, big-endian) before it, in the
// order of `Views`' fields. Parts apart, so they encode and decode on threads of their own:
// the cards, the activity and the search are each about a third of the work.

/// How many parts: one per field of [`Views`].
const PARTS: usize = 8;

fn part<T: Serialize>(value: &T) -> Result<Vec<u8>, SnapshotError> {
    rmp_serde::to_vec_named(value).map_err(|e| SnapshotError::Unencodable {
        reason: e.to_string(),
    })
}

/// Encodes `views`, which hold everything through the event `at` (`None` for an empty log).
pub fn encode(views: &Views, at: Option<EventId>) -> Result<Vec<u8>, SnapshotError> {
    let parts: [Result<Vec<u8>, SnapshotError>; PARTS] = std::thread::scope(|s| {
        let cards = s.spawn(|| part(&views.cards));
        let activity = s.spawn(|| part(&views.activity));
        let search = part(&views.search);
        let joined = |h: std::thread::ScopedJoinHandle<'_, Result<Vec<u8>, SnapshotError>>| {
            h.join().unwrap_or_else(|_| {
                Err(SnapshotError::Unencodable {
                    reason: "an encoder panicked".into(),
                })
            })
        };
        [
            joined(cards),
            search,
            part(&views.deals),
            part(&views.tasks),
            joined(activity),
            part(&views.directory),
            part(&views.automations),
            part(&views.outbox),
        ]
    });
    let mut out = vec![0; HEADER];
    if let Some(id) = at {
        stamp(&mut out, id);
    }
    for part in parts {
        let part = part?;
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(&part);
    }
    Ok(out)
}

/// The header's length: the flag and the event id.
const HEADER: usize = 17;

/// Names `at` in an encoded snapshot's header as the event its views were taken at: done
/// after encoding, so the views are encoded at the position read under the same lock.
pub(crate) fn stamp(state: &mut [u8], at: EventId) {
    if let Some(header) = state.get_mut(..HEADER) {
        header[0] = 1;
        header[1..].copy_from_slice(at.as_uuid().as_bytes());
    }
}

/// Splits an encoded snapshot into the event id and the parts.
fn split(bytes: &[u8]) -> Result<(Option<EventId>, Vec<&[u8]>), String> {
    let (header, mut rest) = match bytes.get(..HEADER) {
        Some(header) => (header, &bytes[HEADER..]),
        None => return Err("it is shorter than its header".into()),
    };
    let at = match header[0] {
        0 => None,
        1 => uuid::Uuid::from_slice(&header[1..])
            .map(EventId::from_uuid)
            .map(Some)
            .map_err(|e| e.to_string())?,
        flag => return Err(format!("its header starts with {flag}, not 0 or 1")),
    };
    let mut parts = Vec::with_capacity(PARTS);
    for n in 0..PARTS {
        let length = rest
            .get(..8)
            .and_then(|l| <[u8; 8]>::try_from(l).ok())
            .map(u64::from_be_bytes)
            .and_then(|l| usize::try_from(l).ok())
            .filter(|&l| l <= rest.len() - 8)
            .ok_or_else(|| format!("part {n} of {PARTS} is cut short"))?;
        parts.push(&rest[8..8 + length]);
        rest = &rest[8 + length..];
    }
    if !rest.is_empty() {
        return Err(format!("{} bytes follow the last part", rest.len()));
    }
    Ok((at, parts))
}

fn read<T: serde::de::DeserializeOwned>(bytes: &[u8], name: &str) -> Result<T, String> {
    rmp_serde::from_slice(bytes).map_err(|e| format!("{name}: {e}"))
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
    let undecodable = |reason: String| SnapshotError::Undecodable { position, reason };
    let (at, parts) = split(&snapshot.state).map_err(undecodable)?;
    let views = std::thread::scope(|s| -> Result<Views, String> {
        let panicked = || "a decoder panicked".to_owned();
        let cards = s.spawn(|| read(parts[0], "cards"));
        let activity = s.spawn(|| read(parts[4], "activity"));
        let search = read(parts[1], "search")?;
        Ok(Views {
            search,
            deals: read(parts[2], "deals")?,
            tasks: read(parts[3], "tasks")?,
            directory: read(parts[5], "directory")?,
            automations: read(parts[6], "automations")?,
            outbox: read(parts[7], "outbox")?,
            cards: cards.join().map_err(|_| panicked())??,
            activity: activity.join().map_err(|_| panicked())??,
        })
    })
    .map_err(undecodable)?;
    Ok((
        Tracked {
            position,
            projection: views,
        },
        at,
    ))
}

/// A snapshot decoded before its `Crm` opens — on a thread of its own while the store opens,
/// as `crm card` does — and not yet checked against the log: only
/// [`Crm::open_decoded`](crate::Crm::open_decoded) takes it, and checks it as it would one it
/// loaded itself.
#[derive(Debug)]
pub struct Decoded {
    pub(crate) info: SnapshotInfo,
    pub(crate) views: Tracked<Views>,
    pub(crate) taken_at: Option<EventId>,
}

impl Decoded {
    /// Decodes `snapshot` (see [`decode`]).
    pub fn new(snapshot: &ViewsSnapshot) -> Result<Self, SnapshotError> {
        let (views, taken_at) = decode(snapshot)?;
        Ok(Self {
            info: snapshot.info,
            views,
            taken_at,
        })
    }

    /// Where it stands.
    pub fn info(&self) -> SnapshotInfo {
        self.info
    }
}

/// Which of `held` (sorted by position) to delete so that at most `kept` remain: the newest
/// always stays; of the rest, the one closest to the snapshot after it goes first (the older
/// of a tie), so the ones kept stay spread over the whole log and time travel to any point
/// starts near it. Snapshots of another schema are deleted first: no build reads them.
pub fn to_prune(held: &[SnapshotInfo], kept: usize) -> Vec<u64> {
    let kept = kept.max(1);
    let (mut current, mut doomed): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    for info in held {
        if info.schema == VIEWS_SCHEMA {
            current.push(info.position);
        } else {
            doomed.push(info.position);
        }
    }
    current.sort_unstable();
    while current.len() > kept {
        // `current` has at least two entries here; the newest is never a candidate.
        let closest = (0..current.len() - 1)
            .min_by_key(|&i| current[i + 1] - current[i])
            .unwrap_or(0);
        doomed.push(current.remove(closest));
    }
    doomed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(positions: &[u64]) -> Vec<SnapshotInfo> {
        positions
            .iter()
            .map(|&position| SnapshotInfo {
                position,
                recorded_at: DateTime::UNIX_EPOCH,
                schema: VIEWS_SCHEMA,
            })
            .collect()
    }

    #[test]
    fn pruning_keeps_the_newest_and_the_most_spread() {
        assert_eq!(to_prune(&held(&[10, 20, 30]), 3), Vec::<u64>::new());
        assert_eq!(to_prune(&held(&[10, 20, 25, 40]), 3), vec![20]);
        assert_eq!(to_prune(&held(&[10, 20, 30, 40]), 2), vec![10, 20]);
        assert_eq!(to_prune(&held(&[10, 11]), 1), vec![10], "the newest stays");
        assert_eq!(
            to_prune(&held(&[10, 11]), 0),
            vec![10],
            "at least one is kept"
        );
    }

    #[test]
    fn snapshots_of_another_schema_go_first() {
        let mut infos = held(&[10, 20]);
        infos[0].schema = VIEWS_SCHEMA - 1;
        assert_eq!(to_prune(&infos, 5), vec![10]);
    }

    #[test]
    fn a_snapshot_round_trips_and_refuses_another_schema_or_damage() {
        let views = Views::default();
        let state = encode(&views, None).unwrap_or_default();
        let mut snapshot = ViewsSnapshot {
            info: held(&[7])[0],
            state,
        };
        let (decoded, at) = decode(&snapshot)
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((decoded.position, at), (7, None));
        assert_eq!(decoded.projection, views);

        snapshot.info.schema = VIEWS_SCHEMA + 1;
        assert!(matches!(
            decode(&snapshot),
            Err(SnapshotError::Schema { position: 7, .. })
        ));
        snapshot.info.schema = VIEWS_SCHEMA;
        snapshot.state.truncate(snapshot.state.len() / 2);
        assert!(matches!(
            decode(&snapshot),
            Err(SnapshotError::Undecodable { position: 7, .. })
        ));
    }
}
