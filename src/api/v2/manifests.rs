//! `GET|HEAD|PUT|DELETE /v2/{name}/manifests/{reference}`: manifests by tag or digest, byte
//! for byte as pushed, read through the read cache. A `GET` counts a pull (batched,
//! `store::pulls`); a `PUT` stores the manifest, its tag and a push in one transaction
//! (`core::registry::put_manifest`).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::{self, BytesMut, Payload};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;

use super::access::{self, Asker};
use super::DIGEST_HEADER;
use crate::core::manifest::MAX_BYTES;
use crate::core::registry::{self, Action, Name, Reference};
use crate::error::{Code, Error, Result};
use crate::store::cache_key::{Key, View};
use crate::store::pulls::Pull;
use crate::AppState;

#[derive(Deserialize)]
pub struct ManifestPath {
    name: String,
    reference: String,
}

pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    asker: Asker,
    path: web::Path<ManifestPath>,
) -> Result<HttpResponse> {
    serve(state, req, asker, path.into_inner(), false).await
}

pub async fn head(
    state: web::Data<AppState>,
    req: HttpRequest,
    asker: Asker,
    path: web::Path<ManifestPath>,
) -> Result<HttpResponse> {
    serve(state, req, asker, path.into_inner(), true).await
}

/// The reference of a request about a manifest that must exist (`GET`, `HEAD`, `DELETE`): a
/// name no tag can have names no manifest, so it is the spec's 404 `MANIFEST_UNKNOWN` (its
/// conformance suite asks for `.INVALID_MANIFEST_NAME`); only a `PUT` refuses it as
/// `TAG_INVALID`. A malformed digest stays a 400 `DIGEST_INVALID`.
fn existing(reference: &str) -> Result<Reference> {
    Reference::parse(reference).map_err(|e| {
        if e.is(Code::InvalidTag) {
            registry::manifest_unknown()
        } else {
            e
        }
    })
}

async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: ManifestPath,
    head: bool,
) -> Result<HttpResponse> {
    let name = Name::parse(&path.name)?;
    // A pull is the registry's hottest request: the decision and the manifest are read in one
    // trip to the store, and kept in the read cache, keyed by what the decision depends on
    // (the caller as the visibility filter sees them, the repository, the reference) and
    // expired by any write to the repository's namespace (tags and manifests included,
    // migration 9) or to permissions. A token's grants are checked first, on every request:
    // a token that does not grant the pull never reaches the cache.
    let granted = who.grants(&name, Action::Pull);
    let reference = path.reference;
    let read = {
        let (name, reference, who) = (name.clone(), reference.clone(), who.clone());
        move |c: &mut rusqlite::Connection| {
            registry::pull_manifest(c, &who, &name, || existing(&reference))
        }
    };
    let pulled = if granted {
        let key = Key::repository(View::Manifest, &name.namespace, &name.name, who.caller())
            .arg(reference.as_str());
        state.store.cached(key, read).await
    } else {
        state.store.run(read).await.map(Arc::new)
    }
    .map_err(|e| access::challenge_if_unauthenticated(&state, &req, e, &name, Action::Pull))?;
    let manifest = &pulled.manifest;
    if !head {
        let tag = Reference::parse(&reference)
            .ok()
            .and_then(|r| r.tag().map(str::to_owned));
        count_pull(&state, pulled.repository_id, tag).await?;
    }
    let mut res = HttpResponse::Ok();
    res.content_type(manifest.media_type.as_str())
        .insert_header((DIGEST_HEADER, manifest.digest.as_str()))
        .insert_header((header::ETAG, format!("\"{}\"", manifest.digest)));
    if head {
        return Ok(res.body(super::head_body(manifest.size.max(0) as u64)));
    }
    Ok(res.body(web::Bytes::copy_from_slice(&manifest.content)))
}

/// Count a pull of repository `id` (and of its `tag`, when pulled by tag): in memory, where
/// pulls are batched (the server's default), else written now.
async fn count_pull(state: &AppState, id: i64, tag: Option<String>) -> Result<()> {
    let pulls = state.store.pulls();
    let gathered = pulls.gather(Pull::Repository(id))
        && tag
            .as_deref()
            .is_none_or(|t| pulls.gather(Pull::Tag(id, t)));
    if gathered {
        return Ok(());
    }
    state
        .store
        .run(move |c| {
            pulls.count(c, Pull::Repository(id))?;
            if let Some(tag) = &tag {
                pulls.count(c, Pull::Tag(id, tag))?;
            }
            Ok(())
        })
        .await
}

/// The body of a manifest push, refused with 413 past [`MAX_BYTES`] (the app's 1 MiB limit
/// is for JSON bodies; this route reads its own).
async fn read_manifest(req: &HttpRequest, mut body: Payload) -> Result<Vec<u8>> {
    let too_large = || Error::new(Code::ManifestTooLarge, "manifests are at most 4 MiB");
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(too_large());
    }
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| {
            Error::new(
                Code::ManifestInvalid,
                "the request body ended before it was complete",
            )
        })?;
        if bytes.len() + chunk.len() > MAX_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.to_vec())
}

pub async fn put(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<ManifestPath>,
    body: Payload,
) -> Result<HttpResponse> {
    let name = Name::parse(&path.name)?;
    let reference = Reference::parse(&path.reference)?;
    let repo = access::authorize(&state, &req, &who, &name, Action::Push, true).await?;
    let bytes = read_manifest(&req, body).await?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let blobs = state.blobs.clone();
    let pushed = state
        .store
        .run(move |c| {
            registry::put_manifest(
                c,
                &*blobs,
                &repo,
                &reference,
                content_type.as_deref(),
                &bytes,
            )
        })
        .await?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/v2/{}/manifests/{}", path.name, pushed.digest),
    ))
    .insert_header((DIGEST_HEADER, pushed.digest.to_string()));
    if let Some(subject) = &pushed.subject {
        res.insert_header(("oci-subject", subject.as_str()));
    }
    Ok(res.finish())
}

pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<ManifestPath>,
) -> Result<HttpResponse> {
    let name = Name::parse(&path.name)?;
    let repo = access::authorize(&state, &req, &who, &name, Action::Delete, false).await?;
    let reference = existing(&path.reference)?;
    state
        .store
        .run(move |c| registry::delete_manifest(c, &repo, &reference))
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
