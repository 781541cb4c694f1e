//! How an event is stored: a small binary header with what the keys and the store know
//! (stream, version, store time), then the event's JSON body, which keeps its type and
//! schema version (`{"type":..,"v":..,"data":..}`) so every later release can read it.
//!
//! Record format 1: `[1u8][version u64][recorded_at µs i64][stream length u16][stream][JSON]`,
//! numbers big-endian. The body is encoded before the append takes its lock; only the header
//! is written under it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crm_core::event::{Event, Metadata, NewEvent, RecordedEvent};
use crm_core::ids::{EventId, StreamId};

const FORMAT: u8 = 1;
const HEADER: usize = 1 + 8 + 8 + 2;

#[derive(Serialize)]
struct BodyRef<'a> {
    id: EventId,
    occurred_at: DateTime<Utc>,
    metadata: &'a Metadata,
    event: &'a Event,
}

#[derive(Deserialize)]
struct Body {
    id: EventId,
    occurred_at: DateTime<Utc>,
    metadata: Metadata,
    event: Event,
}

/// The JSON body of a new event.
pub(crate) fn encode_body(new: &NewEvent) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&BodyRef {
        id: new.id,
        occurred_at: new.occurred_at,
        metadata: &new.metadata,
        event: &new.event,
    })
}

/// A whole record: header, then the body.
pub(crate) fn encode(
    stream: &StreamId,
    version: u64,
    recorded_at: DateTime<Utc>,
    body: &[u8],
) -> Vec<u8> {
    let name = stream.as_str().as_bytes();
    let mut record = Vec::with_capacity(HEADER + name.len() + body.len());
    record.push(FORMAT);
    record.extend_from_slice(&version.to_be_bytes());
    record.extend_from_slice(&recorded_at.timestamp_micros().to_be_bytes());
    // A stream id is at most `MAX_STREAM_ID_LEN` (48) bytes, checked wherever one is made.
    let len = u16::try_from(name.len()).unwrap_or(u16::MAX);
    record.extend_from_slice(&len.to_be_bytes());
    record.extend_from_slice(name);
    record.extend_from_slice(body);
    record
}

/// The header fields: stream, version, recorded_at, and where the body starts.
pub(crate) struct Header<'a> {
    pub(crate) stream: &'a str,
    pub(crate) version: u64,
    pub(crate) recorded_at: DateTime<Utc>,
    body: &'a [u8],
}

pub(crate) fn header(record: &[u8]) -> Result<Header<'_>, String> {
    let (&format, rest) = record.split_first().ok_or("the record is empty")?;
    if format != FORMAT {
        return Err(format!(
            "record format {format} is unknown (this release reads {FORMAT})"
        ));
    }
    if rest.len() < HEADER - 1 {
        return Err("the record header is truncated".into());
    }
    let number = |range: std::ops::Range<usize>| -> [u8; 8] {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(&rest[range]);
        bytes
    };
    let version = u64::from_be_bytes(number(0..8));
    let micros = i64::from_be_bytes(number(8..16));
    let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
    let rest = &rest[18..];
    if rest.len() < len {
        return Err("the record's stream id is truncated".into());
    }
    let (stream, body) = rest.split_at(len);
    Ok(Header {
        stream: std::str::from_utf8(stream).map_err(|e| format!("stream id is not UTF-8: {e}"))?,
        version,
        recorded_at: DateTime::from_timestamp_micros(micros)
            .ok_or("recorded_at is out of range")?,
        body,
    })
}

/// Decodes the record stored at `position`.
pub(crate) fn decode(position: u64, record: &[u8]) -> Result<RecordedEvent, String> {
    let header = header(record)?;
    let body: Body = serde_json::from_slice(header.body).map_err(|e| format!("event body: {e}"))?;
    Ok(RecordedEvent {
        id: body.id,
        stream: StreamId::new(header.stream).map_err(|e| e.to_string())?,
        version: header.version,
        position,
        occurred_at: body.occurred_at,
        recorded_at: header.recorded_at,
        metadata: body.metadata,
        event: body.event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::testing::conformance::sample_event;

    #[test]
    fn a_record_round_trips() {
        let stream = crm_core::testing::stream(7);
        let new = sample_event(&stream, 7);
        let at = DateTime::from_timestamp(1_800_000_000, 123_000).unwrap();
        let record = encode(&stream, 3, at, &encode_body(&new).unwrap());
        let back = decode(42, &record).unwrap();
        assert_eq!(
            (back.id, back.version, back.position, back.recorded_at),
            (new.id, 3, 42, at)
        );
        assert_eq!(back.stream, stream);
        assert_eq!(back.event, new.event);
    }

    #[test]
    fn damage_is_described_not_panicked_on() {
        let record = encode(&crm_core::testing::stream("s"), 1, Utc::now(), b"{}");
        assert!(decode(1, &[]).unwrap_err().contains("empty"));
        assert!(decode(1, &[9]).unwrap_err().contains("format 9"));
        assert!(decode(1, &record[..10]).unwrap_err().contains("truncated"));
        assert!(decode(1, &record).unwrap_err().contains("event body"));
    }

    /// Every damage to a stored record, byte by byte, is described: flips, cuts and
    /// insertions at each offset of a real record.
    #[test]
    fn any_damage_to_a_record_is_an_error_or_an_event_never_a_panic() {
        let stream = crm_core::testing::stream(3);
        let new = sample_event(&stream, 3);
        let record = encode(&stream, 1, Utc::now(), &encode_body(&new).unwrap());
        let mut inputs = 0u64;
        for at in 0..record.len() {
            for bit in 0..8 {
                let mut flipped = record.clone();
                flipped[at] ^= 1 << bit;
                let _ = decode(1, &flipped);
                inputs += 1;
            }
            let _ = decode(1, &record[..at]);
            let mut inserted = record.clone();
            inserted.insert(at, 0xff);
            let _ = decode(1, &inserted);
            inputs += 2;
        }
        assert!(inputs > 1000);
    }
}
