//! The indexed search and explore pages held to the plain SQL they replace: the visibility
//! filter (`VISIBLE`) and the ranking written out over every matching row, for every kind of
//! viewer, query, order, page size and depth. Small walk bounds in tests (`ordered`) make
//! both the index walk and the sort of a few members run here.

use rusqlite::Connection;

use super::accounts::{insert_organization, insert_user, NewUser};
use super::repos::{insert, viewer, NewRepository, FROM, VISIBLE};
use super::search::{explore, relevance_params, search, Order};
use crate::core::model::Account;
use crate::core::policy::Caller;

/// The ranking as one expression over every match.
const RELEVANCE: &str = "CASE
        WHEN r.id IN (SELECT rowid FROM repositories_fts WHERE repositories_fts MATCH :q_path) THEN 0
        WHEN r.id IN (SELECT rowid FROM repositories_fts WHERE repositories_fts MATCH :q_short) THEN 1
        ELSE 2 END,
    r.star_count DESC, r.full_path";

fn order_sql(order: Order) -> &'static str {
    match order {
        Order::Relevance => RELEVANCE,
        Order::Updated => {
            "MAX(r.created_at, COALESCE(r.updated_at, 0), COALESCE(r.pushed_at, 0)) DESC, r.id DESC"
        }
        Order::Stars => "r.star_count DESC, r.id DESC",
        Order::Pulls => "r.pull_count DESC, r.id DESC",
        Order::Name => "r.full_path",
    }
}

/// The page and total by filtering and sorting every row.
fn reference(
    conn: &Connection,
    caller: Option<&Caller>,
    fts: Option<&str>,
    order: Order,
    limit: i64,
    offset: i64,
) -> (Vec<i64>, i64) {
    let (viewer, admin) = viewer(caller);
    let (from, matching) = match fts {
        Some(_) => (
            "repositories_fts JOIN repositories r ON r.id = repositories_fts.rowid
             JOIN accounts a ON a.id = r.namespace_id",
            "repositories_fts MATCH :q AND",
        ),
        None => (FROM, ""),
    };
    let (q_path, q_short) = relevance_params(fts.unwrap_or(""));
    let run = |select: &str, tail: &str| -> Vec<i64> {
        let sql = format!("SELECT {select} FROM {from} WHERE {matching} {VISIBLE} {tail}");
        let mut stmt = conn.prepare(&sql).unwrap();
        let mut params: Vec<(&str, &dyn rusqlite::types::ToSql)> =
            vec![(":viewer", &viewer), (":viewer_admin", &admin)];
        if fts.is_some() {
            params.push((":q", &fts));
        }
        if tail.contains(":q_path") {
            params.extend([
                (":q_path", &q_path as &dyn rusqlite::types::ToSql),
                (":q_short", &q_short),
            ]);
        }
        if tail.contains(":limit") {
            params.extend([
                (":limit", &limit as &dyn rusqlite::types::ToSql),
                (":offset", &offset),
            ]);
        }
        stmt.query_map(params.as_slice(), |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let total = run("count(*)", "")[0];
    let page = run(
        "r.id",
        &format!("ORDER BY {} LIMIT :limit OFFSET :offset", order_sql(order)),
    );
    (page, total)
}

fn user(conn: &Connection, name: &str, admin: bool, active: bool) -> Account {
    insert_user(
        conn,
        &NewUser {
            name,
            password_hash: "x",
            email: None,
            is_active: active,
            is_admin: admin,
        },
    )
    .unwrap()
}

fn caller(a: &Account) -> Caller {
    Caller {
        user_id: a.id,
        is_admin: a.is_admin,
        is_active: a.is_active,
    }
}

const WORDS: [&str; 5] = ["alpha", "beta", "gamma", "delta", "omega"];

#[test]
fn search_and_explore_agree_with_filtering_and_sorting_every_row() {
    let conn = crate::store::memory();
    let owner = user(&conn, "owner", false, true);
    let other = user(&conn, "other", false, true);
    let admin = user(&conn, "root", true, true);
    let sleepy = user(&conn, "sleepy", false, false);
    let member = user(&conn, "member", false, true);
    let collab = user(&conn, "collab", false, true);
    let org =
        crate::store::in_tx(&conn, |tx| insert_organization(tx, "org", Some(owner.id))).unwrap();
    let library = crate::store::in_tx(&conn, |tx| {
        insert_organization(tx, crate::core::names::LIBRARY, Some(admin.id))
    })
    .unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO teams (id, org_id, name, created_at) VALUES (100, {org}, 'readers', 0), (101, {org}, 'repo-team', 0);
         INSERT INTO team_members VALUES (100, {member}), (101, {collab});
         INSERT INTO namespace_team_access VALUES (100, 'read-only');",
        org = org.id,
        member = member.id,
        collab = collab.id
    ))
    .unwrap();
    // Repositories whose paths and descriptions hold the words in every combination of
    // column, visibility, stars and times (a fixed mix, so the test is repeatable).
    let mut n = 0_usize;
    for ns in [&owner, &other, &org, &library, &collab] {
        for i in 0..24_usize {
            n += 1;
            let w = |k: usize| WORDS[(n * 7 + i * k) % WORDS.len()];
            let name = format!("{}-{i:02}", w(1));
            let short = format!("{} tool {}", w(2), if i % 3 == 0 { w(1) } else { "x" });
            let long = format!("about {} and {}", w(3), w(4));
            let r = insert(
                &conn,
                ns,
                &NewRepository {
                    name: &name,
                    short_description: &short,
                    long_description: &long,
                    long_description_html: "",
                    is_public: !(n + i).is_multiple_of(3),
                },
            )
            .unwrap();
            conn.execute(
                "UPDATE repositories SET star_count = ?2, pull_count = ?3, created_at = ?4,
                     updated_at = ?5 WHERE id = ?1",
                rusqlite::params![
                    r.id,
                    ((n * 13) % 5) as i64,
                    ((n * 11) % 7) as i64,
                    ((n * 17) % 29) as i64,
                    n.is_multiple_of(4).then_some(((n * 5) % 31) as i64)
                ],
            )
            .unwrap();
            if i % 5 == 0 {
                conn.execute_batch(&format!(
                    "INSERT INTO repository_user_access VALUES ({r}, {c}, 'read-only');
                     INSERT INTO repository_team_access VALUES ({r}, 101, 'read-only');",
                    r = r.id,
                    c = collab.id
                ))
                .unwrap();
            }
        }
    }
    let viewers: Vec<Option<Caller>> = std::iter::once(None)
        .chain(
            [&owner, &other, &admin, &sleepy, &member, &collab]
                .into_iter()
                .map(|a| Some(caller(a))),
        )
        .collect();
    let queries = [
        "alpha",
        "beta",
        "alpha tool",
        "gam",
        "owner",
        "org alpha",
        "zzz",
    ];
    let (compared, nonempty) = compare(&conn, &viewers, &queries);
    assert!(compared > 1000 && nonempty > 500, "{compared} {nonempty}");
    // Words that others extend (`alphabet` after `alpha`: a prefix search for `alpha` must
    // find both), edits, visibility changes both ways and deletes (the full-text indexes keep
    // deleted words until they merge), then everything compared again.
    conn.execute_batch(
        "UPDATE repositories SET short_description = 'alphabet ' || short_description WHERE id % 7 = 0;
         UPDATE repositories SET long_description = 'betamax' WHERE id % 11 = 0;
         UPDATE repositories SET is_public = 1 - is_public WHERE id % 5 = 1;
         DELETE FROM repositories WHERE id % 9 = 4;
         UPDATE repositories SET short_description = 'gone' WHERE short_description LIKE '%omega%';",
    )
    .unwrap();
    let (compared, nonempty) = compare(
        &conn,
        &viewers,
        &[&queries[..], &["alphab", "omega", "betam"]].concat(),
    );
    assert!(compared > 1000 && nonempty > 500, "{compared} {nonempty}");
}

/// Every page of [`search`] and [`explore`] for these viewers and queries against
/// [`reference`]: how many were compared, how many of them were not empty.
fn compare(conn: &Connection, viewers: &[Option<Caller>], queries: &[&str]) -> (usize, usize) {
    let orders = [
        Order::Relevance,
        Order::Updated,
        Order::Stars,
        Order::Pulls,
        Order::Name,
    ];
    let mut compared = 0;
    let mut nonempty = 0;
    for who in viewers {
        let who = who.as_ref();
        for q in queries.iter().map(|q| crate::core::search::fts_query(q)) {
            for (limit, offset) in [(5, 0), (5, 3), (7, 10), (25, 0), (3, 40), (10, 200)] {
                for order in orders {
                    let want = reference(conn, who, q.as_deref(), order, limit, offset);
                    let (page, total) =
                        explore(conn, who, q.as_deref(), order, limit, offset).unwrap();
                    let got = (page.iter().map(|r| r.id).collect::<Vec<_>>(), total);
                    if q.is_some() || order != Order::Relevance {
                        assert_eq!(
                            got, want,
                            "explore {who:?} {q:?} {order:?} {limit}/{offset}"
                        );
                        compared += 1;
                        nonempty += usize::from(!got.0.is_empty());
                    }
                }
                let order = if q.is_some() {
                    Order::Relevance
                } else {
                    Order::Name
                };
                let want = reference(conn, who, q.as_deref(), order, limit, offset);
                let (page, total) = search(conn, who, q.as_deref(), limit, offset).unwrap();
                let got = (page.iter().map(|r| r.id).collect::<Vec<_>>(), total);
                assert_eq!(got, want, "search {who:?} {q:?} {limit}/{offset}");
                compared += 1;
            }
        }
    }
    (compared, nonempty)
}

#[test]
fn the_public_index_follows_inserts_edits_visibility_and_deletes() {
    let conn = crate::store::memory();
    let owner = user(&conn, "owner", false, true);
    let count = |q: &str| -> (i64, i64) {
        let public: i64 = conn
            .query_row(
                "SELECT count(*) FROM public_fts WHERE public_fts MATCH ?1",
                [q],
                |r| r.get(0),
            )
            .unwrap();
        let by_rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM repositories_fts JOIN repositories r ON r.id = repositories_fts.rowid
                  WHERE repositories_fts MATCH ?1 AND r.is_public = 1",
                [q],
                |r| r.get(0),
            )
            .unwrap();
        (public, by_rows)
    };
    for i in 0..10 {
        insert(
            &conn,
            &owner,
            &NewRepository {
                name: &format!("r{i}"),
                short_description: "alpha",
                long_description: "",
                long_description_html: "",
                is_public: i % 2 == 0,
            },
        )
        .unwrap();
    }
    let check = |expect: i64| {
        let (public, by_rows) = count("alpha");
        assert_eq!((public, by_rows), (expect, expect));
        let (public, by_rows) = count("beta");
        assert_eq!(public, by_rows);
    };
    check(5);
    conn.execute_batch(
        "UPDATE repositories SET short_description = 'beta' WHERE name IN ('r0', 'r1');
         UPDATE repositories SET is_public = 1 - is_public WHERE name IN ('r2', 'r3');
         UPDATE repositories SET is_public = is_public WHERE name = 'r4';
         UPDATE repositories SET star_count = 3 WHERE name = 'r6';
         DELETE FROM repositories WHERE name IN ('r8', 'r9');",
    )
    .unwrap();
    // r0 now says beta; r2 went private, r3 public; r8 is gone: r3, r4, r6 remain.
    check(3);
    assert_eq!(count("beta").0, 1);
    conn.execute(
        "INSERT INTO public_fts (public_fts) VALUES ('integrity-check')",
        [],
    )
    .unwrap();
}
