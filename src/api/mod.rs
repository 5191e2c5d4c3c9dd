//! One folder per dialect: its routes (paths as the vendor writes them), handlers and shapes.

pub mod alauda;
pub mod body;
pub mod cloud;
pub mod dialect;
pub mod dtr;
pub mod guard;
pub mod index;
pub mod params;
pub mod registryui;
pub mod v1;

use actix_web::web;

use crate::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    dtr::configure(cfg);
    v1::configure(cfg);
    cloud::configure(cfg);
    registryui::configure(cfg);
}

/// A 200 JSON answer read through the store's commit-invalidated cache: `key` names every
/// input of the body (route, arguments, [`crate::core::policy::viewer_key`]) and never a request header, which
/// a client may vary at will (a body with absolute links caches the rest and adds them per
/// request, as the Alauda list does); `body` computes it on a miss. Permission checks that may fail belong inside `body` (so
/// failures are never kept) or before the call.
pub async fn cached_json<T, F>(
    state: &AppState,
    key: String,
    body: F,
) -> crate::error::Result<actix_web::HttpResponse>
where
    F: FnOnce(&mut rusqlite::Connection) -> crate::error::Result<T> + Send + 'static,
    T: serde::Serialize,
{
    let bytes = state
        .store
        .cached(key, move |c| {
            let value = body(c)?;
            serde_json::to_vec(&value)
                .map(web::Bytes::from)
                .map_err(crate::error::Error::internal)
        })
        .await?;
    Ok(actix_web::HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(web::Bytes::clone(&bytes)))
}

/// Serializes a value nested in an answer with the keys of every object in it sorted, the
/// way a `serde_json::json!` value writes them (the crate keeps objects in a sorted map).
/// Answers that were once built with `json!` keep their bytes this way, since clients' tests
/// may compare them as text; a struct alone writes its fields in declaration order.
pub fn keys_sorted<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: serde::Serialize,
    S: serde::Serializer,
{
    use serde::Serialize as _;
    serde_json::to_value(value)
        .map_err(serde::ser::Error::custom)?
        .serialize(serializer)
}
