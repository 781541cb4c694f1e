//! How to reach and use the database.

/// How to reach and use the database.
#[derive(Clone)]
pub struct PostgresOptions {
    pub(crate) url: String,
    pub(crate) schema: String,
    pub(crate) max_connections: u32,
    pub(crate) migrate: bool,
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("PostgresOptions")
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("migrate", &self.migrate)
            .finish_non_exhaustive()
    }
}

impl PostgresOptions {
    /// The database at `url` (`postgres://user:password@host:port/database`), tables in the
    /// `public` schema, a pool of 10 connections, no migration.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: "public".into(),
            max_connections: 10,
            migrate: false,
        }
    }

    /// Keeps the tables in `schema` (created by the migration): several logs in one
    /// database, one per schema.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// The most connections the pool opens (at least 2: appends and reads overlap).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(2);
        self
    }

    /// Whether `connect` applies missing migrations before checking the schema version.
    pub fn migrate(mut self, yes: bool) -> Self {
        self.migrate = yes;
        self
    }
}
