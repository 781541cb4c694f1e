//! What the store knows it committed, kept outside sled's own files: the last durable
//! position, so that a store whose sled files were truncated, deleted or replaced is never
//! opened or verified as healthy.
//!
//! sled recovers from a damaged or missing `db` file by starting over: without a snapshot
//! file to say otherwise, a store that held a million events can open as an empty one, and
//! its own checks find nothing wrong with an empty store. The file `committed` beside sled's
//! holds two slots of `[sequence u64][last position u64][crc32 u32][0u32]`, written in turn
//! after each flush (never the slot just written, so a torn write leaves the other one
//! intact); the valid slot with the higher sequence counts. It is written only after sled's
//! own files are synced, so it never claims more than is durable; it is itself synced at most
//! once a second, so it may claim less, which only makes the check weaker, never wrong.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// The file's name inside the store's directory.
pub(crate) const FILE: &str = "committed";

const SLOT: usize = 24;

/// How often the record itself is synced.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// What the record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Committed {
    sequence: u64,
    /// The last position known durable.
    pub(crate) last_position: u64,
}

fn encode(c: Committed) -> [u8; SLOT] {
    let mut slot = [0u8; SLOT];
    slot[..8].copy_from_slice(&c.sequence.to_be_bytes());
    slot[8..16].copy_from_slice(&c.last_position.to_be_bytes());
    let crc = crc32fast::hash(&slot[..16]);
    slot[16..20].copy_from_slice(&crc.to_be_bytes());
    slot
}

fn decode(slot: &[u8]) -> Option<Committed> {
    let number = |range: std::ops::Range<usize>| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(slot.get(range)?);
        Some(u64::from_be_bytes(bytes))
    };
    let crc = u32::from_be_bytes(slot.get(16..20)?.try_into().ok()?);
    (crc == crc32fast::hash(slot.get(..16)?)).then_some(Committed {
        sequence: number(0..8)?,
        last_position: number(8..16)?,
    })
}

/// Reads the record in `dir`: `Ok(None)` when there is none (a new store, or one written by
/// a release without it), an error when it exists but neither slot is valid.
pub(crate) fn read(dir: &Path) -> Result<Option<Committed>, String> {
    let mut file = match File::open(dir.join(FILE)) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {FILE}: {e}")),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {FILE}: {e}"))?;
    let slots = bytes.chunks(SLOT).filter_map(decode);
    match slots.max_by_key(|c| c.sequence) {
        Some(committed) => Ok(Some(committed)),
        None if bytes.is_empty() => Ok(None),
        None => Err(format!(
            "{FILE} is damaged: neither of its records is valid"
        )),
    }
}

/// Keeps the record up to date.
pub(crate) struct Recorder {
    file: File,
    last: Committed,
    synced_at: Instant,
}

impl Recorder {
    /// Opens (creating) the record in `dir`, continuing from `start`.
    pub(crate) fn open(dir: &Path, start: Option<Committed>) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(FILE))?;
        let mut recorder = Self {
            file,
            last: start.unwrap_or(Committed {
                sequence: 0,
                last_position: 0,
            }),
            synced_at: Instant::now(),
        };
        if start.is_none() {
            recorder.write(0)?;
            recorder.file.sync_all()?;
        }
        Ok(recorder)
    }

    /// Records that everything up to `last_position` is durable.
    pub(crate) fn record(&mut self, last_position: u64) -> std::io::Result<()> {
        if last_position <= self.last.last_position && self.last.sequence > 0 {
            return Ok(());
        }
        self.write(last_position)?;
        if self.synced_at.elapsed() >= SYNC_EVERY {
            self.file.sync_data()?;
            self.synced_at = Instant::now();
        }
        Ok(())
    }

    /// Syncs the record now (on close).
    pub(crate) fn sync(&mut self) -> std::io::Result<()> {
        self.file.sync_data()
    }

    fn write(&mut self, last_position: u64) -> std::io::Result<()> {
        let next = Committed {
            sequence: self.last.sequence + 1,
            last_position,
        };
        let slot = (next.sequence % 2) * SLOT as u64;
        self.file.seek(SeekFrom::Start(slot))?;
        self.file.write_all(&encode(next))?;
        self.last = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_valid_slot_counts_and_a_torn_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mut recorder = Recorder::open(dir.path(), None).unwrap();
        for p in [5, 9, 12] {
            recorder.record(p).unwrap();
        }
        assert_eq!(read(dir.path()).unwrap().unwrap().last_position, 12);
        // Tear the newest slot: the one before it is what counts.
        let path = dir.path().join(FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let newest = (read(dir.path()).unwrap().unwrap().sequence % 2) as usize * SLOT;
        bytes[newest + 9] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(dir.path()).unwrap().unwrap().last_position, 9);
        // Both torn: damaged, said so.
        std::fs::write(&path, [7u8; 2 * SLOT]).unwrap();
        assert!(read(dir.path()).unwrap_err().contains("damaged"));
    }
}
