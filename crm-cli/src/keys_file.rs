//! The data keys of a store as a file, for moving a log to another store: one JSON line per
//! key, `{"subject":…,"key":…,"data_key":"<base64>"}`, in a file only its owner may read.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use crm::ids::CustomerId;
use serde::{Deserialize, Serialize};

use crate::commands::Failure;
use crate::store::Store;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    subject: CustomerId,
    key: uuid::Uuid,
    data_key: String,
}

/// Writes every live key of `store` to the new file `path`; returns how many.
pub async fn write(store: &Store, path: &Path) -> Result<usize, Failure> {
    let keys = store.export_keys().await?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    for (subject, key, data_key) in &keys {
        let line = Line {
            subject: *subject,
            key: *key,
            data_key: BASE64.encode(data_key),
        };
        serde_json::to_writer(&mut file, &line)?;
        file.write_all(b"\n")?;
    }
    file.sync_all()?;
    Ok(keys.len())
}

/// Takes the keys in `path` into `store`; returns how many it holds now (a key of someone
/// erased here, or another key for the same person, is not taken).
pub async fn read(store: &Store, path: &Path) -> Result<usize, Failure> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut taken = 0;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let at = |e: &dyn std::fmt::Display| format!("{} line {}: {e}", path.display(), n + 1);
        let line = line.map_err(|e| at(&e))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(&line).map_err(|e| at(&e))?;
        let data_key = BASE64.decode(&parsed.data_key).map_err(|e| at(&e))?;
        let kept = store
            .import_key(parsed.subject, parsed.key, &data_key)
            .await
            .map_err(|e| at(&e))?;
        if matches!(kept, crm::crypto::KeyState::Live(ref k) if k.id == parsed.key) {
            taken += 1;
        }
    }
    Ok(taken)
}
