//! One folder per dialect: its routes (paths as the vendor writes them), handlers and shapes.

pub mod alauda;
pub mod cloud;
pub mod dtr;
pub mod index;
pub mod registryui;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    dtr::configure(cfg);
    index::configure(cfg);
    alauda::configure(cfg);
    cloud::configure(cfg);
    registryui::configure(cfg);
}
