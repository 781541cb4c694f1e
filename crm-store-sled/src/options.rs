//! How a `SledStore` is opened: durability and the clock that stamps `recorded_at`.

use std::sync::Arc;

use crm_core::clock::{Clock, SystemClock};

/// What an acknowledged append survives. Chosen per store, like redb's `Durability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// An append returns only after its events are on stable storage: sled's log is written
    /// and the file is fsynced, so a process crash, a kernel crash or a power loss loses
    /// nothing acknowledged. Concurrent appends share one flush (group commit).
    #[default]
    Durable,
    /// An append returns once its events are in sled's in-process buffers. sled writes them
    /// to the file every `flush_every_ms`; a crash loses what was appended since the last
    /// write (at most that many milliseconds), never part of a batch. Call
    /// [`SledStore::flush`](crate::SledStore::flush) to make everything so far durable.
    Buffered {
        /// How often sled writes its buffers to the file.
        flush_every_ms: u64,
    },
}

/// Options for [`SledStore::open_with`](crate::SledStore::open_with).
#[derive(Clone)]
pub struct SledOptions {
    /// Durable (default) or buffered.
    pub durability: Durability,
    /// Stamps `recorded_at`.
    pub clock: Arc<dyn Clock>,
    /// sled's page cache, in bytes.
    pub cache_bytes: u64,
    /// Whether opening a path that holds no store creates one (the default). Off, such a
    /// path is [`OpenError::Missing`](crate::OpenError::Missing): what a program that only
    /// reads wants, so that a mistyped path is an error rather than a new, empty store.
    pub create_if_missing: bool,
    /// Whether a store created by this open compresses sled's pages with zstd (needs the
    /// `compression` feature). The Olist log took 1.69x its JSONL on disk compressed against
    /// 3.49x without, imported 3.8x slower and replayed 1.26x slower (docs/performance.md).
    /// An existing store keeps what it was created with, whatever this says: sled cannot
    /// change it afterwards.
    pub compression: bool,
}

impl Default for SledOptions {
    fn default() -> Self {
        Self {
            durability: Durability::Durable,
            clock: Arc::new(SystemClock),
            cache_bytes: 256 * 1024 * 1024,
            create_if_missing: true,
            compression: false,
        }
    }
}

impl std::fmt::Debug for SledOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledOptions")
            .field("durability", &self.durability)
            .field("cache_bytes", &self.cache_bytes)
            .field("create_if_missing", &self.create_if_missing)
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}
