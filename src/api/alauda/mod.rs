//! The alauda dialect (see API-NOTES). Routes arrive with its issue.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
