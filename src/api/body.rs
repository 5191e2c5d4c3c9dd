//! The one way an API route reads a JSON body, whatever its dialect.
//!
//! [`JsonBody<T>`] takes the bytes — 1 MiB at most (413 above), with any `Content-Type` or
//! none, since clients send all sorts; the types a browser form can send never get here
//! (`api::guard` answers them 415) — and hands them to `T`'s [`FromJson`]. Every
//! `Deserialize` type is read from a JSON object and nothing else ([`from_object`]). A body
//! the contract shapes otherwise says how it is read in its own `FromJson`: the Index image
//! list and tag id, the `/v1` PUT that is one or the other (`api::v1`), the Cloud bodies,
//! whose errors never quote a value (`api::cloud`). Failures are domain errors, so they leave
//! in the envelope of the dialect that was hit.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A request body read as JSON by `T`'s rule (see the module).
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// How a body type is read from the bytes of a request body.
pub trait FromJson: Sized {
    fn from_json(body: &[u8]) -> Result<Self>;
}

/// A `Deserialize` type is read from a JSON object only: serde would also read a struct from
/// an array (by field order), so `["admin"]` could pass for `{"accessLevel": "admin"}`. The
/// body is parsed as an object first (syntax errors name their line and column), then
/// converted ([`from_object`]).
impl<T: DeserializeOwned> FromJson for T {
    fn from_json(body: &[u8]) -> Result<Self> {
        let object: Map<String, Value> =
            serde_json::from_slice(body).map_err(Error::invalid_json)?;
        from_object(object)
    }
}

/// For `#[serde(default, deserialize_with = "crate::api::body::present")]` on an
/// `Option<Option<T>>`: a field that is present, `null` included (`Some(None)`), as opposed to
/// absent (`None`, from `default`), so a PATCH tells "unset it" from "leave it".
pub fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `T` from a JSON object parsed already: an array, string or number never gets here.
pub fn from_object<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T> {
    serde_json::from_value(Value::Object(object)).map_err(Error::invalid_json)
}

/// `T` from any JSON value, for the bodies the contract makes other than an object (an
/// Index image list, a tag's image id).
pub fn any<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(Error::invalid_json)
}

impl<T: FromJson + 'static> FromRequest for JsonBody<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The bytes as the app's `PayloadConfig` limits them (`BODY_LIMIT`), decompressed.
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(unread)?;
            T::from_json(&bytes).map(JsonBody)
        })
    }
}

/// A body that could not be read: too large (413), or broken on the way (400, as a JSON
/// body that is not one).
fn unread(e: actix_web::Error) -> Error {
    if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::payload_too_large()
    } else {
        Error::invalid_json(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Level {
        access_level: String,
    }

    fn message<T: FromJson>(body: &str) -> String {
        match T::from_json(body.as_bytes()) {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.message.into_owned(),
        }
    }

    #[test]
    fn structs_are_read_from_objects_only() {
        assert_eq!(
            Level::from_json(br#"{"accessLevel": "admin"}"#).unwrap(),
            Level {
                access_level: "admin".into()
            }
        );
        for (body, said) in [
            (
                r#"["admin"]"#,
                "invalid JSON body: invalid type: sequence, expected a map at line 1 column 0",
            ),
            (
                "",
                "invalid JSON body: EOF while parsing a value at line 1 column 0",
            ),
            (
                r#"{"accessLevel": "#,
                "invalid JSON body: EOF while parsing a value at line 1 column 16",
            ),
            // Converted from the parsed object: no position.
            (
                r#"{"accessLevel": 5}"#,
                "invalid JSON body: invalid type: integer …, expected a string",
            ),
            (r#"{}"#, "invalid JSON body: missing field `accessLevel`"),
        ] {
            assert_eq!(message::<Level>(body), said, "{body}");
        }
    }

    #[test]
    fn other_shapes_are_read_as_any_value() {
        assert_eq!(any::<Vec<String>>(br#"["a"]"#).unwrap(), vec!["a"]);
        assert_eq!(
            any::<String>(b"{}").unwrap_err().message,
            "invalid JSON body: invalid type: map, expected a string at line 1 column 0"
        );
    }

    #[test]
    fn unreadable_bodies_are_413_or_400() {
        let too_large = actix_web::error::PayloadError::Overflow;
        assert_eq!(unread(too_large.into()), Error::payload_too_large());
        let broken = unread(actix_web::error::PayloadError::EncodingCorrupted.into());
        assert_eq!(
            (broken.status.as_u16(), broken.message.as_ref()),
            (400, "invalid JSON body")
        );
    }
}
