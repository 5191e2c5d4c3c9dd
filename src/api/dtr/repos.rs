//! `/api/v0/repositories/{namespace}...`: `docs/dtr.md`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::dto::{self, RepositoryDto};
use crate::api::body::JsonBody;
use crate::auth::extract::User;
use crate::core::names;
use crate::core::repos::{self, NewRepo, Patch};
use crate::core::retention;
use crate::error::Result;
use crate::store::cache_key::{Key, View};
use crate::AppState;

/// `GET /api/v0/repositories/{namespace}`: every repository of the namespace the caller
/// may read (DTR 1.3 does not page this list), by name.
pub async fn list(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let ns = path.into_inner();
    let key = Key::namespace(View::DtrRepositories, &ns, Some(&caller));
    crate::api::cached_json(&state, key, move |c| {
        // SQLite reads a negative LIMIT as "no limit".
        let (list, _) = repos::list_in_namespace(c, Some(&caller), &ns, -1, 0)?;
        Ok(dto::repository_list(list))
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
    User { caller, .. }: User,
    path: web::Path<String>,
    body: JsonBody<NewRepository>,
) -> Result<HttpResponse> {
    let ns = path.into_inner();
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
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let (repo, retention) = state
        .store
        .run(move |c| {
            let (repo, _) = repos::readable(c, Some(&caller), &ns, &name)?;
            let retention = retention::of(c, &repo)?;
            Ok((repo, retention))
        })
        .await?;
    Ok(HttpResponse::Ok().json(RepositoryWithRetention::new(&repo, retention)))
}

/// The PATCH body: every field optional; `name` is accepted and ignored (no renames).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryUpdate {
    short_description: Option<String>,
    long_description: Option<String>,
    visibility: Option<String>,
    /// Registry retention (a Berth addition): absent unchanged, `null` off, or a number.
    #[serde(default, deserialize_with = "crate::api::body::present")]
    retain_tags: Option<Option<u32>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    retain_days: Option<Option<u32>>,
}

/// A repository answered alone: the seed's fields, then `retainTags` and `retainDays` when
/// its retention sets them.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RepositoryWithRetention {
    #[serde(flatten)]
    repo: RepositoryDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    retain_tags: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retain_days: Option<u32>,
}

impl RepositoryWithRetention {
    fn new(repo: &crate::core::model::Repository, retention: retention::Retention) -> Self {
        RepositoryWithRetention {
            repo: RepositoryDto::from(repo),
            retain_tags: retention.tags,
            retain_days: retention.days,
        }
    }
}

/// `PATCH /api/v0/repositories/{namespace}/{reponame}`: repository admins; 200.
pub async fn update(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
    body: JsonBody<RepositoryUpdate>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let RepositoryUpdate {
        short_description,
        long_description,
        visibility,
        retain_tags,
        retain_days,
    } = body.into_inner();
    let change = retention::Change {
        tags: retain_tags,
        days: retain_days,
    };
    change.validate()?;
    let is_public = visibility
        .as_deref()
        .map(names::parse_visibility)
        .transpose()?;
    let patch = Patch {
        short_description,
        long_description,
        is_public,
    };
    let (repo, retention) = state
        .store
        .run(move |c| {
            let repo = repos::update(c, Some(&caller), &ns, &name, &patch)?;
            let retention = if change.is_empty() {
                retention::of(c, &repo)?
            } else {
                retention::set(c, Some(&caller), &ns, &name, &change)?
            };
            Ok((repo, retention))
        })
        .await?;
    Ok(HttpResponse::Ok().json(RepositoryWithRetention::new(&repo, retention)))
}

/// `DELETE /api/v0/repositories/{namespace}/{reponame}`: repository admins; 204. A
/// repository that is not there, in a namespace that is or is not, and one the caller may
/// not read, answer the same 404 `NO_SUCH_REPOSITORY` (`docs/dtr.md`): a script learns that
/// nothing was deleted. A reader that is not an admin gets 403.
pub async fn delete(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    state
        .store
        .run(move |c| repos::delete(c, Some(&caller), &ns, &name))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
