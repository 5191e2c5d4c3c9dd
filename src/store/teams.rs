//! Teams of an organization and their members.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::accounts::{account, A_COLUMNS};
use super::{is_unique_violation, now_ms};
use crate::core::model::{Account, Team};
use crate::error::{Code, Error, Result};

/// Columns of [`team`], for a query that names the teams table `t`.
pub const T_COLUMNS: &str = "t.id, t.org_id, t.name, t.description, t.created_at";

/// A team from the first five columns of a row ([`T_COLUMNS`]).
pub fn team(row: &Row<'_>) -> rusqlite::Result<Team> {
    Ok(Team {
        id: row.get(0)?,
        org_id: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        created_at: row.get(4)?,
    })
}

pub fn team_exists() -> Error {
    Error::new(
        Code::TeamExists,
        "a team with this name already exists in the organization",
    )
}

fn exists(e: rusqlite::Error) -> Error {
    if is_unique_violation(&e) {
        team_exists()
    } else {
        e.into()
    }
}

/// The teams of an organization, by name.
pub fn list(conn: &Connection, org_id: i64) -> Result<Vec<Team>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {T_COLUMNS} FROM teams t WHERE t.org_id = ?1 ORDER BY t.name"
    ))?;
    let rows = stmt.query_map([org_id], team)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn by_name(conn: &Connection, org_id: i64, name: &str) -> Result<Option<Team>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {T_COLUMNS} FROM teams t WHERE t.org_id = ?1 AND t.name = ?2"
        ))?
        .query_row(params![org_id, name], team)
        .optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<Team>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {T_COLUMNS} FROM teams t WHERE t.id = ?1"))?
        .query_row([id], team)
        .optional()?)
}

/// Insert a team; a taken name is a 400 `TEAM_EXISTS`.
pub fn insert(conn: &Connection, org_id: i64, name: &str, description: &str) -> Result<Team> {
    conn.prepare_cached(
        "INSERT INTO teams (org_id, name, description, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![org_id, name, description, now_ms()])
    .map_err(exists)?;
    by_id(conn, conn.last_insert_rowid())?.ok_or_else(|| Error::internal("inserted team vanished"))
}

/// Rename and/or describe a team; `None` keeps the stored value. A taken name is a 400.
pub fn update(
    conn: &Connection,
    id: i64,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE teams SET name = COALESCE(?2, name), description = COALESCE(?3, description) WHERE id = ?1",
    )?
    .execute(params![id, name, description])
    .map_err(exists)?;
    Ok(())
}

/// Delete a team with its memberships and grants (by cascade). True when it existed.
pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM teams WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// The members of a team, by name.
pub fn members(conn: &Connection, team_id: i64) -> Result<Vec<Account>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {A_COLUMNS} FROM team_members m JOIN accounts a ON a.id = m.user_id
         WHERE m.team_id = ?1 ORDER BY a.name"
    ))?;
    let rows = stmt.query_map([team_id], account)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn is_member(conn: &Connection, team_id: i64, user_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM team_members WHERE team_id = ?1 AND user_id = ?2)",
        )?
        .query_row(params![team_id, user_id], |r| r.get(0))?)
}

/// Add a member; adding one who is already in is a no-op.
pub fn add_member(conn: &Connection, team_id: i64, user_id: i64) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?1, ?2)")?
        .execute(params![team_id, user_id])?;
    Ok(())
}

/// Remove a member; true when it was in.
pub fn remove_member(conn: &Connection, team_id: i64, user_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM team_members WHERE team_id = ?1 AND user_id = ?2")?
        .execute(params![team_id, user_id])?
        == 1)
}
