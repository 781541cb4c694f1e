//! Where each record lives: the key layout of the single `log` tree.
//!
//! Everything an append touches is in one tree, so that one `apply_batch` commits the event,
//! its stream index entry and its id index entry together, or none of them:
//!
//! | key | value |
//! | --- | --- |
//! | `E` position (u64, big-endian) | the event record (see `record.rs`) |
//! | `S` stream id, `0x00`, version (u64, big-endian) | position |
//! | `I` event id (16 bytes) | position, version, stream id |
//!
//! Big-endian numbers sort in numeric order, so a range scan walks positions and versions in
//! order. Stream ids never contain `0x00` (`StreamId` rejects control characters), so the
//! separator cannot be confused with a stream id's bytes.

use crm_core::ids::{EventId, StreamId};

pub(crate) const EVENT: u8 = b'E';
pub(crate) const STREAM: u8 = b'S';
pub(crate) const ID: u8 = b'I';

pub(crate) fn event(position: u64) -> [u8; 9] {
    let mut key = [EVENT; 9];
    key[1..].copy_from_slice(&position.to_be_bytes());
    key
}

/// The position in an event key, if it is one.
pub(crate) fn position_of(key: &[u8]) -> Option<u64> {
    match key {
        [EVENT, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// The prefix shared by every index entry of `stream`.
pub(crate) fn stream_prefix(stream: &StreamId) -> Vec<u8> {
    let mut key = Vec::with_capacity(stream.as_str().len() + 10);
    key.push(STREAM);
    key.extend_from_slice(stream.as_str().as_bytes());
    key.push(0);
    key
}

pub(crate) fn stream_entry(stream: &StreamId, version: u64) -> Vec<u8> {
    let mut key = stream_prefix(stream);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// The stream id and version in a stream index key, if it is one.
pub(crate) fn parse_stream_entry(key: &[u8]) -> Option<(&str, u64)> {
    let rest = key.strip_prefix(&[STREAM])?;
    let split = rest.len().checked_sub(9)?;
    let (name, tail) = rest.split_at(split);
    let (zero, version) = tail.split_first()?;
    if *zero != 0 {
        return None;
    }
    Some((
        std::str::from_utf8(name).ok()?,
        u64::from_be_bytes(version.try_into().ok()?),
    ))
}

pub(crate) fn id(event_id: &EventId) -> [u8; 17] {
    let mut key = [ID; 17];
    key[1..].copy_from_slice(event_id.as_uuid().as_bytes());
    key
}

/// The event id in an id index key, if it is one.
pub(crate) fn parse_id(key: &[u8]) -> Option<EventId> {
    let bytes: [u8; 16] = key.strip_prefix(&[ID])?.try_into().ok()?;
    Some(EventId::from_uuid(uuid::Uuid::from_bytes(bytes)))
}

/// Where an event id points: position, version and stream.
pub(crate) fn id_entry(position: u64, version: u64, stream: &StreamId) -> Vec<u8> {
    let mut value = Vec::with_capacity(16 + stream.as_str().len());
    value.extend_from_slice(&position.to_be_bytes());
    value.extend_from_slice(&version.to_be_bytes());
    value.extend_from_slice(stream.as_str().as_bytes());
    value
}

pub(crate) fn parse_id_entry(value: &[u8]) -> Option<(u64, u64, &str)> {
    if value.len() < 16 {
        return None;
    }
    let position = u64::from_be_bytes(value[..8].try_into().ok()?);
    let version = u64::from_be_bytes(value[8..16].try_into().ok()?);
    Some((position, version, std::str::from_utf8(&value[16..]).ok()?))
}

pub(crate) fn parse_u64(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort_numerically() {
        assert!(event(2) < event(10));
        assert_eq!(position_of(&event(77)), Some(77));
        let stream = crm_core::testing::stream(1);
        let key = stream_entry(&stream, 300);
        assert_eq!(parse_stream_entry(&key), Some((stream.as_str(), 300)));
        assert!(stream_entry(&stream, 9) < stream_entry(&stream, 10));
        let value = id_entry(5, 6, &stream);
        assert_eq!(parse_id_entry(&value), Some((5, 6, stream.as_str())));
    }

    #[test]
    fn one_stream_prefix_never_covers_another() {
        let a = stream_prefix(&crm_core::testing::stream(1));
        let b = stream_entry(&crm_core::testing::stream(12), 1);
        assert!(!b.starts_with(&a));
    }

    #[test]
    fn malformed_keys_parse_to_nothing() {
        assert_eq!(position_of(b"E12"), None);
        assert_eq!(parse_stream_entry(b"Sabc"), None);
        assert_eq!(parse_id_entry(b"short"), None);
    }
}
