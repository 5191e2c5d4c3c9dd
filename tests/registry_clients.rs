//! Real registry clients against Berth's `/v2` (issue 14, "Show"; API-NOTES section 10):
//! skopeo, podman, the docker CLI and oras-py push, inspect, list, pull back byte for byte,
//! copy between repositories by mounting, delete, and log in with a right password, an API key
//! and a wrong password; an anonymous pull of a private image is refused exactly like a pull of
//! an image that does not exist. Berth challenges with `Bearer`, so skopeo, podman and docker
//! take the token flow (`/v2/token`); Basic alone is shown working on the same routes with raw
//! HTTP and with oras-py's basic backend.
//!
//! Test images are built offline with umoci (`registry_support::tools::build_image`); every
//! program is installed by `.ci/run` (Debian's skopeo, podman, umoci; the docker CLI; oras-py
//! from PyPI through `tests/clients/setup.sh`), and a missing one fails the test naming it.
//! podman runs as root with `--storage-driver=vfs` and a storage root of its own per test.
//!
//! **Against another registry**: `BERTH_CLIENTS_URL=http://127.0.0.1:5001 cargo test --test
//! registry_clients` runs the push/pull flows against that registry without authentication
//! (the checks of credentials and visibility need Berth and are left out there). Against
//! Debian's distribution 2.8.2 everything passes but the oras tests' referrers checks: 2.8.2
//! predates the referrers API and `OCI-Subject`.

mod common;
mod registry_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use common::PASSWORD;
use registry_support::tools::{self, need, run, run_with_stdin, Layout, Output};
use registry_support::{oci, Target};

const LIMIT: Duration = Duration::from_secs(120);
const WRONG: &str = "not-the-password";

/// A registry with users `alice` and `bob` (on Berth), or the external one.
fn world() -> Target {
    let t = Target::from_env("BERTH_CLIENTS_URL", "clients");
    if let Some(app) = &t.app {
        app.user("alice");
        app.user("bob");
    }
    t
}

/// `ns/{prefix}-{random}`.
fn repo(ns: &str, prefix: &str) -> String {
    format!("{ns}/{prefix}-{}", oci::random_hex(3))
}

fn creds(user: &str) -> String {
    format!("{user}:{PASSWORD}")
}

/// A fresh API key of `user` (Berth only).
fn api_key(t: &Target, user: &str) -> String {
    let app = t.app();
    let account = berth::store::accounts::by_name(&app.conn(), user)
        .expect("lookup")
        .expect("user exists");
    berth::core::accounts::create_api_key(&app.conn(), account.id, "registry-clients")
        .expect("create API key")
        .1
}

/// Make `ns/name` public (Berth only; a push creates it private).
fn make_public(t: &Target, name: &str) {
    let r = t
        .req("PATCH", &format!("/api/v0/repositories/{name}"))
        .header("Content-Type", "application/json")
        .body(br#"{"visibility":"public"}"#)
        .send();
    assert_eq!(r.status, 200, "make {name} public: {r:?}");
}

/// The digest the registry holds for `name:tag`, asked with the admin's Basic (Berth) or
/// anonymously (external).
fn registry_digest(t: &Target, name: &str, tag: &str) -> String {
    let r = t
        .head(&format!("/v2/{name}/manifests/{tag}"))
        .header(
            "Accept",
            &[oci::OCI_MANIFEST, oci::DOCKER_MANIFEST, oci::OCI_INDEX].join(", "),
        )
        .send();
    assert_eq!(r.status, 200, "{r:?}");
    r.header("docker-content-digest")
        .unwrap_or_else(|| panic!("no Docker-Content-Digest: {r:?}"))
        .to_owned()
}

// ---------------------------------------------------------------- skopeo

/// skopeo with a home and an auth file of its own, and no signature policy to consult.
struct Skopeo {
    bin: PathBuf,
    home: tempfile::TempDir,
}

impl Skopeo {
    fn new() -> Skopeo {
        Skopeo {
            bin: need("skopeo"),
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn authfile(&self) -> PathBuf {
        self.home.path().join("auth.json")
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new(&self.bin);
        c.env("HOME", self.home.path())
            .env("REGISTRY_AUTH_FILE", self.authfile())
            .arg("--insecure-policy")
            .args(args);
        run(c, LIMIT)
    }

    /// `skopeo copy` from `src` to `dest` with the given credentials on each side.
    fn copy(
        &self,
        src: &str,
        dest: &str,
        src_creds: Option<&str>,
        dest_creds: Option<&str>,
    ) -> Output {
        self.copy_with(&[], src, dest, src_creds, dest_creds)
    }

    fn copy_with(
        &self,
        global: &[&str],
        src: &str,
        dest: &str,
        src_creds: Option<&str>,
        dest_creds: Option<&str>,
    ) -> Output {
        let mut args: Vec<&str> = global.to_vec();
        // `--preserve-digests`: c/image may otherwise swap a layer for another compression of
        // it that its blob cache (shared by every skopeo and podman run on the machine) knows
        // to be in the registry, which changes the manifest.
        args.extend([
            "copy",
            "--preserve-digests",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ]);
        if let Some(c) = src_creds {
            args.extend(["--src-creds", c]);
        }
        if let Some(c) = dest_creds {
            args.extend(["--dest-creds", c]);
        }
        args.extend([src, dest]);
        self.run(&args)
    }
}

fn docker_ref(t: &Target, name: &str, tag: &str) -> String {
    format!("docker://{}/{name}:{tag}", t.host)
}

/// A fresh test image (umoci takes a tenth of a second), removed with the test.
fn image() -> Layout {
    tools::build_image(256 * 1024)
}

/// Push `img` to `name:tag` as `user`.
fn push_image(t: &Target, s: &Skopeo, img: &Layout, name: &str, tag: &str, user: &str) {
    s.copy(
        &img.reference(),
        &docker_ref(t, name, tag),
        None,
        Some(&creds(user)),
    )
    .success();
}

#[test]
fn skopeo_pushes_inspects_lists_pulls_back_byte_identical_and_deletes() {
    let t = world();
    let s = Skopeo::new();
    let name = repo("alice", "skopeo");
    let alice = creds("alice");
    let img = image();
    push_image(&t, &s, &img, &name, "v1", "alice");
    push_image(&t, &s, &img, &name, "v2", "alice");

    // inspect: the raw manifest is the pushed one, byte for byte.
    let raw = s
        .run(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            &alice,
            &docker_ref(&t, &name, "v1"),
        ])
        .success();
    assert_eq!(oci::sha256(raw.stdout.as_bytes()), img.manifest_digest);
    assert_eq!(raw.stdout.as_bytes(), img.blob(&img.manifest_digest));
    let info = s
        .run(&[
            "inspect",
            "--tls-verify=false",
            "--creds",
            &alice,
            &docker_ref(&t, &name, "v2"),
        ])
        .success()
        .json();
    assert_eq!(info["Digest"], img.manifest_digest.as_str(), "{info}");
    assert_eq!(info["Layers"], json!(img.layer_digests), "{info}");
    assert_eq!(
        (info["Os"].clone(), info["Architecture"].clone()),
        (json!("linux"), json!("amd64"))
    );

    // list-tags
    let tags = s
        .run(&[
            "list-tags",
            "--tls-verify=false",
            "--creds",
            &alice,
            &format!("docker://{}/{name}", t.host),
        ])
        .success()
        .json();
    let mut listed: Vec<String> = serde_json::from_value(tags["Tags"].clone()).expect("Tags");
    listed.sort();
    assert_eq!(listed, ["v1", "v2"], "{tags}");

    // Pull back into an OCI layout: the manifest and every blob, byte for byte.
    let out = tempfile::tempdir().expect("tempdir");
    let layout = out.path().join("pulled");
    s.copy(
        &docker_ref(&t, &name, "v1"),
        &format!("oci:{}:v1", layout.display()),
        Some(&alice),
        None,
    )
    .success();
    assert_eq!(
        tools::layout_manifest_digest(&layout, "v1"),
        img.manifest_digest
    );
    for digest in img.digests() {
        assert!(
            tools::read_blob(&layout, &digest) == img.blob(&digest),
            "{digest} differs after the round trip"
        );
    }

    // delete: skopeo deletes the manifest by digest, so both tags go with it.
    s.run(&[
        "delete",
        "--tls-verify=false",
        "--creds",
        &alice,
        &docker_ref(&t, &name, "v2"),
    ])
    .success();
    for tag in ["v1", "v2"] {
        s.run(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            &alice,
            &docker_ref(&t, &name, tag),
        ])
        .failure();
    }
    if t.is_berth() {
        let tags = s
            .run(&[
                "list-tags",
                "--tls-verify=false",
                "--creds",
                &alice,
                &format!("docker://{}/{name}", t.host),
            ])
            .success()
            .json();
        assert_eq!(tags["Tags"], json!([]), "{tags}");
    }
}

/// skopeo mounts a blob the registry already holds in a repository the user may read
/// (`POST .../blobs/uploads/?mount=&from=`) instead of uploading it again: between two of
/// alice's repositories, and from bob's public repository into alice's. Each source holds an
/// image of its own, so the mount can only come from it.
#[test]
fn skopeo_copies_between_repositories_by_mounting_the_blobs() {
    let t = world();
    let s = Skopeo::new();
    let alice = creds("alice");
    let own = repo("alice", "src");
    let public = repo("bob", "pub");
    for (from, user) in [(&own, "alice"), (&public, "bob")] {
        let img = tools::build_image(64 * 1024);
        s.copy(
            &img.reference(),
            &docker_ref(&t, from, "v1"),
            None,
            Some(&creds(user)),
        )
        .success();
        if t.is_berth() && user == "bob" {
            make_public(&t, from);
        }
        let dest = repo("alice", "dst");
        let out = s
            .copy_with(
                &["--debug"],
                &docker_ref(&t, from, "v1"),
                &docker_ref(&t, &dest, "v1"),
                Some(&alice),
                Some(&alice),
            )
            .success();
        let mounts = out.stderr.matches("mount OK").count();
        assert_eq!(
            mounts,
            img.layer_digests.len(),
            "every layer was mounted from {from} into {dest}:\n{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains(&format!("from={}", from.replace('/', "%2F"))),
            "the mount names {from}:\n{}",
            out.stderr
        );
        assert_eq!(registry_digest(&t, &dest, "v1"), img.manifest_digest);
        for layer in &img.layer_digests {
            let r = t.get(&format!("/v2/{dest}/blobs/{layer}")).send();
            assert_eq!(r.status, 200, "{r:?}");
            assert!(r.body == img.blob(layer), "{layer} in {dest} differs");
        }
    }
}

/// A repository alice may not write, and one she may not read: skopeo is refused pushing into
/// bob's namespace, and reading bob's private image fails the way a missing image does.
#[test]
fn skopeo_is_denied_where_the_policy_says_no() {
    let t = world();
    if !t.is_berth() {
        return; // credentials and visibility need Berth
    }
    let s = Skopeo::new();
    let img = image();
    let denied = s
        .copy(
            &img.reference(),
            &docker_ref(&t, &repo("bob", "not-alices"), "v1"),
            None,
            Some(&creds("alice")),
        )
        .failure();
    assert!(
        denied.all().to_lowercase().contains("denied"),
        "a push into bob's namespace is denied: {denied:#?}"
    );

    let private = repo("bob", "private");
    push_image(&t, &s, &img, &private, "v1", "bob");
    let missing = repo("bob", "missing");
    let inspect = |name: &str| {
        let out = s
            .run(&[
                "inspect",
                "--raw",
                "--tls-verify=false",
                "--creds",
                &creds("alice"),
                &docker_ref(&t, name, "v1"),
            ])
            .failure();
        out.stderr.replace(name, "NAME")
    };
    assert_eq!(
        inspect(&private),
        inspect(&missing),
        "bob's private image reads like a missing one to alice"
    );
}

/// skopeo (like podman and docker) answers Berth's `Bearer` challenge with a token from
/// `/v2/token`; the same routes serve a request that carries Basic credentials itself, with no
/// token, and one that carries a token fetched by hand.
#[test]
fn the_token_flow_and_basic_credentials_both_reach_the_image() {
    let t = world();
    if !t.is_berth() {
        return; // an external registry here runs without authentication
    }
    let s = Skopeo::new();
    let name = repo("alice", "flows");
    let img = image();
    let push = s
        .copy_with(
            &["--debug"],
            &img.reference(),
            &docker_ref(&t, &name, "v1"),
            None,
            Some(&creds("alice")),
        )
        .success();
    assert!(
        push.stderr.contains(&format!("{}/v2/token?", t.base)),
        "skopeo asked /v2/token for a token:\n{}",
        push.stderr
    );

    // Anonymous: the challenge names the realm, the service and the scope.
    let manifest = format!("/v2/{name}/manifests/v1");
    let r = t.get(&manifest).anonymous().send();
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(
        r.header("www-authenticate"),
        Some(
            format!(
                "Bearer realm=\"{}/v2/token\",service=\"{}\",scope=\"repository:{name}:pull\"",
                t.base, t.host
            )
            .as_str()
        ),
        "{r:?}"
    );

    // Basic on the request itself: no token needed anywhere on the pull path.
    let basic = common::basic("alice", PASSWORD);
    let r = t.get(&manifest).authorization(&basic).send();
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, img.blob(&img.manifest_digest));
    let r = t
        .get(&format!("/v2/{name}/blobs/{}", img.layer_digests[0]))
        .authorization(&basic)
        .send();
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body == img.blob(&img.layer_digests[0]));
    let r = t
        .get(&format!("/v2/{name}/tags/list"))
        .authorization(&basic)
        .send();
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"name": name, "tags": ["v1"]}))
    );

    // The token flow by hand: a pull token for alice, then the manifest with it.
    let r = t
        .get("/v2/token")
        .query("service", &t.host)
        .query("scope", &format!("repository:{name}:pull"))
        .authorization(&basic)
        .send();
    assert_eq!(r.status, 200, "{r:?}");
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let r = t
        .get(&manifest)
        .authorization(&format!("Bearer {token}"))
        .send();
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, img.blob(&img.manifest_digest));
}

#[test]
fn skopeo_login_accepts_the_password_and_an_api_key_and_refuses_a_wrong_password() {
    let t = world();
    let s = Skopeo::new();
    let login = |secret: &str| {
        s.run(&[
            "login",
            "--tls-verify=false",
            "--authfile",
            &s.authfile().display().to_string(),
            "-u",
            "alice",
            "-p",
            secret,
            &t.host,
        ])
    };
    let out = login(PASSWORD).success();
    assert!(out.stdout.contains("Login Succeeded"), "{out:#?}");
    assert_auth_entry(&s.authfile(), &t.host, "alice", PASSWORD);
    if !t.is_berth() {
        return;
    }
    let key = api_key(&t, "alice");
    login(&key).success();
    assert_auth_entry(&s.authfile(), &t.host, "alice", &key);

    fs::remove_file(s.authfile()).expect("remove auth file");
    let out = login(WRONG).failure();
    assert!(
        !s.authfile().exists() || !auth_entries(&s.authfile()).contains_key(&t.host),
        "a refused login stores nothing: {out:#?}"
    );
}

/// The `auths` of a containers/docker auth file.
fn auth_entries(path: &Path) -> serde_json::Map<String, Value> {
    let v: Value = serde_json::from_slice(&fs::read(path).expect("read auth file"))
        .expect("auth file is JSON");
    v["auths"].as_object().cloned().unwrap_or_default()
}

fn assert_auth_entry(path: &Path, host: &str, user: &str, secret: &str) {
    let auths = auth_entries(path);
    let entry = auths
        .get(host)
        .unwrap_or_else(|| panic!("no {host} in {auths:?}"));
    use base64::Engine as _;
    let want = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
    assert_eq!(entry["auth"], want.as_str());
}

// ---------------------------------------------------------------- podman

/// podman as root with vfs storage, a root, run root, temporary folder and auth file of its
/// own, so tests neither share nor leave images.
struct Podman {
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl Podman {
    fn new() -> Podman {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("auth.json"), r#"{"auths":{}}"#).expect("auth file");
        fs::write(dir.path().join("registries.conf"), "").expect("registries.conf");
        Podman {
            bin: need("podman"),
            dir,
        }
    }

    fn authfile(&self) -> PathBuf {
        self.dir.path().join("auth.json")
    }

    fn cmd(&self) -> Command {
        let d = self.dir.path();
        let mut c = Command::new(&self.bin);
        c.env("HOME", d)
            .env("REGISTRY_AUTH_FILE", self.authfile())
            .env("CONTAINERS_REGISTRIES_CONF", d.join("registries.conf"))
            .arg("--root")
            .arg(d.join("root"))
            .arg("--runroot")
            .arg(d.join("runroot"))
            .arg("--tmpdir")
            .arg(d.join("tmp"))
            .args([
                "--storage-driver=vfs",
                "--cgroup-manager=cgroupfs",
                "--events-backend=none",
            ]);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = self.cmd();
        c.args(args);
        run(c, LIMIT)
    }

    fn login(&self, host: &str, user: &str, secret: &str) -> Output {
        let mut c = self.cmd();
        c.args([
            "login",
            "--tls-verify=false",
            "-u",
            user,
            "--password-stdin",
            host,
        ]);
        run_with_stdin(c, Some(secret), LIMIT)
    }
}

#[test]
fn podman_login_accepts_the_password_and_an_api_key_and_refuses_a_wrong_password() {
    let t = world();
    let p = Podman::new();
    let out = p.login(&t.host, "alice", PASSWORD).success();
    assert!(out.all().contains("Login Succeeded"), "{out:#?}");
    assert_auth_entry(&p.authfile(), &t.host, "alice", PASSWORD);
    if !t.is_berth() {
        return;
    }
    let key = api_key(&t, "alice");
    p.login(&t.host, "alice", &key).success();
    assert_auth_entry(&p.authfile(), &t.host, "alice", &key);

    p.run(&["logout", &t.host]).success();
    let out = p.login(&t.host, "alice", WRONG).failure();
    assert!(
        !auth_entries(&p.authfile()).contains_key(&t.host),
        "a refused login stores nothing: {out:#?}"
    );
}

#[test]
fn podman_pushes_and_pulls_back_and_an_anonymous_pull_of_a_private_image_is_refused() {
    let t = world();
    let p = Podman::new();
    let img = image();
    let name = repo("alice", "podman");
    let remote = format!("{}/{name}:v1", t.host);
    p.run(&["pull", &img.reference()]).success();
    p.run(&[
        "tag",
        img.config_digest.trim_start_matches("sha256:"),
        &remote,
    ])
    .success();
    p.login(&t.host, "alice", PASSWORD).success();
    let digestfile = p.dir.path().join("pushed-digest");
    p.run(&[
        "push",
        "--tls-verify=false",
        "--digestfile",
        &digestfile.display().to_string(),
        &remote,
    ])
    .success();
    let pushed = fs::read_to_string(&digestfile).expect("podman wrote the digest");
    assert_eq!(pushed.trim(), registry_digest(&t, &name, "v1"));

    p.run(&["rmi", "--all", "--force"]).success();
    p.run(&["pull", "--tls-verify=false", &remote]).success();
    let inspected = p
        .run(&[
            "image",
            "inspect",
            "--format",
            "{{.Digest}} {{.Id}}",
            &remote,
        ])
        .success();
    assert_eq!(
        inspected.stdout.trim(),
        format!(
            "{} {}",
            pushed.trim(),
            img.config_digest.trim_start_matches("sha256:")
        ),
        "the pulled image is the pushed one (manifest digest, image id)"
    );

    if !t.is_berth() {
        return;
    }
    // Anonymous now: the private image is refused, in the words used for a missing one.
    p.run(&["logout", "--all"]).success();
    p.run(&["rmi", "--all", "--force"]).success();
    let missing = repo("alice", "missing");
    let anonymous_pull = |name: &str| {
        let out = p
            .run(&[
                "pull",
                "--tls-verify=false",
                &format!("{}/{name}:v1", t.host),
            ])
            .failure();
        out.stderr
            .lines()
            .filter(|l| l.starts_with("Error"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(name, "NAME")
    };
    let refused = anonymous_pull(&name);
    assert!(
        refused.contains("unauthorized"),
        "an anonymous caller is asked to authenticate: {refused}"
    );
    assert_eq!(refused, anonymous_pull(&missing));
    let images = p.run(&["images", "--quiet"]).success();
    assert_eq!(images.stdout.trim(), "", "nothing was pulled");
}

// ---------------------------------------------------------------- docker CLI

/// `docker login` needs no daemon: the CLI checks the credentials itself against `/v2/`
/// (plain HTTP is allowed for 127.0.0.1, an insecure registry by default).
#[test]
fn docker_login_accepts_the_password_and_an_api_key_and_refuses_a_wrong_password() {
    let t = world();
    let docker = need("docker");
    let config = tempfile::tempdir().expect("tempdir");
    let login = |secret: &str| {
        let mut c = Command::new(&docker);
        c.env("DOCKER_CONFIG", config.path())
            .env("HOME", config.path())
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .args(["login", "-u", "alice", "--password-stdin", &t.host]);
        run_with_stdin(c, Some(secret), LIMIT)
    };
    let out = login(PASSWORD).success();
    assert!(out.stdout.contains("Login Succeeded"), "{out:#?}");
    let file = config.path().join("config.json");
    assert_auth_entry(&file, &t.host, "alice", PASSWORD);
    if !t.is_berth() {
        return;
    }
    let key = api_key(&t, "alice");
    login(&key).success();
    assert_auth_entry(&file, &t.host, "alice", &key);

    fs::remove_file(&file).expect("remove config.json");
    let out = login(WRONG).failure();
    assert!(
        out.all().to_lowercase().contains("unauthorized"),
        "docker reports the refusal: {out:#?}"
    );
    assert!(
        !file.exists() || !auth_entries(&file).contains_key(&t.host),
        "a refused login stores nothing: {out:#?}"
    );
}

// ---------------------------------------------------------------- oras

/// Run `tests/clients/oras_client.py` against a repository of alice's holding the test image,
/// whose manifest becomes the subject of an attached artifact, with oras-py's `auth` backend.
/// The image goes up as raw HTTP with Basic (the site admin's), so the Basic run needs no token
/// anywhere.
fn oras(auth: &str) {
    let t = world();
    let dir = tools::setup_clients();
    let home = tempfile::tempdir().expect("tempdir");
    let name = repo("alice", &format!("oras-{auth}"));
    let img = image();
    for digest in img.digests().iter().skip(1) {
        assert_eq!(&t.push_blob(&name, &img.blob(digest)), digest);
    }
    t.push_manifest(
        &name,
        "image",
        oci::OCI_MANIFEST,
        &img.blob(&img.manifest_digest),
    );
    let manifest_size = img.blob(&img.manifest_digest).len();
    let mut c = Command::new(dir.join("oras-venv/bin/python"));
    c.arg(tools::harnesses().join("oras_client.py"))
        .env("BERTH_URL", &t.base)
        .env("ORAS_REPO", &name)
        .env("ORAS_AUTH", auth)
        .env("ORAS_CHUNK", "65536")
        .env("HOME", home.path())
        .env(
            "ORAS_SUBJECT",
            format!(
                "{} {manifest_size} {}",
                img.manifest_digest,
                oci::OCI_MANIFEST
            ),
        );
    if t.is_berth() {
        c.env("BERTH_USER", "alice").env("BERTH_PASSWORD", PASSWORD);
    } else {
        c.env_remove("BERTH_USER");
    }
    let out = run(c, LIMIT);
    assert!(
        out.ok() && out.stdout.contains(" passed, 0 failed"),
        "oras_client.py ({auth}) failed:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    if t.is_berth() {
        let r = t.get(&format!("/v2/{name}/tags/list")).send();
        assert_eq!(
            (r.status, r.json()),
            (
                200,
                json!({"name": name, "tags": ["attached", "image", "v1", "v2"]})
            ),
            "{r:?}"
        );
    }
}

#[test]
fn oras_pushes_in_chunks_pulls_and_attaches_an_artifact_with_a_token() {
    oras("token");
}

#[test]
fn oras_pushes_in_chunks_pulls_and_attaches_an_artifact_with_basic_credentials() {
    oras("basic");
}
