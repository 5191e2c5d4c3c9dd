//! The legacy Docker Hub index v1 dialect (`docs/index.md`).
//! Its routes share `/v1/repositories` with Alauda; the route table is `api::v1`.

pub mod dto;
pub mod images;
pub mod repos;
pub mod search;
pub mod stars;
pub mod tags;
pub mod token;
pub mod users;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

/// An Index success without content: the JSON string `""` (`docs/index.md`).
pub fn empty(status: StatusCode) -> HttpResponse {
    HttpResponse::build(status).json("")
}

/// A repository path as Index clients and tokens write it.
pub fn path(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
}
