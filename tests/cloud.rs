//! The Cloud dialect over HTTP (API-NOTES section 6): external repositories and registries,
//! namespaces and permissions, paging and filters, write-only credentials, the secrets key
//! file and its rotation.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::{json, Value};

use berth::core::external;
use berth::secrets::{Keyring, KEY_FILE, NEW_KEY_FILE};

const NO_ACCOUNT: &str = "no such account";
const NO_EXTERNAL: &str = "no such external repository";
const KEY_UNAVAILABLE: &str = "stored credentials cannot be used: the server's secrets key file (secrets.key in the data folder) \
                               is missing or does not match them; an operator must restore it";

/// alice owns the organization acme; carol is a member of acme without grants, dave a
/// member with a read-write namespace grant; bob is unrelated.
fn world() -> TestApp {
    world_with(|_| {})
}

fn world_with(tweak: impl FnOnce(&mut berth::config::Config)) -> TestApp {
    let app = TestApp::start_with(tweak);
    let alice = app.user("alice");
    app.user("bob");
    let carol = app.user("carol");
    let dave = app.user("dave");
    let acme = app.org("acme", &alice);
    app.exec(&format!(
        "INSERT INTO teams (org_id, name, created_at) VALUES ({acme}, 'viewers', 0);
         INSERT INTO team_members (team_id, user_id) SELECT id, {carol} FROM teams WHERE org_id = {acme} AND name = 'viewers';
         INSERT INTO teams (org_id, name, created_at) VALUES ({acme}, 'writers', 0);
         INSERT INTO team_members (team_id, user_id) SELECT id, {dave} FROM teams WHERE org_id = {acme} AND name = 'writers';
         INSERT INTO namespace_team_access (team_id, level) SELECT id, 'read-write' FROM teams WHERE org_id = {acme} AND name = 'writers';",
        acme = acme.id,
        carol = carol.id,
        dave = dave.id,
    ));
    app
}

fn obj(ns: &str, name: &str, host: &str) -> Value {
    json!({
        "name": name,
        "in_use": false,
        "registry": format!("/api/repo/v1/{ns}/registry/{host}/"),
        "resource_uri": format!("/api/repo/v1/{ns}/repository/{name}/"),
    })
}

fn add(app: &TestApp, user: &str, prefix: &str, name: &str) -> Resp {
    app.post(&format!("{prefix}repository/"))
        .as_user(user)
        .json(&json!({"name": name, "username": "reg-user", "password": "reg-pass"}))
        .send()
}

fn err(msg: &str) -> Value {
    json!({"error": msg})
}

/// The stored username and password of an external repository, opened with the app's key.
fn stored_credentials(app: &TestApp, ns: &str, name: &str) -> (String, String) {
    let conn = app.conn();
    let account = berth::store::accounts::by_name(&conn, ns).unwrap().unwrap();
    let repo = berth::store::external::by_name(&conn, account.id, name)
        .unwrap()
        .unwrap();
    let (user, password) = external::credentials(&conn, &app.state.secrets, &repo).unwrap();
    (user, password.expose().to_owned())
}

// ---------------------------------------------------------------- list

#[test]
fn an_empty_namespace_lists_nothing_with_meta() {
    let app = world();
    let expected = json!({
        "meta": {"limit": 25, "offset": 0, "next": null, "previous": null, "total_count": 0},
        "objects": [],
    });
    assert_eq!(
        app.get("/api/repo/v1/repository/")
            .as_user("alice")
            .send()
            .sj(),
        (200, expected.clone())
    );
    assert_eq!(
        app.get("/api/repo/v1/alice/repository/")
            .as_user("alice")
            .send()
            .sj(),
        (200, expected.clone())
    );
    assert_eq!(
        app.get("/api/repo/v1/acme/repository")
            .as_user("alice")
            .send()
            .sj(),
        (200, expected)
    );
}

#[test]
fn listing_shows_the_namespace_objects_sorted_by_name() {
    let app = world();
    for name in ["registry.local/user1/image1", "host:5000/a/b", "ubuntu"] {
        assert_eq!(
            add(&app, "alice", "/api/repo/v1/", name).status,
            201,
            "{name}"
        );
    }
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/acme/", "other.io/x").status,
        201
    );
    let r = app.get("/api/repo/v1/repository/").as_user("alice").send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({
                "meta": {"limit": 25, "offset": 0, "next": null, "previous": null, "total_count": 3},
                "objects": [
                    obj("alice", "host:5000/a/b", "host:5000"),
                    obj("alice", "registry.local/user1/image1", "registry.local"),
                    obj("alice", "ubuntu", "registry-1.docker.io"),
                ],
            })
        )
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn listing_pages_with_limit_offset_next_and_previous() {
    let app = world();
    for i in 0..5 {
        assert_eq!(
            add(&app, "alice", "/api/repo/v1/", &format!("r.io/app{i}")).status,
            201
        );
    }
    let page = |q: &str| {
        app.get(&format!("/api/repo/v1/repository/{q}"))
            .as_user("alice")
            .send()
            .sj()
    };
    assert_eq!(
        page("?limit=2&offset=2"),
        (
            200,
            json!({
                "meta": {
                    "limit": 2, "offset": 2, "total_count": 5,
                    "next": "/api/repo/v1/alice/repository/?limit=2&offset=4",
                    "previous": "/api/repo/v1/alice/repository/?limit=2&offset=0",
                },
                "objects": [obj("alice", "r.io/app2", "r.io"), obj("alice", "r.io/app3", "r.io")],
            })
        )
    );
    assert_eq!(
        page("?offset=4&limit=2"),
        (
            200,
            json!({
                "meta": {
                    "limit": 2, "offset": 4, "total_count": 5, "next": null,
                    "previous": "/api/repo/v1/alice/repository/?limit=2&offset=2",
                },
                "objects": [obj("alice", "r.io/app4", "r.io")],
            })
        )
    );
    // Past the end: an empty page that still counts everything.
    let (_, body) = page("?offset=10");
    assert_eq!(
        (&body["objects"], &body["meta"]["total_count"]),
        (&json!([]), &json!(5))
    );
}

#[test]
fn the_page_size_defaults_to_25_and_is_clamped_to_100() {
    let app = world();
    for i in 0..27 {
        assert_eq!(
            add(&app, "alice", "/api/repo/v1/", &format!("r.io/app{i:02}")).status,
            201
        );
    }
    let meta = |q: &str| {
        app.get(&format!("/api/repo/v1/repository/{q}"))
            .as_user("alice")
            .send()
            .json()
    };
    let first = meta("");
    assert_eq!(first["objects"].as_array().unwrap().len(), 25);
    assert_eq!(
        first["meta"],
        json!({"limit": 25, "offset": 0, "total_count": 27, "previous": null,
               "next": "/api/repo/v1/alice/repository/?limit=25&offset=25"})
    );
    assert_eq!(meta("?limit=1000")["meta"]["limit"], 100);
    assert_eq!(meta("?limit=0")["meta"]["limit"], 100);
    assert_eq!(meta("?limit=1000")["objects"].as_array().unwrap().len(), 27);
}

#[test]
fn bad_paging_parameters_are_400() {
    let app = world();
    for (q, msg) in [
        ("?limit=-1", "limit must be a non-negative integer"),
        ("?limit=ten", "limit must be a non-negative integer"),
        ("?offset=-5", "offset must be a non-negative integer"),
        ("?offset=1.5", "offset must be a non-negative integer"),
    ] {
        let r = app
            .get(&format!("/api/repo/v1/repository/{q}"))
            .as_user("alice")
            .send();
        assert_eq!(r.sj(), (400, err(msg)), "{q}");
    }
}

#[test]
fn the_name_filter_is_exact() {
    let app = world();
    for name in ["r.io/app", "r.io/app2", "s.io/app"] {
        assert_eq!(add(&app, "alice", "/api/repo/v1/", name).status, 201);
    }
    let r = app
        .get("/api/repo/v1/repository/?name=r.io/app")
        .as_user("alice")
        .send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({
                "meta": {"limit": 25, "offset": 0, "next": null, "previous": null, "total_count": 1},
                "objects": [obj("alice", "r.io/app", "r.io")],
            })
        )
    );
    let r = app
        .get("/api/repo/v1/repository/?name=r.io")
        .as_user("alice")
        .send();
    assert_eq!(r.json()["objects"], json!([]));
}

#[test]
fn the_registry_filter_takes_a_registry_resource_uri() {
    let app = world();
    for name in ["localhost:5000/a", "localhost:5000/b", "r.io/c", "ubuntu"] {
        assert_eq!(add(&app, "alice", "/api/repo/v1/", name).status, 201);
    }
    let names = |q: &str| -> Vec<String> {
        let r = app
            .get(&format!("/api/repo/v1/repository/?{q}"))
            .as_user("alice")
            .send();
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        r.json()["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names("registry=/api/repo/v1/alice/registry/localhost:5000/"),
        ["localhost:5000/a", "localhost:5000/b"]
    );
    assert_eq!(
        names("registry=/api/repo/v1/alice/registry/localhost:5000"),
        ["localhost:5000/a", "localhost:5000/b"]
    );
    assert_eq!(names("registry=/api/repo/v1/registry/r.io/"), ["r.io/c"]);
    assert_eq!(
        names("registry=/api/repo/v1/alice/registry/registry-1.docker.io/"),
        ["ubuntu"]
    );
    assert_eq!(
        names("registry=/api/repo/v1/alice/registry/localhost:5000/&name=localhost:5000/b"),
        ["localhost:5000/b"]
    );
    // Another namespace's registry resource matches nothing here.
    assert!(names("registry=/api/repo/v1/acme/registry/r.io/").is_empty());
    // The filter is kept in the paging links.
    let r = app
        .get(
            "/api/repo/v1/repository/?limit=1&registry=/api/repo/v1/alice/registry/localhost:5000/",
        )
        .as_user("alice")
        .send();
    assert_eq!(
        r.json()["meta"]["next"],
        "/api/repo/v1/alice/repository/?limit=1&offset=1&registry=%2Fapi%2Frepo%2Fv1%2Falice%2Fregistry%2Flocalhost%3A5000%2F"
    );
    let r = app
        .get("/api/repo/v1/repository/?registry=r.io")
        .as_user("alice")
        .send();
    assert_eq!(
        r.sj(),
        (400, err("registry must be a registry resource URI such as /api/repo/v1/{namespace}/registry/{host}/"))
    );
}

// ---------------------------------------------------------------- add

#[test]
fn adding_answers_201_with_the_object_and_no_credentials() {
    let app = world();
    let r = add(
        &app,
        "alice",
        "/api/repo/v1/",
        "registry.local/user1/image1",
    );
    assert_eq!(
        r.sj(),
        (
            201,
            obj("alice", "registry.local/user1/image1", "registry.local")
        )
    );
    assert!(!r.body.contains("reg-pass") && !r.body.contains("reg-user"));
    assert_eq!(
        stored_credentials(&app, "alice", "registry.local/user1/image1"),
        ("reg-user".into(), "reg-pass".into())
    );
}

#[test]
fn adding_in_an_organization_names_it_in_the_uris() {
    let app = world();
    let r = add(&app, "alice", "/api/repo/v1/acme/", "host:5000/a/b");
    assert_eq!(r.sj(), (201, obj("acme", "host:5000/a/b", "host:5000")));
    // The un-namespaced list is alice's own, not acme's.
    assert_eq!(
        app.get("/api/repo/v1/repository/")
            .as_user("alice")
            .send()
            .json()["objects"],
        json!([])
    );
}

#[test]
fn adding_the_same_name_twice_is_409() {
    let app = world();
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/x").status, 201);
    let r = add(&app, "alice", "/api/repo/v1/alice/", "r.io/x");
    assert_eq!(
        r.sj(),
        (
            409,
            err("this namespace already has an external repository with this name")
        )
    );
    // Another namespace may hold the same name.
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/acme/", "r.io/x").status,
        201
    );
}

#[test]
fn adding_a_name_that_is_not_an_image_reference_is_400() {
    let app = world();
    let msg =
        "not a valid image reference: expected [host[:port]/]path with lowercase path components \
               separated by '/', at most 255 characters, without a tag or digest";
    for name in [
        "UPPER/case",
        "r.io/a:latest",
        "r.io/a@sha256:00",
        "r.io/",
        "r.io//a",
        "host:99999/a",
        "a b",
        "/x",
        "r.io/../x",
    ] {
        let r = add(&app, "alice", "/api/repo/v1/", name);
        assert_eq!(r.sj(), (400, err(msg)), "{name}");
    }
    let long = format!("r.io/{}", "a".repeat(300));
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/", &long).sj(),
        (400, err(msg))
    );
}

#[test]
fn adding_needs_a_json_object_with_a_name() {
    let app = world();
    let post = |body: &str| {
        app.post("/api/repo/v1/repository/")
            .as_user("alice")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .sj()
    };
    assert_eq!(post(""), (400, err("a JSON object body is required")));
    assert_eq!(post("[]"), (400, err("the body must be a JSON object")));
    assert_eq!(
        post("{\"name\": "),
        (400, err("invalid JSON body (line 1, column 9)"))
    );
    assert_eq!(post("{}"), (400, err("name is required")));
    assert_eq!(post("{\"name\": \"\"}"), (400, err("name is required")));
    assert_eq!(post("{\"name\": 5}"), (400, err("name must be a string")));
}

#[test]
fn a_malformed_password_is_refused_without_quoting_it() {
    let app = world();
    let r = app
        .post("/api/repo/v1/repository/")
        .as_user("alice")
        .json(&json!({"name": "r.io/x", "password": 8675309}))
        .send();
    assert_eq!(r.sj(), (400, err("password must be a string")));
    let r = app
        .post("/api/repo/v1/repository/")
        .as_user("alice")
        .header("Content-Type", "application/json")
        .body("{\"name\": \"r.io/x\", \"password\": \"unterminated-8675309")
        .send();
    assert_eq!(r.status, 400);
    assert!(!r.body.contains("8675309"), "{}", r.body);
}

#[test]
fn credentials_are_optional_and_limited() {
    let app = world();
    let r = app
        .post("/api/repo/v1/repository/")
        .as_user("alice")
        .json(&json!({"name": "ubuntu"}))
        .send();
    assert_eq!(
        r.sj(),
        (201, obj("alice", "ubuntu", "registry-1.docker.io"))
    );
    assert_eq!(
        stored_credentials(&app, "alice", "ubuntu"),
        (String::new(), String::new())
    );
    let r = app
        .post("/api/repo/v1/repository/")
        .as_user("alice")
        .json(&json!({"name": "r.io/x", "password": "p".repeat(1025)}))
        .send();
    assert_eq!(r.sj(), (400, err("password must be at most 1024 bytes")));
    let r = app
        .post("/api/repo/v1/repository/")
        .as_user("alice")
        .json(&json!({"name": "r.io/x", "username": "u".repeat(256)}))
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            err("username must be at most 255 characters without control characters")
        )
    );
}

// ---------------------------------------------------------------- inspect

#[test]
fn inspecting_finds_names_with_slashes_and_ports() {
    let app = world();
    for name in ["registry.local/user1/image1", "host:5000/a/b"] {
        assert_eq!(add(&app, "alice", "/api/repo/v1/", name).status, 201);
        let host = name.split('/').next().unwrap();
        for path in [
            format!("/api/repo/v1/repository/{name}/"),
            format!("/api/repo/v1/repository/{name}"),
            format!("/api/repo/v1/alice/repository/{name}/"),
        ] {
            assert_eq!(
                app.get(&path).as_user("alice").send().sj(),
                (200, obj("alice", name, host)),
                "{path}"
            );
        }
    }
}

#[test]
fn inspecting_accepts_a_percent_encoded_colon() {
    let app = world();
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/", "host:5000/a/b").status,
        201
    );
    let r = app
        .get("/api/repo/v1/alice/repository/host%3A5000/a/b/")
        .as_user("alice")
        .send();
    assert_eq!(r.sj(), (200, obj("alice", "host:5000/a/b", "host:5000")));
}

#[test]
fn inspecting_a_missing_name_is_404() {
    let app = world();
    let r = app
        .get("/api/repo/v1/repository/r.io/none/")
        .as_user("alice")
        .send();
    assert_eq!(r.sj(), (404, err(NO_EXTERNAL)));
    let r = app
        .get("/api/repo/v1/acme/repository/r.io/none/")
        .as_user("alice")
        .send();
    assert_eq!(r.sj(), (404, err(NO_EXTERNAL)));
}

// ---------------------------------------------------------------- update

#[test]
fn patching_changes_only_the_credentials() {
    let app = world();
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/x").status, 201);
    let r = app
        .patch("/api/repo/v1/alice/repository/r.io/x/")
        .as_user("alice")
        .json(&json!({"username": "new-user", "password": "new-pass", "name": "r.io/renamed", "in_use": true}))
        .send();
    assert_eq!(r.sj(), (200, obj("alice", "r.io/x", "r.io")));
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/x"),
        ("new-user".into(), "new-pass".into())
    );
    // One field at a time; the other stays.
    let r = app
        .patch("/api/repo/v1/repository/r.io/x/")
        .as_user("alice")
        .json(&json!({"password": "third"}))
        .send();
    assert_eq!(r.sj(), (200, obj("alice", "r.io/x", "r.io")));
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/x"),
        ("new-user".into(), "third".into())
    );
    let r = app
        .patch("/api/repo/v1/repository/r.io/x")
        .as_user("alice")
        .json(&json!({}))
        .send();
    assert_eq!(r.sj(), (200, obj("alice", "r.io/x", "r.io")));
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/x"),
        ("new-user".into(), "third".into())
    );
    // Empty strings clear them.
    let r = app
        .patch("/api/repo/v1/repository/r.io/x")
        .as_user("alice")
        .json(&json!({"username": "", "password": ""}))
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/x"),
        (String::new(), String::new())
    );
}

#[test]
fn patching_at_the_resource_uri_works_in_an_organization() {
    let app = world();
    let created = add(&app, "alice", "/api/repo/v1/acme/", "host:5000/a/b").json();
    let uri = created["resource_uri"].as_str().unwrap();
    assert_eq!(uri, "/api/repo/v1/acme/repository/host:5000/a/b/");
    let r = app
        .patch(uri)
        .as_user("alice")
        .json(&json!({"username": "u2", "password": "p2"}))
        .send();
    assert_eq!(r.sj(), (200, created));
    assert_eq!(
        stored_credentials(&app, "acme", "host:5000/a/b"),
        ("u2".into(), "p2".into())
    );
}

#[test]
fn patching_needs_a_json_object_and_an_existing_name() {
    let app = world();
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/x").status, 201);
    let r = app
        .patch("/api/repo/v1/repository/r.io/x/")
        .as_user("alice")
        .body("")
        .send();
    assert_eq!(r.sj(), (400, err("a JSON object body is required")));
    let r = app
        .patch("/api/repo/v1/repository/r.io/x/")
        .as_user("alice")
        .json(&json!("pw"))
        .send();
    assert_eq!(r.sj(), (400, err("the body must be a JSON object")));
    let r = app
        .patch("/api/repo/v1/repository/r.io/x/")
        .as_user("alice")
        .json(&json!({"password": ["pw"]}))
        .send();
    assert_eq!(r.sj(), (400, err("password must be a string")));
    let r = app
        .patch("/api/repo/v1/repository/r.io/none/")
        .as_user("alice")
        .json(&json!({"password": "p"}))
        .send();
    assert_eq!(r.sj(), (404, err(NO_EXTERNAL)));
}

// ---------------------------------------------------------------- delete

#[test]
fn deleting_answers_204_without_a_body() {
    let app = world();
    let created = add(
        &app,
        "alice",
        "/api/repo/v1/",
        "registry.local/user1/image1",
    )
    .json();
    let uri = created["resource_uri"].as_str().unwrap();
    let r = app
        .delete(uri)
        .as_user("alice")
        .header("Content-Type", "application/json")
        .header("Content-Length", "0")
        .send();
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(r.header("content-type"), None);
    assert_eq!(
        app.get(uri).as_user("alice").send().sj(),
        (404, err(NO_EXTERNAL))
    );
    assert_eq!(
        app.delete(uri).as_user("alice").send().sj(),
        (404, err(NO_EXTERNAL))
    );
    let list = app
        .get("/api/repo/v1/repository/")
        .as_user("alice")
        .send()
        .json();
    assert_eq!(list["meta"]["total_count"], 0);
}

#[test]
fn deleting_without_a_namespace_uses_the_callers_own() {
    let app = world();
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/x").status, 201);
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/acme/", "r.io/x").status,
        201
    );
    assert_eq!(
        app.delete("/api/repo/v1/repository/r.io/x/")
            .as_user("alice")
            .send()
            .status,
        204
    );
    assert_eq!(
        app.get("/api/repo/v1/acme/repository/r.io/x/")
            .as_user("alice")
            .send()
            .sj(),
        (200, obj("acme", "r.io/x", "r.io"))
    );
}

// ---------------------------------------------------------------- registries

#[test]
fn registries_list_the_hosts_the_namespace_points_at() {
    let app = world();
    for name in [
        "localhost:5000/a",
        "localhost:5000/b",
        "registry.local/x",
        "ubuntu",
    ] {
        assert_eq!(add(&app, "alice", "/api/repo/v1/", name).status, 201);
    }
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/acme/", "quay.io/y").status,
        201
    );
    let expected = json!({
        "meta": {"limit": 25, "offset": 0, "next": null, "previous": null, "total_count": 3},
        "objects": [
            {"host": "localhost:5000", "name": "localhost:5000", "is_docker_registry": true, "is_ssl": false,
             "port": 5000, "resource_uri": "/api/repo/v1/alice/registry/localhost:5000/"},
            {"host": "registry-1.docker.io", "name": "Docker Hub", "is_docker_registry": true, "is_ssl": true,
             "port": 443, "resource_uri": "/api/repo/v1/alice/registry/registry-1.docker.io/"},
            {"host": "registry.local", "name": "registry.local", "is_docker_registry": true, "is_ssl": true,
             "port": 443, "resource_uri": "/api/repo/v1/alice/registry/registry.local/"},
        ],
    });
    assert_eq!(
        app.get("/api/repo/v1/registry/")
            .as_user("alice")
            .send()
            .sj(),
        (200, expected.clone())
    );
    assert_eq!(
        app.get("/api/repo/v1/alice/registry")
            .as_user("alice")
            .send()
            .sj(),
        (200, expected)
    );
    let r = app
        .get("/api/repo/v1/registry/?limit=1&offset=1")
        .as_user("alice")
        .send()
        .json();
    assert_eq!(
        r["meta"],
        json!({"limit": 1, "offset": 1, "total_count": 3,
               "next": "/api/repo/v1/alice/registry/?limit=1&offset=2",
               "previous": "/api/repo/v1/alice/registry/?limit=1&offset=0"})
    );
    assert_eq!(r["objects"][0]["host"], "registry-1.docker.io");
}

#[test]
fn a_registry_shows_when_the_namespace_uses_it() {
    let app = world();
    assert_eq!(
        add(
            &app,
            "alice",
            "/api/repo/v1/acme/",
            "registry.local/user1/image1"
        )
        .status,
        201
    );
    let expected = json!({
        "host": "registry.local", "name": "registry.local", "is_docker_registry": true, "is_ssl": true,
        "port": 443, "resource_uri": "/api/repo/v1/acme/registry/registry.local/",
    });
    // The object's `registry` field points here.
    let registry = app
        .get("/api/repo/v1/acme/repository/registry.local/user1/image1/")
        .as_user("alice")
        .send()
        .json()["registry"]
        .clone();
    assert_eq!(
        app.get(registry.as_str().unwrap())
            .as_user("alice")
            .send()
            .sj(),
        (200, expected)
    );
    let r = app
        .get("/api/repo/v1/registry/registry.local/")
        .as_user("alice")
        .send();
    assert_eq!(r.sj(), (404, err("no such registry")));
    let r = app
        .get("/api/repo/v1/acme/registry/quay.io/")
        .as_user("alice")
        .send();
    assert_eq!(r.sj(), (404, err("no such registry")));
}

// ---------------------------------------------------------------- who may

#[test]
fn anonymous_callers_get_401() {
    let app = world();
    for (method, path) in [
        ("GET", "/api/repo/v1/repository/"),
        ("POST", "/api/repo/v1/repository/"),
        ("GET", "/api/repo/v1/alice/repository/r.io/x/"),
        ("PATCH", "/api/repo/v1/alice/repository/r.io/x/"),
        ("DELETE", "/api/repo/v1/alice/repository/r.io/x/"),
        ("GET", "/api/repo/v1/registry/"),
        ("GET", "/api/repo/v1/alice/registry/r.io/"),
    ] {
        let r = app
            .req(method, path)
            .json(&json!({"name": "r.io/x"}))
            .send();
        assert_eq!(
            r.sj(),
            (401, err("authentication required")),
            "{method} {path}"
        );
        assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"berth\""));
    }
}

#[test]
fn a_namespace_the_caller_does_not_belong_to_looks_missing() {
    let app = world();
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/x").status, 201);
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/acme/", "r.io/x").status,
        201
    );
    let body = json!({"name": "r.io/y", "username": "u", "password": "p"});
    for ns in ["alice", "acme"] {
        for (method, path) in [
            ("GET", format!("/api/repo/v1/{ns}/repository/")),
            ("POST", format!("/api/repo/v1/{ns}/repository/")),
            ("GET", format!("/api/repo/v1/{ns}/repository/r.io/x/")),
            ("PATCH", format!("/api/repo/v1/{ns}/repository/r.io/x/")),
            ("DELETE", format!("/api/repo/v1/{ns}/repository/r.io/x/")),
            ("GET", format!("/api/repo/v1/{ns}/registry/")),
            ("GET", format!("/api/repo/v1/{ns}/registry/r.io/")),
        ] {
            let send = |path: &str| {
                let req = app.req(method, path).as_user("bob");
                if matches!(method, "POST" | "PATCH") {
                    req.json(&body)
                } else {
                    req
                }
                .send()
            };
            let theirs = send(&path);
            let missing = send(&path.replacen(&format!("/{ns}/"), "/nobody-here/", 1));
            assert_eq!(theirs.sj(), (404, err(NO_ACCOUNT)), "{method} {path}");
            assert_eq!(
                (theirs.status, theirs.body.clone(), theirs.stable_headers()),
                (
                    missing.status,
                    missing.body.clone(),
                    missing.stable_headers()
                ),
                "{method} {path}"
            );
        }
    }
    // Nothing changed.
    assert_eq!(
        app.get("/api/repo/v1/acme/repository/")
            .as_user("alice")
            .send()
            .json()["meta"]["total_count"],
        1
    );
}

#[test]
fn organization_members_read_and_writers_write() {
    let app = world();
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/acme/", "r.io/x").status,
        201
    );
    // carol: member without grants. Reads, and gets 403 for every change.
    let list = app
        .get("/api/repo/v1/acme/repository/")
        .as_user("carol")
        .send();
    assert_eq!(
        list.json()["objects"],
        json!([obj("acme", "r.io/x", "r.io")])
    );
    assert_eq!(
        app.get("/api/repo/v1/acme/repository/r.io/x/")
            .as_user("carol")
            .send()
            .sj(),
        (200, obj("acme", "r.io/x", "r.io"))
    );
    assert_eq!(
        app.get("/api/repo/v1/acme/registry/r.io/")
            .as_user("carol")
            .send()
            .status,
        200
    );
    let forbidden = (403, err("the client is not authorized"));
    assert_eq!(
        add(&app, "carol", "/api/repo/v1/acme/", "r.io/y").sj(),
        forbidden
    );
    let r = app
        .patch("/api/repo/v1/acme/repository/r.io/x/")
        .as_user("carol")
        .json(&json!({"password": "p"}))
        .send();
    assert_eq!(r.sj(), forbidden);
    assert_eq!(
        app.delete("/api/repo/v1/acme/repository/r.io/x/")
            .as_user("carol")
            .send()
            .sj(),
        forbidden
    );
    // A missing name is still a 404 for her.
    let r = app
        .delete("/api/repo/v1/acme/repository/r.io/none/")
        .as_user("carol")
        .send();
    assert_eq!(r.sj(), (404, err(NO_EXTERNAL)));
    // dave: read-write namespace grant.
    assert_eq!(
        add(&app, "dave", "/api/repo/v1/acme/", "r.io/y").sj(),
        (201, obj("acme", "r.io/y", "r.io"))
    );
    let r = app
        .patch("/api/repo/v1/acme/repository/r.io/x/")
        .as_user("dave")
        .json(&json!({"password": "p"}))
        .send();
    assert_eq!(r.sj(), (200, obj("acme", "r.io/x", "r.io")));
    assert_eq!(
        app.delete("/api/repo/v1/acme/repository/r.io/x/")
            .as_user("dave")
            .send()
            .status,
        204
    );
}

#[test]
fn site_admins_act_in_every_namespace() {
    let app = world();
    let r = app
        .post("/api/repo/v1/alice/repository/")
        .admin()
        .json(&json!({"name": "r.io/x", "password": "p"}))
        .send();
    assert_eq!(r.sj(), (201, obj("alice", "r.io/x", "r.io")));
    assert_eq!(
        app.get("/api/repo/v1/repository/r.io/x/")
            .as_user("alice")
            .send()
            .status,
        200
    );
    assert_eq!(
        app.delete("/api/repo/v1/acme/repository/r.io/x/")
            .admin()
            .send()
            .sj(),
        (404, err(NO_EXTERNAL))
    );
    assert_eq!(
        app.delete("/api/repo/v1/alice/repository/r.io/x/")
            .admin()
            .send()
            .status,
        204
    );
}

#[test]
fn an_api_key_works_as_the_basic_password() {
    let app = world();
    let alice = berth::store::accounts::by_name(&app.conn(), "alice")
        .unwrap()
        .unwrap();
    let (_, key) = berth::core::accounts::create_api_key(&app.conn(), alice.id, "cloud").unwrap();
    let r = app
        .post("/api/repo/v1/repository/")
        .basic("alice", &key)
        .header("Accept", "*/*")
        .json(&json!({"name": "r.io/x", "username": "u", "password": "p"}))
        .send();
    assert_eq!(r.sj(), (201, obj("alice", "r.io/x", "r.io")));
    let r = app
        .get("/api/repo/v1/repository/")
        .basic("alice", &key)
        .header("Content-Type", "application/json")
        .send();
    assert_eq!(r.json()["meta"]["total_count"], 1);
    assert_eq!(
        app.get("/api/repo/v1/repository/")
            .basic("alice", "wrong")
            .send()
            .status,
        401
    );
}

#[test]
fn wrong_methods_are_405_in_the_envelope() {
    let app = world();
    for (method, path) in [
        ("PUT", "/api/repo/v1/repository/"),
        ("DELETE", "/api/repo/v1/alice/repository/"),
        ("POST", "/api/repo/v1/repository/r.io/x/"),
        ("POST", "/api/repo/v1/registry/"),
        ("DELETE", "/api/repo/v1/alice/registry/r.io/"),
    ] {
        let r = app.req(method, path).as_user("alice").send();
        assert_eq!(r.sj(), (405, err("method not allowed")), "{method} {path}");
    }
}

#[test]
fn the_seed_example_object_is_what_berth_answers() {
    let app = TestApp::start();
    app.user("user_namespace");
    // The seed's request, verbatim, with the seed's example name.
    let r = app
        .post("/api/repo/v1/repository/")
        .as_user("user_namespace")
        .header("Accept", "application/json")
        .json(&json!({"name": "my.registry.com/myrepo", "username": "username", "password": "password"}))
        .send();
    let seed_example = json!({
        "in_use": false,
        "name": "my.registry.com/myrepo",
        "registry": "/api/repo/v1/user_namespace/registry/my.registry.com/",
        "resource_uri": "/api/repo/v1/user_namespace/repository/my.registry.com/myrepo/",
    });
    assert_eq!(r.sj(), (201, seed_example.clone()));
    let r = app
        .get("/api/repo/v1/repository/my.registry.com/myrepo/")
        .as_user("user_namespace")
        .send();
    assert_eq!(r.sj(), (200, seed_example));
}

#[test]
fn index_access_tokens_are_not_credentials_here() {
    let app = world();
    let alice = berth::store::accounts::by_name(&app.conn(), "alice")
        .unwrap()
        .unwrap();
    let signature = "s3cr3tsignature";
    let hash = berth::auth::secret::sha256_hex(signature);
    let expires = chrono::Utc::now().timestamp_millis() + 600_000;
    berth::store::keys::insert_access_token(
        &app.conn(),
        &hash,
        Some(alice.id),
        "alice/app",
        "write",
        expires,
    )
    .unwrap();
    let token = format!("Token signature={signature},repository=\"alice/app\",access=write");
    let r = app
        .get("/api/repo/v1/repository/")
        .header("Authorization", &token)
        .send();
    assert_eq!(
        r.sj(),
        (
            401,
            err("an access token is valid only on its repository's routes")
        )
    );
}

#[test]
fn bodies_over_one_mebibyte_are_413() {
    let app = world();
    let big = format!(
        "{{\"name\": \"r.io/x\", \"password\": \"{}\"}}",
        "x".repeat(1 << 20)
    );
    let r = app
        .post("/api/repo/v1/repository/")
        .as_user("alice")
        .header("Content-Type", "application/json")
        .body(&big)
        .send();
    assert_eq!(r.sj(), (413, err("request body is larger than 1 MiB")));
}

// ---------------------------------------------------------------- the key file

fn data_dir(root: &Path) -> PathBuf {
    root.join("data")
}

fn start_in(root: &Path) -> TestApp {
    let dir = data_dir(root);
    TestApp::start_with(move |c| c.data_dir = dir)
}

#[test]
fn the_key_file_is_created_owner_only_on_first_start() {
    let root = tempfile::tempdir().unwrap();
    let app = start_in(root.path());
    let path = data_dir(root.path()).join(KEY_FILE);
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.trim().len(), 64);
    drop(app);
    // A second start keeps it.
    let _app = start_in(root.path());
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn the_database_holds_the_password_only_sealed_under_a_key_id() {
    let app = world();
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/x").status, 201);
    let (secret, key_id): (Vec<u8>, String) = app
        .conn()
        .query_row(
            "SELECT secret, key_id FROM external_repositories WHERE name = 'r.io/x'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(!secret.windows(8).any(|w| w == b"reg-pass"));
    assert_eq!(secret.len(), 24 + 8 + 16, "nonce, ciphertext, tag");
    assert_eq!(key_id.len(), 16);
    // Moved to another row, the sealed password no longer opens: never a wrong password.
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/y").status, 201);
    app.conn()
        .execute(
            "UPDATE external_repositories SET secret = ?1 WHERE name = 'r.io/y'",
            [&secret],
        )
        .unwrap();
    let conn = app.conn();
    let alice = berth::store::accounts::by_name(&conn, "alice")
        .unwrap()
        .unwrap();
    let y = berth::store::external::by_name(&conn, alice.id, "r.io/y")
        .unwrap()
        .unwrap();
    let e = external::credentials(&conn, &app.state.secrets, &y).unwrap_err();
    assert_eq!(
        (e.status.as_u16(), e.message.as_ref()),
        (503, KEY_UNAVAILABLE)
    );
}

#[test]
fn a_missing_key_file_is_a_clear_503_on_use_not_a_crash() {
    let root = tempfile::tempdir().unwrap();
    let app = start_in(root.path());
    let alice = app.user("alice");
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/x").status, 201);
    drop(app);
    let key_path = data_dir(root.path()).join(KEY_FILE);
    let saved = fs::read(&key_path).unwrap();
    fs::remove_file(&key_path).unwrap();

    let app = start_in(root.path());
    // Not recreated: a new key would never open the stored secrets.
    assert!(!key_path.exists());
    // What needs no key still works.
    assert_eq!(
        app.get("/api/repo/v1/repository/r.io/x/")
            .as_user("alice")
            .send()
            .sj(),
        (200, obj("alice", "r.io/x", "r.io"))
    );
    assert_eq!(
        app.post("/api/repo/v1/repository/")
            .as_user("alice")
            .json(&json!({"name": "ubuntu"}))
            .send()
            .status,
        201
    );
    // Sealing a password does not.
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/", "r.io/y").sj(),
        (503, err(KEY_UNAVAILABLE))
    );
    let r = app
        .patch("/api/repo/v1/repository/r.io/x/")
        .as_user("alice")
        .json(&json!({"password": "p2"}))
        .send();
    assert_eq!(r.sj(), (503, err(KEY_UNAVAILABLE)));
    let conn = app.conn();
    let x = berth::store::external::by_name(&conn, alice.id, "r.io/x")
        .unwrap()
        .unwrap();
    assert_eq!(
        external::credentials(&conn, &app.state.secrets, &x)
            .unwrap_err()
            .message,
        KEY_UNAVAILABLE
    );
    // Restoring the file makes everything work again, without a restart.
    fs::write(&key_path, &saved).unwrap();
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/y").status, 201);
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/x"),
        ("reg-user".into(), "reg-pass".into())
    );
}

#[test]
fn a_wrong_key_file_is_a_clear_503_and_never_a_wrong_password() {
    let root = tempfile::tempdir().unwrap();
    let app = start_in(root.path());
    let alice = app.user("alice");
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/x").status, 201);
    drop(app);
    let key_path = data_dir(root.path()).join(KEY_FILE);
    fs::write(&key_path, format!("{}\n", "ab".repeat(32))).unwrap();

    let app = start_in(root.path());
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/", "r.io/y").sj(),
        (503, err(KEY_UNAVAILABLE))
    );
    let r = app
        .patch("/api/repo/v1/repository/r.io/x/")
        .as_user("alice")
        .json(&json!({"username": "u", "password": "p"}))
        .send();
    assert_eq!(r.sj(), (503, err(KEY_UNAVAILABLE)));
    let conn = app.conn();
    let x = berth::store::external::by_name(&conn, alice.id, "r.io/x")
        .unwrap()
        .unwrap();
    assert_eq!(
        external::credentials(&conn, &app.state.secrets, &x)
            .unwrap_err()
            .message,
        KEY_UNAVAILABLE
    );
    drop(conn);
    // A garbled file is the same answer.
    fs::write(&key_path, "not a key").unwrap();
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/", "r.io/y").sj(),
        (503, err(KEY_UNAVAILABLE))
    );
    // The username change of the refused PATCH did not happen either (one transaction).
    assert_eq!(
        app.get("/api/repo/v1/repository/")
            .as_user("alice")
            .send()
            .json()["meta"]["total_count"],
        1
    );
}

#[test]
fn rotating_the_key_reseals_every_secret_in_one_go() {
    let root = tempfile::tempdir().unwrap();
    let app = start_in(root.path());
    app.user("alice");
    let acme_owner = berth::store::accounts::by_name(&app.conn(), "alice")
        .unwrap()
        .unwrap();
    app.org("acme", &acme_owner);
    for (prefix, name) in [
        ("/api/repo/v1/", "r.io/a"),
        ("/api/repo/v1/", "r.io/b"),
        ("/api/repo/v1/acme/", "r.io/a"),
    ] {
        assert_eq!(add(&app, "alice", prefix, name).status, 201);
    }
    assert_eq!(
        app.post("/api/repo/v1/repository/")
            .as_user("alice")
            .json(&json!({"name": "ubuntu"}))
            .send()
            .status,
        201
    );
    let key_path = data_dir(root.path()).join(KEY_FILE);
    let old_key = fs::read_to_string(&key_path).unwrap();
    let ids = |app: &TestApp| berth::store::external::key_ids_in_use(&app.conn()).unwrap();
    let old_ids = ids(&app);
    assert_eq!(old_ids.len(), 1);

    // The real command, while the server runs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["admin", "--data-dir"])
        .arg(data_dir(root.path()))
        .arg("rotate-key")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_ids = ids(&app);
    assert_eq!(new_ids.len(), 1);
    assert_ne!(new_ids, old_ids);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "re-encrypted 3 secret(s) under the new key {}\n",
            new_ids[0]
        )
    );
    let new_key = fs::read_to_string(&key_path).unwrap();
    assert_ne!(new_key, old_key);
    assert_eq!(
        fs::metadata(&key_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!data_dir(root.path()).join(NEW_KEY_FILE).exists());
    // The running server picks the new key up on its next use.
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/a"),
        ("reg-user".into(), "reg-pass".into())
    );
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/c").status, 201);
    assert_eq!(ids(&app), new_ids);
    drop(app);
    // And after a restart everything opens under the new key; the old key opens nothing.
    let app = start_in(root.path());
    assert_eq!(
        stored_credentials(&app, "acme", "r.io/a"),
        ("reg-user".into(), "reg-pass".into())
    );
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/b"),
        ("reg-user".into(), "reg-pass".into())
    );
    assert_eq!(
        stored_credentials(&app, "alice", "ubuntu"),
        (String::new(), String::new())
    );
    drop(app);
    fs::write(&key_path, &old_key).unwrap();
    let app = start_in(root.path());
    assert_eq!(
        add(&app, "alice", "/api/repo/v1/", "r.io/d").sj(),
        (503, err(KEY_UNAVAILABLE))
    );
}

#[test]
fn rotating_without_the_key_fails_and_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let app = start_in(root.path());
    app.user("alice");
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/a").status, 201);
    let before: Vec<u8> = app
        .conn()
        .query_row("SELECT secret FROM external_repositories", [], |r| r.get(0))
        .unwrap();
    drop(app);
    let key_path = data_dir(root.path()).join(KEY_FILE);
    fs::remove_file(&key_path).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["admin", "--data-dir"])
        .arg(data_dir(root.path()))
        .arg("rotate-key")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "berth: {} is missing; restore it before rotating\n",
            key_path.display()
        )
    );
    assert!(!key_path.exists() && !data_dir(root.path()).join(NEW_KEY_FILE).exists());
    let store = berth::store::Store::open(&data_dir(root.path())).unwrap();
    let after: Vec<u8> = store
        .conn()
        .unwrap()
        .query_row("SELECT secret FROM external_repositories", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn a_rotation_interrupted_after_its_commit_is_finished_on_the_next_start() {
    let root = tempfile::tempdir().unwrap();
    let dir = data_dir(root.path());
    let app = start_in(root.path());
    app.user("alice");
    assert_eq!(add(&app, "alice", "/api/repo/v1/", "r.io/a").status, 201);
    drop(app);
    let key_path = dir.join(KEY_FILE);
    let old_key = fs::read(&key_path).unwrap();
    {
        let store = berth::store::Store::open(&dir).unwrap();
        let mut conn = store.conn().unwrap();
        let keyring = Keyring::open(&dir, &conn);
        keyring.rotate(&mut conn).unwrap();
    }
    // Put the files back as a crash between the commit and the rename would leave them.
    fs::rename(&key_path, dir.join(NEW_KEY_FILE)).unwrap();
    fs::write(&key_path, &old_key).unwrap();
    let app = start_in(root.path());
    assert!(!dir.join(NEW_KEY_FILE).exists());
    assert_ne!(fs::read(&key_path).unwrap(), old_key);
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/a"),
        ("reg-user".into(), "reg-pass".into())
    );
    drop(app);
    // A `.new` file from a rotation that never committed is discarded.
    let current = fs::read(&key_path).unwrap();
    fs::write(dir.join(NEW_KEY_FILE), format!("{}\n", "cd".repeat(32))).unwrap();
    let app = start_in(root.path());
    assert!(!dir.join(NEW_KEY_FILE).exists());
    assert_eq!(fs::read(&key_path).unwrap(), current);
    assert_eq!(
        stored_credentials(&app, "alice", "r.io/a"),
        ("reg-user".into(), "reg-pass".into())
    );
}

// ---------------------------------------------------------------- no leak anywhere

/// One request to an external server: (status, headers and body as one text).
fn raw_request(
    base: &str,
    method: &str,
    path: &str,
    auth: &str,
    body: Option<&str>,
) -> (u16, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(30))
        .build();
    let mut req = agent
        .request(method, &format!("{base}{path}"))
        .set("Authorization", auth);
    if body.is_some() {
        req = req.set("Content-Type", "application/json");
    }
    let result = match body {
        Some(b) => req.send_string(b),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = resp.status();
    let mut text: String = resp
        .headers_names()
        .iter()
        .map(|n| format!("{n}: {}\n", resp.header(n).unwrap_or_default()))
        .collect();
    text.push_str(&resp.into_string().unwrap());
    (status, text)
}

/// A child process that is killed if the test ends early.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every form in which a leaked secret could show up: raw, hex, base64.
fn forms(secret: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    vec![
        secret.as_bytes().to_vec(),
        hex::encode(secret).into_bytes(),
        hex::encode_upper(secret).into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(secret)
            .trim_end_matches('=')
            .as_bytes()
            .to_vec(),
    ]
}

fn assert_nowhere(what: &str, haystack: &[u8], secrets: &[&str]) {
    for secret in secrets {
        for form in forms(secret) {
            assert!(
                !haystack.windows(form.len()).any(|w| w == form.as_slice()),
                "{what} contains {}",
                String::from_utf8_lossy(&form)
            );
        }
    }
}

/// Every file of the data folder (database, WAL, shared memory, key files, and the
/// registry's `blobs/` and `uploads/` folders).
fn assert_not_in_data_dir(dir: &Path, secrets: &[&str]) -> usize {
    let mut files = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files += assert_not_in_data_dir(&path, secrets);
            continue;
        }
        assert_nowhere(
            &path.display().to_string(),
            &fs::read(&path).unwrap(),
            secrets,
        );
        files += 1;
    }
    files
}

/// The whole product, as shipped: the real `berth` binary with every log line at `trace`
/// written to a file, driven over HTTP through every Cloud route (successes and errors),
/// plus `berth admin rotate-key`. Afterwards the known passwords (and usernames) are looked
/// for, raw, hex and base64, in every response (headers and bodies), the log file, the
/// rotation's output and every file of the data folder (the database, its WAL while the
/// server still runs, and after shutdown). They must be nowhere; the stored password must
/// still open with the key, so the test is not vacuous.
#[test]
fn a_known_password_appears_in_no_file_log_or_response() {
    let root = tempfile::tempdir().unwrap();
    let dir = data_dir(root.path());
    let log_path = root.path().join("berth.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let tag = berth::auth::secret::random_string(16);
    let first = format!("Canary-First-{tag}");
    let second = format!("Canary-Second-{tag}");
    let refused = format!("Canary-Refused-{tag}");
    let user_canary = format!("canary-user-{tag}");
    let passwords = [first.as_str(), second.as_str(), refused.as_str()];
    let all = [
        first.as_str(),
        second.as_str(),
        refused.as_str(),
        user_canary.as_str(),
    ];

    let log = fs::File::create(&log_path).unwrap();
    let mut server = Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--bcrypt-cost",
                "4",
                "--data-dir",
            ])
            .arg(&dir)
            .env("BERTH_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "trace")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let up = (0..300).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        ureq::get(&format!("{base}/healthz")).call().is_ok()
    });
    assert!(
        up,
        "berth did not start:\n{}",
        fs::read_to_string(&log_path).unwrap_or_default()
    );

    let admin = basic(ADMIN, ADMIN_PASSWORD);
    let stranger = basic("nobody", "whatever-password");
    let body = |name: &str, user: &str, password: &str| {
        json!({"name": name, "username": user, "password": password}).to_string()
    };
    let mut responses = String::new();
    let mut call = |method: &str, path: &str, auth: &str, b: Option<&str>| {
        let (status, text) = raw_request(&base, method, path, auth, b);
        responses.push_str(&text);
        status
    };
    let uri = "/api/repo/v1/admin/repository/registry.local/team/app/";
    assert_eq!(
        call(
            "POST",
            "/api/repo/v1/repository/",
            &admin,
            Some(&body("registry.local/team/app", &user_canary, &first))
        ),
        201
    );
    assert_eq!(
        call(
            "POST",
            "/api/repo/v1/repository/",
            &admin,
            Some(&body("registry.local/team/app", &user_canary, &refused))
        ),
        409
    );
    assert_eq!(
        call(
            "POST",
            "/api/repo/v1/repository/",
            &admin,
            Some(&body("Not A Name", &user_canary, &refused))
        ),
        400
    );
    assert_eq!(
        call(
            "POST",
            "/api/repo/v1/repository/",
            &admin,
            Some(&format!(
                "{{\"name\": \"r.io/x\", \"password\": \"{refused}"
            ))
        ),
        400
    );
    assert_eq!(
        call(
            "POST",
            "/api/repo/v1/nobody-here/repository/",
            &admin,
            Some(&body("r.io/x", &user_canary, &refused))
        ),
        404
    );
    assert_eq!(
        call(
            "POST",
            "/api/repo/v1/repository/",
            &stranger,
            Some(&body("r.io/x", &user_canary, &refused))
        ),
        401
    );
    assert_eq!(
        call(
            "PATCH",
            uri,
            &admin,
            Some(&json!({"username": user_canary, "password": second}).to_string())
        ),
        200
    );
    assert_eq!(
        call(
            "PATCH",
            "/api/repo/v1/repository/r.io/none/",
            &admin,
            Some(&json!({"password": refused}).to_string())
        ),
        404
    );
    assert_eq!(
        call(
            "PATCH",
            uri,
            &admin,
            Some(&json!({"password": [refused]}).to_string())
        ),
        400
    );
    assert_eq!(call("GET", uri, &admin, None), 200);
    assert_eq!(call("GET", "/api/repo/v1/repository/", &admin, None), 200);
    assert_eq!(
        call(
            "GET",
            "/api/repo/v1/repository/?name=registry.local/team/app",
            &admin,
            None
        ),
        200
    );
    assert_eq!(call("GET", "/api/repo/v1/registry/", &admin, None), 200);
    assert_eq!(
        call(
            "GET",
            "/api/repo/v1/admin/registry/registry.local/",
            &admin,
            None
        ),
        200
    );

    // While the server runs: the database, its WAL and shared memory.
    assert!(dir.join("berth.db-wal").exists());
    assert!(assert_not_in_data_dir(&dir, &passwords) >= 4);

    let rotation = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["admin", "--data-dir"])
        .arg(&dir)
        .arg("rotate-key")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(rotation.status.success());
    assert_nowhere(
        "rotate-key output",
        &[rotation.stdout, rotation.stderr].concat(),
        &all,
    );
    assert_eq!(call("GET", uri, &admin, None), 200);

    // A graceful stop (SIGTERM) checkpoints the WAL into the database file.
    let stopped = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(server.0.id().to_string())
        .status()
        .is_ok_and(|s| s.success());
    if !stopped {
        let _ = server.0.kill();
    }
    let _ = server.0.wait();
    assert_not_in_data_dir(&dir, &passwords);
    let log_text = fs::read(&log_path).unwrap();
    assert!(String::from_utf8_lossy(&log_text)
        .contains(r#"{"method":"PATCH","path":"/api/repo/v1/admin/repository/registry.local/team/app/","route":"/api/repo/v1/{ns}/repository/{name:.+}","dialect":"cloud","status":200,"#));
    assert_nowhere("the log", &log_text, &all);
    assert_nowhere("the responses", responses.as_bytes(), &all);

    // The password is there, sealed: the key opens it.
    let store = berth::store::Store::open(&dir).unwrap();
    let conn = store.conn().unwrap();
    let keyring = Keyring::open(&dir, &conn);
    let admin_account = berth::store::accounts::by_name(&conn, ADMIN)
        .unwrap()
        .unwrap();
    let repo = berth::store::external::by_name(&conn, admin_account.id, "registry.local/team/app")
        .unwrap()
        .unwrap();
    let (user, password) = external::credentials(&conn, &keyring, &repo).unwrap();
    assert_eq!(
        (user.as_str(), password.expose()),
        (user_canary.as_str(), second.as_str())
    );
}
