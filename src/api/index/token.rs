//! Handing out access tokens: when a request carries `X-Docker-Token: true`, a successful
//! answer carries `X-Docker-Token`, `WWW-Authenticate: Token ...` and `X-Docker-Endpoints`.

use actix_web::http::header::{HeaderName, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::auth::extract::MaybeUser;
use crate::core::tokens::{self, Access};
use crate::error::Result;
use crate::AppState;

pub const X_DOCKER_TOKEN: HeaderName = HeaderName::from_static("x-docker-token");
pub const X_DOCKER_ENDPOINTS: HeaderName = HeaderName::from_static("x-docker-endpoints");

/// Whether the client asked for a token.
pub fn wanted(req: &HttpRequest) -> bool {
    req.headers()
        .get(&X_DOCKER_TOKEN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The answer to an operation on `repository` that needed `access`: `status`, with the token
/// headers when the client asked for a token and may have one ([`TokenHeaders::issue`]).
/// Call after the operation succeeded.
pub async fn answer(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    who: &MaybeUser,
    repository: &str,
    access: Access,
    status: StatusCode,
) -> Result<HttpResponseBuilder> {
    let headers = TokenHeaders::issue(state, req, who, repository, access).await?;
    let mut res = HttpResponse::build(status);
    headers.apply(&mut res);
    Ok(res)
}

/// Token headers for a response, or none.
#[derive(Debug, Default)]
struct TokenHeaders(Option<(String, String)>);

impl TokenHeaders {
    /// Issue a token on `repository` for `access` when the client asked for one and may have
    /// it: a signed-in caller gets its own; an anonymous caller (no credentials at all) gets
    /// an anonymous read token for a read, which reads no more than it could without one (the
    /// operation it follows succeeded anonymously, so the repository is public). A request
    /// made with an access token gets none: a token must not renew itself past its expiry.
    /// Call after the operation succeeded.
    async fn issue(
        state: &web::Data<AppState>,
        req: &HttpRequest,
        who: &MaybeUser,
        repository: &str,
        access: Access,
    ) -> Result<TokenHeaders> {
        if !wanted(req) || who.has_access_token() {
            return Ok(TokenHeaders(None));
        }
        let holder = match who.caller_on(repository, access) {
            Some(caller) => Some(caller.user_id),
            None if who.is_anonymous() && access == Access::Read => None,
            None => return Ok(TokenHeaders(None)),
        };
        let repository = repository.to_owned();
        let value = state
            .store
            .run(move |c| match holder {
                Some(user_id) => tokens::issue(c, user_id, &repository, access),
                None => tokens::issue_anonymous_read(c, &repository),
            })
            .await?;
        Ok(TokenHeaders(Some((value, state.public_host(req)))))
    }

    fn apply(&self, res: &mut HttpResponseBuilder) {
        if let Some((value, endpoint)) = &self.0 {
            res.insert_header((X_DOCKER_TOKEN, value.as_str()));
            res.insert_header((WWW_AUTHENTICATE, format!("Token {value}")));
            res.insert_header((X_DOCKER_ENDPOINTS, endpoint.as_str()));
        }
    }
}
