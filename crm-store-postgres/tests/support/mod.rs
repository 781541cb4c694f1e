//! The server the tests use: `CRM_POSTGRES_URL`, as `scripts/postgres-dev.sh` exports it.
#![allow(dead_code, clippy::unwrap_used)]

use crm_store_postgres::{PostgresOptions, PostgresStore};

/// The server's URL. Without one a test skips, saying how to start a server; under
/// `CI=true` a missing server is a failure.
pub fn url() -> Option<String> {
    match std::env::var("CRM_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but CRM_POSTGRES_URL is not set: .ci/run starts the server")
        }
        _ => {
            eprintln!(
                "skipped: no PostgreSQL server. Run the tests under \
                 `scripts/postgres-dev.sh run -- cargo test ...`, or set CRM_POSTGRES_URL"
            );
            None
        }
    }
}

/// A schema name no other test uses.
pub fn fresh_schema() -> String {
    format!("t_{}", uuid::Uuid::new_v4().simple())
}

/// A store on an empty log of its own (a new schema).
pub async fn fresh_store(url: &str) -> PostgresStore {
    connect(url, &fresh_schema()).await
}

/// A store on `schema`, migrated.
pub async fn connect(url: &str, schema: &str) -> PostgresStore {
    PostgresStore::connect(PostgresOptions::new(url).schema(schema).migrate(true))
        .await
        .unwrap_or_else(|e| panic!("connect to {url} (schema {schema}): {e}"))
}

/// A multi-threaded tokio runtime for a test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// Each conformance task as a tokio task.
pub struct Tokio;

impl crm_core::testing::conformance::Spawn for Tokio {
    fn spawn(
        &self,
        task: futures::future::BoxFuture<'static, ()>,
    ) -> futures::future::BoxFuture<'static, ()> {
        let handle = tokio::spawn(task);
        Box::pin(async move {
            let _ = handle.await;
        })
    }
}
