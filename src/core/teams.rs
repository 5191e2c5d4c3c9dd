//! Teams of an organization and their members. Every decision goes through the policy:
//! the team list is for the organization's members, one team's members for admins, owners
//! and that team, and changes for owners and site admins.

use rusqlite::Connection;

use crate::core::model::{Account, Repository, Team};
use crate::core::names;
use crate::core::policy::{self, Caller, Level, NamespaceFacts};
use crate::error::{Code, Error, Result};
use crate::store;

pub fn not_an_organization() -> Error {
    Error::new(
        Code::NotAnOrganization,
        "this account is a user, not an organization",
    )
}

pub fn no_such_team() -> Error {
    Error::new(Code::NoSuchTeam, "no such team")
}

fn owners_team() -> Error {
    Error::new(
        Code::OwnersTeam,
        "the owners team cannot be renamed or removed",
    )
}

/// An organization by name (404 none, 400 a user), with what the policy needs about the
/// caller's place in it.
pub fn organization(
    conn: &Connection,
    caller: Option<&Caller>,
    name: &str,
) -> Result<(Account, NamespaceFacts)> {
    let account = store::accounts::by_name(conn, name)?.ok_or_else(Error::no_such_account)?;
    if account.is_user() {
        return Err(not_an_organization());
    }
    let facts = store::repos::namespace_facts(conn, caller, &account)?;
    Ok((account, facts))
}

/// A team of `org` by name (404 `NO_SUCH_TEAM`).
pub fn team_in(conn: &Connection, org: &Account, name: &str) -> Result<Team> {
    store::teams::by_name(conn, org.id, name)?.ok_or_else(no_such_team)
}

fn require(allowed: bool) -> Result<()> {
    if allowed {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

/// A team whose members the caller may see: 403 when the caller may not even see the
/// organization's teams (so a stranger learns nothing about which teams exist), 404 for no
/// such team, 403 when the caller may see the team but not who is in it.
fn visible_team(
    conn: &Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
) -> Result<(Account, Team)> {
    let (org, facts) = organization(conn, caller, org)?;
    require(policy::may_see_teams(caller, &facts))?;
    let team = team_in(conn, &org, team)?;
    let in_team = match caller {
        Some(c) => store::teams::is_member(conn, team.id, c.user_id)?,
        None => false,
    };
    require(policy::may_see_team_members(caller, &facts, in_team))?;
    Ok((org, team))
}

/// The teams of an organization, for its members and site admins.
pub fn list(conn: &Connection, caller: Option<&Caller>, org: &str) -> Result<Vec<Team>> {
    let (org, facts) = organization(conn, caller, org)?;
    require(policy::may_see_teams(caller, &facts))?;
    store::teams::list(conn, org.id)
}

/// One team, for the organization's members and site admins.
pub fn get(conn: &Connection, caller: Option<&Caller>, org: &str, team: &str) -> Result<Team> {
    let (org, facts) = organization(conn, caller, org)?;
    require(policy::may_see_teams(caller, &facts))?;
    team_in(conn, &org, team)
}

/// Create a team (owners and site admins).
pub fn create(
    conn: &mut Connection,
    caller: Option<&Caller>,
    org: &str,
    name: &str,
    description: &str,
) -> Result<Team> {
    let (org, facts) = organization(conn, caller, org)?;
    require(policy::may_manage_organization(caller, &facts))?;
    names::validate_team_name(name)?;
    names::validate_team_description(description)?;
    store::write(conn, |tx| {
        store::teams::insert(tx, org.id, name, description)
    })
}

/// A partial update of a team; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Rename or describe a team (owners and site admins). `owners` keeps its name.
pub fn update(
    conn: &mut Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
    patch: &TeamPatch,
) -> Result<Team> {
    let (org, facts) = organization(conn, caller, org)?;
    require(policy::may_manage_organization(caller, &facts))?;
    let team = team_in(conn, &org, team)?;
    let rename = patch.name.as_deref().filter(|n| *n != team.name);
    if let Some(name) = rename {
        if team.is_owners() {
            return Err(owners_team());
        }
        names::validate_team_name(name)?;
    }
    if let Some(d) = &patch.description {
        names::validate_team_description(d)?;
    }
    store::write(conn, |tx| {
        store::teams::update(tx, team.id, rename, patch.description.as_deref())?;
        store::teams::by_id(tx, team.id)?.ok_or_else(no_such_team)
    })
}

/// Delete a team with its memberships and grants (owners and site admins). Deleting a team
/// that does not exist succeeds; `owners` cannot be deleted.
pub fn delete(conn: &mut Connection, caller: Option<&Caller>, org: &str, team: &str) -> Result<()> {
    let (org, facts) = organization(conn, caller, org)?;
    require(policy::may_manage_organization(caller, &facts))?;
    // Absent is a 404 (API-NOTES section 3): the caller learns that nothing was deleted.
    let team = store::teams::by_name(conn, org.id, team)?.ok_or_else(no_such_team)?;
    if team.is_owners() {
        return Err(owners_team());
    }
    store::write(conn, |tx| store::teams::delete(tx, team.id).map(|_| ()))
}

/// The members of a team (site admins, owners, and the team's own members).
pub fn members(
    conn: &Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
) -> Result<Vec<Account>> {
    let (_, team) = visible_team(conn, caller, org, team)?;
    store::teams::members(conn, team.id)
}

/// Whether `user` is a member of the team (for those who may see its members).
pub fn is_member(
    conn: &Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
    user: &str,
) -> Result<bool> {
    let (_, team) = visible_team(conn, caller, org, team)?;
    match store::accounts::by_name(conn, user)? {
        Some(account) => store::teams::is_member(conn, team.id, account.id),
        None => Ok(false),
    }
}

/// Add a user to a team (owners and site admins); adding a member again is a no-op.
pub fn add_member(
    conn: &mut Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
    user: &str,
) -> Result<Account> {
    let (org, facts) = organization(conn, caller, org)?;
    require(policy::may_manage_organization(caller, &facts))?;
    let team = team_in(conn, &org, team)?;
    let member = store::accounts::by_name(conn, user)?.ok_or_else(Error::no_such_account)?;
    if !member.is_user() {
        return Err(crate::core::accounts::not_a_user());
    }
    store::write(conn, |tx| store::teams::add_member(tx, team.id, member.id))?;
    Ok(member)
}

/// Remove a user from a team (owners and site admins); removing a non-member succeeds.
pub fn remove_member(
    conn: &mut Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
    user: &str,
) -> Result<()> {
    let (org, facts) = organization(conn, caller, org)?;
    require(policy::may_manage_organization(caller, &facts))?;
    let team = team_in(conn, &org, team)?;
    if let Some(member) = store::accounts::by_name(conn, user)? {
        store::write(conn, |tx| {
            store::teams::remove_member(tx, team.id, member.id).map(|_| ())
        })?;
    }
    Ok(())
}

/// The repositories a team holds a repository grant on (for those who may see the team's
/// members). Every one is readable by whoever may ask: site admins and owners read every
/// repository of the organization, and a member of the team reads through the grant itself.
pub fn repository_access(
    conn: &Connection,
    caller: Option<&Caller>,
    org: &str,
    team: &str,
) -> Result<(Team, Vec<(Level, Repository)>)> {
    let (_, team) = visible_team(conn, caller, org, team)?;
    let grants = store::grants::repositories_of_team(conn, team.id)?;
    Ok((team, grants))
}
