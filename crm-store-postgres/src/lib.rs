//! A PostgreSQL event store for crm: one log shared by every process and machine of a shop.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use crm_core::domain::contact::{ContactCommand, CreateContact};
//! use crm_core::event::Actor;
//! use crm_core::ids::ContactId;
//! use crm_core::Crm;
//! use crm_store_postgres::{PostgresOptions, PostgresStore};
//!
//! // Every instance of the application connects to the same database.
//! let options = PostgresOptions::new("postgres://crm@db.internal/shop").migrate(true);
//! let crm = Arc::new(Crm::open(PostgresStore::connect(options).await?).await?);
//!
//! // Keep this instance's views following what the others write, as they write it.
//! let follower = crm.clone();
//! tokio::spawn(async move { follower.follow().await });
//!
//! let ana = ContactId::new();
//! let done = crm
//!     .execute(&Actor::System, ContactCommand::Create(CreateContact::new(ana, "Ana", "García")))
//!     .await?;
//! // Another instance, handed `done.position`, shows Ana once `wait_for` returns.
//! crm.wait_for(done.position).await?;
//! # Ok(()) }
//! ```
//!
//! What it promises beyond the store contract (docs/guarantees.md):
//!
//! - **A global order readers can trust.** Positions are handed out under the log's head row
//!   lock, taken as the last step of an append and held until it commits, so commit order is
//!   position order: a reader following `read_all` never passes an event that is still
//!   committing with a lower position, and positions have no gaps.
//! - **Batched writes.** An append is one statement (`UNNEST` of arrays, never row by row),
//!   and every append waiting in this process shares it (group commit).
//! - **Followers are woken, not polling.** Appends `NOTIFY`; [`EventStore::wait_for_append`]
//!   listens, and reads the head from the table when the listening connection was lost.
//! - **Errors by code.** Races are recognized by SQLSTATE and constraint name; a lost
//!   connection is [`StoreError::Backend`], and retrying the same events is safe.
//!
//! ## Why sqlx
//!
//! sqlx 0.9 is the driver the Rust event-sourcing libraries already use (cqrs-es's
//! postgres-es, esrs, disintegrate), and it brings what this store needs in one crate: a
//! pool, `LISTEN`/`NOTIFY` with reconnection ([`sqlx::postgres::PgListener`]), array binds for
//! `UNNEST`, and server errors with their SQLSTATE and constraint. Only its plain query API is
//! used, with `default-features = false` and no compile-time macros, so nothing needs a
//! database to build. tokio-postgres is lighter, but would need a pool crate and hand-written
//! notification handling beside it. The store needs a tokio runtime; the core does not.

mod append;
mod error;
mod follow;
mod keys;
mod options;
mod rows;
mod schema;
mod sqlstate;
mod statements;
mod verify;

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool, Row};
use tokio::sync::OnceCell;

use crm_core::event::{NewEvent, RecordedEvent};
use crm_core::ids::{EventId, StreamId};
use crm_core::store::{
    AppendOutcome, EventStore, ExpectedVersion, HeadWatch, ManyAppended, Snapshot, SnapshotInfo,
    StoreError, StoredAt, StreamAppend, ViewsSnapshot,
};

use append::{backend, Committer, Prepared};
pub use error::Error;
pub use keys::PgKeys;
pub use options::PostgresOptions;
pub use schema::SCHEMA_VERSION;
/// The driver, for a program's own tables beside the log ([`PostgresStore::pool`]), at the
/// version the store uses.
pub use sqlx;
pub use verify::VerifyReport;

struct Inner {
    pool: PgPool,
    schema: String,
    channel: String,
    committer: Committer,
    head: Arc<HeadWatch>,
    listening: OnceCell<follow::Listening>,
}

/// An event store in a PostgreSQL database. Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.inner.schema)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects, migrates if asked, and refuses a database whose schema version this release
    /// does not know.
    ///
    /// Must be called within a tokio runtime, and the store used while that runtime runs: its
    /// committer and listener are tasks on it. Once the runtime has shut down, every append
    /// fails with [`StoreError::Backend`] ("the store's committer has stopped").
    pub async fn connect(options: PostgresOptions) -> Result<Self, Error> {
        schema::check_name(&options.schema)?;
        let search_path = format!("SET search_path TO \"{}\"", options.schema);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .after_connect(move |conn, _| {
                let search_path = search_path.clone();
                Box::pin(async move {
                    // The name was checked by `check_name`: letters, digits and `_` only.
                    conn.execute(sqlx::AssertSqlSafe(search_path)).await?;
                    Ok(())
                })
            })
            .connect(&options.url)
            .await
            .map_err(Error::Connect)?;
        if options.migrate {
            schema::migrate(&pool, &options.schema).await?;
        }
        schema::check(&pool).await?;
        let head = follow::head_of(&pool).await.map_err(Error::Connect)?;
        let head = Arc::new(HeadWatch::new(head));
        let channel = format!("crm_events_{}", options.schema);
        Ok(Self {
            inner: Arc::new(Inner {
                committer: Committer::start(pool.clone(), channel.clone(), head.clone()),
                pool,
                schema: options.schema,
                channel,
                head,
                listening: OnceCell::new(),
            }),
        })
    }

    /// Applies the migrations this database lacks (safe to run from several processes at
    /// once: they wait for each other); returns the schema version it is at.
    pub async fn migrate(&self) -> Result<i32, Error> {
        schema::migrate(&self.inner.pool, &self.inner.schema).await
    }

    /// The connection pool, for an embedding program's own tables beside the log.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// Starts listening for other processes' appends, if this store is not yet: from when it
    /// returns, every append is announced to [`EventStore::wait_for_append`]. That call
    /// starts it too; call this first to be sure nothing is missed from a given moment on.
    pub async fn listen(&self) -> Result<(), StoreError> {
        let inner = &self.inner;
        inner
            .listening
            .get_or_try_init(|| follow::start(&inner.pool, &inner.channel, inner.head.clone()))
            .await?;
        Ok(())
    }

    /// The PostgreSQL schema the tables are in.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }
}

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A row of `crm_views_snapshots`: position, recorded_at, schema_version first.
fn views_snapshot_info(row: &sqlx::postgres::PgRow) -> Result<SnapshotInfo, StoreError> {
    let position: i64 = row.try_get(0).map_err(backend)?;
    let schema: i32 = row.try_get(2).map_err(backend)?;
    let corrupt = |reason: String| StoreError::Corrupt {
        location: format!("views snapshot at {position}"),
        reason,
    };
    Ok(SnapshotInfo {
        position: u64::try_from(position).map_err(|_| corrupt(format!("position {position}")))?,
        recorded_at: row.try_get(1).map_err(backend)?,
        schema: u32::try_from(schema).map_err(|_| corrupt(format!("schema {schema}")))?,
    })
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let prepared = Prepared::new(stream, expected, events)?;
        self.inner.committer.append(prepared).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        const SQL: &str = concat!(
            "SELECT ",
            rows::columns!(),
            " FROM crm_events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3"
        );
        let rows = sqlx::query(SQL)
            .bind(stream.as_str())
            .bind(signed(from_version))
            .bind(self::limit(limit))
            .fetch_all(&self.inner.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(rows::decode).collect()
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        const SQL: &str = concat!(
            "SELECT ",
            rows::columns!(),
            " FROM crm_events WHERE position >= $1 ORDER BY position LIMIT $2"
        );
        // Decoded as the rows arrive, so that the client's decoding overlaps the server's
        // sending.
        let mut rows = sqlx::query(SQL)
            .bind(signed(from_position))
            .bind(self::limit(limit))
            .fetch(&self.inner.pool);
        let mut events = Vec::with_capacity(limit.min(4096));
        while let Some(row) = rows.try_next().await.map_err(backend)? {
            events.push(rows::decode(&row)?);
        }
        Ok(events)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        let version: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM crm_events WHERE stream = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(stream.as_str())
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(backend)?;
        rows::unsigned(version.unwrap_or(0), "version", -1)
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        follow::read_head(&self.inner.pool).await
    }

    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
        let row =
            sqlx::query("SELECT stream, version, position FROM crm_events WHERE event_id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.inner.pool)
                .await
                .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let position: i64 = row.try_get(2).map_err(backend)?;
        let stream: &str = row.try_get(0).map_err(backend)?;
        let version: i64 = row.try_get(1).map_err(backend)?;
        Ok(Some(StoredAt {
            stream: stream.parse().map_err(|e| StoreError::Corrupt {
                location: format!("position {position}"),
                reason: format!("{e}"),
            })?,
            version: rows::unsigned(version, "version", position)?,
            position: rows::unsigned(position, "position", position)?,
        }))
    }

    async fn save_snapshot(&self, stream: &StreamId, snapshot: Snapshot) -> Result<(), StoreError> {
        // A slow writer must not replace a newer snapshot with an older one.
        sqlx::query(
            "INSERT INTO crm_snapshots (stream, version, schema_version, state) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (stream) DO UPDATE \
             SET version = excluded.version, schema_version = excluded.schema_version, \
                 state = excluded.state \
             WHERE crm_snapshots.version <= excluded.version",
        )
        .bind(stream.as_str())
        .bind(signed(snapshot.version))
        .bind(i64::from(snapshot.schema))
        .bind(&snapshot.state)
        .execute(&self.inner.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        let row = sqlx::query(
            "SELECT version, schema_version, state FROM crm_snapshots WHERE stream = $1",
        )
        .bind(stream.as_str())
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let corrupt = |reason: String| StoreError::Corrupt {
            location: format!("snapshot of {stream}"),
            reason,
        };
        let version: i64 = row.try_get(0).map_err(backend)?;
        let schema: i32 = row.try_get(1).map_err(backend)?;
        Ok(Some(Snapshot {
            version: u64::try_from(version).map_err(|_| corrupt(format!("version {version}")))?,
            schema: u32::try_from(schema).map_err(|_| corrupt(format!("schema {schema}")))?,
            state: row.try_get(2).map_err(backend)?,
        }))
    }

    async fn save_views_snapshot(&self, snapshot: ViewsSnapshot) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO crm_views_snapshots (position, recorded_at, schema_version, state) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (position) DO UPDATE \
             SET recorded_at = excluded.recorded_at, \
                 schema_version = excluded.schema_version, state = excluded.state",
        )
        .bind(signed(snapshot.info.position))
        .bind(snapshot.info.recorded_at)
        .bind(i64::from(snapshot.info.schema))
        .bind(&snapshot.state)
        .execute(&self.inner.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn views_snapshots(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, recorded_at, schema_version FROM crm_views_snapshots \
             ORDER BY position",
        )
        .fetch_all(&self.inner.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(views_snapshot_info).collect()
    }

    async fn load_views_snapshot(
        &self,
        position: u64,
    ) -> Result<Option<ViewsSnapshot>, StoreError> {
        let row = sqlx::query(
            "SELECT position, recorded_at, schema_version, state FROM crm_views_snapshots \
             WHERE position = $1",
        )
        .bind(signed(position))
        .fetch_optional(&self.inner.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ViewsSnapshot {
            info: views_snapshot_info(&row)?,
            state: row.try_get(3).map_err(backend)?,
        }))
    }

    async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM crm_views_snapshots WHERE position = $1")
            .bind(signed(position))
            .execute(&self.inner.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO crm_checkpoints (name, position) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        )
        .bind(name)
        .bind(signed(position))
        .execute(&self.inner.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM crm_checkpoints WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.inner.pool)
                .await
                .map_err(backend)?;
        position
            .map(|p| {
                u64::try_from(p).map_err(|_| StoreError::Corrupt {
                    location: format!("checkpoint {name}"),
                    reason: format!("position {p} is negative"),
                })
            })
            .transpose()
    }

    async fn append_many(&self, appends: Vec<StreamAppend>) -> ManyAppended {
        let mut prepared = Vec::with_capacity(appends.len());
        let mut refused = None;
        for (index, append) in appends.into_iter().enumerate() {
            match Prepared::new(&append.stream, append.expected, append.events) {
                Ok(p) => prepared.push(p),
                Err(error) => {
                    refused = Some((index, error));
                    break;
                }
            }
        }
        let all: Vec<&Prepared> = prepared.iter().collect();
        if let Some(done) = append::write_named(&self.inner.committer.context, &all).await {
            return ManyAppended {
                done,
                failed: refused,
            };
        }
        // In doubt: one by one, so the first that fails stops the rest.
        let mut done = Vec::with_capacity(prepared.len());
        for (index, p) in prepared.into_iter().enumerate() {
            match self.inner.committer.append(p).await {
                Ok(outcome) => done.push(outcome),
                Err(error) => {
                    return ManyAppended {
                        done,
                        failed: Some((index, error)),
                    }
                }
            }
        }
        ManyAppended {
            done,
            failed: refused,
        }
    }

    async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
        let inner = &self.inner;
        self.listen().await?;
        // Listening from here on: an append committed after this read is notified.
        let head = follow::read_head(&inner.pool).await?;
        inner.head.advance(head);
        inner.head.wait_past(position).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_never_show_the_password() {
        let options = PostgresOptions::new("postgres://crm:s3cret@db/shop");
        assert!(!format!("{options:?}").contains("s3cret"));
    }
}
