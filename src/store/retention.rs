//! Per-repository retention of pushed tags (migration 8): the settings, and which tags a
//! garbage-collection pass untags.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::Result;

/// A repository's retention: keep the newest `tags` pushed tags and/or those pushed in the
/// last `days` days (a tag either keeps is kept). Both `None`: keep every tag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub tags: Option<u32>,
    pub days: Option<u32>,
}

impl Retention {
    pub fn is_on(&self) -> bool {
        self.tags.is_some() || self.days.is_some()
    }
}

const DAY_MS: i64 = 86_400_000;

/// The retention of repository `repository_id` (off when there is no such repository).
pub fn get(conn: &Connection, repository_id: i64) -> Result<Retention> {
    let found = conn
        .query_row(
            "SELECT retain_tags, retain_days FROM repositories WHERE id = ?1",
            [repository_id],
            |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?)),
        )
        .optional()?;
    let (tags, days) = found.unwrap_or((None, None));
    let narrow = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok());
    Ok(Retention {
        tags: narrow(tags),
        days: narrow(days),
    })
}

/// Set the retention of repository `repository_id`; whether it exists.
pub fn set(conn: &Connection, repository_id: i64, retention: &Retention) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE repositories SET retain_tags = ?2, retain_days = ?3 WHERE id = ?1",
        params![repository_id, retention.tags, retention.days],
    )? == 1)
}

/// Pushed tags that their repository's retention does not keep at `now` (ms), as
/// `(repository_id, tag)`: ranked by push time, newest first (ties by name).
const EXPIRED: &str = "WITH ranked AS (
    SELECT t.repository_id, t.name, t.updated_at, r.retain_tags, r.retain_days,
           row_number() OVER (PARTITION BY t.repository_id
                              ORDER BY t.updated_at DESC, t.name) AS newest
      FROM tags t JOIN repositories r ON r.id = t.repository_id
     WHERE t.manifest_id IS NOT NULL
       AND (r.retain_tags IS NOT NULL OR r.retain_days IS NOT NULL))
  SELECT repository_id, name FROM ranked
   WHERE NOT (retain_tags IS NOT NULL AND newest <= retain_tags)
     AND NOT (retain_days IS NOT NULL AND updated_at >= ?1 - retain_days * ?2)
   ORDER BY repository_id, name";

/// Untag what retention does not keep (with `dry_run`, only count it). Returns how many.
pub fn expire_tags(tx: &Transaction, now: i64, dry_run: bool) -> Result<u64> {
    let expired: Vec<(i64, String)> = {
        let mut stmt = tx.prepare(EXPIRED)?;
        let rows = stmt.query_map(params![now, DAY_MS], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if dry_run {
        return Ok(expired.len() as u64);
    }
    let mut n = 0;
    for (repository_id, name) in &expired {
        if crate::store::registry::delete_pushed_tag(tx, *repository_id, name)? {
            n += 1;
        }
    }
    Ok(n)
}
