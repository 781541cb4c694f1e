//! A full read of the log that reports every fault instead of stopping at the first: rows
//! that do not decode, gaps in positions or stream versions, a head that disagrees.

use std::collections::HashMap;

use sqlx::Row;

use crm_core::store::StoreError;

use crate::append::backend;
use crate::rows;
use crate::PostgresStore;

/// What [`PostgresStore::verify`] found: each fault as a sentence naming its position.
pub type VerifyReport = crm_core::store::VerifyReport<String>;

const PAGE: i64 = 5_000;

impl PostgresStore {
    /// Reads the whole log and checks it: every row decodes, positions run 1, 2, 3 up to the
    /// head, and every stream's versions run 1, 2, 3.
    pub async fn verify(&self) -> Result<VerifyReport, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            rows::columns!(),
            " FROM crm_events WHERE position > $1 ORDER BY position LIMIT $2"
        );
        let mut faults = Vec::new();
        let mut versions: HashMap<String, u64> = HashMap::new();
        let mut last: i64 = 0;
        let mut events = 0;
        loop {
            let page = sqlx::query(SQL)
                .bind(last)
                .bind(PAGE)
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
            for row in &page {
                let position: i64 = row.try_get(0).map_err(backend)?;
                let stream: String = row.try_get(1).map_err(backend)?;
                let version: i64 = row.try_get(2).map_err(backend)?;
                events += 1;
                if position != last + 1 {
                    faults.push(format!(
                        "position {position} follows {last}: positions must not have gaps"
                    ));
                }
                last = position;
                if let Err(e) = rows::decode(row) {
                    faults.push(e.to_string());
                }
                let expected = versions.get(&stream).map_or(1, |v| v + 1);
                if u64::try_from(version).ok() != Some(expected) {
                    faults.push(format!(
                        "stream {stream}: expected version {expected}, found {version} at position {position}"
                    ));
                }
                versions.insert(stream, u64::try_from(version).unwrap_or(0));
            }
            if (page.len() as i64) < PAGE {
                break;
            }
        }
        let head = crate::follow::read_head(self.pool()).await?;
        if u64::try_from(last).ok() != Some(head) {
            faults.push(format!(
                "the log's head says {head}, but the last event is at position {last}"
            ));
        }
        Ok(VerifyReport {
            events,
            streams: versions.len() as u64,
            faults,
        })
    }
}
