//! Why a store could not be opened.

/// Why a store could not be opened. Match on the variant, never on the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server could not be reached, or refused us.
    #[error("cannot use the PostgreSQL database: {0}")]
    Connect(#[source] sqlx::Error),
    /// The schema name is not a plain lowercase identifier.
    #[error("schema name {0:?} must be lowercase letters, digits and _, at most 48 bytes, not starting with a digit")]
    SchemaName(String),
    /// The database has no crm tables: run [`PostgresStore::migrate`](crate::PostgresStore::migrate) (or connect with
    /// [`PostgresOptions::migrate`](crate::PostgresOptions::migrate)).
    #[error("the database has no crm tables; migrate it first (`crm migrate` or PostgresOptions::migrate)")]
    NotMigrated,
    /// The tables are of an older release: migrate them.
    #[error("the database's crm tables are at schema version {found}; this release needs {required}: migrate it")]
    SchemaOutdated {
        /// The version found.
        found: i32,
        /// The version this release needs.
        required: i32,
    },
    /// The tables were migrated by a newer release, which this one cannot read safely.
    #[error("the database's crm tables are at schema version {found}, newer than this release reads ({supported}); upgrade crm")]
    SchemaTooNew {
        /// The version found.
        found: i32,
        /// The newest this release knows.
        supported: i32,
    },
    /// A migration failed; its transaction was rolled back, so the database is as it was.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// The migration's number.
        version: i32,
        /// Why.
        source: sqlx::Error,
    },
}
