//! Blob uploads: `POST /v2/{name}/blobs/uploads/` (a session, a monolithic upload with
//! `?digest=`, or a cross-repository mount), and on a session `PATCH` (streamed, or a chunk
//! with `Content-Range`), `PUT ?digest=` (optionally with the last chunk), `GET` (where it
//! stands) and `DELETE` (cancel).
//!
//! Bytes are streamed into the blob store's upload in batches while their sha256 runs
//! (`blobs::uploads`); a chunk is acknowledged (its `Range` answered) only once it is durable
//! and the session's row says so. A blob is committed under its digest only after the bytes
//! were checked against it, made durable and renamed into place, and its row committed: only
//! then the 201. A body that fails half-way leaves the session as it was before the request.

use actix_web::http::header;
use actix_web::web::{self, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::access::{self, Asker};
use super::quota::quota_limit;
use super::DIGEST_HEADER;
use crate::blobs::{io_error, uploads, Digest};
use crate::core::model::Repository;
use crate::core::registry::{self, Action, Name, Who};
use crate::error::{Code, Error, Result};
use crate::store;
use crate::AppState;

#[derive(Deserialize)]
pub struct NamePath {
    name: String,
}

#[derive(Deserialize)]
pub struct SessionPath {
    name: String,
    id: String,
}

#[derive(Deserialize)]
pub struct StartQuery {
    digest: Option<String>,
    mount: Option<String>,
    from: Option<String>,
}

#[derive(Deserialize)]
pub struct DigestQuery {
    digest: Option<String>,
}

const UPLOAD_UUID: &str = "docker-upload-uuid";

fn session_url(name: &str, id: &str) -> String {
    format!("/v2/{name}/blobs/uploads/{id}")
}

/// `Range` of a session holding `size` bytes: `0-<last byte>` (`0-0` when empty, as
/// distribution writes it).
fn range_value(size: u64) -> String {
    format!("0-{}", size.saturating_sub(1))
}

/// An answer about session `id` of `name` that holds `size` bytes.
fn session_answer(
    mut res: actix_web::HttpResponseBuilder,
    name: &str,
    id: &str,
    size: u64,
) -> HttpResponse {
    res.insert_header((header::LOCATION, session_url(name, id)))
        .insert_header((UPLOAD_UUID, id.to_owned()))
        .insert_header((header::RANGE, range_value(size)))
        .insert_header((header::CONTENT_LENGTH, 0))
        .finish()
}

/// 201 for the blob `digest` of `name`.
fn created(name: &str, digest: &Digest) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v2/{name}/blobs/{digest}")))
        .insert_header((DIGEST_HEADER, digest.to_string()))
        .insert_header((header::CONTENT_LENGTH, 0))
        .finish()
}

fn digest_param(digest: Option<&str>) -> Result<Digest> {
    let text = digest.ok_or_else(|| {
        Error::new(
            Code::DigestInvalid,
            "the digest query parameter is required",
        )
    })?;
    Digest::parse(text)
}

pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<NamePath>,
    query: web::Query<StartQuery>,
    body: Payload,
) -> Result<HttpResponse> {
    let name = Name::parse(&path.name)?;
    let digest = query.digest.as_deref().map(Digest::parse).transpose()?;
    let mount = query.mount.as_deref().map(Digest::parse).transpose()?;
    let repo = access::authorize(&state, &req, &who, &name, Action::Push, true).await?;
    if let (Some(mount), Some(from)) = (mount, query.from.clone()) {
        if mounted(&state, &who, from, &mount, &repo).await? {
            return Ok(created(&path.name, &mount));
        }
    }
    if let Some(digest) = digest {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        monolithic(&state, &repo, &digest, declared, body).await?;
        return Ok(created(&path.name, &digest));
    }
    let id = registry::new_upload_id();
    let (blobs, session) = (state.blobs.clone(), id.clone());
    let repo_id = repo.id;
    state
        .store
        .run(move |c| {
            blobs
                .create_upload(&session)
                .map_err(|e| io_error("starting an upload", e))?;
            store::registry::insert_upload(c, &session, repo_id)
        })
        .await?;
    Ok(session_answer(HttpResponse::Accepted(), &path.name, &id, 0))
}

async fn mounted(
    state: &AppState,
    who: &Who,
    from: String,
    digest: &Digest,
    into: &Repository,
) -> Result<bool> {
    let (who, digest, into) = (who.clone(), digest.clone(), into.clone());
    state
        .store
        .run(move |c| registry::mount(c, &who, &from, &digest, &into))
        .await
}

/// `POST ?digest=` with the whole blob as the body: no session row; a crash leaves only an
/// upload file without one, which the next start removes.
async fn monolithic(
    state: &AppState,
    repo: &Repository,
    digest: &Digest,
    declared: Option<u64>,
    body: Payload,
) -> Result<()> {
    let limit = quota_limit(state, repo, Some(digest), 0, declared).await?;
    let id = registry::new_upload_id();
    let blobs = state.blobs.clone();
    {
        let (blobs, id) = (blobs.clone(), id.clone());
        web::block(move || blobs.create_upload(&id))
            .await?
            .map_err(|e| io_error("starting an upload", e))?;
    }
    let mut running = uploads::Running::default();
    let result = async {
        let len = uploads::receive(&blobs, &id, 0, &mut running, limit.wrap(body)).await?;
        limit.check(state, repo, 0).await?;
        let actual = uploads::digest(&blobs, &id, len, &mut running, digest.algorithm()).await?;
        if &actual != digest {
            return Err(digest_mismatch());
        }
        commit(state, repo, None, &id, digest, len).await
    }
    .await;
    if result.is_err() {
        remove_upload(state, &id).await;
    }
    result
}

fn digest_mismatch() -> Error {
    Error::new(
        Code::DigestInvalid,
        "the uploaded content does not match its digest; nothing was stored",
    )
}

/// The checked upload becomes the blob `digest` of `repo`: durable and in place first, then
/// its row (and the end of the session) in one transaction.
async fn commit(
    state: &AppState,
    repo: &Repository,
    session: Option<&str>,
    id: &str,
    digest: &Digest,
    len: u64,
) -> Result<()> {
    super::quota::before_commit(state, repo, digest, len).await?;
    let (blobs, upload, d) = (state.blobs.clone(), id.to_owned(), digest.clone());
    web::block(move || blobs.commit_upload(&upload, &d))
        .await?
        .map_err(|e| io_error("committing a blob", e))?;
    let (repo, session, digest) = (repo.clone(), session.map(str::to_owned), digest.clone());
    let blobs = state.blobs.clone();
    state
        .store
        .run(move |c| registry::add_blob(c, &*blobs, &repo, session.as_deref(), &digest, len))
        .await
}

async fn remove_upload(state: &AppState, id: &str) {
    let (blobs, id) = (state.blobs.clone(), id.to_owned());
    match web::block(move || blobs.remove_upload(&id)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::warn!("removing an upload: {e}"),
        Err(e) => log::warn!("removing an upload: {e}"),
    }
}

/// Cut a session's upload back to what was acknowledged, after a request that failed.
async fn roll_back(state: &AppState, id: &str, size: u64) {
    let (blobs, upload) = (state.blobs.clone(), id.to_owned());
    match web::block(move || blobs.truncate_upload(&upload, size)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::warn!("cutting back upload {id}: {e}"),
        Err(e) => log::warn!("cutting back upload {id}: {e}"),
    }
}

/// `Content-Range: <first>-<last>` of a chunk (`bytes ` and `/<total>` tolerated).
fn content_range(req: &HttpRequest) -> Result<Option<(u64, u64)>> {
    let Some(value) = req.headers().get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let bad = || {
        Error::new(
            Code::BlobUploadInvalid,
            "Content-Range must be <first byte>-<last byte>",
        )
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    let text = text
        .strip_prefix("bytes")
        .map(|t| t.trim_start_matches([' ', '=']))
        .unwrap_or(text);
    let text = text.split('/').next().unwrap_or("");
    let (first, last) = text.split_once('-').ok_or_else(bad)?;
    let first: u64 = first.trim().parse().map_err(|_| bad())?;
    let last: u64 = last.trim().parse().map_err(|_| bad())?;
    if last < first {
        return Err(bad());
    }
    Ok(Some((first, last)))
}

/// The session and its lock, for a request that writes to it.
struct Held {
    repo: Repository,
    id: String,
    size: u64,
}

async fn open_session(
    state: &AppState,
    req: &HttpRequest,
    who: &Who,
    path: &SessionPath,
) -> Result<(Held, uploads::Session)> {
    let name = Name::parse(&path.name)?;
    let id = registry::parse_upload_id(&path.id)?;
    let repo = access::authorize(state, req, who, &name, Action::Push, false).await?;
    Ok((
        Held {
            repo,
            id: id.clone(),
            size: 0,
        },
        state.uploads.session(&id),
    ))
}

/// The session's row, read once its lock is held (so the size is current).
async fn current(state: &AppState, held: &mut Held) -> Result<()> {
    let (repo, id) = (held.repo.clone(), held.id.clone());
    let upload = state
        .store
        .run(move |c| registry::upload(c, &repo, &id))
        .await?;
    held.size = upload.size.max(0) as u64;
    Ok(())
}

/// Append the body to the session (checking a `Content-Range` against where it stands);
/// returns the new length, written but not yet acknowledged. On failure the upload is as it
/// was.
async fn append(
    state: &AppState,
    req: &HttpRequest,
    path: &SessionPath,
    held: &Held,
    digest: Option<&Digest>,
    running: &mut uploads::Running,
    body: Payload,
) -> Result<u64> {
    let range = content_range(req)?;
    if let Some((first, _)) = range {
        if first != held.size {
            return Err(Error::new(
                Code::UploadOutOfOrder,
                "the chunk does not start where the upload stands",
            )
            .with_header("location", session_url(&path.name, &held.id))
            .with_header("range", range_value(held.size))
            .with_header(UPLOAD_UUID, held.id.clone()));
        }
    }
    let limit = quota_limit(state, &held.repo, digest, held.size, None).await?;
    let received =
        uploads::receive(&state.blobs, &held.id, held.size, running, limit.wrap(body)).await;
    let received = match received {
        Ok(n) => limit.check(state, &held.repo, held.size).await.map(|()| n),
        Err(e) => Err(e),
    };
    let received = match (received, range) {
        (Ok(n), Some((first, last))) if n != last - first + 1 => Err(Error::new(
            Code::BlobUploadInvalid,
            "the chunk's length differs from its Content-Range",
        )),
        (result, _) => result,
    };
    match received {
        Ok(n) => Ok(held.size + n),
        Err(e) => {
            roll_back(state, &held.id, held.size).await;
            Err(e)
        }
    }
}

pub async fn patch(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<SessionPath>,
    body: Payload,
) -> Result<HttpResponse> {
    let (mut held, session) = open_session(&state, &req, &who, &path).await?;
    let mut running = session.lock().await;
    current(&state, &mut held).await?;
    let end = append(&state, &req, &path, &held, None, &mut running, body).await?;
    let (blobs, id) = (state.blobs.clone(), held.id.clone());
    let acknowledged = state
        .store
        .run(move |c| {
            blobs
                .sync_upload(&id)
                .map_err(|e| io_error("writing an upload", e))?;
            store::registry::set_upload_size(c, &id, end as i64)
        })
        .await;
    if let Err(e) = acknowledged {
        roll_back(&state, &held.id, held.size).await;
        return Err(e);
    }
    Ok(session_answer(
        HttpResponse::Accepted(),
        &path.name,
        &held.id,
        end,
    ))
}

pub async fn finish(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<SessionPath>,
    query: web::Query<DigestQuery>,
    body: Payload,
) -> Result<HttpResponse> {
    let (mut held, session) = open_session(&state, &req, &who, &path).await?;
    let digest = digest_param(query.digest.as_deref())?;
    let mut running = session.lock().await;
    current(&state, &mut held).await?;
    let len = append(
        &state,
        &req,
        &path,
        &held,
        Some(&digest),
        &mut running,
        body,
    )
    .await?;
    let actual = uploads::digest(
        &state.blobs,
        &held.id,
        len,
        &mut running,
        digest.algorithm(),
    )
    .await;
    let result = match actual {
        Ok(actual) if actual == digest => {
            commit(&state, &held.repo, Some(&held.id), &held.id, &digest, len).await
        }
        Ok(_) => Err(digest_mismatch()),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        // Content that is not what it claims to be ends the session (distribution does the
        // same); a failure of the server leaves it where it was.
        if e.is(Code::DigestInvalid) {
            end_session(&state, &held).await?;
        } else {
            roll_back(&state, &held.id, held.size).await;
        }
        return Err(e);
    }
    state.uploads.forget(&held.id);
    Ok(created(&path.name, &digest))
}

async fn end_session(state: &AppState, held: &Held) -> Result<()> {
    let (blobs, id) = (state.blobs.clone(), held.id.clone());
    state
        .store
        .run(move |c| {
            store::registry::delete_upload(c, &id)?;
            blobs
                .remove_upload(&id)
                .map_err(|e| io_error("removing an upload", e))
        })
        .await?;
    state.uploads.forget(&held.id);
    Ok(())
}

pub async fn status(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<SessionPath>,
) -> Result<HttpResponse> {
    let (mut held, _) = open_session(&state, &req, &who, &path).await?;
    current(&state, &mut held).await?;
    Ok(session_answer(
        HttpResponse::NoContent(),
        &path.name,
        &held.id,
        held.size,
    ))
}

pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<SessionPath>,
) -> Result<HttpResponse> {
    let (mut held, session) = open_session(&state, &req, &who, &path).await?;
    let _running = session.lock().await;
    current(&state, &mut held).await?;
    end_session(&state, &held).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CONTENT_LENGTH, 0))
        .finish())
}
