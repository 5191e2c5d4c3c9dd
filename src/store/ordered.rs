//! One page of a set of repositories in an order, without sorting the whole set: the order's
//! index is walked from the top, keeping members of the set, until the page is full. When
//! members are so few that a bounded walk does not fill the page, they are sorted instead
//! (few rows, so a cheap sort). Either way the page costs about its own rows, not a visit to
//! every member: a search for a common word ranks the first 25 of 10,000 matches by looking
//! at a few hundred index entries and no row.
//!
//! The set is an SQL condition on `r.id`, usually `r.id IN (<ids from a full-text index>)`,
//! which SQLite computes once per statement.

use rusqlite::types::ToSql;
use rusqlite::Connection;

use crate::error::Result;

/// An order as the walk needs it.
pub struct Walk {
    /// The ids and sort keys of every repository in this order, read from one index (no
    /// row, no sort), as a subquery the page is filtered from; its columns are named so that
    /// `outer` can refer to them as `r.<name>`.
    pub inner: &'static str,
    /// The order over `inner`'s columns.
    pub outer: &'static str,
    /// The same order over `repositories r`, for sorting a few members.
    pub table: &'static str,
}

/// Walks at least this many index entries before sorting instead; and, for deeper pages,
/// this many per row wanted. Tests walk little, so that small fixtures sort too.
#[cfg(not(test))]
const WALK_MIN: i64 = 2048;
#[cfg(not(test))]
const WALK_PER_ROW: i64 = 64;
#[cfg(test)]
const WALK_MIN: i64 = 8;
#[cfg(test)]
const WALK_PER_ROW: i64 = 2;

/// Up to `limit` ids of the repositories that satisfy `set` (an SQL condition on `r.id`
/// whose parameters are `params`), in `walk`'s order, after the first `offset` of them.
pub fn page(
    conn: &Connection,
    walk: &Walk,
    set: &str,
    params: &[(&str, &dyn ToSql)],
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    if limit <= 0 {
        return Ok(Vec::new());
    }
    let needed = offset.saturating_add(limit);
    let cap = needed.saturating_mul(WALK_PER_ROW).max(WALK_MIN);
    let walked = ids(
        conn,
        &walk.walk_sql(set),
        params,
        &[(":cap", &cap), (":needed", &needed)],
    )?;
    let everything_walked = || -> Result<bool> {
        let last: Option<i64> = conn
            .prepare_cached("SELECT max(rowid) FROM repositories")?
            .query_row([], |r| r.get(0))?;
        Ok(last.unwrap_or(0) <= cap)
    };
    if walked.len() as i64 >= needed || everything_walked()? {
        return Ok(walked
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .collect());
    }
    // Fewer members in the first `cap` entries than the page needs: few enough to sort.
    ids(
        conn,
        &walk.sort_sql(set),
        params,
        &[(":limit", &limit), (":offset", &offset)],
    )
}

impl Walk {
    /// The members of `set` among the first `:cap` entries of the order, at most `:needed`.
    pub fn walk_sql(&self, set: &str) -> String {
        format!(
            "SELECT r.id FROM ({} LIMIT +:cap) AS r WHERE {set} ORDER BY {} LIMIT +:needed",
            self.inner, self.outer
        )
    }

    /// One page of the members of `set`, sorted.
    pub fn sort_sql(&self, set: &str) -> String {
        format!(
            "SELECT r.id FROM repositories r WHERE {set} ORDER BY {} LIMIT +:limit OFFSET :offset",
            self.table
        )
    }
}

fn ids(
    conn: &Connection,
    sql: &str,
    params: &[(&str, &dyn ToSql)],
    more: &[(&str, &dyn ToSql)],
) -> Result<Vec<i64>> {
    let all: Vec<(&str, &dyn ToSql)> = params.iter().chain(more).copied().collect();
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(all.as_slice(), |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
