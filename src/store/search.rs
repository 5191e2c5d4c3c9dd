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
        // Counted from the public counter and the viewer's own grants, not row by row.
        let total = count_visible(conn, viewer, admin)?;
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
        if viewer < 0 {
            return explore_public(conn, order, limit, offset);
        }
        let total = count_visible(conn, viewer, admin)?;
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

/// Private repositories a signed-in, non-admin viewer may read, as the union of the ways
/// [`VISIBLE`] admits one (own namespace, user grant, team grant, organization owners or a
/// namespace grant), each walked from the viewer's side through indexes.
const PRIVATE_READABLE: &str = "SELECT count(*) FROM (
    SELECT id FROM repositories WHERE namespace_id = :viewer AND is_public = 0
    UNION
    SELECT r.id FROM repository_user_access x JOIN repositories r ON r.id = x.repository_id
        JOIN accounts a ON a.id = r.namespace_id
        WHERE x.user_id = :viewer AND a.kind = 'user' AND r.is_public = 0
    UNION
    SELECT r.id FROM team_members m JOIN repository_team_access x ON x.team_id = m.team_id
        JOIN repositories r ON r.id = x.repository_id JOIN accounts a ON a.id = r.namespace_id
        WHERE m.user_id = :viewer AND a.kind = 'organization' AND r.is_public = 0
    UNION
    SELECT r.id FROM team_members m JOIN teams t ON t.id = m.team_id
        LEFT JOIN namespace_team_access n ON n.team_id = t.id
        JOIN repositories r ON r.namespace_id = t.org_id
        WHERE m.user_id = :viewer AND (t.name = 'owners' OR n.level IS NOT NULL)
          AND r.is_public = 0)";

/// How many repositories [`VISIBLE`] admits for a viewer (`-1` anonymous), without filtering
/// every row: the public counter plus what the viewer reaches through its own grants (site
/// admins: every repository). A test holds it equal to counting with [`VISIBLE`].
pub fn count_visible(conn: &Connection, viewer: i64, admin: bool) -> Result<i64> {
    if admin {
        return Ok(conn
            .prepare_cached("SELECT count(*) FROM repositories")?
            .query_row([], |r| r.get(0))?);
    }
    let public: i64 = conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'public_repositories'")?
        .query_row([], |r| r.get(0))?;
    if viewer < 0 {
        return Ok(public);
    }
    let private: i64 = conn
        .prepare_cached(PRIVATE_READABLE)?
        .query_row(named_params! {":viewer": viewer}, |r| r.get(0))?;
    Ok(public + private)
}

/// Columns of [`repository`] without the long description and its HTML, which listings
/// never show (they are read as empty strings).
const LIST_COLUMNS: &str = "r.id, r.namespace_id, a.name, a.kind, r.name, r.full_path,
    r.short_description, '', '', r.is_public,
    r.created_at, r.updated_at, r.pull_count, r.push_count, r.pulled_at, r.pushed_at, r.star_count";

/// The anonymous explore page. For an anonymous viewer [`VISIBLE`] is exactly
/// `r.is_public = 1`, so the total is the trigger-kept counter and the page walks the order's
/// index keeping public rows: a page costs its rows, not a scan of the table.
fn explore_public(
    conn: &Connection,
    order: Order,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let total = count_visible(conn, -1, false)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LIST_COLUMNS} FROM {FROM} WHERE r.is_public = 1
         ORDER BY {} LIMIT :limit OFFSET :offset",
        order.sql()
    ))?;
    let rows = stmt.query_map(
        named_params! {":limit": limit, ":offset": offset},
        repository,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The counter agrees with counting public repositories through inserts, visibility
    /// changes both ways, deletes and an account's deletion; and the anonymous page equals
    /// the general (VISIBLE) query for an anonymous viewer.
    #[test]
    fn the_public_counter_and_the_anonymous_page_agree_with_visible() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let conn = store.conn().unwrap();
        let now = 1;
        conn.execute_batch(&format!(
            "INSERT INTO accounts (id, name, kind, password_hash, created_at) VALUES (100, 'u1', 'user', 'x', {now});
             INSERT INTO accounts (id, name, kind, password_hash, created_at) VALUES (101, 'u2', 'user', 'x', {now});"
        ))
        .unwrap();
        for i in 0..30 {
            conn.execute(
                "INSERT INTO repositories (namespace_id, name, full_path, is_public, created_at, star_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![100 + i % 2, format!("r{i}"), format!("u{}/r{i}", 1 + i % 2), i % 3 != 0, i, i % 7],
            )
            .unwrap();
        }
        let check = |conn: &Connection| {
            let visible: i64 = conn
                .query_row(
                    &format!(
                        "SELECT count(*) FROM {FROM} WHERE {}",
                        VISIBLE
                            .replace(":viewer_admin", "0")
                            .replace(":viewer", "-1")
                    ),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            for order in [Order::Updated, Order::Stars, Order::Pulls, Order::Name] {
                let (fast, total) = explore_public(conn, order, 7, 3).unwrap();
                assert_eq!(total, visible);
                let sql = format!(
                    "SELECT r.id FROM {FROM} WHERE {} ORDER BY {} LIMIT 7 OFFSET 3",
                    VISIBLE
                        .replace(":viewer_admin", "0")
                        .replace(":viewer", "-1"),
                    order.sql()
                );
                let mut stmt = conn.prepare(&sql).unwrap();
                let ids: Vec<i64> = stmt
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect();
                assert_eq!(fast.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
            }
        };
        check(&conn);
        conn.execute_batch(
            "UPDATE repositories SET is_public = 1 - is_public WHERE id % 4 = 0;
             UPDATE repositories SET is_public = is_public WHERE id % 5 = 0;
             DELETE FROM repositories WHERE id % 6 = 0;",
        )
        .unwrap();
        check(&conn);
        crate::store::accounts::delete(&conn, 101).unwrap();
        check(&conn);
    }
}

#[cfg(test)]
mod count_tests {
    use super::*;
    use crate::store::accounts::{insert_organization, insert_user, NewUser};

    /// Every way of reading a private repository, for users with and without each one: the
    /// indexed count equals counting with `VISIBLE`.
    #[test]
    fn count_visible_agrees_with_the_visible_filter() {
        let conn = crate::store::memory();
        let mk = |name: &str, admin: bool, active: bool| {
            insert_user(
                &conn,
                &NewUser {
                    name,
                    password_hash: "x",
                    email: None,
                    is_active: active,
                    is_admin: admin,
                },
            )
            .unwrap()
        };
        let owner = mk("owner", false, true);
        let users = [
            owner.clone(),
            mk("other", false, true),
            mk("root", true, true),
            mk("sleepy", false, false),
            mk("member", false, true),
            mk("teamed", false, true),
            mk("nsgrant", false, true),
            mk("collab", false, true),
        ];
        let org = insert_organization(&conn, "org", Some(owner.id)).unwrap();
        let org2 = insert_organization(&conn, "org2", Some(users[4].id)).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO teams (id, org_id, name, created_at) VALUES (100, {org}, 'plain', 0), (101, {org}, 'repo-team', 0), (102, {org}, 'ns-team', 0);
             INSERT INTO team_members VALUES (100, {member}), (101, {teamed}), (102, {nsgrant}), (100, {sleepy}), (101, {nsgrant});
             INSERT INTO namespace_team_access VALUES (102, 'read-only');",
            org = org.id, member = users[4].id, teamed = users[5].id, nsgrant = users[6].id, sleepy = users[3].id
        ))
        .unwrap();
        let mut n = 0;
        for (ns_id, ns_name) in [
            (owner.id, "owner"),
            (org.id, "org"),
            (org2.id, "org2"),
            (users[7].id, "collab"),
        ] {
            for i in 0..6 {
                n += 1;
                conn.execute(
                    "INSERT INTO repositories (id, namespace_id, name, full_path, is_public, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                    rusqlite::params![n, ns_id, format!("r{i}"), format!("{ns_name}/r{i}"), i % 3 == 0],
                )
                .unwrap();
                // Grants on some repositories: user grants (count on user-owned only) and team
                // grants (count on organization-owned only), overlapping other ways in.
                if i % 2 == 0 {
                    conn.execute_batch(&format!(
                        "INSERT INTO repository_user_access VALUES ({n}, {c}, 'read-only');
                         INSERT INTO repository_team_access VALUES ({n}, 101, 'read-write');",
                        c = users[7].id
                    ))
                    .unwrap();
                }
            }
        }
        let mut viewers: Vec<(i64, bool)> = vec![(-1, false)];
        viewers.extend(users.iter().map(|u| {
            if u.is_active {
                (u.id, u.is_admin)
            } else {
                (-1, false)
            }
        }));
        for (viewer, admin) in viewers {
            let by_filter: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM {FROM} WHERE {VISIBLE}"),
                    named_params! {":viewer": viewer, ":viewer_admin": admin},
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(
                count_visible(&conn, viewer, admin).unwrap(),
                by_filter,
                "viewer {viewer}"
            );
        }
        // The fixture reaches private repositories in several ways.
        assert_eq!(
            count_visible(&conn, users[6].id, false).unwrap(),
            count_visible(&conn, -1, false).unwrap() + 6
        );
    }
}
