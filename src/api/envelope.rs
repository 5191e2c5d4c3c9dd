//! The envelope: every error response leaves in the shape of the dialect whose path was hit,
//! ours or one the framework made (bad JSON, bad query, unknown route, wrong method, body too
//! large). Which dialect that is, the path decides ([`super::dialect`]); the web dialect's HTML
//! page is drawn by the renderer the UI registers ([`PageRenderer`], defined beside the error
//! so that neither the UI nor this module imports the other), so this module knows no
//! templates.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use serde_json::json;

use super::dialect::{Dialect, OnV1};
use crate::error::{Error, PageRenderer};

/// `e` as the given dialect writes errors; `pages` draws the web dialect's.
pub fn render(e: &Error, dialect: Dialect, pages: PageRenderer) -> HttpResponse {
    let body = match dialect {
        Dialect::Web => return (pages.0)(e),
        Dialect::Dtr => {
            json!({"errors": [{"code": e.code.as_str(), "message": e.message}]})
        }
        Dialect::Registry => json!({"errors": [{
            "code": super::v2::errors::code_of(e),
            "message": e.message,
            "detail": e.detail,
        }]}),
        Dialect::V1 if e.bare => json!(e.message),
        Dialect::V1 | Dialect::Cloud | Dialect::RegistryUi | Dialect::Generic => {
            json!({"error": e.message})
        }
    };
    e.response().json(body)
}

/// Middleware: every error response leaves in the envelope of the dialect whose path was hit.
pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The path as the router reads it: escaped letters decoded (`/%61pi/v0/accounts` is
    // served by the DTR route `/api/v0/accounts`), slashes normalized. The raw path would
    // give that route's errors another dialect's envelope.
    let dialect = Dialect::for_path(req.match_info().as_str());
    let pages = PageRenderer::of(req.request());
    let mut res = match next.call(req).await {
        Ok(res) => res,
        Err(err) => {
            let e = domain_error(&err);
            let mut rendered = render(&e, dialect, pages);
            if dialect == Dialect::Registry {
                super::v2::errors::mark(rendered.headers_mut());
            }
            return Err(actix_web::error::InternalError::from_response(e, rendered).into());
        }
    };
    if dialect == Dialect::Registry {
        super::v2::errors::mark(res.headers_mut());
    }
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_left_body());
    }
    // A web page rendered with an error status on purpose (a form shown again with its
    // message) stays as it is.
    if dialect == Dialect::Web && res.response().error().is_none() && is_html(res.response()) {
        return Ok(res.map_into_left_body());
    }
    let mut e = match res.response().error() {
        Some(err) => domain_error(err),
        None => Error::from_status(status, None),
    };
    // A bare string is the Index's way (its clients compare it); on `/v1`, only where the
    // Index answered. Alauda's routes keep `{"error": ...}` for the same error.
    if e.bare && dialect == Dialect::V1 {
        let req = res.request();
        e.bare = super::dialect::on_v1(req.method(), req.match_pattern().as_deref(), req)
            == Some(OnV1::Index);
    }
    let (req, _) = res.into_parts();
    let mut rendered = render(&e, dialect, pages);
    if dialect == Dialect::Registry {
        super::v2::errors::mark(rendered.headers_mut());
    }
    Ok(ServiceResponse::new(req, rendered).map_into_right_body())
}

fn is_html<B>(res: &HttpResponse<B>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

fn domain_error(err: &actix_web::Error) -> Error {
    if let Some(e) = err.as_error::<Error>() {
        return e.clone();
    }
    let status = err.as_response_error().status_code();
    Error::from_status(status, Some(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `web` fuzz target (`POST /%75%64%72//star` answered an HTML page).
    #[actix_web::test]
    async fn escaped_letters_in_a_prefix_get_the_envelope_of_the_route_that_answers() {
        use actix_web::dev::Service;
        use actix_web::http::StatusCode;
        use actix_web::middleware::{from_fn, NormalizePath};
        use actix_web::{test as actix_test, web, App};

        let app = actix_test::init_service(
            App::new()
                .wrap(from_fn(envelope))
                .wrap(NormalizePath::trim())
                .route(
                    "/api/v0/accounts",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(Error::unauthorized("authentication required"))
                    }),
                ),
        )
        .await;
        for uri in [
            "/api/v0/accounts",
            "/%61pi/v0/accounts",
            "/%61%70%69//v0/accounts/",
        ] {
            let req = actix_test::TestRequest::get().uri(uri).to_request();
            let res = match app.call(req).await {
                Ok(res) => res.into_parts().1.map_into_boxed_body(),
                Err(err) => err.error_response(),
            };
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{uri}");
            assert!(
                res.headers().contains_key(header::WWW_AUTHENTICATE),
                "{uri}"
            );
            let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
            assert_eq!(
                serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
                json!({"errors": [{"code": "NOT_AUTHENTICATED", "message": "authentication required"}]}),
                "{uri}"
            );
        }
    }
}
