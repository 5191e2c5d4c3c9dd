//! RegistryUI handlers: parse parameters, admit the caller (the Public API switch), ask the
//! core, shape the answer. Errors leave as `{"error": "..."}` through the envelope.

use actix_web::http::header::ContentType;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

use super::dto::{
    CreateParams, Deleted, Done, FolderParams, ListParams, One, Page, RepositoryEntry, TagEntry,
    TagInfo, TagParams, TagsParams,
};
use super::stream;
use crate::auth::extract::{MaybeUser, User};
use crate::core::policy::Caller;
use crate::core::{catalog, settings, tags};
use crate::error::{Code, Error, Result};
use crate::store::cache_key::{Key, View};
use crate::store::memo::Weigh;
use crate::AppState;

/// The largest `take` accepted; above it is a 400, not a silent clamp. Without `take`, a
/// listing of at most this many entries is one cached body, like a page of this size; a
/// longer one is streamed ([`stream`]).
pub const MAX_TAKE: i64 = 1000;

/// `take` of `/tags` when the caller does not say (the seed documents only `/repositories`,
/// whose default is every repository).
pub const TAGS_DEFAULT_TAKE: i64 = 100;

/// `(skip, take)`, validated; `take` `None` when absent: every matching repository.
fn paging(skip: Option<&str>, take: Option<&str>) -> Result<(i64, Option<i64>)> {
    // Present but empty is an error here, unlike absent.
    let count = |name: &str, v: Option<&str>| {
        v.map(|v| crate::api::params::non_negative(name, v))
            .transpose()
    };
    let skip = count("skip", skip)?.unwrap_or(0);
    let take = count("take", take)?;
    if take.is_some_and(|t| t > MAX_TAKE) {
        return Err(Error::new(
            Code::InvalidPaging,
            format!("take must be at most {MAX_TAKE}"),
        ));
    }
    Ok((skip, take))
}

fn required<'a>(name: &'static str, value: Option<&'a str>) -> Result<&'a str> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::new(Code::MissingParameter, format!("{name} is required")))
}

/// A repository named by a displayed path; a path that cannot exist is a missing repository.
fn repository(value: Option<&str>) -> Result<(String, String)> {
    let path = required("repository", value)?;
    catalog::split_path(path)
        .map(|(ns, name)| (ns.to_owned(), name.to_owned()))
        .ok_or_else(Error::no_such_repository)
}

/// Parameters sent as a form body (`curl -d`), in the query-string format.
fn form<T: DeserializeOwned + Default>(body: &web::Bytes) -> Result<T> {
    if body.is_empty() {
        return Ok(T::default());
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::new(Code::InvalidBody, "the form body is not UTF-8"))?;
    web::Query::<T>::from_query(text)
        .map(web::Query::into_inner)
        .map_err(|e| {
            let message = crate::error::with_safe_detail("invalid form body", &e.to_string());
            Error::new(Code::InvalidBody, message)
        })
}

/// `GET /udr/v1api/repositories`.
pub async fn repositories_get(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    query: web::Query<ListParams>,
) -> Result<HttpResponse> {
    list(state, caller, query.into_inner()).await
}

/// `POST /udr/v1api/repositories` (the seed's `curl -d ""`): parameters in the query string
/// or a form body.
pub async fn repositories_post(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    query: web::Query<ListParams>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let params = query.into_inner().or(form(&body)?);
    list(state, caller, params).await
}

async fn list(
    state: web::Data<AppState>,
    caller: Option<Caller>,
    p: ListParams,
) -> Result<HttpResponse> {
    if caller.is_none() {
        // Read on every anonymous request (never cached): the switch applies at once.
        state
            .store
            .run(|c| settings::admit_api_caller(c, None))
            .await?;
    }
    let (skip, take) = paging(p.skip.as_deref(), p.take.as_deref())?;
    let key = Key::catalog(
        View::RegistryUiRepositories,
        p.folder.as_deref(),
        caller.as_ref(),
    )
    .arg(skip)
    .arg(take)
    .arg(p.start_after.as_deref());
    let Some(take) = take else {
        return every(state, caller, p, skip, key).await;
    };
    crate::api::cached_json(&state, key, move |c| {
        let q = catalog::Query {
            folder: p.folder.as_deref(),
            start_after: p.start_after.as_deref(),
            skip,
            take,
        };
        Ok(page(catalog::list(c, caller.as_ref(), &q)?))
    })
    .await
}

fn page(listing: catalog::Listing) -> Page<RepositoryEntry> {
    let entries = listing
        .entries
        .into_iter()
        .map(RepositoryEntry::from)
        .collect();
    Page::new(listing.total, entries)
}

/// How a listing without `take` is answered, as the read cache keeps it: a short listing's
/// whole body, or only the count of a long one, whose body is streamed and never kept (a
/// whole catalog could be tens of megabytes: it would push every other entry out of the
/// cache, and holding it whole is what streaming avoids).
enum Every {
    Whole(web::Bytes),
    Streamed { total: i64 },
}

impl Weigh for Every {
    fn weigh(&self) -> usize {
        match self {
            Every::Whole(bytes) => bytes.weigh(),
            Every::Streamed { .. } => size_of::<Self>(),
        }
    }
}

/// Every matching repository (API-NOTES section 7): at most [`MAX_TAKE`] after `skip` are one
/// body, cached like a page; more are streamed in keyset batches.
async fn every(
    state: web::Data<AppState>,
    caller: Option<Caller>,
    p: ListParams,
    skip: i64,
    key: Key,
) -> Result<HttpResponse> {
    let read = {
        let (folder, start_after) = (p.folder.clone(), p.start_after.clone());
        move |c: &mut rusqlite::Connection| {
            let (folder, start_after) = (folder.as_deref(), start_after.as_deref());
            let total = catalog::count(c, caller.as_ref(), folder, start_after)?;
            let rest = (total - skip).max(0);
            if rest > MAX_TAKE {
                return Ok(Every::Streamed { total });
            }
            let q = catalog::Query {
                folder,
                start_after,
                skip,
                take: rest,
            };
            let entries = catalog::batch(c, caller.as_ref(), &q)?;
            let listing = catalog::Listing { total, entries };
            serde_json::to_vec(&page(listing))
                .map(|body| Every::Whole(web::Bytes::from(body)))
                .map_err(Error::internal)
        }
    };
    match &*state.store.cached(key, read).await? {
        Every::Whole(body) => Ok(HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body.clone())),
        &Every::Streamed { total } => stream::respond(
            state,
            stream::Listing {
                caller,
                folder: p.folder,
                start_after: p.start_after,
                skip,
                total,
            },
        ),
    }
}

/// `POST /udr/v1api/project/create?repository=&title=&isPublic=`: site admins; 201 and
/// `{"error": null, "entry": <Repository Entry>}`.
pub async fn project_create(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    query: web::Query<CreateParams>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let p = query.into_inner().or(form(&body)?);
    let is_public = match p.is_public.as_deref() {
        None | Some("") => false,
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => true,
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => false,
        Some(_) => {
            return Err(Error::new(
                Code::InvalidParameter,
                "isPublic must be true or false",
            ))
        }
    };
    let listed = state
        .store
        .run(move |c| {
            let path = required("repository", p.repository.as_deref())?;
            catalog::create_project(
                c,
                Some(&caller),
                path,
                p.title.as_deref().unwrap_or(""),
                is_public,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(One::new(RepositoryEntry::from(listed))))
}

/// `GET /udr/v1api/tags?repository=&startAfter=&skip=&take=`: the tags by name, byte order.
pub async fn tags(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    req: HttpRequest,
    query: web::Query<TagsParams>,
) -> Result<HttpResponse> {
    let host = state.public_host(&req);
    let p = query.into_inner();
    let (repo, tags, pushed, total) = state
        .store
        .run(move |c| {
            settings::admit_api_caller(c, caller.as_ref())?;
            let (ns, name) = repository(p.repository.as_deref())?;
            let (skip, take) = paging(p.skip.as_deref(), p.take.as_deref())?;
            let take = take.unwrap_or(TAGS_DEFAULT_TAKE);
            let after = p.start_after.as_deref().unwrap_or("");
            let (repo, tags, total) =
                tags::page(c, caller.as_ref(), &ns, &name, after, take, skip)?;
            let pushed = tags::pushed(c, &repo, &tags)?;
            Ok((repo, tags, pushed, total))
        })
        .await?;
    let entries = tags
        .iter()
        .zip(pushed)
        .map(|(t, pushed)| TagEntry::new(&repo, t, &host).with_pushed(pushed))
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(total, entries)))
}

/// `GET /udr/v1api/taginfo?repository=&tagName=`.
pub async fn taginfo_get(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    req: HttpRequest,
    query: web::Query<TagParams>,
) -> Result<HttpResponse> {
    let host = state.public_host(&req);
    let p = query.into_inner();
    let (repo, tag, pushed) = state
        .store
        .run(move |c| {
            settings::admit_api_caller(c, caller.as_ref())?;
            let (ns, name) = repository(p.repository.as_deref())?;
            let tag = required("tagName", p.tag_name.as_deref())?;
            let (repo, tag) = tags::get(c, caller.as_ref(), &ns, &name, tag)?;
            let pushed = tags::pushed(c, &repo, std::slice::from_ref(&tag))?;
            Ok((repo, tag, pushed.into_iter().next().flatten()))
        })
        .await?;
    let image_id = tag.image_id.clone();
    Ok(HttpResponse::Ok().json(One::new(TagInfo {
        tag: TagEntry::new(&repo, &tag, &host).with_pushed(pushed),
        image_id,
    })))
}

/// `DELETE /udr/v1api/taginfo?repository=&tagName=`: read-write on the repository.
pub async fn taginfo_delete(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    query: web::Query<TagParams>,
) -> Result<HttpResponse> {
    let p = query.into_inner();
    state
        .store
        .run(move |c| {
            settings::admit_api_caller(c, caller.as_ref())?;
            let (ns, name) = repository(p.repository.as_deref())?;
            let tag = required("tagName", p.tag_name.as_deref())?;
            tags::delete(c, caller.as_ref(), &ns, &name, tag)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Done::new()))
}

/// `DELETE /udr/v1api/folder?path=`: site admins; every repository under `path/` goes, in
/// one transaction.
pub async fn folder_delete(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    query: web::Query<FolderParams>,
) -> Result<HttpResponse> {
    let p = query.into_inner();
    let deleted = state
        .store
        .run(move |c| {
            let path = required("path", p.path.as_deref())?;
            catalog::delete_folder(c, Some(&caller), path)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Deleted {
        error: None,
        deleted,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_accepts_non_negative_integers_and_defaults() {
        assert_eq!(paging(None, None).unwrap(), (0, None));
        assert_eq!(paging(Some("5"), None).unwrap(), (5, None));
        assert_eq!(paging(Some("5"), Some("0")).unwrap(), (5, Some(0)));
        assert_eq!(paging(Some("0"), Some("1000")).unwrap(), (0, Some(1000)));
    }

    #[test]
    fn paging_refuses_negatives_non_numbers_and_large_takes() {
        for (skip, take, message) in [
            (Some("-1"), None, "skip must be a non-negative integer"),
            (Some("x"), None, "skip must be a non-negative integer"),
            (Some(""), None, "skip must be a non-negative integer"),
            (Some("1.5"), None, "skip must be a non-negative integer"),
            (
                Some("99999999999999999999"),
                None,
                "skip must be a non-negative integer",
            ),
            (None, Some("-3"), "take must be a non-negative integer"),
            (None, Some("ten"), "take must be a non-negative integer"),
            (None, Some("1001"), "take must be at most 1000"),
        ] {
            let e = paging(skip, take).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.message.as_ref()),
                (400, message),
                "{skip:?} {take:?}"
            );
        }
    }
}
