//! One folder per dialect: its routes (paths as the vendor writes them), handlers and shapes.

pub mod alauda;
pub mod body;
pub mod cloud;
pub mod dialect;
pub mod dtr;
pub mod envelope;
pub mod guard;
pub mod index;
pub mod params;
pub mod registryui;
pub mod v1;
pub mod v2;

use actix_web::web;

use crate::route_table::Routes;
use crate::AppState;

/// The APIs' routes, dialect by dialect (each names its own dialect). The registry's come
/// first: its pulls are the busiest requests by far, and actix tries routes in order, one
/// pattern match each (a request to the last dialect paid for every route before it: a
/// quarter of a cached manifest pull's CPU). No other dialect has a path under `/v2`, so the
/// order decides nothing else.
pub fn configure(routes: &mut Routes) {
    v2::configure(routes);
    dtr::configure(routes);
    v1::configure(routes);
    cloud::configure(routes);
    registryui::configure(routes);
}

/// A 200 JSON answer read through the store's read cache: `key` (built by
/// [`crate::store::cache_key::Key`]) names every input of the body (view, caller, arguments)
/// and what it depends on, and never a request header, which a client may vary at will (a
/// body with absolute links caches the rest and adds them per request, as the Alauda list
/// does); `body` computes it on a miss. Permission checks that may fail belong inside `body`
/// (so failures are never kept) or before the call.
pub async fn cached_json<T, F>(
    state: &AppState,
    key: crate::store::cache_key::Key,
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

/// An answer written with the keys of every object in it sorted, nested objects included:
/// the way a `serde_json::json!` value writes them (the crate keeps objects in a sorted map).
/// The answers that were once `json!` values are built as `Sorted` by their dialect's
/// `dto.rs`, so their bytes stay what clients have seen (some compare them as text); a
/// struct alone writes its fields in declaration order.
#[derive(Debug)]
pub struct Sorted<T>(pub T);

impl<T: serde::Serialize> serde::Serialize for Sorted<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_json::to_value(&self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}
