//! The registry's rows (migration 5): blobs, which repository links which, manifests and
//! what they reference, pushed tags, upload sessions, and the `/v2/_catalog` listing.

use rusqlite::{named_params, params, Connection, OptionalExtension, Row, Transaction};

use super::now_ms;
use super::repos::{viewer, FROM, VISIBLE};
use crate::core::policy::Caller;
use crate::error::Result;

/// The size of blob `digest` when repository `repository_id` links it.
pub fn linked_blob(conn: &Connection, repository_id: i64, digest: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT b.size FROM repository_blobs l JOIN blobs b ON b.digest = l.digest
              WHERE l.repository_id = ?1 AND l.digest = ?2",
        )?
        .query_row(params![repository_id, digest], |r| r.get(0))
        .optional()?)
}

/// A blob whose file was committed: its row (kept if it exists) and its link to a repository.
pub fn add_blob(tx: &Transaction, repository_id: i64, digest: &str, size: i64) -> Result<()> {
    let now = now_ms();
    tx.prepare_cached(
        "INSERT INTO blobs (digest, size, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![digest, size, now])?;
    link_blob(tx, repository_id, digest)?;
    Ok(())
}

/// Link a known blob to a repository (a mount); false when there is no such blob.
pub fn link_blob(tx: &Transaction, repository_id: i64, digest: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO repository_blobs (repository_id, digest, created_at)
             SELECT ?1, digest, ?3 FROM blobs WHERE digest = ?2 ON CONFLICT DO NOTHING",
        )?
        .execute(params![repository_id, digest, now_ms()])?
        == 1
        || linked_blob(tx, repository_id, digest)?.is_some())
}

/// Unlink a blob from a repository; false when it was not linked.
pub fn unlink_blob(tx: &Transaction, repository_id: i64, digest: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("DELETE FROM repository_blobs WHERE repository_id = ?1 AND digest = ?2")?
        .execute(params![repository_id, digest])?
        == 1)
}

/// An upload session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: String,
    pub repository_id: i64,
    /// Bytes acknowledged (durable in the upload's file).
    pub size: i64,
}

fn upload_row(r: &Row<'_>) -> rusqlite::Result<Upload> {
    Ok(Upload {
        id: r.get(0)?,
        repository_id: r.get(1)?,
        size: r.get(2)?,
    })
}

pub fn insert_upload(conn: &Connection, id: &str, repository_id: i64) -> Result<()> {
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO uploads (id, repository_id, size, created_at, updated_at) VALUES (?1, ?2, 0, ?3, ?3)",
    )?
    .execute(params![id, repository_id, now])?;
    Ok(())
}

pub fn upload(conn: &Connection, id: &str) -> Result<Option<Upload>> {
    Ok(conn
        .prepare_cached("SELECT id, repository_id, size FROM uploads WHERE id = ?1")?
        .query_row([id], upload_row)
        .optional()?)
}

pub fn uploads(conn: &Connection) -> Result<Vec<Upload>> {
    let mut stmt = conn.prepare_cached("SELECT id, repository_id, size FROM uploads")?;
    let rows = stmt.query_map([], upload_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn set_upload_size(conn: &Connection, id: &str, size: i64) -> Result<()> {
    conn.prepare_cached("UPDATE uploads SET size = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, size, now_ms()])?;
    Ok(())
}

pub fn delete_upload(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM uploads WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// A stored manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub id: i64,
    pub digest: String,
    pub media_type: String,
    /// The bytes as pushed (empty when only the size was asked for).
    pub content: Vec<u8>,
    pub size: i64,
    pub image_size: i64,
}

const MANIFEST_COLUMNS: &str =
    "m.id, m.digest, m.media_type, m.content, length(m.content), m.image_size";
const MANIFEST_HEAD_COLUMNS: &str =
    "m.id, m.digest, m.media_type, x'', length(m.content), m.image_size";

fn manifest_row(r: &Row<'_>) -> rusqlite::Result<Manifest> {
    Ok(Manifest {
        id: r.get(0)?,
        digest: r.get(1)?,
        media_type: r.get(2)?,
        content: r.get(3)?,
        size: r.get(4)?,
        image_size: r.get(5)?,
    })
}

fn columns(with_content: bool) -> &'static str {
    if with_content {
        MANIFEST_COLUMNS
    } else {
        MANIFEST_HEAD_COLUMNS
    }
}

pub fn manifest_by_digest(
    conn: &Connection,
    repository_id: i64,
    digest: &str,
    with_content: bool,
) -> Result<Option<Manifest>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {} FROM manifests m WHERE m.repository_id = ?1 AND m.digest = ?2",
            columns(with_content)
        ))?
        .query_row(params![repository_id, digest], manifest_row)
        .optional()?)
}

/// The manifest a pushed tag names.
pub fn manifest_by_tag(
    conn: &Connection,
    repository_id: i64,
    tag: &str,
    with_content: bool,
) -> Result<Option<Manifest>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {} FROM tags t JOIN manifests m ON m.id = t.manifest_id
              WHERE t.repository_id = ?1 AND t.name = ?2",
            columns(with_content)
        ))?
        .query_row(params![repository_id, tag], manifest_row)
        .optional()?)
}

/// A manifest to store.
pub struct NewManifest<'a> {
    pub repository_id: i64,
    pub digest: &'a str,
    pub media_type: &'a str,
    pub content: &'a [u8],
    pub image_size: i64,
    pub config_digest: Option<&'a str>,
    pub artifact_type: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub annotations: Option<&'a str>,
    /// JSON array of platforms.
    pub platforms: &'a str,
    /// `(digest, kind)`: `blob` or `manifest`.
    pub references: &'a [(&'a str, &'a str)],
}

/// Store a manifest (one that is there already, the same bytes by its digest, is kept) and
/// return its id.
pub fn put_manifest(tx: &Transaction, m: &NewManifest<'_>) -> Result<i64> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO manifests (repository_id, digest, media_type, content, image_size,
                 config_digest, artifact_type, subject, annotations, platforms, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (repository_id, digest) DO NOTHING",
        )?
        .execute(params![
            m.repository_id,
            m.digest,
            m.media_type,
            m.content,
            m.image_size,
            m.config_digest,
            m.artifact_type,
            m.subject,
            m.annotations,
            m.platforms,
            now_ms()
        ])?;
    let id: i64 = tx
        .prepare_cached("SELECT id FROM manifests WHERE repository_id = ?1 AND digest = ?2")?
        .query_row(params![m.repository_id, m.digest], |r| r.get(0))?;
    if inserted == 1 {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO manifest_references (manifest_id, digest, kind) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?;
        for (digest, kind) in m.references {
            stmt.execute(params![id, digest, kind])?;
        }
    }
    Ok(id)
}

/// The image sizes of the manifests of a repository with these digests (those missing are
/// left out).
pub fn manifest_image_size(
    conn: &Connection,
    repository_id: i64,
    digest: &str,
) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT image_size FROM manifests WHERE repository_id = ?1 AND digest = ?2",
        )?
        .query_row(params![repository_id, digest], |r| r.get(0))
        .optional()?)
}

/// Delete a manifest (its tags and references go with it); false when there was none.
pub fn delete_manifest(tx: &Transaction, repository_id: i64, digest: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("DELETE FROM manifests WHERE repository_id = ?1 AND digest = ?2")?
        .execute(params![repository_id, digest])?
        == 1)
}

/// One manifest whose subject is a given digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub artifact_type: Option<String>,
    pub annotations: Option<String>,
}

/// The manifests of a repository whose subject is `subject`, optionally of one artifact
/// type, oldest first.
pub fn referrers(
    conn: &Connection,
    repository_id: i64,
    subject: &str,
    artifact_type: Option<&str>,
) -> Result<Vec<Referrer>> {
    let mut stmt = conn.prepare_cached(
        "SELECT digest, media_type, length(content), artifact_type, annotations FROM manifests
          WHERE repository_id = ?1 AND subject = ?2 AND (?3 IS NULL OR artifact_type = ?3)
          ORDER BY id",
    )?;
    let rows = stmt.query_map(params![repository_id, subject, artifact_type], |r| {
        Ok(Referrer {
            digest: r.get(0)?,
            media_type: r.get(1)?,
            size: r.get(2)?,
            artifact_type: r.get(3)?,
            annotations: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Names of a repository's pushed tags (those naming a manifest) after `last`, in byte
/// order, at most `limit`.
pub fn pushed_tags(
    conn: &Connection,
    repository_id: i64,
    last: &str,
    limit: i64,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name FROM tags WHERE repository_id = ?1 AND manifest_id IS NOT NULL AND name > ?2
          ORDER BY name LIMIT +?3",
    )?;
    let rows = stmt.query_map(params![repository_id, last, limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Delete a pushed tag (its manifest stays); false when there was none.
pub fn delete_pushed_tag(tx: &Transaction, repository_id: i64, name: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "DELETE FROM tags WHERE repository_id = ?1 AND name = ?2 AND manifest_id IS NOT NULL",
        )?
        .execute(params![repository_id, name])?
        == 1)
}

/// Full paths (`namespace/name`) of the repositories the caller may read, after `last` in
/// byte order, at most `limit`: the same visibility as every listing ([`VISIBLE`]).
pub fn readable_paths(
    conn: &Connection,
    caller: Option<&Caller>,
    last: &str,
    limit: i64,
) -> Result<Vec<String>> {
    let (viewer, admin) = viewer(caller);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.full_path FROM {FROM} WHERE r.full_path > :last AND {VISIBLE}
          ORDER BY r.full_path LIMIT +:limit"
    ))?;
    let rows = stmt.query_map(
        named_params! {":last": last, ":viewer": viewer, ":viewer_admin": admin, ":limit": limit},
        |r| r.get(0),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
