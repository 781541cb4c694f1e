//! Wrapped data keys in one file beside a store on disk, such as the sled store's directory.
//!
//! Why a file of its own and not the store: a log-structured store (sled) keeps an old value
//! in its segment files until it compacts them, so a key deleted there would linger on disk.
//! This file is appended to when a key is made (and synced), and **rewritten whole** when a key
//! is destroyed: the new content goes to a temporary file, is synced, renamed over the old
//! one, and the directory is synced, so the destroyed key's bytes are in no file any more.
//! A destroyed key leaves a tombstone line (the subject only), so no new key is made for an
//! erased person.
//!
//! One line per record, JSON: `{"subject":…,"key":…,"wrapped":…}` or
//! `{"subject":…,"destroyed":true}`; a later line for a subject wins.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::keys::{KeyError, KeyState, KeyStore, WrappedKey};
use crate::ids::CustomerId;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    subject: CustomerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<uuid::Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wrapped: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    destroyed: bool,
}

impl Line {
    fn of(subject: CustomerId, state: &KeyState) -> Option<Self> {
        match state {
            KeyState::Missing => None,
            KeyState::Live(key) => Some(Self {
                subject,
                key: Some(key.id),
                wrapped: Some(BASE64.encode(&key.wrapped)),
                destroyed: false,
            }),
            KeyState::Destroyed => Some(Self {
                subject,
                key: None,
                wrapped: None,
                destroyed: true,
            }),
        }
    }

    fn state(&self) -> Result<KeyState, String> {
        if self.destroyed {
            return Ok(KeyState::Destroyed);
        }
        match (&self.key, &self.wrapped) {
            (Some(id), Some(wrapped)) => Ok(KeyState::Live(WrappedKey {
                id: *id,
                wrapped: BASE64.decode(wrapped).map_err(|e| e.to_string())?,
            })),
            _ => Err("a key line needs `key` and `wrapped`, or `destroyed`".into()),
        }
    }
}

/// Wrapped data keys in a file (see the module docs). One process at a time, like the sled
/// store it sits beside.
#[derive(Debug)]
pub struct FileKeys {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    keys: HashMap<CustomerId, KeyState>,
    /// The file, open for appending.
    file: File,
    /// Lines appended since the last sync.
    dirty: bool,
}

fn backend(path: &Path, e: impl std::fmt::Display) -> KeyError {
    KeyError::Backend(format!("{}: {e}", path.display()))
}

impl FileKeys {
    /// The keys in `path`, created empty if it does not exist. A damaged line is an error
    /// naming the line: a key file is never half read.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, KeyError> {
        let path = path.into();
        let mut state = HashMap::new();
        match File::open(&path) {
            Ok(file) => {
                for (n, line) in BufReader::new(file).lines().enumerate() {
                    let line = line.map_err(|e| backend(&path, e))?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    let parsed: Line = serde_json::from_str(&line)
                        .map_err(|e| backend(&path, format!("line {}: {e}", n + 1)))?;
                    let key = parsed
                        .state()
                        .map_err(|e| backend(&path, format!("line {}: {e}", n + 1)))?;
                    state.insert(parsed.subject, key);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_private(&path, b"").map_err(|e| backend(&path, e))?;
            }
            Err(e) => return Err(backend(&path, e)),
        }
        let file = Self::appender(&path)?;
        Ok(Self {
            path,
            state: Mutex::new(State {
                keys: state,
                file,
                dirty: false,
            }),
        })
    }

    fn appender(path: &Path) -> Result<File, KeyError> {
        OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| backend(path, e))
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes `state` whole to a new file and puts it in place of the old one.
    fn rewrite(&self, state: &HashMap<CustomerId, KeyState>) -> Result<(), KeyError> {
        let mut text = String::new();
        let mut subjects: Vec<_> = state.keys().collect();
        subjects.sort();
        for subject in subjects {
            if let Some(line) = Line::of(*subject, &state[subject]) {
                text.push_str(&serde_json::to_string(&line).map_err(|e| backend(&self.path, e))?);
                text.push('\n');
            }
        }
        let temporary = self.path.with_extension("rewrite");
        write_private(&temporary, text.as_bytes()).map_err(|e| backend(&temporary, e))?;
        std::fs::rename(&temporary, &self.path).map_err(|e| backend(&self.path, e))?;
        sync_dir(&self.path).map_err(|e| backend(&self.path, e))
    }
}

#[async_trait]
impl KeyStore for FileKeys {
    async fn get(&self, subject: CustomerId) -> Result<KeyState, KeyError> {
        Ok(self
            .locked()
            .keys
            .get(&subject)
            .cloned()
            .unwrap_or(KeyState::Missing))
    }

    async fn insert(&self, subject: CustomerId, key: WrappedKey) -> Result<KeyState, KeyError> {
        let mut state = self.locked();
        if let Some(kept) = state.keys.get(&subject) {
            return Ok(kept.clone());
        }
        let live = KeyState::Live(key);
        if let Some(line) = Line::of(subject, &live) {
            let mut text = serde_json::to_string(&line).map_err(|e| backend(&self.path, e))?;
            text.push('\n');
            state
                .file
                .write_all(text.as_bytes())
                .map_err(|e| backend(&self.path, e))?;
            state.dirty = true;
        }
        state.keys.insert(subject, live.clone());
        Ok(live)
    }

    async fn sync(&self) -> Result<(), KeyError> {
        let mut state = self.locked();
        if state.dirty {
            state.file.sync_all().map_err(|e| backend(&self.path, e))?;
            state.dirty = false;
        }
        Ok(())
    }

    async fn destroy(&self, subject: CustomerId) -> Result<(), KeyError> {
        let mut state = self.locked();
        if state.keys.get(&subject) == Some(&KeyState::Destroyed) {
            return Ok(());
        }
        let mut next = state.keys.clone();
        next.insert(subject, KeyState::Destroyed);
        self.rewrite(&next)?;
        state.keys = next;
        // The old file is gone from the directory; append to the new one.
        state.file = Self::appender(&self.path)?;
        state.dirty = false;
        Ok(())
    }

    async fn live_keys(&self) -> Result<Vec<(CustomerId, WrappedKey)>, KeyError> {
        Ok(self
            .locked()
            .keys
            .iter()
            .filter_map(|(subject, state)| match state {
                KeyState::Live(key) => Some((*subject, key.clone())),
                _ => None,
            })
            .collect())
    }
}

/// Writes `bytes` to `path` (created readable by its owner only), synced.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs the directory holding `path`, so a rename in it survives a crash.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        #[cfg(unix)]
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContactId;

    fn subject(n: u128) -> CustomerId {
        CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(n)))
    }

    fn key(n: u8) -> WrappedKey {
        WrappedKey {
            id: uuid::Uuid::from_u128(u128::from(n)),
            wrapped: vec![n; 56],
        }
    }

    #[test]
    fn keys_survive_a_reopen_and_a_destroyed_one_leaves_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        futures::executor::block_on(async {
            let keys = FileKeys::open(&path).unwrap();
            keys.insert(subject(1), key(0xab)).await.unwrap();
            keys.insert(subject(2), key(0xcd)).await.unwrap();
            // A second insert keeps the first key.
            let kept = keys.insert(subject(1), key(0xee)).await.unwrap();
            assert_eq!(kept, KeyState::Live(key(0xab)));
            keys.destroy(subject(1)).await.unwrap();
            let reopened = FileKeys::open(&path).unwrap();
            assert_eq!(reopened.get(subject(1)).await.unwrap(), KeyState::Destroyed);
            assert_eq!(
                reopened.get(subject(2)).await.unwrap(),
                KeyState::Live(key(0xcd))
            );
            assert_eq!(
                reopened.insert(subject(1), key(0x11)).await.unwrap(),
                KeyState::Destroyed,
                "no new key for an erased person"
            );
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let destroyed = BASE64.encode([0xab; 56]);
        assert!(!text.contains(&destroyed), "{text}");
        assert!(text.contains(&BASE64.encode([0xcd; 56])));
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_damaged_key_file_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, "{\"subject\":{\"contact\":\"x\"}}\n").unwrap();
        let error = FileKeys::open(&path).unwrap_err().to_string();
        assert!(error.contains("line 1"), "{error}");
    }
}
