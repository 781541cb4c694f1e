//! Where the log is: a directory (the embedded sled store) or a PostgreSQL URL (the store
//! shared by many processes), and the one store type the commands use for either.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use crm::crypto::{Encrypted, FileKeys, Kek, KeyStore};
use crm::event::{NewEvent, RecordedEvent};
use crm::ids::{EventId, StreamId};
use crm::projection::snapshot::Decoded;
use crm::store::{
    AppendOutcome, EventStore, ExpectedVersion, ManyAppended, Snapshot, StoreError, StoredAt,
    StreamAppend,
};
use crm::{PostgresOptions, PostgresStore, SledOptions, SledStore};

use crate::commands::Failure;

/// The store every command uses: the backend, its personal data sealed per person.
pub type Store = Encrypted<AnyStore>;

/// The key-encryption key the environment gives: `CRM_KEY` (32 bytes in base64) or the file
/// named by `CRM_KEY_FILE` (32 raw bytes). `None`: keep one beside the data keys.
fn configured_kek() -> Result<Option<Kek>, Failure> {
    if let Ok(text) = std::env::var("CRM_KEY") {
        return Ok(Some(
            Kek::from_base64(&text).map_err(|e| format!("CRM_KEY: {e}"))?,
        ));
    }
    match std::env::var_os("CRM_KEY_FILE") {
        Some(path) => {
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("CRM_KEY_FILE {}: {e}", PathBuf::from(&path).display()))?;
            let kek = Kek::from_bytes(&bytes)
                .map_err(|e| format!("CRM_KEY_FILE {}: {e}", PathBuf::from(&path).display()))?;
            Ok(Some(kek))
        }
        None => Ok(None),
    }
}

/// The `--store` argument.
#[derive(Debug, Clone)]
pub enum Location {
    /// A sled store's directory.
    Dir(PathBuf),
    /// A PostgreSQL database, `postgres://…` or `postgresql://…`; `?schema=NAME` keeps the
    /// tables in that schema instead of `public`.
    Postgres {
        /// The URL without the `schema` parameter.
        url: String,
        /// The schema the tables are in.
        schema: String,
    },
}

impl FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("the store location is empty".into());
        }
        if !(s.starts_with("postgres://") || s.starts_with("postgresql://")) {
            return Ok(Self::Dir(PathBuf::from(s)));
        }
        let (base, query) = s.split_once('?').unwrap_or((s, ""));
        let mut schema = "public".to_owned();
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.strip_prefix("schema=") {
                Some(name) => schema = name.to_owned(),
                None => kept.push(pair),
            }
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Self::Postgres { url, schema })
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "{}", dir.display()),
            // Never the URL: it may hold a password.
            Self::Postgres { schema, .. } => write!(f, "the PostgreSQL schema {schema}"),
        }
    }
}

/// Either store, so every command runs on both.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// The embedded store.
    Sled(SledStore),
    /// The shared store.
    Postgres(PostgresStore),
}

impl Location {
    /// Opens a store that must exist (and, for PostgreSQL, be migrated): reading never
    /// creates one.
    pub async fn open(&self) -> Result<Store, Failure> {
        Ok(self.open_decoding(false).await?.0)
    }

    /// [`Location::open`], and for a sled store its newest snapshot of the views decoded on a
    /// thread while the store opens, for [`crm::Crm::open_decoded`] to check and start from.
    pub async fn open_with_views(&self) -> Result<(Store, Option<Decoded>), Failure> {
        self.open_decoding(true).await
    }

    async fn open_decoding(&self, views: bool) -> Result<(Store, Option<Decoded>), Failure> {
        let (backend, keys, decoded) = match self {
            Self::Dir(dir) => {
                let (store, keys, decoded) = open_beside(dir, views)?;
                (AnyStore::Sled(store), keys, decoded)
            }
            Self::Postgres { url, schema } => (
                AnyStore::Postgres(
                    PostgresStore::connect(PostgresOptions::new(url).schema(schema)).await?,
                ),
                None,
                None,
            ),
        };
        Ok((self.sealed(backend, keys).await?, decoded))
    }

    /// Opens the store, creating (or migrating) it when needed; `sled` says how a sled store
    /// commits.
    pub async fn create(&self, sled: SledOptions) -> Result<Store, Failure> {
        let backend = match self {
            Self::Dir(dir) => AnyStore::Sled(SledStore::open_with(dir, sled)?),
            Self::Postgres { url, schema } => AnyStore::Postgres(
                PostgresStore::connect(PostgresOptions::new(url).schema(schema).migrate(true))
                    .await?,
            ),
        };
        self.sealed(backend, None).await
    }

    /// `backend` with its personal data sealed: the data keys in the sled store's `keys`
    /// file or the database's `crm_subject_keys`, wrapped by the configured key-encryption
    /// key, else by one kept beside them (the sled store's `kek` file, a database row).
    /// `keys`, when given, are the sled store's, already read.
    async fn sealed(&self, backend: AnyStore, keys: Option<FileKeys>) -> Result<Store, Failure> {
        let configured = configured_kek()?;
        let (keys, kek): (Arc<dyn KeyStore>, Kek) = match (&backend, self) {
            (AnyStore::Sled(_), Self::Dir(dir)) => {
                let keys = Arc::new(match keys {
                    Some(keys) => keys,
                    None => FileKeys::open(dir.join("keys"))?,
                });
                let kek = match configured {
                    Some(kek) => kek,
                    None => Kek::load_or_create(&dir.join("kek"))?,
                };
                (keys, kek)
            }
            (AnyStore::Postgres(store), _) => {
                let kek = match configured {
                    Some(kek) => kek,
                    None => store.stored_kek().await?,
                };
                (Arc::new(store.subject_keys()), kek)
            }
            (AnyStore::Sled(_), Self::Postgres { .. }) => {
                return Err("a sled store opened for a PostgreSQL URL".into())
            }
        };
        Ok(Encrypted::new(backend, keys, Arc::new(kek)))
    }
}

/// The sled store, its key file and its newest snapshot decoded, as [`open_beside`] opens them.
type Opened = (SledStore, Option<FileKeys>, Option<Decoded>);

/// Opens the sled store in `dir` and, on threads beside it, reads its key file if it has one
/// and, when `views`, decodes its newest snapshot of the views: opening sled, reading the keys
/// of tens of thousands of people and decoding the views are each a good part of a one-shot
/// command such as `crm card`, and need not wait for each other. A store without a key file
/// gets one only after sled has opened it, so a directory that is no store is never given one.
/// A snapshot that cannot be read or decoded here is left for the `Crm` to meet and report.
fn open_beside(dir: &std::path::Path, views: bool) -> Result<Opened, Failure> {
    let path = dir.join("keys");
    std::thread::scope(|s| {
        let decoded = views.then(|| {
            s.spawn(|| {
                let snapshot = SledStore::newest_views_snapshot(dir).ok().flatten()?;
                Decoded::new(&snapshot).ok()
            })
        });
        let keys = path.is_file().then(|| s.spawn(|| FileKeys::open(&path)));
        let store = SledStore::open_existing(dir)?;
        let keys = match keys {
            Some(keys) => Some(
                keys.join()
                    .map_err(|_| Failure::from("reading the key file panicked"))??,
            ),
            None => None,
        };
        let decoded = decoded.and_then(|d| d.join().ok().flatten());
        Ok((store, keys, decoded))
    })
}

impl AnyStore {
    /// Makes every acknowledged append durable (PostgreSQL appends are when acknowledged).
    pub fn flush(&self) -> Result<(), StoreError> {
        match self {
            Self::Sled(store) => store.flush(),
            Self::Postgres(_) => Ok(()),
        }
    }
}

/// Calls `$call` on whichever store `$self` is.
macro_rules! either {
    ($self:expr, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sled($store) => $call,
            AnyStore::Postgres($store) => $call,
        }
    };
}

#[async_trait]
impl EventStore for AnyStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        either!(self, s => s.append(stream, expected, events).await)
    }
    async fn read_stream(
        &self,
        stream: &StreamId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        either!(self, s => s.read_stream(stream, from, limit).await)
    }
    async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        either!(self, s => s.read_all(from, limit).await)
    }
    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        either!(self, s => s.stream_version(stream).await)
    }
    async fn head_position(&self) -> Result<u64, StoreError> {
        either!(self, s => s.head_position().await)
    }
    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
        either!(self, s => s.locate(id).await)
    }
    async fn save_snapshot(&self, stream: &StreamId, snapshot: Snapshot) -> Result<(), StoreError> {
        either!(self, s => s.save_snapshot(stream, snapshot).await)
    }
    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        either!(self, s => s.load_snapshot(stream).await)
    }
    async fn save_views_snapshot(
        &self,
        snapshot: crm::store::ViewsSnapshot,
    ) -> Result<(), StoreError> {
        either!(self, s => s.save_views_snapshot(snapshot).await)
    }
    async fn views_snapshots(&self) -> Result<Vec<crm::store::SnapshotInfo>, StoreError> {
        either!(self, s => s.views_snapshots().await)
    }
    async fn load_views_snapshot(
        &self,
        position: u64,
    ) -> Result<Option<crm::store::ViewsSnapshot>, StoreError> {
        either!(self, s => s.load_views_snapshot(position).await)
    }
    async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
        either!(self, s => s.delete_views_snapshot(position).await)
    }
    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        either!(self, s => s.save_checkpoint(name, position).await)
    }
    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        either!(self, s => s.load_checkpoint(name).await)
    }
    async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
        either!(self, s => s.wait_for_append(position).await)
    }
    async fn append_many(&self, appends: Vec<StreamAppend>) -> ManyAppended {
        either!(self, s => s.append_many(appends).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_told_from_a_directory_and_keeps_its_other_parameters() {
        assert!(matches!("crm-data".parse(), Ok(Location::Dir(_))));
        assert!(matches!("./postgres".parse(), Ok(Location::Dir(_))));
        match "postgres://u:p@h/db?sslmode=disable&schema=shop".parse() {
            Ok(Location::Postgres { url, schema }) => {
                assert_eq!(url, "postgres://u:p@h/db?sslmode=disable");
                assert_eq!(schema, "shop");
            }
            other => panic!("{other:?}"),
        }
        match "postgresql://h/db".parse() {
            Ok(Location::Postgres { url, schema }) => {
                assert_eq!(
                    (url.as_str(), schema.as_str()),
                    ("postgresql://h/db", "public")
                );
            }
            other => panic!("{other:?}"),
        }
        let shown = "postgres://u:secret@h/db"
            .parse::<Location>()
            .map(|l| l.to_string());
        assert!(!shown.unwrap_or_default().contains("secret"));
    }
}
