//! Stars (`docs/contract.md`): a signed-in user who may read a repository stars it once.

use rusqlite::Connection;

use crate::core::model::Repository;
use crate::core::policy::Caller;
use crate::core::repos;
use crate::error::{Error, Result};
use crate::store;

fn signed_in(caller: Option<&Caller>) -> Result<&Caller> {
    caller
        .filter(|c| c.is_active)
        .ok_or_else(|| Error::unauthorized("authentication required"))
}

/// Star a repository the caller may read; starring again changes nothing. True when the
/// star is new.
pub fn star(conn: &mut Connection, caller: Option<&Caller>, ns: &str, name: &str) -> Result<bool> {
    let user = signed_in(caller)?.user_id;
    let (repo, _) = repos::readable(conn, caller, ns, name)?;
    store::write(conn, |tx| store::stars::star(tx, user, repo.id))
}

/// Take back a star; taking back one that is not there changes nothing. True when there was
/// one.
pub fn unstar(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> Result<bool> {
    let user = signed_in(caller)?.user_id;
    let (repo, _) = repos::readable(conn, caller, ns, name)?;
    store::write(conn, |tx| store::stars::unstar(tx, user, repo.id))
}

/// Whether the caller has starred the repository (never, for anonymous).
pub fn is_starred(conn: &Connection, caller: Option<&Caller>, repo: &Repository) -> Result<bool> {
    match caller {
        Some(c) => store::stars::is_starred(conn, c.user_id, repo.id),
        None => Ok(false),
    }
}
