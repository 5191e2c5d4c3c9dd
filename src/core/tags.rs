//! Images and tags, as every dialect and page sees them: reading needs read access to the
//! repository, changing needs read-write; an unreadable repository is a missing one.

use rusqlite::Connection;

use crate::core::model::Repository;
use crate::core::names;
use crate::core::policy::{Caller, Level};
use crate::core::repos;
use crate::error::{Code, Error, Result};
use crate::store::pulls::{Pull, Pulls};
use crate::store::pushed::Pushed;
use crate::store::{self, tags::Image, tags::Tag};

pub fn no_such_tag() -> Error {
    Error::new(Code::NoSuchTag, "no such tag")
}

/// The tags of a repository the caller may read.
pub fn list(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> Result<(Repository, Vec<Tag>)> {
    let (repo, _) = repos::readable(conn, caller, ns, name)?;
    let tags = store::tags::tags(conn, repo.id)?;
    Ok((repo, tags))
}

/// A page of the tags of a repository the caller may read: named after `after` in byte
/// order (keyset), then `offset`/`limit`; with the number of tags after `after`.
pub fn page(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    after: &str,
    limit: i64,
    offset: i64,
) -> Result<(Repository, Vec<Tag>, i64)> {
    let (repo, _) = repos::readable(conn, caller, ns, name)?;
    let total = store::tags::count_tags_after(conn, repo.id, after)?;
    let tags = if limit > 0 && offset < total {
        store::tags::tags_after(conn, repo.id, after, limit, offset)?
    } else {
        Vec::new()
    };
    Ok((repo, tags, total))
}

/// What each of `tags` (tags of `repo`, which the caller was allowed to read) points at when
/// the registry pushed it: digest, size, platforms (`None` for a legacy Index tag).
pub fn pushed(conn: &Connection, repo: &Repository, tags: &[Tag]) -> Result<Vec<Option<Pushed>>> {
    tags.iter()
        .map(|t| store::pushed::of_tag(conn, repo.id, &t.name))
        .collect()
}

/// One tag of a repository the caller may read.
pub fn get(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    tag: &str,
) -> Result<(Repository, Tag)> {
    let (repo, _) = repos::readable(conn, caller, ns, name)?;
    let found = store::tags::tag_by_name(conn, repo.id, tag)?.ok_or_else(no_such_tag)?;
    Ok((repo, found))
}

/// One tag, read by a client that is pulling it (a registry-role read with a token):
/// counts a pull of that tag.
pub fn pull_tag(
    conn: &mut Connection,
    pulls: &Pulls,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    tag: &str,
) -> Result<(Repository, Tag)> {
    let (repo, found) = get(conn, caller, ns, name, tag)?;
    pulls.count(conn, Pull::Tag(repo.id, tag))?;
    Ok((repo, found))
}

/// Point `tag` at `image_id`, which must be an image of the repository: read-write.
pub fn set(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    tag: &str,
    image_id: &str,
) -> Result<()> {
    let (repo, _) = repos::with_level(conn, caller, ns, name, Level::ReadWrite)?;
    names::validate_tag_name(tag)?;
    names::validate_image_id(image_id)?;
    store::write(conn, |tx| store::tags::set_tag(tx, repo.id, tag, image_id))
}

/// Remove a tag: read-write. Removing an absent tag is a 404 `NO_SUCH_TAG`.
pub fn delete(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    tag: &str,
) -> Result<()> {
    let (repo, _) = repos::with_level(conn, caller, ns, name, Level::ReadWrite)?;
    store::write(conn, |tx| {
        if store::tags::delete_tag(tx, repo.id, tag)? {
            Ok(())
        } else {
            Err(no_such_tag())
        }
    })
}

/// The images of a repository the caller may read.
pub fn images(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> Result<(Repository, Vec<Image>)> {
    let (repo, _) = repos::readable(conn, caller, ns, name)?;
    let images = store::tags::images(conn, repo.id)?;
    Ok((repo, images))
}

/// Validate a list of images as a client sent it.
pub fn validate_images(images: &[Image]) -> Result<()> {
    for image in images {
        names::validate_image_id(&image.image_id)?;
        if let Some(sum) = &image.checksum {
            if sum.is_empty()
                || sum.len() > 200
                || sum.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(Error::new(Code::InvalidChecksum, "invalid image checksum"));
            }
        }
    }
    Ok(())
}

/// Merge images into a repository (added, never removed): read-write.
pub fn merge_images(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    images: &[Image],
) -> Result<Repository> {
    let (repo, _) = repos::with_level(conn, caller, ns, name, Level::ReadWrite)?;
    validate_images(images)?;
    store::write(conn, |tx| store::tags::merge_images(tx, repo.id, images))?;
    Ok(repo)
}

/// The images of a repository the caller may read; when `pull` (a client starting a pull),
/// also count the pull (`download` + 1, `pulled_at`; see `store::pulls` for when it is
/// written).
pub fn pull(
    conn: &mut Connection,
    pulls: &Pulls,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    pull: bool,
) -> Result<(Repository, Vec<Image>)> {
    let (repo, _) = repos::readable(conn, caller, ns, name)?;
    let images = store::tags::images(conn, repo.id)?;
    if pull {
        pulls.count(conn, Pull::Repository(repo.id))?;
    }
    Ok((repo, images))
}

/// A finished push: merge the images (read-write) and count the push (`upload` + 1,
/// `pushed_at`), in one transaction.
pub fn push_images(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    images: &[Image],
) -> Result<Repository> {
    let (repo, _) = repos::with_level(conn, caller, ns, name, Level::ReadWrite)?;
    validate_images(images)?;
    store::write(conn, |tx| {
        store::tags::merge_images(tx, repo.id, images)?;
        store::tags::record_push(tx, repo.id)
    })?;
    Ok(repo)
}

/// The Index dialect's create-and-push (`PUT /v1/repositories/{ns}/{name}` with an image
/// list): merge into an existing repository (read-write), or create it, public, with these
/// images (namespace admins; `library`: site admins). A repository the caller cannot see is
/// treated as missing, so the answer is the creator's 403, never a hint that it exists.
pub fn create_or_merge(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    images: &[Image],
) -> Result<(Repository, bool)> {
    validate_images(images)?;
    let merge = |conn: &mut Connection| -> Result<(Repository, bool)> {
        let (repo, level) = repos::readable(conn, caller, ns, name)?;
        if !level.can_write() {
            return Err(Error::not_authorized());
        }
        store::write(conn, |tx| store::tags::merge_images(tx, repo.id, images))?;
        Ok((repo, false))
    };
    match merge(conn) {
        Err(e) if e.is(Code::NoSuchRepository) => {
            let new = repos::NewRepo {
                name: name.to_owned(),
                is_public: true,
                ..Default::default()
            };
            match repos::create_with(conn, caller, ns, &new, |tx, repo| {
                store::tags::merge_images(tx, repo.id, images)
            }) {
                Ok(repo) => Ok((repo, true)),
                // A concurrent push created it between the look and the create: merge.
                Err(e) if e.is(Code::RepositoryExists) => merge(conn),
                Err(e) => Err(e),
            }
        }
        other => other,
    }
}
