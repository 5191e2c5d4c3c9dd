//! Issue 12, finding 1: a page of another site must not be able to change anything through
//! an API with credentials the browser saved. Over HTTP, dialect by dialect: the body types
//! a form can send without a preflight are 415 on API writes, writes a browser marks as
//! cross-site are 403, both in the dialect's envelope and with nothing changed; a missing
//! `Content-Type`, other types, same-origin writes and reads of any kind still work. The
//! browser itself is in tests/browser.rs; the sweep over every route in tests/hostile.rs.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{json, Value};

use common::{basic, Resp, TestApp, ADMIN, ADMIN_PASSWORD, PASSWORD};

/// The body types of `<form enctype=...>` (and of a `no-cors` fetch), as browsers send them.
const FORM_TYPES: &[&str] = &[
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "Application/X-WWW-Form-Urlencoded; charset=utf-8",
    "multipart/form-data; boundary=----WebKitFormBoundaryabc",
];

/// What browsers mark a request of another site's page with.
const CROSS_SITE: &[&[(&str, &str)]] = &[
    &[("Origin", "http://evil.example")],
    &[("Origin", "null")],
    &[("Sec-Fetch-Site", "cross-site")],
    &[("Sec-Fetch-Site", "same-site")],
    &[
        ("Sec-Fetch-Site", "cross-site"),
        ("Origin", "http://evil.example"),
    ],
];

/// One JSON write per dialect: (dialect, method, path, body, how to tell it happened).
struct ApiWrite {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    body: Value,
    /// A read that answers 200 once the write happened (and something else before).
    proof: &'static str,
    dtr: bool,
}

fn writes() -> Vec<ApiWrite> {
    vec![
        ApiWrite {
            what: "DTR organization",
            method: "POST",
            path: "/api/v0/accounts",
            body: json!({"type": "organization", "name": "evilorg"}),
            proof: "/api/v0/accounts/evilorg",
            dtr: true,
        },
        ApiWrite {
            what: "DTR repository",
            method: "POST",
            path: "/api/v0/repositories/admin",
            body: json!({"name": "evil-dtr", "visibility": "public"}),
            proof: "/api/v0/repositories/admin/evil-dtr",
            dtr: true,
        },
        ApiWrite {
            what: "Alauda repository",
            method: "POST",
            path: "/v1/repositories/admin",
            body: json!({"repo_name": "evil-alauda", "is_public": true}),
            proof: "/api/v0/repositories/admin/evil-alauda",
            dtr: false,
        },
        ApiWrite {
            what: "Cloud external repository",
            method: "POST",
            path: "/api/repo/v1/repository",
            body: json!({"name": "registry.local/admin/evil-ext", "username": "u", "password": "p"}),
            proof: "/api/repo/v1/repository/registry.local/admin/evil-ext",
            dtr: false,
        },
    ]
}

/// The error envelope of the dialect, with its code (DTR) or message.
fn assert_refused(r: &Resp, status: u16, code: &str, dtr: bool, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    let v = r.json();
    if dtr {
        assert_eq!(v["errors"][0]["code"], code, "{what}: {v}");
        assert!(v["errors"][0]["message"].is_string(), "{what}: {v}");
    } else {
        assert!(v["error"].is_string(), "{what}: {v}");
        assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{what}: {v}");
    }
    assert!(
        r.header("www-authenticate").is_none(),
        "{what}: no challenge"
    );
}

fn happened(app: &TestApp, w: &ApiWrite) -> bool {
    app.get(w.proof).admin().send().status == 200
}

#[test]
fn form_body_types_are_415_in_each_dialects_envelope_and_change_nothing() {
    let app = TestApp::start();
    for w in writes() {
        for ct in FORM_TYPES {
            let r = app
                .req(w.method, w.path)
                .admin()
                .header("Content-Type", ct)
                .body(&w.body.to_string())
                .send();
            assert_refused(
                &r,
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                w.dtr,
                &format!("{} {ct}", w.what),
            );
            assert!(!happened(&app, &w), "{} {ct}", w.what);
        }
    }
    // The password change of finding 1, as the browser form sent it.
    app.user("victim");
    let r = app
        .post("/api/v0/accounts/victim/changePassword")
        .admin()
        .header("Content-Type", "text/plain")
        .body(r#"{"newPassword":"attacker-chosen-1","pad":"="}"#)
        .send();
    assert_refused(&r, 415, "UNSUPPORTED_MEDIA_TYPE", true, "changePassword");
    assert_eq!(app.get("/v1/users").as_user("victim").send().status, 200);
    // Index: registration and the account update.
    for (method, path) in [("POST", "/v1/users"), ("PUT", "/v1/users/victim")] {
        let r = app
            .req(method, path)
            .as_user("victim")
            .header("Content-Type", "text/plain")
            .body(r#"{"username":"evil","password":"password-999","email":"e@evil.example"}"#)
            .send();
        assert_refused(&r, 415, "UNSUPPORTED_MEDIA_TYPE", false, path);
    }
    assert_eq!(app.get("/v1/users").as_user("victim").send().status, 200);
    // RegistryUI: a JSON-or-query write, and the form routes' non-urlencoded types.
    app.repo("admin", "kept", true);
    let r = app
        .delete("/udr/v1api/folder?folder=admin")
        .admin()
        .header("Content-Type", "text/plain")
        .body("x=y")
        .send();
    assert_refused(
        &r,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        false,
        "RegistryUI folder",
    );
    for ct in ["text/plain", "multipart/form-data; boundary=x"] {
        let r = app
            .post("/udr/v1api/project/create")
            .admin()
            .header("Content-Type", ct)
            .body("repository=admin/evil-project")
            .send();
        assert_refused(&r, 415, "UNSUPPORTED_MEDIA_TYPE", false, ct);
    }
    assert_eq!(
        app.get("/api/v0/repositories/admin/kept")
            .admin()
            .send()
            .status,
        200
    );
    assert_eq!(
        app.get("/api/v0/repositories/admin/evil-project")
            .admin()
            .send()
            .status,
        404
    );
}

/// A request with no `Content-Type` at all (ureq may add one to a body; a raw socket does not).
fn raw(app: &TestApp, method: &str, path: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(app.addr).expect("connect");
    let auth = basic(ADMIN, ADMIN_PASSWORD);
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        app.addr,
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line")
}

#[test]
fn json_without_a_content_type_or_with_other_types_still_works() {
    let app = TestApp::start();
    assert_eq!(
        raw(
            &app,
            "POST",
            "/api/v0/accounts",
            r#"{"type":"organization","name":"no-type"}"#
        ),
        200
    );
    for (i, ct) in [
        "application/json",
        "application/json; charset=utf-8",
        "application/octet-stream",
    ]
    .iter()
    .enumerate()
    {
        let r = app
            .post("/api/v0/accounts")
            .admin()
            .header("Content-Type", ct)
            .body(&json!({"type": "organization", "name": format!("typed-{i}")}).to_string())
            .send();
        assert_eq!(r.status, 200, "{ct}: {}", r.body);
    }
    // The RegistryUI seed's own `curl -d ""` (a urlencoded body) and project/create's form.
    let r = app
        .post("/udr/v1api/repositories")
        .admin()
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("")
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post("/udr/v1api/project/create")
        .admin()
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("repository=admin/formed&isPublic=true")
        .send();
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn writes_a_browser_marks_as_cross_site_are_403_and_change_nothing() {
    let app = TestApp::start();
    for w in writes() {
        for headers in CROSS_SITE {
            let mut req = app.req(w.method, w.path).admin().json(&w.body);
            for (k, v) in *headers {
                req = req.header(k, v);
            }
            let r = req.send();
            let what = format!("{} {headers:?}", w.what);
            assert_refused(&r, 403, "CROSS_SITE_REQUEST", w.dtr, &what);
            assert!(!happened(&app, &w), "{what}");
        }
    }
    // Other write methods, and a form route.
    app.repo("admin", "kept", true);
    for (method, path, dtr) in [
        ("PATCH", "/api/v0/repositories/admin/kept", true),
        ("DELETE", "/api/v0/repositories/admin/kept", true),
        ("PUT", "/v1/repositories/admin/kept/star", false),
        ("DELETE", "/v1/repositories/admin/kept", false),
        (
            "POST",
            "/udr/v1api/project/create?repository=admin/evil",
            false,
        ),
    ] {
        let r = app
            .req(method, path)
            .admin()
            .header("Origin", "http://evil.example")
            .json(&json!({"shortDescription": "defaced"}))
            .send();
        assert_refused(&r, 403, "CROSS_SITE_REQUEST", dtr, path);
    }
    let kept = app.get("/api/v0/repositories/admin/kept").admin().send();
    assert_eq!(kept.status, 200);
    assert_ne!(kept.json()["shortDescription"], "defaced");
    let stars: i64 = app
        .conn()
        .query_row("SELECT count(*) FROM stars", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stars, 0);
}

#[test]
fn same_origin_writes_and_every_read_pass() {
    let app = TestApp::start();
    let own = app.base.clone();
    for (i, headers) in [
        vec![("Origin", own.as_str())],
        vec![("Sec-Fetch-Site", "same-origin"), ("Origin", own.as_str())],
        vec![("Sec-Fetch-Site", "none")],
    ]
    .iter()
    .enumerate()
    {
        let mut req = app
            .post("/api/v0/accounts")
            .admin()
            .json(&json!({"type": "organization", "name": format!("same-{i}")}));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let r = req.send();
        assert_eq!(r.status, 200, "{headers:?}: {}", r.body);
    }
    // Reads are never refused, whatever the browser says or the body type.
    for path in [
        "/api/v0/accounts",
        "/v1/users",
        "/v1/search?q=x",
        "/api/repo/v1/repository",
        "/udr/v1api/repositories",
    ] {
        for headers in CROSS_SITE {
            let mut req = app.get(path).admin().header("Content-Type", "text/plain");
            for (k, v) in *headers {
                req = req.header(k, v);
            }
            let r = req.send();
            assert_eq!(r.status, 200, "{path} {headers:?}: {}", r.body);
        }
    }
}

/// Behind a proxy that rewrites `Host`, the configured public address is this site.
#[test]
fn the_public_address_counts_as_this_site() {
    let app = TestApp::start_with(|c| c.public_address = Some("hub.example".into()));
    let r = app
        .post("/api/v0/accounts")
        .admin()
        .header("Origin", "https://hub.example")
        .json(&json!({"type": "organization", "name": "proxied"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post("/api/v0/accounts")
        .admin()
        .header("Origin", "https://evil.example")
        .json(&json!({"type": "organization", "name": "not-proxied"}))
        .send();
    assert_refused(&r, 403, "CROSS_SITE_REQUEST", true, "another origin");
}

/// A signed-in browser session is not an API credential, and the web UI's own forms keep
/// their CSRF answer (HTML), not an API envelope.
#[test]
fn web_forms_are_left_to_their_own_csrf_check() {
    let app = TestApp::start();
    app.user("alice");
    let r = app
        .post("/login")
        .header("Origin", "http://evil.example")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(&format!("username=alice&password={PASSWORD}"))
        .send();
    assert_eq!(r.status, 403);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
}
