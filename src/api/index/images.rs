//! `GET|PUT /v1/repositories/{ns}/{name}/images` (and the library forms).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::dto::{ImageDto, ImageList};
use super::path;
use super::token;
use crate::api::body::JsonBody;
use crate::auth::extract::MaybeUser;
use crate::core::names::LIBRARY;
use crate::core::tags;
use crate::core::tokens::Access;
use crate::error::Result;
use crate::AppState;

pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = p.into_inner();
    list(state, req, who, ns, name).await
}

pub async fn get_library(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    list(state, req, who, LIBRARY.to_owned(), name.into_inner()).await
}

pub async fn put(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    p: web::Path<(String, String)>,
    body: JsonBody<ImageList>,
) -> Result<HttpResponse> {
    let (ns, name) = p.into_inner();
    merge(state, req, who, ns, name, body.into_inner()).await
}

pub async fn put_library(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    name: web::Path<String>,
    body: JsonBody<ImageList>,
) -> Result<HttpResponse> {
    merge(
        state,
        req,
        who,
        LIBRARY.to_owned(),
        name.into_inner(),
        body.into_inner(),
    )
    .await
}

/// The image list. A client starting a pull (it asks for a token, or comes with one) counts
/// as a pull.
async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    ns: String,
    name: String,
) -> Result<HttpResponse> {
    let full = path(&ns, &name);
    let caller = who.caller_on(&full, Access::Read);
    // A token for another repository counts as anonymous (caller_on), not as a pull here.
    let is_pull = token::wanted(&req) || who.token_on(&full, Access::Read);
    let pulls = state.store.pulls();
    let (_, images) = state
        .store
        .run(move |c| tags::pull(c, &pulls, caller.as_ref(), &ns, &name, is_pull))
        .await?;
    let body: Vec<ImageDto> = images.iter().map(ImageDto::from).collect();
    let mut res = token::answer(&state, &req, &who, &full, Access::Read, StatusCode::OK).await?;
    Ok(res.json(body))
}

/// A finished push: merge the images, count the push, 204.
async fn merge(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeUser,
    ns: String,
    name: String,
    images: ImageList,
) -> Result<HttpResponse> {
    let full = path(&ns, &name);
    let caller = who.caller_on(&full, Access::Write);
    let images = images.into_images();
    state
        .store
        .run(move |c| tags::push_images(c, caller.as_ref(), &ns, &name, &images))
        .await?;
    let status = StatusCode::NO_CONTENT;
    let mut res = token::answer(&state, &req, &who, &full, Access::Write, status).await?;
    Ok(res.finish())
}
