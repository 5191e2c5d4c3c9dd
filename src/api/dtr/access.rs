//! Access grants: `.../userAccess` on user-owned repositories, `.../teamAccess` on
//! organization-owned ones, and `/api/v0/repositoryNamespaces/{org}/teamAccess`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::dto;
use crate::api::body::JsonBody;
use crate::auth::extract::User;
use crate::core::{grants, names};
use crate::error::Result;
use crate::AppState;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLevel {
    access_level: String,
}

/// `GET /api/v0/repositories/{ns}/{repo}/userAccess`: repository admins.
pub async fn user_list(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let (repo, list) = state
        .store
        .run(move |c| grants::user_access(c, Some(&caller), &ns, &name))
        .await?;
    Ok(HttpResponse::Ok().json(dto::user_access_list(&repo, &list)))
}

/// `PUT /api/v0/repositories/{ns}/{repo}/userAccess/{user}` `{"accessLevel"}`: 200.
pub async fn user_put(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String, String)>,
    body: JsonBody<AccessLevel>,
) -> Result<HttpResponse> {
    let (ns, name, grantee) = path.into_inner();
    let level = names::parse_access_level(&body.access_level)?;
    let (repo, grantee) = state
        .store
        .run(move |c| grants::grant_user(c, Some(&caller), &ns, &name, &grantee, level))
        .await?;
    Ok(HttpResponse::Ok().json(dto::user_access(level, &repo, &grantee)))
}

/// `DELETE /api/v0/repositories/{ns}/{repo}/userAccess/{user}`: 204, also when absent.
pub async fn user_delete(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (ns, name, grantee) = path.into_inner();
    state
        .store
        .run(move |c| grants::revoke_user(c, Some(&caller), &ns, &name, &grantee))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v0/repositories/{ns}/{repo}/teamAccess`: repository admins.
pub async fn team_list(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let (repo, list) = state
        .store
        .run(move |c| grants::team_access(c, Some(&caller), &ns, &name))
        .await?;
    Ok(HttpResponse::Ok().json(dto::team_access_list(&repo, &list)))
}

/// `PUT /api/v0/repositories/{ns}/{repo}/teamAccess/{team}` `{"accessLevel"}`: 200.
pub async fn team_put(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String, String)>,
    body: JsonBody<AccessLevel>,
) -> Result<HttpResponse> {
    let (ns, name, team) = path.into_inner();
    let level = names::parse_access_level(&body.access_level)?;
    let (repo, team) = state
        .store
        .run(move |c| grants::grant_team(c, Some(&caller), &ns, &name, &team, level))
        .await?;
    Ok(HttpResponse::Ok().json(dto::team_access(level, &repo, &team)))
}

/// `DELETE /api/v0/repositories/{ns}/{repo}/teamAccess/{team}`: 204, also when absent.
pub async fn team_delete(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (ns, name, team) = path.into_inner();
    state
        .store
        .run(move |c| grants::revoke_team(c, Some(&caller), &ns, &name, &team))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v0/repositoryNamespaces/{org}/teamAccess`: the namespace's admins.
pub async fn namespace_list(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let org = path.into_inner();
    let (org, list) = state
        .store
        .run(move |c| grants::namespace_access(c, Some(&caller), &org))
        .await?;
    Ok(HttpResponse::Ok().json(dto::namespace_access_list(&org, &list)))
}

/// `GET /api/v0/repositoryNamespaces/{org}/teamAccess/{team}`.
pub async fn namespace_get(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let (org, team, level) = state
        .store
        .run(move |c| grants::namespace_grant(c, Some(&caller), &org, &team))
        .await?;
    Ok(HttpResponse::Ok().json(dto::namespace_access(level, &org, &team)))
}

/// `PUT /api/v0/repositoryNamespaces/{org}/teamAccess/{team}` `{"accessLevel"}`: 200.
pub async fn namespace_put(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
    body: JsonBody<AccessLevel>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let level = names::parse_access_level(&body.access_level)?;
    let (org, team) = state
        .store
        .run(move |c| grants::grant_namespace(c, Some(&caller), &org, &team, level))
        .await?;
    Ok(HttpResponse::Ok().json(dto::namespace_access(level, &org, &team)))
}

/// `DELETE /api/v0/repositoryNamespaces/{org}/teamAccess/{team}`: 204, also when absent.
pub async fn namespace_delete(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    state
        .store
        .run(move |c| grants::revoke_namespace(c, Some(&caller), &org, &team))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
