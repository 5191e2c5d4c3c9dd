//! The site-wide catalog of repositories by path, as RegistryUI sees it: pages in byte order
//! of the displayed path (`repositories.display_path`, where `library/x` is `x`), their true
//! counts, the team grants of a page in one query, and the removal of a whole folder.
//!
//! Every page and count goes through [`VISIBLE`], the SQL form of the permission policy, so a
//! private repository the caller may not read is neither listed nor counted. Ranges are
//! exclusive bounds on the indexed `display_path`, so a deep page (keyset `startAfter`) costs
//! what the first page costs.

use rusqlite::{named_params, Connection};

use super::repos::{repository, viewer, COLUMNS, VISIBLE};
use super::search;
use crate::core::model::Repository;
use crate::core::names::LIBRARY;
use crate::core::policy::{Caller, Level};
use crate::error::Result;

/// `store::repos::FROM` with the plan pinned: repositories outside (SQLite's `CROSS JOIN`
/// keeps the order), walked in `display_path` index order (`INDEXED BY`), accounts looked
/// up by key. Left to itself and given statistics, the planner may loop over a few
/// namespaces and sort, or scan the whole table to count a deep range, which would make a
/// deep `startAfter` page cost as much as the whole catalog.
const FROM: &str =
    "repositories r INDEXED BY repositories_display_path CROSS JOIN accounts a ON a.id = r.namespace_id";

/// Displayed paths strictly between `after` and `before` (no upper bound when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRange {
    pub after: String,
    pub before: Option<String>,
}

impl PathRange {
    /// The range condition on `r.display_path`, written so the index serves it.
    fn condition(&self) -> &'static str {
        match self.before {
            Some(_) => "r.display_path > :after AND r.display_path < :before",
            None => "r.display_path > :after",
        }
    }

    /// The SQL of one page: exposed so a test can hold its query plan to the index.
    pub fn page_sql(&self) -> String {
        format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {} AND {VISIBLE}
             ORDER BY r.display_path LIMIT +:limit OFFSET :offset",
            self.condition()
        )
    }
}

/// How many repositories in the range the caller may read, without visiting each of them:
/// the displayed paths of a namespace `ns` other than `library` all lie between `ns/` and
/// `ns0`, so a namespace is either wholly in the range, counted from `namespace_counts` (plus
/// the private repositories the viewer may read there), or cut by one end of the range: at
/// most one namespace at each end, whose rows are counted one by one, with `library`'s (shown
/// without their namespace, so anywhere in the order).
pub fn count_visible(conn: &Connection, caller: Option<&Caller>, range: &PathRange) -> Result<i64> {
    let (viewer, admin) = viewer(caller);
    if range.after.is_empty() && range.before.is_none() {
        // The whole catalog (every displayed path is a name at least): the counters of
        // `search::count_visible`, not a sum over every namespace.
        return search::count_visible(conn, viewer, admin);
    }
    let before = range.before.as_deref();
    let counted: i64 = conn
        .prepare_cached(&format!(
            "SELECT coalesce(sum(CASE WHEN :admin THEN total ELSE public END), 0)
               FROM namespace_counts WHERE folder >= :after AND {}",
            whole("folder")
        ))?
        .query_row(
            named_params! {":after": range.after, ":before": before, ":admin": admin},
            |r| r.get(0),
        )?;
    let private: i64 = if admin || viewer < 0 {
        0
    } else {
        conn.prepare_cached(&format!(
            "SELECT count(*) FROM repositories r JOIN accounts a ON a.id = r.namespace_id
              WHERE r.id IN ({}) AND a.name || '/' >= :after AND {}",
            search::PRIVATE_IDS,
            whole("(a.name || '/')")
        ))?
        .query_row(
            named_params! {":viewer": viewer, ":after": range.after, ":before": before},
            |r| r.get(0),
        )?
    };
    let mut cut = vec![LIBRARY];
    cut.extend(cut_namespace(&range.after));
    cut.extend(before.and_then(cut_namespace));
    cut.sort_unstable();
    cut.dedup();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT count(*) FROM {} WHERE a.name = :ns AND r.display_path > :after
            AND (:before IS NULL OR r.display_path < :before) AND {VISIBLE}",
        super::repos::FROM
    ))?;
    let mut rows = 0;
    for ns in cut {
        rows += stmt.query_row(
            named_params! {":ns": ns, ":after": range.after, ":before": before,
            ":viewer": viewer, ":viewer_admin": admin},
            |r| r.get::<_, i64>(0),
        )?;
    }
    Ok(counted + private + rows)
}

/// The condition that the namespace whose folder (`name/`) is `folder` ends before
/// `:before` (its paths sort before `name0`), and is not `library`. With `folder >= :after`,
/// every displayed path of the namespace is in the range.
fn whole(folder: &str) -> String {
    format!(
        "{folder} <> 'library/'
         AND (:before IS NULL OR substr({folder}, 1, length({folder}) - 1) || '0' <= :before)"
    )
}

/// The namespace a range end cuts into: `ns` when the end is `ns/` followed by more (some of
/// the namespace's paths on each side of it).
fn cut_namespace(end: &str) -> Option<&str> {
    end.split_once('/')
        .filter(|(_, rest)| !rest.is_empty())
        .map(|(ns, _)| ns)
}

/// One page of the repositories in the range that the caller may read, by displayed path.
pub fn page_visible(
    conn: &Connection,
    caller: Option<&Caller>,
    range: &PathRange,
    limit: i64,
    offset: i64,
) -> Result<Vec<Repository>> {
    let (viewer, admin) = viewer(caller);
    let before = range.before.as_deref().unwrap_or("");
    let mut stmt = conn.prepare_cached(&range.page_sql())?;
    let rows = if range.before.is_some() {
        stmt.query_map(
            named_params! {":after": range.after, ":before": before, ":viewer": viewer, ":viewer_admin": admin,
                           ":limit": limit, ":offset": offset},
            repository,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?
    } else {
        stmt.query_map(
            named_params! {":after": range.after, ":viewer": viewer, ":viewer_admin": admin,
            ":limit": limit, ":offset": offset},
            repository,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?
    };
    Ok(rows)
}

/// A team's effective level on a repository, from any of the grants that give one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamGrant {
    pub repository_id: i64,
    pub team_id: i64,
    pub level: Level,
}

fn rank(column: &str) -> String {
    format!("CASE {column} WHEN 'admin' THEN 3 WHEN 'read-write' THEN 2 WHEN 'read-only' THEN 1 ELSE 0 END")
}

/// Every team grant that reaches the given repositories, in one query: repository grants
/// (organization repositories only, as the policy counts them), namespace grants of the
/// owning organization's teams, and its `owners` team (admin on everything). A team may
/// appear more than once for a repository; the caller takes the highest.
pub fn team_grants(conn: &Connection, repository_ids: &[i64]) -> Result<Vec<TeamGrant>> {
    if repository_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::Value::from(repository_ids).to_string();
    // Only an organization's repositories have teams: the page's others (a user's, often
    // all of them) are dropped once here rather than joined three times below.
    let sql = format!(
        "WITH page(id) AS MATERIALIZED (
             SELECT r.id FROM json_each(:ids) j JOIN repositories r ON r.id = j.value
               JOIN accounts a ON a.id = r.namespace_id WHERE a.kind = 'organization')
         SELECT x.repository_id, x.team_id, {}
           FROM repository_team_access x
           JOIN repositories r ON r.id = x.repository_id
           JOIN accounts a ON a.id = r.namespace_id
          WHERE x.repository_id IN page AND a.kind = 'organization'
         UNION ALL
         SELECT r.id, n.team_id, {}
           FROM repositories r
           JOIN teams t ON t.org_id = r.namespace_id
           JOIN namespace_team_access n ON n.team_id = t.id
          WHERE r.id IN page
         UNION ALL
         SELECT r.id, t.id, 3
           FROM repositories r
           JOIN teams t ON t.org_id = r.namespace_id AND t.name = 'owners'
          WHERE r.id IN page",
        rank("x.level"),
        rank("n.level")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(named_params! {":ids": ids}, |r| {
        Ok(TeamGrant {
            repository_id: r.get(0)?,
            team_id: r.get(1)?,
            level: Level::from_rank(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Delete every repository in the range (their images, tags, grants and stars go with them
/// by cascade); returns how many. Run it inside one `store::write` transaction.
pub fn delete_range(conn: &Connection, range: &PathRange) -> Result<usize> {
    let sql = format!("DELETE FROM repositories AS r WHERE {}", range.condition());
    let mut stmt = conn.prepare_cached(&sql)?;
    let n = match &range.before {
        Some(before) => stmt.execute(named_params! {":after": range.after, ":before": before})?,
        None => stmt.execute(named_params! {":after": range.after})?,
    };
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{self, accounts, repos};

    fn seed(conn: &Connection, paths: &[(&str, &str)]) {
        for (ns, name) in paths {
            let account = match accounts::by_name(conn, ns).unwrap() {
                Some(a) => a,
                None => {
                    store::in_tx(conn, |tx| accounts::insert_organization(tx, ns, None)).unwrap()
                }
            };
            repos::insert(
                conn,
                &account,
                &repos::NewRepository {
                    name,
                    short_description: "",
                    long_description: "",
                    long_description_html: "",
                    is_public: true,
                },
            )
            .unwrap();
        }
    }

    /// The query plan of `sql` with every parameter bound (texts for the range, numbers else).
    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        for i in 1..=stmt.parameter_count() {
            match stmt.parameter_name(i).unwrap_or("") {
                ":after" => stmt.raw_bind_parameter(i, "acme/").unwrap(),
                ":before" => stmt.raw_bind_parameter(i, "acme0").unwrap(),
                _ => stmt.raw_bind_parameter(i, 1).unwrap(),
            }
        }
        let mut rows = stmt.raw_query();
        let mut lines = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            lines.push(row.get::<_, String>(3).unwrap());
        }
        lines.join("\n")
    }

    #[test]
    fn display_path_drops_only_the_library_prefix() {
        let conn = store::memory();
        seed(
            &conn,
            &[
                ("library", "alpine"),
                ("libraryx", "y"),
                ("acme", "library"),
            ],
        );
        let mut stmt = conn
            .prepare("SELECT full_path, display_path FROM repositories ORDER BY display_path")
            .unwrap();
        let got: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let want = [
            ("acme/library", "acme/library"),
            ("library/alpine", "alpine"),
            ("libraryx/y", "libraryx/y"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
        for (full, shown) in &got {
            assert_eq!(crate::core::catalog::display_path(full), shown);
        }
    }

    /// The keyset page must be served by the `display_path` index: a range search in index
    /// order, never a full scan followed by a temporary sort, with the planner's defaults and
    /// with statistics. (The count behind it reads no range at all: see
    /// `counts_from_counters_agree_with_counting_every_row`.)
    #[test]
    fn keyset_page_is_an_index_range_search_without_a_sort() {
        let conn = store::memory();
        let names: Vec<String> = (0..300).map(|i| format!("r{i:03}")).collect();
        let paths: Vec<(&str, &str)> = names.iter().map(|n| ("acme", n.as_str())).collect();
        seed(&conn, &paths);
        seed(&conn, &[("zeta", "c")]);
        let range = |after: &str, before: Option<&str>| PathRange {
            after: after.into(),
            before: before.map(Into::into),
        };
        let assert_index = |sql: &str| {
            let plan = plan(&conn, sql);
            assert!(
                plan.contains("SEARCH r USING INDEX repositories_display_path"),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
            assert!(
                !plan.lines().any(|l| l.trim_start().starts_with("SCAN r")),
                "{plan}"
            );
        };
        for analyzed in [false, true] {
            if analyzed {
                conn.execute_batch("ANALYZE").unwrap();
            }
            for r in [
                range("", None),
                range("acme/r150", None),
                range("acme/", Some("acme0")),
            ] {
                assert_index(&r.page_sql());
            }
            for r in [range("acme/r290", None), range("acme/r290", Some("acme0"))] {
                assert_index(&r.page_sql());
            }
        }
    }

    #[test]
    fn pages_and_counts_follow_the_range_in_byte_order() {
        let conn = store::memory();
        seed(
            &conn,
            &[
                ("acme", "b"),
                ("acme", "a-b"),
                ("acme", "a.b"),
                ("acme", "a_b"),
                ("acme", "a"),
                ("acmex", "z"),
            ],
        );
        let admin = Caller {
            user_id: 1,
            is_admin: true,
            is_active: true,
        };
        let range = PathRange {
            after: "acme/".into(),
            before: Some("acme0".into()),
        };
        let page = page_visible(&conn, Some(&admin), &range, 10, 0).unwrap();
        let paths: Vec<_> = page.iter().map(|r| r.full_path.as_str()).collect();
        assert_eq!(
            paths,
            ["acme/a", "acme/a-b", "acme/a.b", "acme/a_b", "acme/b"]
        );
        assert_eq!(count_visible(&conn, Some(&admin), &range).unwrap(), 5);
        let after = PathRange {
            after: "acme/a.b".into(),
            before: None,
        };
        assert_eq!(count_visible(&conn, Some(&admin), &after).unwrap(), 3);
        let paths: Vec<_> = page_visible(&conn, Some(&admin), &after, 2, 1)
            .unwrap()
            .into_iter()
            .map(|r| r.full_path)
            .collect();
        assert_eq!(paths, ["acme/b", "acmex/z"]);
    }

    /// For every kind of viewer and every way a range can start and end (folders, keyset
    /// starts before, inside, at and after namespaces, `library` paths, namespaces whose names
    /// extend others'), the count from counters equals counting the range row by row.
    #[test]
    fn counts_from_counters_agree_with_counting_every_row() {
        use crate::store::accounts::{insert_user, NewUser};
        let conn = store::memory();
        seed(
            &conn,
            &[
                ("acme", "a"),
                ("acme", "r1"),
                ("acme", "r2"),
                ("acme-x", "q"),
                ("acme.y", "q"),
                ("acmex", "z"),
                ("b", "b0"),
                ("library", "acme"),
                ("library", "acmez"),
                ("library", "b0"),
                ("library", "zzz"),
            ],
        );
        let mk = |name: &str, admin: bool| {
            insert_user(
                &conn,
                &NewUser {
                    name,
                    password_hash: "x",
                    email: None,
                    is_active: true,
                    is_admin: admin,
                },
            )
            .unwrap()
        };
        let (alice, bob, root) = (mk("alice", false), mk("bob", false), mk("root", true));
        for (i, name) in ["p0", "p1", "p2"].iter().enumerate() {
            repos::insert(
                &conn,
                &alice,
                &repos::NewRepository {
                    name,
                    short_description: "",
                    long_description: "",
                    long_description_html: "",
                    is_public: i == 0,
                },
            )
            .unwrap();
        }
        // Some private rows elsewhere, one of them granted to bob, one in library.
        conn.execute_batch(&format!(
            "UPDATE repositories SET is_public = 0 WHERE full_path IN ('acme/r1', 'acme-x/q', 'library/acmez', 'b/b0');
             INSERT INTO repository_user_access SELECT id, {bob}, 'read-only' FROM repositories WHERE full_path = 'alice/p1';
             INSERT INTO team_members SELECT t.id, {bob} FROM teams t JOIN accounts a ON a.id = t.org_id
                 WHERE a.name = 'acme' AND t.name = 'owners';",
            bob = bob.id
        ))
        .unwrap();
        let callers = [
            None,
            Some(Caller {
                user_id: alice.id,
                is_admin: false,
                is_active: true,
            }),
            Some(Caller {
                user_id: bob.id,
                is_admin: false,
                is_active: true,
            }),
            Some(Caller {
                user_id: root.id,
                is_admin: true,
                is_active: true,
            }),
        ];
        let paths: Vec<String> = conn
            .prepare("SELECT display_path FROM repositories")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mut starts: Vec<Option<String>> = [
            "",
            "!",
            "a",
            "acme",
            "acme/",
            "acme/a",
            "acme/r",
            "acme-x/",
            "acme0",
            "acmex/",
            "b/",
            "library/x",
            "zzzz",
        ]
        .iter()
        .map(|s| Some(s.to_string()))
        .collect();
        starts.push(None);
        starts.extend(paths.iter().map(|p| Some(p.clone())));
        let folders = [
            None,
            Some("acme"),
            Some("acme/"),
            Some("library"),
            Some("b"),
            Some("acme-x"),
        ];
        let mut checked = 0;
        for caller in &callers {
            let (viewer, admin) = viewer(caller.as_ref());
            for folder in folders {
                for start in &starts {
                    let range = crate::core::catalog::path_range(folder, start.as_deref());
                    let by_rows: i64 = conn
                        .query_row(
                            &format!(
                                "SELECT count(*) FROM {} WHERE r.display_path > :after
                                    AND (:before IS NULL OR r.display_path < :before) AND {VISIBLE}",
                                repos::FROM
                            ),
                            named_params! {":after": range.after, ":before": range.before,
                                           ":viewer": viewer, ":viewer_admin": admin},
                            |r| r.get(0),
                        )
                        .unwrap();
                    assert_eq!(
                        count_visible(&conn, caller.as_ref(), &range).unwrap(),
                        by_rows,
                        "{caller:?} {range:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 400, "{checked}");
        // The fixture's ranges are not all empty or all full.
        let all = PathRange {
            after: String::new(),
            before: None,
        };
        assert_eq!(count_visible(&conn, callers[3].as_ref(), &all).unwrap(), 14);
    }

    #[test]
    fn delete_range_removes_only_the_folder() {
        let mut conn = store::memory();
        seed(
            &conn,
            &[("acme", "a"), ("acme", "b"), ("acmex", "c"), ("acm", "d")],
        );
        let range = PathRange {
            after: "acme/".into(),
            before: Some("acme0".into()),
        };
        let n = store::write(&mut conn, |tx| delete_range(tx, &range)).unwrap();
        assert_eq!(n, 2);
        let left: Vec<String> = conn
            .prepare("SELECT full_path FROM repositories ORDER BY full_path")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(left, ["acm/d", "acmex/c"]);
    }
}
