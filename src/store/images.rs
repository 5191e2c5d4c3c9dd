//! What the image pages read (issue 16): a repository's tags with what they point at, one
//! manifest with what it says, and the bytes repositories use. Read only; the registry
//! (`store::registry`) writes all of it.

use rusqlite::{named_params, params, Connection, OptionalExtension, Row};

use super::repos::{viewer, FROM, VISIBLE};
use crate::core::policy::Caller;
use crate::error::Result;

/// A tag as the tags tab lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRow {
    pub name: String,
    /// Docker's image id (a legacy Index tag has only this).
    pub image_id: String,
    /// When the tag was last pushed (pointed at what it names now).
    pub pushed_at: i64,
    pub pulled_at: Option<i64>,
    pub pull_count: i64,
    /// The manifest, when the registry pushed the tag.
    pub manifest: Option<TagManifest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagManifest {
    pub digest: String,
    pub media_type: String,
    /// Bytes of config and layers (of every child, for an index): the compressed size.
    pub size: i64,
    pub platforms: Vec<String>,
}

/// How the tags tab sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOrder {
    /// Most recently pushed first.
    Pushed,
    Name,
}

fn platforms(json: Option<String>) -> Vec<String> {
    // Written by the registry as a JSON array of strings; anything else shows none.
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

fn tag_row(r: &Row<'_>) -> rusqlite::Result<TagRow> {
    let digest: Option<String> = r.get(5)?;
    let manifest = match digest {
        Some(digest) => Some(TagManifest {
            digest,
            media_type: r.get(6)?,
            size: r.get(7)?,
            platforms: platforms(r.get(8)?),
        }),
        None => None,
    };
    Ok(TagRow {
        name: r.get(0)?,
        image_id: r.get(1)?,
        pushed_at: r.get(2)?,
        pulled_at: r.get(3)?,
        pull_count: r.get(4)?,
        manifest,
    })
}

/// A page of a repository's tags whose names contain `filter` (all when empty), and how many
/// match.
pub fn tags(
    conn: &Connection,
    repository_id: i64,
    filter: &str,
    order: TagOrder,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TagRow>, i64)> {
    let order_by = match order {
        TagOrder::Pushed => "t.updated_at DESC, t.name",
        TagOrder::Name => "t.name",
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.name, t.image_id, t.updated_at, t.pulled_at, t.pull_count,
                m.digest, m.media_type, m.image_size, m.platforms
           FROM tags t LEFT JOIN manifests m ON m.id = t.manifest_id
          WHERE t.repository_id = ?1 AND (?2 = '' OR instr(t.name, ?2) > 0)
          ORDER BY {order_by} LIMIT +?3 OFFSET ?4"
    ))?;
    let rows = stmt
        .query_map(params![repository_id, filter, limit, offset], tag_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let total = conn
        .prepare_cached(
            "SELECT count(*) FROM tags WHERE repository_id = ?1 AND (?2 = '' OR instr(name, ?2) > 0)",
        )?
        .query_row(params![repository_id, filter], |r| r.get(0))?;
    Ok((rows, total))
}

/// A stored manifest with everything a tag page shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub id: i64,
    pub digest: String,
    pub media_type: String,
    /// The bytes as pushed (at most 4 MiB: the registry refuses more).
    pub content: Vec<u8>,
    pub image_size: i64,
    pub artifact_type: Option<String>,
    pub subject: Option<String>,
    pub annotations: Option<String>,
    pub platforms: Vec<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "m.id, m.digest, m.media_type, m.content, m.image_size, m.artifact_type,
    m.subject, m.annotations, m.platforms, m.created_at";

fn manifest(r: &Row<'_>) -> rusqlite::Result<Manifest> {
    Ok(Manifest {
        id: r.get(0)?,
        digest: r.get(1)?,
        media_type: r.get(2)?,
        content: r.get(3)?,
        image_size: r.get(4)?,
        artifact_type: r.get(5)?,
        subject: r.get(6)?,
        annotations: r.get(7)?,
        platforms: platforms(r.get(8)?),
        created_at: r.get(9)?,
    })
}

/// The manifest tag `tag` of a repository names (`None`: no such tag, or a legacy one).
pub fn by_tag(conn: &Connection, repository_id: i64, tag: &str) -> Result<Option<Manifest>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM tags t JOIN manifests m ON m.id = t.manifest_id
              WHERE t.repository_id = ?1 AND t.name = ?2"
        ))?
        .query_row(params![repository_id, tag], manifest)
        .optional()?)
}

pub fn by_digest(conn: &Connection, repository_id: i64, digest: &str) -> Result<Option<Manifest>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM manifests m WHERE m.repository_id = ?1 AND m.digest = ?2"
        ))?
        .query_row(params![repository_id, digest], manifest)
        .optional()?)
}

/// The tags naming a manifest, by name.
pub fn tags_of(conn: &Connection, manifest_id: i64) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT name FROM tags WHERE manifest_id = ?1 ORDER BY name")?;
    let rows = stmt.query_map([manifest_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Bytes of the distinct blobs linked to a repository.
pub fn repository_bytes(conn: &Connection, repository_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(sum(b.size), 0) FROM repository_blobs rb
               JOIN blobs b ON b.digest = rb.digest WHERE rb.repository_id = ?1",
        )?
        .query_row([repository_id], |r| r.get(0))?)
}

/// Bytes of the distinct blobs linked to the repositories of a namespace the caller may read
/// ([`VISIBLE`]): a blob two of them share counts once, one only a hidden repository holds
/// not at all.
pub fn namespace_bytes(
    conn: &Connection,
    caller: Option<&Caller>,
    namespace_id: i64,
) -> Result<i64> {
    let (viewer, admin) = viewer(caller);
    Ok(conn
        .prepare_cached(&format!(
            "SELECT coalesce(sum(b.size), 0) FROM blobs b WHERE b.digest IN (
                 SELECT rb.digest FROM {FROM} JOIN repository_blobs rb ON rb.repository_id = r.id
                  WHERE r.namespace_id = :ns AND {VISIBLE})"
        ))?
        .query_row(
            named_params! {":ns": namespace_id, ":viewer": viewer, ":viewer_admin": admin},
            |r| r.get(0),
        )?)
}
