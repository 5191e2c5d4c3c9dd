//! `GET /v2/token`: distribution's token flow (API-NOTES section 10, "Authentication").

use crate::error::{Code, Error, Result};

pub async fn get() -> Result<actix_web::HttpResponse> {
    Err(Error::new(Code::NotFound, "not yet"))
}
