//! The legacy Docker Hub index v1 dialect (API-NOTES section 5, seed `hub-index-v1.txt`).

mod users;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/users", web::get().to(users::login_check));
}
