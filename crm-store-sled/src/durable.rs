//! What makes a write durable: sled's flush, an `fsync` of its log, and an `fsync` of the
//! blob files sled writes beside its log.
//!
//! sled 0.34 stores a value too large for its log pages (about 128 KiB and more) in a file of
//! its own under `blobs/`, written with plain `write_all` and never synced (see `write_blob`
//! in its `pagecache/blob_io.rs`); the log only points at it. Syncing the log alone would make
//! the pointer durable and leave the event it points at in the page cache, lost on a power
//! failure. So every flush also syncs the blob files created since the last one, and the
//! `blobs/` directory that names them.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::append::Writer;
use crate::commit_record::Recorder;

/// Flushes one store's writes to stable storage.
pub(crate) struct DiskFlush {
    db: sled::Db,
    log_file: File,
    blobs: PathBuf,
    /// Blob files already synced: each needs it once, since sled never rewrites one.
    synced: Mutex<HashSet<OsString>>,
    /// Where the positions come from.
    writer: Arc<Writer>,
    /// Notes, after each flush, how far the log is durable (see `commit_record.rs`).
    recorder: Mutex<Recorder>,
}

impl DiskFlush {
    pub(crate) fn new(
        db: sled::Db,
        store: &Path,
        writer: Arc<Writer>,
        recorder: Recorder,
    ) -> std::io::Result<Self> {
        Ok(Self {
            db,
            log_file: File::open(store.join("db"))?,
            blobs: store.join("blobs"),
            synced: Mutex::new(HashSet::new()),
            writer,
            recorder: Mutex::new(recorder),
        })
    }

    /// sled's flush (its buffers to the file, with `sync_file_range`), then an `fsync` of the
    /// new blob files, their directory and the log file — which also flushes the drive's
    /// cache and the file's metadata.
    pub(crate) fn flush(&self) -> Result<(), String> {
        // Read before flushing: everything up to it is durable once the flush returns.
        let head = self.writer.head();
        self.db.flush().map_err(|e| format!("sled flush: {e}"))?;
        self.sync_new_blobs()
            .map_err(|e| format!("fsync of {}: {e}", self.blobs.display()))?;
        self.log_file
            .sync_all()
            .map_err(|e| format!("fsync of the log file: {e}"))?;
        let mut recorder = self.recorder.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = recorder.record(head) {
            // The events are durable; only the damage check knows a little less.
            tracing::warn!(%error, "the commit record could not be updated");
        }
        Ok(())
    }

    fn sync_new_blobs(&self) -> std::io::Result<()> {
        let entries = match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut synced = self.synced.lock().unwrap_or_else(PoisonError::into_inner);
        let mut present = HashSet::new();
        let mut any_new = false;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if !synced.contains(&name) {
                File::open(entry.path())?.sync_all()?;
                any_new = true;
            }
            present.insert(name);
        }
        if any_new {
            File::open(&self.blobs)?.sync_all()?;
        }
        // Blobs sled has since deleted need not be remembered.
        *synced = present;
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn synced_blobs(&self) -> usize {
        self.synced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for DiskFlush {
    fn drop(&mut self) {
        let recorder = self
            .recorder
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = recorder.sync() {
            tracing::warn!(%error, "the commit record could not be synced on close");
        }
    }
}
