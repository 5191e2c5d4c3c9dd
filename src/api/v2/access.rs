//! Who the caller is on `/v2`, and the 401 that tells a client where to get a token.
//!
//! `Authorization: Bearer <token>` is a registry token (`auth::bearer`): valid and unexpired,
//! naming an active user (or nobody: an anonymous token), or the request is refused with the
//! challenge. Everything else (Basic with a password or an API key, `Token <apikey>`) goes
//! through the one authenticator every dialect uses, with its cache and throttle. What the
//! caller may then do is the core's decision (`core::registry::authorize`).

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::auth::bearer;
use crate::auth::credentials::{self, Credential};
use crate::core::model::Repository;
use crate::core::policy::Caller;
use crate::core::registry::{self, Action, Name, Who};
use crate::error::{Code, Error, Result};
use crate::ops::access::note_caller;
use crate::store;
use crate::AppState;

/// The caller of a `/v2` request (an extractor: bad credentials are a 401 with the
/// challenge, in the registry's envelope).
pub struct Asker(pub Who);

/// The `WWW-Authenticate` value of a `/v2` 401: where to get a token (`{origin}/v2/token`,
/// absolute) and, when a repository was asked for, for what.
pub fn challenge_value(state: &AppState, req: &HttpRequest, scope: Option<&str>) -> String {
    let origin = state.public_origin(req);
    let realm = format!("{}://{}/v2/token", origin.scheme, origin.host);
    bearer::challenge(&realm, &origin.host, scope)
}

/// A 401 with the challenge.
pub fn challenge(state: &AppState, req: &HttpRequest, scope: Option<&str>) -> Error {
    registry::challenge().with_www_authenticate(challenge_value(state, req, scope))
}

/// The scope a challenge for `action` on `name` asks for.
pub fn scope(name: &Name, action: Action) -> String {
    format!("repository:{}:{}", name.path(), action.scope_actions())
}

async fn find_out(state: &AppState, req: &HttpRequest) -> Result<Who> {
    let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    let refused = || challenge(state, req, None);
    match credentials::parse(header).map_err(|_| refused())? {
        None => Ok(Who::Anonymous),
        Some(Credential::Bearer(token)) => {
            let now = chrono::Utc::now().timestamp();
            let claims = state
                .registry_tokens
                .verify(&token, now)
                .ok_or_else(refused)?;
            let caller = match claims.user_id {
                None => None,
                Some(id) => {
                    let user = state
                        .store
                        .run(move |c| store::accounts::by_id(c, id))
                        .await?
                        .filter(|u| u.is_active && u.is_user())
                        .ok_or_else(refused)?;
                    note_caller(req, &user.name, "bearer");
                    Some(Caller::from(&user))
                }
            };
            Ok(Who::Token { caller, claims })
        }
        // Index access tokens belong to the Index's registry role (`/v1`), not here.
        Some(Credential::AccessToken { .. }) => Err(refused()),
        Some(_) => {
            let ip = req.peer_addr().map(|a| a.ip());
            match state.auth.authenticate(&state.store, header, ip).await {
                Ok(Some(p)) => {
                    note_caller(req, &p.user.name, p.via.label());
                    Ok(Who::User(p.caller()))
                }
                Ok(None) => Ok(Who::Anonymous),
                Err(e) if e.is(Code::TooManyAttempts) || e.status.is_server_error() => Err(e),
                Err(_) => Err(refused()),
            }
        }
    }
}

impl FromRequest for Asker {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state missing"))?;
            find_out(&state, &req).await.map(Asker)
        })
    }
}

/// The repository `name` when the caller may do `action` on it (see
/// `core::registry::authorize`); a 401 carries the challenge for what was needed.
pub async fn authorize(
    state: &AppState,
    req: &HttpRequest,
    who: &Who,
    name: &Name,
    action: Action,
    create: bool,
) -> Result<Repository> {
    let (who, owned) = (who.clone(), name.clone());
    let decided = state
        .store
        .run(move |c| registry::authorize(c, &who, &owned, action, create))
        .await;
    decided.map_err(|e| challenge_if_unauthenticated(state, req, e, name, action))
}

/// `e`, or the challenge for `action` on `name` when `e` says the caller must authenticate
/// (what [`authorize`] answers; for handlers that decide inside their own store call).
pub fn challenge_if_unauthenticated(
    state: &AppState,
    req: &HttpRequest,
    e: Error,
    name: &Name,
    action: Action,
) -> Error {
    if e.is(Code::NotAuthenticated) {
        challenge(state, req, Some(&scope(name, action)))
    } else {
        e
    }
}
