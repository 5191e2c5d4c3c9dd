//! The registry: `/v2/`, the OCI Distribution Specification v1.1 plus `/v2/_catalog` and the
//! token flow (API-NOTES section 10).
//!
//! A repository's routes take its name as everything before the last `/blobs/`,
//! `/manifests/`, `/tags/` or `/referrers/` (actix's greedy `{name:.+}`); `core::registry`
//! says which names Berth holds (`ns/name`, or `x` for `library/x`).

pub mod access;
pub mod blobs;
pub mod discovery;
pub mod errors;
pub mod manifests;
pub mod quota;
pub mod token;
pub mod uploads;

use actix_web::body::SizedStream;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::dialect::Dialect;
use crate::core::registry::Who;
use crate::error::Result;
use crate::route_table::Routes;
use crate::AppState;
use access::Asker;

/// The digest of what an answer is about (the spec's and Docker's header).
pub const DIGEST_HEADER: &str = "docker-content-digest";

pub fn configure(routes: &mut Routes) {
    let mut routes = routes.dialect(Dialect::Registry);
    routes
        .resource("/v2/token", |r| r.get(token::get))
        .resource("/v2", |r| r.get(base))
        .resource("/v2/_catalog", |r| r.get(discovery::catalog))
        .resource("/v2/{name:.+}/blobs/uploads", |r| r.post(uploads::start))
        .resource("/v2/{name:.+}/blobs/uploads/{id}", |r| {
            r.get(uploads::status)
                .patch(uploads::patch)
                .put(uploads::finish)
                .delete(uploads::cancel)
        })
        .resource("/v2/{name:.+}/blobs/{digest}", |r| {
            r.get(blobs::get).head(blobs::head).delete(blobs::delete)
        })
        .resource("/v2/{name:.+}/manifests/{reference}", |r| {
            r.get(manifests::get)
                .head(manifests::head)
                .put(manifests::put)
                .delete(manifests::delete)
        })
        .resource("/v2/{name:.+}/tags/list", |r| r.get(discovery::tags))
        .resource("/v2/{name:.+}/referrers/{digest}", |r| {
            r.get(discovery::referrers)
        });
}

/// `GET /v2/`: the version check. 200 `{}` for any caller that proved who it is (a valid
/// token, anonymous ones included); anonymous → 401 with the challenge, so `docker login`
/// with a wrong password fails.
async fn base(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
) -> Result<HttpResponse> {
    if matches!(who, Who::Anonymous) {
        return Err(access::challenge(&state, &req, None));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// The body of a `HEAD` answer: `Content-Length: len` and no bytes (the server sends no
/// body for `HEAD`).
pub fn head_body(
    len: u64,
) -> SizedStream<futures_util::stream::Empty<std::result::Result<Bytes, std::io::Error>>> {
    SizedStream::new(len, futures_util::stream::empty())
}
