//! `PUT|DELETE /v1/repositories/{ns}/{name}/star`: idempotent; a user stars a repository once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::empty;
use crate::auth::extract::MaybeUser;
use crate::core::stars;
use crate::error::Result;
use crate::AppState;

/// 200 `""` whether the star is new or was there already (the count moves once).
pub async fn star(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = p.into_inner();
    state
        .store
        .run(move |c| stars::star(c, caller.as_ref(), &ns, &name))
        .await?;
    Ok(empty(StatusCode::OK))
}

/// 204 whether there was a star or not.
pub async fn unstar(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = p.into_inner();
    state
        .store
        .run(move |c| stars::unstar(c, caller.as_ref(), &ns, &name))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
