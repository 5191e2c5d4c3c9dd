//! One domain error for the whole application: a registered code ([`Code`], with its status),
//! a message that is safe to show, and the few flags some dialects need.
//!
//! Handlers, extractors and the core return [`Error`]; `api::envelope` writes it in the
//! envelope of the dialect whose path was hit (`docs/contract.md`). A 5xx says "internal
//! error" to the client and logs the cause. Which codes exist, and with which status, is
//! `codes.rs` (listed for readers in `docs/errors.md`); what of a deserializer's message may be
//! repeated to a client is `safe.rs`. This module knows no dialect and no page.

use std::borrow::Cow;
use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use serde_json::json;

mod codes;
mod safe;

pub use codes::Code;
use safe::framework_summary;
pub use safe::{client_safe, with_safe_detail};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure the client is told about: status, a stable machine code and a message that is
/// safe to show (never a secret, never an internal cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: StatusCode,
    pub code: Code,
    pub message: Cow<'static, str>,
    /// Seconds, for 429 answers.
    pub retry_after: Option<u64>,
    /// The Index dialect answers this error as a bare JSON string (real clients compare it).
    pub bare: bool,
    /// Ask for Basic credentials (`WWW-Authenticate`) on a 401.
    pub challenge: bool,
    /// A `WWW-Authenticate` value other than the Basic one (the registry's Bearer challenge),
    /// sent on a 401 instead of it.
    pub www_authenticate: Option<String>,
    /// The registry envelope's `detail` (`{"errors":[{"code","message","detail"}]}`).
    pub detail: Option<serde_json::Value>,
    /// Headers the answer carries besides the body (a 416's `Content-Range`, the registry's
    /// `Range` of an upload that refused a chunk).
    /// Boxed: most errors have none, and every `Result` carries this type.
    pub headers: Option<Box<Vec<(&'static str, String)>>>,
}

impl Error {
    /// An error with `code` (and the status registered for it) and a message safe to show.
    pub fn new(code: Code, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            status: code.status(),
            code,
            message: message.into(),
            retry_after: None,
            bare: false,
            challenge: false,
            www_authenticate: None,
            detail: None,
            headers: None,
        }
    }

    /// This error with a header of its own on the answer.
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.get_or_insert_default().push((name, value));
        self
    }

    /// This error with a `WWW-Authenticate` value of its own (sent on a 401).
    pub fn with_www_authenticate(mut self, value: String) -> Self {
        self.www_authenticate = Some(value);
        self
    }

    /// This error with a `detail` for the registry envelope.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// No usable credentials: 401 with a Basic challenge.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Error::new(Code::NotAuthenticated, message);
        e.challenge = true;
        e
    }

    pub fn too_many_attempts(retry_after: u64) -> Self {
        let mut e = Error::new(
            Code::TooManyAttempts,
            "too many failed login attempts; try again later",
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    pub fn account_inactive() -> Self {
        let mut e = Error::new(Code::AccountInactive, "Account is not Active");
        e.bare = true;
        e
    }

    /// Whether this is the error with `code`: compare codes, never whole errors (messages and
    /// flags may differ between two answers of one kind) or statuses (many codes share one).
    pub fn is(&self, code: Code) -> bool {
        self.code == code
    }

    /// `replacement` when this error is a not-found (by its code's status), anything else (a
    /// store failure) as it is, so a failure is never turned into a 404.
    pub fn or_not_found_as(self, replacement: Error) -> Error {
        if self.status == StatusCode::NOT_FOUND {
            replacement
        } else {
            self
        }
    }

    /// The one answer for "no such repository" and "you may not see it".
    pub fn no_such_repository() -> Self {
        Error::new(Code::NoSuchRepository, "no such repository")
    }

    pub fn no_such_account() -> Self {
        Error::new(Code::NoSuchAccount, "no such account")
    }

    pub fn not_authorized() -> Self {
        Error::new(Code::NotAuthorized, "the client is not authorized")
    }

    /// A body that is not the JSON the route takes. The message keeps what serde says about
    /// our side (the kind of value expected, our field and variant names, the line and
    /// column) and drops everything the client sent: values, unknown field and variant names.
    pub fn invalid_json(detail: impl fmt::Display) -> Self {
        Error::new(
            Code::InvalidJson,
            with_safe_detail("invalid JSON body", &detail.to_string()),
        )
    }

    /// A query string that does not fit the route's parameters; `detail` is the
    /// deserializer's message, cut as [`Error::invalid_json`] cuts.
    pub fn invalid_query(detail: impl fmt::Display) -> Self {
        Error::new(
            Code::InvalidQuery,
            with_safe_detail("invalid query string", &detail.to_string()),
        )
    }

    /// A request body that stopped arriving (the body timeout): the connection is closed.
    pub fn request_timeout() -> Self {
        Error::new(Code::RequestTimeout, "the request body stopped arriving")
    }

    pub fn payload_too_large() -> Self {
        Error::new(Code::PayloadTooLarge, "request body is larger than 1 MiB")
    }

    /// A body type a browser form can send (`text/plain`, `application/x-www-form-urlencoded`,
    /// `multipart/form-data`) on an API route that takes JSON (see `api::guard`).
    pub fn unsupported_media_type() -> Self {
        Error::new(
            Code::UnsupportedMediaType,
            "this route takes a JSON body: send it as Content-Type: application/json",
        )
    }

    /// A write that a browser says comes from another site's page (see `api::guard`).
    pub fn cross_site_request() -> Self {
        Error::new(
            Code::CrossSiteRequest,
            "a page of another site may not change anything here",
        )
    }

    /// The disk or the store is full: 507, nothing was stored (the cause is logged where it
    /// was seen).
    pub fn insufficient_storage() -> Self {
        Error::new(
            Code::InsufficientStorage,
            "the server's storage is full; nothing was stored",
        )
    }

    /// An internal failure: the cause goes to the log, the client sees "internal error".
    pub fn internal(cause: impl fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Error::new(Code::InternalError, "internal error")
    }

    /// A failure of an operator command (`berth admin ...`), with its full cause: the CLI
    /// prints it. Never answered over HTTP, where causes stay in the log.
    pub fn operator(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(Code::Operator, message)
    }

    pub fn with_bare(mut self) -> Self {
        self.bare = true;
        self
    }

    /// The error a framework failure of this status maps to.
    pub fn from_status(status: StatusCode, detail: Option<String>) -> Self {
        match status {
            StatusCode::NOT_FOUND => Error::new(Code::NotFound, "not found"),
            StatusCode::METHOD_NOT_ALLOWED => {
                Error::new(Code::MethodNotAllowed, "method not allowed")
            }
            StatusCode::PAYLOAD_TOO_LARGE => Error::payload_too_large(),
            StatusCode::UNAUTHORIZED => Error::unauthorized("authentication required"),
            s if s.is_server_error() => {
                Error::internal(detail.as_deref().unwrap_or("framework error"))
            }
            s => {
                let reason = || s.canonical_reason().unwrap_or("bad request").to_owned();
                let mut e = Error::new(
                    Code::InvalidRequest,
                    detail.map_or_else(reason, |d| framework_summary(&d).unwrap_or_else(reason)),
                );
                // The one code whose status is not fixed: the framework's own refusal (411,
                // 414, 431, ...) is kept, since its status says more than any code would.
                e.status = s;
                e
            }
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

impl Error {
    /// An answer with this error's status and headers (`Retry-After`, the Basic challenge of
    /// a 401 that asks for one); the dialect's envelope writes the body.
    pub fn response(&self) -> HttpResponseBuilder {
        let mut res = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        for (name, value) in self.headers.iter().flat_map(|h| h.iter()) {
            if let Ok(value) = HeaderValue::from_str(value) {
                res.insert_header((*name, value));
            }
        }
        if let (Some(value), StatusCode::UNAUTHORIZED) = (&self.www_authenticate, self.status) {
            if let Ok(value) = HeaderValue::from_str(value) {
                res.insert_header((header::WWW_AUTHENTICATE, value));
            }
        } else if self.challenge && self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"berth\""),
            ));
        }
        res
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// Outside the envelope middleware (which renders every answer of the app in its
    /// dialect's shape) an error is the generic `{"error": message}`.
    fn error_response(&self) -> HttpResponse {
        self.response().json(json!({"error": self.message}))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        if matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull)
        {
            log::error!("sqlite: {e}");
            return Error::insufficient_storage();
        }
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

/// How the web dialect draws an error: an HTML page in the site's layout, never a Basic
/// challenge. The web UI registers its renderer as app data (`ui::configure`); an app that
/// serves no pages falls back to [`PageRenderer::PLAIN`].
#[derive(Clone, Copy)]
pub struct PageRenderer(pub fn(&Error) -> HttpResponse);

impl PageRenderer {
    /// A bare HTML page with the status: no layout, no message.
    pub const PLAIN: PageRenderer = PageRenderer(plain_page);

    /// The renderer registered with the app serving `req`.
    pub fn of(req: &HttpRequest) -> PageRenderer {
        req.app_data::<PageRenderer>()
            .copied()
            .unwrap_or(PageRenderer::PLAIN)
    }
}

fn plain_page(e: &Error) -> HttpResponse {
    let mut res = HttpResponse::build(e.status);
    res.content_type("text/html; charset=utf-8");
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(secs) = e.retry_after {
        res.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    res.body(format!(
        "<!doctype html><title>{}</title>",
        e.status.as_u16()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_told_apart_by_code_and_store_failures_stay_failures() {
        assert!(Error::no_such_repository().is(Code::NoSuchRepository));
        assert!(!Error::no_such_account().is(Code::NoSuchRepository));
        let page_404 = || Error::new(Code::NotFound, "not found");
        assert!(Error::no_such_account()
            .or_not_found_as(page_404())
            .is(Code::NotFound));
        let failure = Error::internal("disk I/O error");
        assert_eq!(failure.clone().or_not_found_as(page_404()), failure);
        let refused = Error::not_authorized();
        assert_eq!(refused.clone().or_not_found_as(page_404()), refused);
    }

    #[test]
    fn framework_statuses_map_to_stable_codes() {
        assert_eq!(
            Error::from_status(StatusCode::NOT_FOUND, None).code,
            Code::NotFound
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
            (Code::InvalidRequest, "Json deserialize error")
        );
    }
}
