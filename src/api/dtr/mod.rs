//! The Docker Trusted Registry 1.3 dialect (`/api/v0`, `docs/dtr.md`): accounts, teams,
//! repositories and access grants. Every route but sign-up needs an authenticated, active
//! user; errors leave in the DTR envelope
//! `{"errors":[{"code","message"}]}` (rendered by `api::envelope`).

mod access;
mod accounts;
mod dto;
mod repos;
mod teams;

use actix_web::web;

/// The route table, with the paths as the DTR 1.3 documents write them.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v0/accounts")
            .route(web::get().to(accounts::list))
            .route(web::post().to(accounts::create)),
    )
    .service(
        web::resource("/api/v0/accounts/{name}")
            .route(web::get().to(accounts::get))
            .route(web::delete().to(accounts::delete)),
    )
    .service(
        web::resource("/api/v0/accounts/{name}/changePassword")
            .route(web::post().to(accounts::change_password)),
    )
    .service(
        web::resource("/api/v0/accounts/{name}/activate").route(web::put().to(accounts::activate)),
    )
    .service(
        web::resource("/api/v0/accounts/{name}/deactivate")
            .route(web::put().to(accounts::deactivate)),
    )
    .service(
        web::resource("/api/v0/accounts/{name}/organizations")
            .route(web::get().to(accounts::organizations)),
    )
    .service(
        web::resource("/api/v0/accounts/{org}/teams")
            .route(web::get().to(teams::list))
            .route(web::post().to(teams::create)),
    )
    .service(
        web::resource("/api/v0/accounts/{org}/teams/{team}")
            .route(web::get().to(teams::get))
            .route(web::patch().to(teams::update))
            .route(web::delete().to(teams::delete)),
    )
    .service(
        web::resource("/api/v0/accounts/{org}/teams/{team}/members")
            .route(web::get().to(teams::members)),
    )
    .service(
        web::resource("/api/v0/accounts/{org}/teams/{team}/members/{member}")
            .route(web::get().to(teams::is_member))
            .route(web::put().to(teams::add_member))
            .route(web::delete().to(teams::remove_member)),
    )
    .service(
        web::resource("/api/v0/accounts/{org}/teams/{team}/repositoryAccess")
            .route(web::get().to(teams::repository_access)),
    )
    .service(
        web::resource("/api/v0/repositories/{namespace}")
            .route(web::get().to(repos::list))
            .route(web::post().to(repos::create)),
    )
    .service(
        web::resource("/api/v0/repositories/{namespace}/{reponame}")
            .route(web::get().to(repos::get))
            .route(web::patch().to(repos::update))
            .route(web::delete().to(repos::delete)),
    )
    .service(
        web::resource("/api/v0/repositories/{namespace}/{reponame}/userAccess")
            .route(web::get().to(access::user_list)),
    )
    .service(
        web::resource("/api/v0/repositories/{namespace}/{reponame}/userAccess/{user}")
            .route(web::put().to(access::user_put))
            .route(web::delete().to(access::user_delete)),
    )
    .service(
        web::resource("/api/v0/repositories/{namespace}/{reponame}/teamAccess")
            .route(web::get().to(access::team_list)),
    )
    .service(
        web::resource("/api/v0/repositories/{namespace}/{reponame}/teamAccess/{team}")
            .route(web::put().to(access::team_put))
            .route(web::delete().to(access::team_delete)),
    )
    .service(
        web::resource("/api/v0/repositoryNamespaces/{org}/teamAccess")
            .route(web::get().to(access::namespace_list)),
    )
    .service(
        web::resource("/api/v0/repositoryNamespaces/{org}/teamAccess/{team}")
            .route(web::get().to(access::namespace_get))
            .route(web::put().to(access::namespace_put))
            .route(web::delete().to(access::namespace_delete)),
    );
}
