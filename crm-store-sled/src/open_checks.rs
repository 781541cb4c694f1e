//! What `SledStore::open` checks before and after handing a directory to sled.

use std::fs::File;
use std::path::Path;

use crate::{OpenError, FORMAT_KEY, FORMAT_VERSION};

/// Refuses a file, or a non-empty directory without a sled database in it.
pub(crate) fn check_directory(path: &Path) -> Result<(), OpenError> {
    let not_a_store = |reason: &str| OpenError::NotAStore {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    if path.is_file() {
        return Err(not_a_store("it is a file, not a directory"));
    }
    let Ok(mut entries) = std::fs::read_dir(path) else {
        return Ok(()); // Does not exist yet: sled creates it.
    };
    if path.join(crate::commit_record::FILE).is_file() && !path.join("conf").is_file() {
        return Err(OpenError::Damaged {
            path: path.to_path_buf(),
            reason: "it is a crm store whose sled files are gone".into(),
        });
    }
    if entries.next().is_some() && !path.join("conf").is_file() {
        return Err(not_a_store(
            "the directory holds other files and no database",
        ));
    }
    Ok(())
}

/// How long `open` waits for a store closed a moment ago to let go of its lock.
const UNLOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Waits while another handle holds the store's lock. sled releases its lock only when its
/// background writes finish, a little after the last handle is dropped, so a store closed and
/// reopened in one process would otherwise fail now and then; a store held by another
/// process fails after the wait with `OpenError::Locked`.
pub(crate) fn wait_until_unlocked(path: &Path) -> Result<(), OpenError> {
    let Ok(file) = File::options().read(true).write(true).open(path.join("db")) else {
        return Ok(()); // No database yet (or unreadable: sled will say so).
    };
    let deadline = std::time::Instant::now() + UNLOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => {
                return file.unlock().map_err(|e| OpenError::Io {
                    path: path.to_path_buf(),
                    source: Box::new(e),
                })
            }
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(OpenError::Locked {
                    path: path.to_path_buf(),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(OpenError::Io {
                    path: path.to_path_buf(),
                    source: Box::new(e),
                })
            }
        }
    }
}

/// Deletes sled snapshot files that a crash left half-written.
///
/// sled 0.34.7 writes a snapshot to `snap.<lsn>.generating`, fsyncs it, then renames it to
/// `snap.<lsn>`; but when it reopens it picks the newest `snap.*` file without excluding the
/// `.generating` suffix (its filter still names an older suffix, `.in___motion`: see
/// `RunningConfig::get_snapshot_files` in its `config.rs`). A process killed mid-snapshot
/// therefore leaves a store sled refuses to open with `Corruption` (sled issue 1533). Such a
/// file was never renamed, so sled never relied on it: the previous snapshot and the log are
/// intact, and deleting it is safe. Found by `tests/crash.rs` after about one kill in a hundred.
pub(crate) fn remove_unfinished_snapshots(path: &Path) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(path) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            tracing::info!(file = %name, "removing a sled snapshot a crash left unfinished");
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Whether the store in `path` was created compressed, from sled's own `conf` file (sled
/// refuses to open a store with the other setting); `None` where there is no store yet, or
/// its `conf` does not say, and then the options decide.
pub(crate) fn created_compressed(path: &Path) -> Option<bool> {
    // Text lines, then a binary checksum: not valid UTF-8 as a whole.
    let conf = std::fs::read(path.join("conf")).ok()?;
    String::from_utf8_lossy(&conf)
        .lines()
        .find_map(|line| line.strip_prefix("use_compression:"))
        .and_then(|value| value.trim().parse().ok())
}

/// Stamps a new database with the format version; refuses a foreign or newer one.
pub(crate) fn check_format(path: &Path, db: &sled::Db) -> Result<(), OpenError> {
    let io = |e: sled::Error| OpenError::Io {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    match db.get(FORMAT_KEY).map_err(io)? {
        Some(bytes) => {
            let found = <[u8; 4]>::try_from(bytes.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| OpenError::NotAStore {
                    path: path.to_path_buf(),
                    reason: "its format marker is malformed".into(),
                })?;
            if found > FORMAT_VERSION {
                return Err(OpenError::NewerFormat {
                    path: path.to_path_buf(),
                    found,
                    supported: FORMAT_VERSION,
                });
            }
            Ok(())
        }
        None => {
            let foreign = !db.is_empty()
                || db
                    .tree_names()
                    .iter()
                    .any(|name| name.as_ref() != b"__sled__default");
            if foreign {
                return Err(OpenError::NotAStore {
                    path: path.to_path_buf(),
                    reason: "it is a sled database, but not one crm wrote".into(),
                });
            }
            db.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())
                .map_err(io)?;
            Ok(())
        }
    }
}
