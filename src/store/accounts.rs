//! Accounts (users and organizations), emails, teams and memberships.

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::{is_unique_violation, now_ms};
use crate::core::model::{Account, AccountKind};
use crate::error::{Code, Error, Result};

const COLUMNS: &str = "id, name, kind, full_name, is_active, is_admin, created_at";

/// [`COLUMNS`] for a query that names the accounts table `a`; [`account`] reads them.
pub const A_COLUMNS: &str =
    "a.id, a.name, a.kind, a.full_name, a.is_active, a.is_admin, a.created_at";

/// An account from the first seven columns of a row ([`COLUMNS`] or [`A_COLUMNS`]).
pub fn account(row: &Row<'_>) -> rusqlite::Result<Account> {
    let kind: String = row.get(2)?;
    Ok(Account {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: AccountKind::parse(&kind).unwrap_or(AccountKind::User),
        full_name: row.get(3)?,
        is_active: row.get(4)?,
        is_admin: row.get(5)?,
        created_at: row.get(6)?,
    })
}

pub fn by_name(conn: &Connection, name: &str) -> Result<Option<Account>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE name = ?1"))?
        .query_row([name], account)
        .optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<Account>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"))?
        .query_row([id], account)
        .optional()?)
}

/// A user and its password hash, for credential checks.
pub fn user_with_hash(conn: &Connection, name: &str) -> Result<Option<(Account, String)>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, password_hash FROM accounts WHERE name = ?1 AND kind = 'user'"
        ))?
        .query_row([name], |r| Ok((account(r)?, r.get(7)?)))
        .optional()?)
}

pub fn count_users(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM accounts WHERE kind = 'user'",
        [],
        |r| r.get(0),
    )?)
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub password_hash: &'a str,
    pub email: Option<&'a str>,
    pub is_active: bool,
    pub is_admin: bool,
}

/// Insert a user (and its first email). A taken name or email is a 400 `ACCOUNT_EXISTS`.
pub fn insert_user(conn: &Connection, user: &NewUser<'_>) -> Result<Account> {
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO accounts (name, kind, password_hash, is_active, is_admin, created_at)
         VALUES (?1, 'user', ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        user.name,
        user.password_hash,
        user.is_active,
        user.is_admin,
        now
    ])
    .map_err(exists)?;
    let id = conn.last_insert_rowid();
    if let Some(email) = user.email {
        add_email(conn, id, email)?;
    }
    by_id(conn, id)?.ok_or_else(|| Error::internal("inserted user vanished"))
}

/// Insert an organization with its `owners` team, holding `creator` if given.
pub fn insert_organization(
    conn: &Transaction,
    name: &str,
    creator: Option<i64>,
) -> Result<Account> {
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO accounts (name, kind, created_at) VALUES (?1, 'organization', ?2)",
    )?
    .execute(params![name, now])
    .map_err(exists)?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO teams (org_id, name, description, created_at) VALUES (?1, 'owners', 'Owners of the organization', ?2)",
    )?
    .execute(params![id, now])?;
    if let Some(user_id) = creator {
        let team_id = conn.last_insert_rowid();
        conn.prepare_cached("INSERT INTO team_members (team_id, user_id) VALUES (?1, ?2)")?
            .execute(params![team_id, user_id])?;
    }
    by_id(conn, id)?.ok_or_else(|| Error::internal("inserted organization vanished"))
}

pub fn account_exists() -> Error {
    Error::new(
        Code::AccountExists,
        "an account with this name or email already exists",
    )
}

fn exists(e: rusqlite::Error) -> Error {
    if is_unique_violation(&e) {
        account_exists()
    } else {
        e.into()
    }
}

/// Add an email to an account; adding one it already has is a no-op.
pub fn add_email(conn: &Connection, account_id: i64, email: &str) -> Result<()> {
    let owner: Option<i64> = conn
        .prepare_cached("SELECT account_id FROM emails WHERE email = ?1")?
        .query_row([email], |r| r.get(0))
        .optional()?;
    match owner {
        Some(id) if id == account_id => Ok(()),
        Some(_) => Err(account_exists()),
        None => {
            conn.prepare_cached(
                "INSERT INTO emails (account_id, email, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![account_id, email, now_ms()])
            .map_err(exists)?;
            Ok(())
        }
    }
}

pub fn emails(conn: &Connection, account_id: i64) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT email FROM emails WHERE account_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([account_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether a name or an email is taken (names and emails are compared as stored).
pub fn name_or_email_taken(conn: &Connection, name: &str, email: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE name = ?1)
                 OR EXISTS (SELECT 1 FROM emails WHERE email = ?2)",
        )?
        .query_row(params![name, email], |r| r.get(0))?)
}

pub fn set_password_hash(conn: &Connection, user_id: i64, hash: &str) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE accounts SET password_hash = ?2 WHERE id = ?1 AND kind = 'user'")?
        .execute(params![user_id, hash])?;
    Ok(n == 1)
}

pub fn set_active(conn: &Connection, user_id: i64, active: bool) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE accounts SET is_active = ?2 WHERE id = ?1 AND kind = 'user'")?
        .execute(params![user_id, active])?;
    Ok(n == 1)
}

pub fn set_admin(conn: &Connection, user_id: i64, admin: bool) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE accounts SET is_admin = ?2 WHERE id = ?1 AND kind = 'user'")?
        .execute(params![user_id, admin])?;
    Ok(n == 1)
}

/// Ids of the teams a user is in.
pub fn team_ids_of(conn: &Connection, user_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached("SELECT team_id FROM team_members WHERE user_id = ?1")?;
    let rows = stmt.query_map([user_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every account, users and organizations, by name.
pub fn list(conn: &Connection) -> Result<Vec<Account>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM accounts ORDER BY name"))?;
    let rows = stmt.query_map([], account)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The organizations a user belongs to (through any of their teams), by name.
pub fn organizations_of(conn: &Connection, user_id: i64) -> Result<Vec<Account>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {A_COLUMNS} FROM accounts a
         WHERE a.kind = 'organization' AND EXISTS (
             SELECT 1 FROM teams t JOIN team_members m ON m.team_id = t.id
             WHERE t.org_id = a.id AND m.user_id = ?1)
         ORDER BY a.name"
    ))?;
    let rows = stmt.query_map([user_id], account)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Active site admins: the site must keep at least one.
pub fn count_active_admins(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM accounts WHERE kind = 'user' AND is_admin = 1 AND is_active = 1",
        [],
        |r| r.get(0),
    )?)
}

/// Delete an account and everything it owns. The repositories go first, explicitly, so
/// their full-text rows are removed by the repository triggers; everything else (emails,
/// teams, memberships, grants, stars, keys, tokens, sessions, external repositories)
/// follows by the schema's `ON DELETE CASCADE`. True when the account existed.
pub fn delete(conn: &Transaction, id: i64) -> Result<bool> {
    conn.prepare_cached("DELETE FROM repositories WHERE namespace_id = ?1")?
        .execute([id])?;
    Ok(conn
        .prepare_cached("DELETE FROM accounts WHERE id = ?1")?
        .execute([id])?
        == 1)
}
