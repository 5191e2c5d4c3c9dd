//! The DTR 1.3 dialect (`/api/v0`) over HTTP: every route, every documented status, exact
//! JSON bodies, the seed's examples replayed, and private repositories that stay invisible.

mod common;

use berth::core::model::{Account, Repository, Team};
use berth::core::policy::Level;
use berth::store;
use common::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Helpers

fn e(code: &str, message: &str) -> Value {
    json!({"errors": [{"code": code, "message": message}]})
}

fn unauthenticated() -> Value {
    e("NOT_AUTHENTICATED", "authentication required")
}

fn forbidden() -> Value {
    e("NOT_AUTHORIZED", "the client is not authorized")
}

fn no_repo() -> Value {
    e("NO_SUCH_REPOSITORY", "no such repository")
}

fn no_account() -> Value {
    e("NO_SUCH_ACCOUNT", "no such account")
}

fn no_team() -> Value {
    e("NO_SUCH_TEAM", "no such team")
}

fn acct(a: &Account) -> Value {
    json!({"id": a.id, "type": a.kind.as_str(), "name": a.name, "isActive": a.is_active})
}

fn team_v(t: &Team) -> Value {
    json!({"id": t.id, "orgID": t.org_id, "type": "managed", "name": t.name, "description": t.description})
}

fn repo_v(r: &Repository) -> Value {
    json!({
        "id": r.id,
        "namespace": r.namespace,
        "name": r.name,
        "shortDescription": r.short_description,
        "longDescription": r.long_description,
        "visibility": if r.is_public { "public" } else { "private" },
        "status": "ok",
    })
}

fn team(app: &TestApp, org: &Account, name: &str, members: &[&Account]) -> Team {
    let conn = app.conn();
    let t = store::teams::insert(&conn, org.id, name, &format!("{name} team")).unwrap();
    for m in members {
        store::teams::add_member(&conn, t.id, m.id).unwrap();
    }
    t
}

fn owners(app: &TestApp, org: &Account) -> Team {
    store::teams::by_name(&app.conn(), org.id, "owners")
        .unwrap()
        .unwrap()
}

fn account(app: &TestApp, name: &str) -> Account {
    store::accounts::by_name(&app.conn(), name)
        .unwrap()
        .unwrap()
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/dtr/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn with_id(mut v: Value, id: &Value) -> Value {
    v["id"] = id.clone();
    v
}

fn assert_no_content(r: &Resp) {
    assert_eq!((r.status, r.body.as_str()), (204, ""), "{r:?}");
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

// ---------------------------------------------------------------------------------------
// The seed's examples, replayed

#[test]
fn seed_list_and_view_examples_replay() {
    let app = TestApp::start();
    app.user("don");
    let expected = fixture("list-response");
    let mut ids = Vec::new();
    for repo in expected["repositories"].as_array().unwrap() {
        let body = json!({
            "name": repo["name"],
            "shortDescription": repo["shortDescription"],
            "longDescription": repo["longDescription"],
            "visibility": repo["visibility"],
        });
        let r = app
            .post("/api/v0/repositories/don")
            .as_user("don")
            .json(&body)
            .send();
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].clone();
        assert_eq!(r.json(), with_id(repo.clone(), &id));
        ids.push(id);
    }
    let mut want = expected.clone();
    for (repo, id) in want["repositories"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(&ids)
    {
        repo["id"] = id.clone();
    }
    // Listed by name: private-app comes before public-app.
    want["repositories"].as_array_mut().unwrap().reverse();
    assert_eq!(
        app.get("/api/v0/repositories/don")
            .as_user("don")
            .send()
            .sj(),
        (200, want)
    );

    let view = app
        .get("/api/v0/repositories/don/public-app")
        .as_user("don")
        .send();
    assert_eq!(view.sj(), (200, with_id(fixture("view-response"), &ids[0])));
    assert_eq!(view.header("content-type"), Some("application/json"));
}

#[test]
fn seed_create_patch_and_delete_examples_replay() {
    let app = TestApp::start();
    app.user("alice");
    let r = app
        .post("/api/v0/repositories/alice")
        .as_user("alice")
        .json(&fixture("create-request"))
        .send();
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].clone();
    assert_eq!(r.json(), with_id(fixture("create-response"), &id));

    let r = app
        .patch("/api/v0/repositories/alice/my-app")
        .as_user("alice")
        .json(&fixture("patch-request"))
        .send();
    assert_eq!(r.sj(), (200, with_id(fixture("patch-response"), &id)));
    assert_eq!(
        app.get("/api/v0/repositories/alice/my-app")
            .as_user("alice")
            .send()
            .sj(),
        (200, with_id(fixture("patch-response"), &id))
    );

    assert_no_content(
        &app.delete("/api/v0/repositories/alice/my-app")
            .as_user("alice")
            .send(),
    );
    assert_eq!(
        app.get("/api/v0/repositories/alice/my-app")
            .as_user("alice")
            .send()
            .sj(),
        (404, no_repo())
    );
}

#[test]
fn seed_curl_commands_replay_as_written() {
    // The seed's curl lines, as the site admin on the organization `engineering`.
    let app = TestApp::start();
    let admin = account(&app, ADMIN);
    app.org("engineering", &admin);
    let public = app.repo("engineering", "public-app", true);
    let r = app.get("/api/v0/repositories/engineering").admin().send();
    assert_eq!(r.sj(), (200, json!({"repositories": [repo_v(&public)]})));
    let r = app
        .get("/api/v0/repositories/engineering/public-app")
        .admin()
        .send();
    assert_eq!(r.sj(), (200, repo_v(&public)));
    let r = app
        .post("/api/v0/repositories/engineering")
        .admin()
        .header("Content-type", "application/json")
        .body(r#"{"name":"my-app"}"#)
        .send();
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["visibility"], "private");
    // curl --data without a Content-Type header sends a form type, which a browser form can
    // send to any site too: refused (issue 12), and nothing changes.
    let r = app
        .patch("/api/v0/repositories/engineering/public-app")
        .admin()
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(r#"{"shortDescription":"slightly out of date"}"#)
        .send();
    assert_eq!(r.status, 415);
    assert_eq!(r.json()["errors"][0]["code"], "UNSUPPORTED_MEDIA_TYPE");
    // The seed's line, with its header (wrapped in the seed) as meant.
    let r = app
        .patch("/api/v0/repositories/engineering/public-app")
        .admin()
        .header("Content-type", "application/json")
        .body(r#"{"shortDescription":"slightly out of date"}"#)
        .send();
    let mut want = repo_v(&public);
    want["shortDescription"] = json!("slightly out of date");
    assert_eq!(r.sj(), (200, want));
    assert_no_content(
        &app.delete("/api/v0/repositories/engineering/public-app")
            .admin()
            .send(),
    );
}

// ---------------------------------------------------------------------------------------
// Repositories

#[test]
fn repository_list_needs_an_authenticated_user() {
    let app = TestApp::start();
    app.user("don");
    let r = app.get("/api/v0/repositories/don").send();
    assert_eq!(r.sj(), (401, unauthenticated()));
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"berth\""));
    let r = app
        .get("/api/v0/repositories/don")
        .basic("don", "wrong-password")
        .send();
    assert_eq!(
        r.sj(),
        (401, e("NOT_AUTHENTICATED", "invalid username or password"))
    );
}

#[test]
fn repository_list_of_an_unknown_namespace_is_404() {
    let app = TestApp::start();
    app.user("don");
    assert_eq!(
        app.get("/api/v0/repositories/nobody")
            .as_user("don")
            .send()
            .sj(),
        (404, no_account())
    );
}

#[test]
fn repository_list_shows_only_what_the_caller_may_read() {
    let app = TestApp::start();
    let don = app.user("don");
    let friend = app.user("friend");
    app.user("stranger");
    let public = app.repo("don", "public-app", true);
    let private = app.repo("don", "private-app", false);
    let shared = app.repo("don", "shared-app", false);
    store::grants::set_user_access(&app.conn(), shared.id, friend.id, Level::ReadOnly).unwrap();
    let list = |user: &str| {
        app.get("/api/v0/repositories/don")
            .as_user(user)
            .send()
            .sj()
    };
    assert_eq!(
        list("don"),
        (
            200,
            json!({"repositories": [repo_v(&private), repo_v(&public), repo_v(&shared)]})
        )
    );
    let admin = app.get("/api/v0/repositories/don").admin().send();
    assert_eq!(admin.json(), list("don").1);
    assert_eq!(
        list("friend"),
        (
            200,
            json!({"repositories": [repo_v(&public), repo_v(&shared)]})
        )
    );
    assert_eq!(
        list("stranger"),
        (200, json!({"repositories": [repo_v(&public)]}))
    );
    let _ = don;
}

#[test]
fn repository_view_of_a_missing_repository_is_404() {
    let app = TestApp::start();
    app.user("don");
    assert_eq!(
        app.get("/api/v0/repositories/don/nothere")
            .as_user("don")
            .send()
            .sj(),
        (404, no_repo())
    );
    assert_eq!(
        app.get("/api/v0/repositories/nobody/nothere")
            .as_user("don")
            .send()
            .sj(),
        (404, no_repo())
    );
}

#[test]
fn repository_view_of_a_public_repository_for_any_user() {
    let app = TestApp::start();
    app.user("don");
    app.user("stranger");
    let repo = app.repo("don", "public-app", true);
    assert_eq!(
        app.get("/api/v0/repositories/don/public-app")
            .as_user("stranger")
            .send()
            .sj(),
        (200, repo_v(&repo))
    );
    assert_eq!(
        app.get("/api/v0/repositories/don/public-app").send().sj(),
        (401, unauthenticated())
    );
}

#[test]
fn repository_create_defaults_to_private_with_empty_descriptions() {
    let app = TestApp::start();
    app.user("don");
    let r = app
        .post("/api/v0/repositories/don")
        .as_user("don")
        .json(&json!({"name": "my-app"}))
        .send();
    assert_eq!(r.status, 201);
    let id = r.json()["id"].clone();
    assert_eq!(
        r.json(),
        json!({"id": id, "namespace": "don", "name": "my-app", "shortDescription": "",
               "longDescription": "", "visibility": "private", "status": "ok"})
    );
}

#[test]
fn repository_create_by_a_non_admin_of_the_namespace_is_403() {
    let app = TestApp::start();
    let owner = app.user("boss");
    let member = app.user("member");
    app.user("don");
    let eng = app.org("eng", &owner);
    team(&app, &eng, "devs", &[&member]);
    let body = json!({"name": "my-app"});
    assert_eq!(
        app.post("/api/v0/repositories/don")
            .as_user("member")
            .json(&body)
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.post("/api/v0/repositories/eng")
            .as_user("member")
            .json(&body)
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.post("/api/v0/repositories/eng")
            .as_user("boss")
            .json(&body)
            .send()
            .status,
        201
    );
    assert_eq!(
        app.post("/api/v0/repositories/eng")
            .admin()
            .json(&json!({"name": "other"}))
            .send()
            .status,
        201
    );
    assert_eq!(
        app.post("/api/v0/repositories/don").json(&body).send().sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        app.post("/api/v0/repositories/nobody")
            .as_user("don")
            .json(&body)
            .send()
            .sj(),
        (404, no_account())
    );
}

#[test]
fn repository_create_in_library_is_for_site_admins_only() {
    let app = TestApp::start();
    let u = app.user("helper");
    // Even a member of library's owners team may not create there.
    let library = account(&app, "library");
    store::teams::add_member(&app.conn(), owners(&app, &library).id, u.id).unwrap();
    let body = json!({"name": "ubuntu", "visibility": "public"});
    assert_eq!(
        app.post("/api/v0/repositories/library")
            .as_user("helper")
            .json(&body)
            .send()
            .sj(),
        (403, forbidden())
    );
    let r = app
        .post("/api/v0/repositories/library")
        .admin()
        .json(&body)
        .send();
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["namespace"], "library");
    assert_eq!(r.json()["visibility"], "public");
}

#[test]
fn repository_create_rejects_invalid_details() {
    let app = TestApp::start();
    app.user("don");
    let post = |body: Value| {
        app.post("/api/v0/repositories/don")
            .as_user("don")
            .json(&body)
            .send()
            .sj()
    };
    let bad_name = e(
        "INVALID_REPOSITORY_NAME",
        "repository names are a-z and 0-9 separated by '.', '_', '__' or dashes",
    );
    for name in ["My-App", "-app", "a/b", "", "app-"] {
        assert_eq!(
            post(json!({"name": name})),
            (400, bad_name.clone()),
            "{name:?}"
        );
    }
    assert_eq!(
        post(json!({"name": "images"})),
        (
            400,
            e(
                "INVALID_REPOSITORY_NAME",
                "this repository name is reserved"
            )
        )
    );
    assert_eq!(
        post(json!({"name": "ok", "visibility": "internal"})),
        (
            400,
            e(
                "INVALID_VISIBILITY",
                "visibility is \"public\" or \"private\""
            )
        )
    );
    assert_eq!(
        post(json!({"name": "ok", "shortDescription": "x".repeat(101)})),
        (
            400,
            e(
                "INVALID_DESCRIPTION",
                "the short description is longer than 100 characters"
            )
        )
    );
    assert_eq!(
        post(json!({"name": "ok", "longDescription": "x".repeat(25_001)})),
        (
            400,
            e(
                "INVALID_DESCRIPTION",
                "the long description is longer than 25000 characters"
            )
        )
    );
    assert_eq!(
        post(json!({"shortDescription": "no name"})),
        (
            400,
            e("INVALID_JSON", "invalid JSON body: missing field `name`")
        )
    );
    let r = app
        .post("/api/v0/repositories/don")
        .as_user("don")
        .body("{not json")
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            e(
                "INVALID_JSON",
                "invalid JSON body: key must be a string at line 1 column 2"
            )
        )
    );
    // Nothing was created by any of these.
    assert_eq!(count(&app, "SELECT count(*) FROM repositories"), 0);
}

#[test]
fn repository_create_of_a_duplicate_is_400() {
    let app = TestApp::start();
    app.user("don");
    app.repo("don", "my-app", false);
    let r = app
        .post("/api/v0/repositories/don")
        .as_user("don")
        .json(&json!({"name": "my-app"}))
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            e(
                "REPOSITORY_EXISTS",
                "a repository with this name already exists"
            )
        )
    );
}

#[test]
fn repository_patch_is_partial_and_ignores_name() {
    let app = TestApp::start();
    app.user("don");
    let repo = app.repo("don", "my-app", false);
    let r = app
        .patch("/api/v0/repositories/don/my-app")
        .as_user("don")
        .json(&json!({"shortDescription": "slightly out of date", "name": "renamed"}))
        .send();
    let mut want = repo_v(&repo);
    want["shortDescription"] = json!("slightly out of date");
    assert_eq!(r.sj(), (200, want.clone()));
    assert_eq!(
        app.get("/api/v0/repositories/don/renamed")
            .as_user("don")
            .send()
            .status,
        404
    );

    let r = app
        .patch("/api/v0/repositories/don/my-app")
        .as_user("don")
        .json(&json!({"visibility": "public"}))
        .send();
    want["visibility"] = json!("public");
    assert_eq!(r.sj(), (200, want.clone()));

    let r = app
        .patch("/api/v0/repositories/don/my-app")
        .as_user("don")
        .json(&json!({}))
        .send();
    assert_eq!(r.sj(), (200, want));
}

#[test]
fn repository_patch_rejects_a_bad_visibility_and_long_descriptions() {
    let app = TestApp::start();
    app.user("don");
    let repo = app.repo("don", "my-app", false);
    let patch = |body: Value| {
        app.patch("/api/v0/repositories/don/my-app")
            .as_user("don")
            .json(&body)
            .send()
            .sj()
    };
    assert_eq!(
        patch(json!({"visibility": "secret"})),
        (
            400,
            e(
                "INVALID_VISIBILITY",
                "visibility is \"public\" or \"private\""
            )
        )
    );
    assert_eq!(
        patch(json!({"shortDescription": "y".repeat(101)})),
        (
            400,
            e(
                "INVALID_DESCRIPTION",
                "the short description is longer than 100 characters"
            )
        )
    );
    assert_eq!(
        patch(json!({"visibility": 3})),
        (
            400,
            e(
                "INVALID_JSON",
                "invalid JSON body: invalid type: integer …, expected a string"
            )
        )
    );
    // Unchanged.
    assert_eq!(
        app.get("/api/v0/repositories/don/my-app")
            .as_user("don")
            .send()
            .sj(),
        (200, repo_v(&repo))
    );
}

#[test]
fn repository_patch_and_delete_by_a_reader_are_403() {
    let app = TestApp::start();
    app.user("don");
    app.user("reader");
    let repo = app.repo("don", "public-app", true);
    let r = app
        .patch("/api/v0/repositories/don/public-app")
        .as_user("reader")
        .json(&json!({"shortDescription": "x"}))
        .send();
    assert_eq!(r.sj(), (403, forbidden()));
    assert_eq!(
        app.delete("/api/v0/repositories/don/public-app")
            .as_user("reader")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/repositories/don/public-app")
            .as_user("reader")
            .send()
            .sj(),
        (200, repo_v(&repo))
    );
}

#[test]
fn repository_delete_removes_it_and_a_second_delete_is_404() {
    let app = TestApp::start();
    let don = app.user("don");
    let friend = app.user("friend");
    let repo = app.repo("don", "my-app", false);
    store::grants::set_user_access(&app.conn(), repo.id, friend.id, Level::ReadWrite).unwrap();
    assert_no_content(
        &app.delete("/api/v0/repositories/don/my-app")
            .as_user("don")
            .send(),
    );
    assert_eq!(
        app.get("/api/v0/repositories/don/my-app")
            .as_user("don")
            .send()
            .sj(),
        (404, no_repo())
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM repository_user_access"),
        0
    );
    // Issue 18 (API-NOTES section 3 as corrected): deleting what is not there tells the
    // script that nothing was deleted.
    assert_eq!(
        app.delete("/api/v0/repositories/don/my-app")
            .as_user("don")
            .send()
            .sj(),
        (404, no_repo())
    );
    let _ = don;
}

/// Issue 18: the issue's own requests. A private repository the caller cannot see, a
/// repository that does not exist, and one in a namespace that does not exist: one 404,
/// identical in status, body and headers, and nothing deleted.
#[test]
fn deletes_that_delete_nothing_are_one_404() {
    let app = TestApp::start();
    app.user("don");
    app.user("stranger");
    app.repo("don", "private-app", false);
    app.repo("don", "public-app", true);
    let del = |path: &str| app.delete(path).as_user("stranger").send();
    let invisible = del("/api/v0/repositories/don/private-app");
    let missing = del("/api/v0/repositories/don/nothing");
    let no_namespace = del("/api/v0/repositories/nons/public-app");
    assert_eq!(invisible.sj(), (404, no_repo()));
    for other in [&missing, &no_namespace] {
        assert_eq!(other.sj(), invisible.sj());
        assert_eq!(other.stable_headers(), invisible.stable_headers());
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM repositories"),
        2,
        "nothing was deleted"
    );
}

#[test]
fn repository_admin_through_a_team_grant_may_patch_and_delete() {
    let app = TestApp::start();
    let boss = app.user("boss");
    let ops = app.user("ops");
    let eng = app.org("eng", &boss);
    let t = team(&app, &eng, "ops", &[&ops]);
    let repo = app.repo("eng", "api", false);
    store::grants::set_team_access(&app.conn(), repo.id, t.id, Level::Admin).unwrap();
    let r = app
        .patch("/api/v0/repositories/eng/api")
        .as_user("ops")
        .json(&json!({"visibility": "public"}))
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["visibility"], "public");
    assert_no_content(
        &app.delete("/api/v0/repositories/eng/api")
            .as_user("ops")
            .send(),
    );
}

// ---------------------------------------------------------------------------------------
// Accounts

#[test]
fn signup_creates_an_inactive_user_by_default() {
    let app = TestApp::start();
    let body = json!({"type": "user", "name": "alice", "password": "watchThinkFruitNeighbor"});
    let r = app.post("/api/v0/accounts").json(&body).send();
    let id = r.json()["id"].clone();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"id": id, "type": "user", "name": "alice", "isActive": false})
        )
    );
    let r = app
        .get("/api/v0/accounts")
        .basic("alice", "watchThinkFruitNeighbor")
        .send();
    assert_eq!(
        r.sj(),
        (403, e("ACCOUNT_INACTIVE", "Account is not Active"))
    );
}

#[test]
fn signup_with_open_registration_is_active_at_once() {
    let app = TestApp::start();
    store::settings::set(&app.conn(), "registration", "open").unwrap();
    let body = json!({"type": "user", "name": "alice", "password": "watchThinkFruitNeighbor"});
    let r = app.post("/api/v0/accounts").json(&body).send();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["isActive"], true);
    assert_eq!(
        app.get("/api/v0/accounts/alice")
            .basic("alice", "watchThinkFruitNeighbor")
            .send()
            .status,
        200
    );
}

#[test]
fn signup_with_closed_registration_is_403_but_admins_may_create_users() {
    let app = TestApp::start();
    store::settings::set(&app.conn(), "registration", "closed").unwrap();
    let body = json!({"type": "user", "name": "alice", "password": "watchThinkFruitNeighbor"});
    assert_eq!(
        app.post("/api/v0/accounts").json(&body).send().sj(),
        (
            403,
            e("REGISTRATION_CLOSED", "registration is closed on this site")
        )
    );
    let r = app.post("/api/v0/accounts").admin().json(&body).send();
    assert_eq!(r.status, 200);
    // An admin's user starts active.
    assert_eq!(r.json()["isActive"], true);
    // A taken name gets the very same answer as a free one: closed tells nobody who exists.
    let taken = app.post("/api/v0/accounts").json(&body).send();
    let free = app
        .post("/api/v0/accounts")
        .json(&json!({"type": "user", "name": "zed", "password": "watchThinkFruitNeighbor"}))
        .send();
    assert_eq!(taken.sj(), free.sj());
    assert_eq!(taken.stable_headers(), free.stable_headers());
}

#[test]
fn account_creation_rejects_invalid_input() {
    let app = TestApp::start();
    let post = |body: Value| app.post("/api/v0/accounts").json(&body).send().sj();
    assert_eq!(
        post(json!({"type": "user", "name": "Alice", "password": "long-enough"})),
        (400, e("INVALID_ACCOUNT_NAME", "account names are 2 to 64 characters of a-z and 0-9, separated by single '.', '_' or '-'"))
    );
    assert_eq!(
        post(json!({"type": "user", "name": "healthz", "password": "long-enough"})),
        (
            400,
            e("INVALID_ACCOUNT_NAME", "this account name is reserved")
        )
    );
    // Issue 18: an existing name is answered before the fields are judged (old Index
    // clients log in on that answer); `library` exists.
    assert_eq!(
        post(json!({"type": "user", "name": "library", "password": "x"})),
        (
            400,
            e(
                "ACCOUNT_EXISTS",
                "an account with this name or email already exists"
            )
        )
    );
    assert_eq!(
        post(json!({"type": "user", "name": "alice", "password": "short"})),
        (
            400,
            e("INVALID_PASSWORD", "passwords are at least 8 characters")
        )
    );
    assert_eq!(
        post(json!({"type": "user", "name": "alice"})),
        (400, e("INVALID_PASSWORD", "a user needs a password"))
    );
    assert_eq!(
        post(json!({"type": "robot", "name": "alice", "password": "long-enough"})),
        (
            400,
            e(
                "INVALID_ACCOUNT_TYPE",
                "type is \"user\" or \"organization\""
            )
        )
    );
    assert_eq!(
        post(json!({"name": "alice", "password": "long-enough"})),
        (
            400,
            e("INVALID_JSON", "invalid JSON body: missing field `type`")
        )
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM accounts WHERE name = 'alice'"),
        0
    );
}

#[test]
fn account_creation_of_a_taken_name_is_400() {
    let app = TestApp::start();
    app.user("alice");
    let exists = e(
        "ACCOUNT_EXISTS",
        "an account with this name or email already exists",
    );
    let body = json!({"type": "user", "name": "alice", "password": "long-enough"});
    assert_eq!(
        app.post("/api/v0/accounts").json(&body).send().sj(),
        (400, exists.clone())
    );
    let body = json!({"type": "organization", "name": "alice"});
    assert_eq!(
        app.post("/api/v0/accounts").admin().json(&body).send().sj(),
        (400, exists)
    );
}

#[test]
fn organizations_are_created_by_site_admins_with_the_creator_in_owners() {
    let app = TestApp::start();
    app.user("alice");
    let body = json!({"type": "organization", "name": "engineering"});
    assert_eq!(
        app.post("/api/v0/accounts").json(&body).send().sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        app.post("/api/v0/accounts")
            .as_user("alice")
            .json(&body)
            .send()
            .sj(),
        (403, forbidden())
    );
    let r = app.post("/api/v0/accounts").admin().json(&body).send();
    let id = r.json()["id"].clone();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"id": id, "type": "organization", "name": "engineering", "isActive": true})
        )
    );
    let admin = account(&app, ADMIN);
    assert_eq!(
        app.get("/api/v0/accounts/engineering/teams/owners/members")
            .admin()
            .send()
            .sj(),
        (200, json!({"members": [acct(&admin)]}))
    );
    assert_eq!(
        app.post("/api/v0/accounts")
            .admin()
            .json(&json!({"type": "organization", "name": "Bad Name"}))
            .send()
            .sj(),
        (400, e("INVALID_ACCOUNT_NAME", "account names are 2 to 64 characters of a-z and 0-9, separated by single '.', '_' or '-'"))
    );
}

#[test]
fn accounts_list_shows_every_account_to_any_user() {
    let app = TestApp::start();
    let alice = app.user("alice");
    let eng = app.org("eng", &alice);
    let admin = account(&app, ADMIN);
    let library = account(&app, "library");
    assert_eq!(
        app.get("/api/v0/accounts").send().sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        app.get("/api/v0/accounts").as_user("alice").send().sj(),
        (
            200,
            json!({"accounts": [acct(&admin), acct(&alice), acct(&eng), acct(&library)]})
        )
    );
}

#[test]
fn account_details_and_unknown_accounts() {
    let app = TestApp::start();
    let alice = app.user("alice");
    assert_eq!(
        app.get("/api/v0/accounts/alice")
            .as_user("alice")
            .send()
            .sj(),
        (200, acct(&alice))
    );
    assert_eq!(
        app.get("/api/v0/accounts/nobody")
            .as_user("alice")
            .send()
            .sj(),
        (404, no_account())
    );
    assert_eq!(
        app.get("/api/v0/accounts/alice").send().sj(),
        (401, unauthenticated())
    );
}

#[test]
fn account_deletion_removes_everything_a_user_owns() {
    let app = TestApp::start();
    let gone = app.user("gone");
    let stay = app.user("stay");
    let eng = app.org("eng", &stay);
    let devs = team(&app, &eng, "devs", &[&gone]);
    let own = app.repo("gone", "mine", false);
    let theirs = app.repo("stay", "theirs", false);
    let conn = app.conn();
    store::grants::set_user_access(&conn, own.id, stay.id, Level::ReadOnly).unwrap();
    store::grants::set_user_access(&conn, theirs.id, gone.id, Level::ReadWrite).unwrap();
    berth::core::accounts::create_api_key(&conn, gone.id, "ci").unwrap();
    drop(conn);
    assert_eq!(
        app.get("/api/v0/accounts").as_user("gone").send().status,
        200
    ); // cached

    assert_no_content(&app.delete("/api/v0/accounts/gone").admin().send());
    assert_eq!(
        app.get("/api/v0/accounts/gone").admin().send().sj(),
        (404, no_account())
    );
    assert_eq!(
        app.get("/api/v0/repositories/gone/mine")
            .admin()
            .send()
            .sj(),
        (404, no_repo())
    );
    assert_eq!(
        app.get("/api/v0/accounts").as_user("gone").send().status,
        401
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs/members")
            .as_user("stay")
            .send()
            .sj(),
        (200, json!({"members": []}))
    );
    let _ = devs;
    for (table, column) in [
        ("repositories", "namespace_id"),
        ("repository_user_access", "user_id"),
        ("emails", "account_id"),
        ("api_keys", "user_id"),
        ("team_members", "user_id"),
    ] {
        let sql = format!("SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.{column})");
        assert_eq!(count(&app, &sql), 0, "{table}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM repositories"), 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM repositories_fts WHERE repositories_fts MATCH 'mine'"
        ),
        0
    );
    // Issue 18: deleting it again tells that nothing was deleted.
    assert_eq!(
        app.delete("/api/v0/accounts/gone").admin().send().sj(),
        (404, no_account())
    );
}

#[test]
fn account_deletion_of_an_organization_removes_its_teams_repositories_and_grants() {
    let app = TestApp::start();
    let boss = app.user("boss");
    let eng = app.org("eng", &boss);
    let devs = team(&app, &eng, "devs", &[&boss]);
    let repo = app.repo("eng", "api", false);
    let conn = app.conn();
    store::grants::set_team_access(&conn, repo.id, devs.id, Level::ReadWrite).unwrap();
    store::grants::set_namespace_access(&conn, devs.id, Level::ReadOnly).unwrap();
    drop(conn);
    assert_no_content(&app.delete("/api/v0/accounts/eng").admin().send());
    assert_eq!(
        app.get("/api/v0/accounts/eng").admin().send().sj(),
        (404, no_account())
    );
    for sql in [
        format!("SELECT count(*) FROM teams WHERE org_id = {}", eng.id),
        format!(
            "SELECT count(*) FROM team_members WHERE team_id = {}",
            devs.id
        ),
        format!(
            "SELECT count(*) FROM repositories WHERE namespace_id = {}",
            eng.id
        ),
        "SELECT count(*) FROM repository_team_access".to_owned(),
        "SELECT count(*) FROM namespace_team_access".to_owned(),
    ] {
        assert_eq!(count(&app, &sql), 0, "{sql}");
    }
    // Its members stay, without the organization.
    assert_eq!(
        app.get("/api/v0/accounts/boss/organizations")
            .as_user("boss")
            .send()
            .sj(),
        (200, json!({"organizations": []}))
    );
    assert_eq!(
        app.get("/api/v0/accounts/boss")
            .as_user("boss")
            .send()
            .status,
        200
    );
}

#[test]
fn account_deletion_rules() {
    let app = TestApp::start();
    app.user("alice");
    app.user("bob");
    assert_eq!(
        app.delete("/api/v0/accounts/bob").send().sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        app.delete("/api/v0/accounts/bob")
            .as_user("alice")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.delete("/api/v0/accounts/alice")
            .as_user("alice")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.delete("/api/v0/accounts/nobody").admin().send().sj(),
        (404, no_account())
    );
    assert_eq!(
        app.delete("/api/v0/accounts/library").admin().send().sj(),
        (
            400,
            e(
                "BUILTIN_ACCOUNT",
                "the library organization is built in and cannot be removed"
            )
        )
    );
    assert_eq!(
        app.delete("/api/v0/accounts/admin").admin().send().sj(),
        (
            400,
            e(
                "LAST_ADMIN",
                "this is the last active site admin; make another admin first"
            )
        )
    );
    // With a second admin, the first may go.
    let bob = account(&app, "bob");
    store::accounts::set_admin(&app.conn(), bob.id, true).unwrap();
    assert_no_content(&app.delete("/api/v0/accounts/admin").as_user("bob").send());
}

#[test]
fn change_password_by_the_user_needs_the_right_old_password() {
    let app = TestApp::start();
    let alice = app.user("alice");
    let url = "/api/v0/accounts/alice/changePassword";
    assert_eq!(
        app.post(url)
            .as_user("alice")
            .json(&json!({"newPassword": "pinkCloudBehaviorDozen"}))
            .send()
            .sj(),
        (400, e("INVALID_OLD_PASSWORD", "oldPassword is required"))
    );
    assert_eq!(
        app.post(url)
            .as_user("alice")
            .json(
                &json!({"oldPassword": "not-the-password", "newPassword": "pinkCloudBehaviorDozen"})
            )
            .send()
            .sj(),
        (
            400,
            e(
                "INVALID_OLD_PASSWORD",
                "oldPassword is not the current password"
            )
        )
    );
    let r = app
        .post(url)
        .as_user("alice")
        .json(&json!({"oldPassword": PASSWORD, "newPassword": "pinkCloudBehaviorDozen"}))
        .send();
    assert_eq!(r.sj(), (200, acct(&alice)));
    // The old password fails at once, the new one works.
    assert_eq!(
        app.get("/api/v0/accounts").as_user("alice").send().status,
        401
    );
    assert_eq!(
        app.get("/api/v0/accounts")
            .basic("alice", "pinkCloudBehaviorDozen")
            .send()
            .status,
        200
    );
}

#[test]
fn change_password_by_an_admin_needs_no_old_password() {
    let app = TestApp::start();
    let alice = app.user("alice");
    assert_eq!(
        app.get("/api/v0/accounts").as_user("alice").send().status,
        200
    );
    let r = app
        .post("/api/v0/accounts/alice/changePassword")
        .admin()
        .json(&json!({"newPassword": "qwerty!@#$"}))
        .send();
    assert_eq!(r.sj(), (200, acct(&alice)));
    assert_eq!(
        app.get("/api/v0/accounts").as_user("alice").send().status,
        401
    );
    assert_eq!(
        app.get("/api/v0/accounts")
            .basic("alice", "qwerty!@#$")
            .send()
            .status,
        200
    );
}

#[test]
fn change_password_errors() {
    let app = TestApp::start();
    let boss = app.user("alice");
    app.user("bob");
    app.org("eng", &boss);
    let body = json!({"oldPassword": PASSWORD, "newPassword": "long-enough-1"});
    assert_eq!(
        app.post("/api/v0/accounts/alice/changePassword")
            .json(&body)
            .send()
            .sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        app.post("/api/v0/accounts/alice/changePassword")
            .as_user("bob")
            .json(&body)
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.post("/api/v0/accounts/nobody/changePassword")
            .admin()
            .json(&body)
            .send()
            .sj(),
        (404, no_account())
    );
    assert_eq!(
        app.post("/api/v0/accounts/eng/changePassword")
            .admin()
            .json(&body)
            .send()
            .sj(),
        (
            400,
            e("NOT_A_USER", "this account is an organization, not a user")
        )
    );
    assert_eq!(
        app.post("/api/v0/accounts/alice/changePassword")
            .as_user("alice")
            .json(&json!({"oldPassword": PASSWORD, "newPassword": "short"}))
            .send()
            .sj(),
        (
            400,
            e("INVALID_PASSWORD", "passwords are at least 8 characters")
        )
    );
    // Nothing changed.
    assert_eq!(
        app.get("/api/v0/accounts").as_user("alice").send().status,
        200
    );
}

#[test]
fn activation_and_deactivation_by_site_admins() {
    let app = TestApp::start();
    let alice = app.user("alice");
    assert_eq!(
        app.get("/api/v0/accounts").as_user("alice").send().status,
        200
    ); // cached
    let r = app.put("/api/v0/accounts/alice/deactivate").admin().send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"id": alice.id, "type": "user", "name": "alice", "isActive": false})
        )
    );
    // Takes effect at once despite the credential cache.
    assert_eq!(
        app.get("/api/v0/accounts").as_user("alice").send().sj(),
        (403, e("ACCOUNT_INACTIVE", "Account is not Active"))
    );
    let r = app.put("/api/v0/accounts/alice/activate").admin().send();
    assert_eq!(r.sj(), (200, acct(&alice)));
    assert_eq!(
        app.get("/api/v0/accounts").as_user("alice").send().status,
        200
    );
}

#[test]
fn activation_errors() {
    let app = TestApp::start();
    let alice = app.user("alice");
    app.org("eng", &alice);
    for verb in ["activate", "deactivate"] {
        let url = |name: &str| format!("/api/v0/accounts/{name}/{verb}");
        assert_eq!(app.put(&url("alice")).send().sj(), (401, unauthenticated()));
        assert_eq!(
            app.put(&url("alice")).as_user("alice").send().sj(),
            (403, forbidden())
        );
        assert_eq!(
            app.put(&url("nobody")).admin().send().sj(),
            (404, no_account())
        );
        assert_eq!(
            app.put(&url("eng")).admin().send().sj(),
            (
                400,
                e("NOT_A_USER", "this account is an organization, not a user")
            )
        );
    }
    assert_eq!(
        app.put("/api/v0/accounts/admin/deactivate")
            .admin()
            .send()
            .sj(),
        (
            400,
            e(
                "LAST_ADMIN",
                "this is the last active site admin; make another admin first"
            )
        )
    );
    assert_eq!(app.get("/api/v0/accounts").admin().send().status, 200);
}

#[test]
fn a_users_organizations_for_the_user_and_admins() {
    let app = TestApp::start();
    let alice = app.user("alice");
    let bob = app.user("bob");
    let eng = app.org("eng", &alice);
    let ops = app.org("ops", &bob);
    team(&app, &ops, "guests", &[&alice]);
    app.org("other", &bob);
    let want = json!({"organizations": [acct(&eng), acct(&ops)]});
    assert_eq!(
        app.get("/api/v0/accounts/alice/organizations")
            .as_user("alice")
            .send()
            .sj(),
        (200, want.clone())
    );
    assert_eq!(
        app.get("/api/v0/accounts/alice/organizations")
            .admin()
            .send()
            .sj(),
        (200, want)
    );
    assert_eq!(
        app.get("/api/v0/accounts/alice/organizations")
            .as_user("bob")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/accounts/nobody/organizations")
            .admin()
            .send()
            .sj(),
        (404, no_account())
    );
    assert_eq!(
        app.get("/api/v0/accounts/alice/organizations").send().sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/organizations")
            .admin()
            .send()
            .sj(),
        (
            400,
            e("NOT_A_USER", "this account is an organization, not a user")
        )
    );
}

// ---------------------------------------------------------------------------------------
// Teams

struct Org {
    app: TestApp,
    org: Account,
    boss: Account,
    dev: Account,
    devs: Team,
}

/// `eng` owned by `boss`, with a team `devs` holding `dev`, a second member `other` in
/// team `qa`, and a stranger `stranger`.
fn org_fixture() -> Org {
    let app = TestApp::start();
    let boss = app.user("boss");
    let dev = app.user("dev");
    let other = app.user("other");
    app.user("stranger");
    let org = app.org("eng", &boss);
    let devs = team(&app, &org, "devs", &[&dev]);
    team(&app, &org, "qa", &[&other]);
    Org {
        app,
        org,
        boss,
        dev,
        devs,
    }
}

#[test]
fn team_list_for_members_and_admins() {
    let Org { app, org, devs, .. } = org_fixture();
    let qa = store::teams::by_name(&app.conn(), org.id, "qa")
        .unwrap()
        .unwrap();
    let want = json!({"teams": [team_v(&devs), team_v(&owners(&app, &org)), team_v(&qa)]});
    for user in ["boss", "dev", "other"] {
        assert_eq!(
            app.get("/api/v0/accounts/eng/teams")
                .as_user(user)
                .send()
                .sj(),
            (200, want.clone()),
            "{user}"
        );
    }
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams").admin().send().sj(),
        (200, want)
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams")
            .as_user("stranger")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams").send().sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        app.get("/api/v0/accounts/nobody/teams")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_account())
    );
    assert_eq!(
        app.get("/api/v0/accounts/boss/teams")
            .as_user("boss")
            .send()
            .sj(),
        (
            400,
            e(
                "NOT_AN_ORGANIZATION",
                "this account is a user, not an organization"
            )
        )
    );
}

#[test]
fn team_creation_by_owners_and_admins() {
    let Org { app, org, .. } = org_fixture();
    let body = json!({"name": "testers", "description": "QA Engineering Team", "type": "managed"});
    let r = app
        .post("/api/v0/accounts/eng/teams")
        .as_user("boss")
        .json(&body)
        .send();
    let id = r.json()["id"].clone();
    assert_eq!(
        r.sj(),
        (
            201,
            json!({"id": id, "orgID": org.id, "type": "managed", "name": "testers", "description": "QA Engineering Team"})
        )
    );
    let r = app
        .post("/api/v0/accounts/eng/teams")
        .admin()
        .json(&json!({"name": "ops"}))
        .send();
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["description"], "");
    assert_eq!(
        app.post("/api/v0/accounts/eng/teams")
            .as_user("dev")
            .json(&body)
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.post("/api/v0/accounts/eng/teams")
            .as_user("stranger")
            .json(&body)
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.post("/api/v0/accounts/eng/teams")
            .as_user("boss")
            .json(&body)
            .send()
            .sj(),
        (
            400,
            e(
                "TEAM_EXISTS",
                "a team with this name already exists in the organization"
            )
        )
    );
    assert_eq!(
        app.post("/api/v0/accounts/eng/teams").as_user("boss").json(&json!({"name": "Bad Team"})).send().sj(),
        (400, e("INVALID_TEAM_NAME", "team names are 2 to 64 characters of a-z and 0-9, separated by single '.', '_' or '-'"))
    );
    assert_eq!(
        app.post("/api/v0/accounts/eng/teams")
            .as_user("boss")
            .json(&json!({"name": "ldapers", "type": "ldap", "ldapDN": "cn=x"}))
            .send()
            .sj(),
        (
            400,
            e("INVALID_TEAM_TYPE", "only \"managed\" teams are supported")
        )
    );
    assert_eq!(
        app.post("/api/v0/accounts/eng/teams")
            .as_user("boss")
            .json(&json!({"name": "wordy", "description": "d".repeat(101)}))
            .send()
            .sj(),
        (
            400,
            e(
                "INVALID_TEAM_DESCRIPTION",
                "the team description is longer than 100 characters"
            )
        )
    );
    assert_eq!(
        app.post("/api/v0/accounts/nobody/teams")
            .admin()
            .json(&body)
            .send()
            .sj(),
        (404, no_account())
    );
}

#[test]
fn team_details_for_members() {
    let Org { app, devs, .. } = org_fixture();
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs")
            .as_user("other")
            .send()
            .sj(),
        (200, team_v(&devs))
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/nothere")
            .as_user("other")
            .send()
            .sj(),
        (404, no_team())
    );
    // A stranger learns nothing, not even whether the team exists.
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs")
            .as_user("stranger")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/nothere")
            .as_user("stranger")
            .send()
            .sj(),
        (403, forbidden())
    );
}

#[test]
fn team_update_is_partial_and_may_rename() {
    let Org { app, devs, .. } = org_fixture();
    let url = "/api/v0/accounts/eng/teams/devs";
    let r = app
        .patch(url)
        .as_user("boss")
        .json(&json!({"description": "Developers"}))
        .send();
    let mut want = team_v(&devs);
    want["description"] = json!("Developers");
    assert_eq!(r.sj(), (200, want.clone()));
    let r = app
        .patch(url)
        .as_user("boss")
        .json(&json!({"name": "developers"}))
        .send();
    want["name"] = json!("developers");
    assert_eq!(r.sj(), (200, want.clone()));
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/developers")
            .as_user("dev")
            .send()
            .sj(),
        (200, want)
    );
    // Members keep their membership through a rename.
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/developers/members/dev")
            .as_user("boss")
            .send()
            .status,
        204
    );
}

#[test]
fn team_update_errors() {
    let Org { app, .. } = org_fixture();
    let url = "/api/v0/accounts/eng/teams/devs";
    assert_eq!(
        app.patch(url)
            .as_user("dev")
            .json(&json!({"description": "x"}))
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.patch("/api/v0/accounts/eng/teams/nothere")
            .as_user("boss")
            .json(&json!({"description": "x"}))
            .send()
            .sj(),
        (404, no_team())
    );
    assert_eq!(
        app.patch(url)
            .as_user("boss")
            .json(&json!({"name": "qa"}))
            .send()
            .sj(),
        (
            400,
            e(
                "TEAM_EXISTS",
                "a team with this name already exists in the organization"
            )
        )
    );
    assert_eq!(
        app.patch(url)
            .as_user("boss")
            .json(&json!({"name": "Q A"}))
            .send()
            .sj(),
        (400, e("INVALID_TEAM_NAME", "team names are 2 to 64 characters of a-z and 0-9, separated by single '.', '_' or '-'"))
    );
    assert_eq!(
        app.patch("/api/v0/accounts/eng/teams/owners")
            .as_user("boss")
            .json(&json!({"name": "bosses"}))
            .send()
            .sj(),
        (
            400,
            e(
                "OWNERS_TEAM",
                "the owners team cannot be renamed or removed"
            )
        )
    );
    // Describing owners is fine.
    assert_eq!(
        app.patch("/api/v0/accounts/eng/teams/owners")
            .as_user("boss")
            .json(&json!({"name": "owners", "description": "Bosses"}))
            .send()
            .status,
        200
    );
}

#[test]
fn team_deletion_removes_memberships_and_grants() {
    let Org { app, devs, dev, .. } = org_fixture();
    let repo = app.repo("eng", "api", false);
    store::grants::set_team_access(&app.conn(), repo.id, devs.id, Level::ReadOnly).unwrap();
    store::grants::set_namespace_access(&app.conn(), devs.id, Level::ReadOnly).unwrap();
    assert_eq!(
        app.get("/api/v0/repositories/eng/api")
            .as_user("dev")
            .send()
            .status,
        200
    );
    assert_eq!(
        app.delete("/api/v0/accounts/eng/teams/devs")
            .as_user("dev")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_no_content(
        &app.delete("/api/v0/accounts/eng/teams/devs")
            .as_user("boss")
            .send(),
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_team())
    );
    assert_eq!(
        app.get("/api/v0/repositories/eng/api")
            .as_user("dev")
            .send()
            .sj(),
        (404, no_repo())
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM team_members WHERE user_id = {}",
                dev.id
            )
        ),
        0
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM repository_team_access"),
        0
    );
    assert_eq!(count(&app, "SELECT count(*) FROM namespace_team_access"), 0);
    // Issue 18: a second delete tells that nothing was deleted.
    assert_eq!(
        app.delete("/api/v0/accounts/eng/teams/devs")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_team())
    );
    assert_eq!(
        app.delete("/api/v0/accounts/eng/teams/owners")
            .admin()
            .send()
            .sj(),
        (
            400,
            e(
                "OWNERS_TEAM",
                "the owners team cannot be renamed or removed"
            )
        )
    );
}

#[test]
fn team_members_are_visible_to_admins_owners_and_the_team() {
    let Org { app, dev, .. } = org_fixture();
    let want = json!({"members": [acct(&dev)]});
    for user in ["boss", "dev"] {
        assert_eq!(
            app.get("/api/v0/accounts/eng/teams/devs/members")
                .as_user(user)
                .send()
                .sj(),
            (200, want.clone())
        );
    }
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs/members")
            .admin()
            .send()
            .sj(),
        (200, want)
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs/members")
            .as_user("other")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs/members")
            .as_user("stranger")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/nothere/members")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_team())
    );
}

#[test]
fn team_membership_check_is_204_or_404() {
    let Org { app, .. } = org_fixture();
    let url = |m: &str| format!("/api/v0/accounts/eng/teams/devs/members/{m}");
    assert_no_content(&app.get(&url("dev")).as_user("boss").send());
    assert_no_content(&app.get(&url("dev")).as_user("dev").send());
    let not_member = e("NOT_A_MEMBER", "the user is not a member of this team");
    assert_eq!(
        app.get(&url("other")).as_user("boss").send().sj(),
        (404, not_member.clone())
    );
    assert_eq!(
        app.get(&url("nobody")).as_user("boss").send().sj(),
        (404, not_member)
    );
    assert_eq!(
        app.get(&url("dev")).as_user("other").send().sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/nothere/members/dev")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_team())
    );
}

#[test]
fn team_members_are_added_and_removed_by_owners() {
    let Org { app, org, dev, .. } = org_fixture();
    let other = account(&app, "other");
    let url = |m: &str| format!("/api/v0/accounts/eng/teams/devs/members/{m}");
    assert_eq!(
        app.put(&url("other")).as_user("boss").send().sj(),
        (200, acct(&other))
    );
    assert_eq!(
        app.put(&url("other")).as_user("boss").send().sj(),
        (200, acct(&other))
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs/members")
            .as_user("boss")
            .send()
            .sj(),
        (200, json!({"members": [acct(&dev), acct(&other)]}))
    );
    assert_eq!(
        app.put(&url("stranger")).as_user("dev").send().sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.put(&url("nobody")).as_user("boss").send().sj(),
        (404, no_account())
    );
    assert_eq!(
        app.put(&url("eng")).as_user("boss").send().sj(),
        (
            400,
            e("NOT_A_USER", "this account is an organization, not a user")
        )
    );
    assert_eq!(
        app.put("/api/v0/accounts/eng/teams/nothere/members/other")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_team())
    );

    assert_eq!(
        app.delete(&url("other")).as_user("dev").send().sj(),
        (403, forbidden())
    );
    assert_no_content(&app.delete(&url("other")).as_user("boss").send());
    assert_no_content(&app.delete(&url("other")).as_user("boss").send());
    assert_no_content(&app.delete(&url("nobody")).as_user("boss").send());
    assert_eq!(
        app.delete("/api/v0/accounts/eng/teams/nothere/members/dev")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_team())
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/devs/members")
            .admin()
            .send()
            .sj(),
        (200, json!({"members": [acct(&dev)]}))
    );
    let _ = org;
}

#[test]
fn team_repository_access_lists_the_teams_grants() {
    let Org { app, devs, .. } = org_fixture();
    let api = app.repo("eng", "api", false);
    let web = app.repo("eng", "web", true);
    app.repo("eng", "hidden", false);
    store::grants::set_team_access(&app.conn(), api.id, devs.id, Level::ReadWrite).unwrap();
    store::grants::set_team_access(&app.conn(), web.id, devs.id, Level::Admin).unwrap();
    let want = json!({
        "team": team_v(&devs),
        "repositoryAccessList": [
            {"accessLevel": "read-write", "repository": repo_v(&api)},
            {"accessLevel": "admin", "repository": repo_v(&web)},
        ],
    });
    let url = "/api/v0/accounts/eng/teams/devs/repositoryAccess";
    assert_eq!(app.get(url).as_user("dev").send().sj(), (200, want.clone()));
    assert_eq!(app.get(url).as_user("boss").send().sj(), (200, want));
    assert_eq!(
        app.get(url).as_user("other").send().sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get(url).as_user("stranger").send().sj(),
        (403, forbidden())
    );
    assert_eq!(app.get(url).send().sj(), (401, unauthenticated()));
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/nothere/repositoryAccess")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_team())
    );
}

// ---------------------------------------------------------------------------------------
// User-owned repository access

#[test]
fn user_access_grant_list_and_revoke() {
    let app = TestApp::start();
    app.user("don");
    let friend = app.user("friend");
    let pal = app.user("pal");
    let repo = app.repo("don", "secret", false);
    assert_eq!(
        app.get("/api/v0/repositories/don/secret")
            .as_user("friend")
            .send()
            .sj(),
        (404, no_repo())
    );

    let r = app
        .put("/api/v0/repositories/don/secret/userAccess/friend")
        .as_user("don")
        .json(&json!({"accessLevel": "read-only"}))
        .send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"accessLevel": "read-only", "user": acct(&friend), "repository": repo_v(&repo)})
        )
    );
    // The grant takes effect at once.
    assert_eq!(
        app.get("/api/v0/repositories/don/secret")
            .as_user("friend")
            .send()
            .sj(),
        (200, repo_v(&repo))
    );
    assert_eq!(
        app.get("/api/v0/repositories/don")
            .as_user("friend")
            .send()
            .sj(),
        (200, json!({"repositories": [repo_v(&repo)]}))
    );
    app.put("/api/v0/repositories/don/secret/userAccess/pal")
        .as_user("don")
        .json(&json!({"accessLevel": "admin"}))
        .send();
    // A second PUT changes the level.
    let r = app
        .put("/api/v0/repositories/don/secret/userAccess/friend")
        .as_user("don")
        .json(&json!({"accessLevel": "read-write"}))
        .send();
    assert_eq!(r.json()["accessLevel"], "read-write");
    let want = json!({
        "repository": repo_v(&repo),
        "userAccessList": [
            {"accessLevel": "read-write", "user": acct(&friend)},
            {"accessLevel": "admin", "user": acct(&pal)},
        ],
    });
    assert_eq!(
        app.get("/api/v0/repositories/don/secret/userAccess")
            .as_user("don")
            .send()
            .sj(),
        (200, want.clone())
    );
    // An admin collaborator manages access too; a read-write one may not.
    assert_eq!(
        app.get("/api/v0/repositories/don/secret/userAccess")
            .as_user("pal")
            .send()
            .sj(),
        (200, want)
    );
    assert_eq!(
        app.get("/api/v0/repositories/don/secret/userAccess")
            .as_user("friend")
            .send()
            .sj(),
        (403, forbidden())
    );

    assert_no_content(
        &app.delete("/api/v0/repositories/don/secret/userAccess/friend")
            .as_user("don")
            .send(),
    );
    assert_no_content(
        &app.delete("/api/v0/repositories/don/secret/userAccess/friend")
            .as_user("don")
            .send(),
    );
    assert_no_content(
        &app.delete("/api/v0/repositories/don/secret/userAccess/nobody")
            .as_user("don")
            .send(),
    );
    assert_eq!(
        app.get("/api/v0/repositories/don/secret")
            .as_user("friend")
            .send()
            .sj(),
        (404, no_repo())
    );
}

#[test]
fn user_access_errors() {
    let app = TestApp::start();
    let don = app.user("don");
    app.user("friend");
    app.org("eng", &don);
    app.repo("don", "secret", false);
    app.repo("eng", "api", false);
    let put = |path: &str, level: &str| {
        app.put(&format!("/api/v0/repositories/{path}"))
            .as_user("don")
            .json(&json!({"accessLevel": level}))
            .send()
            .sj()
    };
    assert_eq!(
        put("don/secret/userAccess/nobody", "read-only"),
        (404, no_account())
    );
    assert_eq!(
        put("don/secret/userAccess/eng", "read-only"),
        (
            400,
            e("NOT_A_USER", "this account is an organization, not a user")
        )
    );
    assert_eq!(
        put("don/secret/userAccess/don", "read-only"),
        (
            400,
            e(
                "INVALID_GRANTEE",
                "the owner of the namespace is admin of its repositories already"
            )
        )
    );
    assert_eq!(
        put("don/secret/userAccess/friend", "write"),
        (
            400,
            e(
                "INVALID_ACCESS_LEVEL",
                "accessLevel is \"read-only\", \"read-write\" or \"admin\""
            )
        )
    );
    assert_eq!(
        put("don/nothere/userAccess/friend", "read-only"),
        (404, no_repo())
    );
    let org_owned = e(
        "NOT_USER_OWNED",
        "the repository belongs to an organization: grant access to its teams (teamAccess)",
    );
    assert_eq!(
        put("eng/api/userAccess/friend", "read-only"),
        (400, org_owned.clone())
    );
    assert_eq!(
        app.get("/api/v0/repositories/eng/api/userAccess")
            .as_user("don")
            .send()
            .sj(),
        (400, org_owned.clone())
    );
    assert_eq!(
        app.delete("/api/v0/repositories/eng/api/userAccess/friend")
            .as_user("don")
            .send()
            .sj(),
        (400, org_owned)
    );
    assert_eq!(
        app.get("/api/v0/repositories/don/secret/userAccess")
            .send()
            .sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM repository_user_access"),
        0
    );
}

// ---------------------------------------------------------------------------------------
// Organization-owned repository access

#[test]
fn team_access_grant_list_and_revoke() {
    let Org { app, devs, .. } = org_fixture();
    let qa = store::teams::by_name(&app.conn(), devs.org_id, "qa")
        .unwrap()
        .unwrap();
    let repo = app.repo("eng", "api", false);
    assert_eq!(
        app.get("/api/v0/repositories/eng/api")
            .as_user("dev")
            .send()
            .sj(),
        (404, no_repo())
    );
    let r = app
        .put("/api/v0/repositories/eng/api/teamAccess/devs")
        .as_user("boss")
        .json(&json!({"accessLevel": "read-write"}))
        .send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"accessLevel": "read-write", "team": team_v(&devs), "repository": repo_v(&repo)})
        )
    );
    // Effective at once for the team's members.
    assert_eq!(
        app.get("/api/v0/repositories/eng/api")
            .as_user("dev")
            .send()
            .sj(),
        (200, repo_v(&repo))
    );
    app.put("/api/v0/repositories/eng/api/teamAccess/qa")
        .as_user("boss")
        .json(&json!({"accessLevel": "admin"}))
        .send();
    let want = json!({
        "repository": repo_v(&repo),
        "teamAccessList": [
            {"accessLevel": "read-write", "team": team_v(&devs)},
            {"accessLevel": "admin", "team": team_v(&qa)},
        ],
    });
    assert_eq!(
        app.get("/api/v0/repositories/eng/api/teamAccess")
            .as_user("boss")
            .send()
            .sj(),
        (200, want.clone())
    );
    // A team admin of the repository manages other teams' access; a writer may not.
    assert_eq!(
        app.get("/api/v0/repositories/eng/api/teamAccess")
            .as_user("other")
            .send()
            .sj(),
        (200, want)
    );
    assert_eq!(
        app.get("/api/v0/repositories/eng/api/teamAccess")
            .as_user("dev")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.put("/api/v0/repositories/eng/api/teamAccess/devs")
            .as_user("dev")
            .json(&json!({"accessLevel": "admin"}))
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_no_content(
        &app.delete("/api/v0/repositories/eng/api/teamAccess/devs")
            .as_user("other")
            .send(),
    );
    assert_no_content(
        &app.delete("/api/v0/repositories/eng/api/teamAccess/devs")
            .as_user("boss")
            .send(),
    );
    assert_no_content(
        &app.delete("/api/v0/repositories/eng/api/teamAccess/nothere")
            .as_user("boss")
            .send(),
    );
    assert_eq!(
        app.get("/api/v0/repositories/eng/api")
            .as_user("dev")
            .send()
            .sj(),
        (404, no_repo())
    );
}

#[test]
fn team_access_errors() {
    let Org { app, boss, .. } = org_fixture();
    let ops = app.org("ops", &boss);
    team(&app, &ops, "ops-team", &[]);
    app.repo("eng", "api", false);
    app.repo("boss", "own", false);
    let put = |path: &str, level: &str| {
        app.put(&format!("/api/v0/repositories/{path}"))
            .as_user("boss")
            .json(&json!({"accessLevel": level}))
            .send()
            .sj()
    };
    assert_eq!(
        put("eng/api/teamAccess/nothere", "read-only"),
        (404, no_team())
    );
    // A team of another organization cannot be named.
    assert_eq!(
        put("eng/api/teamAccess/ops-team", "read-only"),
        (404, no_team())
    );
    assert_eq!(
        put("eng/api/teamAccess/devs", "none"),
        (
            400,
            e(
                "INVALID_ACCESS_LEVEL",
                "accessLevel is \"read-only\", \"read-write\" or \"admin\""
            )
        )
    );
    assert_eq!(
        put("eng/nothere/teamAccess/devs", "read-only"),
        (404, no_repo())
    );
    let user_owned = e(
        "NOT_ORGANIZATION_OWNED",
        "the repository belongs to a user: grant access to users (userAccess)",
    );
    assert_eq!(
        put("boss/own/teamAccess/devs", "read-only"),
        (400, user_owned.clone())
    );
    assert_eq!(
        app.get("/api/v0/repositories/boss/own/teamAccess")
            .as_user("boss")
            .send()
            .sj(),
        (400, user_owned.clone())
    );
    assert_eq!(
        app.delete("/api/v0/repositories/boss/own/teamAccess/devs")
            .as_user("boss")
            .send()
            .sj(),
        (400, user_owned)
    );
    assert_eq!(
        app.get("/api/v0/repositories/eng/api/teamAccess")
            .send()
            .sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM repository_team_access"),
        0
    );
}

// ---------------------------------------------------------------------------------------
// Namespace access

#[test]
fn namespace_access_grant_list_get_and_revoke() {
    let Org { app, org, devs, .. } = org_fixture();
    let qa = store::teams::by_name(&app.conn(), org.id, "qa")
        .unwrap()
        .unwrap();
    let repo = app.repo("eng", "api", false);
    assert_eq!(
        app.get("/api/v0/repositories/eng/api")
            .as_user("dev")
            .send()
            .status,
        404
    );
    let r = app
        .put("/api/v0/repositoryNamespaces/eng/teamAccess/devs")
        .as_user("boss")
        .json(&json!({"accessLevel": "read-only"}))
        .send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"accessLevel": "read-only", "team": team_v(&devs), "namespace": acct(&org)})
        )
    );
    // Every repository of the namespace is readable by the team at once, and listed.
    assert_eq!(
        app.get("/api/v0/repositories/eng/api")
            .as_user("dev")
            .send()
            .sj(),
        (200, repo_v(&repo))
    );
    assert_eq!(
        app.get("/api/v0/repositories/eng")
            .as_user("dev")
            .send()
            .sj(),
        (200, json!({"repositories": [repo_v(&repo)]}))
    );
    app.put("/api/v0/repositoryNamespaces/eng/teamAccess/qa")
        .as_user("boss")
        .json(&json!({"accessLevel": "read-write"}))
        .send();
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess")
            .as_user("boss")
            .send()
            .sj(),
        (
            200,
            json!({
                "teamAccessList": [
                    {"accessLevel": "read-only", "team": team_v(&devs)},
                    {"accessLevel": "read-write", "team": team_v(&qa)},
                ],
                "namespace": acct(&org),
            })
        )
    );
    let one = json!({"accessLevel": "read-only", "team": team_v(&devs), "namespace": acct(&org)});
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess/devs")
            .as_user("boss")
            .send()
            .sj(),
        (200, one.clone())
    );
    // A member of the team may read the team's own grant, not another team's.
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess/devs")
            .as_user("dev")
            .send()
            .sj(),
        (200, one)
    );
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess/qa")
            .as_user("dev")
            .send()
            .sj(),
        (403, forbidden())
    );

    assert_no_content(
        &app.delete("/api/v0/repositoryNamespaces/eng/teamAccess/devs")
            .as_user("boss")
            .send(),
    );
    assert_no_content(
        &app.delete("/api/v0/repositoryNamespaces/eng/teamAccess/devs")
            .as_user("boss")
            .send(),
    );
    assert_no_content(
        &app.delete("/api/v0/repositoryNamespaces/eng/teamAccess/nothere")
            .as_user("boss")
            .send(),
    );
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess/devs")
            .as_user("boss")
            .send()
            .sj(),
        (
            404,
            e("NO_SUCH_GRANT", "the team has no access to this namespace")
        )
    );
    assert_eq!(
        app.get("/api/v0/repositories/eng/api")
            .as_user("dev")
            .send()
            .sj(),
        (404, no_repo())
    );
}

#[test]
fn namespace_admin_grant_allows_creating_repositories_and_managing_access() {
    let Org { app, .. } = org_fixture();
    let body = json!({"name": "tool"});
    assert_eq!(
        app.post("/api/v0/repositories/eng")
            .as_user("dev")
            .json(&body)
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess")
            .as_user("dev")
            .send()
            .sj(),
        (403, forbidden())
    );
    app.put("/api/v0/repositoryNamespaces/eng/teamAccess/devs")
        .as_user("boss")
        .json(&json!({"accessLevel": "admin"}))
        .send();
    assert_eq!(
        app.post("/api/v0/repositories/eng")
            .as_user("dev")
            .json(&body)
            .send()
            .status,
        201
    );
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess")
            .as_user("dev")
            .send()
            .status,
        200
    );
    // ...but not managing teams.
    assert_eq!(
        app.post("/api/v0/accounts/eng/teams")
            .as_user("dev")
            .json(&json!({"name": "mine"}))
            .send()
            .sj(),
        (403, forbidden())
    );
}

#[test]
fn namespace_access_errors() {
    let Org { app, .. } = org_fixture();
    let url = "/api/v0/repositoryNamespaces/eng/teamAccess/devs";
    let level = json!({"accessLevel": "read-only"});
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess")
            .send()
            .sj(),
        (401, unauthenticated())
    );
    assert_eq!(
        app.put(url).as_user("dev").json(&level).send().sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.delete(url).as_user("dev").send().sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get(url).as_user("stranger").send().sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/eng/teamAccess/nothere")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_team())
    );
    assert_eq!(
        app.put("/api/v0/repositoryNamespaces/eng/teamAccess/nothere")
            .as_user("boss")
            .json(&level)
            .send()
            .sj(),
        (404, no_team())
    );
    assert_eq!(
        app.put(url)
            .as_user("boss")
            .json(&json!({"accessLevel": "owner"}))
            .send()
            .sj(),
        (
            400,
            e(
                "INVALID_ACCESS_LEVEL",
                "accessLevel is \"read-only\", \"read-write\" or \"admin\""
            )
        )
    );
    let not_org = e(
        "NOT_AN_ORGANIZATION",
        "this account is a user, not an organization",
    );
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/boss/teamAccess")
            .as_user("boss")
            .send()
            .sj(),
        (400, not_org.clone())
    );
    assert_eq!(
        app.put("/api/v0/repositoryNamespaces/boss/teamAccess/devs")
            .as_user("boss")
            .json(&level)
            .send()
            .sj(),
        (400, not_org.clone())
    );
    assert_eq!(
        app.delete("/api/v0/repositoryNamespaces/boss/teamAccess/devs")
            .as_user("boss")
            .send()
            .sj(),
        (400, not_org)
    );
    assert_eq!(
        app.get("/api/v0/repositoryNamespaces/nobody/teamAccess")
            .as_user("boss")
            .send()
            .sj(),
        (404, no_account())
    );
    assert_eq!(count(&app, "SELECT count(*) FROM namespace_team_access"), 0);
}

// ---------------------------------------------------------------------------------------
// Private repositories are invisible

/// Every `/api/v0` route that names a repository, as (method, path under
/// `/api/v0/repositories/`, body). `{r}` is the repository's `namespace/name`.
fn repository_routes() -> Vec<(&'static str, &'static str, Option<Value>)> {
    let level = |l: &str| Some(json!({"accessLevel": l}));
    vec![
        ("GET", "{r}", None),
        ("PATCH", "{r}", Some(json!({"shortDescription": "pwned"}))),
        ("PATCH", "{r}", Some(json!({"visibility": "public"}))),
        ("PATCH", "{r}", Some(json!({"visibility": "bogus"}))),
        (
            "PATCH",
            "{r}",
            Some(json!({"shortDescription": "x".repeat(101)})),
        ),
        ("DELETE", "{r}", None),
        ("GET", "{r}/userAccess", None),
        ("PUT", "{r}/userAccess/stranger", level("admin")),
        ("PUT", "{r}/userAccess/nobody", level("admin")),
        ("PUT", "{r}/userAccess/stranger", level("bogus")),
        ("DELETE", "{r}/userAccess/reader", None),
        ("DELETE", "{r}/userAccess/nobody", None),
        ("GET", "{r}/teamAccess", None),
        ("PUT", "{r}/teamAccess/devs", level("admin")),
        ("PUT", "{r}/teamAccess/nothere", level("admin")),
        ("DELETE", "{r}/teamAccess/readers", None),
        ("DELETE", "{r}/teamAccess/nothere", None),
        ("GET", "{r}/nosuchroute", None),
    ]
}

struct Leak {
    app: TestApp,
}

/// `don/secret` (user-owned) and `eng/secret` (organization-owned), both private. `reader`
/// reads both (a user grant, and team `readers` with a repository grant); `member` is in
/// team `devs` of `eng` without grants; `stranger` is unrelated.
fn leak_fixture() -> Leak {
    let app = TestApp::start();
    let don = app.user("don");
    let boss = app.user("boss");
    let member = app.user("member");
    let reader = app.user("reader");
    app.user("stranger");
    let eng = app.org("eng", &boss);
    team(&app, &eng, "devs", &[&member]);
    let readers = team(&app, &eng, "readers", &[&reader]);
    let mine = app.repo("don", "secret", false);
    let theirs = app.repo("eng", "secret", false);
    let conn = app.conn();
    store::grants::set_user_access(&conn, mine.id, reader.id, Level::ReadOnly).unwrap();
    store::grants::set_team_access(&conn, theirs.id, readers.id, Level::ReadOnly).unwrap();
    let _ = don;
    Leak { app }
}

fn call(app: &TestApp, who: &str, method: &str, path: &str, body: &Option<Value>) -> Resp {
    let mut req = app.req(method, path);
    if who != "anonymous" {
        req = req.as_user(who);
    }
    match body {
        Some(b) => req.json(b).send(),
        None => req.send(),
    }
}

fn answer(r: &Resp) -> (u16, String, Vec<(String, String)>) {
    (r.status, r.body.clone(), r.stable_headers())
}

#[test]
fn private_repositories_answer_non_readers_exactly_as_missing_ones() {
    let Leak { app } = leak_fixture();
    let mut checked = 0;
    for ns in ["don", "eng"] {
        for who in ["anonymous", "stranger", "member"] {
            for (method, template, body) in repository_routes() {
                let private = format!(
                    "/api/v0/repositories/{}",
                    template.replace("{r}", &format!("{ns}/secret"))
                );
                let missing = format!(
                    "/api/v0/repositories/{}",
                    template.replace("{r}", &format!("{ns}/nothere"))
                );
                let a = call(&app, who, method, &private, &body);
                let b = call(&app, who, method, &missing, &body);
                assert_eq!(answer(&a), answer(&b), "{who} {method} {private}");
                assert!(
                    a.status == 401 || a.status == 404 || a.status == 400 || a.status == 204,
                    "{who} {method} {private}: {a:?}"
                );
                checked += 1;
            }
            // Creating a repository of the same name as the hidden one: the same 403.
            let body = Some(json!({"name": "secret"}));
            let a = call(
                &app,
                who,
                "POST",
                &format!("/api/v0/repositories/{ns}"),
                &body,
            );
            let b = call(
                &app,
                who,
                "POST",
                &format!("/api/v0/repositories/{ns}"),
                &Some(json!({"name": "nothere"})),
            );
            assert_eq!(answer(&a), answer(&b), "{who} POST {ns}");
        }
    }
    assert_eq!(checked, 2 * 3 * repository_routes().len());
    // Nothing the non-readers sent changed anything.
    for ns in ["don", "eng"] {
        let r = app
            .get(&format!("/api/v0/repositories/{ns}/secret"))
            .as_user("reader")
            .send();
        assert_eq!(r.status, 200, "{ns}");
        assert_eq!(r.json()["shortDescription"], "secret short");
        assert_eq!(r.json()["visibility"], "private");
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM repository_user_access"),
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM repository_team_access"),
        1
    );
}

#[test]
fn a_read_only_collaborator_sees_the_repository_but_may_not_act() {
    let Leak { app } = leak_fixture();
    for ns in ["don", "eng"] {
        for (method, template, body) in repository_routes() {
            let path = format!(
                "/api/v0/repositories/{}",
                template.replace("{r}", &format!("{ns}/secret"))
            );
            let r = call(&app, "reader", method, &path, &body);
            let expected = match (method, template, &body) {
                ("GET", "{r}", _) => 200,
                ("GET", "{r}/nosuchroute", _) => 404,
                // Bad input is refused before anything else.
                (_, _, Some(b)) if b["visibility"] == "bogus" || b["accessLevel"] == "bogus" => 400,
                _ => 403,
            };
            assert_eq!(r.status, expected, "reader {method} {path}: {}", r.body);
            if expected == 403 {
                assert_eq!(r.json(), forbidden());
            }
        }
    }
}

#[test]
fn listings_leave_private_repositories_out() {
    let Leak { app } = leak_fixture();
    let public = app.repo("eng", "open", true);
    for who in ["stranger", "member"] {
        assert_eq!(
            app.get("/api/v0/repositories/eng").as_user(who).send().sj(),
            (200, json!({"repositories": [repo_v(&public)]})),
            "{who}"
        );
        assert_eq!(
            app.get("/api/v0/repositories/don").as_user(who).send().sj(),
            (200, json!({"repositories": []})),
            "{who}"
        );
    }
    let names = |who: &str, ns: &str| -> Vec<String> {
        app.get(&format!("/api/v0/repositories/{ns}"))
            .as_user(who)
            .send()
            .json()["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("reader", "eng"), ["open", "secret"]);
    assert_eq!(names("reader", "don"), ["secret"]);
    // The team's repository access list is not for strangers or other teams' members.
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/readers/repositoryAccess")
            .as_user("member")
            .send()
            .sj(),
        (403, forbidden())
    );
    assert_eq!(
        app.get("/api/v0/accounts/eng/teams/readers/repositoryAccess")
            .as_user("stranger")
            .send()
            .sj(),
        (403, forbidden())
    );
}

#[test]
fn deleting_a_hidden_private_repository_leaves_it_in_place() {
    let Leak { app } = leak_fixture();
    for ns in ["don", "eng"] {
        assert_eq!(
            app.delete(&format!("/api/v0/repositories/{ns}/secret"))
                .as_user("stranger")
                .send()
                .sj(),
            (404, no_repo())
        );
        assert_eq!(
            app.get(&format!("/api/v0/repositories/{ns}/secret"))
                .admin()
                .send()
                .status,
            200
        );
    }
}

// ---------------------------------------------------------------------------------------
// Framework edges in the DTR envelope

#[test]
fn a_final_slash_is_optional() {
    let app = TestApp::start();
    let alice = app.user("alice");
    assert_eq!(
        app.get("/api/v0/accounts/alice/")
            .as_user("alice")
            .send()
            .sj(),
        (200, acct(&alice))
    );
    assert_eq!(
        app.get("/api/v0/repositories/alice/")
            .as_user("alice")
            .send()
            .sj(),
        (200, json!({"repositories": []}))
    );
}

#[test]
fn a_wrong_method_is_405_in_the_envelope() {
    let app = TestApp::start();
    app.user("alice");
    assert_eq!(
        app.put("/api/v0/accounts").as_user("alice").send().sj(),
        (405, e("METHOD_NOT_ALLOWED", "method not allowed"))
    );
    assert_eq!(
        app.post("/api/v0/repositories/alice/x/userAccess")
            .as_user("alice")
            .send()
            .sj(),
        (405, e("METHOD_NOT_ALLOWED", "method not allowed"))
    );
}

#[test]
fn a_body_over_one_mebibyte_is_413() {
    let app = TestApp::start();
    app.user("alice");
    let huge = format!(
        "{{\"name\":\"x\",\"longDescription\":\"{}\"}}",
        "a".repeat(1 << 20)
    );
    let r = app
        .post("/api/v0/repositories/alice")
        .as_user("alice")
        .header("Content-Type", "application/json")
        .body(&huge)
        .send();
    assert_eq!(
        r.sj(),
        (
            413,
            e("PAYLOAD_TOO_LARGE", "request body is larger than 1 MiB")
        )
    );
}

/// Issue 18: a repository or team created after the newest one was deleted gets a new id,
/// never the deleted one's (a script that cached the id would act on something else).
#[test]
fn ids_of_deleted_repositories_and_teams_are_never_given_again() {
    let app = TestApp::start();
    let owner = app.user("don");
    let org = app.org("acme", &owner);
    let create_repo = || {
        let r = app
            .post("/api/v0/repositories/acme")
            .admin()
            .json(&json!({"name": "web", "visibility": "public"}))
            .send();
        assert_eq!(r.status, 201, "{r:?}");
        r.json()["id"].as_i64().unwrap()
    };
    let first = create_repo();
    let r = app.delete("/api/v0/repositories/acme/web").admin().send();
    assert_eq!(r.status, 204);
    let second = create_repo();
    assert!(second > first, "{second} after {first}");

    let create_team = || {
        let r = app
            .post(&format!("/api/v0/accounts/{}/teams", org.name))
            .admin()
            .json(&json!({"name": "devs", "type": "managed"}))
            .send();
        assert_eq!(r.status, 201, "{r:?}");
        r.json()["id"].as_i64().unwrap()
    };
    let first = create_team();
    let r = app
        .delete("/api/v0/accounts/acme/teams/devs")
        .admin()
        .send();
    assert_eq!(r.status, 204);
    let second = create_team();
    assert!(second > first, "{second} after {first}");
}
