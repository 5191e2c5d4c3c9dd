//! Full-text search over repositories (FTS5 table `repositories_fts`), filtered to what the
//! viewer may read in the same statement, so a page never leaks and counts stay true.

use rusqlite::{named_params, Connection};

use super::repos::{repository, viewer, COLUMNS, FROM, VISIBLE};
use crate::core::model::Repository;
use crate::core::policy::Caller;
use crate::error::Result;

/// One page of the repositories the caller may read that match `fts` (an FTS5 query built
/// by `core::search::fts_query`; `None` lists everything visible), best match first, and the
/// true total. Weights: the path counts most, then the short, then the long description.
pub fn search(
    conn: &Connection,
    caller: Option<&Caller>,
    fts: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let (viewer, admin) = viewer(caller);
    let Some(fts) = fts else {
        let total: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM {FROM} WHERE {VISIBLE}"))?
            .query_row(
                named_params! {":viewer": viewer, ":viewer_admin": admin},
                |r| r.get(0),
            )?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {VISIBLE} ORDER BY r.full_path LIMIT :limit OFFSET :offset"
        ))?;
        let rows = stmt.query_map(
            named_params! {":viewer": viewer, ":viewer_admin": admin, ":limit": limit, ":offset": offset},
            repository,
        )?;
        return Ok((rows.collect::<rusqlite::Result<_>>()?, total));
    };
    let from = "repositories_fts JOIN repositories r ON r.id = repositories_fts.rowid
                JOIN accounts a ON a.id = r.namespace_id";
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM {from} WHERE repositories_fts MATCH :q AND {VISIBLE}"
        ))?
        .query_row(
            named_params! {":q": fts, ":viewer": viewer, ":viewer_admin": admin},
            |r| r.get(0),
        )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {from} WHERE repositories_fts MATCH :q AND {VISIBLE}
         ORDER BY bm25(repositories_fts, 10.0, 3.0, 1.0), r.star_count DESC, r.full_path
         LIMIT :limit OFFSET :offset"
    ))?;
    let rows = stmt.query_map(
        named_params! {":q": fts, ":viewer": viewer, ":viewer_admin": admin, ":limit": limit, ":offset": offset},
        repository,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// How the explore page orders repositories. Each order other than `Relevance` walks an
/// index (see schema.sql), so a page costs its rows, not a sort of every repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Best full-text match first (only with a query; without one it means `Updated`).
    Relevance,
    /// Latest of creation, update and push first.
    Updated,
    Stars,
    Pulls,
    Name,
}

impl Order {
    fn sql(self) -> &'static str {
        match self {
            Order::Relevance => {
                "bm25(repositories_fts, 10.0, 3.0, 1.0), r.star_count DESC, r.full_path"
            }
            Order::Updated => {
                "MAX(r.created_at, COALESCE(r.updated_at, 0), COALESCE(r.pushed_at, 0)) DESC, r.id DESC"
            }
            Order::Stars => "r.star_count DESC, r.id DESC",
            Order::Pulls => "r.pull_count DESC, r.id DESC",
            Order::Name => "r.full_path",
        }
    }
}

/// One page of the repositories the caller may read (matching `fts` when given) in the
/// given order, and their true total: two statements, visibility filtered in SQL.
pub fn explore(
    conn: &Connection,
    caller: Option<&Caller>,
    fts: Option<&str>,
    order: Order,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let (viewer, admin) = viewer(caller);
    let Some(fts) = fts else {
        let order = if order == Order::Relevance {
            Order::Updated
        } else {
            order
        };
        let total: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM {FROM} WHERE {VISIBLE}"))?
            .query_row(
                named_params! {":viewer": viewer, ":viewer_admin": admin},
                |r| r.get(0),
            )?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {VISIBLE} ORDER BY {} LIMIT :limit OFFSET :offset",
            order.sql()
        ))?;
        let rows = stmt.query_map(
            named_params! {":viewer": viewer, ":viewer_admin": admin, ":limit": limit, ":offset": offset},
            repository,
        )?;
        return Ok((rows.collect::<rusqlite::Result<_>>()?, total));
    };
    let from = "repositories_fts JOIN repositories r ON r.id = repositories_fts.rowid
                JOIN accounts a ON a.id = r.namespace_id";
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM {from} WHERE repositories_fts MATCH :q AND {VISIBLE}"
        ))?
        .query_row(
            named_params! {":q": fts, ":viewer": viewer, ":viewer_admin": admin},
            |r| r.get(0),
        )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {from} WHERE repositories_fts MATCH :q AND {VISIBLE}
         ORDER BY {} LIMIT :limit OFFSET :offset",
        order.sql()
    ))?;
    let rows = stmt.query_map(
        named_params! {":q": fts, ":viewer": viewer, ":viewer_admin": admin, ":limit": limit, ":offset": offset},
        repository,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// Namespaces for the explore page: organizations and active users, by name, at most
/// `limit` (names are public anyway: every namespace has a page).
pub fn namespaces(conn: &Connection, limit: i64) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, kind FROM accounts WHERE kind = 'organization' OR is_active = 1
         ORDER BY name LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
