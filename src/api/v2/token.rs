//! `GET /v2/token`: distribution's token flow (API-NOTES section 10, "Authentication").
//!
//! `?service=&scope=...&account=&client_id=&offline_token=`: the caller proves who it is with
//! Basic (a password or an API key, through the same cache and throttle as every dialect) or
//! not at all (an anonymous token), and gets a token granting the intersection of the scopes
//! it asked for and what the policy allows (`core::scopes`). A wrong credential is a 401.
//! `service`, `account`, `client_id` and `offline_token` are accepted and do not change the
//! answer: the token is for whoever the credential names, this server is its only audience,
//! and no refresh token is ever issued.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::auth::bearer::{Claims, TOKEN_TTL_SECS};
use crate::auth::extract::MaybeUser;
use crate::core::scopes::{self, MAX_SCOPES};
use crate::core::time;
use crate::error::{Code, Error, Result};
use crate::AppState;

/// The answer's body (the spec's token response fields; never `refresh_token`).
#[derive(Serialize)]
struct TokenResponse {
    token: String,
    /// The same token under OAuth 2.0's name, for clients that read that one.
    access_token: String,
    expires_in: i64,
    /// RFC 3339, UTC.
    issued_at: String,
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
) -> Result<HttpResponse> {
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(Error::invalid_query)?;
    let requested = scopes::parse_all(
        params
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.as_str()),
    );
    if requested.len() > MAX_SCOPES {
        return Err(Error::new(
            Code::InvalidQuery,
            format!("at most {MAX_SCOPES} scopes may be asked for at once"),
        ));
    }
    // An Index access token is valid on its own repository's `/v1` routes only: here it
    // counts as anonymous, like everywhere that is not about its repository.
    let caller = user.caller;
    let access = state
        .store
        .run(move |c| scopes::grants(c, caller.as_ref(), &requested))
        .await?;
    let now = chrono::Utc::now().timestamp();
    let claims = Claims::new(caller.map(|c| c.user_id), access, now);
    let token = state.registry_tokens.issue(&claims);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: token.clone(),
            token,
            expires_in: TOKEN_TTL_SECS,
            issued_at: time::rfc3339(now.saturating_mul(1000)),
        }))
}
