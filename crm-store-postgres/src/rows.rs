//! How an event maps onto a row of `crm_events`, both ways.
//!
//! The payload is the event's `data` alone (the type and schema version have columns of
//! their own) as `jsonb`, which other programs can query. `jsonb` sorts an object's keys, so
//! keeping `type` and `v` out of it is also what lets a reader decode the payload in one pass.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use sqlx::postgres::PgRow;
use sqlx::Row;

use crm_core::event::{Event, Metadata, NewEvent, RecordedEvent};
use crm_core::ids::{EventId, StreamId};
use crm_core::store::StoreError;

/// The columns every read selects, in the order [`decode`] takes them (a macro, so that
/// queries stay `&'static str`).
macro_rules! columns {
    () => {
        "position, stream, version, event_id, event_type, schema_version, payload::text, \
         metadata::text, occurred_at, occurred_ns, recorded_at"
    };
}
pub(crate) use columns;

/// One event's columns, encoded before the append takes any lock.
pub(crate) struct Encoded {
    pub(crate) id: uuid::Uuid,
    pub(crate) event_type: &'static str,
    pub(crate) schema_version: i32,
    pub(crate) payload: String,
    pub(crate) metadata: String,
    pub(crate) occurred_at: DateTime<Utc>,
    pub(crate) occurred_ns: i16,
}

/// Encodes `event` for the row; `index` is its place in the append, for the refusal.
pub(crate) fn encode(
    stream: &StreamId,
    index: usize,
    event: &NewEvent,
) -> Result<Encoded, StoreError> {
    let refused = |reason: String| StoreError::Refused {
        stream: stream.clone(),
        event_id: event.id,
        index,
        reason,
    };
    let payload = event
        .event
        .data_to_json()
        .map_err(|e| refused(format!("cannot encode the payload: {e}")))?;
    let metadata = serde_json::to_string(&event.metadata)
        .map_err(|e| refused(format!("cannot encode the metadata: {e}")))?;
    // PostgreSQL's text (and so jsonb) cannot hold U+0000; serde_json writes it as an escape.
    if payload.contains("\\u0000") || metadata.contains("\\u0000") {
        return Err(refused(
            "a text holds the character U+0000, which PostgreSQL cannot store".into(),
        ));
    }
    let below_micros = event.occurred_at.timestamp_subsec_nanos() % 1000;
    Ok(Encoded {
        id: *event.id.as_uuid(),
        event_type: event.event.type_name(),
        schema_version: i32::try_from(event.event.schema_version()).unwrap_or(i32::MAX),
        payload,
        metadata,
        occurred_at: event.occurred_at - Duration::nanoseconds(i64::from(below_micros)),
        occurred_ns: i16::try_from(below_micros).unwrap_or(0),
    })
}

fn corrupt(position: i64, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        location: format!("position {position}"),
        reason: reason.to_string(),
    }
}

/// A stored number that must not be negative.
pub(crate) fn unsigned(value: i64, what: &str, position: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(position, format!("{what} {value} is negative")))
}

/// A row selected with [`columns!`], as the event it holds.
pub(crate) fn decode(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let position: i64 = row.try_get(0).map_err(|e| corrupt(-1, e))?;
    let field = |e: sqlx::Error| corrupt(position, e);
    let stream: &str = row.try_get(1).map_err(field)?;
    let version: i64 = row.try_get(2).map_err(field)?;
    let id: uuid::Uuid = row.try_get(3).map_err(field)?;
    let event_type: &str = row.try_get(4).map_err(field)?;
    let schema_version: i32 = row.try_get(5).map_err(field)?;
    let payload: &str = row.try_get(6).map_err(field)?;
    let metadata: &str = row.try_get(7).map_err(field)?;
    let occurred_at: DateTime<Utc> = row.try_get(8).map_err(field)?;
    let occurred_ns: i16 = row.try_get(9).map_err(field)?;
    let recorded_at: DateTime<Utc> = row.try_get(10).map_err(field)?;
    let schema_version = u32::try_from(schema_version)
        .map_err(|_| corrupt(position, format!("schema version {schema_version}")))?;
    Ok(RecordedEvent {
        id: EventId::from_uuid(id),
        stream: StreamId::from_str(stream).map_err(|e| corrupt(position, e))?,
        version: unsigned(version, "version", position)?,
        position: unsigned(position, "position", position)?,
        occurred_at: occurred_at + Duration::nanoseconds(i64::from(occurred_ns)),
        recorded_at,
        metadata: serde_json::from_str::<Metadata>(metadata)
            .map_err(|e| corrupt(position, format!("metadata: {e}")))?,
        event: Event::from_data_json(event_type, schema_version, payload)
            .map_err(|e| corrupt(position, format!("{event_type} v{schema_version}: {e}")))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::testing::conformance::sample_event;

    #[test]
    fn a_time_keeps_its_nanoseconds_apart() {
        let stream = crm_core::testing::stream("rows");
        let mut event = sample_event(&stream, 1);
        event.occurred_at = DateTime::from_timestamp(-2_000_000_000, 123_456_789).unwrap();
        let encoded = encode(&stream, 0, &event).unwrap();
        assert_eq!(encoded.occurred_ns, 789);
        assert_eq!(encoded.occurred_at.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(
            encoded.occurred_at + Duration::nanoseconds(789),
            event.occurred_at
        );
    }

    #[test]
    fn a_nul_character_is_refused_with_the_event_named() {
        let stream = crm_core::testing::stream("rows");
        let mut event = sample_event(&stream, 1);
        if let Event::ContactTagsChanged(tags) = &mut event.event {
            tags.added = ["a\0b".to_owned()].into();
        }
        match encode(&stream, 3, &event) {
            Err(StoreError::Refused {
                index: 3, reason, ..
            }) => {
                assert!(reason.contains("U+0000"), "{reason}")
            }
            other => panic!("{:?}", other.map(|e| e.event_type)),
        }
    }
}
