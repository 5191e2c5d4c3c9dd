//! Registry-role tag routes: `GET .../tags` (with an access token; see `api::v1` for the
//! dispatch) and `GET|PUT|DELETE .../tags/{tag}`.

use actix_web::http::StatusCode;
use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};

use super::dto::ImageId;
use super::{empty, path};
use crate::api::body::JsonBody;
use crate::auth::extract::MaybeUser;
use crate::core::tags;
use crate::core::tokens::Access;
use crate::error::Result;
use crate::AppState;

/// `{"tag": "imageid", ...}`, by tag name.
pub async fn list(
    state: web::Data<AppState>,
    who: MaybeUser,
    ns: String,
    name: String,
) -> Result<HttpResponse> {
    let caller = who.caller_on(&path(&ns, &name), Access::Read);
    let (_, found) = state
        .store
        .run(move |c| tags::list(c, caller.as_ref(), &ns, &name))
        .await?;
    let body: BTreeMap<String, String> = found.into_iter().map(|t| (t.name, t.image_id)).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// The image id of a tag, as a JSON string.
pub async fn get(
    state: web::Data<AppState>,
    who: MaybeUser,
    p: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (ns, name, tag) = p.into_inner();
    let full = path(&ns, &name);
    let caller = who.caller_on(&full, Access::Read);
    // With this repository's token (a user's or an anonymous one), the client is pulling the
    // tag: count it.
    let pulling = who.token_on(&full, Access::Read);
    let pulls = state.store.pulls();
    let (_, found) = state
        .store
        .run(move |c| {
            if pulling {
                tags::pull_tag(c, &pulls, caller.as_ref(), &ns, &name, &tag)
            } else {
                tags::get(c, caller.as_ref(), &ns, &name, &tag)
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(found.image_id))
}

/// Point a tag at an image of the repository; the body is the image id as a JSON string.
pub async fn put(
    state: web::Data<AppState>,
    who: MaybeUser,
    p: web::Path<(String, String, String)>,
    body: JsonBody<ImageId>,
) -> Result<HttpResponse> {
    let (ns, name, tag) = p.into_inner();
    let caller = who.caller_on(&path(&ns, &name), Access::Write);
    let ImageId(image) = body.into_inner();
    state
        .store
        .run(move |c| tags::set(c, caller.as_ref(), &ns, &name, &tag, &image))
        .await?;
    Ok(empty(StatusCode::OK))
}

/// Remove a tag (a write, as for a push).
pub async fn delete(
    state: web::Data<AppState>,
    who: MaybeUser,
    p: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (ns, name, tag) = p.into_inner();
    let caller = who.caller_on(&path(&ns, &name), Access::Write);
    state
        .store
        .run(move |c| tags::delete(c, caller.as_ref(), &ns, &name, &tag))
        .await?;
    Ok(empty(StatusCode::OK))
}
