//! Repository operations shared by every dialect and page. Each checks the permission
//! policy; a repository the caller may not read is reported exactly as a missing one.

use rusqlite::{Connection, Transaction};

use crate::core::model::{Account, Repository};
use crate::core::names;
use crate::core::policy::{self, Caller, Level};
use crate::error::{Error, Result};
use crate::markdown;
use crate::store::{self, repos::NewRepository, repos::RepositoryPatch};

/// A namespace (user or organization) by name.
pub fn namespace(conn: &Connection, name: &str) -> Result<Account> {
    store::accounts::by_name(conn, name)?.ok_or_else(Error::no_such_account)
}

/// Render again every stored description made by an older `markdown::render` (a store opened
/// after an upgrade), in one transaction, so pages and dialects show one rule for all of
/// them. Returns how many were rendered.
pub fn render_stored_descriptions(conn: &mut Connection) -> Result<usize> {
    if store::settings::markdown_version(conn)? >= markdown::RENDER_VERSION {
        return Ok(0);
    }
    store::write(conn, |tx| {
        let rows = store::repos::long_descriptions(tx)?;
        for (id, text) in &rows {
            store::repos::set_long_description_html(tx, *id, markdown::render(text).as_str())?;
        }
        store::settings::set_markdown_version(tx, markdown::RENDER_VERSION)?;
        Ok(rows.len())
    })
}

/// A repository the caller may read, with the caller's level on it.
pub fn readable(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> Result<(Repository, Level)> {
    let repo = store::repos::by_path(conn, ns, name)?.ok_or_else(Error::no_such_repository)?;
    let facts = store::repos::repository_facts(conn, caller, &repo)?;
    let level = policy::repository_level(caller, &facts);
    if !level.can_read() {
        return Err(Error::no_such_repository());
    }
    Ok((repo, level))
}

/// A repository on which the caller holds at least `needed`; 404 if the caller may not
/// read it, 403 if it may read but not do this.
pub fn with_level(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    needed: Level,
) -> Result<(Repository, Level)> {
    let (repo, level) = readable(conn, caller, ns, name)?;
    if level < needed {
        return Err(Error::not_authorized());
    }
    Ok((repo, level))
}

/// Fields of a new repository, as any dialect receives them.
#[derive(Debug, Clone, Default)]
pub struct NewRepo {
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub is_public: bool,
}

/// Create a repository in `ns`: namespace admins only (`library`: site admins only).
pub fn create(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    new: &NewRepo,
) -> Result<Repository> {
    create_with(conn, caller, ns, new, |_, _| Ok(()))
}

/// [`create`], then `then` on the new repository in the same transaction (the Index dialect
/// creates a repository and merges its first images at once).
pub fn create_with(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    new: &NewRepo,
    then: impl FnOnce(&Transaction, &Repository) -> Result<()>,
) -> Result<Repository> {
    let account = namespace(conn, ns)?;
    let facts = store::repos::namespace_facts(conn, caller, &account)?;
    if !policy::may_create_repository(caller, &facts) {
        return Err(Error::not_authorized());
    }
    names::validate_repository_name(ns, &new.name)?;
    names::validate_short_description(&new.short_description)?;
    names::validate_long_description(&new.long_description)?;
    let html = markdown::render(&new.long_description);
    store::write(conn, |tx| {
        let repo = store::repos::insert(
            tx,
            &account,
            &NewRepository {
                name: &new.name,
                short_description: &new.short_description,
                long_description: &new.long_description,
                long_description_html: html.as_str(),
                is_public: new.is_public,
            },
        )?;
        then(tx, &repo)?;
        Ok(repo)
    })
}

/// A partial update of the fields every dialect can change.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub short_description: Option<String>,
    pub long_description: Option<String>,
    pub is_public: Option<bool>,
}

/// Update a repository: admins of it only.
pub fn update(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    patch: &Patch,
) -> Result<Repository> {
    let (repo, _) = with_level(conn, caller, ns, name, Level::Admin)?;
    if let Some(s) = &patch.short_description {
        names::validate_short_description(s)?;
    }
    if let Some(s) = &patch.long_description {
        names::validate_long_description(s)?;
    }
    let stored = RepositoryPatch {
        short_description: patch.short_description.clone(),
        long_description: patch
            .long_description
            .as_ref()
            .map(|text| (text.clone(), markdown::render(text).into_string())),
        is_public: patch.is_public,
    };
    store::write(conn, |tx| {
        store::repos::update(tx, repo.id, &stored)?;
        store::repos::by_id(tx, repo.id)?.ok_or_else(Error::no_such_repository)
    })
}

/// Delete a repository and everything under it: admins of it only.
pub fn delete(conn: &mut Connection, caller: Option<&Caller>, ns: &str, name: &str) -> Result<()> {
    let (repo, _) = with_level(conn, caller, ns, name, Level::Admin)?;
    store::write(conn, |tx| store::repos::delete(tx, repo.id).map(|_| ()))
}

/// A page of the repositories in `ns` the caller may read, and their true total.
pub fn list_in_namespace(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let account = namespace(conn, ns)?;
    store::repos::list_visible_in_namespace(conn, caller, account.id, limit, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::accounts::{insert_user, NewUser};

    /// A store written by an older renderer: its descriptions follow the current rules after
    /// the next start, and the repositories do not look edited.
    #[test]
    fn stored_descriptions_are_rendered_again_once_after_an_upgrade() {
        let mut conn = store::memory();
        let user = NewUser {
            name: "don",
            password_hash: "x",
            email: None,
            is_active: true,
            is_admin: false,
        };
        let ns = insert_user(&conn, &user).unwrap();
        let text = "![logo](https://x.example/l.png =80x70px)";
        let old_html = "<p>![logo](https://x.example/l.png =80x70px)</p>\n";
        let repo = store::repos::insert(
            &conn,
            &ns,
            &NewRepository {
                name: "app",
                short_description: "",
                long_description: text,
                long_description_html: old_html,
                is_public: true,
            },
        )
        .unwrap();
        store::settings::set_markdown_version(&conn, 1).unwrap();

        assert_eq!(render_stored_descriptions(&mut conn).unwrap(), 1);
        let after = store::repos::by_path(&conn, "don", "app").unwrap().unwrap();
        assert_eq!(
            after.long_description_html,
            markdown::render(text).into_string()
        );
        assert!(after.long_description_html.contains("width=\"80\""));
        assert_eq!(after.updated_at, repo.updated_at);
        // Once: the version is recorded.
        assert_eq!(render_stored_descriptions(&mut conn).unwrap(), 0);
    }
}
