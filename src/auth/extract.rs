//! Extractors: `MaybeUser` (anonymous allowed) and `User` (401 without credentials). Their
//! errors are domain errors, so they leave in the envelope of the dialect that was hit.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use super::Principal;
use crate::core::policy::Caller;
use crate::error::Error;
use crate::AppState;

/// The caller, if it sent credentials; bad credentials are an error, not anonymity.
pub struct MaybeUser(pub Option<Principal>);

impl MaybeUser {
    pub fn caller(&self) -> Option<Caller> {
        self.0.as_ref().map(Principal::caller)
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
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state missing"))?;
            let principal = state
                .auth
                .authenticate(&state.store, header.as_deref(), ip)
                .await?;
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
                MaybeUser(Some(p)) => Ok(User(p)),
                MaybeUser(None) => Err(Error::unauthorized("authentication required")),
            }
        })
    }
}
