//! `/v1/users`: login check (and, with its issue, registration and profile updates).

use actix_web::HttpResponse;

use crate::auth::extract::User;

/// `GET /v1/users`: 200 `"OK"` for good Basic credentials; 401 bad, 403 inactive, 429 throttled.
pub async fn login_check(_user: User) -> HttpResponse {
    HttpResponse::Ok().json("OK")
}
