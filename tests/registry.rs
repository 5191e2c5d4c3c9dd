//! The registry (`/v2`, API-NOTES section 10, issue 14), black-box over HTTP: every endpoint
//! with its status codes, headers and exact error bodies, the permission rules (private is
//! missing for every caller), and what a push does to the rest of the model.

mod common;

use std::io::Read;
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256, Sha512};

use common::{basic, TestApp, ADMIN, ADMIN_PASSWORD, PASSWORD};

// ------------------------------------------------------------------------------ helpers

/// An answer with its body as bytes (blobs are not text).
#[derive(Debug)]
struct Ans {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Ans {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// The registry envelope's one error: (status, code, message).
    fn error(&self) -> (u16, String, String) {
        let v = self.json();
        let errors = v["errors"].as_array().expect("errors array");
        assert_eq!(errors.len(), 1, "{v}");
        (
            self.status,
            errors[0]["code"].as_str().expect("code").to_owned(),
            errors[0]["message"].as_str().expect("message").to_owned(),
        )
    }

    fn code(&self) -> (u16, String) {
        let (s, c, _) = self.error();
        (s, c)
    }

    /// Headers that must be equal between two answers (all but the date).
    fn stable(&self) -> Vec<(String, String)> {
        let mut h: Vec<_> = self
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("date"))
            .map(|(k, v)| (k.to_lowercase(), v.clone()))
            .collect();
        h.sort();
        h
    }
}

/// A request to the registry.
struct Call<'a> {
    app: &'a TestApp,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl<'a> Call<'a> {
    fn auth(mut self, value: &str) -> Self {
        self.headers.push(("Authorization".into(), value.into()));
        self
    }

    fn admin(self) -> Self {
        self.auth(&basic(ADMIN, ADMIN_PASSWORD))
    }

    fn user(self, name: &str) -> Self {
        self.auth(&basic(name, PASSWORD))
    }

    fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    fn body(mut self, b: &[u8]) -> Self {
        self.body = Some(b.to_vec());
        self
    }

    fn send(self) -> Ans {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .redirects(0)
            .build();
        let mut req = agent.request(self.method, &self.app.url(&self.path));
        for (k, v) in &self.headers {
            req = req.set(k, v);
        }
        let result = match &self.body {
            Some(b) => req.send_bytes(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{} {}: {e}", self.method, self.path),
        };
        let status = resp.status();
        let headers = resp
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
        resp.into_reader().read_to_end(&mut body).expect("body");
        Ans {
            status,
            headers,
            body,
        }
    }
}

fn call<'a>(app: &'a TestApp, method: &'static str, path: &str) -> Call<'a> {
    Call {
        app,
        method,
        path: path.to_owned(),
        headers: Vec::new(),
        body: None,
    }
}

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

fn sha512(b: &[u8]) -> String {
    format!("sha512:{}", hex::encode(Sha512::digest(b)))
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const SESSION_ID: &str = "0b4624dd-9820-4e5a-8d41-000000000000";

/// Push a blob monolithically as the admin; its digest.
fn push_blob(app: &TestApp, name: &str, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let r = call(
        app,
        "POST",
        &format!("/v2/{name}/blobs/uploads/?digest={digest}"),
    )
    .admin()
    .header("Content-Type", "application/octet-stream")
    .body(bytes)
    .send();
    assert_eq!(r.status, 201, "{:?}", String::from_utf8_lossy(&r.body));
    digest
}

/// An image manifest of a config and one layer, both pushed to `name`; its bytes.
fn image(app: &TestApp, name: &str, seed: &str) -> Vec<u8> {
    let config = format!(
        r#"{{"architecture":"arm64","os":"linux","variant":"v8","rootfs":{{"type":"layers","diff_ids":[]}},"seed":"{seed}"}}"#
    );
    let layer = format!("layer of {seed}").into_bytes();
    let c = push_blob(app, name, config.as_bytes());
    let l = push_blob(app, name, &layer);
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": c, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": l, "size": layer.len()}],
    })
    .to_string()
    .into_bytes()
}

fn put_manifest(app: &TestApp, name: &str, reference: &str, body: &[u8]) -> Ans {
    call(app, "PUT", &format!("/v2/{name}/manifests/{reference}"))
        .admin()
        .header("Content-Type", OCI_MANIFEST)
        .body(body)
        .send()
}

fn start_session(app: &TestApp, name: &str) -> String {
    let r = call(app, "POST", &format!("/v2/{name}/blobs/uploads/"))
        .admin()
        .send();
    assert_eq!(r.status, 202);
    r.header("location").expect("location").to_owned()
}

fn blob_file(app: &TestApp, digest: &str) -> std::path::PathBuf {
    let (alg, hex) = digest.split_once(':').unwrap();
    app.state
        .config
        .data_dir
        .join("blobs")
        .join(alg)
        .join(&hex[..2])
        .join(hex)
}

/// An app with `alice` (owner of `alice/pub`, public, and `alice/priv`, private) and `bob`.
fn world() -> TestApp {
    let app = TestApp::start();
    app.user("alice");
    app.user("bob");
    app.repo("alice", "pub", true);
    app.repo("alice", "priv", false);
    app
}

// ------------------------------------------------------------------------------ base

#[test]
fn the_version_check_answers_callers_who_proved_who_they_are_and_challenges_the_rest() {
    let app = world();
    let host = app.addr.to_string();
    let anon = call(&app, "GET", "/v2/").send();
    assert_eq!(anon.status, 401);
    assert_eq!(
        anon.header("www-authenticate"),
        Some(format!("Bearer realm=\"http://{host}/v2/token\",service=\"{host}\"").as_str())
    );
    assert_eq!(
        anon.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    assert_eq!(
        anon.json(),
        json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required", "detail": null}]})
    );
    let ok = call(&app, "GET", "/v2/").user("alice").send();
    assert_eq!((ok.status, ok.json()), (200, json!({})));
    assert_eq!(
        ok.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    // Without the final slash too, and with an API key as the password.
    let account = berth::store::accounts::by_name(&app.conn(), "bob")
        .unwrap()
        .unwrap();
    let (_, key) = berth::core::accounts::create_api_key(&app.conn(), account.id, "ci").unwrap();
    assert_eq!(
        call(&app, "GET", "/v2")
            .auth(&basic("bob", &key))
            .send()
            .status,
        200
    );
    // `docker login` with a wrong password fails; so does a token that is not one.
    for auth in [
        basic("alice", "wrong-password"),
        "Bearer not-a-token".to_owned(),
        "Basic !!".to_owned(),
    ] {
        let r = call(&app, "GET", "/v2/").auth(&auth).send();
        assert_eq!(r.code(), (401, "UNAUTHORIZED".to_owned()), "{auth}");
        assert!(r
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer realm="));
    }
}

#[test]
fn the_challenge_names_the_public_address_and_the_scope_needed() {
    let app = TestApp::start_with(|c| c.public_address = Some("https://hub.example".into()));
    app.user("alice");
    app.repo("alice", "priv", false);
    let pull = call(&app, "GET", "/v2/alice/priv/tags/list").send();
    assert_eq!(
        pull.header("www-authenticate"),
        Some("Bearer realm=\"https://hub.example/v2/token\",service=\"hub.example\",scope=\"repository:alice/priv:pull\"")
    );
    let push = call(&app, "POST", "/v2/alice/priv/blobs/uploads/").send();
    assert_eq!(
        push.header("www-authenticate"),
        Some("Bearer realm=\"https://hub.example/v2/token\",service=\"hub.example\",scope=\"repository:alice/priv:pull,push\"")
    );
    let delete = call(&app, "DELETE", "/v2/alice/priv/manifests/latest").send();
    assert!(delete
        .header("www-authenticate")
        .unwrap()
        .ends_with("scope=\"repository:alice/priv:delete\""));
    // A library repository is named by its one component and scoped by its full name.
    let lib = call(&app, "GET", "/v2/busybox/manifests/latest").send();
    assert!(lib
        .header("www-authenticate")
        .unwrap()
        .ends_with("scope=\"repository:library/busybox:pull\""));
}

// ------------------------------------------------------------------------------ blobs

#[test]
fn a_monolithic_blob_pulls_back_whole_in_ranges_and_by_head() {
    let app = world();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let digest = sha256(&bytes);
    let r = call(
        &app,
        "POST",
        &format!("/v2/alice/pub/blobs/uploads/?digest={digest}"),
    )
    .user("alice")
    .body(&bytes)
    .send();
    assert_eq!(r.status, 201);
    assert_eq!(
        r.header("location"),
        Some(format!("/v2/alice/pub/blobs/{digest}").as_str())
    );
    assert_eq!(r.header("docker-content-digest"), Some(digest.as_str()));
    assert_eq!(std::fs::read(blob_file(&app, &digest)).unwrap(), bytes);

    let path = format!("/v2/alice/pub/blobs/{digest}");
    // Anonymous may pull from a public repository.
    let get = call(&app, "GET", &path).send();
    assert_eq!(get.status, 200);
    assert_eq!(get.body, bytes);
    assert_eq!(get.header("content-length"), Some("3000"));
    assert_eq!(get.header("docker-content-digest"), Some(digest.as_str()));
    assert_eq!(get.header("content-type"), Some("application/octet-stream"));
    assert_eq!(get.header("accept-ranges"), Some("bytes"));

    let head = call(&app, "HEAD", &path).send();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("3000"));
    assert_eq!(head.header("docker-content-digest"), Some(digest.as_str()));
    assert!(head.body.is_empty());

    let part = call(&app, "GET", &path)
        .header("Range", "bytes=10-19")
        .send();
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), Some("bytes 10-19/3000"));
    assert_eq!(part.body, &bytes[10..20]);
    let tail = call(&app, "GET", &path).header("Range", "bytes=-5").send();
    assert_eq!((tail.status, tail.body.as_slice()), (206, &bytes[2995..]));
    let open = call(&app, "GET", &path)
        .header("Range", "bytes=2990-")
        .send();
    assert_eq!(open.header("content-range"), Some("bytes 2990-2999/3000"));

    let out = call(&app, "GET", &path)
        .header("Range", "bytes=3000-")
        .send();
    assert_eq!(out.code(), (416, "RANGE_NOT_SATISFIABLE".to_owned()));
    assert_eq!(out.header("content-range"), Some("bytes */3000"));
    // A range the server may ignore (not bytes) is ignored.
    let odd = call(&app, "GET", &path).header("Range", "pages=1-2").send();
    assert_eq!((odd.status, odd.body.len()), (200, 3000));
}

#[test]
fn a_chunked_upload_takes_chunks_in_order_only() {
    let app = world();
    let bytes = b"0123456789abcdefghij".to_vec();
    let digest = sha256(&bytes);
    let created = call(&app, "POST", "/v2/alice/pub/blobs/uploads/")
        .user("alice")
        .send();
    assert_eq!(created.status, 202);
    let location = created.header("location").unwrap().to_owned();
    let id = created.header("docker-upload-uuid").unwrap().to_owned();
    assert_eq!(location, format!("/v2/alice/pub/blobs/uploads/{id}"));
    assert_eq!(created.header("range"), Some("0-0"));
    assert_eq!(created.header("content-length"), Some("0"));

    // Out of order: the first chunk must start at 0.
    let early = call(&app, "PATCH", &location)
        .user("alice")
        .header("Content-Range", "10-19")
        .body(&bytes[10..])
        .send();
    assert_eq!(early.code(), (416, "BLOB_UPLOAD_INVALID".to_owned()));
    assert_eq!(early.header("range"), Some("0-0"));

    let first = call(&app, "PATCH", &location)
        .user("alice")
        .header("Content-Type", "application/octet-stream")
        .header("Content-Range", "0-9")
        .body(&bytes[..10])
        .send();
    assert_eq!(first.status, 202);
    assert_eq!(first.header("range"), Some("0-9"));
    assert_eq!(first.header("location"), Some(location.as_str()));
    assert_eq!(first.header("docker-upload-uuid"), Some(id.as_str()));

    // The same chunk again overlaps what is there.
    let again = call(&app, "PATCH", &location)
        .user("alice")
        .header("Content-Range", "0-9")
        .body(&bytes[..10])
        .send();
    assert_eq!(again.code(), (416, "BLOB_UPLOAD_INVALID".to_owned()));
    // A chunk whose length is not its range's changes nothing.
    let short = call(&app, "PATCH", &location)
        .user("alice")
        .header("Content-Range", "10-19")
        .body(&bytes[10..15])
        .send();
    assert_eq!(short.code(), (400, "BLOB_UPLOAD_INVALID".to_owned()));

    let status = call(&app, "GET", &location).user("alice").send();
    assert_eq!(status.status, 204);
    assert_eq!(status.header("range"), Some("0-9"));
    assert_eq!(status.header("docker-upload-uuid"), Some(id.as_str()));

    let last = call(&app, "PUT", &format!("{location}?digest={digest}"))
        .user("alice")
        .header("Content-Range", "10-19")
        .body(&bytes[10..])
        .send();
    assert_eq!(last.status, 201);
    assert_eq!(
        last.header("location"),
        Some(format!("/v2/alice/pub/blobs/{digest}").as_str())
    );
    assert_eq!(last.header("docker-content-digest"), Some(digest.as_str()));
    let got = call(&app, "GET", &format!("/v2/alice/pub/blobs/{digest}")).send();
    assert_eq!(got.body, bytes);
    // The session is over.
    let over = call(&app, "GET", &location).user("alice").send();
    assert_eq!(over.code(), (404, "BLOB_UPLOAD_UNKNOWN".to_owned()));
    assert!(std::fs::read_dir(app.state.config.data_dir.join("uploads"))
        .unwrap()
        .next()
        .is_none());
}

#[test]
fn a_streamed_upload_and_a_sha512_digest() {
    let app = world();
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let location = start_session(&app, "alice/pub");
    let r = call(&app, "PATCH", &location).admin().body(&bytes).send();
    assert_eq!((r.status, r.header("range")), (202, Some("0-2999999")));
    let digest = sha512(&bytes);
    let done = call(&app, "PUT", &format!("{location}?digest={digest}"))
        .admin()
        .send();
    assert_eq!(done.status, 201);
    assert_eq!(done.header("docker-content-digest"), Some(digest.as_str()));
    let got = call(&app, "GET", &format!("/v2/alice/pub/blobs/{digest}")).send();
    assert_eq!((got.status, got.body == bytes), (200, true));
    // The whole blob as the body of the closing PUT.
    let other = b"all at the end".to_vec();
    let location = start_session(&app, "alice/pub");
    let done = call(
        &app,
        "PUT",
        &format!("{location}?digest={}", sha256(&other)),
    )
    .admin()
    .body(&other)
    .send();
    assert_eq!(done.status, 201);
}

#[test]
fn content_that_is_not_its_digest_is_refused_and_nothing_is_stored() {
    let app = world();
    let bytes = b"the real content".to_vec();
    let claimed = sha256(b"something else");
    let mono = call(
        &app,
        "POST",
        &format!("/v2/alice/pub/blobs/uploads/?digest={claimed}"),
    )
    .admin()
    .body(&bytes)
    .send();
    assert_eq!(mono.code(), (400, "DIGEST_INVALID".to_owned()));

    let location = start_session(&app, "alice/pub");
    let r = call(&app, "PUT", &format!("{location}?digest={claimed}"))
        .admin()
        .body(&bytes)
        .send();
    assert_eq!(r.code(), (400, "DIGEST_INVALID".to_owned()));
    // Nothing under either digest, no blob file, no upload left, and the session is over.
    for d in [&claimed, &sha256(&bytes)] {
        let got = call(&app, "GET", &format!("/v2/alice/pub/blobs/{d}")).send();
        assert_eq!(got.code(), (404, "BLOB_UNKNOWN".to_owned()));
        assert!(!blob_file(&app, d).exists());
    }
    assert!(std::fs::read_dir(app.state.config.data_dir.join("uploads"))
        .unwrap()
        .next()
        .is_none());
    let over = call(&app, "GET", &location).admin().send();
    assert_eq!(over.code(), (404, "BLOB_UPLOAD_UNKNOWN".to_owned()));
    // And the next push works.
    push_blob(&app, "alice/pub", &bytes);
}

#[test]
fn bad_digests_sessions_and_ranges_get_the_spec_codes() {
    let app = world();
    let cases: Vec<(&'static str, String, (u16, &str))> = vec![
        (
            "GET",
            "/v2/alice/pub/blobs/sha256:xyz".into(),
            (400, "DIGEST_INVALID"),
        ),
        (
            "GET",
            format!("/v2/alice/pub/blobs/sha384:{}", "a".repeat(96)),
            (400, "UNSUPPORTED"),
        ),
        (
            "GET",
            format!("/v2/alice/pub/blobs/{}", sha256(b"none")),
            (404, "BLOB_UNKNOWN"),
        ),
        (
            "HEAD",
            format!("/v2/alice/pub/blobs/{}", sha256(b"none")),
            (404, ""),
        ),
        (
            "DELETE",
            format!("/v2/alice/pub/blobs/{}", sha256(b"none")),
            (404, "BLOB_UNKNOWN"),
        ),
        (
            "POST",
            "/v2/alice/pub/blobs/uploads/?digest=nope".into(),
            (400, "DIGEST_INVALID"),
        ),
        (
            "GET",
            format!("/v2/alice/pub/blobs/uploads/{SESSION_ID}"),
            (404, "BLOB_UPLOAD_UNKNOWN"),
        ),
        (
            "PATCH",
            format!("/v2/alice/pub/blobs/uploads/{SESSION_ID}"),
            (404, "BLOB_UPLOAD_UNKNOWN"),
        ),
        (
            "PUT",
            format!(
                "/v2/alice/pub/blobs/uploads/{SESSION_ID}?digest={}",
                sha256(b"")
            ),
            (404, "BLOB_UPLOAD_UNKNOWN"),
        ),
        (
            "DELETE",
            format!("/v2/alice/pub/blobs/uploads/{SESSION_ID}"),
            (404, "BLOB_UPLOAD_UNKNOWN"),
        ),
        (
            "GET",
            "/v2/alice/pub/blobs/uploads/..%2F..%2Fberth.db".into(),
            (404, "BLOB_UPLOAD_UNKNOWN"),
        ),
        (
            "GET",
            "/v2/alice/pub/manifests/sha256:0".into(),
            (400, "DIGEST_INVALID"),
        ),
        // No manifest has a name no tag may have: the spec's 404 (only a PUT says
        // TAG_INVALID, below).
        (
            "GET",
            "/v2/alice/pub/manifests/-bad-tag".into(),
            (404, "MANIFEST_UNKNOWN"),
        ),
        (
            "DELETE",
            "/v2/alice/pub/manifests/-bad-tag".into(),
            (404, "MANIFEST_UNKNOWN"),
        ),
        (
            "GET",
            "/v2/alice/pub/manifests/latest".into(),
            (404, "MANIFEST_UNKNOWN"),
        ),
        (
            "GET",
            "/v2/alice/pub/referrers/sha256:0".into(),
            (400, "DIGEST_INVALID"),
        ),
        ("GET", "/v2/a/b/c/tags/list".into(), (400, "NAME_INVALID")),
        (
            "GET",
            "/v2/Alice/pub/tags/list".into(),
            (400, "NAME_INVALID"),
        ),
        (
            "PUT",
            "/v2/alice/pub/tags/list".into(),
            (405, "UNSUPPORTED"),
        ),
    ];
    for (method, path, (status, code)) in cases {
        let r = call(&app, method, &path).admin().send();
        assert_eq!(r.status, status, "{method} {path}");
        assert_eq!(
            r.header("docker-distribution-api-version"),
            Some("registry/2.0")
        );
        if method != "HEAD" {
            assert_eq!(r.code(), (status, code.to_owned()), "{method} {path}");
        }
    }
    let r = call(&app, "GET", "/v2/a/b/c/tags/list").admin().send();
    assert_eq!(
        r.error().2,
        "Berth repositories are namespace/name (or name, for library/name)"
    );
    // A session is its repository's: another repository does not know it.
    let location = start_session(&app, "alice/pub");
    let id = location.rsplit('/').next().unwrap();
    let elsewhere = call(&app, "GET", &format!("/v2/alice/priv/blobs/uploads/{id}"))
        .admin()
        .send();
    assert_eq!(elsewhere.code(), (404, "BLOB_UPLOAD_UNKNOWN".to_owned()));
    // The closing PUT needs a digest; a malformed Content-Range is refused.
    let bare = call(&app, "PUT", &location).admin().send();
    assert_eq!(bare.code(), (400, "DIGEST_INVALID".to_owned()));
    let garbled = call(&app, "PATCH", &location)
        .admin()
        .header("Content-Range", "x-y")
        .body(b"x")
        .send();
    assert_eq!(garbled.code(), (400, "BLOB_UPLOAD_INVALID".to_owned()));
}

#[test]
fn a_cancelled_session_is_gone() {
    let app = world();
    let location = start_session(&app, "alice/pub");
    let r = call(&app, "PATCH", &location)
        .admin()
        .body(b"partial")
        .send();
    assert_eq!(r.status, 202);
    let cancel = call(&app, "DELETE", &location).admin().send();
    assert_eq!(cancel.status, 204);
    assert_eq!(
        call(&app, "GET", &location).admin().send().code(),
        (404, "BLOB_UPLOAD_UNKNOWN".to_owned())
    );
    assert_eq!(
        call(&app, "DELETE", &location).admin().send().code(),
        (404, "BLOB_UPLOAD_UNKNOWN".to_owned())
    );
    assert!(std::fs::read_dir(app.state.config.data_dir.join("uploads"))
        .unwrap()
        .next()
        .is_none());
}

#[test]
fn a_mount_links_a_readable_blob_and_is_an_ordinary_session_otherwise() {
    let app = world();
    app.repo("bob", "mine", false);
    let secret = push_blob(&app, "alice/priv", b"alice's private layer");
    let public = push_blob(&app, "alice/pub", b"a public layer");
    let mount = |digest: &str, from: &str| {
        call(
            &app,
            "POST",
            &format!("/v2/bob/mine/blobs/uploads/?mount={digest}&from={from}"),
        )
        .user("bob")
        .send()
    };
    let m = mount(&public, "alice/pub");
    assert_eq!(m.status, 201);
    assert_eq!(
        m.header("location"),
        Some(format!("/v2/bob/mine/blobs/{public}").as_str())
    );
    assert_eq!(m.header("docker-content-digest"), Some(public.as_str()));
    let got = call(&app, "GET", &format!("/v2/bob/mine/blobs/{public}"))
        .user("bob")
        .send();
    assert_eq!(got.body, b"a public layer");
    // A repository bob may not read, one that does not exist, and a blob that is not there:
    // each an ordinary session, the same answer.
    for (digest, from) in [
        (secret.as_str(), "alice/priv"),
        (secret.as_str(), "alice/nothing"),
        (sha256(b"absent").as_str(), "alice/pub"),
    ] {
        let r = mount(digest, from);
        assert_eq!((r.status, r.header("range")), (202, Some("0-0")), "{from}");
        assert!(r
            .header("location")
            .unwrap()
            .starts_with("/v2/bob/mine/blobs/uploads/"));
    }
    let not = call(&app, "GET", &format!("/v2/bob/mine/blobs/{secret}"))
        .user("bob")
        .send();
    assert_eq!(not.code(), (404, "BLOB_UNKNOWN".to_owned()));
}

// ------------------------------------------------------------------------------ manifests

#[test]
fn a_manifest_pulls_back_byte_for_byte_by_tag_and_digest() {
    let app = world();
    let body = image(&app, "alice/pub", "one");
    let digest = sha256(&body);
    let put = put_manifest(&app, "alice/pub", "v1", &body);
    assert_eq!(put.status, 201);
    assert_eq!(
        put.header("location"),
        Some(format!("/v2/alice/pub/manifests/{digest}").as_str())
    );
    assert_eq!(put.header("docker-content-digest"), Some(digest.as_str()));
    assert_eq!(put.header("oci-subject"), None);
    for reference in ["v1", digest.as_str()] {
        let get = call(&app, "GET", &format!("/v2/alice/pub/manifests/{reference}")).send();
        assert_eq!(get.status, 200);
        assert_eq!(get.body, body);
        assert_eq!(get.header("content-type"), Some(OCI_MANIFEST));
        assert_eq!(get.header("docker-content-digest"), Some(digest.as_str()));
        let head = call(
            &app,
            "HEAD",
            &format!("/v2/alice/pub/manifests/{reference}"),
        )
        .send();
        assert_eq!(head.status, 200);
        assert_eq!(
            head.header("content-length"),
            Some(body.len().to_string().as_str())
        );
        assert_eq!(head.header("content-type"), Some(OCI_MANIFEST));
        assert!(head.body.is_empty());
    }
    // By digest, the digest must match.
    let by_digest = put_manifest(&app, "alice/pub", &digest, &body);
    assert_eq!(by_digest.status, 201);
    let lying = put_manifest(&app, "alice/pub", &sha256(b"other"), &body);
    assert_eq!(lying.code(), (400, "DIGEST_INVALID".to_owned()));
    // A Docker schema 2 manifest keeps its own media type.
    let docker = String::from_utf8(body.clone()).unwrap().replace(
        OCI_MANIFEST,
        "application/vnd.docker.distribution.manifest.v2+json",
    );
    let r = call(&app, "PUT", "/v2/alice/pub/manifests/docker")
        .admin()
        .header(
            "Content-Type",
            "application/vnd.docker.distribution.manifest.v2+json",
        )
        .body(docker.as_bytes())
        .send();
    assert_eq!(r.status, 201);
    let get = call(&app, "GET", "/v2/alice/pub/manifests/docker").send();
    assert_eq!(
        get.header("content-type"),
        Some("application/vnd.docker.distribution.manifest.v2+json")
    );
}

/// Manifest reads are kept in the read cache: each write that changes what a kept read would
/// answer (a tag moved, a tag or manifest deleted, the repository made private) is seen by
/// the very next read. The reads are `HEAD`s, which count no pull: a pull count written
/// would expire the entry by itself.
#[test]
fn a_kept_manifest_read_follows_every_write_at_once() {
    let app = world();
    let head = |reference: &str, user: Option<&str>| {
        let c = call(
            &app,
            "HEAD",
            &format!("/v2/alice/pub/manifests/{reference}"),
        );
        let a = match user {
            Some(u) => c.user(u).send(),
            None => c.send(),
        };
        (
            a.status,
            a.header("docker-content-digest").map(str::to_owned),
        )
    };
    let first = image(&app, "alice/pub", "first");
    let second = image(&app, "alice/pub", "second");
    let (d1, d2) = (sha256(&first), sha256(&second));
    assert_eq!(put_manifest(&app, "alice/pub", "v1", &first).status, 201);
    for _ in 0..3 {
        assert_eq!(head("v1", None), (200, Some(d1.clone())));
        assert_eq!(head(&d1, None), (200, Some(d1.clone())));
    }
    // The tag moves.
    assert_eq!(put_manifest(&app, "alice/pub", "v1", &second).status, 201);
    assert_eq!(head("v1", None), (200, Some(d2.clone())));
    let moved = call(&app, "GET", "/v2/alice/pub/manifests/v1").send();
    assert_eq!((moved.status, moved.body), (200, second.clone()));
    // The tag goes.
    let r = call(&app, "DELETE", "/v2/alice/pub/manifests/v1")
        .user("alice")
        .send();
    assert_eq!(r.status, 202);
    assert_eq!(head("v1", None), (404, None));
    // A manifest goes (read by digest just before).
    assert_eq!(head(&d1, None), (200, Some(d1.clone())));
    let r = call(&app, "DELETE", &format!("/v2/alice/pub/manifests/{d1}"))
        .user("alice")
        .send();
    assert_eq!(r.status, 202);
    assert_eq!(head(&d1, None), (404, None));
    let gone = call(&app, "GET", &format!("/v2/alice/pub/manifests/{d1}")).send();
    assert_eq!(gone.code(), (404, "MANIFEST_UNKNOWN".to_owned()));
    // The repository turns private: outsiders' next reads find nothing there, as for a
    // repository that does not exist; its owner still reads it.
    assert_eq!(put_manifest(&app, "alice/pub", "v2", &second).status, 201);
    assert_eq!(head("v2", None), (200, Some(d2.clone())));
    assert_eq!(head("v2", Some("bob")), (200, Some(d2.clone())));
    let r = app
        .patch("/api/v0/repositories/alice/pub")
        .as_user("alice")
        .json(&json!({"visibility": "private"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(head("v2", None).0, 401);
    assert_eq!(head("v2", Some("bob")), (404, None));
    for user in [None, Some("bob")] {
        let ask = |path: &str| {
            let c = call(&app, "GET", path);
            match user {
                Some(u) => c.user(u).send(),
                None => c.send(),
            }
        };
        let missing = ask("/v2/alice/nothing/manifests/v2");
        let hidden = ask("/v2/alice/pub/manifests/v2");
        assert_eq!((hidden.status, hidden.body), (missing.status, missing.body));
    }
    assert_eq!(head("v2", Some("alice")), (200, Some(d2)));
    let own = call(&app, "GET", "/v2/alice/pub/manifests/v2")
        .user("alice")
        .send();
    assert_eq!((own.status, own.body), (200, second));
}

#[test]
fn a_pushed_tag_is_the_repository_tag_everywhere_and_counts_pushes_and_pulls() {
    let app = world();
    let body = image(&app, "alice/pub", "counted");
    assert_eq!(put_manifest(&app, "alice/pub", "latest", &body).status, 201);
    let conn = app.conn();
    let repo = berth::store::repos::by_path(&conn, "alice", "pub")
        .unwrap()
        .unwrap();
    assert_eq!(repo.push_count, 1);
    let tag = berth::store::tags::tag_by_name(&conn, repo.id, "latest")
        .unwrap()
        .unwrap();
    // Docker's image id: the config digest's hex.
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    let config = manifest["config"]["digest"].as_str().unwrap();
    assert_eq!(tag.image_id, config.trim_start_matches("sha256:"));
    let (size, platforms): (i64, String) = conn
        .query_row(
            "SELECT m.image_size, m.platforms FROM tags t JOIN manifests m ON m.id = t.manifest_id
              WHERE t.repository_id = ?1 AND t.name = 'latest'",
            [repo.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let expected = manifest["config"]["size"].as_i64().unwrap()
        + manifest["layers"][0]["size"].as_i64().unwrap();
    assert_eq!(
        (size, platforms.as_str()),
        (expected, r#"["linux/arm64/v8"]"#)
    );
    // The Index sees the tag (its image id).
    let v1 = app.get("/v1/repositories/alice/pub/tags/latest").send();
    assert_eq!(v1.status, 200, "{}", v1.body);
    assert_eq!(v1.json(), json!(tag.image_id));
    // A GET counts a pull of the repository and the tag; a HEAD does not.
    call(&app, "HEAD", "/v2/alice/pub/manifests/latest").send();
    call(&app, "GET", "/v2/alice/pub/manifests/latest").send();
    let digest = sha256(&body);
    call(&app, "GET", &format!("/v2/alice/pub/manifests/{digest}")).send();
    let repo = berth::store::repos::by_path(&conn, "alice", "pub")
        .unwrap()
        .unwrap();
    let tag = berth::store::tags::tag_by_name(&conn, repo.id, "latest")
        .unwrap()
        .unwrap();
    assert_eq!((repo.pull_count, tag.pull_count), (2, 1));
    assert!(repo.pulled_at.is_some());
}

#[test]
fn a_legacy_tag_write_takes_the_tag_back_from_the_registry() {
    let app = world();
    let body = image(&app, "alice/pub", "legacy");
    assert_eq!(put_manifest(&app, "alice/pub", "latest", &body).status, 201);
    let image_id = "9e89cc6f0bc3c38722009fe6857087b486531f9a779a0c17e3ed29dae8f12c4f";
    let conn = app.conn();
    let repo = berth::store::repos::by_path(&conn, "alice", "pub")
        .unwrap()
        .unwrap();
    let mut conn = app.conn();
    berth::store::write(&mut conn, |tx| {
        berth::store::tags::merge_images(
            tx,
            repo.id,
            &[berth::store::tags::Image {
                image_id: image_id.into(),
                checksum: None,
            }],
        )?;
        berth::store::tags::set_tag(tx, repo.id, "latest", image_id)
    })
    .unwrap();
    let r = call(&app, "GET", "/v2/alice/pub/manifests/latest").send();
    assert_eq!(r.code(), (404, "MANIFEST_UNKNOWN".to_owned()));
    let tags = call(&app, "GET", "/v2/alice/pub/tags/list").send();
    assert_eq!(tags.json(), json!({"name": "alice/pub", "tags": []}));
}

#[test]
fn bad_manifests_are_refused_and_store_nothing() {
    let app = world();
    let good = image(&app, "alice/pub", "good");
    let v: Value = serde_json::from_slice(&good).unwrap();
    let missing_layer = {
        let mut v = v.clone();
        v["layers"][0]["digest"] = json!(sha256(b"never pushed"));
        v.to_string()
    };
    let foreign_layer = {
        let mut v = v.clone();
        v["layers"][0] = json!({"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "digest": sha256(b"elsewhere"), "size": 5, "urls": ["https://example.com/layer"]});
        v.to_string()
    };
    let wrong_size = {
        let mut v = v.clone();
        v["layers"][0]["size"] = json!(1);
        v.to_string()
    };
    let schema1 = r#"{"schemaVersion":1,"name":"alice/pub","tag":"x","architecture":"amd64","fsLayers":[],"history":[]}"#;
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": sha256(b"no such manifest"), "size": 3,
         "platform": {"os": "linux", "architecture": "amd64"}}]})
    .to_string();
    let cases: Vec<(&str, Vec<u8>, (u16, &str))> = vec![
        (
            OCI_MANIFEST,
            b"not json".to_vec(),
            (400, "MANIFEST_INVALID"),
        ),
        (OCI_MANIFEST, b"{}".to_vec(), (400, "MANIFEST_INVALID")),
        (
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            schema1.as_bytes().to_vec(),
            (400, "MANIFEST_INVALID"),
        ),
        (
            "application/json",
            schema1.as_bytes().to_vec(),
            (400, "MANIFEST_INVALID"),
        ),
        (
            OCI_MANIFEST,
            missing_layer.into_bytes(),
            (400, "MANIFEST_BLOB_UNKNOWN"),
        ),
        (
            OCI_MANIFEST,
            wrong_size.into_bytes(),
            (400, "MANIFEST_INVALID"),
        ),
        (OCI_INDEX, index.into_bytes(), (400, "MANIFEST_UNKNOWN")),
        (
            OCI_MANIFEST,
            vec![b' '; 4 * 1024 * 1024 + 1],
            (413, "SIZE_INVALID"),
        ),
    ];
    for (ct, body, (status, code)) in cases {
        let r = call(&app, "PUT", "/v2/alice/pub/manifests/bad")
            .admin()
            .header("Content-Type", ct)
            .body(&body)
            .send();
        assert_eq!(
            r.code(),
            (status, code.to_owned()),
            "{ct} {}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        // Nothing stored under the content's digest either.
        let by_digest = call(
            &app,
            "GET",
            &format!("/v2/alice/pub/manifests/{}", sha256(&body)),
        )
        .send();
        assert_eq!(by_digest.status, 404);
    }
    let r = call(&app, "PUT", "/v2/alice/pub/manifests/bad")
        .admin()
        .header("Content-Type", OCI_MANIFEST)
        .body(b"{\"schemaVersion\":2,\"config\":7}")
        .send();
    assert_eq!(r.code(), (400, "MANIFEST_INVALID".to_owned()));
    let unknown = call(&app, "PUT", "/v2/alice/pub/manifests/bad")
        .admin()
        .body(
            v.to_string()
                .replace(&sha256(b"layer of good"), &sha256(b"never"))
                .as_bytes(),
        )
        .send();
    assert_eq!(
        unknown.json()["errors"][0]["detail"],
        json!({"digest": sha256(b"never")})
    );
    let tags = call(&app, "GET", "/v2/alice/pub/tags/list").send();
    assert_eq!(tags.json()["tags"], json!([]));
    // A non-distributable layer need not be here.
    assert_eq!(
        put_manifest(&app, "alice/pub", "foreign", foreign_layer.as_bytes()).status,
        201
    );
    // A bad tag name.
    let r = put_manifest(&app, "alice/pub", "-nope", &good);
    assert_eq!(r.code(), (400, "TAG_INVALID".to_owned()));
}

#[test]
fn an_index_needs_its_children_and_lists_their_platforms() {
    let app = world();
    let amd = image(&app, "alice/pub", "amd");
    let arm = image(&app, "alice/pub", "arm");
    assert_eq!(
        put_manifest(&app, "alice/pub", &sha256(&amd), &amd).status,
        201
    );
    assert_eq!(
        put_manifest(&app, "alice/pub", &sha256(&arm), &arm).status,
        201
    );
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": sha256(&amd), "size": amd.len(), "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": OCI_MANIFEST, "digest": sha256(&arm), "size": arm.len(), "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"mediaType": OCI_MANIFEST, "digest": sha256(&arm), "size": arm.len(), "platform": {"os": "unknown", "architecture": "unknown"}}]})
    .to_string();
    let r = call(&app, "PUT", "/v2/alice/pub/manifests/multi")
        .admin()
        .header("Content-Type", OCI_INDEX)
        .body(index.as_bytes())
        .send();
    assert_eq!(r.status, 201);
    let get = call(&app, "GET", "/v2/alice/pub/manifests/multi").send();
    assert_eq!(
        (get.header("content-type"), get.body.as_slice()),
        (Some(OCI_INDEX), index.as_bytes())
    );
    let platforms: String = app
        .conn()
        .query_row(
            "SELECT platforms FROM manifests WHERE digest = ?1",
            [sha256(index.as_bytes())],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(platforms, r#"["linux/amd64","linux/arm64/v8"]"#);
}

#[test]
fn tags_page_by_n_and_last_with_a_link_to_the_next_page() {
    let app = world();
    let body = image(&app, "alice/pub", "tags");
    for tag in ["b", "a", "C", "c", "d"] {
        assert_eq!(put_manifest(&app, "alice/pub", tag, &body).status, 201);
    }
    let all = call(&app, "GET", "/v2/alice/pub/tags/list").send();
    assert_eq!(
        all.json(),
        json!({"name": "alice/pub", "tags": ["C", "a", "b", "c", "d"]})
    );
    assert_eq!(all.header("link"), None);
    let first = call(&app, "GET", "/v2/alice/pub/tags/list?n=2").send();
    assert_eq!(first.json()["tags"], json!(["C", "a"]));
    assert_eq!(
        first.header("link"),
        Some("</v2/alice/pub/tags/list?n=2&last=a>; rel=\"next\"")
    );
    let next = call(&app, "GET", "/v2/alice/pub/tags/list?n=2&last=a").send();
    assert_eq!(next.json()["tags"], json!(["b", "c"]));
    let last = call(&app, "GET", "/v2/alice/pub/tags/list?n=2&last=c").send();
    assert_eq!(
        (last.json()["tags"].clone(), last.header("link")),
        (json!(["d"]), None)
    );
    let exact = call(&app, "GET", "/v2/alice/pub/tags/list?n=5").send();
    assert_eq!(exact.header("link"), None);
    let none = call(&app, "GET", "/v2/alice/pub/tags/list?n=0").send();
    assert_eq!(
        (none.json()["tags"].clone(), none.header("link")),
        (json!([]), None)
    );
    let bad = call(&app, "GET", "/v2/alice/pub/tags/list?n=x").send();
    assert_eq!(bad.status, 400);
}

#[test]
fn the_catalog_lists_what_the_caller_may_read_in_byte_order() {
    let app = world();
    app.user("carol");
    app.repo("bob", "z", false);
    app.repo("carol", "a", true);
    app.repo("library", "base", true);
    let names = |a: &Ans| a.json()["repositories"].clone();
    let anon = call(&app, "GET", "/v2/_catalog").send();
    assert_eq!(
        names(&anon),
        json!(["alice/pub", "carol/a", "library/base"])
    );
    let bob = call(&app, "GET", "/v2/_catalog").user("bob").send();
    assert_eq!(
        names(&bob),
        json!(["alice/pub", "bob/z", "carol/a", "library/base"])
    );
    let admin = call(&app, "GET", "/v2/_catalog?n=2").admin().send();
    assert_eq!(names(&admin), json!(["alice/priv", "alice/pub"]));
    assert_eq!(
        admin.header("link"),
        Some("</v2/_catalog?n=2&last=alice%2Fpub>; rel=\"next\"")
    );
    let next = call(&app, "GET", "/v2/_catalog?n=2&last=alice%2Fpub")
        .admin()
        .send();
    assert_eq!(names(&next), json!(["bob/z", "carol/a"]));
}

#[test]
fn referrers_list_the_manifests_of_a_subject_filtered_by_artifact_type() {
    let app = world();
    let subject = image(&app, "alice/pub", "subject");
    let subject_digest = sha256(&subject);
    assert_eq!(
        put_manifest(&app, "alice/pub", "latest", &subject).status,
        201
    );
    let empty = push_blob(&app, "alice/pub", b"{}");
    let artifact = |kind: &str, note: &str| {
        json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": kind,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject_digest, "size": subject.len()},
            "annotations": {"note": note}})
        .to_string()
        .into_bytes()
    };
    let sig = artifact("application/vnd.example.signature", "signed");
    let sbom = artifact("application/vnd.example.sbom", "listed");
    for a in [&sig, &sbom] {
        let r = put_manifest(&app, "alice/pub", &sha256(a), a);
        assert_eq!(r.status, 201);
        assert_eq!(r.header("oci-subject"), Some(subject_digest.as_str()));
    }
    let all = call(
        &app,
        "GET",
        &format!("/v2/alice/pub/referrers/{subject_digest}"),
    )
    .send();
    assert_eq!(all.status, 200);
    assert_eq!(all.header("content-type"), Some(OCI_INDEX));
    assert_eq!(all.header("oci-filters-applied"), None);
    assert_eq!(
        all.json(),
        json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": sha256(&sig), "size": sig.len(),
             "artifactType": "application/vnd.example.signature", "annotations": {"note": "signed"}},
            {"mediaType": OCI_MANIFEST, "digest": sha256(&sbom), "size": sbom.len(),
             "artifactType": "application/vnd.example.sbom", "annotations": {"note": "listed"}}]})
    );
    let one = call(
        &app,
        "GET",
        &format!(
            "/v2/alice/pub/referrers/{subject_digest}?artifactType=application/vnd.example.sbom"
        ),
    )
    .send();
    assert_eq!(one.header("oci-filters-applied"), Some("artifactType"));
    assert_eq!(one.json()["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(one.json()["manifests"][0]["digest"], json!(sha256(&sbom)));
    let none = call(
        &app,
        "GET",
        &format!("/v2/alice/pub/referrers/{}", sha256(b"no subject")),
    )
    .send();
    assert_eq!(
        none.json(),
        json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})
    );
}

// ------------------------------------------------------------------------------ deletes

#[test]
fn deletes_remove_tags_manifests_and_links_but_never_files() {
    let app = world();
    let body = image(&app, "alice/pub", "doomed");
    let digest = sha256(&body);
    for tag in ["one", "two"] {
        assert_eq!(put_manifest(&app, "alice/pub", tag, &body).status, 201);
    }
    // A tag: only the tag goes.
    let r = call(&app, "DELETE", "/v2/alice/pub/manifests/one")
        .user("alice")
        .send();
    assert_eq!((r.status, r.body.len()), (202, 0));
    assert_eq!(
        call(&app, "GET", "/v2/alice/pub/manifests/one")
            .send()
            .code(),
        (404, "MANIFEST_UNKNOWN".to_owned())
    );
    assert_eq!(
        call(&app, "GET", &format!("/v2/alice/pub/manifests/{digest}"))
            .send()
            .status,
        200
    );
    assert_eq!(
        call(&app, "DELETE", "/v2/alice/pub/manifests/one")
            .user("alice")
            .send()
            .code(),
        (404, "MANIFEST_UNKNOWN".to_owned())
    );
    // The manifest: its tags go too.
    let r = call(&app, "DELETE", &format!("/v2/alice/pub/manifests/{digest}"))
        .user("alice")
        .send();
    assert_eq!(r.status, 202);
    assert_eq!(
        call(&app, "GET", "/v2/alice/pub/manifests/two")
            .send()
            .status,
        404
    );
    assert_eq!(
        call(&app, "GET", "/v2/alice/pub/tags/list").send().json()["tags"],
        json!([])
    );
    // A blob: unlinked from this repository, its file kept for garbage collection.
    let v: Value = serde_json::from_slice(&body).unwrap();
    let layer = v["layers"][0]["digest"].as_str().unwrap().to_owned();
    let r = call(&app, "DELETE", &format!("/v2/alice/pub/blobs/{layer}"))
        .user("alice")
        .send();
    assert_eq!(r.status, 202);
    assert_eq!(
        call(&app, "GET", &format!("/v2/alice/pub/blobs/{layer}"))
            .send()
            .code(),
        (404, "BLOB_UNKNOWN".to_owned())
    );
    assert!(blob_file(&app, &layer).exists());
}

#[test]
fn deletes_need_admin_on_the_repository() {
    let app = world();
    let body = image(&app, "alice/pub", "kept");
    assert_eq!(put_manifest(&app, "alice/pub", "latest", &body).status, 201);
    app.exec(
        "INSERT INTO repository_user_access (repository_id, user_id, level)
         SELECT r.id, a.id, 'read-write' FROM repositories r, accounts a WHERE r.full_path = 'alice/pub' AND a.name = 'bob'"
    );
    let writer = call(&app, "DELETE", "/v2/alice/pub/manifests/latest")
        .user("bob")
        .send();
    assert_eq!(writer.code(), (403, "DENIED".to_owned()));
    let hidden = call(&app, "DELETE", "/v2/alice/priv/manifests/latest")
        .user("bob")
        .send();
    assert_eq!(hidden.code(), (404, "NAME_UNKNOWN".to_owned()));
    let anon = call(&app, "DELETE", "/v2/alice/pub/manifests/latest").send();
    assert_eq!(anon.code(), (401, "UNAUTHORIZED".to_owned()));
    assert_eq!(
        call(&app, "GET", "/v2/alice/pub/manifests/latest")
            .send()
            .status,
        200
    );
}

// ------------------------------------------------------------------------------ who may

#[test]
fn a_first_push_creates_a_private_repository_where_the_caller_may() {
    let app = world();
    let r = call(&app, "POST", "/v2/bob/fresh/blobs/uploads/")
        .user("bob")
        .send();
    assert_eq!(r.status, 202);
    let repo = berth::store::repos::by_path(&app.conn(), "bob", "fresh")
        .unwrap()
        .unwrap();
    assert!(!repo.is_public);
    // Nobody else sees it.
    let other = call(&app, "GET", "/v2/bob/fresh/tags/list")
        .user("alice")
        .send();
    assert_eq!(other.code(), (404, "NAME_UNKNOWN".to_owned()));
    // Into another user's namespace: 403, whether the repository exists or not.
    let missing = call(&app, "POST", "/v2/alice/fresh/blobs/uploads/")
        .user("bob")
        .send();
    let private = call(&app, "POST", "/v2/alice/priv/blobs/uploads/")
        .user("bob")
        .send();
    let public = call(&app, "POST", "/v2/alice/pub/blobs/uploads/")
        .user("bob")
        .send();
    let nobody = call(&app, "POST", "/v2/nobody/fresh/blobs/uploads/")
        .user("bob")
        .send();
    let library = call(&app, "POST", "/v2/fresh/blobs/uploads/")
        .user("bob")
        .send();
    for r in [&missing, &private, &public, &nobody, &library] {
        assert_eq!(
            r.json(),
            json!({"errors": [{"code": "DENIED", "message": "requested access to the resource is denied", "detail": null}]})
        );
        assert_eq!(r.status, 403);
    }
    assert_eq!(missing.stable(), private.stable());
    assert!(berth::store::repos::by_path(&app.conn(), "alice", "fresh")
        .unwrap()
        .is_none());
    // A site admin may push to library, named by one component.
    let lib = call(&app, "POST", "/v2/fresh/blobs/uploads/")
        .admin()
        .send();
    assert_eq!(lib.status, 202);
    assert!(lib
        .header("location")
        .unwrap()
        .starts_with("/v2/fresh/blobs/uploads/"));
    assert!(
        berth::store::repos::by_path(&app.conn(), "library", "fresh")
            .unwrap()
            .is_some()
    );
    // A manifest push creates one too.
    let body = image(&app, "alice/pub", "x");
    let r = call(&app, "PUT", "/v2/bob/other/manifests/latest")
        .user("bob")
        .header("Content-Type", OCI_MANIFEST)
        .body(&body)
        .send();
    assert_eq!(r.code(), (400, "MANIFEST_BLOB_UNKNOWN".to_owned()));
}

#[test]
fn a_private_repository_answers_as_a_missing_one_to_whoever_may_not_read_it() {
    let app = world();
    let body = image(&app, "alice/priv", "secret");
    assert_eq!(
        put_manifest(&app, "alice/priv", "latest", &body).status,
        201
    );
    let layer = {
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["layers"][0]["digest"].as_str().unwrap().to_owned()
    };
    let digest = sha256(&body);
    let routes = |name: &str| -> Vec<(&'static str, String)> {
        vec![
            ("GET", format!("/v2/{name}/tags/list")),
            ("GET", format!("/v2/{name}/manifests/latest")),
            ("HEAD", format!("/v2/{name}/manifests/latest")),
            ("GET", format!("/v2/{name}/manifests/{digest}")),
            ("GET", format!("/v2/{name}/blobs/{layer}")),
            ("HEAD", format!("/v2/{name}/blobs/{layer}")),
            ("GET", format!("/v2/{name}/referrers/{digest}")),
            ("POST", format!("/v2/{name}/blobs/uploads/")),
            ("GET", format!("/v2/{name}/blobs/uploads/{SESSION_ID}")),
            ("PATCH", format!("/v2/{name}/blobs/uploads/{SESSION_ID}")),
            ("PUT", format!("/v2/{name}/manifests/latest")),
            ("DELETE", format!("/v2/{name}/manifests/latest")),
            ("DELETE", format!("/v2/{name}/blobs/{layer}")),
        ]
    };
    let callers: Vec<(&str, Option<String>)> = vec![
        ("anonymous", None),
        ("bob", Some(basic("bob", PASSWORD))),
        (
            "a token that is not valid",
            Some("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x".to_owned()),
        ),
    ];
    for (who, auth) in &callers {
        for ((method, private), (_, missing)) in
            routes("alice/priv").into_iter().zip(routes("alice/gone"))
        {
            let send = |path: &str| {
                let mut c = call(&app, method, path);
                if let Some(a) = auth {
                    c = c.auth(a);
                }
                c.send()
            };
            let (p, m) = (send(&private), send(&missing));
            assert_eq!(p.status, m.status, "{who} {method} {private}");
            assert!(
                p.status == 401 || p.status == 403 || p.status == 404,
                "{who} {method} {private}: {}",
                p.status
            );
            let mask = |a: &Ans| {
                a.stable()
                    .into_iter()
                    .map(|(k, v)| (k, v.replace("alice/gone", "alice/priv")))
                    .collect::<Vec<_>>()
            };
            assert_eq!(mask(&p), mask(&m), "{who} {method} {private}");
            assert_eq!(p.body, m.body, "{who} {method} {private}");
        }
    }
    // The owner sees it all.
    assert_eq!(
        call(&app, "GET", "/v2/alice/priv/manifests/latest")
            .user("alice")
            .send()
            .body,
        body
    );
}

#[test]
fn read_only_callers_may_pull_but_not_push() {
    let app = world();
    app.exec(
        "INSERT INTO repository_user_access (repository_id, user_id, level)
         SELECT r.id, a.id, 'read-only' FROM repositories r, accounts a WHERE r.full_path = 'alice/priv' AND a.name = 'bob'",
    );
    let body = image(&app, "alice/priv", "shared");
    assert_eq!(
        put_manifest(&app, "alice/priv", "latest", &body).status,
        201
    );
    assert_eq!(
        call(&app, "GET", "/v2/alice/priv/manifests/latest")
            .user("bob")
            .send()
            .body,
        body
    );
    let push = call(&app, "POST", "/v2/alice/priv/blobs/uploads/")
        .user("bob")
        .send();
    assert_eq!(push.code(), (403, "DENIED".to_owned()));
    let tag = call(&app, "PUT", "/v2/alice/priv/manifests/other")
        .user("bob")
        .header("Content-Type", OCI_MANIFEST)
        .body(&body)
        .send();
    assert_eq!(tag.code(), (403, "DENIED".to_owned()));
    // And an inactive account is nobody, whatever it was granted.
    app.user("carol");
    app.exec(
        "INSERT INTO repository_user_access (repository_id, user_id, level)
         SELECT r.id, a.id, 'read-only' FROM repositories r, accounts a WHERE r.full_path = 'alice/priv' AND a.name = 'carol';
         UPDATE accounts SET is_active = 0 WHERE name = 'carol'",
    );
    let gone = call(&app, "GET", "/v2/alice/priv/manifests/latest")
        .user("carol")
        .send();
    assert_eq!(gone.code(), (401, "UNAUTHORIZED".to_owned()));
}

#[test]
fn every_answer_carries_the_api_version_header() {
    let app = world();
    for (method, path) in [
        ("GET", "/v2/"),
        ("GET", "/v2/_catalog"),
        ("GET", "/v2/alice/pub/tags/list"),
        ("GET", "/v2/alice/pub/nothing/here"),
        ("POST", "/v2/alice/pub/manifests/x"),
    ] {
        let r = call(&app, method, path).admin().send();
        assert_eq!(
            r.header("docker-distribution-api-version"),
            Some("registry/2.0"),
            "{method} {path}"
        );
    }
    let not_found = call(&app, "GET", "/v2/alice/pub/nothing/here")
        .admin()
        .send();
    assert_eq!(not_found.code(), (404, "NOT_FOUND".to_owned()));
    let wrong_method = call(&app, "POST", "/v2/alice/pub/manifests/x")
        .admin()
        .send();
    assert_eq!(wrong_method.code(), (405, "UNSUPPORTED".to_owned()));
}
