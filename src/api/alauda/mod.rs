//! The Alauda dialect (API-NOTES section 4, seed `hub-v1-image-repos.txt`). Its routes share
//! `/v1/repositories` with the Index dialect; the route table is `api::v1`.

pub mod dto;
pub mod login;
pub mod repos;
