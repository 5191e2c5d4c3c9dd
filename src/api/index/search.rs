//! `GET /v1/search?q=&n=&page=` and `GET /v1/_ping`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::dto::SearchAnswer;
use crate::auth::extract::MaybeUser;
use crate::core::search;
use crate::error::Result;
use crate::store::cache_key::{Key, View};
use crate::AppState;

#[derive(Deserialize)]
pub struct Query {
    q: Option<String>,
    n: Option<String>,
    page: Option<String>,
}

pub async fn search(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    query: web::Query<Query>,
) -> Result<HttpResponse> {
    let Query { q, n, page } = query.into_inner();
    let n = crate::api::params::optional_int("n", n.as_deref())?;
    let page = Some(crate::api::params::page("page", page.as_deref())?);
    let key = Key::search(View::IndexSearch, caller.as_ref())
        .arg(n)
        .arg(page)
        .arg(q.as_deref());
    crate::api::cached_json(&state, key, move |c| {
        let found = search::search(c, caller.as_ref(), q.as_deref(), n, page)?;
        Ok(SearchAnswer::new(q.unwrap_or_default(), &found))
    })
    .await
}

/// `GET /v1/_ping`: `true`, what a v1 client checks before it talks to a registry.
pub async fn ping() -> HttpResponse {
    HttpResponse::Ok().json(true)
}
