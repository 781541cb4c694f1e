//! Snapshots of the views, each in a file of its own under the store's `views/` directory,
//! not in sled.
//!
//! They lived in a sled tree first, and that made every one-shot command slow: sled 0.34
//! keeps a value this large (the Olist views are 28 MB) in a blob file beside its log, reads
//! every blob a leaf page points at when it pulls the page in (so loading one snapshot read all
//! four the store held), copies each blob twice on the way out, and read the newest one twice
//! more while opening. A file is read once, into one buffer of its exact size: loading the
//! Olist snapshot went from about 90 ms to about 20 ms, and opening the store from 70–80 ms
//! to about 30 ms (docs/performance.md).
//! A deleted snapshot's file is unlinked at once, too, rather than whenever sled cleans the
//! segment that pointed at it, which is what an erasure wants.
//!
//! A file, `<position, 20 digits>.views`, is a 32-byte header and the state:
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | `crmviews` |
//! | 4 | the views' schema (u32, big-endian) |
//! | 8 | when the event at its position was recorded (microseconds since 1970, i64) |
//! | 8 | the state's length (u64) |
//! | 4 | the state's CRC-32 |
//!
//! It is written under a temporary name, synced, and renamed into place, so a crash leaves
//! either the whole file or a temporary one that the next open removes. Listing reads the
//! headers only. A file whose state does not match its length or checksum is reported as
//! corrupt when it is loaded; the views then ignore it and rebuild from the events.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::DateTime;
use crm_core::store::{SnapshotInfo, StoreError, ViewsSnapshot};

use super::{backend, corrupt};

/// The directory, inside the store's, that holds them.
pub(crate) const DIR: &str = "views";
const MAGIC: &[u8; 8] = b"crmviews";
const HEADER: usize = 32;
const SUFFIX: &str = ".views";
const UNFINISHED: &str = ".views.tmp";

fn file_name(position: u64) -> String {
    format!("{position:020}{SUFFIX}")
}

/// The position a snapshot file's name gives; `None` for any other file.
fn position_in(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SUFFIX)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn header(info: &SnapshotInfo, state: &[u8]) -> [u8; HEADER] {
    let mut header = [0; HEADER];
    header[..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&info.schema.to_be_bytes());
    header[12..20].copy_from_slice(&info.recorded_at.timestamp_micros().to_be_bytes());
    header[20..28].copy_from_slice(&(state.len() as u64).to_be_bytes());
    header[28..].copy_from_slice(&crc32fast::hash(state).to_be_bytes());
    header
}

/// What a header says: where the snapshot stands, and its state's length and checksum.
struct Header {
    info: SnapshotInfo,
    length: u64,
    crc: u32,
}

fn parse(position: u64, header: &[u8]) -> Result<Header, String> {
    fn field<const N: usize>(header: &[u8], at: usize) -> Option<[u8; N]> {
        header.get(at..at + N).and_then(|b| b.try_into().ok())
    }
    if header.get(..8) != Some(&MAGIC[..]) {
        return Err("it does not start with a views snapshot's header".into());
    }
    let schema = field(header, 8).map(u32::from_be_bytes);
    let recorded_at = field(header, 12)
        .map(i64::from_be_bytes)
        .and_then(DateTime::from_timestamp_micros);
    let length = field(header, 20).map(u64::from_be_bytes);
    let crc = field(header, 28).map(u32::from_be_bytes);
    match (schema, recorded_at, length, crc) {
        (Some(schema), Some(recorded_at), Some(length), Some(crc)) => Ok(Header {
            info: SnapshotInfo {
                position,
                recorded_at,
                schema,
            },
            length,
            crc,
        }),
        (_, None, _, _) if schema.is_some() => Err("its recorded time is out of range".into()),
        _ => Err("its header is cut short".into()),
    }
}

fn damaged(position: u64, reason: impl Into<String>) -> StoreError {
    corrupt(format!("views snapshot {position}"), reason)
}

/// The snapshots of one store's views.
pub(crate) struct ViewsFiles {
    dir: PathBuf,
}

impl ViewsFiles {
    /// The snapshots in `store`'s `views/` directory (created when missing), after removing
    /// what a crash left half written.
    pub(crate) fn open(store: &Path) -> std::io::Result<Self> {
        let dir = store.join(DIR);
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().ends_with(UNFINISHED) {
                tracing::info!(file = %entry.path().display(), "removing a views snapshot a crash left unfinished");
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(Self { dir })
    }

    /// The snapshots in `store`'s `views/` directory, read as they are: nothing is created
    /// or removed.
    pub(crate) fn reading(store: &Path) -> Self {
        Self {
            dir: store.join(DIR),
        }
    }

    fn path(&self, position: u64) -> PathBuf {
        self.dir.join(file_name(position))
    }

    /// Writes the snapshot whole, then names it: never a listed snapshot half written.
    pub(crate) fn save(&self, snapshot: &ViewsSnapshot) -> Result<(), StoreError> {
        let position = snapshot.info.position;
        let unfinished = self.path(position).with_extension("views.tmp");
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&unfinished)?;
            file.write_all(&header(&snapshot.info, &snapshot.state))?;
            file.write_all(&snapshot.state)?;
            file.sync_all()?;
            std::fs::rename(&unfinished, self.path(position))?;
            File::open(&self.dir)?.sync_all()
        };
        write().map_err(|e| {
            // Best effort: the next open removes it anyway.
            let _ = std::fs::remove_file(&unfinished);
            backend(e)
        })
    }

    /// The snapshots held, by position. A file whose header cannot be read cannot be chosen:
    /// it is left out with a warning, and its position is free for a new snapshot.
    pub(crate) fn list(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        let mut held = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(held),
            Err(e) => return Err(backend(e)),
        };
        for entry in entries {
            let entry = entry.map_err(backend)?;
            let Some(position) = position_in(&entry.file_name().to_string_lossy()) else {
                continue;
            };
            let mut bytes = [0; HEADER];
            let read = File::open(entry.path()).and_then(|mut f| f.read_exact(&mut bytes));
            let parsed = match read {
                Ok(()) => parse(position, &bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    Err("its header is cut short".into())
                }
                Err(e) => return Err(backend(e)),
            };
            match parsed {
                Ok(header) => held.push(header.info),
                Err(why) => {
                    tracing::warn!(file = %entry.path().display(), %why, "a views snapshot is left out");
                }
            }
        }
        held.sort_by_key(|info| info.position);
        Ok(held)
    }

    /// The snapshot at `position`; an error naming it when its bytes are not what its header
    /// says they are.
    pub(crate) fn load(&self, position: u64) -> Result<Option<ViewsSnapshot>, StoreError> {
        let mut bytes = match std::fs::read(self.path(position)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(backend(e)),
        };
        let header = parse(position, &bytes).map_err(|why| damaged(position, why))?;
        let state_length = bytes.len() - HEADER.min(bytes.len());
        if header.length != state_length as u64 {
            return Err(damaged(
                position,
                format!(
                    "its header gives {} bytes of state, the file holds {state_length}",
                    header.length
                ),
            ));
        }
        if crc32fast::hash(&bytes[HEADER..]) != header.crc {
            return Err(damaged(position, "its state does not match its checksum"));
        }
        // Moves the state to the front in place: no second buffer of its size.
        bytes.drain(..HEADER);
        Ok(Some(ViewsSnapshot {
            info: header.info,
            state: bytes,
        }))
    }

    /// Unlinks the snapshot at `position`, and syncs the directory so that it stays gone.
    pub(crate) fn delete(&self, position: u64) -> Result<(), StoreError> {
        match std::fs::remove_file(self.path(position)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(backend(e)),
        }
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(backend)
    }

    /// Moves the snapshots an earlier release kept in sled's `views` tree (under `I` +
    /// position a header of recorded time and schema, under `S` + position the state) into
    /// files, then drops the tree, so a store written before keeps opening from its snapshots.
    pub(crate) fn take_from_sled(&self, db: &sled::Db) -> Result<usize, StoreError> {
        const TREE: &[u8] = b"views";
        if !db.tree_names().iter().any(|name| name == TREE) {
            return Ok(0);
        }
        let tree = db.open_tree(TREE).map_err(backend)?;
        let mut moved = 0;
        for entry in tree.scan_prefix([b'I']) {
            let (key, header) = entry.map_err(backend)?;
            let legacy = key
                .get(1..)
                .and_then(|p| <[u8; 8]>::try_from(p).ok())
                .map(u64::from_be_bytes)
                .and_then(|position| {
                    let micros = header.get(..8)?.try_into().ok().map(i64::from_be_bytes)?;
                    let schema = header.get(8..12)?.try_into().ok().map(u32::from_be_bytes)?;
                    Some(SnapshotInfo {
                        position,
                        recorded_at: DateTime::from_timestamp_micros(micros)?,
                        schema,
                    })
                });
            let Some(info) = legacy else {
                tracing::warn!("a views snapshot in the old layout has a damaged header; dropped");
                continue;
            };
            let mut state_key = vec![b'S'];
            state_key.extend_from_slice(&info.position.to_be_bytes());
            if let Some(state) = tree.get(&state_key).map_err(backend)? {
                self.save(&ViewsSnapshot {
                    info,
                    state: state.to_vec(),
                })?;
                moved += 1;
            }
        }
        db.drop_tree(TREE).map_err(backend)?;
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(position: u64, schema: u32) -> SnapshotInfo {
        SnapshotInfo {
            position,
            recorded_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            schema,
        }
    }

    fn saved(files: &ViewsFiles, position: u64, state: &[u8]) {
        files
            .save(&ViewsSnapshot {
                info: info(position, 2),
                state: state.to_vec(),
            })
            .unwrap();
    }

    #[test]
    fn a_snapshot_reads_back_as_written_and_lists_by_position() {
        let dir = tempfile::tempdir().unwrap();
        let files = ViewsFiles::open(dir.path()).unwrap();
        saved(&files, 30, b"thirty");
        saved(&files, 4, b"four");
        assert_eq!(files.list().unwrap(), vec![info(4, 2), info(30, 2)]);
        let back = files.load(30).unwrap().unwrap();
        assert_eq!((back.info, back.state), (info(30, 2), b"thirty".to_vec()));
        assert_eq!(files.load(5).unwrap(), None);
        files.delete(4).unwrap();
        files.delete(4).unwrap();
        assert_eq!(files.list().unwrap(), vec![info(30, 2)]);
    }

    #[test]
    fn a_damaged_file_is_reported_where_it_is_read_and_never_stops_the_listing() {
        let dir = tempfile::tempdir().unwrap();
        let files = ViewsFiles::open(dir.path()).unwrap();
        saved(&files, 7, b"the views at seven");
        saved(&files, 9, b"the views at nine");
        let path = files.path(7);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let flipped = files.load(7).unwrap_err();
        assert!(flipped.to_string().contains("checksum"), "{flipped}");
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let cut = files.load(7).unwrap_err();
        assert!(cut.to_string().contains("the file holds"), "{cut}");
        for garbage in [
            &b"crmviews\x00\x00"[..],
            b"not a snapshot at all, not at all",
        ] {
            std::fs::write(&path, garbage).unwrap();
            assert_eq!(files.list().unwrap(), vec![info(9, 2)], "{garbage:?}");
            assert!(matches!(files.load(7), Err(StoreError::Corrupt { .. })));
        }
        std::fs::write(dir.path().join(DIR).join("notes.txt"), "hello").unwrap();
        assert_eq!(files.list().unwrap(), vec![info(9, 2)]);
    }

    #[test]
    fn a_snapshot_a_crash_left_unfinished_is_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let files = ViewsFiles::open(dir.path()).unwrap();
        saved(&files, 3, b"three");
        let unfinished = dir.path().join(DIR).join(format!("{:020}{UNFINISHED}", 8));
        std::fs::write(&unfinished, b"crmviews half").unwrap();
        let files = ViewsFiles::open(dir.path()).unwrap();
        assert!(!unfinished.exists());
        assert_eq!(files.list().unwrap(), vec![info(3, 2)]);
    }

    #[test]
    fn only_names_of_twenty_digits_are_snapshots() {
        assert_eq!(position_in(&file_name(42)), Some(42));
        assert_eq!(position_in(&file_name(u64::MAX)), Some(u64::MAX));
        for other in [
            "42.views",
            "0000000000000000004a.views",
            "00000000000000000042.tmp",
        ] {
            assert_eq!(position_in(other), None, "{other}");
        }
        assert_eq!(position_in("99999999999999999999.views"), None);
    }
}
