//! Stars: a user stars a repository once; `repositories.star_count` follows by trigger.

use rusqlite::{params, Connection};

use super::now_ms;
use crate::error::Result;

/// Star a repository; false when the user had already starred it.
pub fn star(conn: &Connection, user_id: i64, repository_id: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO stars (user_id, repository_id, created_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![user_id, repository_id, now_ms()])?;
    Ok(n == 1)
}

/// Take a star back; false when there was none.
pub fn unstar(conn: &Connection, user_id: i64, repository_id: i64) -> Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM stars WHERE user_id = ?1 AND repository_id = ?2")?
        .execute(params![user_id, repository_id])?;
    Ok(n == 1)
}

pub fn is_starred(conn: &Connection, user_id: i64, repository_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM stars WHERE user_id = ?1 AND repository_id = ?2)",
        )?
        .query_row(params![user_id, repository_id], |r| r.get(0))?)
}
