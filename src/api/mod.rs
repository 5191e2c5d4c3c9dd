//! One folder per dialect: its routes (paths as the vendor writes them), handlers and shapes.

pub mod alauda;
pub mod cloud;
pub mod dialect;
pub mod dtr;
pub mod guard;
pub mod index;
pub mod params;
pub mod registryui;
pub mod v1;

use actix_web::{web, HttpRequest};

use crate::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    dtr::configure(cfg);
    v1::configure(cfg);
    cloud::configure(cfg);
    registryui::configure(cfg);
}

/// A JSON object body as `T`. serde would also read a struct from a JSON array (by field
/// order), so dialects that expect an object take a `Map` and convert it here: an array,
/// string or number is a 400, never a struct.
pub fn from_object<T: serde::de::DeserializeOwned>(
    body: serde_json::Map<String, serde_json::Value>,
) -> crate::error::Result<T> {
    serde_json::from_value(serde_json::Value::Object(body))
        .map_err(crate::error::Error::invalid_json)
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

/// A JSON object body as `T`: `web::Json<T>` that refuses what is not an object (serde would
/// read a struct from an array by field order, so `["admin"]` could pass for
/// `{"accessLevel": "admin"}`). Errors are the usual 400/413 in the dialect's envelope.
pub struct JsonObject<T>(pub T);

impl<T> JsonObject<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonObject<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let body =
            web::Json::<serde_json::Map<String, serde_json::Value>>::from_request(req, payload);
        Box::pin(async move {
            let map = body.await?.into_inner();
            Ok(JsonObject(from_object(map)?))
        })
    }
}
