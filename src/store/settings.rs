//! Site settings: a small key/value table.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// The credential epoch: bumped in the transaction of every change that revokes
/// credentials (a password change or reset, a deactivation), by this process or another, so
/// a running server can tell that what it remembers of credentials may be stale.
pub fn credential_epoch(conn: &Connection) -> Result<i64> {
    Ok(get(conn, CREDENTIAL_EPOCH)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

pub fn bump_credential_epoch(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    )?
    .execute([CREDENTIAL_EPOCH])?;
    Ok(())
}

const CREDENTIAL_EPOCH: &str = "credential_epoch";

/// The `markdown::RENDER_VERSION` the stored descriptions were rendered with (1 before the
/// setting existed).
pub fn markdown_version(conn: &Connection) -> Result<i64> {
    Ok(get(conn, MARKDOWN_VERSION)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(1))
}

pub fn set_markdown_version(conn: &Connection, version: i64) -> Result<()> {
    set(conn, MARKDOWN_VERSION, &version.to_string())
}

const MARKDOWN_VERSION: &str = "markdown_version";
