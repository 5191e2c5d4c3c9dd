//! The legacy Docker Hub index v1 dialect (API-NOTES section 5, seed `hub-index-v1.txt`).

mod users;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/users")
            .route(web::get().to(users::login_check))
            .route(web::post().to(users::register)),
    );
}
