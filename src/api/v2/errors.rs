//! The registry's error envelope: `{"errors":[{"code","message","detail"}]}` with the codes of
//! the OCI distribution spec, and `Docker-Distribution-API-Version` on every `/v2` answer.

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Code, Error};

/// The header every `/v2` answer carries (distribution and the spec's clients look for it).
pub const API_VERSION: (&str, &str) = ("docker-distribution-api-version", "registry/2.0");

/// Add [`API_VERSION`] to an answer's headers.
pub fn mark(headers: &mut HeaderMap) {
    headers.insert(
        HeaderName::from_static(API_VERSION.0),
        HeaderValue::from_static(API_VERSION.1),
    );
}

/// The spec's code for `e`: a registry code as registered; Berth's general codes as the spec
/// names the same failure.
pub fn code_of(e: &Error) -> &'static str {
    match e.code {
        Code::NotAuthenticated => "UNAUTHORIZED",
        Code::NotAuthorized | Code::AccountInactive => "DENIED",
        Code::TooManyAttempts => "TOOMANYREQUESTS",
        Code::MethodNotAllowed => "UNSUPPORTED",
        Code::InvalidTag => "TAG_INVALID",
        Code::InvalidRepositoryName => "NAME_INVALID",
        Code::UploadOutOfOrder => "BLOB_UPLOAD_INVALID",
        Code::IndexChildUnknown => "MANIFEST_UNKNOWN",
        Code::ManifestTooLarge => "SIZE_INVALID",
        other => other.as_str(),
    }
}
