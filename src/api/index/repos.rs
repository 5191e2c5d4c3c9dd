//! Index repositories: create-and-push, delete, and token validation at `.../auth`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::dto::ImageList;
use super::token;
use super::{empty, path};
use crate::auth::extract::MaybeUser;
use crate::core::tokens::Access;
use crate::core::{repos, tags, tokens};
use crate::error::{Code, Error, Result};
use crate::AppState;

/// `PUT /v1/repositories/{ns}/{name}` with an image list: create the repository if missing,
/// merge the images, 200 `""` (+ a write token when asked).
pub async fn create_and_push(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    ns: String,
    name: String,
    images: ImageList,
) -> Result<HttpResponse> {
    // No credentials at all: 401 with the Basic challenge, the cue for an old client to ask
    // for a login (a 403 would end its push); the same answer whatever the repository is.
    if who.caller.is_none() && !who.has_access_token() {
        return Err(Error::unauthorized("authentication required"));
    }
    let full = path(&ns, &name);
    let caller = who.caller_on(&full, Access::Write);
    let images = images.into_images();
    state
        .store
        .run(move |c| tags::create_or_merge(c, caller.as_ref(), &ns, &name, &images))
        .await?;
    let mut res = token::answer(&state, &req, &who, &full, Access::Write, StatusCode::OK).await?;
    Ok(res.json(""))
}

/// `DELETE /v1/repositories/{ns}/{name}` as the index (`X-Docker-Token: true`): delete at
/// once, 202 `""` + a delete token.
pub async fn delete_as_index(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    ns: String,
    name: String,
) -> Result<HttpResponse> {
    let full = path(&ns, &name);
    delete(&state, &who, &ns, &name).await?;
    let status = StatusCode::ACCEPTED;
    let mut res = token::answer(&state, &req, &who, &full, Access::Delete, status).await?;
    Ok(res.json(""))
}

/// `DELETE /v1/repositories/{ns}/{name}` as the registry, with a delete token: 200 `""`.
pub async fn delete_as_registry(
    state: web::Data<AppState>,
    who: MaybeUser,
    ns: String,
    name: String,
) -> Result<HttpResponse> {
    delete(&state, &who, &ns, &name).await?;
    Ok(empty(StatusCode::OK))
}

/// Delete for whoever `who` is on this repository (an access token only with delete access).
pub async fn delete(
    state: &web::Data<AppState>,
    who: &MaybeUser,
    ns: &str,
    name: &str,
) -> Result<()> {
    let caller = who.caller_on(&path(ns, name), Access::Delete);
    let (ns, name) = (ns.to_owned(), name.to_owned());
    state
        .store
        .run(move |c| repos::delete(c, caller.as_ref(), &ns, &name))
        .await
}

/// `PUT /v1/repositories/{ns}/{name}/auth` with `Authorization: Token ...`: 200 `"OK"` and the
/// token is consumed. A bad, expired or foreign token is 403; a repository the token's user
/// cannot see (or a missing one) is 404.
pub async fn authorize(
    state: web::Data<AppState>,
    req: HttpRequest,
    path_: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path_.into_inner();
    authorize_token(state, req, ns, name).await
}

/// `PUT /v1/repositories/{name}/auth` (library).
pub async fn authorize_library(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    authorize_token(
        state,
        req,
        crate::core::names::LIBRARY.to_owned(),
        name.into_inner(),
    )
    .await
}

async fn authorize_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    ns: String,
    name: String,
) -> Result<HttpResponse> {
    let full = path(&ns, &name);
    // The header is checked here rather than by the extractor, so that a bad token is the
    // 403 the Index dialect answers instead of the extractors' 401.
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    let ip = req.peer_addr().map(|a| a.ip());
    let identity = match state
        .auth
        .identify(&state.store, header.as_deref(), ip)
        .await
    {
        Ok(i) => i,
        Err(e) if e.is(Code::NotAuthenticated) => None,
        Err(e) => return Err(e),
    };
    // Who the caller is on this repository (a user's token acts as its user there; an
    // anonymous token's holder is anonymous), and the token to consume if it is this
    // repository's (`token_on` checks the binding).
    let caller = identity
        .as_ref()
        .and_then(|i| i.caller_on(&full, Access::Read));
    let token = identity
        .as_ref()
        .and_then(|i| i.token_on(&full, Access::Read).cloned());
    let consumed = state
        .store
        .run(move |c| {
            repos::readable(c, caller.as_ref(), &ns, &name)?;
            match token {
                Some(t) => tokens::consume(c, t.id),
                None => Ok(false),
            }
        })
        .await?;
    if !consumed {
        return Err(Error::new(
            Code::InvalidToken,
            "invalid, expired or foreign access token",
        ));
    }
    Ok(HttpResponse::Ok().json("OK"))
}
