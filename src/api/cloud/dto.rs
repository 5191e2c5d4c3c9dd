//! Wire shapes of the Cloud dialect. Objects name their resources by URI, always with the
//! resolved namespace and a final `/`, because clients PATCH and DELETE there.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::body::FromJson;
use crate::core::external::{CredentialsPatch, NewExternal, Registry};
use crate::core::model::ExternalRepository;
use crate::error::{Code, Error, Result};
use crate::secrets::SecretString;

pub const PREFIX: &str = "/api/repo/v1";

pub fn repository_uri(ns: &str, name: &str) -> String {
    format!("{PREFIX}/{ns}/repository/{name}/")
}

pub fn registry_uri(ns: &str, host: &str) -> String {
    format!("{PREFIX}/{ns}/registry/{host}/")
}

/// An external repository. Credentials have no field here, on purpose.
#[derive(Debug, Serialize)]
pub struct RepositoryObject {
    pub name: String,
    /// Berth runs no services, so nothing is ever in use.
    pub in_use: bool,
    pub registry: String,
    pub resource_uri: String,
}

impl RepositoryObject {
    pub fn new(ns: &str, repo: &ExternalRepository) -> Self {
        RepositoryObject {
            name: repo.name.clone(),
            in_use: false,
            registry: registry_uri(ns, &repo.registry_host),
            resource_uri: repository_uri(ns, &repo.name),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RegistryObject {
    pub host: String,
    pub name: String,
    pub is_docker_registry: bool,
    pub is_ssl: bool,
    pub port: u16,
    pub resource_uri: String,
}

impl RegistryObject {
    pub fn new(ns: &str, r: Registry) -> Self {
        RegistryObject {
            resource_uri: registry_uri(ns, &r.host),
            host: r.host,
            name: r.name,
            is_docker_registry: true,
            is_ssl: r.is_ssl,
            port: r.port,
        }
    }
}

/// Tastypie-style paging metadata.
#[derive(Debug, Serialize)]
pub struct Meta {
    pub limit: i64,
    pub offset: i64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub total_count: i64,
}

#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub meta: Meta,
    pub objects: Vec<T>,
}

// Bodies in. They are read field by field from a JSON object, not derived with serde: serde's
// type errors quote the offending value (`invalid type: integer 1234`), and a password must
// never come back in an error message.

/// `POST .../repository/` `{"name", "username"?, "password"?}`.
#[derive(Debug)]
pub struct ExternalIn(pub NewExternal);

impl FromJson for ExternalIn {
    fn from_json(body: &[u8]) -> Result<Self> {
        let mut map = json_object(body)?;
        let name = string_field(&mut map, "name")?
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Error::new(Code::InvalidJson, "name is required"))?;
        Ok(ExternalIn(NewExternal {
            name,
            username: string_field(&mut map, "username")?.unwrap_or_default(),
            password: SecretString::new(string_field(&mut map, "password")?.unwrap_or_default()),
        }))
    }
}

/// `PATCH .../repository/{name}/` `{"username"?, "password"?}`: other fields (the name
/// included) cannot change and are ignored.
#[derive(Debug)]
pub struct CredentialsIn(pub CredentialsPatch);

impl FromJson for CredentialsIn {
    fn from_json(body: &[u8]) -> Result<Self> {
        let mut map = json_object(body)?;
        Ok(CredentialsIn(CredentialsPatch {
            username: string_field(&mut map, "username")?,
            password: string_field(&mut map, "password")?.map(SecretString::new),
        }))
    }
}

/// The request body as a JSON object. Error messages never quote the body.
fn json_object(body: &[u8]) -> Result<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::new(
            Code::InvalidJson,
            "a JSON object body is required",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::new(
            Code::InvalidJson,
            "the body must be a JSON object",
        )),
        Err(e) => Err(Error::new(
            Code::InvalidJson,
            format!(
                "invalid JSON body (line {}, column {})",
                e.line(),
                e.column()
            ),
        )),
    }
}

/// An optional string field; `null` counts as absent. The message names the field only.
fn string_field(map: &mut Map<String, Value>, key: &'static str) -> Result<Option<String>> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::new(
            Code::InvalidJson,
            format!("{key} must be a string"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_objects_and_errors_never_quote_values() {
        assert!(json_object(b"").is_err());
        assert!(json_object(b"[1]").is_err());
        let e = json_object(b"{\"password\": \"hunter2").unwrap_err();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        let mut m = json_object(br#"{"password": 31337, "name": null}"#).unwrap();
        let e = string_field(&mut m, "password").unwrap_err();
        assert_eq!(e.message, "password must be a string");
        assert_eq!(string_field(&mut m, "name").unwrap(), None);
    }
}
