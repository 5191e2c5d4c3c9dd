//! External repositories: references, kept per namespace, to repositories on other
//! registries, with the credentials to reach them (`docs/cloud.md`). Credentials are
//! write-only: the password is sealed by `secrets` before it reaches the store and nothing
//! here returns it, except [`credentials`] for code that must hand it to that registry.

use std::net::Ipv4Addr;

use rusqlite::Connection;

use crate::core::model::{Account, ExternalRepository};
use crate::core::names::{self, DOCKER_HUB_REGISTRY};
use crate::core::policy::{self, Caller, Level};
use crate::core::repos;
use crate::error::{Code, Error, Result};
use crate::secrets::{self, Keyring, SecretString};
use crate::store::{self, external::Sealed};

/// Longest accepted registry username (characters) and password (bytes).
pub const USERNAME_MAX: usize = 255;
pub const PASSWORD_MAX: usize = 1024;

pub fn no_such_external_repository() -> Error {
    Error::new(
        Code::NoSuchExternalRepository,
        "no such external repository",
    )
}

pub fn no_such_registry() -> Error {
    Error::new(Code::NoSuchRegistry, "no such registry")
}

/// The namespace an external-repository request acts in: `ns`, or the caller's own when
/// `None`. The caller needs `needed` there; one who has nothing gets the answer for a
/// missing namespace, one who may read but not write gets a 403.
pub fn namespace(
    conn: &Connection,
    caller: &Caller,
    ns: Option<&str>,
    needed: Level,
) -> Result<Account> {
    let (account, level) = namespace_level(conn, caller, ns)?;
    if level < needed {
        return Err(Error::not_authorized());
    }
    Ok(account)
}

/// The namespace and the caller's level on its external repositories (at least read-only).
fn namespace_level(
    conn: &Connection,
    caller: &Caller,
    ns: Option<&str>,
) -> Result<(Account, Level)> {
    let account = match ns {
        Some(name) => repos::namespace(conn, name)?,
        None => store::accounts::by_id(conn, caller.user_id)?.ok_or_else(Error::no_such_account)?,
    };
    let facts = store::repos::namespace_facts(conn, Some(caller), &account)?;
    let level = policy::external_repositories_level(Some(caller), &facts);
    if !level.can_read() {
        return Err(Error::no_such_account());
    }
    Ok((account, level))
}

/// Filters of a listing.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exactly this name.
    pub name: Option<String>,
    /// Only repositories on this registry host.
    pub registry_host: Option<String>,
    /// The registry filter named this namespace; another one matches nothing.
    pub registry_namespace: Option<String>,
}

/// A page of a namespace's external repositories, sorted by name, and the filtered total.
pub fn list(
    conn: &Connection,
    caller: &Caller,
    ns: Option<&str>,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Account, Vec<ExternalRepository>, i64)> {
    let account = namespace(conn, caller, ns, Level::ReadOnly)?;
    if filter
        .registry_namespace
        .as_ref()
        .is_some_and(|n| *n != account.name)
    {
        return Ok((account, Vec::new(), 0));
    }
    let (items, total) = store::external::list(
        conn,
        account.id,
        filter.name.as_deref(),
        filter.registry_host.as_deref(),
        limit,
        offset,
    )?;
    Ok((account, items, total))
}

pub fn get(
    conn: &Connection,
    caller: &Caller,
    ns: Option<&str>,
    name: &str,
) -> Result<(Account, ExternalRepository)> {
    let account = namespace(conn, caller, ns, Level::ReadOnly)?;
    let repo = store::external::by_name(conn, account.id, name)?
        .ok_or_else(no_such_external_repository)?;
    Ok((account, repo))
}

/// A new external repository as the API receives it.
#[derive(Debug, Clone, Default)]
pub struct NewExternal {
    pub name: String,
    pub username: String,
    pub password: SecretString,
}

/// New credentials; `None` leaves a field as it is, an empty string clears it.
#[derive(Debug, Clone, Default)]
pub struct CredentialsPatch {
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

fn validate_username(username: &str) -> Result<()> {
    if username.chars().count() > USERNAME_MAX || username.chars().any(char::is_control) {
        return Err(Error::new(
            Code::InvalidCredentials,
            "username must be at most 255 characters without control characters",
        ));
    }
    Ok(())
}

fn validate_password(password: &SecretString) -> Result<()> {
    if password.expose().len() > PASSWORD_MAX {
        return Err(Error::new(
            Code::InvalidCredentials,
            "password must be at most 1024 bytes",
        ));
    }
    Ok(())
}

/// Seal `password` for the row (namespace, name) inside the write transaction `tx`; an
/// empty password is stored as none.
fn seal(
    keyring: &Keyring,
    tx: &Connection,
    namespace_id: i64,
    name: &str,
    password: &SecretString,
) -> Result<Option<(Vec<u8>, String)>> {
    if password.is_empty() {
        return Ok(None);
    }
    let key = keyring.key_for_write(tx)?;
    let context = secrets::external_repository_context(namespace_id, name);
    Ok(Some((
        key.seal(&context, password.expose().as_bytes())?,
        key.id().to_owned(),
    )))
}

/// Add an external repository: the namespace's writers only; 400 for a name that is not an
/// image reference, 409 for a name the namespace already has.
pub fn add(
    conn: &mut Connection,
    keyring: &Keyring,
    caller: &Caller,
    ns: Option<&str>,
    new: &NewExternal,
) -> Result<(Account, ExternalRepository)> {
    let account = namespace(conn, caller, ns, Level::ReadWrite)?;
    let host = names::external_registry_host(&new.name)?.to_owned();
    validate_username(&new.username)?;
    validate_password(&new.password)?;
    let repo = store::write(conn, |tx| {
        if store::external::by_name(tx, account.id, &new.name)?.is_some() {
            return Err(Error::new(
                Code::ExternalRepositoryExists,
                "this namespace already has an external repository with this name",
            ));
        }
        let sealed = seal(keyring, tx, account.id, &new.name, &new.password)?;
        store::external::insert(
            tx,
            &store::external::NewExternal {
                namespace_id: account.id,
                name: &new.name,
                registry_host: &host,
                username: &new.username,
                password: sealed
                    .as_ref()
                    .map(|(bytes, key_id)| Sealed { bytes, key_id }),
            },
        )
    })?;
    Ok((account, repo))
}

/// Change the username and/or password of an external repository: writers only.
pub fn update_credentials(
    conn: &mut Connection,
    keyring: &Keyring,
    caller: &Caller,
    ns: Option<&str>,
    name: &str,
    patch: &CredentialsPatch,
) -> Result<(Account, ExternalRepository)> {
    let (account, level) = namespace_level(conn, caller, ns)?;
    let repo = store::external::by_name(conn, account.id, name)?
        .ok_or_else(no_such_external_repository)?;
    if !level.can_write() {
        return Err(Error::not_authorized());
    }
    if let Some(u) = &patch.username {
        validate_username(u)?;
    }
    if let Some(p) = &patch.password {
        validate_password(p)?;
    }
    let repo = store::write(conn, |tx| {
        let sealed = match &patch.password {
            Some(p) => Some(seal(keyring, tx, account.id, &repo.name, p)?),
            None => None,
        };
        store::external::update_credentials(
            tx,
            repo.id,
            patch.username.as_deref(),
            sealed
                .as_ref()
                .map(|s| s.as_ref().map(|(bytes, key_id)| Sealed { bytes, key_id })),
        )?;
        store::external::by_id(tx, repo.id)?.ok_or_else(no_such_external_repository)
    })?;
    Ok((account, repo))
}

/// Remove an external repository (not the repository on its registry): writers only.
pub fn remove(conn: &mut Connection, caller: &Caller, ns: Option<&str>, name: &str) -> Result<()> {
    let (account, level) = namespace_level(conn, caller, ns)?;
    let repo = store::external::by_name(conn, account.id, name)?
        .ok_or_else(no_such_external_repository)?;
    if !level.can_write() {
        return Err(Error::not_authorized());
    }
    store::write(conn, |tx| store::external::delete(tx, repo.id).map(|_| ()))
}

/// The username and password of an external repository, opened with the key, for code
/// that must authenticate to that registry. Never for an API response.
pub fn credentials(
    conn: &Connection,
    keyring: &Keyring,
    repo: &ExternalRepository,
) -> Result<(String, SecretString)> {
    let stored =
        store::external::credentials(conn, repo.id)?.ok_or_else(no_such_external_repository)?;
    let password = match stored.sealed {
        None => SecretString::default(),
        Some((sealed, key_id)) => {
            let key = keyring.key_for_read(conn, &key_id)?;
            let plain = key.open(
                &secrets::external_repository_context(repo.namespace_id, &repo.name),
                &sealed,
            )?;
            let text = String::from_utf8(plain.to_vec()).map_err(|_| secrets::key_unavailable())?;
            SecretString::new(text)
        }
    };
    Ok((stored.username, password))
}

/// A registry as the Cloud dialect describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// As written in repository names, port included (`localhost:5000`).
    pub host: String,
    pub name: String,
    pub is_ssl: bool,
    pub port: u16,
}

/// Describe a registry host. Like Docker: loopback registries (`localhost`, 127.0.0.0/8)
/// speak plain HTTP, every other one HTTPS; the port is the explicit one, or the scheme's.
pub fn describe_registry(host: &str) -> Registry {
    let (hostname, port) = match host.split_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().ok()),
        None => (host, None),
    };
    let loopback = hostname.eq_ignore_ascii_case("localhost")
        || hostname
            .parse::<Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    let is_ssl = !loopback;
    let name = if host == DOCKER_HUB_REGISTRY {
        "Docker Hub".to_owned()
    } else {
        host.to_owned()
    };
    Registry {
        host: host.to_owned(),
        name,
        is_ssl,
        port: port.unwrap_or(if is_ssl { 443 } else { 80 }),
    }
}

/// A page of the registries a namespace's external repositories point at, and how many.
pub fn registries(
    conn: &Connection,
    caller: &Caller,
    ns: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Account, Vec<Registry>, i64)> {
    let account = namespace(conn, caller, ns, Level::ReadOnly)?;
    let (hosts, total) = store::external::registry_hosts(conn, account.id, limit, offset)?;
    Ok((
        account,
        hosts.iter().map(|h| describe_registry(h)).collect(),
        total,
    ))
}

/// One registry a namespace's external repositories point at; 404 when none does.
pub fn registry(
    conn: &Connection,
    caller: &Caller,
    ns: Option<&str>,
    host: &str,
) -> Result<(Account, Registry)> {
    let account = namespace(conn, caller, ns, Level::ReadOnly)?;
    if !store::external::uses_registry(conn, account.id, host)? {
        return Err(no_such_registry());
    }
    Ok((account, describe_registry(host)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_described_like_docker_sees_them() {
        let r = |host: &str, name: &str, is_ssl: bool, port: u16| Registry {
            host: host.into(),
            name: name.into(),
            is_ssl,
            port,
        };
        assert_eq!(
            describe_registry("registry-1.docker.io"),
            r("registry-1.docker.io", "Docker Hub", true, 443)
        );
        assert_eq!(
            describe_registry("registry.local"),
            r("registry.local", "registry.local", true, 443)
        );
        assert_eq!(
            describe_registry("host.io:5000"),
            r("host.io:5000", "host.io:5000", true, 5000)
        );
        assert_eq!(
            describe_registry("localhost"),
            r("localhost", "localhost", false, 80)
        );
        assert_eq!(
            describe_registry("localhost:5000"),
            r("localhost:5000", "localhost:5000", false, 5000)
        );
        assert_eq!(
            describe_registry("127.0.0.1:5000"),
            r("127.0.0.1:5000", "127.0.0.1:5000", false, 5000)
        );
        assert_eq!(
            describe_registry("127.example.com"),
            r("127.example.com", "127.example.com", true, 443)
        );
    }
}
