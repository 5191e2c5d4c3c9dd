//! What a registry token may grant (distribution's token scopes, API-NOTES section 10): the
//! scopes a client asks `GET /v2/token` for, and the one rule for what the caller gets of
//! them, which is the intersection of what was asked and what the permission policy allows.
//! Asking for more is never an error; it grants less.
//!
//! A scope is `type:name:actions` (`repository:alice/app:pull,push`). Names may hold a `:`
//! (a registry host's port, `repository:host:5000/a/b:pull`), so the type ends at the first
//! `:` and the actions start after the last. A deprecated resource class
//! (`repository(plugin)`) is the type without it, as distribution treats it.

use std::collections::BTreeSet;

use rusqlite::Connection;

use crate::auth::bearer::{Claims, Grant};
use crate::core::names::{self, LIBRARY};
use crate::core::policy::{self, Caller, Level};
use crate::error::Result;
use crate::store;

/// The most scope entries one token request may carry (real clients ask for one to three).
pub const MAX_SCOPES: usize = 64;

pub const PULL: &str = "pull";
pub const PUSH: &str = "push";
pub const DELETE: &str = "delete";
/// Every action of a resource the caller holds (`registry:catalog:*`, `repository:a/b:*`).
pub const ALL: &str = "*";

/// One requested scope, as parsed (nothing checked against the store yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

/// Every scope entry in `values` (each a `scope` parameter, which may hold several entries
/// separated by spaces). Malformed entries are left out: they grant nothing.
pub fn parse_all<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Scope> {
    values
        .into_iter()
        .flat_map(|v| v.split(' '))
        .filter(|entry| !entry.is_empty())
        .filter_map(parse)
        .collect()
}

/// One scope entry: `type[(class)]:name:action[,action]*`.
pub fn parse(entry: &str) -> Option<Scope> {
    let (kind, rest) = entry.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let kind = match kind.split_once('(') {
        Some((kind, class)) if is_word(class.strip_suffix(')')?) => kind,
        Some(_) => return None,
        None => kind,
    };
    if !is_word(kind) || name.is_empty() {
        return None;
    }
    let actions = actions
        .split(',')
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'*')
                .then(|| a.to_owned())
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Scope {
        kind: kind.to_owned(),
        name: name.to_owned(),
        actions,
    })
}

/// `[a-z0-9]+`, the grammar of a resource type and class.
fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A registry repository name as Berth's `(namespace, name)`: `x` is `library/x`, `ns/name`
/// is itself, and anything else (empty components, more than two) is no Berth repository.
pub fn repository_path(name: &str) -> Option<(&str, &str)> {
    match name.split_once('/') {
        None if !name.is_empty() => Some((LIBRARY, name)),
        Some((ns, repo)) if !ns.is_empty() && !repo.is_empty() && !repo.contains('/') => {
            Some((ns, repo))
        }
        _ => None,
    }
}

/// The access `caller` gets for `scopes`: for each resource (scopes naming one resource are
/// merged, `x` and `library/x` being one), the requested actions the policy allows, in the
/// order pull, push, delete. Resources of which nothing is allowed are left out, so a
/// private repository the caller cannot read and a missing one give the same (empty) grant.
pub fn grants(conn: &Connection, caller: Option<&Caller>, scopes: &[Scope]) -> Result<Vec<Grant>> {
    // Requested actions per resource, in the order resources were first asked for.
    let mut asked: Vec<(String, String, BTreeSet<&str>)> = Vec::new();
    for scope in scopes {
        let Some((kind, name)) = resource(scope) else {
            continue;
        };
        let index = match asked.iter().position(|(k, n, _)| *k == kind && *n == name) {
            Some(i) => i,
            None => {
                asked.push((kind, name, BTreeSet::new()));
                asked.len() - 1
            }
        };
        asked[index]
            .2
            .extend(scope.actions.iter().map(String::as_str));
    }
    let mut out = Vec::new();
    for (kind, name, wanted) in asked {
        let allowed: &[&str] = if kind == "registry" {
            // The catalog lists only what its caller may read, so anyone may ask it.
            &[ALL]
        } else {
            let (ns, repo) = repository_path(&name).unwrap_or_default();
            actions_of(repository_level(conn, caller, ns, repo)?)
        };
        let actions: Vec<String> = allowed
            .iter()
            .filter(|a| wanted.contains(**a) || wanted.contains(ALL))
            .map(|a| (*a).to_owned())
            .collect();
        if !actions.is_empty() {
            out.push(Grant {
                kind,
                name,
                actions,
            });
        }
    }
    Ok(out)
}

/// Whether a token's holder may still use it: an anonymous token always, a user's only while
/// the account exists and is active (API-NOTES section 10: a token is useless once its user
/// is deactivated). The `/v2` routes ask this of every bearer token they accept.
pub fn holder_is_active(conn: &Connection, claims: &Claims) -> Result<bool> {
    match claims.user_id {
        None => Ok(true),
        Some(id) => Ok(store::accounts::by_id(conn, id)?.is_some_and(|a| a.is_active)),
    }
}

/// The resource a scope names, normalized (`repository`, `ns/name`), or `None` for one that
/// can grant nothing.
fn resource(scope: &Scope) -> Option<(String, String)> {
    match scope.kind.as_str() {
        "repository" => {
            let (ns, name) = repository_path(&scope.name)?;
            Some(("repository".to_owned(), format!("{ns}/{name}")))
        }
        "registry" if scope.name == "catalog" => {
            Some(("registry".to_owned(), "catalog".to_owned()))
        }
        _ => None,
    }
}

/// The registry actions a level allows.
fn actions_of(level: Level) -> &'static [&'static str] {
    match level {
        Level::Admin => &[PULL, PUSH, DELETE],
        Level::ReadWrite => &[PULL, PUSH],
        Level::ReadOnly => &[PULL],
        Level::None => &[],
    }
}

/// The caller's level on the repository `ns/name`. A repository that does not exist yet is
/// the caller's to create where the policy lets it create repositories (it then holds on it
/// what it holds on every repository of that namespace, admin), and nothing anywhere else:
/// a caller that cannot read a private repository gets the same as for a missing one,
/// because whoever may create repositories in a namespace may read all of them.
fn repository_level(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> Result<Level> {
    if let Some(repo) = store::repos::by_path(conn, ns, name)? {
        let facts = store::repos::repository_facts(conn, caller, &repo)?;
        return Ok(policy::repository_level(caller, &facts));
    }
    if names::validate_repository_name(ns, name).is_err() {
        return Ok(Level::None);
    }
    let Some(account) = store::accounts::by_name(conn, ns)? else {
        return Ok(Level::None);
    };
    let facts = store::repos::namespace_facts(conn, caller, &account)?;
    Ok(if policy::may_create_repository(caller, &facts) {
        Level::Admin
    } else {
        Level::None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::accounts::NewUser;
    use crate::store::repos::NewRepository;

    fn scope(kind: &str, name: &str, actions: &[&str]) -> Scope {
        Scope {
            kind: kind.into(),
            name: name.into(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    #[test]
    fn scopes_split_type_at_the_first_colon_and_actions_at_the_last() {
        assert_eq!(
            parse("repository:alice/app:pull,push"),
            Some(scope("repository", "alice/app", &["pull", "push"]))
        );
        assert_eq!(
            parse("repository:host:5000/a/b:pull"),
            Some(scope("repository", "host:5000/a/b", &["pull"]))
        );
        assert_eq!(
            parse("registry:catalog:*"),
            Some(scope("registry", "catalog", &["*"]))
        );
        assert_eq!(
            parse("repository(plugin):a/b:pull"),
            Some(scope("repository", "a/b", &["pull"]))
        );
        assert_eq!(
            parse("repository:a/b:"),
            Some(scope("repository", "a/b", &[]))
        );
        assert_eq!(
            parse("repository:a/b:pull,,push"),
            Some(scope("repository", "a/b", &["pull", "push"]))
        );
        for bad in [
            "",
            "repository",
            "repository:a/b",
            ":a/b:pull",
            "repository::pull",
            "Repository:a/b:pull",
            "repository:a/b:PULL",
            "repository:a/b:pull;rm",
            "repository(:a/b:pull",
            "repository(plugin:a/b:pull",
            "repository()x:a/b:pull",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_scope_parameter_may_hold_several_entries() {
        let all = parse_all([
            "repository:a/b:pull repository:c/d:push",
            "registry:catalog:*",
            "  bogus  repository:e/f:pull ",
        ]);
        assert_eq!(
            all,
            vec![
                scope("repository", "a/b", &["pull"]),
                scope("repository", "c/d", &["push"]),
                scope("registry", "catalog", &["*"]),
                scope("repository", "e/f", &["pull"]),
            ]
        );
        assert!(parse_all([""]).is_empty());
    }

    #[test]
    fn registry_names_are_namespace_and_name() {
        assert_eq!(repository_path("ubuntu"), Some(("library", "ubuntu")));
        assert_eq!(repository_path("alice/app"), Some(("alice", "app")));
        for bad in ["", "/", "a/", "/b", "a/b/c", "host:5000/a/b", "a//b"] {
            assert_eq!(repository_path(bad), None, "{bad:?}");
        }
    }

    /// A store with the site admin (id of `admin`), users `alice` (owns `alice/public` and
    /// `alice/private`) and `bob`, who holds read-write on `alice/shared`.
    struct World {
        conn: Connection,
        admin: Caller,
        alice: Caller,
        bob: Caller,
    }

    fn world() -> World {
        let mut conn = store::memory();
        let user = |conn: &Connection, name: &str, admin: bool| {
            let u = store::accounts::insert_user(
                conn,
                &NewUser {
                    name,
                    password_hash: "x",
                    email: None,
                    is_active: true,
                    is_admin: admin,
                },
            )
            .unwrap();
            Caller::from(&u)
        };
        let admin = user(&conn, "admin", true);
        let alice = user(&conn, "alice", false);
        let bob = user(&conn, "bob", false);
        store::write(&mut conn, |tx| {
            store::accounts::insert_organization(tx, LIBRARY, Some(admin.user_id))
        })
        .unwrap();
        let ns = store::accounts::by_name(&conn, "alice").unwrap().unwrap();
        for (name, public) in [("public", true), ("private", false), ("shared", false)] {
            store::repos::insert(
                &conn,
                &ns,
                &NewRepository {
                    name,
                    short_description: "",
                    long_description: "",
                    long_description_html: "",
                    is_public: public,
                },
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO repository_user_access (repository_id, user_id, level)
             SELECT id, ?1, 'read-write' FROM repositories WHERE name = 'shared'",
            [bob.user_id],
        )
        .unwrap();
        World {
            conn,
            admin,
            alice,
            bob,
        }
    }

    fn granted(w: &World, caller: Option<&Caller>, scopes: &str) -> Vec<(String, Vec<String>)> {
        grants(&w.conn, caller, &parse_all([scopes]))
            .unwrap()
            .into_iter()
            .map(|g| (format!("{}:{}", g.kind, g.name), g.actions))
            .collect()
    }

    fn g(resource: &str, actions: &[&str]) -> (String, Vec<String>) {
        (
            resource.to_owned(),
            actions.iter().map(|a| (*a).to_owned()).collect(),
        )
    }

    #[test]
    fn grants_are_what_was_asked_and_the_policy_allows() {
        let w = world();
        let (admin, alice, bob) = (Some(&w.admin), Some(&w.alice), Some(&w.bob));
        // The owner: everything asked for, nothing more.
        assert_eq!(
            granted(&w, alice, "repository:alice/private:pull"),
            vec![g("repository:alice/private", &["pull"])]
        );
        assert_eq!(
            granted(&w, alice, "repository:alice/private:*"),
            vec![g("repository:alice/private", &["pull", "push", "delete"])]
        );
        // A read-write grant: pull and push, never delete.
        assert_eq!(
            granted(&w, bob, "repository:alice/shared:pull,push,delete"),
            vec![g("repository:alice/shared", &["pull", "push"])]
        );
        // Public: pull for anyone, push for nobody else.
        for caller in [None, bob] {
            assert_eq!(
                granted(&w, caller, "repository:alice/public:pull,push"),
                vec![g("repository:alice/public", &["pull"])]
            );
        }
        // Unknown actions and an empty action list grant nothing.
        assert!(granted(&w, alice, "repository:alice/public:fly").is_empty());
        assert!(granted(&w, alice, "repository:alice/public:").is_empty());
        // Site admins: everything.
        assert_eq!(
            granted(&w, admin, "repository:alice/private:delete,pull"),
            vec![g("repository:alice/private", &["pull", "delete"])]
        );
    }

    #[test]
    fn private_and_missing_repositories_grant_the_same_to_outsiders() {
        let w = world();
        for caller in [None, Some(&w.bob)] {
            for name in ["alice/private", "alice/missing", "nobody/missing"] {
                assert!(
                    granted(&w, caller, &format!("repository:{name}:pull,push,delete")).is_empty(),
                    "{name} for {caller:?}"
                );
            }
        }
    }

    #[test]
    fn a_missing_repository_is_for_whoever_may_create_it() {
        let w = world();
        assert_eq!(
            granted(&w, Some(&w.alice), "repository:alice/new:pull,push"),
            vec![g("repository:alice/new", &["pull", "push"])]
        );
        // An invalid name could never be created.
        assert!(granted(&w, Some(&w.alice), "repository:alice/New:push").is_empty());
        assert!(granted(&w, Some(&w.alice), "repository:alice/json:push").is_empty());
        // `library` is for site admins; a one-component name is `library/x`.
        assert!(granted(&w, Some(&w.alice), "repository:ubuntu:push").is_empty());
        assert_eq!(
            granted(&w, Some(&w.admin), "repository:ubuntu:push"),
            vec![g("repository:library/ubuntu", &["push"])]
        );
    }

    #[test]
    fn tokens_of_deactivated_or_deleted_users_are_refused() {
        let w = world();
        let of = |user_id| Claims::new(user_id, vec![], 0);
        assert!(holder_is_active(&w.conn, &of(None)).unwrap());
        assert!(holder_is_active(&w.conn, &of(Some(w.bob.user_id))).unwrap());
        assert!(!holder_is_active(&w.conn, &of(Some(9999))).unwrap());
        store::accounts::set_active(&w.conn, w.bob.user_id, false).unwrap();
        assert!(!holder_is_active(&w.conn, &of(Some(w.bob.user_id))).unwrap());
    }

    #[test]
    fn scopes_on_one_resource_merge_and_others_grant_nothing() {
        let w = world();
        assert_eq!(
            granted(
                &w,
                Some(&w.admin),
                "repository:ubuntu:pull repository:library/ubuntu:push repository:alice/public:pull"
            ),
            vec![
                g("repository:library/ubuntu", &["pull", "push"]),
                g("repository:alice/public", &["pull"]),
            ]
        );
        assert!(granted(
            &w,
            Some(&w.admin),
            "repository:host:5000/alice/public:pull repository:a/b/c:pull \
             registry:other:* plugin:alice/public:pull"
        )
        .is_empty());
        // The catalog, for anyone, and only as `*`.
        assert_eq!(
            granted(&w, None, "registry:catalog:*"),
            vec![g("registry:catalog", &["*"])]
        );
        assert!(granted(&w, None, "registry:catalog:pull").is_empty());
    }
}
