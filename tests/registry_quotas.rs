//! Registry usage and namespace quotas (issue 15): what a namespace uses, how a site admin
//! sets its quota (DTR accounts API, admin page, `berth admin quota`), and every point where a
//! push past it is refused with `DENIED` before anything is stored.

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
