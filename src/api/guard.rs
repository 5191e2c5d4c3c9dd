//! The APIs' door for browsers. API routes take Basic credentials, and a browser that has
//! saved them sends them along with any request a page of any site makes it send. Two rules
//! keep another site's page from changing anything through an API:
//!
//! 1. A write (any method but GET, HEAD, OPTIONS, TRACE) that the browser marks as coming
//!    from elsewhere — `Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin` that
//!    is not this server's — is refused: 403 `CROSS_SITE_REQUEST`. The rule is the web UI's
//!    ([`crate::browser::same_origin`]); clients that are not browsers send neither header.
//! 2. A write whose `Content-Type` is one a form can send without a CORS preflight
//!    (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`, whatever
//!    their parameters) is refused with 415 `UNSUPPORTED_MEDIA_TYPE` — except that the
//!    routes whose documented body *is* a form ([`FORM_ROUTES`]) take
//!    `application/x-www-form-urlencoded`. Every other API route takes JSON or no body, except
//!    the registry's (`/v2`), whose blobs and manifests are sent as
//!    `application/octet-stream` or their media type; JSON is still read without a
//!    `Content-Type` (clients that send none), or with any other type
//!    (`application/octet-stream`, `application/json`, ...).
//!
//! Both answers leave in the envelope of the path's dialect (the envelope middleware wraps
//! this one). Web pages are not guarded here: their forms have their own CSRF check
//! (`Posted` in the UI's session module), built on the same same-origin rule.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web;

use crate::api::dialect;
use crate::error::Error;
use crate::AppState;

/// API routes (method, path as routed) whose body is a urlencoded form by the contract: the
/// RegistryUI list, which the seed's own example posts with `curl -d ""`, and
/// `project/create`, which reads its parameters from the query or a form body. `text/plain`
/// and `multipart/form-data` are still refused there, and rule 1 applies to them.
pub const FORM_ROUTES: &[(&str, &str)] = &[
    ("POST", "/udr/v1api/repositories"),
    ("POST", "/udr/v1api/project/create"),
];

/// The body types a page can make a browser send to any site without asking first.
const FORM_TYPES: &[&str] = &["text/plain", URLENCODED, "multipart/form-data"];

const URLENCODED: &str = "application/x-www-form-urlencoded";

/// Middleware (registered in `app()` inside the envelope, which renders the refusals):
/// the two rules above.
pub async fn browser_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Err(e) = check(&req) {
        return Ok(req.error_response(e).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn check(req: &ServiceRequest) -> Result<(), Error> {
    // The path as the router reads it (escapes decoded, slashes normalized), as the
    // envelope picks its dialect.
    let path = req.match_info().as_str();
    if !dialect::is_api_path(path) || !is_write(req.method()) {
        return Ok(());
    }
    let public_address = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.config.public_address.as_deref());
    if !crate::browser::same_origin(req.headers(), public_address) {
        return Err(Error::cross_site_request());
    }
    let takes_form = FORM_ROUTES
        .iter()
        .any(|(m, p)| req.method().as_str() == *m && path == *p);
    let refused = |essence: &[u8]| {
        FORM_TYPES
            .iter()
            .filter(|t| !(takes_form && **t == URLENCODED))
            .any(|t| essence.eq_ignore_ascii_case(t.as_bytes()))
    };
    if content_types(req.headers()).any(refused) {
        if dialect::Dialect::for_path(path) == dialect::Dialect::Registry {
            return Err(Error::new(
                crate::error::Code::UnsupportedMediaType,
                "send blobs as application/octet-stream and manifests as their media type",
            ));
        }
        return Err(Error::unsupported_media_type());
    }
    Ok(())
}

fn is_write(method: &Method) -> bool {
    ![Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(method)
}

/// The media type of each `Content-Type` header, parameters and surrounding space cut.
fn content_types(headers: &header::HeaderMap) -> impl Iterator<Item = &[u8]> {
    headers.get_all(header::CONTENT_TYPE).map(|v| {
        v.as_bytes()
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn refused(method: Method, path: &str, headers: &[(&str, &str)]) -> Option<&'static str> {
        let mut r = TestRequest::default()
            .method(method)
            .uri(path)
            .insert_header(("host", "hub.example:5000"));
        for h in headers {
            r = r.append_header(*h);
        }
        check(&r.to_srv_request()).err().map(|e| e.code.as_str())
    }

    #[test]
    fn form_body_types_are_refused_on_api_writes() {
        for ct in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "TEXT/PLAIN",
            " text/plain ; charset=utf-8",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-16",
            "multipart/form-data; boundary=----x",
        ] {
            for path in [
                "/api/v0/accounts",
                "/v1/users",
                "/api/repo/v1/repository",
                "/udr/v1api/taginfo",
            ] {
                assert_eq!(
                    refused(Method::POST, path, &[("content-type", ct)]),
                    Some("UNSUPPORTED_MEDIA_TYPE"),
                    "{ct} {path}"
                );
            }
        }
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "application/octet-stream",
            "text/plain-ish",
            "",
        ] {
            assert_eq!(
                refused(Method::POST, "/api/v0/accounts", &[("content-type", ct)]),
                None,
                "{ct}"
            );
        }
        assert_eq!(refused(Method::POST, "/api/v0/accounts", &[]), None);
        assert_eq!(
            refused(
                Method::PUT,
                "/v1/users/x",
                &[
                    ("content-type", "application/json"),
                    ("content-type", "text/plain")
                ]
            ),
            Some("UNSUPPORTED_MEDIA_TYPE")
        );
    }

    #[test]
    fn reads_web_pages_and_form_routes_are_not_refused_for_their_type() {
        let form = [("content-type", "application/x-www-form-urlencoded")];
        assert_eq!(refused(Method::GET, "/api/v0/accounts", &form), None);
        assert_eq!(refused(Method::HEAD, "/v1/users", &form), None);
        assert_eq!(refused(Method::POST, "/login", &form), None);
        assert_eq!(
            refused(Method::POST, "/udr/v1api/repositories", &form),
            None
        );
        assert_eq!(
            refused(Method::POST, "/udr/v1api/project/create", &form),
            None
        );
        for ct in ["text/plain", "multipart/form-data; boundary=x"] {
            assert_eq!(
                refused(
                    Method::POST,
                    "/udr/v1api/repositories",
                    &[("content-type", ct)]
                ),
                Some("UNSUPPORTED_MEDIA_TYPE")
            );
        }
    }

    #[test]
    fn cross_site_writes_are_refused_and_reads_are_not() {
        for h in [
            ("origin", "http://evil.example"),
            ("origin", "null"),
            ("origin", "http://hub.example:5001"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
        ] {
            for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
                assert_eq!(
                    refused(m.clone(), "/api/v0/accounts", &[h]),
                    Some("CROSS_SITE_REQUEST"),
                    "{m} {h:?}"
                );
            }
            assert_eq!(
                refused(Method::POST, "/udr/v1api/project/create", &[h]),
                Some("CROSS_SITE_REQUEST")
            );
            assert_eq!(refused(Method::GET, "/api/v0/accounts", &[h]), None);
            // Web forms answer for themselves (Posted).
            assert_eq!(refused(Method::POST, "/login", &[h]), None);
        }
        for h in [
            ("origin", "http://hub.example:5000"),
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-site", "none"),
        ] {
            assert_eq!(
                refused(Method::POST, "/api/v0/accounts", &[h]),
                None,
                "{h:?}"
            );
        }
    }
}
