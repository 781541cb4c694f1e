//! PostgreSQL store benchmarks, each beside the limit it is judged against, in the same run:
//!
//! - `append_100`: a durable 100-event append through the store, and a raw multi-row
//!   `INSERT` of the same encoded rows in one transaction (the limit);
//! - `writers`: single-event appends from 1 and from 8 concurrent writers, through the store
//!   (group commit), and the two global-order designs raw (the head-row lock this store uses,
//!   and positions from a sequence with `pg_current_xact_id`, which needs no lock);
//! - `replay`: reading 20,000 events back through `read_all`, against a raw `SELECT` and
//!   decode of the same rows, and the sled store's `read_all` of the same events.
//!
//! Needs a server: `scripts/postgres-dev.sh run -- cargo bench -p crm-store-postgres`.
//! Without `CRM_POSTGRES_URL` it says so and measures nothing.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use crm_core::event::{Event, NewEvent};
use crm_core::ids::{Category, StreamId};
use crm_core::store::{EventStore, ExpectedVersion};
use crm_core::testing::conformance::sample_event;
use crm_store_postgres::sqlx::{self, PgPool};
use crm_store_postgres::{PostgresOptions, PostgresStore};
use tokio::runtime::Runtime;

fn url() -> Option<String> {
    std::env::var("CRM_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

fn new_stream() -> StreamId {
    StreamId::of(Category::Contact, uuid::Uuid::new_v4())
}

fn batch(stream: &StreamId, n: u64) -> Vec<NewEvent> {
    (0..n).map(|i| sample_event(stream, i)).collect()
}

async fn fresh(url: &str) -> PostgresStore {
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    PostgresStore::connect(
        PostgresOptions::new(url)
            .schema(schema)
            .migrate(true)
            .max_connections(16),
    )
    .await
    .unwrap()
}

/// The rows of `events` as the raw inserts bind them.
struct Rows {
    ids: Vec<uuid::Uuid>,
    streams: Vec<String>,
    versions: Vec<i64>,
    types: Vec<&'static str>,
    schemas: Vec<i32>,
    payloads: Vec<String>,
    metadata: Vec<String>,
    occurred: Vec<chrono::DateTime<chrono::Utc>>,
}

fn rows(stream: &StreamId, events: &[NewEvent]) -> Rows {
    Rows {
        ids: events.iter().map(|e| *e.id.as_uuid()).collect(),
        streams: events.iter().map(|_| stream.to_string()).collect(),
        versions: (1..=events.len() as i64).collect(),
        types: events.iter().map(|e| e.event.type_name()).collect(),
        schemas: events.iter().map(|_| 1).collect(),
        payloads: events
            .iter()
            .map(|e| e.event.data_to_json().unwrap())
            .collect(),
        metadata: events
            .iter()
            .map(|e| serde_json::to_string(&e.metadata).unwrap())
            .collect(),
        occurred: events.iter().map(|e| e.occurred_at).collect(),
    }
}

/// A raw multi-row insert of `rows` into the store's table, positions from `first`, in one
/// transaction: what a store could do at best.
async fn raw_insert(pool: &PgPool, rows: &Rows, first: i64) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO crm_events (position, stream, version, event_id, event_type, \
         schema_version, payload, metadata, occurred_at, recorded_at) \
         SELECT $1 + r.n, r.stream, r.version, r.event_id, r.event_type, r.schema_version, \
                r.payload::jsonb, r.metadata::jsonb, r.occurred_at, now() \
         FROM UNNEST($2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::integer[], \
                     $7::text[], $8::text[], $9::timestamptz[]) WITH ORDINALITY \
              AS r(event_id, stream, version, event_type, schema_version, payload, metadata, \
                   occurred_at, n)",
    )
    .bind(first - 1)
    .bind(&rows.ids)
    .bind(&rows.streams)
    .bind(&rows.versions)
    .bind(&rows.types)
    .bind(&rows.schemas)
    .bind(&rows.payloads)
    .bind(&rows.metadata)
    .bind(&rows.occurred)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

fn append_100(c: &mut Criterion, rt: &Runtime, url: &str) {
    let store = rt.block_on(fresh(url));
    let raw = rt.block_on(fresh(url));
    let mut group = c.benchmark_group("postgres/append_100");
    group.throughput(Throughput::Elements(100));
    group.sample_size(20);
    let dir = tempfile::tempdir().unwrap();
    let sled = crm_store_sled::SledStore::open(dir.path()).unwrap();
    let stores: [(&str, &dyn EventStore); 2] = [("store", &store), ("sled_store", &sled)];
    for (name, store) in stores {
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let s = new_stream();
                    let events = batch(&s, 100);
                    (s, events)
                },
                |(s, events)| {
                    rt.block_on(store.append(&s, ExpectedVersion::NoStream, events))
                        .unwrap()
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    let mut next = 1i64;
    group.bench_function("raw_insert", |b| {
        b.iter_batched(
            || {
                let s = new_stream();
                rows(&s, &batch(&s, 100))
            },
            |rows| {
                rt.block_on(raw_insert(raw.pool(), &rows, next));
                next += 100;
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// `writers` tasks, each appending `per_writer` single events with `append`; the time it took.
fn concurrently<F, Fut>(rt: &Runtime, writers: usize, per_writer: u64, append: F) -> Duration
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let append = Arc::new(append);
    rt.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let append = append.clone();
                tokio::spawn(async move {
                    for n in 0..per_writer {
                        append(w, n).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        started.elapsed()
    })
}

fn writers(c: &mut Criterion, rt: &Runtime, url: &str) {
    let mut group = c.benchmark_group("postgres/writers");
    group.sample_size(10);
    const APPENDS: u64 = 400;
    group.throughput(Throughput::Elements(APPENDS));
    for writers in [1usize, 8] {
        let per_writer = APPENDS / writers as u64;
        let store = Arc::new(rt.block_on(fresh(url)));
        group.bench_function(BenchmarkId::new("store", writers), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let store = store.clone();
                        let streams: Arc<Vec<StreamId>> =
                            Arc::new((0..writers).map(|_| new_stream()).collect());
                        concurrently(rt, writers, per_writer, move |w, n| {
                            let (store, streams) = (store.clone(), streams.clone());
                            async move {
                                let s = &streams[w];
                                let event = sample_event(s, n);
                                store
                                    .append(s, ExpectedVersion::Exact(n), vec![event])
                                    .await
                                    .unwrap();
                            }
                        })
                    })
                    .sum()
            })
        });
        let dir = tempfile::tempdir().unwrap();
        let sled = Arc::new(crm_store_sled::SledStore::open(dir.path()).unwrap());
        group.bench_function(BenchmarkId::new("sled_store", writers), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let sled = sled.clone();
                        let streams: Arc<Vec<StreamId>> =
                            Arc::new((0..writers).map(|_| new_stream()).collect());
                        concurrently(rt, writers, per_writer, move |w, n| {
                            let (sled, streams) = (sled.clone(), streams.clone());
                            async move {
                                let event = sample_event(&streams[w], n);
                                // The sled store blocks its caller until the flush: off the
                                // runtime's threads.
                                tokio::task::spawn_blocking(move || {
                                    futures::executor::block_on(sled.append(
                                        &streams[w],
                                        ExpectedVersion::Exact(n),
                                        vec![event],
                                    ))
                                })
                                .await
                                .unwrap()
                                .unwrap();
                            }
                        })
                    })
                    .sum()
            })
        });
        // The head-row lock, raw: each append its own statement and transaction.
        let locked = rt.block_on(fresh(url));
        let pool = locked.pool().clone();
        group.bench_function(BenchmarkId::new("raw_head_lock", writers), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let pool = pool.clone();
                        concurrently(rt, writers, per_writer, move |_, _| {
                            let pool = pool.clone();
                            let s = new_stream();
                            let rows = rows(&s, &batch(&s, 1));
                            async move {
                                sqlx::query(
                                    "WITH head AS (UPDATE crm_log SET head = head + 1 \
                                     WHERE id = 1 RETURNING head) \
                                     INSERT INTO crm_events (position, stream, version, \
                                     event_id, event_type, schema_version, payload, metadata, \
                                     occurred_at, recorded_at) \
                                     SELECT head, $1, 1, $2, $3, 1, $4::jsonb, $5::jsonb, $6, \
                                     now() FROM head",
                                )
                                .bind(&rows.streams[0])
                                .bind(rows.ids[0])
                                .bind(rows.types[0])
                                .bind(&rows.payloads[0])
                                .bind(&rows.metadata[0])
                                .bind(rows.occurred[0])
                                .execute(&pool)
                                .await
                                .unwrap();
                            }
                        })
                    })
                    .sum()
            })
        });
        // Positions from a sequence and the writer's transaction id: no lock, but readers must
        // hold back to the oldest running transaction and order by (transaction, position).
        let unlocked = rt.block_on(fresh(url));
        rt.block_on(
            sqlx::raw_sql(
                "CREATE TABLE xid_events (position bigserial PRIMARY KEY, \
                 tx xid8 NOT NULL DEFAULT pg_current_xact_id(), stream text NOT NULL, \
                 version bigint NOT NULL, event_id uuid NOT NULL UNIQUE, payload jsonb NOT NULL, \
                 UNIQUE (stream, version)); \
                 CREATE INDEX ON xid_events (tx, position)",
            )
            .execute(unlocked.pool()),
        )
        .unwrap();
        let pool = unlocked.pool().clone();
        group.bench_function(BenchmarkId::new("raw_xid8", writers), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let pool = pool.clone();
                        concurrently(rt, writers, per_writer, move |_, _| {
                            let pool = pool.clone();
                            let s = new_stream();
                            let rows = rows(&s, &batch(&s, 1));
                            async move {
                                sqlx::query(
                                    "INSERT INTO xid_events (stream, version, event_id, payload) \
                                     VALUES ($1, 1, $2, $3::jsonb)",
                                )
                                .bind(&rows.streams[0])
                                .bind(rows.ids[0])
                                .bind(&rows.payloads[0])
                                .execute(&pool)
                                .await
                                .unwrap();
                            }
                        })
                    })
                    .sum()
            })
        });
    }
    group.finish();
}

fn replay(c: &mut Criterion, rt: &Runtime, url: &str) {
    const EVENTS: u64 = 20_000;
    let store = rt.block_on(fresh(url));
    let dir = tempfile::tempdir().unwrap();
    let sled = crm_store_sled::SledStore::open(dir.path()).unwrap();
    rt.block_on(async {
        for chunk in 0..EVENTS / 100 {
            let s = new_stream();
            let events = batch(&s, 100);
            let _ = chunk;
            store
                .append(&s, ExpectedVersion::NoStream, events.clone())
                .await
                .unwrap();
            sled.append(&s, ExpectedVersion::NoStream, events)
                .await
                .unwrap();
        }
    });
    let mut group = c.benchmark_group("postgres/replay");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(10);
    let read_all = |store: &dyn EventStore| {
        rt.block_on(async {
            let mut from = 1;
            let mut n = 0;
            loop {
                let page = store.read_all(from, 1000).await.unwrap();
                let Some(last) = page.last() else { break };
                from = last.position + 1;
                n += page.len();
            }
            assert_eq!(n as u64, EVENTS);
        })
    };
    group.bench_function("store_read_all", |b| b.iter(|| read_all(&store)));
    group.bench_function("raw_select_decode", |b| {
        b.iter(|| {
            rt.block_on(async {
                let rows: Vec<(String, i32, String)> = sqlx::query_as(
                    "SELECT event_type, schema_version, payload::text FROM crm_events \
                     ORDER BY position",
                )
                .fetch_all(store.pool())
                .await
                .unwrap();
                let decoded: Vec<Event> = rows
                    .iter()
                    .map(|(t, v, p)| Event::from_data_json(t, *v as u32, p).unwrap())
                    .collect();
                assert_eq!(decoded.len() as u64, EVENTS);
            })
        })
    });
    group.bench_function("raw_select_decode_whole_rows", |b| {
        b.iter(|| rt.block_on(raw_whole_rows(store.pool(), EVENTS)))
    });
    group.bench_function("sled_read_all", |b| b.iter(|| read_all(&sled)));
    group.finish();
}

type WholeRow = (
    i64,
    String,
    i64,
    uuid::Uuid,
    String,
    i32,
    String,
    String,
    chrono::DateTime<chrono::Utc>,
    i16,
    chrono::DateTime<chrono::Utc>,
);

/// Every column of every row in one query, decoded into the events `read_all` returns: the
/// same work as the store's read, without its paging or checks.
async fn raw_whole_rows(pool: &PgPool, expected: u64) {
    let rows: Vec<WholeRow> = sqlx::query_as(
        "SELECT position, stream, version, event_id, event_type, schema_version, \
         payload::text, metadata::text, occurred_at, occurred_ns, recorded_at \
         FROM crm_events ORDER BY position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let decoded: Vec<crm_core::event::RecordedEvent> = rows
        .into_iter()
        .map(
            |(position, stream, version, id, t, v, payload, metadata, at, ns, recorded)| {
                crm_core::event::RecordedEvent {
                    id: crm_core::ids::EventId::from_uuid(id),
                    stream: stream.parse().unwrap(),
                    version: version as u64,
                    position: position as u64,
                    occurred_at: at + chrono::Duration::nanoseconds(i64::from(ns)),
                    recorded_at: recorded,
                    metadata: serde_json::from_str(&metadata).unwrap(),
                    event: Event::from_data_json(&t, v as u32, &payload).unwrap(),
                }
            },
        )
        .collect();
    assert_eq!(decoded.len() as u64, expected);
}

fn benches(c: &mut Criterion) {
    let Some(url) = url() else {
        eprintln!(
            "skipped: no PostgreSQL server; run `scripts/postgres-dev.sh run -- cargo bench -p crm-store-postgres`"
        );
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    append_100(c, &rt, &url);
    writers(c, &rt, &url);
    replay(c, &rt, &url);
}

criterion_group!(postgres, benches);
criterion_main!(postgres);
