//! One page of a set of repositories in an order, without sorting the whole set: the order's
//! index is walked from the top, keeping members of the set, until the page is full. When
//! members are so few that a bounded walk would not fill the page, they are sorted instead
//! (few rows, so a cheap sort). Either way the page costs about its own rows, not a visit to
//! every member: a search for a common word ranks the first 25 of 10,000 matches by looking
//! at a few hundred index entries and no row.
//!
//! The set is a sorted list of ids ([`Members`]), read once from the full-text indexes. The
//! walk steps through the order's index here, not inside SQLite: a statement that filtered
//! the walk by an `IN (...)` set built the set as a temporary b-tree and copied every sort
//! key of every entry it walked out of a subquery, five times the cost of stepping the
//! index and looking each id up in a sorted list.

use rusqlite::Connection;

use crate::error::Result;

/// An order as the walk needs it.
pub struct Walk {
    /// The ids of every repository in this order, read from one index (no row, no sort).
    pub inner: &'static str,
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

/// A set of repository ids, sorted and without duplicates.
#[derive(Debug, Default)]
pub struct Members(Vec<i64>);

impl Members {
    /// The set of these ids (in any order, duplicates allowed).
    pub fn new(mut ids: Vec<i64>) -> Members {
        // A stable sort finds the ascending runs the full-text indexes return (one per
        // index) and merges them, where an unstable one would sort them again.
        ids.sort();
        ids.dedup();
        Members(ids)
    }

    /// The ids of this set that are not in `other`.
    pub fn without(self, other: &Members) -> Members {
        Members(
            self.0
                .into_iter()
                .filter(|id| !other.contains(*id))
                .collect(),
        )
    }

    pub fn contains(&self, id: i64) -> bool {
        self.0.binary_search(&id).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Up to `limit` ids of `members` in `walk`'s order, after the first `offset` of them.
pub fn page(
    conn: &Connection,
    walk: &Walk,
    members: &Members,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    if limit <= 0 || members.is_empty() || offset >= members.len() as i64 {
        return Ok(Vec::new());
    }
    let needed = offset.saturating_add(limit);
    let cap = needed.saturating_mul(WALK_PER_ROW).max(WALK_MIN);
    let last: i64 = conn
        .prepare_cached("SELECT coalesce(max(rowid), 0) FROM repositories")?
        .query_row([], |r| r.get(0))?;
    // Entries to walk for `needed` members, were they spread evenly through the order.
    let expected = needed.saturating_mul(last) / members.len() as i64;
    if expected <= cap {
        let mut stmt = conn.prepare_cached(&walk.walk_sql())?;
        let mut rows = stmt.query([cap])?;
        let mut found = Vec::new();
        let mut walked = 0;
        while let Some(row) = rows.next()? {
            walked += 1;
            let id: i64 = row.get(0)?;
            if members.contains(id) {
                found.push(id);
                if found.len() as i64 >= needed {
                    break;
                }
            }
        }
        // A full page, or the whole order walked.
        if found.len() as i64 >= needed || walked < cap {
            return Ok(found
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .collect());
        }
    }
    // Too few members in the first `cap` entries for the page: few enough to sort.
    let ids = serde_json::Value::from(members.0.as_slice()).to_string();
    let mut stmt = conn.prepare_cached(&walk.sort_sql())?;
    let rows = stmt.query_map(
        rusqlite::named_params! {":ids": ids, ":limit": limit, ":offset": offset},
        |r| r.get(0),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Walk {
    /// The first `?1` entries of the order.
    pub fn walk_sql(&self) -> String {
        format!("{} LIMIT +?1", self.inner)
    }

    /// One page of the members (`:ids`, a JSON array), sorted.
    pub fn sort_sql(&self) -> String {
        format!(
            "SELECT r.id FROM repositories r WHERE r.id IN (SELECT value FROM json_each(:ids))
             ORDER BY {} LIMIT +:limit OFFSET :offset",
            self.table
        )
    }
}
