//! Repositories, and the facts the permission policy needs about a caller and a repository.

use rusqlite::{named_params, params, Connection, OptionalExtension, Row, Transaction};

use super::{is_unique_violation, now_ms};
use crate::core::model::{Account, AccountKind, Repository};
use crate::core::names::LIBRARY;
use crate::core::policy::{Caller, Level, NamespaceFacts, Owner, RepositoryFacts};
use crate::error::{Code, Error, Result};

/// Columns of [`repository`], for `FROM repositories r JOIN accounts a ON a.id = r.namespace_id`.
pub const COLUMNS: &str = "r.id, r.namespace_id, a.name, a.kind, r.name, r.full_path,
    r.short_description, r.long_description, r.long_description_html, r.is_public,
    r.created_at, r.updated_at, r.pull_count, r.push_count, r.pulled_at, r.pushed_at, r.star_count";

pub const FROM: &str = "repositories r JOIN accounts a ON a.id = r.namespace_id";

/// SQL condition: repository `r` is readable by the viewer `:viewer` (user id, -1 for
/// anonymous) who is a site admin when `:viewer_admin` is 1. The caller's namespaces and
/// granted repositories are uncorrelated sets that SQLite computes once per statement, not
/// once per row. This is
/// `policy::repository_level(..) >= read-only` written for listings; a test holds the two
/// together over the whole policy matrix.
pub const VISIBLE: &str = "(r.is_public = 1 OR :viewer_admin = 1 OR r.namespace_id = :viewer
    OR r.namespace_id IN (SELECT t.org_id FROM teams t JOIN team_members m ON m.team_id = t.id
               LEFT JOIN namespace_team_access n ON n.team_id = t.id
               WHERE m.user_id = :viewer AND (t.name = 'owners' OR n.level IS NOT NULL))
    OR (a.kind = 'user' AND r.id IN (SELECT x.repository_id FROM repository_user_access x
               WHERE x.user_id = :viewer))
    OR (a.kind = 'organization' AND r.id IN (SELECT x.repository_id FROM repository_team_access x
               JOIN team_members m ON m.team_id = x.team_id WHERE m.user_id = :viewer)))";

/// The viewer parameters of [`VISIBLE`] for a caller (inactive callers see as anonymous).
pub fn viewer(caller: Option<&Caller>) -> (i64, bool) {
    match caller.filter(|c| c.is_active) {
        Some(c) => (c.user_id, c.is_admin),
        None => (-1, false),
    }
}

pub fn repository(row: &Row<'_>) -> rusqlite::Result<Repository> {
    let kind: String = row.get(3)?;
    Ok(Repository {
        id: row.get(0)?,
        namespace_id: row.get(1)?,
        namespace: row.get(2)?,
        namespace_kind: AccountKind::parse(&kind).unwrap_or(AccountKind::User),
        name: row.get(4)?,
        full_path: row.get(5)?,
        short_description: row.get(6)?,
        long_description: row.get(7)?,
        long_description_html: row.get(8)?,
        is_public: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        pull_count: row.get(12)?,
        push_count: row.get(13)?,
        pulled_at: row.get(14)?,
        pushed_at: row.get(15)?,
        star_count: row.get(16)?,
    })
}

/// The level expression as a rank (0..3) for `MAX()` over grants.
const RANK: &str =
    "CASE level WHEN 'admin' THEN 3 WHEN 'read-write' THEN 2 WHEN 'read-only' THEN 1 ELSE 0 END";

/// What the policy needs about the caller and a namespace.
pub fn namespace_facts(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &Account,
) -> Result<NamespaceFacts> {
    if ns.kind == AccountKind::User {
        return Ok(NamespaceFacts::user(ns.id));
    }
    let owner = Owner::Organization {
        library: ns.name == LIBRARY,
    };
    let (viewer, _) = viewer(caller);
    let sql = format!(
        "SELECT
            EXISTS (SELECT 1 FROM teams t JOIN team_members m ON m.team_id = t.id
                    WHERE t.org_id = ?1 AND t.name = 'owners' AND m.user_id = ?2),
            EXISTS (SELECT 1 FROM teams t JOIN team_members m ON m.team_id = t.id
                    WHERE t.org_id = ?1 AND m.user_id = ?2),
            (SELECT MAX({RANK}) FROM namespace_team_access n JOIN teams t ON t.id = n.team_id
                    JOIN team_members m ON m.team_id = t.id WHERE t.org_id = ?1 AND m.user_id = ?2)"
    );
    let (in_owners, member, grant): (bool, bool, Option<i64>) = conn
        .prepare_cached(&sql)?
        .query_row(params![ns.id, viewer], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(NamespaceFacts {
        owner,
        caller_in_owners: in_owners,
        caller_is_member: member,
        namespace_grant: Level::from_rank(grant.unwrap_or(0)),
    })
}

/// What the policy needs about the caller and a repository.
pub fn repository_facts(
    conn: &Connection,
    caller: Option<&Caller>,
    repo: &Repository,
) -> Result<RepositoryFacts> {
    let ns = Account {
        id: repo.namespace_id,
        name: repo.namespace.clone(),
        kind: repo.namespace_kind,
        full_name: String::new(),
        is_active: true,
        is_admin: false,
        created_at: 0,
    };
    let namespace = namespace_facts(conn, caller, &ns)?;
    let (viewer, _) = viewer(caller);
    let sql = format!(
        "SELECT
            (SELECT MAX({RANK}) FROM repository_user_access WHERE repository_id = ?1 AND user_id = ?2),
            (SELECT MAX({RANK}) FROM repository_team_access x JOIN team_members m ON m.team_id = x.team_id
                    WHERE x.repository_id = ?1 AND m.user_id = ?2)"
    );
    let (user, team): (Option<i64>, Option<i64>) = conn
        .prepare_cached(&sql)?
        .query_row(params![repo.id, viewer], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(RepositoryFacts {
        namespace,
        is_public: repo.is_public,
        user_grant: Level::from_rank(user.unwrap_or(0)),
        team_grant: Level::from_rank(team.unwrap_or(0)),
    })
}

pub fn by_path(conn: &Connection, namespace: &str, name: &str) -> Result<Option<Repository>> {
    let full_path = format!("{namespace}/{name}");
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE r.full_path = ?1"
        ))?
        .query_row([full_path], repository)
        .optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<Repository>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = ?1"))?
        .query_row([id], repository)
        .optional()?)
}

pub struct NewRepository<'a> {
    pub name: &'a str,
    pub short_description: &'a str,
    pub long_description: &'a str,
    pub long_description_html: &'a str,
    pub is_public: bool,
}

/// Insert a repository; a taken name is a 400 `REPOSITORY_EXISTS`.
pub fn insert(conn: &Connection, ns: &Account, repo: &NewRepository<'_>) -> Result<Repository> {
    conn.prepare_cached(
        "INSERT INTO repositories (namespace_id, name, full_path, short_description, long_description,
             long_description_html, is_public, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ns.id,
        repo.name,
        format!("{}/{}", ns.name, repo.name),
        repo.short_description,
        repo.long_description,
        repo.long_description_html,
        repo.is_public,
        now_ms()
    ])
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::new(Code::RepositoryExists, "a repository with this name already exists")
        } else {
            e.into()
        }
    })?;
    by_id(conn, conn.last_insert_rowid())?
        .ok_or_else(|| Error::internal("inserted repository vanished"))
}

/// A partial update; `None` keeps the stored value.
#[derive(Debug, Default, Clone)]
pub struct RepositoryPatch {
    pub short_description: Option<String>,
    /// The markdown and its sanitized HTML, written together.
    pub long_description: Option<(String, String)>,
    pub is_public: Option<bool>,
}

pub fn update(conn: &Connection, id: i64, patch: &RepositoryPatch) -> Result<()> {
    let (long, html) = match &patch.long_description {
        Some((text, html)) => (Some(text.as_str()), Some(html.as_str())),
        None => (None, None),
    };
    conn.prepare_cached(
        "UPDATE repositories SET
            short_description = COALESCE(?2, short_description),
            long_description = COALESCE(?3, long_description),
            long_description_html = COALESCE(?4, long_description_html),
            is_public = COALESCE(?5, is_public),
            updated_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        patch.short_description,
        long,
        html,
        patch.is_public,
        now_ms()
    ])?;
    Ok(())
}

/// Every repository with a long description: `(id, markdown)`.
pub fn long_descriptions(tx: &Transaction) -> Result<Vec<(i64, String)>> {
    let mut stmt =
        tx.prepare("SELECT id, long_description FROM repositories WHERE long_description <> ''")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The rendered form of a description, rendered again by a newer renderer: not an edit, so
/// `updated_at` stays.
pub fn set_long_description_html(tx: &Transaction, id: i64, html: &str) -> Result<()> {
    tx.prepare_cached("UPDATE repositories SET long_description_html = ?2 WHERE id = ?1")?
        .execute(params![id, html])?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM repositories WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// One page of the repositories of a namespace that the caller may read, by name, with the
/// true total of such repositories.
pub fn list_visible_in_namespace(
    conn: &Connection,
    caller: Option<&Caller>,
    namespace_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let (viewer, admin) = viewer(caller);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE r.namespace_id = :ns AND {VISIBLE}
         ORDER BY r.name LIMIT +:limit OFFSET :offset"
    ))?;
    let rows: Vec<Repository> = stmt
        .query_map(
            named_params! {":ns": namespace_id, ":viewer": viewer, ":viewer_admin": admin, ":limit": limit, ":offset": offset},
            repository,
        )?
        .collect::<rusqlite::Result<_>>()?;
    // Every row asked for (DTR): the page is the total.
    if limit < 0 && offset <= 0 {
        let total = rows.len() as i64;
        return Ok((rows, total));
    }
    Ok((rows, count_in_namespace(conn, namespace_id, viewer, admin)?))
}

/// How many repositories of a namespace the viewer may read, from the
/// `repositories_namespace_public` index alone (no row is read).
fn count_in_namespace(
    conn: &Connection,
    namespace_id: i64,
    viewer: i64,
    admin: bool,
) -> Result<i64> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM {FROM} WHERE r.namespace_id = :ns AND {VISIBLE}"
        ))?
        .query_row(
            named_params! {":ns": namespace_id, ":viewer": viewer, ":viewer_admin": admin},
            |r| r.get(0),
        )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::policy;
    use crate::store::accounts::{insert_organization, insert_user, NewUser};

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

    /// For every caller and repository of a fixture covering each rule, the SQL listing filter
    /// and the policy agree on "may read".
    #[test]
    fn visibility_filter_agrees_with_the_policy() {
        let conn = crate::store::memory();
        let owner = user(&conn, "owner", false, true);
        let other = user(&conn, "other", false, true);
        let admin = user(&conn, "root", true, true);
        let sleepy = user(&conn, "sleepy", false, false);
        let member = user(&conn, "member", false, true);
        let teamed = user(&conn, "teamed", false, true);
        let nsgrant = user(&conn, "nsgrant", false, true);
        let collab = user(&conn, "collab", false, true);
        let org = crate::store::in_tx(&conn, |tx| insert_organization(tx, "org", Some(owner.id)))
            .unwrap();
        let library =
            crate::store::in_tx(&conn, |tx| insert_organization(tx, LIBRARY, Some(admin.id)))
                .unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO teams (id, org_id, name, created_at) VALUES (100, {org}, 'plain', 0), (101, {org}, 'repo-team', 0), (102, {org}, 'ns-team', 0);
             INSERT INTO team_members VALUES (100, {member}), (101, {teamed}), (102, {nsgrant}), (100, {sleepy});
             INSERT INTO namespace_team_access VALUES (102, 'read-only');",
            org = org.id, member = member.id, teamed = teamed.id, nsgrant = nsgrant.id, sleepy = sleepy.id
        ))
        .unwrap();
        let mut repos = Vec::new();
        for (ns, prefix) in [(&owner, "u"), (&org, "o"), (&library, "l")] {
            for public in [false, true] {
                let name = format!("{prefix}-{}", if public { "pub" } else { "priv" });
                let r = insert(
                    &conn,
                    ns,
                    &NewRepository {
                        name: &name,
                        short_description: "",
                        long_description: "",
                        long_description_html: "",
                        is_public: public,
                    },
                )
                .unwrap();
                repos.push(r);
            }
        }
        // Grants on every repository: a user grant (counts on user-owned only) and a team grant
        // (counts on org-owned only), so both sides of each rule are exercised.
        for r in &repos {
            conn.execute_batch(&format!(
                "INSERT INTO repository_user_access VALUES ({r}, {c}, 'read-only');
                 INSERT INTO repository_team_access VALUES ({r}, 101, 'read-write');",
                r = r.id,
                c = collab.id
            ))
            .unwrap();
        }
        let callers: Vec<Option<Caller>> = std::iter::once(None)
            .chain(
                [
                    &owner, &other, &admin, &sleepy, &member, &teamed, &nsgrant, &collab,
                ]
                .into_iter()
                .map(|a| Some(caller(a))),
            )
            .collect();
        let mut checked = 0;
        for c in &callers {
            let (viewer, viewer_admin) = viewer(c.as_ref());
            for r in &repos {
                let facts = repository_facts(&conn, c.as_ref(), r).unwrap();
                let by_policy = policy::repository_level(c.as_ref(), &facts).can_read();
                let by_sql: bool = conn
                    .query_row(
                        &format!("SELECT {VISIBLE} FROM {FROM} WHERE r.id = :id"),
                        named_params! {":id": r.id, ":viewer": viewer, ":viewer_admin": viewer_admin},
                        |row| row.get(0),
                    )
                    .unwrap();
                assert_eq!(by_sql, by_policy, "caller {c:?} on {}", r.full_path);
                checked += 1;
            }
        }
        assert_eq!(checked, 9 * 6);
        // And the fixture really exercises both outcomes for private repositories.
        let see = |c: &Account, path: &str| {
            let r = repos.iter().find(|r| r.full_path == path).unwrap();
            policy::repository_level(
                Some(&caller(c)),
                &repository_facts(&conn, Some(&caller(c)), r).unwrap(),
            )
            .can_read()
        };
        assert!(see(&collab, "owner/u-priv") && !see(&collab, "org/o-priv"));
        assert!(see(&teamed, "org/o-priv") && !see(&teamed, "owner/u-priv"));
        assert!(see(&nsgrant, "org/o-priv") && !see(&member, "org/o-priv"));
        assert!(!see(&sleepy, "org/o-priv") && !see(&other, "library/l-priv"));
    }

    /// Counting a namespace's visible repositories reads one covering index, never the rows.
    #[test]
    fn a_namespace_count_reads_only_an_index() {
        let conn = crate::store::memory();
        let mut stmt = conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM {FROM} WHERE r.namespace_id = :ns AND {VISIBLE}"
            ))
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map(
                named_params! {":ns": 1, ":viewer": 2, ":viewer_admin": false},
                |r| r.get(3),
            )
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let plan = plan.join("\n");
        assert!(
            plan.contains("SEARCH r USING COVERING INDEX repositories_namespace_public"),
            "{plan}"
        );
    }
}
