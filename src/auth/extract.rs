//! Extractors: `MaybeUser` (anonymous allowed) and `User` (401 without credentials). Both
//! hand a handler the policy's [`Caller`], the one type handlers and pages (`ui::session`)
//! speak of the caller in. Their errors are domain errors, so they leave in the envelope of
//! the dialect that was hit.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::Identity;
use crate::core::policy::{Caller, Proof};
use crate::core::tokens::Access;
use crate::error::Error;
use crate::ops::access::note_caller;
use crate::AppState;

/// The caller, if it sent credentials; bad credentials are an error, not anonymity.
pub struct MaybeUser {
    /// Who the caller is on a route that is not about one repository: `None` for anonymous,
    /// and for an Index access token, which is valid on its own repository's routes only
    /// (see [`MaybeUser::caller_on`]).
    pub caller: Option<Caller>,
    identity: Option<Identity>,
}

impl MaybeUser {
    fn new(identity: Option<Identity>) -> Self {
        MaybeUser {
            caller: identity.as_ref().and_then(Identity::general_caller),
            identity,
        }
    }

    /// The caller for an operation needing `needed` on `repository` (`ns/name`).
    pub fn caller_on(&self, repository: &str, needed: Access) -> Option<Caller> {
        self.identity
            .as_ref()
            .and_then(|i| i.caller_on(repository, needed))
    }

    /// Whether the request came with an Index access token (valid or not for this route),
    /// a user's or an anonymous one.
    pub fn has_access_token(&self) -> bool {
        self.identity
            .as_ref()
            .is_some_and(|i| i.access_token().is_some())
    }

    /// Whether the request came with an Index access token that opens `repository` for
    /// `needed` (a client pulling with the token it was given).
    pub fn token_on(&self, repository: &str, needed: Access) -> bool {
        self.identity
            .as_ref()
            .is_some_and(|i| i.token_on(repository, needed).is_some())
    }

    /// Whether the request carried no credentials at all.
    pub fn is_anonymous(&self) -> bool {
        self.identity.is_none()
    }
}

/// An authenticated, active caller.
pub struct User {
    pub caller: Caller,
    /// What the credential proved (a password change asks).
    pub proof: Proof,
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
            let identity = state
                .auth
                .identify(&state.store, header.as_deref(), ip)
                .await?;
            // An anonymous token proves no account: the log's caller stays null.
            if let Some(p) = identity.as_ref().and_then(Identity::principal) {
                note_caller(&req, &p.user.name, p.via.label());
            }
            Ok(MaybeUser::new(identity))
        })
    }
}

impl FromRequest for User {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeUser::from_request(req, payload);
        Box::pin(async move {
            match maybe.await?.identity {
                // An access token is no login: it is valid on its repository's routes only.
                Some(i) if i.access_token().is_some() => Err(Error::unauthorized(
                    "an access token is valid only on its repository's routes",
                )),
                Some(Identity::User(p)) => Ok(User {
                    caller: p.caller(),
                    proof: p.proof(),
                }),
                Some(Identity::AnonymousToken(_)) | None => {
                    Err(Error::unauthorized("authentication required"))
                }
            }
        })
    }
}
