//! The site-wide catalog of repositories by path: RegistryUI's view of the model, where a
//! repository is known by its displayed path (`namespace/name`, and `x` for `library/x`),
//! folders are path prefixes, and teams are "groups" with read or update rights.
//!
//! Listings and counts only ever include what the caller may read (the store filters with
//! the policy's SQL form); creating projects and removing folders are for site admins.

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::core::model::{AccountKind, Repository};
use crate::core::names::{self, LIBRARY};
use crate::core::policy::{self, Caller, Level};
use crate::core::repos::{self, NewRepo};
use crate::error::{Code, Error, Result};
use crate::store::{self, catalog::PathRange};

/// A repository's path as RegistryUI shows it: `library/x` is `x`, everything else is
/// `namespace/name`. The schema's `repositories.display_path` column computes the same.
pub fn display_path(full_path: &str) -> &str {
    full_path
        .strip_prefix(LIBRARY)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(full_path)
}

/// A displayed path back to `(namespace, name)`: `x` is `library/x`; `ns/name` is itself.
/// `None` when a part is empty.
pub fn split_path(path: &str) -> Option<(&str, &str)> {
    let (ns, name) = path.split_once('/').unwrap_or((LIBRARY, path));
    (!ns.is_empty() && !name.is_empty()).then_some((ns, name))
}

/// The displayed paths a listing covers: under `folder + "/"` when a folder is given, and
/// strictly after `start_after` when that is given. Both become one exclusive range on the
/// indexed sort key, so a keyset page costs the same however deep it is.
pub fn path_range(folder: Option<&str>, start_after: Option<&str>) -> PathRange {
    let folder = folder
        .map(|f| f.trim_end_matches('/'))
        .filter(|f| !f.is_empty());
    // Every path under `f/` sorts after `f/` and before `f0` ('0' follows '/' in ASCII).
    let (mut after, before) = match folder {
        Some(f) => (format!("{f}/"), Some(format!("{f}0"))),
        None => (String::new(), None),
    };
    if let Some(s) = start_after {
        if s > after.as_str() {
            after = s.to_owned();
        }
    }
    PathRange { after, before }
}

/// The teams ("groups") that may read and that may update a repository, by ascending id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    /// Teams with any level: read-only, read-write or admin.
    pub read: Vec<i64>,
    /// Teams with read-write or admin.
    pub update: Vec<i64>,
}

/// A listed repository and its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub repo: Repository,
    pub groups: Groups,
}

/// A page of the catalog and the true number of matching repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Matching repositories the caller may read, before `skip`/`take`.
    pub total: i64,
    pub entries: Vec<Listed>,
}

/// What to list: a folder, a keyset start, and an offset page.
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    pub folder: Option<&'a str>,
    pub start_after: Option<&'a str>,
    pub skip: i64,
    pub take: i64,
}

/// The repositories the caller may read, by displayed path in byte order.
pub fn list(conn: &Connection, caller: Option<&Caller>, q: &Query<'_>) -> Result<Listing> {
    let total = count(conn, caller, q.folder, q.start_after)?;
    let entries = if q.take > 0 && q.skip < total {
        batch(conn, caller, q)?
    } else {
        Vec::new()
    };
    Ok(Listing { total, entries })
}

/// How many repositories in `folder` after `start_after` the caller may read (`total`).
pub fn count(
    conn: &Connection,
    caller: Option<&Caller>,
    folder: Option<&str>,
    start_after: Option<&str>,
) -> Result<i64> {
    store::catalog::count_visible(conn, caller, &path_range(folder, start_after))
}

/// The entries of a listing without its count: `q.take` repositories from `q.skip` on. A
/// listing read in keyset batches asks for each with `start_after` the last path of the one
/// before (and `skip` 0), so every batch costs what its own rows cost.
pub fn batch(conn: &Connection, caller: Option<&Caller>, q: &Query<'_>) -> Result<Vec<Listed>> {
    if q.take <= 0 {
        return Ok(Vec::new());
    }
    let range = path_range(q.folder, q.start_after);
    let repos = store::catalog::page_visible(conn, caller, &range, q.take, q.skip)?;
    let groups = groups(conn, &repos)?;
    Ok(repos
        .into_iter()
        .zip(groups)
        .map(|(repo, groups)| Listed { repo, groups })
        .collect())
}

/// The groups of each repository, in order, from one query for the whole page.
///
/// A team reads a repository when it holds any grant on it (organization repositories), any
/// namespace grant in its organization, or is the organization's `owners` team; it updates
/// when the highest of those is read-write or admin. User-owned repositories have no groups.
pub fn groups(conn: &Connection, repos: &[Repository]) -> Result<Vec<Groups>> {
    // Only organizations have teams: a page of users' repositories asks the store nothing.
    let ids: Vec<i64> = repos
        .iter()
        .filter(|r| r.namespace_kind == AccountKind::Organization)
        .map(|r| r.id)
        .collect();
    let mut best: BTreeMap<(i64, i64), Level> = BTreeMap::new();
    for g in store::catalog::team_grants(conn, &ids)? {
        let level = best
            .entry((g.repository_id, g.team_id))
            .or_insert(Level::None);
        *level = (*level).max(g.level);
    }
    Ok(repos
        .iter()
        .map(|repo| {
            let mut groups = Groups::default();
            for (&(_, team), &level) in best.range((repo.id, i64::MIN)..=(repo.id, i64::MAX)) {
                if level.can_read() {
                    groups.read.push(team);
                }
                if level.can_write() {
                    groups.update.push(team);
                }
            }
            groups
        })
        .collect())
}

fn invalid_path() -> Error {
    Error::new(
        Code::InvalidRepositoryName,
        "repository must be `name` (library) or `namespace/name`",
    )
}

/// Create a repository ("project") at a displayed path: site admins only.
pub fn create_project(
    conn: &mut Connection,
    caller: Option<&Caller>,
    path: &str,
    title: &str,
    is_public: bool,
) -> Result<Listed> {
    if !policy::is_site_admin(caller) {
        return Err(Error::not_authorized());
    }
    let (ns, name) = split_path(path).ok_or_else(invalid_path)?;
    // A bad name is a 400 even in a namespace that does not exist (`a/b/c` is not `a` + `b/c`).
    names::validate_repository_name(ns, name)?;
    let new = NewRepo {
        name: name.to_owned(),
        short_description: title.to_owned(),
        long_description: String::new(),
        is_public,
    };
    let repo = repos::create(conn, caller, ns, &new)?;
    let groups = groups(conn, std::slice::from_ref(&repo))?
        .pop()
        .unwrap_or_default();
    Ok(Listed { repo, groups })
}

/// Remove every repository under `folder + "/"` (displayed paths) in one transaction: site
/// admins only. Returns how many were removed; an empty folder removes none.
pub fn delete_folder(
    conn: &mut Connection,
    caller: Option<&Caller>,
    folder: &str,
) -> Result<usize> {
    if !policy::is_site_admin(caller) {
        return Err(Error::not_authorized());
    }
    let folder = folder.trim_end_matches('/');
    if folder.is_empty() {
        return Err(Error::new(Code::InvalidFolder, "path must name a folder"));
    }
    let range = path_range(Some(folder), None);
    store::write(conn, |tx| store::catalog::delete_range(tx, &range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_paths_show_without_their_namespace() {
        assert_eq!(display_path("library/alpine"), "alpine");
        assert_eq!(display_path("acme/web"), "acme/web");
        assert_eq!(display_path("libraryx/web"), "libraryx/web");
        assert_eq!(display_path("acme/library"), "acme/library");
    }

    #[test]
    fn displayed_paths_split_back_to_namespace_and_name() {
        assert_eq!(split_path("alpine"), Some(("library", "alpine")));
        assert_eq!(split_path("library/alpine"), Some(("library", "alpine")));
        assert_eq!(split_path("acme/web"), Some(("acme", "web")));
        assert_eq!(split_path("a/b/c"), Some(("a", "b/c")));
        assert_eq!(split_path(""), None);
        assert_eq!(split_path("/web"), None);
        assert_eq!(split_path("acme/"), None);
    }

    fn range(after: &str, before: Option<&str>) -> PathRange {
        PathRange {
            after: after.to_owned(),
            before: before.map(str::to_owned),
        }
    }

    #[test]
    fn folders_and_start_after_become_one_range() {
        assert_eq!(path_range(None, None), range("", None));
        assert_eq!(path_range(Some(""), None), range("", None));
        assert_eq!(
            path_range(Some("acme"), None),
            range("acme/", Some("acme0"))
        );
        assert_eq!(
            path_range(Some("acme//"), None),
            range("acme/", Some("acme0"))
        );
        assert_eq!(path_range(None, Some("acme/web")), range("acme/web", None));
        // The later of the two lower bounds wins.
        assert_eq!(
            path_range(Some("acme"), Some("acme/web")),
            range("acme/web", Some("acme0"))
        );
        assert_eq!(
            path_range(Some("acme"), Some("a")),
            range("acme/", Some("acme0"))
        );
        assert_eq!(
            path_range(Some("acme"), Some("zzz")),
            range("zzz", Some("acme0"))
        );
    }
}
