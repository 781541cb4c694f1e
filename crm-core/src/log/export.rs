//! Writing a store's log as JSONL.

use std::io::Write;

use super::LogLine;
use crate::store::{EventStore, StoreError};

/// Writes every event from `from_position` on to `out`, one JSON line each, reading `batch`
/// events at a time; returns how many it wrote.
pub async fn export<S: EventStore + ?Sized>(
    store: &S,
    out: &mut impl Write,
    from_position: u64,
    batch: usize,
) -> Result<u64, StoreError> {
    let batch = batch.max(1);
    let mut next = from_position.max(1);
    let mut written = 0;
    let io = |e: std::io::Error| StoreError::Backend(Box::new(e));
    loop {
        let events = store.read_all(next, batch).await?;
        for event in &events {
            next = event.position + 1;
            let line = LogLine::from(event.clone());
            serde_json::to_writer(&mut *out, &line)
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
            out.write_all(b"\n").map_err(io)?;
            written += 1;
        }
        if events.len() < batch {
            out.flush().map_err(io)?;
            return Ok(written);
        }
    }
}
