//! The RegistryUI extended API (`/udr/v1api/`; `docs/registryui.md`): the repository catalog
//! by path, projects, tags, folders, and the "Public API" switch for anonymous callers.

mod dto;
mod handlers;

use actix_web::web;

/// Paths exactly as RegistryUI writes them (a final `/` is trimmed before routing).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/udr/v1api/repositories")
            .route(web::get().to(handlers::repositories_get))
            .route(web::post().to(handlers::repositories_post)),
    )
    .service(
        web::resource("/udr/v1api/project/create").route(web::post().to(handlers::project_create)),
    )
    .service(web::resource("/udr/v1api/tags").route(web::get().to(handlers::tags)))
    .service(
        web::resource("/udr/v1api/taginfo")
            .route(web::get().to(handlers::taginfo_get))
            .route(web::delete().to(handlers::taginfo_delete)),
    )
    .service(web::resource("/udr/v1api/folder").route(web::delete().to(handlers::folder_delete)));
}
