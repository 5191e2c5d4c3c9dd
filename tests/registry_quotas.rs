//! Registry usage, namespace quotas and per-repository retention (issue 15): what a namespace
//! uses, how a site admin sets its quota (DTR accounts API, admin page, `berth admin quota`),
//! every point where a push past it is refused with `DENIED` before anything is stored, and
//! how a repository's retention is set (DTR, web UI) and applied by garbage collection.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{basic, process, TestApp, ADMIN, ADMIN_PASSWORD, PASSWORD};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A raw registry request as `user`: status, headers we look at, body.
fn raw(method: &str, url: &str, user: &str, body: &[u8]) -> (u16, Option<String>, Vec<u8>) {
    let req = ureq::request(method, url)
        .timeout(Duration::from_secs(60))
        .set("Authorization", &basic(user, PASSWORD))
        .set("Content-Type", "application/octet-stream");
    let resp = match req.send_bytes(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let location = resp.header("location").map(str::to_owned);
    let mut out = Vec::new();
    resp.into_reader().read_to_end(&mut out).unwrap();
    (status, location, out)
}

fn errors(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The refusal: 403 `DENIED` whose message names the quota.
fn assert_denied(status: u16, body: &[u8], quota: u64) {
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(body));
    let e = errors(body);
    assert_eq!(e["errors"][0]["code"], "DENIED", "{e}");
    let message = e["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains(&format!("quota is {quota} bytes")),
        "{message}"
    );
}

fn monolithic(app: &TestApp, user: &str, repo: &str, bytes: &[u8]) -> (u16, Vec<u8>) {
    let (status, _, body) = raw(
        "POST",
        &app.url(&format!("/v2/{repo}/blobs/uploads/?digest={}", sha(bytes))),
        user,
        bytes,
    );
    (status, body)
}

fn blob_status(app: &TestApp, user: &str, repo: &str, digest: &str) -> u16 {
    raw(
        "HEAD",
        &app.url(&format!("/v2/{repo}/blobs/{digest}")),
        user,
        b"",
    )
    .0
}

/// A session: its URL.
fn session(app: &TestApp, user: &str, repo: &str) -> String {
    let (status, location, _) = raw(
        "POST",
        &app.url(&format!("/v2/{repo}/blobs/uploads/")),
        user,
        b"",
    );
    assert_eq!(status, 202);
    app.url(&location.unwrap())
}

fn set_quota(app: &TestApp, ns: &str, quota: Value) -> (u16, Value) {
    app.patch(&format!("/api/v0/accounts/{ns}"))
        .admin()
        .json(&json!({ "quotaBytes": quota }))
        .send()
        .sj()
}

fn used(app: &TestApp, ns: &str) -> u64 {
    let (status, body) = app
        .patch(&format!("/api/v0/accounts/{ns}"))
        .admin()
        .json(&json!({}))
        .send()
        .sj();
    assert_eq!(status, 200, "{body}");
    body["usedBytes"].as_u64().unwrap()
}

/// Blob files in the data folder (committed blobs, not uploads).
fn blob_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    walk(&p)
                } else {
                    1
                }
            })
            .sum()
    }
    walk(&app.state.config.data_dir.join("blobs"))
}

#[test]
fn usage_counts_a_blob_shared_by_two_repositories_of_a_namespace_once() {
    let app = TestApp::start();
    let alice = app.user("alice");
    app.user("bob");
    let shared = vec![1u8; 1000];
    let own = vec![2u8; 300];
    assert_eq!(monolithic(&app, "alice", "alice/one", &shared).0, 201);
    assert_eq!(monolithic(&app, "alice", "alice/two", &shared).0, 201);
    assert_eq!(monolithic(&app, "alice", "alice/two", &own).0, 201);
    assert_eq!(monolithic(&app, "bob", "bob/one", &shared).0, 201);
    assert_eq!(used(&app, "alice"), 1300);
    assert_eq!(used(&app, "bob"), 1000);
    let conn = app.conn();
    let two = berth::store::repos::by_path(&conn, "alice", "two")
        .unwrap()
        .unwrap();
    assert_eq!(
        berth::store::usage::repository_bytes(&conn, two.id).unwrap(),
        1300
    );
    assert_eq!(
        berth::store::usage::namespace_bytes(&conn, alice.id).unwrap(),
        1300
    );
    // The DTR answer: the account's seed fields, then its quota and usage, nothing else.
    let (status, body) = set_quota(&app, "alice", json!(5000));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"id": alice.id, "type": "user", "name": "alice", "isActive": true,
               "quotaBytes": 5000, "usedBytes": 1300})
    );
    // GET keeps the seed's shape.
    let (_, got) = app.get("/api/v0/accounts/alice").admin().send().sj();
    assert_eq!(
        got,
        json!({"id": alice.id, "type": "user", "name": "alice", "isActive": true})
    );
    let (status, body) = set_quota(&app, "alice", Value::Null);
    assert_eq!((status, &body["quotaBytes"]), (200, &Value::Null));
}

#[test]
fn only_site_admins_set_quotas_and_bad_values_are_400() {
    let app = TestApp::start();
    app.user("alice");
    let (status, body) = app
        .patch("/api/v0/accounts/alice")
        .as_user("alice")
        .json(&json!({"quotaBytes": 10}))
        .send()
        .sj();
    assert_eq!(status, 403, "{body}");
    let (status, _) = app
        .patch("/api/v0/accounts/alice")
        .as_user("alice")
        .json(&json!({}))
        .send()
        .sj();
    assert_eq!(status, 403);
    assert_eq!(
        app.patch("/api/v0/accounts/alice")
            .json(&json!({"quotaBytes": 10}))
            .send()
            .status,
        401
    );
    let (status, body) = set_quota(&app, "nosuch", json!(10));
    assert_eq!(status, 404, "{body}");
    for bad in [json!(-1), json!("10"), json!(1.5), json!(true)] {
        let (status, body) = set_quota(&app, "alice", bad.clone());
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // Nothing changed.
    let (_, body) = app
        .patch("/api/v0/accounts/alice")
        .admin()
        .json(&json!({}))
        .send()
        .sj();
    assert_eq!(body["quotaBytes"], Value::Null);
}

#[test]
fn a_monolithic_push_past_the_quota_is_refused_before_anything_is_stored() {
    let app = TestApp::start();
    app.user("alice");
    assert_eq!(set_quota(&app, "alice", json!(1000)).0, 200);
    let first = vec![3u8; 600];
    assert_eq!(monolithic(&app, "alice", "alice/web", &first).0, 201);
    let files = blob_files(&app);
    let big = vec![4u8; 500];
    let (status, body) = monolithic(&app, "alice", "alice/web", &big);
    assert_denied(status, &body, 1000);
    assert_eq!(blob_status(&app, "alice", "alice/web", &sha(&big)), 404);
    assert_eq!(blob_files(&app), files, "no blob file was stored");
    assert_eq!(used(&app, "alice"), 600);
    // What fits still goes in, up to the byte.
    let fits = vec![5u8; 400];
    assert_eq!(monolithic(&app, "alice", "alice/web", &fits).0, 201);
    assert_eq!(used(&app, "alice"), 1000);
    // A blob the namespace already holds costs nothing: a re-push, or into another repository.
    assert_eq!(monolithic(&app, "alice", "alice/web", &first).0, 201);
    assert_eq!(monolithic(&app, "alice", "alice/other", &first).0, 201);
    // A mount within the namespace too.
    let (status, _, body) = raw(
        "POST",
        &app.url(&format!(
            "/v2/alice/third/blobs/uploads/?mount={}&from=alice/web",
            sha(&fits)
        )),
        "alice",
        b"",
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    assert_eq!(used(&app, "alice"), 1000);
    // Without the quota the push goes through.
    assert_eq!(set_quota(&app, "alice", Value::Null).0, 200);
    assert_eq!(monolithic(&app, "alice", "alice/web", &big).0, 201);
    assert_eq!(used(&app, "alice"), 1500);
}

#[test]
fn a_mount_from_another_namespace_counts_and_is_refused_past_the_quota() {
    let app = TestApp::start();
    app.user("alice");
    app.user("bob");
    let blob = vec![6u8; 700];
    assert_eq!(monolithic(&app, "alice", "alice/pub", &blob).0, 201);
    app.exec("UPDATE repositories SET is_public = 1 WHERE full_path = 'alice/pub'");
    assert_eq!(set_quota(&app, "bob", json!(500)).0, 200);
    let mount = format!(
        "/v2/bob/copy/blobs/uploads/?mount={}&from=alice/pub",
        sha(&blob)
    );
    let (status, _, body) = raw("POST", &app.url(&mount), "bob", b"");
    assert_denied(status, &body, 500);
    assert_eq!(blob_status(&app, "bob", "bob/copy", &sha(&blob)), 404);
    assert_eq!(used(&app, "bob"), 0);
    assert_eq!(set_quota(&app, "bob", json!(700)).0, 200);
    let (status, _, _) = raw("POST", &app.url(&mount), "bob", b"");
    assert_eq!(status, 201);
    assert_eq!(used(&app, "bob"), 700);
}

#[test]
fn a_streamed_upload_is_refused_once_its_bytes_would_pass_the_quota() {
    let app = TestApp::start();
    app.user("alice");
    assert_eq!(set_quota(&app, "alice", json!(1000)).0, 200);
    let url = session(&app, "alice", "alice/web");
    let (status, _, body) = raw("PATCH", &url, "alice", &[7u8; 600]);
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    // The session holds 600: 401 more would pass the quota.
    let (status, _, body) = raw("PATCH", &url, "alice", &[8u8; 401]);
    assert_denied(status, &body, 1000);
    // The session is where it was before the refused chunk, and goes on from there.
    let r = ureq::get(&url)
        .set("Authorization", &basic("alice", PASSWORD))
        .call()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.header("range"), Some("0-599"));
    let (status, _, _) = raw("PATCH", &url, "alice", &[8u8; 400]);
    assert_eq!(status, 202);
    let mut whole = vec![7u8; 600];
    whole.extend_from_slice(&[8u8; 400]);
    let (status, _, body) = raw(
        "PUT",
        &format!("{url}?digest={}", sha(&whole)),
        "alice",
        b"",
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    assert_eq!(used(&app, "alice"), 1000);
    // A final PUT carrying the last chunk is held to the quota as well.
    let url = session(&app, "alice", "alice/web");
    let (status, _, body) = raw(
        "PUT",
        &format!("{url}?digest={}", sha(&[9u8; 1])),
        "alice",
        &[9u8; 1],
    );
    assert_denied(status, &body, 1000);
}

#[test]
fn concurrent_uploads_that_fit_alone_are_refused_together_at_the_final_put() {
    let app = TestApp::start();
    app.user("alice");
    assert_eq!(set_quota(&app, "alice", json!(1000)).0, 200);
    let a = session(&app, "alice", "alice/web");
    let b = session(&app, "alice", "alice/web");
    assert_eq!(raw("PATCH", &a, "alice", &[1u8; 600]).0, 202);
    assert_eq!(raw("PATCH", &b, "alice", &[2u8; 600]).0, 202);
    let files = blob_files(&app);
    let (status, _, _) = raw(
        "PUT",
        &format!("{a}?digest={}", sha(&[1u8; 600])),
        "alice",
        b"",
    );
    assert_eq!(status, 201);
    let (status, _, body) = raw(
        "PUT",
        &format!("{b}?digest={}", sha(&[2u8; 600])),
        "alice",
        b"",
    );
    assert_denied(status, &body, 1000);
    assert_eq!(
        blob_files(&app),
        files + 1,
        "only the first blob was stored"
    );
    assert_eq!(
        blob_status(&app, "alice", "alice/web", &sha(&[2u8; 600])),
        404
    );
    assert_eq!(used(&app, "alice"), 600);
}

// ------------------------------------------------------------------ the admin page

fn csrf_in(body: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker).expect("a csrf token") + marker.len();
    let end = body[start..].find('"').unwrap() + start;
    body[start..end].to_owned()
}

/// The `name=value` of a response's cookie `name`.
fn cookie(resp: &common::Resp, name: &str) -> Option<String> {
    resp.headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with(&format!("{name}=")))
        .map(|(_, v)| v.split(';').next().unwrap().to_owned())
}

/// Sign in through the form: the session cookie.
fn sign_in(app: &TestApp, user: &str, password: &str) -> String {
    let form = app.get("/login").send();
    let csrf = csrf_in(&form.body);
    let before = cookie(&form, "berth_csrf").expect("the form's token cookie");
    let body = serde_urlencoded::to_string([
        ("csrf", csrf.as_str()),
        ("username", user),
        ("password", password),
        ("next", "/"),
    ])
    .unwrap();
    let resp = app
        .post("/login")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", &app.base)
        .header("Sec-Fetch-Site", "same-origin")
        .header("Cookie", &before)
        .body(&body)
        .send();
    assert_eq!(resp.status, 303, "{}", resp.body);
    cookie(&resp, "berth_session").expect("a session cookie")
}

fn post_form(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> u16 {
    app.post(path)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", &app.base)
        .header("Sec-Fetch-Site", "same-origin")
        .header("Cookie", cookie)
        .body(&serde_urlencoded::to_string(fields).unwrap())
        .send()
        .status
}

#[test]
fn the_admin_page_shows_usage_and_sets_quotas() {
    let app = TestApp::start();
    app.user("alice");
    assert_eq!(monolithic(&app, "alice", "alice/web", &[1u8; 1234]).0, 201);
    let cookie = sign_in(&app, ADMIN, ADMIN_PASSWORD);
    let page = app.get("/-/admin").header("Cookie", &cookie).send();
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<tr><td><a href=\"/alice\">alice</a></td><td>1234</td><td>none</td></tr>"),
        "{}",
        page.body
    );
    let csrf = csrf_in(&page.body);
    let fields = [
        ("csrf", csrf.as_str()),
        ("namespace", "alice"),
        ("bytes", "5000"),
    ];
    assert_eq!(post_form(&app, &cookie, "/-/admin/quota", &fields), 303);
    let page = app.get("/-/admin").header("Cookie", &cookie).send();
    assert!(page
        .body
        .contains("<tr><td><a href=\"/alice\">alice</a></td><td>1234</td><td>5000</td></tr>"));
    // Without the form's token: refused, nothing changed.
    let forged = [("csrf", "nope"), ("namespace", "alice"), ("bytes", "1")];
    assert_eq!(post_form(&app, &cookie, "/-/admin/quota", &forged), 403);
    let bad = [
        ("csrf", csrf.as_str()),
        ("namespace", "alice"),
        ("bytes", "lots"),
    ];
    assert_eq!(post_form(&app, &cookie, "/-/admin/quota", &bad), 400);
    let missing = [
        ("csrf", csrf.as_str()),
        ("namespace", "nosuch"),
        ("bytes", "1"),
    ];
    assert_eq!(post_form(&app, &cookie, "/-/admin/quota", &missing), 404);
    assert_eq!(used(&app, "alice"), 1234);
    let (_, body) = set_quota(&app, "alice", json!(5000));
    assert_eq!(body["quotaBytes"], 5000);
    // Empty: no quota.
    let none = [
        ("csrf", csrf.as_str()),
        ("namespace", "alice"),
        ("bytes", ""),
    ];
    assert_eq!(post_form(&app, &cookie, "/-/admin/quota", &none), 303);
    let (_, body) = app
        .patch("/api/v0/accounts/alice")
        .admin()
        .json(&json!({}))
        .send()
        .sj();
    assert_eq!(body["quotaBytes"], Value::Null);
    // A user who is not a site admin.
    let theirs = sign_in(&app, "alice", PASSWORD);
    let page = app.get("/").header("Cookie", &theirs).send();
    let csrf = csrf_in(&page.body);
    let fields = [
        ("csrf", csrf.as_str()),
        ("namespace", "alice"),
        ("bytes", "1"),
    ];
    assert_eq!(post_form(&app, &theirs, "/-/admin/quota", &fields), 403);
}

#[test]
fn berth_admin_quota_shows_sets_and_removes_a_quota() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = process::start(&data, &[("BERTH_ADMIN_PASSWORD", "admin-pass-123")]);
    process::terminate(server);
    let out = |args: &[&str]| {
        let o = process::admin(&data, args);
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, stdout, _) = out(&["quota", "admin", "2048"]);
    assert!(ok);
    assert_eq!(stdout, "quota of admin: 2048 bytes; it uses 0 bytes");
    let (ok, stdout, _) = out(&["quota", "admin"]);
    assert!(ok);
    assert_eq!(stdout, "quota of admin: 2048 bytes; it uses 0 bytes");
    let (ok, stdout, _) = out(&["quota", "admin", "none"]);
    assert!(ok);
    assert_eq!(stdout, "quota of admin: none; it uses 0 bytes");
    let (ok, _, stderr) = out(&["quota", "admin", "5kb"]);
    assert!(!ok);
    assert!(stderr.contains("a number of bytes, or none"), "{stderr}");
    let (ok, _, stderr) = out(&["quota", "nosuch", "5"]);
    assert!(!ok);
    assert!(stderr.contains("no such account"), "{stderr}");
}

// ------------------------------------------------------------------ retention

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// An image: its manifest and its blobs (config first), sharing the layer `shared`.
struct Image {
    manifest: Vec<u8>,
    blobs: Vec<Vec<u8>>,
}

fn image(name: &str, shared: &[u8]) -> Image {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","c":"{name}"}}"#).into_bytes();
    let own = format!("layer of {name}").repeat(20).into_bytes();
    let layers = [shared.to_vec(), own];
    let m = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(&config), "size": config.len()},
        "layers": layers.iter().map(|l| json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": sha(l), "size": l.len()})).collect::<Vec<_>>(),
    });
    let mut blobs = vec![config];
    blobs.extend(layers);
    Image {
        manifest: serde_json::to_vec(&m).unwrap(),
        blobs,
    }
}

fn push_image(app: &TestApp, repo: &str, img: &Image, tag: &str) {
    for b in &img.blobs {
        assert_eq!(monolithic(app, "alice", repo, b).0, 201);
    }
    let resp = ureq::put(&app.url(&format!("/v2/{repo}/manifests/{tag}")))
        .set("Authorization", &basic("alice", PASSWORD))
        .set("Content-Type", MANIFEST)
        .send_bytes(&img.manifest)
        .unwrap();
    assert_eq!(resp.status(), 201);
}

/// Status and bytes of a pull of `path` under `/v2/{repo}/`.
fn pull(app: &TestApp, repo: &str, path: &str) -> (u16, Vec<u8>) {
    let resp = match ureq::get(&app.url(&format!("/v2/{repo}/{path}")))
        .set("Authorization", &basic("alice", PASSWORD))
        .set("Accept", MANIFEST)
        .call()
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = resp.status();
    let mut out = Vec::new();
    resp.into_reader().read_to_end(&mut out).unwrap();
    (status, out)
}

fn assert_pulls(app: &TestApp, repo: &str, img: &Image, tag: &str) {
    assert_eq!(
        pull(app, repo, &format!("manifests/{tag}")),
        (200, img.manifest.clone())
    );
    for b in &img.blobs {
        assert_eq!(
            pull(app, repo, &format!("blobs/{}", sha(b))),
            (200, b.clone())
        );
    }
}

fn tags_of(app: &TestApp, repo: &str) -> Value {
    let (status, body) = pull(app, repo, "tags/list");
    assert_eq!(status, 200);
    serde_json::from_slice::<Value>(&body).unwrap()["tags"].clone()
}

/// Push `tags` in order, each pushed `age_days[i]` days ago (push time is what retention
/// ranks and measures), and age every row past the grace period.
fn tagged_images(app: &TestApp, repo: &str, tags: &[(&str, i64)]) -> Vec<Image> {
    let shared = b"a layer every image shares".repeat(10);
    let mut out = Vec::new();
    for (i, (tag, age_days)) in tags.iter().enumerate() {
        let img = image(tag, &shared);
        push_image(app, repo, &img, tag);
        // Distinct push times, oldest first, also for the ones pushed "today".
        let ms = age_days * 86_400_000 + (tags.len() - i) as i64 * 1000;
        app.exec(&format!(
            "UPDATE tags SET updated_at = updated_at - {ms} WHERE name = '{tag}'
               AND repository_id = (SELECT id FROM repositories WHERE full_path = '{repo}')"
        ));
        out.push(img);
    }
    app.exec(
        "UPDATE blobs SET created_at = created_at - 7200000;
         UPDATE repository_blobs SET created_at = created_at - 7200000;
         UPDATE manifests SET created_at = created_at - 7200000;",
    );
    out
}

fn gc(app: &TestApp, dry_run: bool) -> berth::ops::gc::Report {
    let options = berth::ops::gc::Options {
        dry_run,
        ..Default::default()
    };
    berth::ops::gc::run(&mut app.conn(), &app.state.config.data_dir, &options).unwrap()
}

fn patch_repo(app: &TestApp, user: Option<&str>, repo: &str, body: Value) -> (u16, Value) {
    let req = app.patch(&format!("/api/v0/repositories/{repo}"));
    let req = match user {
        Some(u) => req.as_user(u),
        None => req.admin(),
    };
    req.json(&body).send().sj()
}

#[test]
fn retention_is_set_through_the_dtr_repository_api() {
    let app = TestApp::start();
    app.user("alice");
    app.user("bob");
    let repo = app.repo("alice", "web", false);
    let (status, body) = patch_repo(&app, Some("alice"), "alice/web", json!({"retainTags": 2}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["retainTags"], 2);
    assert!(body.get("retainDays").is_none(), "{body}");
    assert_eq!(body["id"], repo.id);
    let (_, got) = app
        .get("/api/v0/repositories/alice/web")
        .as_user("alice")
        .send()
        .sj();
    assert_eq!(got, body);
    let (status, body) = patch_repo(&app, Some("alice"), "alice/web", json!({"retainDays": 30}));
    assert_eq!(status, 200);
    assert_eq!(
        (&body["retainTags"], &body["retainDays"]),
        (&json!(2), &json!(30))
    );
    // Other fields leave it alone; null turns each off and the answer is the seed's again.
    let (_, body) = patch_repo(
        &app,
        Some("alice"),
        "alice/web",
        json!({"shortDescription": "x"}),
    );
    assert_eq!(body["retainTags"], 2);
    let (_, body) = patch_repo(
        &app,
        Some("alice"),
        "alice/web",
        json!({"retainTags": null, "retainDays": null}),
    );
    assert!(
        body.get("retainTags").is_none() && body.get("retainDays").is_none(),
        "{body}"
    );
    for bad in [json!(0), json!(-1), json!("2"), json!(36_501)] {
        let (status, body) =
            patch_repo(&app, Some("alice"), "alice/web", json!({"retainDays": bad}));
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, body) = patch_repo(&app, Some("alice"), "alice/web", json!({"retainTags": 0}));
    assert_eq!(
        (status, &body["errors"][0]["code"]),
        (400, &json!("INVALID_SETTING"))
    );
    // Nothing of the refused changes was kept.
    let (_, got) = app
        .get("/api/v0/repositories/alice/web")
        .as_user("alice")
        .send()
        .sj();
    assert!(
        got.get("retainTags").is_none() && got.get("retainDays").is_none(),
        "{got}"
    );
    // bob cannot see the private repository: the same 404 as a missing one.
    let (status, hidden) = patch_repo(&app, Some("bob"), "alice/web", json!({"retainTags": 1}));
    let (_, missing) = patch_repo(&app, Some("bob"), "alice/nosuch", json!({"retainTags": 1}));
    assert_eq!(status, 404);
    assert_eq!(hidden, missing);
}

#[test]
fn gc_untags_what_retention_does_not_keep_and_collects_it() {
    let app = TestApp::start();
    app.user("alice");
    let imgs = tagged_images(
        &app,
        "alice/web",
        &[("t1", 0), ("t2", 0), ("t3", 0), ("t4", 0)],
    );
    // A repository without retention keeps everything.
    let other = tagged_images(&app, "alice/other", &[("o1", 400), ("o2", 400)]);
    let (status, _) = patch_repo(&app, Some("alice"), "alice/web", json!({"retainTags": 2}));
    assert_eq!(status, 200);
    let dry = gc(&app, true);
    assert_eq!(dry.expired_tags, 2, "{dry:?}");
    assert_eq!(tags_of(&app, "alice/web"), json!(["t1", "t2", "t3", "t4"]));
    let report = gc(&app, false);
    assert_eq!(report.expired_tags, 2, "{report:?}");
    assert_eq!(report.untagged_manifests, 2, "{report:?}");
    // Their configs and own layers; the shared layer stays.
    assert_eq!(report.blobs, 4, "{report:?}");
    assert_eq!(tags_of(&app, "alice/web"), json!(["t3", "t4"]));
    for img in &imgs[..2] {
        let (status, _) = pull(
            &app,
            "alice/web",
            &format!("manifests/{}", sha(&img.manifest)),
        );
        assert_eq!(status, 404);
        assert_eq!(
            pull(&app, "alice/web", &format!("blobs/{}", sha(&img.blobs[2]))).0,
            404
        );
    }
    assert_pulls(&app, "alice/web", &imgs[2], "t3");
    assert_pulls(&app, "alice/web", &imgs[3], "t4");
    assert_pulls(&app, "alice/other", &other[0], "o1");
    assert_pulls(&app, "alice/other", &other[1], "o2");
    // A second pass has nothing more to do.
    let again = gc(&app, false);
    assert_eq!((again.expired_tags, again.untagged_manifests), (0, 0));
}

#[test]
fn retention_by_days_keeps_recent_tags_and_either_rule_keeps_a_tag() {
    let app = TestApp::start();
    app.user("alice");
    let imgs = tagged_images(
        &app,
        "alice/web",
        &[("old", 40), ("month", 20), ("week", 3), ("new", 0)],
    );
    patch_repo(&app, Some("alice"), "alice/web", json!({"retainDays": 30}));
    let report = gc(&app, false);
    assert_eq!(report.expired_tags, 1);
    assert_eq!(tags_of(&app, "alice/web"), json!(["month", "new", "week"]));
    // Newest 1 or the last 10 days: "week" and "new" stay.
    patch_repo(
        &app,
        Some("alice"),
        "alice/web",
        json!({"retainDays": 10, "retainTags": 1}),
    );
    let report = gc(&app, false);
    assert_eq!(report.expired_tags, 1);
    assert_eq!(tags_of(&app, "alice/web"), json!(["new", "week"]));
    assert_pulls(&app, "alice/web", &imgs[2], "week");
    assert_pulls(&app, "alice/web", &imgs[3], "new");
    // Off: nothing more goes, however old.
    patch_repo(
        &app,
        Some("alice"),
        "alice/web",
        json!({"retainDays": null, "retainTags": null}),
    );
    app.exec("UPDATE tags SET updated_at = updated_at - 86400000000");
    assert_eq!(gc(&app, false).expired_tags, 0);
    assert_eq!(tags_of(&app, "alice/web"), json!(["new", "week"]));
}

#[test]
fn retention_is_set_on_the_web_ui_by_repository_admins_only() {
    let app = TestApp::start();
    app.user("alice");
    app.user("bob");
    app.repo("alice", "web", false);
    let alice = sign_in(&app, "alice", PASSWORD);
    let settings = app
        .get("/alice/web/settings")
        .header("Cookie", &alice)
        .send();
    assert!(settings
        .body
        .contains("href=\"/-/repos/alice/web/retention\""));
    let page = app
        .get("/-/repos/alice/web/retention")
        .header("Cookie", &alice)
        .send();
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("name=\"tags\" inputmode=\"numeric\" pattern=\"[0-9]*\" value=\"\""));
    let csrf = csrf_in(&page.body);
    let form = [("csrf", csrf.as_str()), ("tags", "3"), ("days", "")];
    assert_eq!(
        post_form(&app, &alice, "/-/repos/alice/web/retention", &form),
        303
    );
    let page = app
        .get("/-/repos/alice/web/retention")
        .header("Cookie", &alice)
        .send();
    assert!(page
        .body
        .contains("name=\"tags\" inputmode=\"numeric\" pattern=\"[0-9]*\" value=\"3\""));
    let (_, got) = app
        .get("/api/v0/repositories/alice/web")
        .as_user("alice")
        .send()
        .sj();
    assert_eq!(got["retainTags"], 3);
    for bad in [("tags", "many"), ("days", "0"), ("tags", "-2")] {
        let form = [("csrf", csrf.as_str()), bad];
        assert_eq!(
            post_form(&app, &alice, "/-/repos/alice/web/retention", &form),
            400,
            "{bad:?}"
        );
    }
    let forged = [("csrf", "nope"), ("tags", "1"), ("days", "")];
    assert_eq!(
        post_form(&app, &alice, "/-/repos/alice/web/retention", &forged),
        403
    );
    let (_, got) = app
        .get("/api/v0/repositories/alice/web")
        .as_user("alice")
        .send()
        .sj();
    assert_eq!(got["retainTags"], 3);
    // bob: the private repository is a 404, the same as a missing one.
    let bob = sign_in(&app, "bob", PASSWORD);
    let hidden = app
        .get("/-/repos/alice/web/retention")
        .header("Cookie", &bob)
        .send();
    let missing = app
        .get("/-/repos/alice/nosuch/retention")
        .header("Cookie", &bob)
        .send();
    assert_eq!((hidden.status, missing.status), (404, 404));
    let page = app.get("/").header("Cookie", &bob).send();
    let csrf = csrf_in(&page.body);
    let form = [("csrf", csrf.as_str()), ("tags", "1"), ("days", "")];
    assert_eq!(
        post_form(&app, &bob, "/-/repos/alice/web/retention", &form),
        404
    );
    // Signed out: to sign in.
    let resp = app.get("/-/repos/alice/web/retention").send();
    assert_eq!(resp.status, 303);
}

#[test]
fn a_dry_run_counts_an_untagged_manifest_once_under_both_rules() {
    let app = TestApp::start();
    app.user("alice");
    let img = image("bydigest", b"shared");
    push_image(&app, "alice/web", &img, &sha(&img.manifest));
    tagged_images(&app, "alice/web", &[("kept", 0)]);
    patch_repo(&app, Some("alice"), "alice/web", json!({"retainTags": 5}));
    let options = berth::ops::gc::Options {
        dry_run: true,
        untagged_after: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let dir = app.state.config.data_dir.clone();
    let dry = berth::ops::gc::run(&mut app.conn(), &dir, &options).unwrap();
    assert_eq!(
        (dry.expired_tags, dry.untagged_manifests),
        (0, 1),
        "{dry:?}"
    );
    let real = berth::ops::gc::Options {
        dry_run: false,
        ..options
    };
    let report = berth::ops::gc::run(&mut app.conn(), &dir, &real).unwrap();
    assert_eq!(report.untagged_manifests, 1, "{report:?}");
    assert_eq!(tags_of(&app, "alice/web"), json!(["kept"]));
}

#[test]
fn a_large_body_cut_at_the_quota_still_gets_the_refusal() {
    let app = TestApp::start();
    app.user("alice");
    assert_eq!(set_quota(&app, "alice", json!(1 << 20)).0, 200);
    let url = session(&app, "alice", "alice/web");
    let (status, _, body) = raw("PATCH", &url, "alice", &vec![1u8; 8 << 20]);
    assert_denied(status, &body, 1 << 20);
    let (status, body) = monolithic(&app, "alice", "alice/web", &vec![2u8; 8 << 20]);
    assert_denied(status, &body, 1 << 20);
}
