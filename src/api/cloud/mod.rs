//! The Docker Cloud dialect (`docs/cloud.md`): external repositories and the registries they
//! point at, under `/api/repo/v1/`.
//!
//! Every path exists twice: without a namespace (the caller's own) and with `{ns}`. Paths
//! are registered without their final `/` (the middleware trims it); the un-namespaced
//! ones come first, so `/api/repo/v1/repository/a/b` is always the name `a/b` (`repository`
//! and `registry` are reserved account names, so no namespace can be called that).

mod dto;
mod handlers;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for prefix in ["/api/repo/v1", "/api/repo/v1/{ns}"] {
        cfg.service(
            web::resource(format!("{prefix}/repository"))
                .route(web::get().to(handlers::list))
                .route(web::post().to(handlers::add)),
        )
        .service(
            web::resource(format!("{prefix}/repository/{{name:.+}}"))
                .route(web::get().to(handlers::inspect))
                .route(web::patch().to(handlers::update))
                .route(web::delete().to(handlers::remove)),
        )
        .service(
            web::resource(format!("{prefix}/registry")).route(web::get().to(handlers::registries)),
        )
        .service(
            web::resource(format!("{prefix}/registry/{{host}}"))
                .route(web::get().to(handlers::registry)),
        );
    }
}
