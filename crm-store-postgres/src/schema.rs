//! The store's tables, versioned: the migrations shipped in this crate, how they are applied,
//! and the check that refuses a database this release does not know.

use sqlx::{Connection, PgConnection, PgPool};

use crate::sqlstate;
use crate::Error;

/// A numbered change to the store's tables.
struct Migration {
    version: i32,
    description: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "the event log, its head, snapshots and checkpoints",
        sql: include_str!("../migrations/0001_log.sql"),
    },
    Migration {
        version: 2,
        description: "the data keys of personal data",
        sql: include_str!("../migrations/0002_keys.sql"),
    },
    Migration {
        version: 3,
        description: "snapshots of the views",
        sql: include_str!("../migrations/0003_views_snapshots.sql"),
    },
];

/// The schema version this release writes and the newest it reads.
pub const SCHEMA_VERSION: i32 = 3;

/// The name of the PostgreSQL schema (namespace) the tables live in: lowercase ASCII letters,
/// digits and `_`, starting with a letter or `_`, at most 48 bytes. Checked, because it is
/// spliced into `SET search_path` and names the notification channel.
pub(crate) fn check_name(schema: &str) -> Result<(), Error> {
    let mut chars = schema.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && schema.len() <= 48 {
        Ok(())
    } else {
        Err(Error::SchemaName(schema.chars().take(64).collect()))
    }
}

/// Applies every migration the database lacks, in one transaction, under a lock that makes
/// concurrent migrators wait for each other. Returns the version the database is at.
pub(crate) async fn migrate(pool: &PgPool, schema: &str) -> Result<i32, Error> {
    let mut conn = pool.acquire().await.map_err(Error::Connect)?;
    let mut tx = conn.begin().await.map_err(Error::Connect)?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("crm-store-postgres migrate {schema}"))
        .execute(&mut *tx)
        .await
        .map_err(Error::Connect)?;
    // The name is checked by `check_name`: letters, digits and `_` only.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; \
         CREATE TABLE IF NOT EXISTS \"{schema}\".crm_schema_version ( \
             version integer PRIMARY KEY, \
             description text NOT NULL, \
             applied_at timestamptz NOT NULL DEFAULT now())"
    )))
    .execute(&mut *tx)
    .await
    .map_err(Error::Connect)?;
    let found = current_version(&mut tx).await?.unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        let failed = |source| Error::Migration {
            version: migration.version,
            source,
        };
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        sqlx::query("INSERT INTO crm_schema_version (version, description) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.description)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
    }
    tx.commit().await.map_err(Error::Connect)?;
    Ok(SCHEMA_VERSION.max(found))
}

/// Refuses a database whose tables this release cannot use: never migrated, migrated by an
/// older release (run `migrate`), or by a newer one.
pub(crate) async fn check(pool: &PgPool) -> Result<(), Error> {
    let mut conn = pool.acquire().await.map_err(Error::Connect)?;
    match current_version(&mut conn).await? {
        None => Err(Error::NotMigrated),
        Some(found) if found < SCHEMA_VERSION => Err(Error::SchemaOutdated {
            found,
            required: SCHEMA_VERSION,
        }),
        Some(found) if found > SCHEMA_VERSION => Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        }),
        Some(_) => Ok(()),
    }
}

/// The newest applied migration; `None` when the version table is missing or empty.
async fn current_version(conn: &mut PgConnection) -> Result<Option<i32>, Error> {
    let found: Result<Option<i32>, sqlx::Error> =
        sqlx::query_scalar("SELECT max(version) FROM crm_schema_version")
            .fetch_one(&mut *conn)
            .await;
    match found {
        Ok(version) => Ok(version),
        Err(e) if sqlstate::of(&e).as_deref() == Some(sqlstate::UNDEFINED_TABLE) => Ok(None),
        Err(e) => Err(Error::Connect(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["public", "crm", "_t1", "tenant_42"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Crm",
            "1crm",
            "crm-x",
            "a\"; DROP TABLE x; --",
            &"a".repeat(49),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i32::try_from(i + 1).unwrap_or(0));
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
