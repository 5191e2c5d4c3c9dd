//! The SQL of backups: a consistent copy of a live database in one statement, and the checks
//! that say whether a database file is a sound Berth store. File handling (temporary names,
//! fsync, renames, the key file, progress) lives in `ops::backup`.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::MIGRATIONS;
use crate::error::{Error, Result};

/// What a verified database file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub schema_version: i64,
    pub accounts: i64,
    pub repositories: i64,
    pub tags: i64,
    pub external_repositories: i64,
    /// Ids of the secrets keys that sealed the stored credentials.
    pub key_ids: Vec<String>,
}

/// The database size in bytes as SQLite counts it (pages in use times page size), for
/// progress reports.
pub fn size_in_use(conn: &Connection) -> Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok(u64::try_from((pages - free).max(0) * size).unwrap_or(0))
}

/// Write a consistent, compacted copy of the database to `target`, which must not exist.
/// `VACUUM INTO` reads one snapshot in one statement, so writers on other connections neither
/// block it nor make it start over (as the step-wise backup API would).
pub fn vacuum_into(conn: &Connection, target: &Path) -> Result<()> {
    let target = target
        .to_str()
        .ok_or_else(|| Error::operator("the backup path is not valid UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    Ok(())
}

/// Open `path` read-only and check it: `integrity_check` is `ok`, `foreign_key_check` finds
/// nothing, and its schema is one this build knows. Never creates or changes the file.
pub fn verify(path: &Path) -> Result<Summary> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::operator(format!("cannot open {}: {e}", path.display())))?;
    let bad = |what: String| Error::operator(format!("{}: {what}", path.display()));
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| bad(format!("not a readable SQLite database ({e})")))?;
    if integrity != ["ok"] {
        return Err(bad(format!(
            "integrity_check failed: {}",
            integrity.join("; ")
        )));
    }
    let orphans: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(|e| bad(e.to_string()))?;
    if orphans != 0 {
        return Err(bad(format!(
            "foreign_key_check found {orphans} row(s) pointing at missing rows"
        )));
    }
    let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if schema_version < 1 {
        return Err(bad("not a Berth store (no schema version)".to_owned()));
    }
    if schema_version > known {
        return Err(bad(format!(
            "schema version {schema_version} is newer than this Berth knows ({known})"
        )));
    }
    let count = |table: &str| -> Result<i64> {
        Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    };
    Ok(Summary {
        schema_version,
        accounts: count("accounts")?,
        repositories: count("repositories")?,
        tags: count("tags")?,
        external_repositories: count("external_repositories")?,
        key_ids: super::external::key_ids_in_use(&conn)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_of_a_store_verifies_and_counts_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(&dir.path().join("data")).unwrap();
        let mut conn = store.conn().unwrap();
        crate::core::accounts::bootstrap(&mut conn, Some("a-long-password"), 4).unwrap();
        let target = dir.path().join("copy.db");
        vacuum_into(&conn, &target).unwrap();
        let summary = verify(&target).unwrap();
        assert_eq!(summary.schema_version, MIGRATIONS.len() as i64);
        assert_eq!(
            summary.accounts, 2,
            "the admin and the library organization"
        );
        assert_eq!(summary.repositories, 0);
        assert!(summary.key_ids.is_empty());
        assert!(size_in_use(&conn).unwrap() > 0);
        // VACUUM INTO refuses to overwrite.
        assert!(vacuum_into(&conn, &target).is_err());
    }

    #[test]
    fn verify_refuses_what_is_not_a_sound_store() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, vec![b'x'; 8192]).unwrap();
        assert!(verify(&junk).is_err());
        let empty = dir.path().join("empty.db");
        Connection::open(&empty)
            .unwrap()
            .execute_batch("CREATE TABLE t(x)")
            .unwrap();
        let e = verify(&empty).unwrap_err();
        assert!(e.message.contains("not a Berth store"), "{}", e.message);
        assert!(verify(&dir.path().join("missing.db")).is_err());
    }

    #[test]
    fn verify_reports_rows_pointing_at_missing_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(&dir.path().join("data")).unwrap();
        let conn = store.conn().unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO repositories (namespace_id, name, full_path, created_at)
             VALUES (999999, 'orphan', 'nobody/orphan', 0);",
        )
        .unwrap();
        let target = dir.path().join("copy.db");
        vacuum_into(&conn, &target).unwrap();
        let e = verify(&target).unwrap_err();
        assert!(e.message.contains("foreign_key_check"), "{}", e.message);
    }
}
