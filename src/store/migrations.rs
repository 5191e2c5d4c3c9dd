//! The embedded, ordered migrations and their runner. Each migration runs once, in one
//! transaction, with foreign keys off (SQLite's way to rebuild a table without cascading
//! deletes into its children) and a `foreign_key_check` before it commits, so a migration
//! that leaves a dangling reference fails and changes nothing. Never edit a shipped one.

use rusqlite::{Connection, Transaction};

use crate::error::{Error, Result};

/// One step of the schema.
pub enum Migration {
    /// Statements, run as a batch.
    Sql(&'static str),
    /// A step SQL alone cannot say (it reads the schema it changes).
    Code(fn(&Transaction) -> Result<()>),
}

pub const MIGRATIONS: &[Migration] = &[
    Migration::Sql(include_str!("../../schema.sql")),
    Migration::Sql(include_str!("../../migrations/002-changes.sql")),
    Migration::Sql(include_str!("../../migrations/003-reads.sql")),
    Migration::Code(ids_are_never_reused),
    Migration::Sql(include_str!("../../migrations/005-registry.sql")),
    Migration::Sql(include_str!("../../migrations/006-anonymous-tokens.sql")),
    Migration::Sql(include_str!("../../migrations/007-activity.sql")),
    Migration::Sql(include_str!("../../migrations/008-quotas.sql")),
    Migration::Sql(include_str!("../../migrations/009-manifest-changes.sql")),
    Migration::Sql(include_str!("../../migrations/010-search-vocab.sql")),
];

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current >= MIGRATIONS.len() as i64 {
        return Ok(());
    }
    // A no-op inside a transaction, so it is set around them.
    conn.execute_batch("PRAGMA foreign_keys = OFF;")?;
    let result = run_pending(conn, current);
    conn.execute_batch("PRAGMA foreign_keys = ON;")?;
    result
}

fn run_pending(conn: &mut Connection, current: i64) -> Result<()> {
    for (i, step) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        super::write(conn, |tx| {
            match step {
                Migration::Sql(sql) => tx.execute_batch(sql)?,
                Migration::Code(f) => f(tx)?,
            }
            let dangling: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if dangling != 0 {
                return Err(Error::internal(format_args!(
                    "{dangling} row(s) would point at missing rows"
                )));
            }
            tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
            Ok(())
        })
        .map_err(|e| Error::internal(format_args!("migration {version} failed: {e}")))?;
        log::info!("store migrated to version {version}");
    }
    Ok(())
}

/// Tables whose ids clients see (DTR account and team ids, RegistryUI repository and group
/// ids, API key ids in the web UI, ...). Without `AUTOINCREMENT`, SQLite gives a new row the
/// largest id plus one, so the id of the newest row, once deleted, went to the next one: a
/// script that cached it acted on something else.
const NEVER_REUSED: &[&str] = &[
    "accounts",
    "emails",
    "teams",
    "repositories",
    "images",
    "api_keys",
    "access_tokens",
    "external_repositories",
];

/// Migration 4: each table of [`NEVER_REUSED`] is rebuilt with `id INTEGER PRIMARY KEY
/// AUTOINCREMENT`, keeping every row and id, and its indexes and triggers (SQLite cannot
/// add `AUTOINCREMENT` to a table in place). The new definition is the stored one with that
/// one change, so whatever earlier migrations made of the table stays. Tables that point at
/// a rebuilt one keep pointing at it by name; the full-text index keeps its rowids, which are
/// the same ids.
fn ids_are_never_reused(tx: &Transaction) -> Result<()> {
    // Renaming must not rewrite the triggers and references of other tables (they name the
    // table being replaced, which is what they should go on naming).
    tx.execute_batch("PRAGMA legacy_alter_table = ON;")?;
    for table in NEVER_REUSED {
        rebuild_with_autoincrement(tx, table)?;
    }
    tx.execute_batch("PRAGMA legacy_alter_table = OFF;")?;
    Ok(())
}

fn rebuild_with_autoincrement(tx: &Transaction, table: &str) -> Result<()> {
    let definition: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )?;
    let key = "id            INTEGER PRIMARY KEY,";
    let (head, tail) = definition
        .split_once("INTEGER PRIMARY KEY,")
        .filter(|(head, _)| head.trim_end().ends_with("id"))
        .ok_or_else(|| Error::internal(format_args!("{table}: no `{key}` column")))?;
    let replacement = format!("{table}__rebuilt");
    let create = format!("{head}INTEGER PRIMARY KEY AUTOINCREMENT,{tail}").replacen(
        &format!("CREATE TABLE {table} "),
        &format!("CREATE TABLE {replacement} "),
        1,
    );
    if !create.contains(&replacement) {
        return Err(Error::internal(format_args!(
            "{table}: unexpected definition"
        )));
    }
    let attached: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT sql FROM sqlite_schema
             WHERE tbl_name = ?1 AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        )?;
        let rows = stmt.query_map([table], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    // Stored columns only: generated ones are computed again by the new table.
    let columns: Vec<String> = {
        let mut stmt = tx.prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden = 0")?;
        let rows = stmt.query_map([table], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let columns = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    tx.execute_batch(&create)?;
    tx.execute_batch(&format!(
        "INSERT INTO {replacement} ({columns}) SELECT {columns} FROM {table};
         DROP TABLE {table};
         ALTER TABLE {replacement} RENAME TO {table};"
    ))?;
    for sql in attached {
        tx.execute_batch(&sql)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    fn at_version_1() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        super::super::write(&mut conn, |tx| {
            let Migration::Sql(sql) = MIGRATIONS[0] else {
                unreachable!("migration 1 is schema.sql")
            };
            tx.execute_batch(sql)?;
            tx.execute_batch("PRAGMA user_version = 1")?;
            Ok(())
        })
        .unwrap();
        conn
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A store made before the ids migration keeps every row and id; afterwards a deleted
    /// newest id is not given again, and indexes, triggers, the full-text index and foreign
    /// keys all still work.
    #[test]
    fn after_the_ids_migration_ids_are_never_reused_and_nothing_is_lost() {
        let mut conn = at_version_1();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, password_hash, is_active, is_admin, created_at)
                 VALUES (1, 'don', 'user', 'x', 1, 0, 0), (2, 'acme', 'organization', NULL, 1, 0, 0);
             INSERT INTO teams (id, org_id, name, created_at) VALUES (5, 2, 'owners', 0);
             INSERT INTO team_members (team_id, user_id) VALUES (5, 1);
             INSERT INTO repositories (id, namespace_id, name, full_path, short_description,
                 long_description, long_description_html, is_public, created_at)
                 VALUES (13, 1, 'app', 'don/app', 'the app', '', '', 1, 0),
                        (14, 2, 'web', 'acme/web', 'a site', '', '', 1, 0);
             INSERT INTO repository_team_access (repository_id, team_id, level)
                 VALUES (14, 5, 'read-only');",
        )
        .unwrap();
        let public_before = count(
            &conn,
            "SELECT value FROM counters WHERE name = 'public_repositories'",
        );
        // Before: the newest id goes to the next row.
        conn.execute_batch("DELETE FROM repositories WHERE id = 14")
            .unwrap();
        conn.execute(
            "INSERT INTO repositories (namespace_id, name, full_path, short_description,
                 long_description, long_description_html, is_public, created_at)
             VALUES (2, 'web', 'acme/web', 'a site', '', '', 1, 0)",
            [],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 14, "the bug this migration fixes");
        conn.execute_batch(
            "INSERT INTO repository_team_access (repository_id, team_id, level)
                 VALUES (14, 5, 'read-only');",
        )
        .unwrap();

        migrate(&mut conn).unwrap();
        assert_eq!(count(&conn, "PRAGMA user_version"), MIGRATIONS.len() as i64);
        assert_eq!(count(&conn, "SELECT count(*) FROM repositories"), 2);
        assert_eq!(
            count(&conn, "SELECT count(*) FROM repository_team_access"),
            1
        );
        assert_eq!(count(&conn, "SELECT count(*) FROM team_members"), 1);
        assert_eq!(
            count(
                &conn,
                "SELECT value FROM counters WHERE name = 'public_repositories'"
            ),
            public_before
        );
        assert_eq!(
            count(&conn, "SELECT count(*) FROM pragma_foreign_key_check"),
            0
        );
        // Every rebuilt table says AUTOINCREMENT; indexes and triggers are back.
        for table in NEVER_REUSED {
            let sql: String = conn
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(sql.contains("AUTOINCREMENT"), "{table}");
        }
        for trigger in [
            "repositories_public_insert",
            "repositories_public_delete",
            "repositories_public_update",
            "repositories_fts_insert",
            "repositories_fts_delete",
            "repositories_fts_update",
        ] {
            let sql = format!(
                "SELECT count(*) FROM sqlite_schema WHERE name = '{trigger}' AND tbl_name = 'repositories'"
            );
            assert_eq!(count(&conn, &sql), 1, "{trigger}");
        }
        // The full-text index still finds the rows by their ids.
        assert_eq!(
            count(
                &conn,
                "SELECT rowid FROM repositories_fts WHERE repositories_fts MATCH 'site'"
            ),
            14
        );

        // After: deleting the newest and creating another gives a new id.
        conn.execute_batch("DELETE FROM repositories WHERE id = 14")
            .unwrap();
        assert_eq!(
            count(&conn, "SELECT count(*) FROM repository_team_access"),
            0,
            "cascade"
        );
        conn.execute(
            "INSERT INTO repositories (namespace_id, name, full_path, short_description,
                 long_description, long_description_html, is_public, created_at)
             VALUES (2, 'web', 'acme/web', 'a site', '', '', 1, 0)",
            [],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 15);
        conn.execute_batch("DELETE FROM teams WHERE id = 5")
            .unwrap();
        conn.execute(
            "INSERT INTO teams (org_id, name, created_at) VALUES (2, 'owners', 0)",
            params![],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 6);
        // Foreign keys are enforced again.
        assert!(conn
            .execute(
                "INSERT INTO team_members (team_id, user_id) VALUES (6, 99)",
                []
            )
            .is_err());
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM repositories_fts WHERE repositories_fts MATCH 'site'"
            ),
            1
        );
    }

    /// A store at version 5 keeps every access token, its id sequence included, through
    /// migration 6, which then takes anonymous read tokens and nothing else anonymous.
    #[test]
    fn migration_6_keeps_tokens_and_lets_anonymous_read_tokens_in() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        let at_5 = &MIGRATIONS[..5];
        super::super::write(&mut conn, |tx| {
            for (i, step) in at_5.iter().enumerate() {
                match step {
                    Migration::Sql(sql) => tx.execute_batch(sql)?,
                    Migration::Code(f) => f(tx)?,
                }
                tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            }
            Ok(())
        })
        .unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, password_hash, is_active, is_admin, created_at)
                 VALUES (1, 'don', 'user', 'x', 1, 0, 0);
             INSERT INTO access_tokens (token_hash, user_id, repository, access, created_at, expires_at)
                 VALUES ('h1', 1, 'don/app', 'write', 0, 10), ('h2', 1, 'don/app', 'read', 0, 20),
                        ('h3', 1, 'don/app', 'delete', 0, 30);
             DELETE FROM access_tokens WHERE id = 3;",
        )
        .unwrap();
        assert!(
            conn.execute(
                "INSERT INTO access_tokens (token_hash, user_id, repository, access, created_at, expires_at)
                 VALUES ('a', NULL, 'don/app', 'read', 0, 1)",
                [],
            )
            .is_err(),
            "before migration 6 a token needs an account"
        );
        migrate(&mut conn).unwrap();
        assert_eq!(count(&conn, "PRAGMA user_version"), MIGRATIONS.len() as i64);
        let kept: Vec<(i64, String, Option<i64>, String, i64)> = conn
            .prepare(
                "SELECT id, token_hash, user_id, access, expires_at FROM access_tokens ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            kept,
            [
                (1, "h1".into(), Some(1), "write".into(), 10),
                (2, "h2".into(), Some(1), "read".into(), 20)
            ]
        );
        // An anonymous read token goes in, with an id never given before.
        conn.execute(
            "INSERT INTO access_tokens (token_hash, user_id, repository, access, created_at, expires_at)
             VALUES ('a', NULL, 'don/app', 'read', 0, 1)",
            [],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 4);
        // Nothing else anonymous does.
        for access in ["write", "delete"] {
            assert!(conn
                .execute(
                    "INSERT INTO access_tokens (token_hash, user_id, repository, access, created_at, expires_at)
                     VALUES ('b', NULL, 'don/app', ?1, 0, 1)",
                    [access],
                )
                .is_err());
        }
        // The expiry index is back, and an account's tokens still go with it.
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM sqlite_schema WHERE name = 'access_tokens_expiry'"
            ),
            1
        );
        conn.execute_batch("DELETE FROM accounts WHERE id = 1")
            .unwrap();
        assert_eq!(count(&conn, "SELECT count(*) FROM access_tokens"), 1);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM access_tokens WHERE user_id IS NULL"
            ),
            1
        );
    }
}
