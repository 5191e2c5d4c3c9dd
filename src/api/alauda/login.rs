//! Token login as Alauda clients do it: `POST /v1/generate-api-token`, then
//! `GET /v1/auth/{ns}/profile` and `GET /v1/regions/{ns}` with `Authorization: Token <key>`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::dto::{ProfileDto, Regions, Token};
use crate::api::body::JsonBody;
use crate::auth::extract::User;
use crate::core::accounts;
use crate::error::Result;
use crate::AppState;

/// The name given to API keys made by a token login (keys are listed and revoked by name).
pub const KEY_NAME: &str = "alauda generate-api-token";

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

/// `{"username","password"}` -> 200 `{"token"}`: a new API key of that user (its five newest
/// login keys stay valid). The password goes through the same checks as Basic (throttle,
/// inactive accounts, answers); an API key is not accepted in its place.
pub async fn generate_api_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<Login>,
) -> Result<HttpResponse> {
    let Login { username, password } = body.into_inner();
    let ip = req.peer_addr().map(|a| a.ip());
    let principal = state
        .auth
        .login(&state.store, username, password, ip)
        .await?;
    crate::ops::access::note_caller(&req, &principal.user.name, principal.via.label());
    let user_id = principal.user.id;
    let key = state
        .store
        .run(move |c| accounts::create_login_key(c, user_id, KEY_NAME))
        .await?;
    Ok(HttpResponse::Ok().json(Token { token: key }))
}

/// The caller's profile seen from `{ns}` (itself, or an organization it belongs to).
pub async fn profile(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    ns: web::Path<String>,
) -> Result<HttpResponse> {
    let ns = ns.into_inner();
    let p = state
        .store
        .run(move |c| accounts::profile(c, &caller, &ns))
        .await?;
    Ok(HttpResponse::Ok().json(ProfileDto::from(p)))
}

/// Berth runs in one place: no regions.
pub async fn regions(_who: User, _ns: web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().json(Regions::NONE)
}
