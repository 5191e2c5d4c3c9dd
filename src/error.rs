//! One domain error for the whole application, and one renderer per dialect.
//!
//! Handlers and extractors return [`Error`]. The [`envelope`] middleware, which wraps every
//! route, renders any error response — ours, or one the framework made (bad JSON, bad query,
//! unknown route, wrong method, body too large) — in the envelope of the dialect whose path
//! was hit (`docs/contract.md`). A 5xx says "internal error" to the client and logs the cause.
//! Which dialect that is, the path decides ([`crate::api::dialect`]); the web dialect's HTML
//! page is drawn by the renderer the UI registers ([`PageRenderer`]), so this module knows
//! no templates.

use std::borrow::Cow;
use std::fmt;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::api::dialect::Dialect;

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

    /// Whether this is the error with `code`: compare codes, never whole errors (messages and
    /// flags may differ between two answers of one kind) or statuses (many codes share one).
    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// This error when it is a not-found (its code), anything else (a store failure) as it
    /// is, so a failure is never turned into a 404.
    pub fn or_not_found_as(self, replacement: Error) -> Error {
        if self.status == StatusCode::NOT_FOUND {
            replacement
        } else {
            self
        }
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

    /// A body that is not the JSON the route takes. The message keeps what serde says about
    /// our side (the kind of value expected, our field and variant names, the line and
    /// column) and drops everything the client sent: values, unknown field and variant names.
    pub fn invalid_json(detail: impl fmt::Display) -> Self {
        Error::bad_request(
            "INVALID_JSON",
            with_safe_detail("invalid JSON body", &detail.to_string()),
        )
    }

    /// A query string that does not fit the route's parameters; `detail` is the
    /// deserializer's message, cut as [`Error::invalid_json`] cuts.
    pub fn invalid_query(detail: impl fmt::Display) -> Self {
        Error::bad_request(
            "INVALID_QUERY",
            with_safe_detail("invalid query string", &detail.to_string()),
        )
    }

    /// A request body that stopped arriving (the body timeout): the connection is closed.
    pub fn request_timeout() -> Self {
        Error::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            "the request body stopped arriving",
        )
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
            s => {
                let reason = || s.canonical_reason().unwrap_or("bad request").to_owned();
                Error::new(
                    s,
                    "INVALID_REQUEST",
                    detail.map_or_else(reason, |d| framework_summary(&d).unwrap_or_else(reason)),
                )
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

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.render(Dialect::Generic, PageRenderer::PLAIN)
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

impl Error {
    /// This error as the given dialect writes errors; `pages` draws the web dialect's.
    pub fn render(&self, dialect: Dialect, pages: PageRenderer) -> HttpResponse {
        let body = match dialect {
            Dialect::Web => return (pages.0)(self),
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
    let pages = PageRenderer::of(req.request());
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(err) => {
            let e = domain_error(&err);
            let rendered = e.render(dialect, pages);
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
    Ok(ServiceResponse::new(req, e.render(dialect, pages)).map_into_right_body())
}

/// A framework error's own words (`Json deserialize error: ...` is `Json deserialize error`):
/// the part before any detail, which is where frameworks put what the client sent.
fn framework_summary(detail: &str) -> Option<String> {
    let head = detail.split(':').next().unwrap_or("").trim();
    let quotes = |c: char| matches!(c, '"' | '`' | '\'');
    (!head.is_empty() && !head.contains(quotes)).then(|| head.to_owned())
}

/// `"{what}: {detail}"` with [`client_safe`]'s version of a deserializer's message, or just
/// `what` when nothing of it is safe to repeat.
pub fn with_safe_detail(what: &str, detail: &str) -> String {
    match client_safe(detail) {
        Some(safe) => format!("{what}: {safe}"),
        None => what.to_owned(),
    }
}

/// What a serde (JSON, query string, form) error message says, rebuilt from its parts that
/// come from our own types: the kinds of value involved, what was expected, our field names,
/// the position. Anything the client sent (a value, an unknown field or variant name, a
/// length) is left out, replaced by `…`. A message of another shape is not repeated at all
/// (`None`): a custom deserializer could have quoted its input in it.
pub fn client_safe(detail: &str) -> Option<String> {
    // The framework's wrappers say nothing the route's name does not.
    let mut msg = detail.trim();
    for wrapper in ["Query deserialize error: ", "Json deserialize error: "] {
        msg = msg.strip_prefix(wrapper).unwrap_or(msg);
    }
    // serde_json ends with the position; it is ours to say.
    let (msg, position) = match msg.rsplit_once(" at line ") {
        Some((head, pos)) if is_position(pos) => (head, format!(" at line {pos}")),
        _ => (msg, String::new()),
    };
    let safe = rebuild(msg)?;
    Some(format!("{safe}{position}"))
}

/// `N column M`.
fn is_position(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    s.split_once(" column ")
        .is_some_and(|(line, col)| digits(line) && digits(col))
}

/// serde's messages without the client's text (see [`client_safe`]).
fn rebuild(msg: &str) -> Option<String> {
    // `{client text}, expected {ours}`: ours is the part after the *last* ", expected ", since
    // the client's text comes first and may itself contain that separator.
    let expected = |rest: &str| {
        rest.rsplit_once(", expected ")
            .map(|(_, exp)| format!(", expected {exp}"))
    };
    for (prefix, label) in [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let (unexpected, exp) = match rest.rsplit_once(", expected ") {
                Some((u, e)) => (u, format!(", expected {e}")),
                None => (rest, String::new()),
            };
            return Some(format!("{label}: {}{exp}", value_kind(unexpected)));
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        return Some(format!(
            "invalid length{}",
            expected(rest).unwrap_or_default()
        ));
    }
    for (prefix, none) in [
        ("unknown variant ", ", there are no variants"),
        ("unknown field ", ", there are no fields"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let tail = if rest.ends_with(none) {
                none.to_owned()
            } else {
                expected(rest).unwrap_or_default()
            };
            return Some(format!("{}…{tail}", prefix));
        }
    }
    // Names from our own structs: plain identifiers between backticks.
    for prefix in ["missing field ", "duplicate field "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let name = rest.strip_prefix('`').and_then(|r| r.strip_suffix('`'));
            return Some(match name {
                Some(n) if is_identifier(n) => msg.to_owned(),
                _ => format!("{prefix}…"),
            });
        }
    }
    // Fixed texts: serde_json's syntax errors, the std parse errors serde_urlencoded repeats.
    const FIXED: &[&str] = &[
        "EOF while parsing a list",
        "EOF while parsing an object",
        "EOF while parsing a string",
        "EOF while parsing a value",
        "expected `:`",
        "expected `,` or `]`",
        "expected `,` or `}`",
        "expected ident",
        "expected value",
        "expected `\"`",
        "invalid escape",
        "invalid number",
        "number out of range",
        "invalid unicode code point",
        "control character (\\u0000-\\u001F) found while parsing a string",
        "key must be a string",
        "invalid value: expected key to be a number in quotes",
        "float key must be finite (got NaN or +/-inf)",
        "lone leading surrogate in hex escape",
        "trailing comma",
        "trailing characters",
        "unexpected end of hex escape",
        "recursion limit exceeded",
        "invalid digit found in string",
        "cannot parse integer from empty string",
        "number too large to fit in target type",
        "number too small to fit in target type",
        "invalid float literal",
        "provided string was not `true` or `false`",
    ];
    if FIXED.contains(&msg) {
        return Some(msg.to_owned());
    }
    if let Some(name) = msg.strip_prefix("data did not match any variant of untagged enum ") {
        if is_identifier(name) {
            return Some(msg.to_owned());
        }
    }
    None
}

/// The kind of an unexpected value as serde names it (`string "x"` is `string …`), without
/// the value; a kind serde does not name is `a value`.
fn value_kind(unexpected: &str) -> String {
    const KINDS: &[&str] = &[
        "boolean",
        "integer",
        "floating point",
        "character",
        "string",
        "byte array",
        "unit value",
        "Option value",
        "newtype struct",
        "sequence",
        "map",
        "enum",
        "unit variant",
        "newtype variant",
        "tuple variant",
        "struct variant",
        "null",
    ];
    for kind in KINDS {
        if unexpected == *kind {
            return (*kind).to_owned();
        }
        if unexpected
            .strip_prefix(kind)
            .is_some_and(|rest| rest.starts_with(' '))
        {
            return format!("{kind} …");
        }
    }
    "a value …".to_owned()
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
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
    fn errors_are_told_apart_by_code_and_store_failures_stay_failures() {
        assert!(Error::no_such_repository().is("NO_SUCH_REPOSITORY"));
        assert!(!Error::no_such_account().is("NO_SUCH_REPOSITORY"));
        let page_404 = || Error::not_found("NOT_FOUND", "not found");
        assert!(Error::no_such_account()
            .or_not_found_as(page_404())
            .is("NOT_FOUND"));
        let failure = Error::internal("disk I/O error");
        assert_eq!(failure.clone().or_not_found_as(page_404()), failure);
        let refused = Error::not_authorized();
        assert_eq!(refused.clone().or_not_found_as(page_404()), refused);
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

    /// The client's text in every position serde quotes it, for JSON and query strings.
    #[test]
    fn deserializer_messages_never_echo_the_client() {
        use serde::Deserialize;

        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum Visibility {
            #[serde(rename = "public")]
            Public,
            #[serde(rename = "private")]
            Private,
        }
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            name: String,
            count: Option<u32>,
            visibility: Option<Visibility>,
            tags: Option<[String; 2]>,
            flag: Option<bool>,
            letter: Option<char>,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Query {
            skip: Option<u32>,
            visibility: Option<Visibility>,
            flag: Option<bool>,
        }

        const S: &str = "Sekr1t, expected hunter2";
        let json = |body: String| {
            let e = serde_json::from_str::<Body>(&body).unwrap_err();
            Error::invalid_json(e).message.into_owned()
        };
        let value = |body: serde_json::Value| {
            let e = serde_json::from_value::<Body>(body).unwrap_err();
            Error::invalid_json(e).message.into_owned()
        };
        let query = |q: String| {
            let e = serde_urlencoded::from_str::<Query>(&q).unwrap_err();
            Error::invalid_query(e).message.into_owned()
        };
        let cases: Vec<(String, &str)> = vec![
            // strings where a number, an enum, a bool, a list are expected
            (json(format!(r#"{{"name": "x", "count": "{S}"}}"#)),
             "invalid JSON body: invalid type: string …, expected u32 at line 1 column 49"),
            (json(format!(r#"{{"name": "x", "visibility": "{S}"}}"#)),
             "invalid JSON body: unknown variant …, expected `public` or `private` at line 1 column 54"),
            (json(format!(r#"{{"name": "x", "{S}": 1}}"#)),
             "invalid JSON body: unknown field …, expected one of `name`, `count`, `visibility`, `tags`, `flag`, `letter` at line 1 column 40"),
            (json(format!(r#"{{"name": "x", "letter": "{S}"}}"#)),
             "invalid JSON body: invalid value: string …, expected a character at line 1 column 50"),
            (json(format!(r#"{{"name": "x", "tags": ["{S}"]}}"#)),
             "invalid JSON body: invalid length, expected an array of length 2 at line 1 column 50"),
            (json(format!(r#"{{"name": "x", "flag": "{S}"}}"#)),
             "invalid JSON body: invalid type: string …, expected a boolean at line 1 column 48"),
            // numbers and booleans where strings are expected
            (json(r#"{"name": 987654321}"#.into()),
             "invalid JSON body: invalid type: integer …, expected a string at line 1 column 18"),
            (json(r#"{"name": -98765.4321}"#.into()),
             "invalid JSON body: invalid type: floating point …, expected a string at line 1 column 20"),
            (json(r#"{"name": true}"#.into()),
             "invalid JSON body: invalid type: boolean …, expected a string at line 1 column 13"),
            (json(r#"{"name": null}"#.into()),
             "invalid JSON body: invalid type: null, expected a string at line 1 column 13"),
            (json(r#"{"name": "x", "count": 98765432109}"#.into()),
             "invalid JSON body: invalid value: integer …, expected u32 at line 1 column 34"),
            (json(r#"["a"]"#.into()),
             "invalid JSON body: invalid length, expected struct Body with 6 elements at line 1 column 5"),
            // syntax and end of input
            (json(format!(r#"{{"name": "{S}""#)),
             "invalid JSON body: EOF while parsing an object at line 1 column 35"),
            (json(format!(r#"{{"name": {S}}}"#)),
             "invalid JSON body: expected value at line 1 column 10"),
            (json(format!(r#"{{"name": "x"}} {S}"#)),
             "invalid JSON body: trailing characters at line 1 column 15"),
            (json(r#"{"name": "\q"}"#.into()),
             "invalid JSON body: invalid escape at line 1 column 12"),
            (json(format!(r#"{{"{S}"#)),
             "invalid JSON body: EOF while parsing a string at line 1 column 26"),
            (json(r#"{"count": 1}"#.into()),
             "invalid JSON body: missing field `name` at line 1 column 12"),
            (json(r#"{"name": "a", "name": "b"}"#.into()),
             "invalid JSON body: duplicate field `name` at line 1 column 20"),
            // from a `Value` (no position)
            (value(serde_json::json!({"name": "x", "count": S})),
             "invalid JSON body: invalid type: string …, expected u32"),
            (value(serde_json::json!({"name": "x", "visibility": S})),
             "invalid JSON body: unknown variant …, expected `public` or `private`"),
            (value(serde_json::json!({"name": "x", S: 1})),
             "invalid JSON body: unknown field …, expected one of `name`, `count`, `visibility`, `tags`, `flag`, `letter`"),
            (value(serde_json::json!({"name": S.len()})),
             "invalid JSON body: invalid type: integer …, expected a string"),
            // query strings
            (query("skip=Sekr1t".into()),
             "invalid query string: invalid digit found in string"),
            (query("visibility=Sekr1t".into()),
             "invalid query string: unknown variant …, expected `public` or `private`"),
            (query("flag=Sekr1t".into()),
             "invalid query string: provided string was not `true` or `false`"),
            (query("skip=1&skip=2".into()),
             "invalid query string: duplicate field `skip`"),
        ];
        let wrong: Vec<_> = cases.iter().filter(|(got, want)| got != want).collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        for (got, _) in &cases {
            assert!(
                !["Sekr1t", "hunter2", "987"].iter().any(|s| got.contains(s)),
                "{got}"
            );
        }
        // A message of an unknown shape is not repeated; a quoted wrapper is cut.
        assert_eq!(
            Error::invalid_json("bad thing Sekr1t").message,
            "invalid JSON body"
        );
        assert_eq!(
            Error::invalid_json("missing field `Sekr1t!`").message,
            "invalid JSON body: missing field …"
        );
        assert_eq!(
            framework_summary("Parse error: \"Sekr1t\"").as_deref(),
            Some("Parse error")
        );
        assert_eq!(framework_summary("\"Sekr1t\": bad"), None);
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
