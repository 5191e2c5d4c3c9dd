//! One folder per dialect: its routes (paths as the vendor writes them), handlers and shapes.

pub mod alauda;
pub mod cloud;
pub mod dtr;
pub mod index;
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

/// This server's `host[:port]` as clients should reach it: the configured public address, or
/// the `Host` the request came with (Index `X-Docker-Endpoints`, absolute paging links,
/// RegistryUI pull commands).
pub fn public_host(state: &AppState, req: &HttpRequest) -> String {
    if let Some(addr) = &state.config.public_address {
        return addr.clone();
    }
    req.headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| req.connection_info().host().to_owned())
}

/// A JSON object body as `T`. serde would also read a struct from a JSON array (by field
/// order), so dialects that expect an object take a `Map` and convert it here: an array,
/// string or number is a 400, never a struct.
pub fn from_object<T: serde::de::DeserializeOwned>(
    body: serde_json::Map<String, serde_json::Value>,
) -> crate::error::Result<T> {
    serde_json::from_value(serde_json::Value::Object(body)).map_err(|e| {
        crate::error::Error::bad_request("INVALID_JSON", format!("invalid JSON body: {e}"))
    })
}
