//! The registry's operations (API-NOTES section 10): who may pull, push and delete on `/v2`,
//! and what a push, a pull or a delete does to the model. The same permission policy as every
//! dialect (pull = read, push = write, delete = admin; a first push creates the repository,
//! private, where the caller may create repositories), narrowed by what a bearer token
//! grants; a repository the caller may not read answers exactly as a missing one.

use std::io::Read;

use rusqlite::Connection;

use crate::auth::bearer::Claims;
use crate::blobs::{BlobStore, Digest, Hasher};
use crate::core::manifest::{self, Kind};
use crate::core::model::Repository;
use crate::core::names::{self, LIBRARY};
use crate::core::policy::{self, Caller};
use crate::core::quota;
use crate::core::repos::{self, NewRepo};
use crate::error::{Code, Error, Result};
use crate::store::{self, registry as rows};

/// What a request does to a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pull,
    Push,
    Delete,
}

impl Action {
    /// The action a token must grant (`repository:ns/name:<action>`).
    pub fn token_action(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::Delete => "delete",
        }
    }

    /// The actions a challenge asks a token for.
    pub fn scope_actions(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "pull,push",
            Action::Delete => "delete",
        }
    }
}

/// Who asks, as `/v2` knows it (`api::v2::access` finds out).
#[derive(Debug, Clone)]
pub enum Who {
    /// No credentials.
    Anonymous,
    /// Basic (password or API key) or `Token <apikey>`: the user, as every dialect sees it.
    User(Caller),
    /// A bearer token: its user (`None` for an anonymous token), limited to its grants.
    Token {
        caller: Option<Caller>,
        claims: Claims,
    },
}

impl Who {
    /// Whether the credential itself lets `action` on `name` through: a token only what it
    /// grants; anything else whatever the policy allows its user.
    pub fn grants(&self, name: &Name, action: Action) -> bool {
        match self {
            Who::Token { claims, .. } => claims.allows(&name.path(), action.token_action()),
            _ => true,
        }
    }

    pub fn caller(&self) -> Option<&Caller> {
        match self {
            Who::Anonymous => None,
            Who::User(c) => Some(c),
            Who::Token { caller, .. } => caller.as_ref(),
        }
    }
}

/// A repository name on `/v2`: `ns/name`, or `x` for `library/x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub namespace: String,
    pub name: String,
}

impl Name {
    /// The name as the router cut it out of the path: 400 `NAME_INVALID` for anything Berth
    /// cannot hold.
    pub fn parse(raw: &str) -> Result<Name> {
        let parts: Vec<&str> = raw.split('/').collect();
        let (namespace, name) = match parts.as_slice() {
            [name] => (LIBRARY, *name),
            [namespace, name] => (*namespace, *name),
            _ => {
                return Err(Error::new(
                    Code::NameInvalid,
                    "Berth repositories are namespace/name (or name, for library/name)",
                ))
            }
        };
        if !names::is_account_name(namespace) || !names::is_repository_name(name) {
            return Err(Error::new(
                Code::NameInvalid,
                "not a valid repository name: namespace/name of a-z, 0-9 and separators",
            ));
        }
        Ok(Name {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }

    /// `namespace/name`.
    pub fn path(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The answer for a request that lacks what it needs: 401 (`api::v2::access` adds the
/// challenge naming what to ask for).
pub fn challenge() -> Error {
    Error::new(Code::NotAuthenticated, "authentication required")
}

pub fn name_unknown() -> Error {
    Error::new(Code::NameUnknown, "repository name not known to registry")
}

fn denied() -> Error {
    Error::new(
        Code::NotAuthorized,
        "requested access to the resource is denied",
    )
}

/// The repository `name` when `who` may do `action` on it; a push to a repository that does
/// not exist creates it (private) when `create` is set and the caller may create
/// repositories in the namespace. Refusals: 401 where credentials (or a better token) could
/// help, else 404 `NAME_UNKNOWN` where the caller may not read (missing or not), 403
/// `DENIED` where it may read but not do this, and for every refused push.
pub fn authorize(
    conn: &mut Connection,
    who: &Who,
    name: &Name,
    action: Action,
    create: bool,
) -> Result<Repository> {
    let caller = who.caller();
    let repo = store::repos::by_path(conn, &name.namespace, &name.name)?;
    let (allowed, readable) = match &repo {
        Some(r) => {
            let facts = store::repos::repository_facts(conn, caller, r)?;
            let level = policy::repository_level(caller, &facts);
            let allowed = match action {
                Action::Pull => level.can_read(),
                Action::Push => level.can_write(),
                Action::Delete => level.is_admin(),
            };
            (allowed, level.can_read())
        }
        None if action == Action::Push => {
            let may_create = match store::accounts::by_name(conn, &name.namespace)? {
                Some(ns) => {
                    let facts = store::repos::namespace_facts(conn, caller, &ns)?;
                    policy::may_create_repository(caller, &facts)
                }
                None => false,
            };
            (may_create, false)
        }
        None => (false, false),
    };
    if allowed && who.grants(name, action) {
        return match repo {
            Some(r) => Ok(r),
            None if create => create_private(conn, caller, name),
            None => Err(name_unknown()),
        };
    }
    if allowed || caller.is_none() {
        // A token that does not grant what the caller may do, or no user at all.
        return Err(challenge());
    }
    Err(match action {
        Action::Pull => name_unknown(),
        Action::Push => denied(),
        Action::Delete if readable => denied(),
        Action::Delete => name_unknown(),
    })
}

/// A first push: the repository, private, through the one way repositories are created.
fn create_private(
    conn: &mut Connection,
    caller: Option<&Caller>,
    name: &Name,
) -> Result<Repository> {
    let new = NewRepo {
        name: name.name.clone(),
        is_public: false,
        ..NewRepo::default()
    };
    match repos::create(conn, caller, &name.namespace, &new) {
        Ok(repo) => Ok(repo),
        // A concurrent push created it first.
        Err(e) if e.is(Code::RepositoryExists) => {
            store::repos::by_path(conn, &name.namespace, &name.name)?.ok_or_else(name_unknown)
        }
        Err(e) if e.is(Code::NotAuthorized) => Err(denied()),
        Err(e) => Err(e),
    }
}

/// Whether `who` may read repository `from` and it links blob `digest`: a cross-repository
/// mount may then link it into `into`. Never an error for what the caller may not see (the
/// mount becomes an ordinary upload), only for store failures.
pub fn mount(
    conn: &mut Connection,
    who: &Who,
    from: &str,
    digest: &Digest,
    into: &Repository,
) -> Result<bool> {
    let Ok(from) = Name::parse(from) else {
        return Ok(false);
    };
    let source = match authorize(conn, who, &from, Action::Pull, false) {
        Ok(repo) => repo,
        Err(e) if e.status.is_client_error() => return Ok(false),
        Err(e) => return Err(e),
    };
    let digest = digest.to_string();
    if rows::linked_blob(conn, source.id, &digest)?.is_none() {
        return Ok(false);
    }
    store::write(conn, |tx| {
        let size = rows::linked_blob(tx, source.id, &digest)?.unwrap_or(0);
        quota::check(tx, into, &digest, size.max(0) as u64)?;
        rows::link_blob(tx, into.id, &digest)
    })
}

/// The size of a blob this repository links: 404 `BLOB_UNKNOWN` otherwise.
pub fn blob_size(conn: &Connection, repo: &Repository, digest: &Digest) -> Result<u64> {
    rows::linked_blob(conn, repo.id, &digest.to_string())?
        .map(|s| s.max(0) as u64)
        .ok_or_else(blob_unknown)
}

pub fn blob_unknown() -> Error {
    Error::new(Code::BlobUnknown, "blob unknown to registry")
}

/// Unlink a blob from this repository (its file stays for garbage collection).
pub fn delete_blob(conn: &mut Connection, repo: &Repository, digest: &Digest) -> Result<()> {
    let digest = digest.to_string();
    if store::write(conn, |tx| rows::unlink_blob(tx, repo.id, &digest))? {
        Ok(())
    } else {
        Err(blob_unknown())
    }
}

/// A committed blob file becomes a blob of the repository; the upload session (if any)
/// ends in the same transaction.
pub fn add_blob(
    conn: &mut Connection,
    blobs: &dyn BlobStore,
    repo: &Repository,
    upload: Option<&str>,
    digest: &Digest,
    size: u64,
) -> Result<()> {
    let file = digest.clone();
    let digest = digest.to_string();
    store::write(conn, |tx| {
        // Garbage collection removes files inside its write transactions (`ops::gc`): checked
        // in this one, the row never names a file a pass took after the commit above.
        if blobs
            .size(&file)
            .map_err(|e| crate::blobs::io_error("checking a blob", e))?
            .is_none()
        {
            return Err(Error::new(
                Code::BlobUploadInvalid,
                "the blob was collected while it was being stored; push it again",
            ));
        }
        quota::check(tx, repo, &digest, size)?;
        rows::add_blob(tx, repo.id, &digest, size as i64)?;
        if let Some(id) = upload {
            rows::delete_upload(tx, id)?;
        }
        Ok(())
    })
}

/// An upload session of this repository: 404 `BLOB_UPLOAD_UNKNOWN` for any other id.
pub fn upload(conn: &Connection, repo: &Repository, id: &str) -> Result<rows::Upload> {
    rows::upload(conn, id)?
        .filter(|u| u.repository_id == repo.id)
        .ok_or_else(upload_unknown)
}

pub fn upload_unknown() -> Error {
    Error::new(Code::BlobUploadUnknown, "blob upload unknown to registry")
}

/// A new session id (a UUID, the form clients show).
pub fn new_upload_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An upload id from a path, in the one form Berth makes (so it is also a safe file name).
pub fn parse_upload_id(text: &str) -> Result<String> {
    uuid::Uuid::parse_str(text)
        .map(|u| u.to_string())
        .map_err(|_| upload_unknown())
}

/// Leftovers of uploads a crash interrupted, put right at start-up: files without a session
/// are removed, sessions without their acknowledged bytes end, and bytes past what was
/// acknowledged are cut off (the session can go on from there).
pub fn recover_uploads(conn: &Connection, blobs: &dyn BlobStore) -> Result<usize> {
    let io = |e| crate::blobs::io_error("cleaning uploads", e);
    let sessions = rows::uploads(conn)?;
    let mut fixed = 0;
    for id in blobs.upload_ids().map_err(io)? {
        if !sessions.iter().any(|s| s.id == id) {
            blobs.remove_upload(&id).map_err(io)?;
            fixed += 1;
        }
    }
    for s in sessions {
        let acknowledged = s.size.max(0) as u64;
        match blobs.upload_len(&s.id).map_err(io)? {
            Some(len) if len == acknowledged => continue,
            Some(len) if len > acknowledged => {
                blobs.truncate_upload(&s.id, acknowledged).map_err(io)?
            }
            _ => {
                blobs.remove_upload(&s.id).map_err(io)?;
                rows::delete_upload(conn, &s.id)?;
            }
        }
        fixed += 1;
    }
    Ok(fixed)
}

/// What a manifest request names: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
}

impl Reference {
    /// A digest when it has the digest's `:`; otherwise a tag by Berth's rule (the spec's).
    pub fn parse(text: &str) -> Result<Reference> {
        if text.contains(':') {
            return Digest::parse(text).map(Reference::Digest);
        }
        names::validate_tag_name(text)?;
        Ok(Reference::Tag(text.to_owned()))
    }

    pub fn tag(&self) -> Option<&str> {
        match self {
            Reference::Tag(t) => Some(t),
            Reference::Digest(_) => None,
        }
    }
}

pub fn manifest_unknown() -> Error {
    Error::new(Code::ManifestUnknown, "manifest unknown to registry")
}

/// A manifest of the repository by tag or digest (its bytes only when `with_content`).
pub fn manifest(
    conn: &Connection,
    repo: &Repository,
    reference: &Reference,
    with_content: bool,
) -> Result<rows::Manifest> {
    let found = match reference {
        Reference::Tag(t) => rows::manifest_by_tag(conn, repo.id, t, with_content)?,
        Reference::Digest(d) => {
            rows::manifest_by_digest(conn, repo.id, &d.to_string(), with_content)?
        }
    };
    found.ok_or_else(manifest_unknown)
}

/// A manifest as a pull serves it, and the repository it was read from (whose pull count it
/// adds to): what the read cache keeps of a `/v2` manifest read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub repository_id: i64,
    pub manifest: rows::Manifest,
}

/// The manifest `reference` of `name` with its bytes, when `who` may pull it: the decision
/// and the read in one call (one trip to the store). `reference` is parsed only once the
/// caller may read the repository, so a private repository answers a malformed reference
/// as it answers any other: as missing.
pub fn pull_manifest(
    conn: &mut Connection,
    who: &Who,
    name: &Name,
    reference: impl FnOnce() -> Result<Reference>,
) -> Result<Pulled> {
    let repo = authorize(conn, who, name, Action::Pull, false)?;
    let manifest = manifest(conn, &repo, &reference()?, true)?;
    Ok(Pulled {
        repository_id: repo.id,
        manifest,
    })
}

/// A stored push: the manifest's digest and its subject's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub digest: Digest,
    pub subject: Option<String>,
}

/// Config blobs read for their platform are at most this long.
const CONFIG_READ_MAX: u64 = 1 << 20;

/// Store a pushed manifest, and point the tag at it when pushed by tag, in one transaction
/// with its references, its image (the Index's view) and the push count. Nothing is stored
/// when anything is wrong with it.
pub fn put_manifest(
    conn: &mut Connection,
    blobs: &dyn BlobStore,
    repo: &Repository,
    reference: &Reference,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Pushed> {
    let digest = match reference {
        Reference::Digest(expected) => {
            let mut h = Hasher::new(expected.algorithm());
            h.update(body);
            let actual = h.finish();
            if &actual != expected {
                return Err(Error::new(
                    Code::DigestInvalid,
                    "the manifest does not match the digest it was pushed by",
                ));
            }
            actual
        }
        Reference::Tag(_) => Digest::sha256_of(body),
    };
    let parsed = manifest::parse(content_type, body)?;
    let (platforms, config_digest, image_size, references) = match &parsed.kind {
        Kind::Image { config, layers } => {
            let platform = if manifest::IMAGE_CONFIGS.contains(&config.media_type.as_str()) {
                read_config_platform(blobs, &config.digest, config.size)
            } else {
                None
            };
            let size = layers
                .iter()
                .fold(config.size, |sum, l| sum.saturating_add(l.size));
            let mut refs: Vec<(String, &str)> = vec![(config.digest.clone(), "blob")];
            refs.extend(
                layers
                    .iter()
                    .filter(|l| !l.foreign)
                    .map(|l| (l.digest.clone(), "blob")),
            );
            (
                platform.into_iter().collect::<Vec<_>>(),
                Some(config.digest.clone()),
                size,
                refs,
            )
        }
        Kind::Index { children } => (
            manifest::index_platforms(children),
            None,
            0,
            children
                .iter()
                .map(|c| (c.digest.clone(), "manifest"))
                .collect(),
        ),
    };
    let platforms = serde_json::to_string(&platforms).map_err(Error::internal)?;
    let digest_text = digest.to_string();
    store::write(conn, |tx| {
        // Checked in the transaction that stores the manifest, so no delete slips between.
        let mut image_size = image_size;
        match &parsed.kind {
            Kind::Image { config, layers } => {
                for blob in std::iter::once(config).chain(layers.iter().filter(|l| !l.foreign)) {
                    match rows::linked_blob(tx, repo.id, &blob.digest)? {
                        Some(size) if size as u64 == blob.size => {}
                        Some(_) => {
                            return Err(Error::new(
                                Code::ManifestInvalid,
                                "a descriptor's size differs from its blob's",
                            )
                            .with_detail(serde_json::json!({"digest": blob.digest})))
                        }
                        None => {
                            return Err(Error::new(
                                Code::ManifestBlobUnknown,
                                "the manifest references a blob this repository does not hold",
                            )
                            .with_detail(serde_json::json!({"digest": blob.digest})))
                        }
                    }
                }
            }
            Kind::Index { children } => {
                for child in children {
                    let Some(size) = rows::manifest_image_size(tx, repo.id, &child.digest)? else {
                        return Err(Error::new(
                            Code::IndexChildUnknown,
                            "the index lists a manifest this repository does not hold",
                        )
                        .with_detail(serde_json::json!({"digest": child.digest})));
                    };
                    image_size = image_size.saturating_add(size.max(0) as u64);
                }
            }
        }
        let references: Vec<(&str, &str)> =
            references.iter().map(|(d, k)| (d.as_str(), *k)).collect();
        let id = rows::put_manifest(
            tx,
            &rows::NewManifest {
                repository_id: repo.id,
                digest: &digest_text,
                media_type: &parsed.media_type,
                content: body,
                image_size: image_size.min(i64::MAX as u64) as i64,
                config_digest: config_digest.as_deref(),
                artifact_type: parsed.artifact_type.as_deref(),
                subject: parsed.subject.as_deref(),
                annotations: parsed.annotations.as_deref(),
                platforms: &platforms,
                references: &references,
            },
        )?;
        if let Reference::Tag(tag) = reference {
            // Docker's image id: the config's digest; an index has none, so its own.
            let image_id = config_digest
                .as_deref()
                .and_then(|d| d.split_once(':'))
                .map_or(digest.hex(), |(_, hex)| hex)
                .to_owned();
            store::tags::merge_images(
                tx,
                repo.id,
                &[store::tags::Image {
                    image_id: image_id.clone(),
                    checksum: None,
                }],
            )?;
            store::tags::set_pushed_tag(tx, repo.id, tag, &image_id, id)?;
        }
        store::tags::record_push(tx, repo.id)?;
        Ok(())
    })?;
    Ok(Pushed {
        digest,
        subject: parsed.subject,
    })
}

/// The platform in a config blob, when it is a readable image configuration.
fn read_config_platform(blobs: &dyn BlobStore, digest: &str, size: u64) -> Option<String> {
    if size > CONFIG_READ_MAX {
        return None;
    }
    let digest = Digest::parse(digest).ok()?;
    let mut bytes = Vec::new();
    let read = blobs
        .open(&digest, 0)
        .and_then(|r| r.take(CONFIG_READ_MAX).read_to_end(&mut bytes));
    if let Err(e) = read {
        // Missing: the manifest is refused below; anything else only costs the platform.
        if e.kind() != std::io::ErrorKind::NotFound {
            log::warn!("reading config blob {digest}: {e}");
        }
        return None;
    }
    manifest::config_platform(&bytes)
}

/// Delete a manifest by digest (its tags go too) or a tag (the manifest stays).
pub fn delete_manifest(
    conn: &mut Connection,
    repo: &Repository,
    reference: &Reference,
) -> Result<()> {
    let deleted = store::write(conn, |tx| match reference {
        Reference::Digest(d) => rows::delete_manifest(tx, repo.id, &d.to_string()),
        Reference::Tag(t) => rows::delete_pushed_tag(tx, repo.id, t),
    })?;
    if deleted {
        Ok(())
    } else {
        Err(manifest_unknown())
    }
}

/// A page of names after `last` in byte order: at most `n` (all when `None`), and whether
/// more remain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub names: Vec<String>,
    pub more: bool,
}

/// Most entries one page holds, whatever `n` asks.
pub const PAGE_MAX: i64 = 10_000;

fn page(n: Option<i64>, fetch: impl FnOnce(i64) -> Result<Vec<String>>) -> Result<Page> {
    let n = n.unwrap_or(PAGE_MAX).clamp(0, PAGE_MAX);
    if n == 0 {
        return Ok(Page {
            names: Vec::new(),
            more: false,
        });
    }
    let mut names = fetch(n + 1)?;
    let more = names.len() as i64 > n;
    names.truncate(n as usize);
    Ok(Page { names, more })
}

/// The repository's pushed tags.
pub fn tags(conn: &Connection, repo: &Repository, n: Option<i64>, last: &str) -> Result<Page> {
    page(n, |limit| rows::pushed_tags(conn, repo.id, last, limit))
}

/// The repositories the caller may read (a token's user only when it grants the catalog).
pub fn catalog(conn: &Connection, who: &Who, n: Option<i64>, last: &str) -> Result<Page> {
    let caller = match who {
        Who::Token { caller, claims } => caller.as_ref().filter(|_| {
            claims.access.iter().any(|g| {
                g.kind == "registry" && g.name == "catalog" && g.actions.iter().any(|a| a == "*")
            })
        }),
        other => other.caller(),
    };
    page(n, |limit| rows::readable_paths(conn, caller, last, limit))
}

/// The manifests of the repository whose subject is `subject`.
pub fn referrers(
    conn: &Connection,
    repo: &Repository,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Vec<rows::Referrer>> {
    rows::referrers(conn, repo.id, &subject.to_string(), artifact_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::bearer::Grant;
    use crate::store::accounts::{insert_user, NewUser};
    use crate::store::repos::NewRepository;

    /// `alice` (owner of `alice/pub`, public, and `alice/priv`, private) and `bob`.
    fn fixture() -> (Connection, Caller, Caller) {
        let conn = store::memory();
        let user = |name| {
            let account = insert_user(
                &conn,
                &NewUser {
                    name,
                    password_hash: "x",
                    email: None,
                    is_active: true,
                    is_admin: false,
                },
            )
            .unwrap();
            (Caller::from(&account), account)
        };
        let ((alice, alice_ns), (bob, _)) = (user("alice"), user("bob"));
        for (name, public) in [("pub", true), ("priv", false)] {
            let new = NewRepository {
                name,
                short_description: "",
                long_description: "",
                long_description_html: "",
                is_public: public,
            };
            store::repos::insert(&conn, &alice_ns, &new).unwrap();
        }
        (conn, alice, bob)
    }

    fn token(caller: Option<Caller>, grants: &[(&str, &[&str])]) -> Who {
        Who::Token {
            caller,
            claims: Claims {
                user_id: caller.map(|c| c.user_id),
                access: grants
                    .iter()
                    .map(|(name, actions)| Grant {
                        kind: "repository".into(),
                        name: (*name).into(),
                        actions: actions.iter().map(|a| (*a).into()).collect(),
                    })
                    .collect(),
                issued_at: 0,
                expires_at: i64::MAX,
            },
        }
    }

    fn answer(conn: &mut Connection, who: &Who, name: &str, action: Action) -> Result<Code, Code> {
        let name = Name::parse(name).unwrap();
        match authorize(conn, who, &name, action, true) {
            Ok(_) => Ok(Code::InternalError),
            Err(e) => Err(e.code),
        }
    }

    const OK: Result<Code, Code> = Ok(Code::InternalError);
    const CHALLENGE: Result<Code, Code> = Err(Code::NotAuthenticated);
    const UNKNOWN: Result<Code, Code> = Err(Code::NameUnknown);
    const DENIED: Result<Code, Code> = Err(Code::NotAuthorized);

    /// A token narrows the policy and never widens it: what it does not grant but the
    /// policy allows asks for a better token (401); what the policy refuses is answered as
    /// for the same user with Basic, or as for anonymous with an anonymous token.
    #[test]
    fn tokens_grant_at_most_what_the_policy_allows() {
        let (mut conn, alice, bob) = fixture();
        let c = &mut conn;
        let pull = Action::Pull;
        let push = Action::Push;
        let delete = Action::Delete;
        let cases: Vec<(Who, &str, Action, Result<Code, Code>)> = vec![
            (
                token(Some(bob), &[("alice/pub", &["pull"])]),
                "alice/pub",
                pull,
                OK,
            ),
            (token(Some(bob), &[]), "alice/pub", pull, CHALLENGE),
            (
                token(Some(bob), &[("alice/pub", &["push"])]),
                "alice/pub",
                pull,
                CHALLENGE,
            ),
            (token(Some(bob), &[]), "alice/priv", pull, UNKNOWN),
            (
                token(Some(bob), &[("alice/priv", &["pull"])]),
                "alice/priv",
                pull,
                UNKNOWN,
            ),
            (token(Some(bob), &[]), "alice/missing", pull, UNKNOWN),
            (
                token(None, &[("alice/pub", &["pull"])]),
                "alice/pub",
                pull,
                OK,
            ),
            (token(None, &[]), "alice/pub", pull, CHALLENGE),
            (
                token(None, &[("alice/priv", &["pull"])]),
                "alice/priv",
                pull,
                CHALLENGE,
            ),
            (token(None, &[]), "alice/missing", pull, CHALLENGE),
            (
                token(Some(alice), &[("alice/priv", &["pull"])]),
                "alice/priv",
                push,
                CHALLENGE,
            ),
            (
                token(Some(alice), &[("alice/priv", &["pull", "push"])]),
                "alice/priv",
                push,
                OK,
            ),
            (
                token(Some(bob), &[("alice/pub", &["pull", "push"])]),
                "alice/pub",
                push,
                DENIED,
            ),
            (
                token(Some(bob), &[("alice/new", &["push"])]),
                "alice/new",
                push,
                DENIED,
            ),
            (
                token(Some(alice), &[("alice/priv", &["pull", "push"])]),
                "alice/priv",
                delete,
                CHALLENGE,
            ),
            (
                token(Some(alice), &[("alice/priv", &["delete"])]),
                "alice/priv",
                delete,
                OK,
            ),
            (
                token(Some(bob), &[("alice/pub", &["delete"])]),
                "alice/pub",
                delete,
                DENIED,
            ),
            (
                token(Some(bob), &[("alice/priv", &["delete"])]),
                "alice/priv",
                delete,
                UNKNOWN,
            ),
            (Who::User(bob), "alice/priv", pull, UNKNOWN),
            (Who::User(bob), "alice/pub", push, DENIED),
            (Who::User(bob), "alice/priv", push, DENIED),
            (Who::Anonymous, "alice/pub", pull, OK),
            (Who::Anonymous, "alice/priv", pull, CHALLENGE),
            (Who::Anonymous, "alice/pub", push, CHALLENGE),
        ];
        for (who, name, action, expected) in cases {
            assert_eq!(
                answer(c, &who, name, action),
                expected,
                "{who:?} {name} {action:?}"
            );
        }
        // A granted push to a repository the user may create creates it, private.
        let who = token(Some(alice), &[("alice/new", &["pull", "push"])]);
        assert_eq!(answer(c, &who, "alice/new", push), OK);
        let repo = store::repos::by_path(c, "alice", "new").unwrap().unwrap();
        assert!(!repo.is_public);
    }

    /// The catalog shows a token's user what it may read only when the token grants
    /// `registry:catalog:*`; otherwise the public repositories.
    #[test]
    fn the_catalog_needs_the_catalog_grant_for_private_repositories() {
        let (conn, alice, _) = fixture();
        let plain = token(Some(alice), &[]);
        assert_eq!(
            catalog(&conn, &plain, None, "").unwrap().names,
            ["alice/pub"]
        );
        let Who::Token { caller, mut claims } = plain else {
            unreachable!()
        };
        claims.access.push(Grant {
            kind: "registry".into(),
            name: "catalog".into(),
            actions: vec!["*".into()],
        });
        let granted = Who::Token { caller, claims };
        assert_eq!(
            catalog(&conn, &granted, None, "").unwrap().names,
            ["alice/priv", "alice/pub"]
        );
        assert_eq!(
            catalog(&conn, &Who::User(alice), None, "").unwrap().names,
            ["alice/priv", "alice/pub"]
        );
    }

    #[test]
    fn names_are_namespace_slash_name_or_library() {
        assert_eq!(Name::parse("alpine").unwrap().path(), "library/alpine");
        assert_eq!(Name::parse("acme/web").unwrap().path(), "acme/web");
        for bad in ["a/b/c", "acme/Web", "", "acme/", "/web", "x/../y"] {
            assert!(Name::parse(bad).unwrap_err().is(Code::NameInvalid), "{bad}");
        }
    }

    #[test]
    fn references_are_tags_or_digests() {
        assert_eq!(
            Reference::parse("v1.0").unwrap(),
            Reference::Tag("v1.0".into())
        );
        assert!(matches!(
            Reference::parse(&Digest::sha256_of(b"x").to_string()).unwrap(),
            Reference::Digest(_)
        ));
        assert!(Reference::parse("sha256:zz")
            .unwrap_err()
            .is(Code::DigestInvalid));
        assert!(Reference::parse(".bad").unwrap_err().is(Code::InvalidTag));
    }

    #[test]
    fn pages_stop_at_n_and_say_whether_more_remain() {
        let all: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let fetch = |limit: i64| Ok(all.iter().take(limit as usize).cloned().collect());
        assert_eq!(
            page(Some(2), fetch).unwrap(),
            Page {
                names: vec!["a".into(), "b".into()],
                more: true
            }
        );
        assert_eq!(
            page(Some(3), fetch).unwrap(),
            Page {
                names: all.clone(),
                more: false
            }
        );
        assert_eq!(
            page(Some(0), fetch).unwrap(),
            Page {
                names: vec![],
                more: false
            }
        );
        assert_eq!(page(None, fetch).unwrap().names, all);
    }
}
