//! Shared by `registry_conformance.rs` and `registry_clients.rs`: the registry under test (a
//! Berth started by `tests/common`, or an external registry named by an environment variable,
//! so that every check can be confirmed against distribution itself), raw HTTP with binary
//! bodies, the OCI content the checks push, and the external tools the client tests drive.
#![allow(dead_code)]

pub mod oci;
pub mod tools;

use std::io::Read;
use std::time::Duration;

use serde_json::Value;

use crate::common::{self, TestApp};

/// Every `/v2` answer carries this header (API-NOTES section 10; distribution does the same).
pub const API_VERSION_HEADER: (&str, &str) = ("docker-distribution-api-version", "registry/2.0");

/// The registry the checks talk to.
pub struct Target {
    /// `http://127.0.0.1:PORT`, no final `/`.
    pub base: String,
    /// `127.0.0.1:PORT`: what image references start with.
    pub host: String,
    /// The namespace test repositories are made in.
    pub ns: String,
    /// The `Authorization` sent unless a call says otherwise: the site admin's Basic on
    /// Berth, nothing on an external registry (run without authentication).
    pub auth: Option<String>,
    /// The Berth being tested, kept alive as long as the target; `None` when external.
    pub app: Option<TestApp>,
}

impl Target {
    /// A fresh Berth (empty store), talked to as the site admin in the `admin` namespace.
    pub fn berth() -> Target {
        let app = TestApp::start();
        Target {
            base: app.base.clone(),
            host: app.addr.to_string(),
            ns: common::ADMIN.to_owned(),
            auth: Some(common::basic(common::ADMIN, common::ADMIN_PASSWORD)),
            app: Some(app),
        }
    }

    /// The external registry named by `var` (e.g. `http://127.0.0.1:5001`, no authentication)
    /// when it is set, otherwise [`Target::berth`]. Repositories go under `ns`.
    pub fn from_env(var: &str, ns: &str) -> Target {
        match std::env::var(var) {
            Ok(url) if !url.trim().is_empty() => {
                let base = url.trim().trim_end_matches('/').to_owned();
                let host = base
                    .split_once("://")
                    .map_or(base.as_str(), |(_, rest)| rest)
                    .to_owned();
                Target {
                    base,
                    host,
                    ns: ns.to_owned(),
                    auth: None,
                    app: None,
                }
            }
            _ => Target::berth(),
        }
    }

    pub fn is_berth(&self) -> bool {
        self.app.is_some()
    }

    /// The Berth under test (panics on an external target: only Berth-only checks call it).
    pub fn app(&self) -> &TestApp {
        self.app.as_ref().expect("a Berth target")
    }

    /// A repository name no other test (nor an earlier run against an external registry) uses:
    /// `ns/{prefix}-{random}`.
    pub fn unique_repo(&self, prefix: &str) -> String {
        format!("{}/{}-{}", self.ns, prefix, oci::random_hex(4))
    }

    pub fn req(&self, method: &str, path_or_url: &str) -> Call<'_> {
        let url = if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_owned()
        } else {
            format!("{}{}", self.base, path_or_url)
        };
        Call {
            target: self,
            method: method.to_owned(),
            url,
            headers: Vec::new(),
            query: Vec::new(),
            body: None,
            auth: self.auth.clone(),
        }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.req("GET", path)
    }
    pub fn head(&self, path: &str) -> Call<'_> {
        self.req("HEAD", path)
    }
    pub fn post(&self, path: &str) -> Call<'_> {
        self.req("POST", path)
    }
    pub fn put(&self, path: &str) -> Call<'_> {
        self.req("PUT", path)
    }
    pub fn patch(&self, path: &str) -> Call<'_> {
        self.req("PATCH", path)
    }
    pub fn delete(&self, path: &str) -> Call<'_> {
        self.req("DELETE", path)
    }

    /// An absolute URL for a `Location` header's value, which may be relative or absolute.
    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{}", self.base, location)
        }
    }

    // ---- the pushes every check's setup makes (each asserts its own 2xx)

    /// Push `content` as a blob of `name` the way the conformance suite's setups do: `POST` a
    /// session, then `PUT` to its `Location` with `?digest=` and the whole body.
    pub fn push_blob(&self, name: &str, content: &[u8]) -> String {
        let digest = oci::sha256(content);
        let r = self.post(&format!("/v2/{name}/blobs/uploads/")).send();
        assert_eq!(r.status, 202, "POST /v2/{name}/blobs/uploads/: {r:?}");
        let location = r.location(self);
        let r = self
            .put(&location)
            .query("digest", &digest)
            .header("Content-Type", "application/octet-stream")
            .body(content)
            .send();
        assert!(
            (200..300).contains(&r.status),
            "PUT of blob {digest} to {name}: {r:?}"
        );
        digest
    }

    /// `PUT /v2/{name}/manifests/{reference}` with `media_type`; asserts 2xx and returns the answer.
    pub fn push_manifest(&self, name: &str, reference: &str, media_type: &str, body: &[u8]) -> Res {
        let r = self
            .put(&format!("/v2/{name}/manifests/{reference}"))
            .header("Content-Type", media_type)
            .body(body)
            .send();
        assert!(
            (200..300).contains(&r.status),
            "PUT /v2/{name}/manifests/{reference}: {r:?}"
        );
        r
    }
}

/// A request under construction.
pub struct Call<'a> {
    target: &'a Target,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    auth: Option<String>,
}

impl Call<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A query parameter, form-encoded and added to whatever query the URL already has (an
    /// upload `Location` may carry its own state).
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = Some(body.to_vec());
        self
    }

    /// Without credentials.
    pub fn anonymous(mut self) -> Self {
        self.auth = None;
        self
    }

    /// With this `Authorization` value instead of the target's.
    pub fn authorization(mut self, value: &str) -> Self {
        self.auth = Some(value.to_owned());
        self
    }

    pub fn basic(self, user: &str, secret: &str) -> Self {
        self.authorization(&common::basic(user, secret))
    }

    pub fn send(self) -> Res {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .redirects(0)
            .build();
        let what = format!("{} {}", self.method, self.url);
        let mut req = agent.request(&self.method, &self.url);
        for (k, v) in &self.query {
            req = req.query(k, v);
        }
        if let Some(auth) = &self.auth {
            req = req.set("Authorization", auth);
        }
        for (k, v) in &self.headers {
            req = req.set(k, v);
        }
        let result = match (&self.body, self.method.as_str()) {
            (Some(b), _) => req.send_bytes(b),
            // A bodiless POST, PUT or PATCH still says `Content-Length: 0`, as clients send it.
            (None, "POST" | "PUT" | "PATCH") => req.send_bytes(&[]),
            (None, _) => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{what}: {e}"),
        };
        let status = resp.status();
        let headers: Vec<(String, String)> = resp
            .headers_names()
            .into_iter()
            .flat_map(|n| {
                resp.all(&n)
                    .into_iter()
                    .map(|v| (n.clone(), v.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut body = Vec::new();
        resp.into_reader()
            .read_to_end(&mut body)
            .unwrap_or_else(|e| panic!("{what}: reading the body: {e}"));
        let res = Res {
            what,
            status,
            headers,
            body,
        };
        if self.url.starts_with(&format!("{}/v2/", self.target.base)) {
            assert_eq!(
                res.header(API_VERSION_HEADER.0),
                Some(API_VERSION_HEADER.1),
                "every /v2 answer carries {}: {res:?}",
                API_VERSION_HEADER.0
            );
        }
        res
    }
}

/// An answer, whatever its status.
pub struct Res {
    /// `METHOD URL`, for messages.
    pub what: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Res {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = String::from_utf8_lossy(&self.body);
        let shown: String = text.chars().take(600).collect();
        write!(
            f,
            "{} -> {} {:?} {:?}",
            self.what, self.status, self.headers, shown
        )
    }
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// The `Location` header as an absolute URL (asserted present).
    pub fn location(&self, target: &Target) -> String {
        let l = self
            .header("location")
            .unwrap_or_else(|| panic!("no Location: {self:?}"));
        assert!(!l.is_empty(), "empty Location: {self:?}");
        target.absolute(l)
    }

    /// The `Location` header without scheme and host (what the conformance suite compares).
    pub fn relative_location(&self) -> String {
        let l = self
            .header("location")
            .unwrap_or_else(|| panic!("no Location: {self:?}"));
        match l.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]).to_owned(),
            None => l.to_owned(),
        }
    }

    /// The codes of an OCI error envelope `{"errors":[{"code",...}]}`.
    pub fn error_codes(&self) -> Vec<String> {
        let v = self.json();
        let errors = v["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors array: {self:?}"));
        errors
            .iter()
            .map(|e| {
                e["code"]
                    .as_str()
                    .unwrap_or_else(|| panic!("an error without a code: {self:?}"))
                    .to_owned()
            })
            .collect()
    }
}
