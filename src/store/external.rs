//! External repositories (Cloud dialect): references to repositories on other registries.
//! Reads for listings never select the credentials; only the sealing code touches them.

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::{is_unique_violation, now_ms};
use crate::core::model::ExternalRepository;
use crate::error::{Code, Error, Result};

const COLUMNS: &str = "id, namespace_id, name, registry_host, created_at, updated_at";

fn external(row: &Row<'_>) -> rusqlite::Result<ExternalRepository> {
    Ok(ExternalRepository {
        id: row.get(0)?,
        namespace_id: row.get(1)?,
        name: row.get(2)?,
        registry_host: row.get(3)?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

/// A password sealed for storage, with the id of the key that sealed it.
pub struct Sealed<'a> {
    pub bytes: &'a [u8],
    pub key_id: &'a str,
}

pub struct NewExternal<'a> {
    pub namespace_id: i64,
    pub name: &'a str,
    pub registry_host: &'a str,
    pub username: &'a str,
    pub password: Option<Sealed<'a>>,
}

/// Insert one; the same name twice in a namespace is a 409.
pub fn insert(conn: &Connection, new: &NewExternal<'_>) -> Result<ExternalRepository> {
    let now = now_ms();
    let (secret, key_id) = match &new.password {
        Some(s) => (Some(s.bytes), Some(s.key_id)),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO external_repositories
            (namespace_id, name, registry_host, username, secret, key_id, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        new.namespace_id,
        new.name,
        new.registry_host,
        new.username,
        secret,
        key_id,
        now
    ])
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::new(
                Code::ExternalRepositoryExists,
                "this namespace already has an external repository with this name",
            )
        } else {
            e.into()
        }
    })?;
    by_id(conn, conn.last_insert_rowid())?
        .ok_or_else(|| Error::internal("inserted external repository vanished"))
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<ExternalRepository>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM external_repositories WHERE id = ?1"
        ))?
        .query_row([id], external)
        .optional()?)
}

pub fn by_name(
    conn: &Connection,
    namespace_id: i64,
    name: &str,
) -> Result<Option<ExternalRepository>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM external_repositories WHERE namespace_id = ?1 AND name = ?2"
        ))?
        .query_row(params![namespace_id, name], external)
        .optional()?)
}

/// A page of a namespace's external repositories by name, optionally only the one named
/// `name` and only those on `registry_host`, and the true total of the filtered set.
pub fn list(
    conn: &Connection,
    namespace_id: i64,
    name: Option<&str>,
    registry_host: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ExternalRepository>, i64)> {
    const WHERE: &str =
        "namespace_id = ?1 AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR registry_host = ?3)";
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM external_repositories WHERE {WHERE}"
        ))?
        .query_row(params![namespace_id, name, registry_host], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM external_repositories WHERE {WHERE} ORDER BY name LIMIT +?4 OFFSET ?5"
    ))?;
    let rows = stmt.query_map(
        params![namespace_id, name, registry_host, limit, offset],
        external,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// Change the username and/or the sealed password (`Some(None)` clears the password).
pub fn update_credentials(
    conn: &Transaction,
    id: i64,
    username: Option<&str>,
    password: Option<Option<Sealed<'_>>>,
) -> Result<()> {
    if let Some(username) = username {
        conn.prepare_cached(
            "UPDATE external_repositories SET username = ?2, updated_at = ?3 WHERE id = ?1",
        )?
        .execute(params![id, username, now_ms()])?;
    }
    if let Some(password) = password {
        let (secret, key_id) = match &password {
            Some(s) => (Some(s.bytes), Some(s.key_id)),
            None => (None, None),
        };
        conn.prepare_cached(
            "UPDATE external_repositories SET secret = ?2, key_id = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![id, secret, key_id, now_ms()])?;
    }
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM external_repositories WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// A page of the distinct registry hosts a namespace's external repositories point at, by
/// host, and how many there are.
pub fn registry_hosts(
    conn: &Connection,
    namespace_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<String>, i64)> {
    let total: i64 = conn
        .prepare_cached("SELECT count(DISTINCT registry_host) FROM external_repositories WHERE namespace_id = ?1")?
        .query_row([namespace_id], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT registry_host FROM external_repositories WHERE namespace_id = ?1
         ORDER BY registry_host LIMIT +?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![namespace_id, limit, offset], |r| r.get(0))?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

pub fn uses_registry(conn: &Connection, namespace_id: i64, host: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM external_repositories WHERE namespace_id = ?1 AND registry_host = ?2)",
        )?
        .query_row(params![namespace_id, host], |r| r.get(0))?)
}

/// The stored credentials of one external repository: username, sealed password, key id.
pub struct StoredCredentials {
    pub username: String,
    pub sealed: Option<(Vec<u8>, String)>,
}

pub fn credentials(conn: &Connection, id: i64) -> Result<Option<StoredCredentials>> {
    Ok(conn
        .prepare_cached("SELECT username, secret, key_id FROM external_repositories WHERE id = ?1")?
        .query_row([id], |r| {
            let secret: Option<Vec<u8>> = r.get(1)?;
            let key_id: Option<String> = r.get(2)?;
            Ok(StoredCredentials {
                username: r.get(0)?,
                sealed: secret.zip(key_id),
            })
        })
        .optional()?)
}

/// The distinct ids of the keys stored secrets are sealed with.
pub fn key_ids_in_use(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT key_id FROM external_repositories WHERE secret IS NOT NULL AND key_id IS NOT NULL ORDER BY key_id",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether some stored secret is sealed with a key other than `key_id`.
pub fn other_key_in_use(conn: &Connection, key_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM external_repositories
                            WHERE secret IS NOT NULL AND (key_id IS NULL OR key_id <> ?1))",
        )?
        .query_row([key_id], |r| r.get(0))?)
}

/// A stored sealed secret with what binds it to its row, for a key rotation.
pub struct SealedRow {
    pub id: i64,
    pub namespace_id: i64,
    pub name: String,
    pub sealed: Vec<u8>,
    pub key_id: String,
}

pub fn sealed_secrets(conn: &Connection) -> Result<Vec<SealedRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, namespace_id, name, secret, coalesce(key_id, '') FROM external_repositories
         WHERE secret IS NOT NULL ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(SealedRow {
            id: r.get(0)?,
            namespace_id: r.get(1)?,
            name: r.get(2)?,
            sealed: r.get(3)?,
            key_id: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn set_sealed(conn: &Connection, id: i64, sealed: &[u8], key_id: &str) -> Result<()> {
    conn.prepare_cached("UPDATE external_repositories SET secret = ?2, key_id = ?3 WHERE id = ?1")?
        .execute(params![id, sealed, key_id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{accounts, memory};

    fn setup() -> (Connection, i64) {
        let conn = memory();
        let org = crate::store::in_tx(&conn, |tx| accounts::insert_organization(tx, "acme", None))
            .unwrap();
        (conn, org.id)
    }

    fn add(conn: &Connection, ns: i64, name: &str, host: &str, key_id: Option<&str>) {
        let bytes = [1u8, 2, 3];
        let password = key_id.map(|key_id| Sealed {
            bytes: &bytes,
            key_id,
        });
        let new = NewExternal {
            namespace_id: ns,
            name,
            registry_host: host,
            username: "u",
            password,
        };
        insert(conn, &new).unwrap();
    }

    #[test]
    fn names_are_unique_per_namespace() {
        let (conn, ns) = setup();
        add(&conn, ns, "r.io/a", "r.io", None);
        let dup = NewExternal {
            namespace_id: ns,
            name: "r.io/a",
            registry_host: "r.io",
            username: "",
            password: None,
        };
        assert_eq!(insert(&conn, &dup).unwrap_err().status.as_u16(), 409);
    }

    #[test]
    fn listing_filters_and_counts() {
        let (conn, ns) = setup();
        for (name, host) in [("r.io/b", "r.io"), ("r.io/a", "r.io"), ("s.io/a", "s.io")] {
            add(&conn, ns, name, host, None);
        }
        let names = |name: Option<&str>, host: Option<&str>, limit, offset| {
            let (items, total) = list(&conn, ns, name, host, limit, offset).unwrap();
            (items.into_iter().map(|r| r.name).collect::<Vec<_>>(), total)
        };
        assert_eq!(
            names(None, None, 2, 0),
            (vec!["r.io/a".to_owned(), "r.io/b".to_owned()], 3)
        );
        assert_eq!(
            names(None, Some("r.io"), 25, 1),
            (vec!["r.io/b".to_owned()], 2)
        );
        assert_eq!(names(Some("s.io/a"), Some("r.io"), 25, 0), (vec![], 0));
        assert_eq!(
            registry_hosts(&conn, ns, 25, 0).unwrap(),
            (vec!["r.io".to_owned(), "s.io".to_owned()], 2)
        );
        assert!(uses_registry(&conn, ns, "s.io").unwrap());
        assert!(!uses_registry(&conn, ns, "t.io").unwrap());
    }

    #[test]
    fn key_ids_in_use_count_only_stored_secrets() {
        let (conn, ns) = setup();
        assert!(key_ids_in_use(&conn).unwrap().is_empty());
        assert!(!other_key_in_use(&conn, "k1").unwrap());
        add(&conn, ns, "r.io/a", "r.io", None);
        add(&conn, ns, "r.io/b", "r.io", Some("k1"));
        assert_eq!(key_ids_in_use(&conn).unwrap(), ["k1"]);
        assert!(!other_key_in_use(&conn, "k1").unwrap());
        assert!(other_key_in_use(&conn, "k2").unwrap());
        add(&conn, ns, "r.io/c", "r.io", Some("k2"));
        assert_eq!(key_ids_in_use(&conn).unwrap(), ["k1", "k2"]);
        let rows = sealed_secrets(&conn).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["r.io/b", "r.io/c"]
        );
        set_sealed(&conn, rows[1].id, &[9], "k1").unwrap();
        assert_eq!(key_ids_in_use(&conn).unwrap(), ["k1"]);
    }
}
