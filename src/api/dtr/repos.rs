//! `/api/v0/repositories/{namespace}...`: `docs/dtr.md`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::dto::RepositoryDto;
use crate::auth::extract::User;
use crate::core::names;
use crate::core::repos::{self, NewRepo, Patch};
use crate::error::Result;
use crate::store::cache_key::{Key, View};
use crate::AppState;

/// `GET /api/v0/repositories/{namespace}`: every repository of the namespace the caller
/// may read (DTR 1.3 does not page this list), by name.
pub async fn list(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let ns = path.into_inner();
    let caller = user.caller();
    let key = Key::namespace(View::DtrRepositories, &ns, Some(&caller));
    crate::api::cached_json(&state, key, move |c| {
        // SQLite reads a negative LIMIT as "no limit".
        let (list, _) = repos::list_in_namespace(c, Some(&caller), &ns, -1, 0)?;
        let list: Vec<RepositoryDto> = list.iter().map(RepositoryDto::from).collect();
        Ok(json!({"repositories": list}))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRepository {
    name: String,
    #[serde(default)]
    short_description: String,
    #[serde(default)]
    long_description: String,
    visibility: Option<String>,
}

/// `POST /api/v0/repositories/{namespace}`: namespace admins (`library`: site admins);
/// visibility defaults to private; 201 with the repository.
pub async fn create(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<String>,
    body: crate::api::JsonObject<NewRepository>,
) -> Result<HttpResponse> {
    let ns = path.into_inner();
    let caller = user.caller();
    let NewRepository {
        name,
        short_description,
        long_description,
        visibility,
    } = body.into_inner();
    let is_public = match visibility.as_deref() {
        Some(v) => names::parse_visibility(v)?,
        None => false,
    };
    let new = NewRepo {
        name,
        short_description,
        long_description,
        is_public,
    };
    let repo = state
        .store
        .run(move |c| repos::create(c, Some(&caller), &ns, &new))
        .await?;
    Ok(HttpResponse::Created().json(RepositoryDto::from(&repo)))
}

/// `GET /api/v0/repositories/{namespace}/{reponame}`: 404 also when the caller may not read it.
pub async fn get(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let caller = user.caller();
    let (repo, _) = state
        .store
        .run(move |c| repos::readable(c, Some(&caller), &ns, &name))
        .await?;
    Ok(HttpResponse::Ok().json(RepositoryDto::from(&repo)))
}

/// The PATCH body: every field optional; `name` is accepted and ignored (no renames).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryUpdate {
    short_description: Option<String>,
    long_description: Option<String>,
    visibility: Option<String>,
}

/// `PATCH /api/v0/repositories/{namespace}/{reponame}`: repository admins; 200.
pub async fn update(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<(String, String)>,
    body: crate::api::JsonObject<RepositoryUpdate>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let caller = user.caller();
    let RepositoryUpdate {
        short_description,
        long_description,
        visibility,
    } = body.into_inner();
    let is_public = visibility
        .as_deref()
        .map(names::parse_visibility)
        .transpose()?;
    let patch = Patch {
        short_description,
        long_description,
        is_public,
    };
    let repo = state
        .store
        .run(move |c| repos::update(c, Some(&caller), &ns, &name, &patch))
        .await?;
    Ok(HttpResponse::Ok().json(RepositoryDto::from(&repo)))
}

/// `DELETE /api/v0/repositories/{namespace}/{reponame}`: repository admins; 204. Deleting
/// a repository that is not there also answers 204 (DTR deletes are idempotent), and so,
/// to stay indistinguishable from that, does a delete by someone who may not read a
/// private repository, which is left untouched.
pub async fn delete(
    state: web::Data<AppState>,
    user: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let caller = user.caller();
    match state
        .store
        .run(move |c| repos::delete(c, Some(&caller), &ns, &name))
        .await
    {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(e) if e.is("NO_SUCH_REPOSITORY") => Ok(HttpResponse::NoContent().finish()),
        Err(e) => Err(e),
    }
}
