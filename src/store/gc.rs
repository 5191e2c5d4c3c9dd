//! The rows of garbage collection (`ops::gc`): what is garbage, decided and removed inside
//! one write transaction each, so a push (whose manifest `PUT` checks its blobs' links in its
//! own write transaction) never interleaves with a decision.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::Result;

/// Untagged manifests created before `cutoff` (ms) that nothing keeps: not an index's child
/// in their repository and not a referrer (a referrer lives as long as its subject). Removed
/// in rounds, so the children of a removed index go in a later round. Returns how many.
pub fn untagged_manifests(tx: &Transaction, cutoff: i64, dry_run: bool) -> Result<u64> {
    const KEPT_BY_NOTHING: &str = "m.created_at < ?1 AND m.subject IS NULL
          AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM manifest_references r JOIN manifests p ON p.id = r.manifest_id
                          WHERE r.kind = 'manifest' AND r.digest = m.digest
                            AND p.repository_id = m.repository_id)";
    if dry_run {
        return count(
            tx,
            &format!("SELECT count(*) FROM manifests m WHERE {KEPT_BY_NOTHING}"),
            cutoff,
        );
    }
    rounds(
        tx,
        &format!("DELETE FROM manifests AS m WHERE {KEPT_BY_NOTHING}"),
        cutoff,
    )
}

/// Untagged manifests created before `cutoff` (the grace period) in repositories that have a
/// retention, kept by nothing (as [`untagged_manifests`]): with retention on, a repository
/// keeps only what its retained tags need. Returns how many. A dry run counts only those made
/// at or after `counted_before` (the ones before it are counted by [`untagged_manifests`]).
pub fn retention_manifests(
    tx: &Transaction,
    cutoff: i64,
    dry_run: bool,
    counted_before: Option<i64>,
) -> Result<u64> {
    const UNRETAINED: &str = "m.created_at < ?1 AND m.subject IS NULL
          AND m.repository_id IN (SELECT id FROM repositories
                                   WHERE retain_tags IS NOT NULL OR retain_days IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM manifest_references r JOIN manifests p ON p.id = r.manifest_id
                          WHERE r.kind = 'manifest' AND r.digest = m.digest
                            AND p.repository_id = m.repository_id)";
    if dry_run {
        let n: i64 = tx.query_row(
            &format!("SELECT count(*) FROM manifests m WHERE {UNRETAINED} AND m.created_at >= ?2"),
            params![cutoff, counted_before.unwrap_or(i64::MIN)],
            |r| r.get(0),
        )?;
        return Ok(n.max(0) as u64);
    }
    rounds(
        tx,
        &format!("DELETE FROM manifests AS m WHERE {UNRETAINED}"),
        cutoff,
    )
}

/// Untagged referrers created before `cutoff` whose subject is not (any more) a manifest of
/// their repository. Returns how many.
pub fn orphan_referrers(tx: &Transaction, cutoff: i64, dry_run: bool) -> Result<u64> {
    const ORPHAN: &str = "m.subject IS NOT NULL AND m.created_at < ?1
          AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM manifests s
                          WHERE s.repository_id = m.repository_id AND s.digest = m.subject)";
    if dry_run {
        return count(
            tx,
            &format!("SELECT count(*) FROM manifests m WHERE {ORPHAN}"),
            cutoff,
        );
    }
    rounds(
        tx,
        &format!("DELETE FROM manifests AS m WHERE {ORPHAN}"),
        cutoff,
    )
}

fn count(conn: &Connection, sql: &str, cutoff: i64) -> Result<u64> {
    let n: i64 = conn.query_row(sql, [cutoff], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Run a delete until it deletes nothing (each round may free the next).
fn rounds(tx: &Transaction, sql: &str, cutoff: i64) -> Result<u64> {
    let mut total = 0;
    loop {
        let n = tx.execute(sql, [cutoff])? as u64;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}

const STALE_LINK: &str = "l.created_at < ?1
      AND NOT EXISTS (SELECT 1 FROM manifest_references r JOIN manifests m ON m.id = r.manifest_id
                      WHERE r.digest = l.digest AND m.repository_id = l.repository_id)";

/// Links of a repository to a blob that none of its manifests references, made (or last
/// renewed by an upload or mount) before `cutoff`: an upload the push never used, or the
/// layers of deleted manifests. Returns how many.
pub fn stale_links(tx: &Transaction, cutoff: i64, dry_run: bool) -> Result<u64> {
    if dry_run {
        return count(
            tx,
            &format!("SELECT count(*) FROM repository_blobs l WHERE {STALE_LINK}"),
            cutoff,
        );
    }
    Ok(tx.execute(
        &format!("DELETE FROM repository_blobs AS l WHERE {STALE_LINK}"),
        [cutoff],
    )? as u64)
}

/// Blobs made before `cutoff` that no repository links and no manifest references, at most
/// `limit`, as `(digest, size)`. With `dry_run`, the stale links count as gone already.
pub fn unreferenced_blobs(
    conn: &Connection,
    cutoff: i64,
    dry_run: bool,
    limit: i64,
) -> Result<Vec<(String, i64)>> {
    let linked = if dry_run {
        format!("SELECT 1 FROM repository_blobs l WHERE l.digest = b.digest AND NOT ({STALE_LINK})")
    } else {
        "SELECT 1 FROM repository_blobs l WHERE l.digest = b.digest".to_owned()
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT b.digest, b.size FROM blobs b
          WHERE b.created_at < ?1 AND NOT EXISTS ({linked})
            AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.digest = b.digest)
          ORDER BY b.digest LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![cutoff, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether blob `digest` is still unreferenced (checked again inside the removing
/// transaction).
pub fn still_unreferenced(tx: &Transaction, digest: &str) -> Result<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM blobs b WHERE b.digest = ?1
                AND NOT EXISTS (SELECT 1 FROM repository_blobs l WHERE l.digest = b.digest)
                AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.digest = b.digest)",
            [digest],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Remove a blob's row (its links must be gone). True when there was one.
pub fn delete_blob(tx: &Transaction, digest: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM blobs WHERE digest = ?1", [digest])? == 1)
}

/// Remove a blob's row and every link to it (a damaged blob, quarantined by `fsck`).
pub fn forget_blob(tx: &Transaction, digest: &str) -> Result<bool> {
    tx.execute("DELETE FROM repository_blobs WHERE digest = ?1", [digest])?;
    delete_blob(tx, digest)
}

/// Whether a row names blob `digest`.
pub fn blob_exists(conn: &Connection, digest: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM blobs WHERE digest = ?1",
            [digest],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Upload sessions not written to since `cutoff`.
pub fn idle_uploads(conn: &Connection, cutoff: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT id FROM uploads WHERE updated_at < ?1 ORDER BY id")?;
    let rows = stmt.query_map([cutoff], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Remove an idle session's row when it is still idle. True when removed.
pub fn delete_idle_upload(tx: &Transaction, id: &str, cutoff: i64) -> Result<bool> {
    Ok(tx.execute(
        "DELETE FROM uploads WHERE id = ?1 AND updated_at < ?2",
        params![id, cutoff],
    )? == 1)
}

/// Whether an upload session `id` has a row.
pub fn upload_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM uploads WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every blob row, `(digest, size)`, after `after` in digest order, at most `limit`.
pub fn blobs_after(conn: &Connection, after: &str, limit: i64) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT digest, size FROM blobs WHERE digest > ?1 ORDER BY digest LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
