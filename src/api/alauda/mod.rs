//! The Alauda dialect (`docs/alauda.md`). Its routes share `/v1/repositories` with the Index
//! dialect; the route table is `api::v1`.

pub mod dto;
pub mod login;
pub mod repos;
