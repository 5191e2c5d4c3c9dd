//! Pushing real content through `/v2` with raw HTTP (blobs, image manifests, indexes,
//! artifacts), and a browser-like client for the pages (cookies, CSRF token, same-origin
//! posts), for the image page tests.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Resp, TestApp};
use berth::blobs::Digest;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// `sha256:…` of some bytes.
pub fn digest_of(content: &str) -> String {
    Digest::sha256_of(content.as_bytes()).to_string()
}

/// Push a blob monolithically as `user` (password auth); returns its descriptor.
pub fn push_blob(
    app: &TestApp,
    auth: (&str, &str),
    repo: &str,
    media_type: &str,
    content: &str,
) -> Value {
    let digest = digest_of(content);
    let r = app
        .post(&format!("/v2/{repo}/blobs/uploads/?digest={digest}"))
        .basic(auth.0, auth.1)
        .header("Content-Type", "application/octet-stream")
        .body(content)
        .send();
    assert_eq!(r.status, 201, "blob push: {}", r.body);
    json!({"mediaType": media_type, "digest": digest, "size": content.len()})
}

/// Push a manifest under a tag or digest; returns its digest.
pub fn push_manifest(
    app: &TestApp,
    auth: (&str, &str),
    repo: &str,
    reference: &str,
    media_type: &str,
    body: &Value,
) -> String {
    let text = body.to_string();
    let r = app
        .put(&format!("/v2/{repo}/manifests/{reference}"))
        .basic(auth.0, auth.1)
        .header("Content-Type", media_type)
        .body(&text)
        .send();
    assert_eq!(r.status, 201, "manifest push: {}", r.body);
    let digest = digest_of(&text);
    assert_eq!(r.header("Docker-Content-Digest"), Some(digest.as_str()));
    digest
}

/// An image configuration for a platform, with a run configuration and history.
pub fn config(os: &str, arch: &str, variant: Option<&str>, run: Value, history: Value) -> String {
    let mut c = json!({
        "created": "2026-07-01T10:00:00Z",
        "architecture": arch,
        "os": os,
        "config": run,
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": history,
    });
    if let Some(v) = variant {
        c["variant"] = json!(v);
    }
    c.to_string()
}

/// What [`push_image`] pushed.
pub struct Image {
    pub digest: String,
    pub config: Value,
    pub layers: Vec<Value>,
    /// Config and layers' bytes: what pages show as the compressed size.
    pub size: u64,
    pub manifest: Value,
}

/// Push an image (its config, its layers, then its manifest under `reference`).
pub fn push_image(
    app: &TestApp,
    auth: (&str, &str),
    repo: &str,
    reference: &str,
    config_json: &str,
    layers: &[&str],
) -> Image {
    let config = push_blob(app, auth, repo, OCI_CONFIG, config_json);
    let layers: Vec<Value> = layers
        .iter()
        .map(|l| push_blob(app, auth, repo, OCI_LAYER, l))
        .collect();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": layers,
    });
    let digest = push_manifest(app, auth, repo, reference, OCI_MANIFEST, &manifest);
    let size = config["size"].as_u64().unwrap()
        + layers
            .iter()
            .map(|l| l["size"].as_u64().unwrap())
            .sum::<u64>();
    Image {
        digest,
        config,
        layers,
        size,
        manifest,
    }
}

/// A browser: keeps cookies, sends the site's Origin on posts, reads the CSRF token from the
/// last page it saw.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub csrf: String,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, resp: &Resp) {
        for (k, v) in &resp.headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = v.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if v.to_lowercase().contains("max-age=0") || value.is_empty() {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        let marker = "name=\"csrf\" value=\"";
        if let Some(start) = resp.body.find(marker).map(|i| i + marker.len()) {
            if let Some(end) = resp.body[start..].find('"') {
                self.csrf = resp.body[start..start + end].to_owned();
            }
        }
    }

    pub fn get(&mut self, path: &str) -> Resp {
        let mut req = self.app.get(path);
        if !self.cookies.is_empty() {
            req = req.header("Cookie", &self.cookie_header());
        }
        let resp = req.send();
        self.absorb(&resp);
        resp
    }

    /// Post a form as a page of this site does, with the token (`csrf`: `None` leaves it out).
    pub fn post_with(&mut self, path: &str, csrf: Option<&str>, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = csrf.map(|c| ("csrf", c)).into_iter().collect();
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).unwrap();
        let mut req = self
            .app
            .post(path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", &self.app.base.clone())
            .header("Sec-Fetch-Site", "same-origin")
            .body(&body);
        if !self.cookies.is_empty() {
            req = req.header("Cookie", &self.cookie_header());
        }
        let resp = req.send();
        self.absorb(&resp);
        resp
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = self.csrf.clone();
        self.post_with(path, Some(&csrf), fields)
    }

    pub fn sign_in(&mut self, user: &str, password: &str) {
        self.get("/login");
        let resp = self.post(
            "/login",
            &[("username", user), ("password", password), ("next", "/")],
        );
        assert_eq!(resp.status, 303, "{}", resp.body);
        self.get("/");
    }
}
