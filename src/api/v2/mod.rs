//! The registry: `/v2/`, the OCI Distribution Specification v1.1 plus `/v2/_catalog` and the
//! token flow (API-NOTES section 10).

pub mod errors;
pub mod token;

use actix_web::HttpResponse;

use crate::api::dialect::Dialect;
use crate::route_table::Routes;

pub fn configure(routes: &mut Routes) {
    let mut routes = routes.dialect(Dialect::Registry);
    routes
        .resource("/v2/token", |r| r.get(token::get))
        .resource("/v2", |r| r.get(base));
}

/// `GET /v2/`: the version check.
async fn base() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({}))
}
