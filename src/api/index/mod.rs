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
use serde::Deserialize;

use crate::store::tags::Image;

/// An Index success without content: the JSON string `""` (`docs/index.md`).
pub fn empty(status: StatusCode) -> HttpResponse {
    HttpResponse::build(status).json("")
}

/// One image as Index clients send it: `{"id", "checksum"?, "Tag"?}`. `Tag` is accepted and
/// ignored: tags arrive through the registry-role tag routes.
#[derive(Debug, Deserialize)]
pub struct ImageIn {
    id: String,
    #[serde(default)]
    checksum: Option<String>,
    #[serde(default, rename = "Tag")]
    _tag: Option<String>,
}

pub fn to_images(images: Vec<ImageIn>) -> Vec<Image> {
    images
        .into_iter()
        .map(|i| Image {
            image_id: i.id,
            checksum: i.checksum,
        })
        .collect()
}

/// A repository path as Index clients and tokens write it.
pub fn path(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
}
