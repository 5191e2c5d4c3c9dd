//! Wire shapes of the Cloud dialect. Objects name their resources by URI, always with the
//! resolved namespace and a final `/`, because clients PATCH and DELETE there.

use serde::Serialize;

use crate::core::external::Registry;
use crate::core::model::ExternalRepository;

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
