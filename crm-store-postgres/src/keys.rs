//! The data keys of personal data in the database, beside the log: `crm_subject_keys`.

use async_trait::async_trait;
use crm_core::crypto::{Kek, KeyError, KeyState, KeyStore, WrappedKey};
use crm_core::ids::CustomerId;
use sqlx::PgPool;

use crate::PostgresStore;

/// The subjects' wrapped data keys in `crm_subject_keys`, shared by every process on the
/// database. A key is inserted once (`ON CONFLICT DO NOTHING`, then read back: two processes
/// that race for a new person's key agree on the winner's). Destroying a key nulls it in its
/// row, which stays as a tombstone.
#[derive(Debug, Clone)]
pub struct PgKeys {
    pool: PgPool,
}

fn backend(e: impl std::fmt::Display) -> KeyError {
    KeyError::Backend(e.to_string())
}

fn subject_text(subject: CustomerId) -> Result<String, KeyError> {
    serde_json::to_string(&subject).map_err(backend)
}

impl PgKeys {
    async fn read(&self, subject: &str) -> Result<KeyState, KeyError> {
        let row: Option<(Option<uuid::Uuid>, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT key_id, wrapped FROM crm_subject_keys WHERE subject = $1")
                .bind(subject)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(match row {
            None => KeyState::Missing,
            Some((Some(id), Some(wrapped))) => KeyState::Live(WrappedKey { id, wrapped }),
            Some(_) => KeyState::Destroyed,
        })
    }
}

#[async_trait]
impl KeyStore for PgKeys {
    async fn get(&self, subject: CustomerId) -> Result<KeyState, KeyError> {
        self.read(&subject_text(subject)?).await
    }

    async fn insert(&self, subject: CustomerId, key: WrappedKey) -> Result<KeyState, KeyError> {
        let subject = subject_text(subject)?;
        sqlx::query(
            "INSERT INTO crm_subject_keys (subject, key_id, wrapped) VALUES ($1, $2, $3) \
             ON CONFLICT (subject) DO NOTHING",
        )
        .bind(&subject)
        .bind(key.id)
        .bind(&key.wrapped)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        self.read(&subject).await
    }

    async fn destroy(&self, subject: CustomerId) -> Result<(), KeyError> {
        sqlx::query(
            "INSERT INTO crm_subject_keys (subject, destroyed_at) VALUES ($1, now()) \
             ON CONFLICT (subject) DO UPDATE SET key_id = NULL, wrapped = NULL, \
             destroyed_at = coalesce(crm_subject_keys.destroyed_at, now())",
        )
        .bind(subject_text(subject)?)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn live_keys(&self) -> Result<Vec<(CustomerId, WrappedKey)>, KeyError> {
        let rows: Vec<(String, uuid::Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT subject, key_id, wrapped FROM crm_subject_keys \
             WHERE wrapped IS NOT NULL ORDER BY subject",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(subject, id, wrapped)| {
                let subject = serde_json::from_str(&subject)
                    .map_err(|e| backend(format!("crm_subject_keys row {subject:?}: {e}")))?;
                Ok((subject, WrappedKey { id, wrapped }))
            })
            .collect()
    }
}

impl PostgresStore {
    /// The data keys of this database's personal data, for
    /// [`crm_core::crypto::Encrypted`].
    pub fn subject_keys(&self) -> PgKeys {
        PgKeys {
            pool: self.pool().clone(),
        }
    }

    /// The key-encryption key kept in the database, made at random the first time: for a
    /// program that gives none of its own. It protects nothing against a stolen backup of the
    /// database (give your own, from outside it, for that); erasure works the same.
    pub async fn stored_kek(&self) -> Result<Kek, KeyError> {
        let fresh = Kek::generate_bytes()?;
        sqlx::query(
            "INSERT INTO crm_key_encryption_key (id, kek) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&fresh)
        .execute(self.pool())
        .await
        .map_err(backend)?;
        let kept: Vec<u8> =
            sqlx::query_scalar("SELECT kek FROM crm_key_encryption_key WHERE id = 1")
                .fetch_one(self.pool())
                .await
                .map_err(backend)?;
        Kek::from_bytes(&kept)
    }
}
