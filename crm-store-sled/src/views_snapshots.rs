//! Snapshots of the views in their own tree, `views`: under `I` + position a small header
//! (recorded time, schema), under `S` + position the state. Listing reads the headers only,
//! so a store with several large snapshots lists them without reading any.

use chrono::DateTime;
use crm_core::store::{SnapshotInfo, StoreError, ViewsSnapshot};

use super::{backend, corrupt};

fn key(kind: u8, position: u64) -> [u8; 9] {
    let mut key = [kind; 9];
    key[1..].copy_from_slice(&position.to_be_bytes());
    key
}

fn header(info: &SnapshotInfo) -> [u8; 12] {
    let mut header = [0; 12];
    header[..8].copy_from_slice(&info.recorded_at.timestamp_micros().to_be_bytes());
    header[8..].copy_from_slice(&info.schema.to_be_bytes());
    header
}

fn parse(key: &[u8], header: &[u8]) -> Result<SnapshotInfo, StoreError> {
    let damaged = |reason: &str| corrupt("views snapshot index".into(), reason);
    let position = key
        .get(1..)
        .and_then(|p| <[u8; 8]>::try_from(p).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| damaged("malformed key"))?;
    let (micros, schema) = (header.get(..8), header.get(8..12));
    let recorded_at = micros
        .and_then(|m| <[u8; 8]>::try_from(m).ok())
        .map(i64::from_be_bytes)
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(|| damaged("malformed recorded time"))?;
    let schema = schema
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| damaged("malformed schema"))?;
    Ok(SnapshotInfo {
        position,
        recorded_at,
        schema,
    })
}

/// Writes the state, then the header that lists it, in one batch.
pub(crate) fn save(tree: &sled::Tree, snapshot: &ViewsSnapshot) -> Result<(), StoreError> {
    let position = snapshot.info.position;
    let mut batch = sled::Batch::default();
    batch.insert(&key(b'S', position), snapshot.state.as_slice());
    batch.insert(&key(b'I', position), &header(&snapshot.info));
    tree.apply_batch(batch).map_err(backend)
}

pub(crate) fn list(tree: &sled::Tree) -> Result<Vec<SnapshotInfo>, StoreError> {
    tree.scan_prefix([b'I'])
        .map(|entry| {
            let (key, header) = entry.map_err(backend)?;
            parse(&key, &header)
        })
        .collect()
}

pub(crate) fn load(tree: &sled::Tree, position: u64) -> Result<Option<ViewsSnapshot>, StoreError> {
    let Some(header) = tree.get(key(b'I', position)).map_err(backend)? else {
        return Ok(None);
    };
    let info = parse(&key(b'I', position), &header)?;
    let state = tree
        .get(key(b'S', position))
        .map_err(backend)?
        .ok_or_else(|| corrupt(format!("views snapshot {position}"), "its state is missing"))?;
    Ok(Some(ViewsSnapshot {
        info,
        state: state.to_vec(),
    }))
}

/// Removes the header first, in the same batch as the state: never a listed snapshot without
/// its state.
pub(crate) fn delete(tree: &sled::Tree, position: u64) -> Result<(), StoreError> {
    let mut batch = sled::Batch::default();
    batch.remove(&key(b'I', position));
    batch.remove(&key(b'S', position));
    tree.apply_batch(batch).map_err(backend)
}
