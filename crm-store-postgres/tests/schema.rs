//! Migrations: applied when asked, idempotent, concurrent-safe; an unmigrated, older or newer
//! database is refused with an error that says what to do.
#![allow(clippy::unwrap_used)]

mod support;

use crm_store_postgres::{Error, PostgresOptions, PostgresStore, SCHEMA_VERSION};

#[test]
fn a_database_is_used_only_at_the_schema_version_this_release_knows() {
    let Some(url) = support::url() else { return };
    support::runtime().block_on(async {
        let schema = support::fresh_schema();
        let plain = || PostgresOptions::new(&url).schema(&schema);
        let refused = PostgresStore::connect(plain()).await.unwrap_err();
        assert!(matches!(refused, Error::NotMigrated), "{refused}");
        assert!(refused.to_string().contains("migrate"), "{refused}");

        // Four processes' worth of migrators at once: they wait for each other.
        let migrators = (0..4).map(|_| PostgresStore::connect(plain().migrate(true)));
        for migrated in futures::future::join_all(migrators).await {
            migrated.unwrap();
        }
        let store = PostgresStore::connect(plain()).await.unwrap();
        assert_eq!(store.migrate().await.unwrap(), SCHEMA_VERSION);
        let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM crm_schema_version")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(versions, i64::from(SCHEMA_VERSION), "a migration ran twice");

        sqlx::query("INSERT INTO crm_schema_version (version, description) VALUES ($1, 'future')")
            .bind(SCHEMA_VERSION + 1)
            .execute(store.pool())
            .await
            .unwrap();
        let refused = PostgresStore::connect(plain()).await.unwrap_err();
        assert!(
            matches!(refused, Error::SchemaTooNew { found, supported }
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
            "{refused}"
        );
        let refused = store.migrate().await.unwrap_err();
        assert!(matches!(refused, Error::SchemaTooNew { .. }), "{refused}");
    });
}

#[test]
fn a_bad_schema_name_is_refused_before_anything_is_sent() {
    let refused = support::runtime().block_on(PostgresStore::connect(
        PostgresOptions::new("postgres://nowhere.invalid/x").schema("x\"; DROP TABLE y; --"),
    ));
    assert!(matches!(refused, Err(Error::SchemaName(_))));
}
