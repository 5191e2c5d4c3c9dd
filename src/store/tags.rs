//! Images and tags of a repository, and its pull/push counters.

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::now_ms;
use crate::error::{Code, Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub image_id: String,
    pub checksum: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub image_id: String,
    pub updated_at: i64,
    pub pull_count: i64,
}

fn tag(row: &Row<'_>) -> rusqlite::Result<Tag> {
    Ok(Tag {
        name: row.get(0)?,
        image_id: row.get(1)?,
        updated_at: row.get(2)?,
        pull_count: row.get(3)?,
    })
}

/// Add images to a repository by id; a known id keeps its row and takes a new checksum
/// when one is given. Images are never removed this way.
pub fn merge_images(conn: &Transaction, repository_id: i64, images: &[Image]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO images (repository_id, image_id, checksum, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (repository_id, image_id) DO UPDATE SET checksum = COALESCE(excluded.checksum, checksum)",
    )?;
    let now = now_ms();
    for image in images {
        stmt.execute(params![repository_id, image.image_id, image.checksum, now])?;
    }
    Ok(())
}

pub fn images(conn: &Connection, repository_id: i64) -> Result<Vec<Image>> {
    let mut stmt = conn.prepare_cached(
        "SELECT image_id, checksum FROM images WHERE repository_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([repository_id], |r| {
        Ok(Image {
            image_id: r.get(0)?,
            checksum: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn has_image(conn: &Connection, repository_id: i64, image_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM images WHERE repository_id = ?1 AND image_id = ?2)",
        )?
        .query_row(params![repository_id, image_id], |r| r.get(0))?)
}

/// The tags of a repository, by name.
pub fn tags(conn: &Connection, repository_id: i64) -> Result<Vec<Tag>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, image_id, updated_at, pull_count FROM tags WHERE repository_id = ?1 ORDER BY name",
    )?;
    let rows = stmt.query_map([repository_id], tag)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A page of the tags of a repository named after `after` (byte order), by name.
pub fn tags_after(
    conn: &Connection,
    repository_id: i64,
    after: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Tag>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, image_id, updated_at, pull_count FROM tags WHERE repository_id = ?1 AND name > ?2
         ORDER BY name LIMIT +?3 OFFSET ?4",
    )?;
    let rows = stmt.query_map(params![repository_id, after, limit, offset], tag)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many tags of a repository are named after `after`.
pub fn count_tags_after(conn: &Connection, repository_id: i64, after: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM tags WHERE repository_id = ?1 AND name > ?2")?
        .query_row(params![repository_id, after], |r| r.get(0))?)
}

pub fn tag_by_name(conn: &Connection, repository_id: i64, name: &str) -> Result<Option<Tag>> {
    Ok(conn
        .prepare_cached(
            "SELECT name, image_id, updated_at, pull_count FROM tags WHERE repository_id = ?1 AND name = ?2",
        )?
        .query_row(params![repository_id, name], tag)
        .optional()?)
}

/// Point a tag at an image of the same repository (which must exist).
pub fn set_tag(conn: &Transaction, repository_id: i64, name: &str, image_id: &str) -> Result<()> {
    if !has_image(conn, repository_id, image_id)? {
        return Err(Error::new(
            Code::NoSuchImage,
            "the image does not belong to this repository",
        ));
    }
    conn.prepare_cached(
        "INSERT INTO tags (repository_id, name, image_id, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (repository_id, name) DO UPDATE SET image_id = excluded.image_id,
             updated_at = excluded.updated_at, manifest_id = NULL",
    )?
    .execute(params![repository_id, name, image_id, now_ms()])?;
    Ok(())
}

/// Point a tag at a pushed manifest (`/v2`) and at its image (the Index's view of it, which
/// must exist): the tag now names that manifest in every dialect.
pub fn set_pushed_tag(
    conn: &Transaction,
    repository_id: i64,
    name: &str,
    image_id: &str,
    manifest_id: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO tags (repository_id, name, image_id, updated_at, manifest_id) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (repository_id, name) DO UPDATE SET image_id = excluded.image_id,
             updated_at = excluded.updated_at, manifest_id = excluded.manifest_id",
    )?
    .execute(params![repository_id, name, image_id, now_ms(), manifest_id])?;
    Ok(())
}

pub fn delete_tag(conn: &Connection, repository_id: i64, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM tags WHERE repository_id = ?1 AND name = ?2")?
        .execute(params![repository_id, name])?
        == 1)
}

/// A finished push: `upload` + 1 and `pushed_at` now, and one push on today's activity
/// (in the same transaction, so the chart never misses an acknowledged push).
pub fn record_push(conn: &Connection, repository_id: i64) -> Result<()> {
    let now = now_ms();
    conn.prepare_cached(
        "UPDATE repositories SET push_count = push_count + 1, pushed_at = ?2 WHERE id = ?1",
    )?
    .execute(params![repository_id, now])?;
    super::activity::add_push(conn, repository_id, super::activity::day_of(now))
}
