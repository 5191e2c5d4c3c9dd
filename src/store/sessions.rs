//! Web UI sessions (table `sessions`): the cookie carries a random id, the store keeps only
//! its SHA-256, the user it belongs to, the session's CSRF token and when it expires.

use rusqlite::{params, Connection, OptionalExtension};

use super::accounts::{account, A_COLUMNS};
use super::now_ms;
use crate::core::model::Account;
use crate::error::Result;

pub fn insert(
    conn: &Connection,
    id_hash: &str,
    user_id: i64,
    csrf_token: &str,
    expires_at: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id_hash, user_id, csrf_token, now_ms(), expires_at])?;
    Ok(())
}

/// The active user of an unexpired session and the session's CSRF token, in one lookup.
/// An inactive user has no session (deactivation ends it at once).
pub fn active(conn: &Connection, id_hash: &str) -> Result<Option<(Account, String)>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {A_COLUMNS}, s.csrf_token FROM sessions s JOIN accounts a ON a.id = s.user_id
             WHERE s.id_hash = ?1 AND s.expires_at > ?2 AND a.is_active = 1"
        ))?
        .query_row(params![id_hash, now_ms()], |r| Ok((account(r)?, r.get(7)?)))
        .optional()?)
}

pub fn delete(conn: &Connection, id_hash: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
        .execute([id_hash])?
        == 1)
}

/// Forget sessions past their expiry (run as new ones start).
pub fn purge_expired(conn: &Connection) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
        .execute([now_ms()])?)
}
