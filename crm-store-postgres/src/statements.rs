//! The two statements an append uses: the check (where the streams are, where the event ids
//! are stored) and the write (the head row, the rows, the notification, in one statement),
//! and the version guard that lets the write check for itself.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

use crm_core::store::{ExpectedVersion, StoreError, StoredAt};

use crate::append::{backend, Prepared};
use crate::rows;

/// Each stream's version before its first append in a statement: what the statement checks.
pub(crate) type Guard<'a> = Vec<(&'a str, i64)>;

/// The versions `appends` would take if every stream is at the version its append names
/// (`Exact`, or `NoStream` for 0): the first version of each, and the guard the statement
/// checks (each stream's version before its first append here). `None` when an append names
/// no version, or names one its stream's earlier append here does not end at.
pub(crate) fn versions_named<'a>(appends: &[&'a Prepared]) -> Option<(Vec<u64>, Guard<'a>)> {
    let mut running: HashMap<&'a str, u64> = HashMap::with_capacity(appends.len());
    let mut firsts = Vec::with_capacity(appends.len());
    let mut guard = Vec::with_capacity(appends.len());
    for append in appends {
        let base = match append.expected {
            ExpectedVersion::Exact(v) => v,
            ExpectedVersion::NoStream => 0,
            ExpectedVersion::Any | ExpectedVersion::StreamExists => return None,
        };
        let stream = append.stream.as_str();
        match running.get(stream) {
            Some(&end) if end != base => return None,
            Some(_) => {}
            None => guard.push((stream, i64::try_from(base).ok()?)),
        }
        running.insert(stream, base + append.events.len() as u64);
        firsts.push(base + 1);
    }
    Some((firsts, guard))
}

/// What the log holds that the group's checks need.
pub(crate) struct Stored {
    pub(crate) versions: HashMap<String, u64>,
    pub(crate) ids: HashMap<uuid::Uuid, StoredAt>,
}

const CHECK: &str = "\
    SELECT NULL::uuid, s.stream, \
           (SELECT e.version FROM crm_events e WHERE e.stream = s.stream \
            ORDER BY e.version DESC LIMIT 1), NULL::bigint \
    FROM UNNEST($1::text[]) AS s(stream) \
    UNION ALL \
    SELECT event_id, stream, version, position FROM crm_events WHERE event_id = ANY($2::uuid[])";

pub(crate) async fn check(pool: &PgPool, group: &[&Prepared]) -> Result<Stored, StoreError> {
    let streams: Vec<&str> = group
        .iter()
        .map(|append| append.stream.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let ids: Vec<uuid::Uuid> = group
        .iter()
        .flat_map(|append| append.rows.iter().map(|row| row.id))
        .collect();
    let found = sqlx::query(CHECK)
        .bind(&streams)
        .bind(&ids)
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    let mut stored = Stored {
        versions: HashMap::with_capacity(streams.len()),
        ids: HashMap::new(),
    };
    for row in found {
        let id: Option<uuid::Uuid> = row.try_get(0).map_err(backend)?;
        let stream: String = row.try_get(1).map_err(backend)?;
        let version: Option<i64> = row.try_get(2).map_err(backend)?;
        let version = rows::unsigned(version.unwrap_or(0), "version", -1)?;
        match id {
            None => {
                stored.versions.insert(stream, version);
            }
            Some(id) => {
                let position: Option<i64> = row.try_get(3).map_err(backend)?;
                let position = rows::unsigned(position.unwrap_or(-1), "position", -1)?;
                let stream = stream.parse().map_err(|e| StoreError::Corrupt {
                    location: format!("position {position}"),
                    reason: format!("{e}"),
                })?;
                stored.ids.insert(
                    id,
                    StoredAt {
                        stream,
                        version,
                        position,
                    },
                );
            }
        }
    }
    Ok(stored)
}

const WRITE: &str = "\
    WITH guard AS ( \
        SELECT coalesce(bool_and(coalesce((SELECT e.version FROM crm_events e \
            WHERE e.stream = g.stream ORDER BY e.version DESC LIMIT 1), 0) = g.base), true) \
            AS ok \
        FROM UNNEST($11::text[], $12::bigint[]) AS g(stream, base) \
    ), head AS ( \
        UPDATE crm_log SET head = head + cardinality($1::uuid[]) \
        WHERE id = 1 AND (SELECT ok FROM guard) RETURNING head \
    ), written AS ( \
        INSERT INTO crm_events (position, stream, version, event_id, event_type, \
            schema_version, payload, metadata, occurred_at, occurred_ns, recorded_at) \
        SELECT head.head - cardinality($1::uuid[]) + r.n, r.stream, r.version, r.event_id, \
            r.event_type, r.schema_version, r.payload::jsonb, r.metadata::jsonb, \
            r.occurred_at, r.occurred_ns, now() \
        FROM head, UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::integer[], \
            $6::text[], $7::text[], $8::timestamptz[], $9::smallint[]) WITH ORDINALITY \
            AS r(event_id, stream, version, event_type, schema_version, payload, metadata, \
                 occurred_at, occurred_ns, n) \
    ), notified AS ( \
        SELECT pg_notify($10, head::text) FROM head \
    ) \
    SELECT head.head FROM head, notified";

/// Writes `appends` (each with the version its first event takes) in one statement, one
/// transaction; returns the new head, or `None` when a stream of `guard` was not at its
/// version (then nothing was written).
pub(crate) async fn write(
    pool: &PgPool,
    channel: &str,
    appends: &[(&Prepared, u64)],
    guard: &[(&str, i64)],
) -> Result<Option<u64>, sqlx::Error> {
    let guard_streams: Vec<&str> = guard.iter().map(|(stream, _)| *stream).collect();
    let guard_bases: Vec<i64> = guard.iter().map(|(_, base)| *base).collect();
    let total: usize = appends.iter().map(|(append, _)| append.rows.len()).sum();
    let mut ids = Vec::with_capacity(total);
    let mut streams = Vec::with_capacity(total);
    let mut versions = Vec::with_capacity(total);
    let mut types = Vec::with_capacity(total);
    let mut schemas = Vec::with_capacity(total);
    let mut payloads = Vec::with_capacity(total);
    let mut metadata = Vec::with_capacity(total);
    let mut occurred: Vec<DateTime<Utc>> = Vec::with_capacity(total);
    let mut nanos = Vec::with_capacity(total);
    for (append, first_version) in appends {
        for (offset, row) in append.rows.iter().enumerate() {
            ids.push(row.id);
            streams.push(append.stream.as_str());
            versions.push(i64::try_from(first_version + offset as u64).unwrap_or(i64::MAX));
            types.push(row.event_type);
            schemas.push(row.schema_version);
            payloads.push(row.payload.as_str());
            metadata.push(row.metadata.as_str());
            occurred.push(row.occurred_at);
            nanos.push(row.occurred_ns);
        }
    }
    let head: Option<i64> = sqlx::query_scalar(WRITE)
        .bind(&ids)
        .bind(&streams)
        .bind(&versions)
        .bind(&types)
        .bind(&schemas)
        .bind(&payloads)
        .bind(&metadata)
        .bind(&occurred)
        .bind(&nanos)
        .bind(channel)
        .bind(&guard_streams)
        .bind(&guard_bases)
        .fetch_optional(pool)
        .await?;
    Ok(head.map(|head| u64::try_from(head).unwrap_or(0)))
}
