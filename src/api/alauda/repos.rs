//! Alauda image repositories: create, list, detail, update, tags, delete.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::dto::{self, ListHead, TagDto};
use crate::api::body::{self, JsonBody};
use crate::auth::extract::MaybeUser;
use crate::core::policy::Caller;
use crate::core::tokens::Access;
use crate::core::{repos, stars, tags};
use crate::error::{Code, Error, Result};
use crate::store::cache_key::{Key, View};
use crate::AppState;

pub const PAGE_SIZE_DEFAULT: i64 = 20;
pub const PAGE_SIZE_MAX: i64 = 100;

#[derive(Deserialize)]
pub struct NewRepoIn {
    repo_name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    is_public: Option<bool>,
    #[serde(default)]
    full_description: Option<String>,
}

/// `POST /v1/repositories/{ns}`: 201 and the create shape; default private.
pub async fn create(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    ns: web::Path<String>,
    body: JsonBody<NewRepoIn>,
) -> Result<HttpResponse> {
    let ns = ns.into_inner();
    let body = body.into_inner();
    if body.namespace.as_deref().is_some_and(|n| n != ns) {
        return Err(Error::new(
            Code::NamespaceMismatch,
            "the body's namespace differs from the URL's",
        ));
    }
    if caller.is_none() {
        return Err(Error::unauthorized("authentication required"));
    }
    let new = repos::NewRepo {
        name: body.repo_name,
        short_description: body.description.unwrap_or_default(),
        long_description: body.full_description.unwrap_or_default(),
        is_public: body.is_public.unwrap_or(false),
    };
    let repo = state
        .store
        .run(move |c| repos::create(c, caller.as_ref(), &ns, &new))
        .await?;
    Ok(HttpResponse::Created().json(dto::created(&repo)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<String>,
    page_size: Option<String>,
}

/// `page` from 1 and `page_size` (default 20, clamped to 1..=100); non-integers and pages
/// below 1 are a 400.
fn paging(q: &ListQuery) -> Result<(i64, i64)> {
    let page = crate::api::params::page("page", q.page.as_deref())?;
    let size = crate::api::params::optional_int("page_size", q.page_size.as_deref())?
        .unwrap_or(PAGE_SIZE_DEFAULT)
        .clamp(1, PAGE_SIZE_MAX);
    Ok((page, size))
}

/// One page of a namespace's list as the read cache keeps it: everything but the paging
/// links, which hold the request's scheme and host and are added per request, so no header
/// a client chooses reaches a cache key.
struct ListPage {
    count: i64,
    /// The `results` array, serialized.
    results: web::Bytes,
}

impl crate::store::memo::Weigh for ListPage {
    fn weigh(&self) -> usize {
        size_of::<Self>() + self.results.len()
    }
}

/// `GET /v1/repositories/{ns}`: `{"count","next","previous","results"}`, the repositories of
/// the namespace the caller may read, by name.
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    MaybeUser { caller, .. }: MaybeUser,
    ns: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let (page, size) = paging(&q)?;
    let ns = ns.into_inner();
    let offset = (page - 1).saturating_mul(size);
    let key = Key::namespace(View::AlaudaRepositories, &ns, caller.as_ref())
        .arg(page)
        .arg(size);
    let origin = state.public_origin(&req);
    let base = format!("{}://{}/v1/repositories/{ns}", origin.scheme, origin.host);
    let listed = state
        .store
        .cached(key, move |c| {
            let (found, count) = repos::list_in_namespace(c, caller.as_ref(), &ns, size, offset)?;
            let results: Vec<_> = found.iter().map(dto::listed).collect();
            let results = serde_json::to_vec(&results).map_err(Error::internal)?;
            Ok(ListPage {
                count,
                results: results.into(),
            })
        })
        .await?;
    let link = |p: i64| format!("{base}?page={p}&page_size={size}");
    let next = (page.saturating_mul(size) < listed.count).then(|| link(page + 1));
    let previous = (page > 1).then(|| link(page - 1));
    // The head object with the kept `results` as its last key (the keys stay sorted).
    let head = ListHead {
        count: listed.count,
        next,
        previous,
    };
    let head = serde_json::to_vec(&head).map_err(Error::internal)?;
    let mut body = Vec::with_capacity(head.len() + listed.results.len() + 16);
    body.extend_from_slice(&head[..head.len() - 1]);
    body.extend_from_slice(b",\"results\":");
    body.extend_from_slice(&listed.results);
    body.push(b'}');
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body))
}

/// `GET /v1/repositories/{ns}/{repo}`.
pub async fn detail(
    state: web::Data<AppState>,
    who: MaybeUser,
    p: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = p.into_inner();
    let caller = who.caller_on(&format!("{ns}/{name}"), Access::Read);
    let (repo, starred) = state
        .store
        .run(move |c| {
            let (repo, _) = repos::readable(c, caller.as_ref(), &ns, &name)?;
            let starred = stars::is_starred(c, caller.as_ref(), &repo)?;
            Ok((repo, starred))
        })
        .await?;
    Ok(HttpResponse::Ok().json(dto::detail(&repo, starred)))
}

#[derive(Deserialize)]
pub struct UpdateIn {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    full_description: Option<String>,
    #[serde(default)]
    is_public: Option<bool>,
}

/// `PUT /v1/repositories/{ns}/{repo}` with a JSON object (any subset of `description`,
/// `full_description`, `is_public`): 200 and the update shape. Repository admins only. The
/// object comes parsed: `api::v1` read the body to tell this from an Index push.
pub async fn update(
    state: web::Data<AppState>,
    caller: Option<Caller>,
    ns: String,
    name: String,
    body: Map<String, Value>,
) -> Result<HttpResponse> {
    let body: UpdateIn = body::from_object(body)?;
    let patch = repos::Patch {
        short_description: body.description,
        long_description: body.full_description,
        is_public: body.is_public,
    };
    let repo = state
        .store
        .run(move |c| repos::update(c, caller.as_ref(), &ns, &name, &patch))
        .await?;
    Ok(HttpResponse::Ok().json(dto::updated(&repo)))
}

/// `GET /v1/repositories/{ns}/{repo}/tags` without an access token: `[{"image_id","tag","name"}]`,
/// with `digest` and `size` for a tag the registry pushed.
pub async fn tags(
    state: web::Data<AppState>,
    caller: Option<Caller>,
    ns: String,
    name: String,
) -> Result<HttpResponse> {
    let (found, pushed) = state
        .store
        .run(move |c| {
            let (repo, found) = tags::list(c, caller.as_ref(), &ns, &name)?;
            let pushed = tags::pushed(c, &repo, &found)?;
            Ok((found, pushed))
        })
        .await?;
    let body: Vec<TagDto> = found
        .iter()
        .zip(pushed)
        .map(|(t, p)| TagDto::new(t, p))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `DELETE /v1/repositories/{ns}/{repo}` (no Index token involved): 204.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Option<Caller>,
    ns: String,
    name: String,
) -> Result<HttpResponse> {
    state
        .store
        .run(move |c| repos::delete(c, caller.as_ref(), &ns, &name))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
