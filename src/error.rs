//! One domain error for the whole application, and one renderer per dialect.
//!
//! Handlers and extractors return [`Error`]. The [`envelope`] middleware, which wraps every
//! route, renders any error response — ours, or one the framework made (bad JSON, bad query,
//! unknown route, wrong method, body too large) — in the envelope of the dialect whose path
//! was hit (API-NOTES section 0). A 5xx says "internal error" to the client and logs the cause.

use std::borrow::Cow;
use std::fmt;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure the client is told about: status, a stable machine code and a message that is
/// safe to show (never a secret, never an internal cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Cow<'static, str>,
    /// Seconds, for 429 answers.
    pub retry_after: Option<u64>,
    /// The Index dialect answers this error as a bare JSON string (real clients compare it).
    pub bare: bool,
    /// Ask for Basic credentials (`WWW-Authenticate`) on a 401.
    pub challenge: bool,
}

impl Error {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error {
            status,
            code,
            message: message.into(),
            retry_after: None,
            bare: false,
            challenge: false,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(StatusCode::CONFLICT, code, message)
    }

    /// No usable credentials: 401 with a Basic challenge.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Error::new(StatusCode::UNAUTHORIZED, "NOT_AUTHENTICATED", message);
        e.challenge = true;
        e
    }

    pub fn too_many_attempts(retry_after: u64) -> Self {
        let mut e = Error::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_ATTEMPTS",
            "too many failed login attempts; try again later",
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    pub fn account_inactive() -> Self {
        let mut e = Error::forbidden("ACCOUNT_INACTIVE", "Account is not Active");
        e.bare = true;
        e
    }

    /// The one answer for "no such repository" and "you may not see it".
    pub fn no_such_repository() -> Self {
        Error::not_found("NO_SUCH_REPOSITORY", "no such repository")
    }

    pub fn no_such_account() -> Self {
        Error::not_found("NO_SUCH_ACCOUNT", "no such account")
    }

    pub fn not_authorized() -> Self {
        Error::forbidden("NOT_AUTHORIZED", "the client is not authorized")
    }

    /// A body that is not the JSON the route takes. serde quotes the offending value of an
    /// "invalid type" or "invalid value" between backticks; that value is cut, so a password
    /// sent as a number is never echoed (field names stay: they help and are not secret).
    pub fn invalid_json(detail: impl fmt::Display) -> Self {
        let detail = detail.to_string();
        let quotes_a_value = ["invalid type: ", "invalid value: "]
            .iter()
            .any(|p| detail.contains(p));
        let redacted = match (quotes_a_value, detail.split_once(", expected")) {
            (true, Some((head, tail))) => {
                let head: String = head
                    .split('`')
                    .enumerate()
                    .filter(|(i, _)| i % 2 == 0)
                    .map(|(_, part)| part)
                    .collect::<Vec<_>>()
                    .join("…");
                format!("{head}, expected{tail}")
            }
            _ => detail,
        };
        Error::bad_request("INVALID_JSON", format!("invalid JSON body: {redacted}"))
    }

    pub fn payload_too_large() -> Self {
        Error::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "request body is larger than 1 MiB",
        )
    }

    /// A body type a browser form can send (`text/plain`, `application/x-www-form-urlencoded`,
    /// `multipart/form-data`) on an API route that takes JSON (see `api::guard`).
    pub fn unsupported_media_type() -> Self {
        Error::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "this route takes a JSON body: send it as Content-Type: application/json",
        )
    }

    /// A write that a browser says comes from another site's page (see `api::guard`).
    pub fn cross_site_request() -> Self {
        Error::forbidden(
            "CROSS_SITE_REQUEST",
            "a page of another site may not change anything here",
        )
    }

    /// An internal failure: the cause goes to the log, the client sees "internal error".
    pub fn internal(cause: impl fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Error::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "internal error",
        )
    }

    /// A failure of an operator command (`berth admin ...`), with its full cause: the CLI
    /// prints it. Never answered over HTTP, where causes stay in the log.
    pub fn operator(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(StatusCode::INTERNAL_SERVER_ERROR, "OPERATOR", message)
    }

    pub fn with_bare(mut self) -> Self {
        self.bare = true;
        self
    }

    /// The error a framework failure of this status maps to.
    fn from_status(status: StatusCode, detail: Option<String>) -> Self {
        match status {
            StatusCode::NOT_FOUND => Error::not_found("NOT_FOUND", "not found"),
            StatusCode::METHOD_NOT_ALLOWED => {
                Error::new(status, "METHOD_NOT_ALLOWED", "method not allowed")
            }
            StatusCode::PAYLOAD_TOO_LARGE => Error::payload_too_large(),
            StatusCode::UNAUTHORIZED => Error::unauthorized("authentication required"),
            s if s.is_server_error() => {
                Error::internal(detail.as_deref().unwrap_or("framework error"))
            }
            s => Error::new(
                s,
                "INVALID_REQUEST",
                detail.unwrap_or_else(|| s.canonical_reason().unwrap_or("bad request").to_owned()),
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for Error {}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.render(Dialect::Generic)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::internal(format_args!("sqlite: {e}"))
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Self {
        Error::internal(format_args!("connection pool: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for Error {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Error::internal(format_args!("blocking task: {e}"))
    }
}

/// The API surfaces, told apart by path prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/api/v0`: `{"errors":[{"code","message"}]}`.
    Dtr,
    /// `/v1` (Index and Alauda share it): `{"error": "..."}`, or a bare string where marked.
    V1,
    /// `/api/repo/v1`: `{"error": "..."}`.
    Cloud,
    /// `/udr/v1api`: `{"error": "..."}`.
    RegistryUi,
    /// Other API paths (`/api`, `/v2`, `/udr`, `/healthz`, `/metrics`): `{"error": "..."}`.
    Generic,
    /// The web UI (every other path): an HTML error page in the site's layout, never a
    /// Basic challenge.
    Web,
}

impl Dialect {
    pub fn for_path(path: &str) -> Dialect {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under("/api/v0") {
            Dialect::Dtr
        } else if under("/api/repo/v1") {
            Dialect::Cloud
        } else if under("/udr/v1api") {
            Dialect::RegistryUi
        } else if under("/v1") {
            Dialect::V1
        } else if ["/api", "/v2", "/udr", "/healthz", "/metrics"]
            .iter()
            .any(|p| under(p))
        {
            Dialect::Generic
        } else {
            Dialect::Web
        }
    }
}

impl Error {
    /// This error as the given dialect writes errors.
    pub fn render(&self, dialect: Dialect) -> HttpResponse {
        let body = match dialect {
            Dialect::Web => return crate::ui::error_page(self),
            Dialect::Dtr => json!({"errors": [{"code": self.code, "message": self.message}]}),
            Dialect::V1 if self.bare => json!(self.message),
            Dialect::V1 | Dialect::Cloud | Dialect::RegistryUi | Dialect::Generic => {
                json!({"error": self.message})
            }
        };
        let mut res = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.challenge && self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"berth\""),
            ));
        }
        res.json(body)
    }
}

/// Middleware: every error response leaves in the envelope of the dialect whose path was hit.
pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> std::result::Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The path as the router reads it: escaped letters decoded (`/%61pi/v0/accounts` is
    // served by the DTR route `/api/v0/accounts`), slashes normalized. The raw path would
    // give that route's errors another dialect's envelope.
    let dialect = Dialect::for_path(req.match_info().as_str());
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(err) => {
            let e = domain_error(&err);
            let rendered = e.render(dialect);
            return Err(actix_web::error::InternalError::from_response(e, rendered).into());
        }
    };
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_left_body());
    }
    // A web page rendered with an error status on purpose (a form shown again with its
    // message) stays as it is.
    if dialect == Dialect::Web && res.response().error().is_none() && is_html(res.response()) {
        return Ok(res.map_into_left_body());
    }
    let e = match res.response().error() {
        Some(err) => domain_error(err),
        None => Error::from_status(status, None),
    };
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, e.render(dialect)).map_into_right_body())
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

    #[test]
    fn dialect_follows_the_path_prefix() {
        assert_eq!(Dialect::for_path("/api/v0/repositories/x"), Dialect::Dtr);
        assert_eq!(Dialect::for_path("/api/v0"), Dialect::Dtr);
        assert_eq!(Dialect::for_path("/api/v00"), Dialect::Generic);
        assert_eq!(
            Dialect::for_path("/api/repo/v1/repository/"),
            Dialect::Cloud
        );
        assert_eq!(
            Dialect::for_path("/udr/v1api/repositories"),
            Dialect::RegistryUi
        );
        assert_eq!(Dialect::for_path("/v1/users"), Dialect::V1);
        assert_eq!(Dialect::for_path("/v1x"), Dialect::Web);
        assert_eq!(Dialect::for_path("/healthz"), Dialect::Generic);
        assert_eq!(Dialect::for_path("/api/v00"), Dialect::Generic);
        assert_eq!(Dialect::for_path("/v2"), Dialect::Generic);
        assert_eq!(Dialect::for_path("/"), Dialect::Web);
        assert_eq!(Dialect::for_path("/admin/app"), Dialect::Web);
        assert_eq!(Dialect::for_path("/-/admin"), Dialect::Web);
    }

    /// Found by the `web` fuzz target (`POST /%75%64%72//star` answered an HTML page).
    #[actix_web::test]
    async fn escaped_letters_in_a_prefix_get_the_envelope_of_the_route_that_answers() {
        use actix_web::dev::Service;
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

    #[test]
    fn invalid_json_never_echoes_values() {
        let e = serde_json::from_str::<String>("12345678").unwrap_err();
        let msg = Error::invalid_json(e).message;
        assert!(!msg.contains("12345678"), "{msg}");
        assert!(
            msg.starts_with("invalid JSON body: invalid type: integer"),
            "{msg}"
        );
    }

    #[test]
    fn framework_statuses_map_to_stable_codes() {
        assert_eq!(
            Error::from_status(StatusCode::NOT_FOUND, None).code,
            "NOT_FOUND"
        );
        assert_eq!(
            Error::from_status(StatusCode::PAYLOAD_TOO_LARGE, None).status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        let e = Error::from_status(
            StatusCode::BAD_REQUEST,
            Some("Json deserialize error".into()),
        );
        assert_eq!(
            (e.code, e.message.as_ref()),
            ("INVALID_REQUEST", "Json deserialize error")
        );
    }
}
