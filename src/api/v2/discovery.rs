//! Content discovery: `GET /v2/{name}/tags/list`, `GET /v2/_catalog` (both paged by `n` and
//! `last` with a `Link` to the next page) and `GET /v2/{name}/referrers/{digest}`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::access::{self, Asker};
use crate::blobs::Digest;
use crate::core::manifest::OCI_INDEX;
use crate::core::registry::{self, Action, Name};
use crate::error::Result;
use crate::AppState;

#[derive(Deserialize)]
pub struct NamePath {
    name: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    n: Option<i64>,
    last: Option<String>,
}

/// `Link: <{path}?n=N&last=L>; rel="next"`.
fn next_link(path: &str, n: usize, last: &str) -> String {
    let query = serde_urlencoded::to_string([("n", n.to_string().as_str()), ("last", last)])
        .unwrap_or_default();
    format!("<{path}?{query}>; rel=\"next\"")
}

fn paged(body: serde_json::Value, path: &str, page: &registry::Page) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    if let (true, Some(last)) = (page.more, page.names.last()) {
        res.insert_header((header::LINK, next_link(path, page.names.len(), last)));
    }
    res.json(body)
}

pub async fn tags(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<NamePath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let name = Name::parse(&path.name)?;
    let repo = access::authorize(&state, &req, &who, &name, Action::Pull, false).await?;
    let PageQuery { n, last } = query.into_inner();
    let page = state
        .store
        .run(move |c| registry::tags(c, &repo, n, last.as_deref().unwrap_or("")))
        .await?;
    let body = serde_json::json!({"name": path.name, "tags": page.names});
    Ok(paged(body, &format!("/v2/{}/tags/list", path.name), &page))
}

pub async fn catalog(
    state: web::Data<AppState>,
    Asker(who): Asker,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let PageQuery { n, last } = query.into_inner();
    let page = state
        .store
        .run(move |c| registry::catalog(c, &who, n, last.as_deref().unwrap_or("")))
        .await?;
    let body = serde_json::json!({"repositories": page.names});
    Ok(paged(body, "/v2/_catalog", &page))
}

#[derive(Deserialize)]
pub struct ReferrersPath {
    name: String,
    digest: String,
}

#[derive(Deserialize)]
pub struct ReferrersQuery {
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Index {
    schema_version: u8,
    media_type: &'static str,
    manifests: Vec<Descriptor>,
}

pub async fn referrers(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<ReferrersPath>,
    query: web::Query<ReferrersQuery>,
) -> Result<HttpResponse> {
    let name = Name::parse(&path.name)?;
    let subject = Digest::parse(&path.digest)?;
    let repo = access::authorize(&state, &req, &who, &name, Action::Pull, false).await?;
    let filter = query.into_inner().artifact_type.filter(|t| !t.is_empty());
    let wanted = filter.clone();
    let found = state
        .store
        .run(move |c| registry::referrers(c, &repo, &subject, wanted.as_deref()))
        .await?;
    let index = Index {
        schema_version: 2,
        media_type: OCI_INDEX,
        manifests: found
            .into_iter()
            .map(|r| Descriptor {
                media_type: r.media_type,
                digest: r.digest,
                size: r.size,
                artifact_type: r.artifact_type,
                annotations: r.annotations.and_then(|a| serde_json::from_str(&a).ok()),
            })
            .collect(),
    };
    let body = serde_json::to_vec(&index).map_err(crate::error::Error::internal)?;
    let mut res = HttpResponse::Ok();
    res.content_type(OCI_INDEX);
    if filter.is_some() {
        res.insert_header(("oci-filters-applied", "artifactType"));
    }
    Ok(res.body(body))
}
