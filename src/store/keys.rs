//! API keys, Index access tokens and web sessions: secrets kept only as hashes.

use rusqlite::{params, Connection, OptionalExtension};

use super::now_ms;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub fn insert_api_key(
    conn: &Connection,
    user_id: i64,
    name: &str,
    prefix: &str,
    hash: &str,
) -> Result<ApiKey> {
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, name, prefix, hash, now])?;
    Ok(ApiKey {
        id: conn.last_insert_rowid(),
        user_id,
        name: name.to_owned(),
        prefix: prefix.to_owned(),
        created_at: now,
        last_used_at: None,
    })
}

/// The key with this hash: `(key id, user id)`.
pub fn api_key_by_hash(conn: &Connection, hash: &str) -> Result<Option<(i64, i64)>> {
    Ok(conn
        .prepare_cached("SELECT id, user_id FROM api_keys WHERE key_hash = ?1")?
        .query_row([hash], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn api_keys_of(conn: &Connection, user_id: i64) -> Result<Vec<ApiKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, user_id, name, prefix, created_at, last_used_at FROM api_keys WHERE user_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(ApiKey {
            id: r.get(0)?,
            user_id: r.get(1)?,
            name: r.get(2)?,
            prefix: r.get(3)?,
            created_at: r.get(4)?,
            last_used_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Keep only the newest `keep` keys of a user with this name; how many were deleted.
pub fn prune_named_api_keys(
    conn: &Connection,
    user_id: i64,
    name: &str,
    keep: i64,
) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM api_keys WHERE user_id = ?1 AND name = ?2 AND id NOT IN
                (SELECT id FROM api_keys WHERE user_id = ?1 AND name = ?2 ORDER BY id DESC LIMIT +?3)",
        )?
        .execute(params![user_id, name, keep])?)
}

/// Delete a user's key; true when it existed.
pub fn delete_api_key(conn: &Connection, user_id: i64, key_id: i64) -> Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM api_keys WHERE id = ?1 AND user_id = ?2")?
        .execute(params![key_id, user_id])?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: i64,
    /// The account holding it; `None` for an anonymous read token (migration 6).
    pub user_id: Option<i64>,
    pub repository: String,
    pub access: String,
    pub expires_at: i64,
}

/// Store a token; `user_id` `None` is an anonymous token, which the schema allows for
/// `read` only.
pub fn insert_access_token(
    conn: &Connection,
    hash: &str,
    user_id: Option<i64>,
    repository: &str,
    access: &str,
    expires_at: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO access_tokens (token_hash, user_id, repository, access, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![hash, user_id, repository, access, now_ms(), expires_at])?;
    Ok(conn.last_insert_rowid())
}

/// The unexpired token with this hash.
pub fn access_token_by_hash(conn: &Connection, hash: &str) -> Result<Option<AccessToken>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, user_id, repository, access, expires_at FROM access_tokens
             WHERE token_hash = ?1 AND expires_at > ?2",
        )?
        .query_row(params![hash, now_ms()], |r| {
            Ok(AccessToken {
                id: r.get(0)?,
                user_id: r.get(1)?,
                repository: r.get(2)?,
                access: r.get(3)?,
                expires_at: r.get(4)?,
            })
        })
        .optional()?)
}

/// Consume (delete) a token; true when it was there.
pub fn delete_access_token(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM access_tokens WHERE id = ?1")?
        .execute([id])?
        == 1)
}

pub fn purge_expired_access_tokens(conn: &Connection) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM access_tokens WHERE expires_at <= ?1")?
        .execute([now_ms()])?)
}

/// Delete every Index access token of a user (password change).
pub fn delete_access_tokens_of(conn: &Connection, user_id: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM access_tokens WHERE user_id = ?1")?
        .execute([user_id])?)
}

/// Delete every web session of a user (password change, deactivation).
pub fn delete_sessions_of(conn: &Connection, user_id: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user_id])?)
}
