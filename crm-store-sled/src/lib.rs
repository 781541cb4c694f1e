//! [`SledStore`]: the durable embedded event store for crm, on sled 0.34.
//!
//! - **Atomic appends.** An append's expected-version check, its positions and every write it
//!   makes (events, stream index, id index — all in one tree, see `keys.rs`) happen under one
//!   writer lock and commit as one sled batch: all or nothing, in position order, so a reader
//!   never sees a later position before an earlier one.
//! - **Durable means durable.** sled 0.34 syncs its log with `sync_file_range`, which survives
//!   a process crash but not a power loss; in [`Durability::Durable`] every append also waits
//!   for an `fsync` of the log file. Concurrent durable appends are committed together, one
//!   batch and one flush for all of them (group commit, see `group_commit.rs`).
//! - **Checked.** Opening refuses a directory that is not a crm store or was written by a newer
//!   release; [`SledStore::verify`] walks the whole store and reports every inconsistency.
//! - **Smaller on disk, if asked.** With the `compression` feature, [`SledOptions`]'s
//!   `compression` creates a store whose pages sled compresses with zstd (sled's own feature,
//!   rather than compressing records ourselves: sled's page fragments, not the records, are
//!   most of the size). About half the disk, at about a quarter of the import speed.
//!
//! ```
//! use crm_core::store::{EventStore, ExpectedVersion};
//! use crm_store_sled::SledStore;
//!
//! let dir = tempfile::tempdir()?;
//! let store = SledStore::open(dir.path())?;
//! let head = futures::executor::block_on(store.head_position())?;
//! assert_eq!(head, 0);
//! assert!(store.verify()?.is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every method does its I/O on the calling thread (sled is a blocking library), except
//! durable appends and flushes (the committer thread) and saving or deleting a snapshot of
//! the views (a thread of its own): from an async runtime, call the rest where blocking is
//! acceptable, e.g. `spawn_blocking`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod append;
mod commit_record;
mod durable;
mod error;
mod group_commit;
mod keys;
mod open_checks;
mod options;
mod record;
mod verify;
mod views_snapshots;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use crm_core::event::{NewEvent, RecordedEvent};
use crm_core::ids::{EventId, StreamId};
use crm_core::store::{
    AppendOutcome, EventStore, ExpectedVersion, HeadWatch, ManyAppended, Snapshot, SnapshotInfo,
    StoreError, StoredAt, StreamAppend, ViewsSnapshot,
};
use durable::DiskFlush;
use views_snapshots::ViewsFiles;

use append::{Append, Writer};
pub use error::OpenError;
use group_commit::GroupCommit;
pub use options::{Durability, SledOptions};
pub use verify::{Fault, VerifyReport};

/// The store format this release writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_KEY: &[u8] = b"crm.store.format";

struct Inner {
    path: PathBuf,
    log: sled::Tree,
    snapshots: sled::Tree,
    /// Snapshots of the views, in files beside sled's (see `views_snapshots`).
    views: ViewsFiles,
    checkpoints: sled::Tree,
    /// Where every append is committed.
    writer: Arc<Writer>,
    /// Commits durable appends in groups, and flushes, on its own thread.
    group: GroupCommit,
    /// What the committer calls to make writes durable.
    #[cfg_attr(not(test), allow(dead_code))]
    disk: Arc<DiskFlush>,
    options: SledOptions,
    /// What followers wait on: only this process can have the directory open.
    head: HeadWatch,
}

/// A durable event store in a directory. Cheap to clone: clones share the open database.
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// Runs `work` on a thread of its own and waits for it without holding the caller's: for the
/// rare writes too slow for an async worker (a views snapshot and its fsync).
async fn off_worker<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("crm-sled-views".into())
        .spawn(move || {
            // The receiver gone means the caller stopped waiting: nothing to tell.
            let _ = done.send(work());
        })
        .map_err(backend)?;
    result
        .await
        .map_err(|_| StoreError::Backend("the views snapshot's thread stopped".into()))?
}

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

fn corrupt(location: String, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        location,
        reason: reason.into(),
    }
}

impl SledStore {
    /// Opens (or creates) the store in `path`, durable, stamped by the system clock.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::open_with(path, SledOptions::default())
    }

    /// Opens the store in `path`, durable, refusing to create one: [`OpenError::Missing`]
    /// when there is none.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let options = SledOptions {
            create_if_missing: false,
            ..SledOptions::default()
        };
        Self::open_with(path, options)
    }

    /// Opens (or creates) the store in `path` with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: SledOptions) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let io = |source: Box<dyn std::error::Error + Send + Sync>| OpenError::Io {
            path: path.clone(),
            source,
        };
        open_checks::check_directory(&path)?;
        if !path.join("db").is_file() && path.join(commit_record::FILE).is_file() {
            return Err(OpenError::Damaged {
                path,
                reason: "sled's log file `db` is gone".into(),
            });
        }
        if !options.create_if_missing && !path.join("db").is_file() {
            return Err(OpenError::Missing { path });
        }
        open_checks::wait_until_unlocked(&path)?;
        open_checks::remove_unfinished_snapshots(&path).map_err(|e| io(Box::new(e)))?;
        let compression = open_checks::created_compressed(&path).unwrap_or(options.compression);
        if compression && !cfg!(feature = "compression") {
            return Err(OpenError::Unsupported {
                path,
                reason: "it is compressed (or asked to be), and this build of crm-store-sled has no `compression` feature".into(),
            });
        }
        let config = sled::Config::new()
            .path(&path)
            .use_compression(compression)
            .cache_capacity(options.cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .flush_every_ms(match options.durability {
                Durability::Durable => Some(500),
                Durability::Buffered { flush_every_ms } => Some(flush_every_ms.max(1)),
            });
        let damaged = |reason: String| OpenError::Damaged {
            path: path.clone(),
            reason,
        };
        let committed = commit_record::read(&path).map_err(damaged)?;
        // sled 0.34 panics on some damaged files ("tried to serialize Uninitialized") instead
        // of returning an error: that is a damaged store to report, not a crash.
        let db = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| config.open()))
            .map_err(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "sled failed reading it".into());
                damaged(format!("sled cannot read its files in it ({what})"))
            })?
            .map_err(|e| io(Box::new(e)))?;
        open_checks::check_format(&path, &db)?;
        let open_tree = |name: &str| db.open_tree(name).map_err(|e| io(Box::new(e)));
        let (log, snapshots, checkpoints) = (
            open_tree("log")?,
            open_tree("snapshots")?,
            open_tree("checkpoints")?,
        );
        let views = ViewsFiles::open(&path).map_err(|e| io(Box::new(e)))?;
        let moved = views.take_from_sled(&db).map_err(|e| io(Box::new(e)))?;
        if moved > 0 {
            tracing::info!(
                moved,
                "views snapshots moved out of sled into their own files"
            );
        }
        let next = match log
            .range(keys::event(0)..=keys::event(u64::MAX))
            .next_back()
        {
            Some(entry) => {
                let (key, _) = entry.map_err(|e| io(Box::new(e)))?;
                let last = keys::position_of(&key).ok_or_else(|| OpenError::NotAStore {
                    path: path.clone(),
                    reason: "its last event key is malformed".into(),
                })?;
                last + 1
            }
            None => 1,
        };
        if let Some(committed) = committed {
            if next - 1 < committed.last_position {
                return Err(damaged(format!(
                    "it holds events up to position {}, but {} were committed: sled's files were truncated, deleted or replaced",
                    next - 1,
                    committed.last_position
                )));
            }
        }
        let recorder =
            commit_record::Recorder::open(&path, committed).map_err(|e| io(Box::new(e)))?;
        let writer = Arc::new(Writer::new(log.clone(), next));
        let disk = Arc::new(
            DiskFlush::new(db.clone(), &path, writer.clone(), recorder)
                .map_err(|e| io(Box::new(e)))?,
        );
        disk.flush().map_err(|e| io(e.into()))?;
        let group = {
            let disk = disk.clone();
            GroupCommit::start(writer.clone(), move || disk.flush()).map_err(|e| io(Box::new(e)))?
        };
        let head = HeadWatch::new(writer.head());
        let store = Self {
            inner: Arc::new(Inner {
                path: path.clone(),
                log,
                snapshots,
                views,
                checkpoints,
                writer,
                group,
                disk,
                options,
                head,
            }),
        };
        Ok(store)
    }

    /// The newest snapshot of the views in the store at `path`, read without opening the store
    /// (snapshot files are complete from the moment they are named), so that a caller can
    /// decode it while the store opens on another thread; `None` when there is none.
    /// Nothing vouches for it yet: hand it to [`crm_core::Crm::open_decoded`], which checks it
    /// against the log.
    pub fn newest_views_snapshot(
        path: impl AsRef<Path>,
    ) -> Result<Option<ViewsSnapshot>, StoreError> {
        let files = ViewsFiles::reading(path.as_ref());
        match files.list()?.last() {
            Some(newest) => files.load(newest.position),
            None => Ok(None),
        }
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Makes everything appended so far durable (useful in `Buffered` mode).
    /// Blocks the calling thread until then; async code awaits [`SledStore::flush_async`].
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.group.flush_blocking()
    }

    /// [`SledStore::flush`] for async code: the task waits for the fsync, its thread does not.
    pub async fn flush_async(&self) -> Result<(), StoreError> {
        self.inner.group.flush().await
    }

    /// `Some` when every event was stored before at these very places: a retried append.
    fn read_event(&self, position: u64) -> Result<Option<RecordedEvent>, StoreError> {
        match self.inner.log.get(keys::event(position)).map_err(backend)? {
            None => Ok(None),
            Some(record) => record::decode(position, &record)
                .map(Some)
                .map_err(|reason| corrupt(format!("position {position}"), reason)),
        }
    }

    /// Walks the whole store and checks every invariant; see [`VerifyReport`].
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = verify::run(&self.inner.log)?;
        let found = match self
            .inner
            .log
            .range(keys::event(0)..=keys::event(u64::MAX))
            .next_back()
        {
            Some(entry) => keys::position_of(&entry.map_err(backend)?.0).unwrap_or(0),
            None => 0,
        };
        match commit_record::read(&self.inner.path) {
            Ok(Some(committed)) if committed.last_position > found => {
                report.faults.push(Fault::LostCommitted {
                    committed: committed.last_position,
                    found,
                })
            }
            Ok(_) => {}
            Err(problem) => report.faults.push(Fault::CommitRecord { problem }),
        }
        Ok(report)
    }
}

#[async_trait]
impl EventStore for SledStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let append = Append::prepare(stream, expected, events, self.inner.options.clock.now())?;
        let outcome = match self.inner.options.durability {
            Durability::Durable => self.inner.group.append(append).await,
            Durability::Buffered { .. } => self.inner.writer.commit_one(&append),
        }?;
        self.inner.head.advance(outcome.last_position);
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let start = keys::stream_entry(stream, from_version.max(1));
        let end = keys::stream_entry(stream, u64::MAX);
        let mut events = Vec::with_capacity(limit.min(1024));
        for entry in self.inner.log.range(start..=end).take(limit) {
            let (key, value) = entry.map_err(backend)?;
            let position = keys::parse_u64(&value).ok_or_else(|| {
                corrupt(
                    format!("stream {stream} index {key:?}"),
                    "malformed position",
                )
            })?;
            let event = self.read_event(position)?.ok_or_else(|| {
                corrupt(
                    format!("stream {stream} index"),
                    format!("points at position {position}, which holds no event"),
                )
            })?;
            events.push(event);
        }
        Ok(events)
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let range = keys::event(from_position.max(1))..=keys::event(u64::MAX);
        let mut events = Vec::with_capacity(limit.min(1024));
        for entry in self.inner.log.range(range).take(limit) {
            let (key, record) = entry.map_err(backend)?;
            let position = keys::position_of(&key)
                .ok_or_else(|| corrupt(format!("key {key:?}"), "malformed event key"))?;
            let event = record::decode(position, &record)
                .map_err(|reason| corrupt(format!("position {position}"), reason))?;
            events.push(event);
        }
        Ok(events)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        append::stream_version(&self.inner.log, stream)
    }

    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
        self.inner.writer.stored_at(&id)
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        Ok(self.inner.writer.head())
    }

    async fn save_snapshot(&self, stream: &StreamId, snapshot: Snapshot) -> Result<(), StoreError> {
        let mut value = Vec::with_capacity(12 + snapshot.state.len());
        value.extend_from_slice(&snapshot.version.to_be_bytes());
        value.extend_from_slice(&snapshot.schema.to_be_bytes());
        value.extend_from_slice(&snapshot.state);
        // A slow writer must not replace a newer snapshot with an older one.
        self.inner
            .snapshots
            .fetch_and_update(stream.as_str(), |old| match old {
                Some(old) if old.len() >= 8 && old[..8] > value[..8] => Some(old.to_vec()),
                _ => Some(value.clone()),
            })
            .map_err(backend)?;
        Ok(())
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        let Some(value) = self.inner.snapshots.get(stream.as_str()).map_err(backend)? else {
            return Ok(None);
        };
        if value.len() < 12 {
            return Err(corrupt(format!("snapshot of {stream}"), "truncated"));
        }
        let (version, rest) = value.split_at(8);
        let (schema, state) = rest.split_at(4);
        Ok(Some(Snapshot {
            version: keys::parse_u64(version).unwrap_or(0),
            schema: <[u8; 4]>::try_from(schema)
                .map(u32::from_be_bytes)
                .unwrap_or(0),
            state: state.to_vec(),
        }))
    }

    async fn save_views_snapshot(&self, snapshot: ViewsSnapshot) -> Result<(), StoreError> {
        // Tens of megabytes and an fsync: not on an async worker.
        let inner = self.inner.clone();
        off_worker(move || inner.views.save(&snapshot)).await
    }

    async fn views_snapshots(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        self.inner.views.list()
    }

    async fn load_views_snapshot(
        &self,
        position: u64,
    ) -> Result<Option<ViewsSnapshot>, StoreError> {
        self.inner.views.load(position)
    }

    async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
        // An erasure deletes the snapshots that hold a person in clear: the unlink is synced.
        let inner = self.inner.clone();
        off_worker(move || inner.views.delete(position)).await
    }

    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        self.inner
            .checkpoints
            .insert(name, &position.to_be_bytes())
            .map_err(backend)?;
        if self.inner.options.durability == Durability::Durable {
            self.flush_async().await?;
        }
        Ok(())
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        match self.inner.checkpoints.get(name).map_err(backend)? {
            None => Ok(None),
            Some(value) => keys::parse_u64(&value)
                .map(Some)
                .ok_or_else(|| corrupt(format!("checkpoint {name}"), "malformed position")),
        }
    }

    async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
        self.inner.head.wait_past(position).await;
        Ok(())
    }

    /// One sled batch for the whole run, up to the first append that fails, and (when
    /// durable) one flush.
    async fn append_many(&self, appends: Vec<StreamAppend>) -> ManyAppended {
        let recorded_at = self.inner.options.clock.now();
        let mut prepared = Vec::with_capacity(appends.len());
        let mut refused = None;
        for (index, a) in appends.into_iter().enumerate() {
            match Append::prepare(&a.stream, a.expected, a.events, recorded_at) {
                Ok(append) => prepared.push(append),
                Err(error) => {
                    refused = Some((index, error));
                    break;
                }
            }
        }
        let mut done = Vec::with_capacity(prepared.len());
        let mut failed = None;
        for (index, outcome) in self
            .inner
            .writer
            .commit_prefix(&prepared)
            .into_iter()
            .enumerate()
        {
            match outcome {
                Ok(outcome) => done.push(outcome),
                Err(error) => failed = Some((index, error)),
            }
        }
        let failed = failed.or(refused);
        if matches!(self.inner.options.durability, Durability::Durable) {
            if let Err(error) = self.inner.group.flush().await {
                // Written but not known durable: report the first as failed, like an append.
                return ManyAppended {
                    done: Vec::new(),
                    failed: Some((0, error)),
                };
            }
        }
        if let Some(last) = done.last() {
            self.inner.head.advance(last.last_position);
        }
        ManyAppended { done, failed }
    }
}

#[cfg(test)]
mod tests;
