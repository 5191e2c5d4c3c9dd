//! Access grants (`docs/contract.md`): users on user-owned repositories, teams on
//! organization-owned repositories, and teams on their organization's whole namespace.
//!
//! Repository grants are managed by the repository's admins. The repository is looked up
//! through `repos::with_level` before anything else, so a caller who may not read a private
//! repository gets exactly the answer for a missing one, whatever else is wrong with the
//! request.

use rusqlite::Connection;

use crate::core::model::{Account, AccountKind, Repository, Team};
use crate::core::policy::{self, Caller, Level};
use crate::core::{accounts, repos, teams};
use crate::error::{Code, Error, Result};
use crate::store;

fn not_user_owned() -> Error {
    Error::new(
        Code::NotUserOwned,
        "the repository belongs to an organization: grant access to its teams (teamAccess)",
    )
}

fn not_organization_owned() -> Error {
    Error::new(
        Code::NotOrganizationOwned,
        "the repository belongs to a user: grant access to users (userAccess)",
    )
}

fn no_such_grant() -> Error {
    Error::new(
        Code::NoSuchGrant,
        "the team has no access to this namespace",
    )
}

/// A repository the caller administers, owned by the given kind of account.
fn administered(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    kind: AccountKind,
) -> Result<Repository> {
    let (repo, _) = repos::with_level(conn, caller, ns, name, Level::Admin)?;
    match (kind, repo.namespace_kind) {
        (AccountKind::User, AccountKind::Organization) => Err(not_user_owned()),
        (AccountKind::Organization, AccountKind::User) => Err(not_organization_owned()),
        _ => Ok(repo),
    }
}

/// The users granted access to a user-owned repository.
pub fn user_access(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> Result<(Repository, Vec<(Level, Account)>)> {
    let repo = administered(conn, caller, ns, name, AccountKind::User)?;
    let list = store::grants::user_access(conn, repo.id)?;
    Ok((repo, list))
}

/// Grant a user a level on a user-owned repository (replacing any earlier grant). The
/// owner needs no grant (it is admin of its namespace), so granting it one is refused.
pub fn grant_user(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    user: &str,
    level: Level,
) -> Result<(Repository, Account)> {
    let repo = administered(conn, caller, ns, name, AccountKind::User)?;
    let grantee = store::accounts::by_name(conn, user)?.ok_or_else(Error::no_such_account)?;
    if !grantee.is_user() {
        return Err(accounts::not_a_user());
    }
    if grantee.id == repo.namespace_id {
        return Err(Error::new(
            Code::InvalidGrantee,
            "the owner of the namespace is admin of its repositories already",
        ));
    }
    store::write(conn, |tx| {
        store::grants::set_user_access(tx, repo.id, grantee.id, level)
    })?;
    Ok((repo, grantee))
}

/// Revoke a user's grant on a user-owned repository; revoking an absent grant succeeds.
pub fn revoke_user(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    user: &str,
) -> Result<()> {
    let repo = administered(conn, caller, ns, name, AccountKind::User)?;
    if let Some(grantee) = store::accounts::by_name(conn, user)? {
        store::write(conn, |tx| {
            store::grants::delete_user_access(tx, repo.id, grantee.id).map(|_| ())
        })?;
    }
    Ok(())
}

/// The teams granted access to an organization-owned repository.
pub fn team_access(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> Result<(Repository, Vec<(Level, Team)>)> {
    let repo = administered(conn, caller, ns, name, AccountKind::Organization)?;
    let list = store::grants::team_access(conn, repo.id)?;
    Ok((repo, list))
}

/// The team of the repository's own organization with this name (404 `NO_SUCH_TEAM`): a
/// team of another organization cannot be named here at all.
fn team_of_owner(conn: &Connection, repo: &Repository, team: &str) -> Result<Option<Team>> {
    store::teams::by_name(conn, repo.namespace_id, team)
}

/// Grant a team of the owning organization a level on one of its repositories.
pub fn grant_team(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    team: &str,
    level: Level,
) -> Result<(Repository, Team)> {
    let repo = administered(conn, caller, ns, name, AccountKind::Organization)?;
    let team = team_of_owner(conn, &repo, team)?.ok_or_else(teams::no_such_team)?;
    store::write(conn, |tx| {
        store::grants::set_team_access(tx, repo.id, team.id, level)
    })?;
    Ok((repo, team))
}

/// Revoke a team's grant on a repository; revoking an absent grant (or team) succeeds.
pub fn revoke_team(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    team: &str,
) -> Result<()> {
    let repo = administered(conn, caller, ns, name, AccountKind::Organization)?;
    if let Some(team) = team_of_owner(conn, &repo, team)? {
        store::write(conn, |tx| {
            store::grants::delete_team_access(tx, repo.id, team.id).map(|_| ())
        })?;
    }
    Ok(())
}

fn require(allowed: bool) -> Result<()> {
    if allowed {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

/// The teams granted access to a whole organization namespace (its admins only).
pub fn namespace_access(
    conn: &Connection,
    caller: Option<&Caller>,
    org: &str,
) -> Result<(Account, Vec<(Level, Team)>)> {
    let (org, facts) = teams::organization(conn, caller, org)?;
    require(policy::may_manage_namespace_access(caller, &facts))?;
    let list = store::grants::namespace_access(conn, org.id)?;
    Ok((org, list))
}

/// One team's grant on its organization's namespace (the namespace's admins and the team's
/// members); 404 `NO_SUCH_GRANT` when it has none.
pub fn namespace_grant(
    conn: &Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
) -> Result<(Account, Team, Level)> {
    let (org, facts) = teams::organization(conn, caller, org)?;
    // Strangers to the organization learn nothing about which teams exist.
    require(policy::may_see_teams(caller, &facts))?;
    let team = teams::team_in(conn, &org, team)?;
    let in_team = match caller {
        Some(c) => store::teams::is_member(conn, team.id, c.user_id)?,
        None => false,
    };
    require(policy::may_see_namespace_grant(caller, &facts, in_team))?;
    let level = store::grants::namespace_access_of(conn, team.id)?.ok_or_else(no_such_grant)?;
    Ok((org, team, level))
}

/// Grant a team a level on its organization's whole namespace (the namespace's admins).
pub fn grant_namespace(
    conn: &mut Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
    level: Level,
) -> Result<(Account, Team)> {
    let (org, facts) = teams::organization(conn, caller, org)?;
    require(policy::may_manage_namespace_access(caller, &facts))?;
    let team = teams::team_in(conn, &org, team)?;
    store::write(conn, |tx| {
        store::grants::set_namespace_access(tx, team.id, level)
    })?;
    Ok((org, team))
}

/// Revoke a team's namespace grant; revoking an absent grant (or team) succeeds.
pub fn revoke_namespace(
    conn: &mut Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
) -> Result<()> {
    let (org, facts) = teams::organization(conn, caller, org)?;
    require(policy::may_manage_namespace_access(caller, &facts))?;
    if let Some(team) = store::teams::by_name(conn, org.id, team)? {
        store::write(conn, |tx| {
            store::grants::delete_namespace_access(tx, team.id).map(|_| ())
        })?;
    }
    Ok(())
}
