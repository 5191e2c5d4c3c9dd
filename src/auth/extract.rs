//! Extractors: `MaybeUser` (anonymous allowed) and `User` (401 without credentials). Their
//! errors are domain errors, so they leave in the envelope of the dialect that was hit.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::Principal;
use crate::core::policy::Caller;
use crate::core::tokens::Access;
use crate::error::Error;
use crate::ops::access::note_caller;
use crate::AppState;

/// The caller, if it sent credentials; bad credentials are an error, not anonymity.
pub struct MaybeUser(pub Option<Principal>);

impl MaybeUser {
    /// The caller on a route that is not about one repository (access tokens count as
    /// anonymous; see [`Principal::general_caller`]).
    pub fn caller(&self) -> Option<Caller> {
        self.0.as_ref().and_then(Principal::general_caller)
    }

    /// The caller for an operation needing `needed` on `repository` (`ns/name`).
    pub fn caller_on(&self, repository: &str, needed: Access) -> Option<Caller> {
        self.0
            .as_ref()
            .and_then(|p| p.caller_on(repository, needed))
    }

    /// Whether the request came with an Index access token (valid or not for this route).
    pub fn has_access_token(&self) -> bool {
        self.0.as_ref().is_some_and(|p| p.access_token().is_some())
    }
}

/// An authenticated, active caller.
pub struct User(pub Principal);

impl User {
    pub fn caller(&self) -> Caller {
        self.0.caller()
    }
}

impl FromRequest for MaybeUser {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        let ip = req.peer_addr().map(|a| a.ip());
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state missing"))?;
            let principal = state
                .auth
                .authenticate(&state.store, header.as_deref(), ip)
                .await?;
            if let Some(p) = &principal {
                note_caller(&req, &p.user.name, p.via.label());
            }
            Ok(MaybeUser(principal))
        })
    }
}

impl FromRequest for User {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeUser::from_request(req, payload);
        Box::pin(async move {
            match maybe.await? {
                // An access token is no login: it is valid on its repository's routes only.
                MaybeUser(Some(p)) if p.access_token().is_some() => Err(Error::unauthorized(
                    "an access token is valid only on its repository's routes",
                )),
                MaybeUser(Some(p)) => Ok(User(p)),
                MaybeUser(None) => Err(Error::unauthorized("authentication required")),
            }
        })
    }
}
