//! Access grants: a user's level on a user-owned repository, a team's level on an
//! organization-owned repository, and a team's level on its organization's whole namespace.
//! These are the rows `repos::repository_facts`, `repos::namespace_facts` and
//! `repos::VISIBLE` read, so a grant written here takes effect at once in every dialect.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::accounts::{account, A_COLUMNS};
use super::repos::{repository, COLUMNS, FROM};
use super::teams::{team, T_COLUMNS};
use crate::core::model::{Account, Repository, Team};
use crate::core::policy::Level;
use crate::error::Result;

fn level_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Level> {
    let text: String = row.get(idx)?;
    // The schema's CHECK admits only the three grant levels.
    Ok(Level::parse_grant(&text).unwrap_or(Level::None))
}

/// The users granted access to a repository, by user name.
pub fn user_access(conn: &Connection, repository_id: i64) -> Result<Vec<(Level, Account)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {A_COLUMNS}, x.level FROM repository_user_access x JOIN accounts a ON a.id = x.user_id
         WHERE x.repository_id = ?1 ORDER BY a.name"
    ))?;
    let rows = stmt.query_map([repository_id], |r| Ok((level_at(r, 7)?, account(r)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Grant (or change) a user's level on a repository.
pub fn set_user_access(
    conn: &Connection,
    repository_id: i64,
    user_id: i64,
    level: Level,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO repository_user_access (repository_id, user_id, level) VALUES (?1, ?2, ?3)
         ON CONFLICT (repository_id, user_id) DO UPDATE SET level = excluded.level",
    )?
    .execute(params![repository_id, user_id, level.as_str()])?;
    Ok(())
}

/// Revoke a user's grant; true when there was one.
pub fn delete_user_access(conn: &Connection, repository_id: i64, user_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM repository_user_access WHERE repository_id = ?1 AND user_id = ?2",
        )?
        .execute(params![repository_id, user_id])?
        == 1)
}

/// The teams granted access to a repository, by team name.
pub fn team_access(conn: &Connection, repository_id: i64) -> Result<Vec<(Level, Team)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {T_COLUMNS}, x.level FROM repository_team_access x JOIN teams t ON t.id = x.team_id
         WHERE x.repository_id = ?1 ORDER BY t.name"
    ))?;
    let rows = stmt.query_map([repository_id], |r| Ok((level_at(r, 5)?, team(r)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Grant (or change) a team's level on a repository.
pub fn set_team_access(
    conn: &Connection,
    repository_id: i64,
    team_id: i64,
    level: Level,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO repository_team_access (repository_id, team_id, level) VALUES (?1, ?2, ?3)
         ON CONFLICT (repository_id, team_id) DO UPDATE SET level = excluded.level",
    )?
    .execute(params![repository_id, team_id, level.as_str()])?;
    Ok(())
}

/// Revoke a team's grant on a repository; true when there was one.
pub fn delete_team_access(conn: &Connection, repository_id: i64, team_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM repository_team_access WHERE repository_id = ?1 AND team_id = ?2",
        )?
        .execute(params![repository_id, team_id])?
        == 1)
}

/// The repositories a team holds a repository grant on, by full path.
pub fn repositories_of_team(conn: &Connection, team_id: i64) -> Result<Vec<(Level, Repository)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, x.level FROM {FROM} JOIN repository_team_access x ON x.repository_id = r.id
         WHERE x.team_id = ?1 ORDER BY r.full_path"
    ))?;
    let rows = stmt.query_map([team_id], |r| Ok((level_at(r, 17)?, repository(r)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The teams of an organization granted access to its whole namespace, by team name.
pub fn namespace_access(conn: &Connection, org_id: i64) -> Result<Vec<(Level, Team)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {T_COLUMNS}, n.level FROM namespace_team_access n JOIN teams t ON t.id = n.team_id
         WHERE t.org_id = ?1 ORDER BY t.name"
    ))?;
    let rows = stmt.query_map([org_id], |r| Ok((level_at(r, 5)?, team(r)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A team's level on its organization's namespace, if it has one.
pub fn namespace_access_of(conn: &Connection, team_id: i64) -> Result<Option<Level>> {
    Ok(conn
        .prepare_cached("SELECT level FROM namespace_team_access WHERE team_id = ?1")?
        .query_row([team_id], |r| level_at(r, 0))
        .optional()?)
}

/// Grant (or change) a team's level on its organization's namespace.
pub fn set_namespace_access(conn: &Connection, team_id: i64, level: Level) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO namespace_team_access (team_id, level) VALUES (?1, ?2)
         ON CONFLICT (team_id) DO UPDATE SET level = excluded.level",
    )?
    .execute(params![team_id, level.as_str()])?;
    Ok(())
}

/// Revoke a team's namespace grant; true when there was one.
pub fn delete_namespace_access(conn: &Connection, team_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM namespace_team_access WHERE team_id = ?1")?
        .execute([team_id])?
        == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{accounts, repos, teams};

    fn user(conn: &Connection, name: &str) -> Account {
        accounts::insert_user(
            conn,
            &accounts::NewUser {
                name,
                password_hash: "x",
                email: None,
                is_active: true,
                is_admin: false,
            },
        )
        .unwrap()
    }

    fn repo(conn: &Connection, ns: &Account, name: &str) -> Repository {
        let new = repos::NewRepository {
            name,
            short_description: "",
            long_description: name,
            long_description_html: "",
            is_public: false,
        };
        repos::insert(conn, ns, &new).unwrap()
    }

    #[test]
    fn grants_are_set_replaced_listed_and_revoked() {
        let conn = crate::store::memory();
        let don = user(&conn, "don");
        let pal = user(&conn, "pal");
        let org = crate::store::in_tx(&conn, |tx| {
            accounts::insert_organization(tx, "eng", Some(don.id))
        })
        .unwrap();
        let devs = teams::insert(&conn, org.id, "devs", "").unwrap();
        let mine = repo(&conn, &don, "mine");
        let theirs = repo(&conn, &org, "theirs");

        set_user_access(&conn, mine.id, pal.id, Level::ReadOnly).unwrap();
        set_user_access(&conn, mine.id, pal.id, Level::Admin).unwrap();
        assert_eq!(
            user_access(&conn, mine.id).unwrap(),
            vec![(Level::Admin, pal.clone())]
        );
        assert!(delete_user_access(&conn, mine.id, pal.id).unwrap());
        assert!(!delete_user_access(&conn, mine.id, pal.id).unwrap());

        set_team_access(&conn, theirs.id, devs.id, Level::ReadWrite).unwrap();
        assert_eq!(
            team_access(&conn, theirs.id).unwrap(),
            vec![(Level::ReadWrite, devs.clone())]
        );
        assert_eq!(
            repositories_of_team(&conn, devs.id).unwrap(),
            vec![(Level::ReadWrite, theirs.clone())]
        );
        assert!(delete_team_access(&conn, theirs.id, devs.id).unwrap());

        assert_eq!(namespace_access_of(&conn, devs.id).unwrap(), None);
        set_namespace_access(&conn, devs.id, Level::ReadOnly).unwrap();
        set_namespace_access(&conn, devs.id, Level::Admin).unwrap();
        assert_eq!(
            namespace_access(&conn, org.id).unwrap(),
            vec![(Level::Admin, devs.clone())]
        );
        assert!(delete_namespace_access(&conn, devs.id).unwrap());
        assert!(namespace_access(&conn, org.id).unwrap().is_empty());
    }

    #[test]
    fn deleting_an_account_leaves_nothing_behind() {
        let conn = crate::store::memory();
        let don = user(&conn, "don");
        let pal = user(&conn, "pal");
        let org = crate::store::in_tx(&conn, |tx| {
            accounts::insert_organization(tx, "eng", Some(don.id))
        })
        .unwrap();
        let devs = teams::insert(&conn, org.id, "devs", "").unwrap();
        teams::add_member(&conn, devs.id, pal.id).unwrap();
        let mine = repo(&conn, &don, "findme");
        let theirs = repo(&conn, &org, "theirs");
        set_user_access(&conn, mine.id, pal.id, Level::ReadOnly).unwrap();
        set_team_access(&conn, theirs.id, devs.id, Level::ReadOnly).unwrap();
        set_namespace_access(&conn, devs.id, Level::ReadOnly).unwrap();

        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        let fts = "SELECT count(*) FROM repositories_fts WHERE repositories_fts MATCH 'findme'";
        assert_eq!(count(fts), 1);

        assert!(crate::store::in_tx(&conn, |tx| accounts::delete(tx, org.id)).unwrap());
        assert!(crate::store::in_tx(&conn, |tx| accounts::delete(tx, don.id)).unwrap());
        for table in [
            "repositories",
            "teams",
            "team_members",
            "repository_user_access",
            "repository_team_access",
            "namespace_team_access",
        ] {
            assert_eq!(
                count(&format!("SELECT count(*) FROM {table}")),
                0,
                "{table}"
            );
        }
        // The full-text index lost the repositories too.
        assert_eq!(
            count("SELECT count(*) FROM repositories_fts WHERE repositories_fts MATCH 'findme'"),
            0
        );
        assert!(accounts::by_id(&conn, pal.id).unwrap().is_some());
        assert!(!crate::store::in_tx(&conn, |tx| accounts::delete(tx, don.id)).unwrap());
    }
}
