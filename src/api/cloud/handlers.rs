//! Handlers of the Cloud dialect: translate paths, queries and bodies for `core::external`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::dto::{CredentialsIn, ExternalIn, Meta, Page, RegistryObject, RepositoryObject, PREFIX};
use crate::api::body::JsonBody;
use crate::auth::extract::User;
use crate::core::external::{self, Filter};
use crate::error::{Code, Error, Result};
use crate::AppState;

/// Page size when the client does not ask (the clients' first request never does).
pub const DEFAULT_LIMIT: i64 = 25;
/// Largest page; larger requests are clamped, and `limit=0` means this (as in Tastypie).
pub const MAX_LIMIT: i64 = 100;

/// The path parameters of every Cloud route; `ns` is absent on the un-namespaced paths.
#[derive(Debug, Deserialize)]
pub struct Loc {
    ns: Option<String>,
    name: Option<String>,
    host: Option<String>,
}

impl Loc {
    fn ns(&self) -> Option<&str> {
        self.ns.as_deref()
    }

    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    offset: Option<String>,
    name: Option<String>,
    registry: Option<String>,
}

fn paging(limit: Option<&str>, offset: Option<&str>) -> Result<(i64, i64)> {
    let limit = match limit {
        None | Some("") => DEFAULT_LIMIT,
        Some(s) => match crate::api::params::non_negative("limit", s)? {
            0 => MAX_LIMIT,
            n => n.min(MAX_LIMIT),
        },
    };
    let offset = match offset {
        None | Some("") => 0,
        Some(s) => crate::api::params::non_negative("offset", s)?.min(i64::MAX - MAX_LIMIT),
    };
    Ok((limit, offset))
}

/// `meta` for a page, with `next`/`previous` as URIs on `base` that keep the filters.
fn meta(base: &str, limit: i64, offset: i64, total: i64, filters: &[(&str, &str)]) -> Meta {
    let uri = |offset: i64| {
        let mut pairs = vec![("limit", limit.to_string()), ("offset", offset.to_string())];
        pairs.extend(filters.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{base}?{query}")
    };
    Meta {
        limit,
        offset,
        next: (offset + limit < total).then(|| uri(offset + limit)),
        previous: (offset > 0).then(|| uri((offset - limit).max(0))),
        total_count: total,
    }
}

/// A registry resource URI (`/api/repo/v1/[ns/]registry/{host}/`, final `/` optional, an
/// absolute URL allowed) as (namespace if named, host).
fn parse_registry_uri(uri: &str) -> Result<(Option<String>, String)> {
    let invalid = || {
        Error::new(
            Code::InvalidQuery,
            "registry must be a registry resource URI such as /api/repo/v1/{namespace}/registry/{host}/",
        )
    };
    let path = match uri.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).ok_or_else(invalid)?,
        None => uri,
    };
    let rest = path
        .strip_prefix(PREFIX)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(invalid)?;
    let parts: Vec<&str> = rest.strip_suffix('/').unwrap_or(rest).split('/').collect();
    match parts.as_slice() {
        ["registry", host] if !host.is_empty() => Ok((None, (*host).to_owned())),
        [ns, "registry", host] if !host.is_empty() && !ns.is_empty() => {
            Ok((Some((*ns).to_owned()), (*host).to_owned()))
        }
        _ => Err(invalid()),
    }
}

/// `GET .../repository/`: a page of the namespace's external repositories.
pub async fn list(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    loc: web::Path<Loc>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let mut filter = Filter {
        name: query.name.clone().filter(|n| !n.is_empty()),
        ..Filter::default()
    };
    if let Some(uri) = query.registry.as_deref().filter(|r| !r.is_empty()) {
        let (ns, host) = parse_registry_uri(uri)?;
        filter.registry_host = Some(host);
        filter.registry_namespace = ns;
    }
    let ns = loc.into_inner().ns;
    let (account, items, total) = state
        .store
        .run(move |c| external::list(c, &caller, ns.as_deref(), &filter, limit, offset))
        .await?;
    let mut filters = Vec::new();
    if let Some(name) = query.name.as_deref().filter(|n| !n.is_empty()) {
        filters.push(("name", name));
    }
    if let Some(registry) = query.registry.as_deref().filter(|r| !r.is_empty()) {
        filters.push(("registry", registry));
    }
    let base = format!("{PREFIX}/{}/repository/", account.name);
    Ok(HttpResponse::Ok().json(Page {
        meta: meta(&base, limit, offset, total, &filters),
        objects: items
            .iter()
            .map(|r| RepositoryObject::new(&account.name, r))
            .collect(),
    }))
}

/// `POST .../repository/` `{"name","username","password"}`: 201 and the object.
pub async fn add(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    loc: web::Path<Loc>,
    body: JsonBody<ExternalIn>,
) -> Result<HttpResponse> {
    let ExternalIn(new) = body.into_inner();
    let ns = loc.into_inner().ns;
    let keyring = state.secrets.clone();
    let (account, repo) = state
        .store
        .run(move |c| external::add(c, &keyring, &caller, ns.as_deref(), &new))
        .await?;
    Ok(HttpResponse::Created().json(RepositoryObject::new(&account.name, &repo)))
}

/// `GET .../repository/{name}/`.
pub async fn inspect(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    loc: web::Path<Loc>,
) -> Result<HttpResponse> {
    let loc = loc.into_inner();
    let (account, repo) = state
        .store
        .run(move |c| external::get(c, &caller, loc.ns(), loc.name()))
        .await?;
    Ok(HttpResponse::Ok().json(RepositoryObject::new(&account.name, &repo)))
}

/// `PATCH .../repository/{name}/` `{"username"?, "password"?}`: new credentials; other
/// fields (the name included) cannot change and are ignored.
pub async fn update(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    loc: web::Path<Loc>,
    body: JsonBody<CredentialsIn>,
) -> Result<HttpResponse> {
    let CredentialsIn(patch) = body.into_inner();
    let loc = loc.into_inner();
    let keyring = state.secrets.clone();
    let (account, repo) = state
        .store
        .run(move |c| {
            external::update_credentials(c, &keyring, &caller, loc.ns(), loc.name(), &patch)
        })
        .await?;
    Ok(HttpResponse::Ok().json(RepositoryObject::new(&account.name, &repo)))
}

/// `DELETE .../repository/{name}/`: 204, no body.
pub async fn remove(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    loc: web::Path<Loc>,
) -> Result<HttpResponse> {
    let loc = loc.into_inner();
    state
        .store
        .run(move |c| external::remove(c, &caller, loc.ns(), loc.name()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET .../registry/`: the registries the namespace's external repositories point at.
pub async fn registries(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    loc: web::Path<Loc>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let ns = loc.into_inner().ns;
    let (account, items, total) = state
        .store
        .run(move |c| external::registries(c, &caller, ns.as_deref(), limit, offset))
        .await?;
    let base = format!("{PREFIX}/{}/registry/", account.name);
    Ok(HttpResponse::Ok().json(Page {
        meta: meta(&base, limit, offset, total, &[]),
        objects: items
            .into_iter()
            .map(|r| RegistryObject::new(&account.name, r))
            .collect(),
    }))
}

/// `GET .../registry/{host}/`.
pub async fn registry(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    loc: web::Path<Loc>,
) -> Result<HttpResponse> {
    let Loc { ns, host, .. } = loc.into_inner();
    let host = host.unwrap_or_default();
    let (account, registry) = state
        .store
        .run(move |c| external::registry(c, &caller, ns.as_deref(), &host))
        .await?;
    Ok(HttpResponse::Ok().json(RegistryObject::new(&account.name, registry)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_clamps_and_refuses_garbage() {
        assert_eq!(paging(None, None).unwrap(), (25, 0));
        assert_eq!(paging(Some("10"), Some("20")).unwrap(), (10, 20));
        assert_eq!(paging(Some("1000"), None).unwrap(), (100, 0));
        assert_eq!(paging(Some("0"), None).unwrap(), (100, 0));
        for bad in ["-1", "x", "1.5", "99999999999999999999"] {
            assert!(paging(Some(bad), None).is_err(), "{bad}");
            assert!(paging(None, Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn meta_links_keep_the_filters() {
        let m = meta(
            "/api/repo/v1/a/repository/",
            2,
            2,
            5,
            &[("name", "r.io/x y")],
        );
        assert_eq!(
            m.next.as_deref(),
            Some("/api/repo/v1/a/repository/?limit=2&offset=4&name=r.io%2Fx+y")
        );
        assert_eq!(
            m.previous.as_deref(),
            Some("/api/repo/v1/a/repository/?limit=2&offset=0&name=r.io%2Fx+y")
        );
        let last = meta("/b/", 2, 4, 5, &[]);
        assert_eq!(
            (last.next, last.previous.as_deref()),
            (None, Some("/b/?limit=2&offset=2"))
        );
        let only = meta("/b/", 25, 0, 0, &[]);
        assert_eq!((only.next, only.previous), (None, None));
    }

    #[test]
    fn registry_uris_parse() {
        let ok = |ns: Option<&str>, host: &str| Ok((ns.map(str::to_owned), host.to_owned()));
        assert_eq!(
            parse_registry_uri("/api/repo/v1/alice/registry/localhost:5000/"),
            ok(Some("alice"), "localhost:5000")
        );
        assert_eq!(
            parse_registry_uri("/api/repo/v1/alice/registry/r.io"),
            ok(Some("alice"), "r.io")
        );
        assert_eq!(
            parse_registry_uri("/api/repo/v1/registry/r.io/"),
            ok(None, "r.io")
        );
        assert_eq!(
            parse_registry_uri("http://h:1/api/repo/v1/a/registry/r.io/"),
            ok(Some("a"), "r.io")
        );
        for bad in [
            "r.io",
            "/api/repo/v1/a/repository/r.io/",
            "/api/repo/v1/registry/",
            "/api/repo/v1/a/b/registry/r.io/",
            "http://h",
        ] {
            assert!(parse_registry_uri(bad).is_err(), "{bad}");
        }
    }
}
