//! Web UI sessions: server-side, the cookie carries only a random id (the store keeps its
//! SHA-256), each session has its own CSRF token, and every session expires.

use rusqlite::Connection;

use crate::auth::secret;
use crate::core::model::Account;
use crate::error::Result;
use crate::store;

/// Characters of a session id and of a CSRF token (alphanumerics, ~238 bits).
pub const SECRET_LEN: usize = 40;

/// A session that just started: the id for the cookie (shown once) and its CSRF token.
pub struct Started {
    pub id: String,
    pub csrf_token: String,
}

/// Start a session for a user that has just proved who it is, ending `previous` (the
/// session the browser had, if any), so every sign-in gets a new id.
pub fn start(
    conn: &mut Connection,
    user_id: i64,
    lifetime_secs: u64,
    previous: Option<&str>,
) -> Result<Started> {
    let id = secret::random_string(SECRET_LEN);
    let csrf_token = secret::random_string(SECRET_LEN);
    let lifetime_ms = i64::try_from(lifetime_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let expires_at = store::now_ms().saturating_add(lifetime_ms);
    let hash = secret::sha256_hex(&id);
    let previous = previous.map(secret::sha256_hex);
    store::write(conn, |tx| {
        store::sessions::purge_expired(tx)?;
        if let Some(old) = &previous {
            store::sessions::delete(tx, old)?;
        }
        store::sessions::insert(tx, &hash, user_id, &csrf_token, expires_at)
    })?;
    Ok(Started { id, csrf_token })
}

/// The user of a live session and its CSRF token; `None` for an unknown, expired or
/// ended session, or a user deactivated since.
pub fn resolve(conn: &Connection, id: &str) -> Result<Option<(Account, String)>> {
    if id.len() != SECRET_LEN || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    store::sessions::active(conn, &secret::sha256_hex(id))
}

/// End a session (sign-out). Ending one that is gone changes nothing.
pub fn end(conn: &Connection, id: &str) -> Result<()> {
    store::sessions::delete(conn, &secret::sha256_hex(id)).map(|_| ())
}
