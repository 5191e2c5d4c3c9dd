//! What a pushed tag names, as pages and dialects show it: the manifest behind a row of
//! `tags` (the registry writes both, `store::registry`), read for display only.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// The manifest a pushed tag points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `sha256:…`: what `docker pull name@digest` takes.
    pub digest: String,
    pub media_type: String,
    /// Bytes of config and layers (of every child, for an index).
    pub size: i64,
    /// `os/architecture[/variant]`, as the manifest or its children say.
    pub platforms: Vec<String>,
    pub created_at: i64,
}

/// The manifest behind tag `tag` of a repository, if the registry pushed it (a legacy Index
/// tag names an image id only: `None`).
pub fn of_tag(conn: &Connection, repository_id: i64, tag: &str) -> Result<Option<Pushed>> {
    let found = conn
        .prepare_cached(
            "SELECT m.digest, m.media_type, m.image_size, m.platforms, m.created_at
               FROM tags t JOIN manifests m ON m.id = t.manifest_id
              WHERE t.repository_id = ?1 AND t.name = ?2",
        )?
        .query_row(params![repository_id, tag], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .optional()?;
    Ok(
        found.map(|(digest, media_type, size, platforms, created_at)| Pushed {
            digest,
            media_type,
            size,
            // Written by the registry as a JSON array of strings; anything else shows none.
            platforms: serde_json::from_str(&platforms).unwrap_or_default(),
            created_at,
        }),
    )
}
