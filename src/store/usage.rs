//! Registry usage and quotas: bytes stored per repository and per namespace, read from
//! `repository_blobs` ⋈ `blobs` (a blob linked by two repositories of one namespace counts once
//! for the namespace), and the namespace quota column (migration 8).
//!
//! Computed on demand rather than kept in counters: every query walks only the links of one
//! repository (the `repository_blobs` primary key) or of one namespace (the repositories'
//! `(namespace_id, name)` index, then that key), and looks each blob up by its primary key, so
//! nothing has to be kept right across pushes, unlinks, mounts, deletes and garbage collection.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// Bytes of the distinct blobs the repositories of namespace `namespace_id` link.
pub fn namespace_bytes(conn: &Connection, namespace_id: i64) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COALESCE(SUM(b.size), 0) FROM blobs b
          WHERE b.digest IN (SELECT rb.digest FROM repositories r
                               JOIN repository_blobs rb ON rb.repository_id = r.id
                              WHERE r.namespace_id = ?1)",
        [namespace_id],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// Bytes of the blobs repository `repository_id` links.
pub fn repository_bytes(conn: &Connection, repository_id: i64) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COALESCE(SUM(b.size), 0) FROM repository_blobs rb
           JOIN blobs b ON b.digest = rb.digest
          WHERE rb.repository_id = ?1",
        [repository_id],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// Whether a repository of namespace `namespace_id` links blob `digest` (it then costs the
/// namespace nothing more).
pub fn namespace_links(conn: &Connection, namespace_id: i64, digest: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
              WHERE rb.digest = ?1 AND r.namespace_id = ?2 LIMIT 1",
            params![digest, namespace_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The quota of namespace `namespace_id`, in bytes (`None`: no quota, or no such account).
pub fn quota(conn: &Connection, namespace_id: i64) -> Result<Option<u64>> {
    let q: Option<Option<i64>> = conn
        .query_row(
            "SELECT quota_bytes FROM accounts WHERE id = ?1",
            [namespace_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(q.flatten().map(|q| q.max(0) as u64))
}

/// Set (or with `None` remove) the quota of namespace `namespace_id`; whether it exists.
pub fn set_quota(conn: &Connection, namespace_id: i64, bytes: Option<u64>) -> Result<bool> {
    let bytes = bytes.map(|b| b.min(i64::MAX as u64) as i64);
    let n = conn.execute(
        "UPDATE accounts SET quota_bytes = ?2 WHERE id = ?1",
        params![namespace_id, bytes],
    )?;
    Ok(n > 0)
}

/// Every namespace's quota and usage, for the admin page: `(name, quota, used bytes)` of the
/// accounts that have a quota or link at least one blob, by name.
pub fn all_namespaces(conn: &Connection) -> Result<Vec<(String, Option<u64>, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.name, a.quota_bytes FROM accounts a
          WHERE a.quota_bytes IS NOT NULL
             OR EXISTS (SELECT 1 FROM repositories r JOIN repository_blobs rb
                          ON rb.repository_id = r.id WHERE r.namespace_id = a.id)
          ORDER BY a.name",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, name, quota) in rows {
        out.push((
            name,
            quota.map(|q| q.max(0) as u64),
            namespace_bytes(conn, id)?,
        ));
    }
    Ok(out)
}
