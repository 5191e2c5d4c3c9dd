//! Pulls and pushes per repository per UTC day (`daily_activity`, migration 7): what the
//! activity charts read. Pulls are added by the batched pull writer (`store::pulls`), pushes
//! by `store::tags::record_push` in the push's own transaction.

use rusqlite::{named_params, params, Connection};

use super::repos::{viewer, FROM, VISIBLE};
use crate::core::policy::Caller;
use crate::error::Result;

const DAY_MS: i64 = 86_400_000;

/// The UTC day (days since 1970-01-01) a time in milliseconds falls on.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// One day's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub day: i64,
    pub pulls: i64,
    pub pushes: i64,
}

fn day_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Day> {
    Ok(Day {
        day: r.get(0)?,
        pulls: r.get(1)?,
        pushes: r.get(2)?,
    })
}

/// Add `n` pulls to a repository's day; nothing when the repository is gone meanwhile.
pub fn add_pulls(conn: &Connection, repository_id: i64, day: i64, n: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO daily_activity (repository_id, day, pulls)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM repositories WHERE id = ?1)
         ON CONFLICT (repository_id, day) DO UPDATE SET pulls = pulls + excluded.pulls",
    )?
    .execute(params![repository_id, day, n])?;
    Ok(())
}

/// Add one push to a repository's day (inside the push's transaction).
pub fn add_push(conn: &Connection, repository_id: i64, day: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO daily_activity (repository_id, day, pushes) VALUES (?1, ?2, 1)
         ON CONFLICT (repository_id, day) DO UPDATE SET pushes = pushes + 1",
    )?
    .execute(params![repository_id, day])?;
    Ok(())
}

/// A repository's days from `from` on (days without activity have no row), oldest first.
pub fn of_repository(conn: &Connection, repository_id: i64, from: i64) -> Result<Vec<Day>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, pulls, pushes FROM daily_activity
          WHERE repository_id = ?1 AND day >= ?2 ORDER BY day",
    )?;
    let rows = stmt.query_map(params![repository_id, from], day_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The days from `from` on, summed over the repositories of a namespace that the caller may
/// read ([`VISIBLE`]): a repository the caller cannot see adds nothing.
pub fn of_namespace(
    conn: &Connection,
    caller: Option<&Caller>,
    namespace_id: i64,
    from: i64,
) -> Result<Vec<Day>> {
    let (viewer, admin) = viewer(caller);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT d.day, sum(d.pulls), sum(d.pushes)
           FROM {FROM} JOIN daily_activity d ON d.repository_id = r.id
          WHERE r.namespace_id = :ns AND d.day >= :from AND {VISIBLE}
          GROUP BY d.day ORDER BY d.day"
    ))?;
    let rows = stmt.query_map(
        named_params! {":ns": namespace_id, ":from": from, ":viewer": viewer, ":viewer_admin": admin},
        day_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_days_since_the_epoch() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY_MS - 1), 0);
        assert_eq!(day_of(DAY_MS), 1);
        assert_eq!(day_of(-1), -1, "before 1970 rounds down, not toward zero");
        // 2026-07-01T00:00:00Z
        assert_eq!(day_of(1_782_864_000_000), 20_635);
    }

    #[test]
    fn counts_add_up_per_day_and_skip_deleted_repositories() {
        let conn = crate::store::memory();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, created_at) VALUES (1, 'acme', 'organization', 0);
             INSERT INTO repositories (id, namespace_id, name, full_path, created_at) VALUES (7, 1, 'web', 'acme/web', 0);",
        )
        .unwrap();
        add_pulls(&conn, 7, 10, 3).unwrap();
        add_pulls(&conn, 7, 10, 2).unwrap();
        add_push(&conn, 7, 10).unwrap();
        add_push(&conn, 7, 12).unwrap();
        add_pulls(&conn, 99, 10, 1).unwrap();
        assert_eq!(
            of_repository(&conn, 7, 0).unwrap(),
            vec![
                Day {
                    day: 10,
                    pulls: 5,
                    pushes: 1
                },
                Day {
                    day: 12,
                    pulls: 0,
                    pushes: 1
                }
            ]
        );
        assert_eq!(of_repository(&conn, 7, 11).unwrap().len(), 1);
        assert!(of_repository(&conn, 99, 0).unwrap().is_empty());
    }
}
