//! The Index dialect over HTTP (API-NOTES section 5): users, create-and-push, delete, images,
//! access tokens and `.../auth`, registry-role tags, `_ping`, search and stars.

mod common;
mod v1_support;

use berth::core::tokens::Access;
use common::*;
use serde_json::json;
use v1_support::*;

// ---------------------------------------------------------------- _ping, users

#[test]
fn ping_answers_true() {
    let app = TestApp::start();
    let r = app.get("/v1/_ping").send();
    assert_eq!(r.sj(), (200, json!(true)));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn profile_update_adds_an_email_and_keeps_the_old_one() {
    let app = world();
    let r = app
        .put("/v1/users/alice")
        .as_user("alice")
        .json(&json!({"email": "second@example.com"}))
        .send();
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    let alice = berth::store::accounts::by_name(&app.conn(), "alice")
        .unwrap()
        .unwrap();
    assert_eq!(
        berth::store::accounts::emails(&app.conn(), alice.id).unwrap(),
        vec![
            "alice@example.com".to_owned(),
            "second@example.com".to_owned()
        ]
    );
}

#[test]
fn profile_update_changes_the_password_at_once() {
    let app = world();
    assert_eq!(app.get("/v1/users").as_user("alice").send().status, 200);
    let r = app
        .put("/v1/users/alice/")
        .as_user("alice")
        .json(&json!({"password": "new-password-9"}))
        .send();
    assert_eq!(r.status, 204);
    assert_eq!(app.get("/v1/users").as_user("alice").send().status, 401);
    assert_eq!(
        app.get("/v1/users")
            .basic("alice", "new-password-9")
            .send()
            .sj(),
        (200, json!("OK"))
    );
}

#[test]
fn profile_update_by_a_site_admin_works_for_any_user() {
    let app = world();
    let r = app
        .put("/v1/users/bob")
        .admin()
        .json(&json!({"email": "bob2@example.com", "password": "bobs-new-pass"}))
        .send();
    assert_eq!(r.status, 204);
    assert_eq!(
        app.get("/v1/users")
            .basic("bob", "bobs-new-pass")
            .send()
            .status,
        200
    );
}

#[test]
fn profile_update_of_someone_else_is_403() {
    let app = world();
    let r = app
        .put("/v1/users/alice")
        .as_user("bob")
        .json(&json!({"email": "x@example.com"}))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
}

#[test]
fn profile_update_of_an_unknown_user_or_an_organization_is_404() {
    let app = world();
    for name in ["nobody", "acme"] {
        let r = app
            .put(&format!("/v1/users/{name}"))
            .admin()
            .json(&json!({"email": "x@example.com"}))
            .send();
        assert_eq!(r.sj(), (404, json!({"error": "no such account"})), "{name}");
    }
}

#[test]
fn profile_update_needs_credentials() {
    let app = world();
    let r = app
        .put("/v1/users/alice")
        .json(&json!({"email": "x@example.com"}))
        .send();
    assert_eq!(r.sj(), (401, json!({"error": "authentication required"})));
}

#[test]
fn profile_update_validates_its_body() {
    let app = world();
    let cases = [
        (
            json!({}),
            json!({"error": "send an email, a password or both"}),
        ),
        (
            json!({"email": "not-an-email"}),
            json!({"error": "invalid email address"}),
        ),
        (
            json!({"password": "short"}),
            json!({"error": "passwords are at least 6 characters"}),
        ),
        (
            json!({"email": "bob@example.com"}),
            json!({"error": "this email belongs to another account"}),
        ),
    ];
    for (body, error) in cases {
        let r = app
            .put("/v1/users/alice")
            .as_user("alice")
            .json(&body)
            .send();
        assert_eq!(r.sj(), (400, error), "{body}");
    }
    for body in [
        json!(["x@example.com", "password-456"]),
        json!({"email": 5}),
        json!({"nickname": "x"}),
    ] {
        let r = app
            .put("/v1/users/alice")
            .as_user("alice")
            .json(&body)
            .send();
        assert_eq!(r.status, 400, "{body}");
        assert!(r.json()["error"].is_string(), "{body}");
    }
    // Nothing changed: the password still works, the invalid email was not added.
    assert_eq!(app.get("/v1/users").as_user("alice").send().status, 200);
}

#[test]
fn an_access_token_is_not_a_login() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Read);
    let r = app.get("/v1/users").token(&t).send();
    assert_eq!(
        r.sj(),
        (
            401,
            json!({"error": "an access token is valid only on its repository's routes"})
        )
    );
}

#[test]
fn registration_refuses_an_array_body() {
    let app = TestApp::start_with(|c| c.admin_password = Some(ADMIN_PASSWORD.into()));
    let r = app
        .post("/v1/users")
        .json(&json!(["newbie", "password-123", "newbie@example.com"]))
        .send();
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].is_string());
    assert!(berth::store::accounts::by_name(&app.conn(), "newbie")
        .unwrap()
        .is_none());
}

// ---------------------------------------------------------------- create-and-push

#[test]
fn push_creates_a_public_repository_and_hands_out_a_write_token() {
    let app = world();
    let r = app
        .put("/v1/repositories/alice/fresh/")
        .as_user("alice")
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_token_headers(&app, &r, "alice/fresh", "write");
    let created = repo(&app, "alice/fresh").unwrap();
    assert!(created.is_public);
    assert_eq!(image_ids(&app, "alice/fresh"), vec![IMG.to_owned()]);
}

#[test]
fn push_without_x_docker_token_gets_no_token() {
    let app = world();
    let r = app
        .put("/v1/repositories/alice/fresh")
        .as_user("alice")
        .json(&json!([{"id": IMG, "checksum": SUM, "Tag": "latest"}]))
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    assert_no_token_headers(&r);
}

#[test]
fn push_to_an_existing_repository_merges_images() {
    let app = world();
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .json(&json!([{"id": IMG2}, {"id": IMG}]))
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    assert_eq!(
        image_ids(&app, "alice/app"),
        vec![IMG.to_owned(), IMG2.to_owned()]
    );
}

#[test]
fn push_needs_read_write_on_an_existing_repository() {
    let app = world();
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("bob")
        .json(&json!([{"id": IMG2}]))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    let r = app
        .put("/v1/repositories/acme/secret")
        .as_user("reader")
        .json(&json!([{"id": IMG2}]))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_eq!(image_ids(&app, "alice/app"), vec![IMG.to_owned()]);
}

#[test]
fn push_that_would_create_needs_namespace_admin() {
    let app = world();
    for who in [Some("bob"), Some("member")] {
        let r = as_who(app.put("/v1/repositories/acme/newone"), who)
            .json(&json!([{"id": IMG}]))
            .send();
        assert_eq!(
            r.sj(),
            (403, json!({"error": "the client is not authorized"})),
            "{who:?}"
        );
    }
    // Anonymous: asked to log in (issue 18, `an_anonymous_push_asks_for_a_login`).
    let r = as_who(app.put("/v1/repositories/acme/newone"), None)
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(r.sj(), (401, json!({"error": "authentication required"})));
    let r = app
        .put("/v1/repositories/acme/newone")
        .as_user("owner")
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(r.status, 200);
}

#[test]
fn push_into_an_unknown_namespace_is_404() {
    let app = world();
    let r = app
        .put("/v1/repositories/ghost/x")
        .admin()
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(r.sj(), (404, json!({"error": "no such account"})));
}

#[test]
fn push_validates_images_and_names() {
    let app = world();
    let cases = [
        (
            "/v1/repositories/alice/fresh",
            json!([{"id": "not-hex"}]),
            json!({"error": "image ids are 64 lowercase hex digits"}),
        ),
        (
            "/v1/repositories/alice/fresh",
            json!([{"id": IMG, "checksum": "a b"}]),
            json!({"error": "invalid image checksum"}),
        ),
        (
            "/v1/repositories/alice/Bad_Name",
            json!([{"id": IMG}]),
            json!({"error": "repository names are a-z and 0-9 separated by '.', '_', '__' or dashes"}),
        ),
    ];
    for (path, body, error) in cases {
        let r = app.put(path).as_user("alice").json(&body).send();
        assert_eq!(r.sj(), (400, error), "{path} {body}");
    }
    let r = app
        .put("/v1/repositories/alice/fresh")
        .as_user("alice")
        .json(&json!([{"checksum": SUM}]))
        .send();
    assert_eq!(r.status, 400);
    assert!(repo(&app, "alice/fresh").is_none());
}

#[test]
fn library_push_is_for_site_admins_and_names_library() {
    let app = world();
    let r = app
        .put("/v1/repositories/base")
        .as_user("alice")
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_no_token_headers(&r);
    let r = app
        .put("/v1/repositories/base/")
        .admin()
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    assert_token_headers(&app, &r, "library/base", "write");
    assert!(repo(&app, "library/base").unwrap().is_public);
}

#[test]
fn x_docker_endpoints_is_the_configured_public_address() {
    let app = TestApp::start_with(|c| c.public_address = Some("hub.example.com:5000".into()));
    let r = app
        .put("/v1/repositories/base")
        .admin()
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-docker-endpoints"), Some("hub.example.com:5000"));
}

#[test]
fn tokens_are_random_and_stored_only_hashed() {
    let app = world();
    let a = app
        .get("/v1/repositories/alice/app/images")
        .as_user("alice")
        .docker_token()
        .send();
    let b = app
        .get("/v1/repositories/alice/app/images")
        .as_user("alice")
        .docker_token()
        .send();
    let (ta, tb) = (
        a.header("x-docker-token").unwrap(),
        b.header("x-docker-token").unwrap(),
    );
    assert_ne!(ta, tb);
    let sig = ta
        .strip_prefix("signature=")
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let stored: Vec<String> = {
        let conn = app.conn();
        let mut stmt = conn
            .prepare("SELECT token_hash FROM access_tokens")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|h| !h.contains(sig)));
    assert!(stored.contains(&berth::auth::secret::sha256_hex(sig)));
}

// ---------------------------------------------------------------- delete

#[test]
fn index_delete_answers_202_with_a_delete_token() {
    let app = world();
    let r = app
        .delete("/v1/repositories/alice/app/")
        .as_user("alice")
        .docker_token()
        .send();
    assert_eq!(r.sj(), (202, json!("")));
    assert_token_headers(&app, &r, "alice/app", "delete");
    assert!(repo(&app, "alice/app").is_none());
}

#[test]
fn index_delete_needs_admin_of_the_repository() {
    let app = world();
    let r = app
        .delete("/v1/repositories/alice/app")
        .as_user("bob")
        .docker_token()
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_no_token_headers(&r);
    let r = app
        .delete("/v1/repositories/acme/secret")
        .as_user("reader")
        .docker_token()
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert!(repo(&app, "alice/app").is_some());
}

#[test]
fn index_delete_of_a_missing_repository_is_404() {
    let app = world();
    let r = app
        .delete("/v1/repositories/alice/nothing")
        .as_user("alice")
        .docker_token()
        .send();
    assert_eq!(r.sj(), (404, json!({"error": "no such repository"})));
    assert_no_token_headers(&r);
}

#[test]
fn registry_delete_with_a_delete_token_answers_200() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Delete);
    let r = app.delete("/v1/repositories/alice/app").token(&t).send();
    assert_eq!(r.sj(), (200, json!("")));
    assert!(repo(&app, "alice/app").is_none());
}

#[test]
fn registry_delete_with_a_write_token_is_refused() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Write);
    let r = app.delete("/v1/repositories/alice/app").token(&t).send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    let t = token(&app, "alice", "alice/hidden", Access::Write);
    let r = app.delete("/v1/repositories/alice/hidden").token(&t).send();
    assert_eq!(r.sj(), (404, json!({"error": "no such repository"})));
    assert!(repo(&app, "alice/hidden").is_some());
}

#[test]
fn library_delete_is_for_site_admins() {
    let app = world();
    app.put("/v1/repositories/base")
        .admin()
        .json(&json!([{"id": IMG}]))
        .send();
    let r = app
        .delete("/v1/repositories/base")
        .as_user("alice")
        .docker_token()
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    let r = app
        .delete("/v1/repositories/base/")
        .admin()
        .docker_token()
        .send();
    assert_eq!(r.sj(), (202, json!("")));
    assert_token_headers(&app, &r, "library/base", "delete");
    assert!(repo(&app, "library/base").is_none());
}

// ---------------------------------------------------------------- images

#[test]
fn images_list_ids_and_checksums() {
    let app = world();
    let r = app.get("/v1/repositories/alice/app/images").send();
    assert_eq!(r.sj(), (200, json!([{"id": IMG, "checksum": SUM}])));
    assert_no_token_headers(&r);
}

#[test]
fn images_with_x_docker_token_hand_out_a_read_token_and_count_a_pull() {
    let app = world();
    assert_eq!(repo(&app, "alice/app").unwrap().pull_count, 0);
    app.get("/v1/repositories/alice/app/images").send();
    assert_eq!(
        repo(&app, "alice/app").unwrap().pull_count,
        0,
        "a plain listing is no pull"
    );
    let r = app
        .get("/v1/repositories/alice/app/images")
        .as_user("bob")
        .docker_token()
        .send();
    assert_eq!(r.sj(), (200, json!([{"id": IMG, "checksum": SUM}])));
    assert_token_headers(&app, &r, "alice/app", "read");
    let after = repo(&app, "alice/app").unwrap();
    assert_eq!(after.pull_count, 1);
    assert!(after.pulled_at.is_some());
}

/// Issue 18: the seed's pull flow. An anonymous client (no credentials) asking for a token on
/// a public repository's image list gets a read token, held by no account.
#[test]
fn anonymous_pull_of_a_public_repository_gets_a_read_token() {
    let app = world();
    let r = app
        .get("/v1/repositories/alice/app/images")
        .docker_token()
        .send();
    assert_eq!(r.sj(), (200, json!([{"id": IMG, "checksum": SUM}])));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let t = assert_token_headers(&app, &r, "alice/app", "read");
    assert_eq!(repo(&app, "alice/app").unwrap().pull_count, 1);
    // Stored hashed, held by nobody, for reading only.
    let sig = t
        .strip_prefix("signature=")
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let stored: (Option<i64>, String, String) = app
        .conn()
        .query_row(
            "SELECT user_id, repository, access FROM access_tokens WHERE token_hash = ?1",
            [berth::auth::secret::sha256_hex(sig)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(stored, (None, "alice/app".into(), "read".into()));
}

/// With the anonymous token, the registry-role routes answer as the Index does: the tag
/// object (not Alauda's list), reusable until it expires, and a tag read is a pull.
#[test]
fn an_anonymous_read_token_reads_tags_as_the_index_does() {
    let app = world();
    let r = app
        .get("/v1/repositories/alice/app/images/")
        .docker_token()
        .send();
    let t = assert_token_headers(&app, &r, "alice/app", "read");
    for _ in 0..3 {
        let r = app.get("/v1/repositories/alice/app/tags").token(&t).send();
        assert_eq!(r.sj(), (200, json!({"latest": IMG})));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_no_token_headers(&r);
    }
    let r = app
        .get("/v1/repositories/alice/app/tags/latest")
        .token(&t)
        .send();
    assert_eq!(r.sj(), (200, json!(IMG)));
    let tag_pulls: i64 = app
        .conn()
        .query_row(
            "SELECT t.pull_count FROM tags t JOIN repositories r ON r.id = t.repository_id
              WHERE r.full_path = 'alice/app' AND t.name = 'latest'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        tag_pulls, 1,
        "a tag read with the token is a pull of the tag"
    );
    // Without a token it is only a read.
    app.get("/v1/repositories/alice/app/tags/latest").send();
    assert_eq!(repo(&app, "alice/app").unwrap().pull_count, 1);
    // Without the token, the same path is Alauda's list, as before.
    let alauda = app.get("/v1/repositories/alice/app/tags").send();
    assert_eq!(alauda.status, 200);
    assert!(alauda.json().is_array(), "{}", alauda.body);
    // A request made with the token gets no new one, even when it asks.
    let again = app
        .get("/v1/repositories/alice/app/images")
        .token(&t)
        .docker_token()
        .send();
    assert_eq!(again.status, 200);
    assert_no_token_headers(&again);
    // And `.../auth` takes it once, as it takes a user's.
    let r = app.put("/v1/repositories/alice/app/auth").token(&t).send();
    assert_eq!(r.sj(), (200, json!("OK")));
    let r = app.get("/v1/repositories/alice/app/tags").token(&t).send();
    assert_eq!(
        r.sj(),
        (401, json!({"error": "invalid or expired access token"}))
    );
}

#[test]
fn an_anonymous_pull_of_a_library_repository_names_library() {
    let app = world();
    app.put("/v1/repositories/base")
        .admin()
        .json(&json!([{"id": IMG, "Tag": "stable"}]))
        .send();
    app.put("/v1/repositories/library/base/tags/stable")
        .admin()
        .json(&json!(IMG))
        .send();
    let r = app
        .get("/v1/repositories/base/images")
        .docker_token()
        .send();
    assert_eq!(r.sj(), (200, json!([{"id": IMG, "checksum": null}])));
    let t = assert_token_headers(&app, &r, "library/base", "read");
    let r = app
        .get("/v1/repositories/library/base/tags")
        .token(&t)
        .send();
    assert_eq!(r.sj(), (200, json!({"stable": IMG})));
}

/// A private or missing repository answers an anonymous token request exactly as before:
/// the same 404 for both, no token, nothing stored.
#[test]
fn an_anonymous_pull_of_a_private_or_missing_repository_gets_no_token() {
    let app = world();
    let private = app
        .get("/v1/repositories/acme/secret/images")
        .docker_token()
        .send();
    let missing = app
        .get("/v1/repositories/acme/nothing/images")
        .docker_token()
        .send();
    assert_eq!(private.sj(), (404, json!({"error": "no such repository"})));
    assert_eq!(answer(&private), answer(&missing));
    assert_no_token_headers(&private);
    assert_no_token_headers(&missing);
    // The same answer as without asking for a token.
    let plain = app.get("/v1/repositories/acme/secret/images").send();
    assert_eq!(answer(&private), answer(&plain));
    assert_eq!(
        app.conn()
            .query_row("SELECT count(*) FROM access_tokens", [], |r| r
                .get::<_, i64>(0))
            .unwrap(),
        0
    );
    assert_eq!(repo(&app, "acme/secret").unwrap().pull_count, 0);
}

/// An anonymous token is worth what anonymity is: another repository's private content stays
/// as invisible as a missing one, no write of any kind goes through, and it is no login.
#[test]
fn an_anonymous_token_opens_nothing_more_than_anonymity() {
    let app = world();
    let r = app
        .get("/v1/repositories/alice/app/images")
        .docker_token()
        .send();
    let t = assert_token_headers(&app, &r, "alice/app", "read");
    // Another repository: private looks missing.
    let private = app
        .get("/v1/repositories/acme/secret/tags")
        .token(&t)
        .send();
    let missing = app
        .get("/v1/repositories/acme/nothing/tags")
        .token(&t)
        .send();
    assert_eq!(private.sj(), (404, json!({"error": "no such repository"})));
    assert_eq!(answer(&private), answer(&missing));
    let private = app
        .get("/v1/repositories/alice/hidden/tags/latest")
        .token(&t)
        .send();
    let missing = app
        .get("/v1/repositories/alice/nothing/tags/latest")
        .token(&t)
        .send();
    assert_eq!(answer(&private), answer(&missing));
    assert_eq!(private.status, 404);
    // Writes on its own repository: each refused as a user's read token is.
    let refused = |r: Resp, what: &str, status: u16, error: &str| {
        assert_eq!(r.sj(), (status, json!({"error": error})), "{what}");
        assert_no_token_headers(&r);
    };
    let denied = "the client is not authorized";
    refused(
        app.put("/v1/repositories/alice/app/tags/v2")
            .token(&t)
            .json(&json!(IMG))
            .send(),
        "PUT tag",
        403,
        denied,
    );
    refused(
        app.delete("/v1/repositories/alice/app/tags/latest")
            .token(&t)
            .send(),
        "DELETE tag",
        403,
        denied,
    );
    refused(
        app.put("/v1/repositories/alice/app/images")
            .token(&t)
            .json(&json!([{"id": IMG2}]))
            .send(),
        "PUT images",
        403,
        denied,
    );
    refused(
        app.put("/v1/repositories/alice/app")
            .token(&t)
            .docker_token()
            .json(&json!([{"id": IMG2}]))
            .send(),
        "PUT repository",
        403,
        denied,
    );
    refused(
        app.delete("/v1/repositories/alice/app").token(&t).send(),
        "DELETE repository",
        403,
        denied,
    );
    refused(
        app.delete("/v1/repositories/alice/app")
            .token(&t)
            .docker_token()
            .send(),
        "DELETE repository (index)",
        403,
        denied,
    );
    // No login: not on the user routes, not for a star.
    let r = app.get("/v1/users").token(&t).send();
    assert_eq!(
        r.sj(),
        (
            401,
            json!({"error": "an access token is valid only on its repository's routes"})
        )
    );
    let r = app.put("/v1/repositories/alice/app/star").token(&t).send();
    assert_eq!(r.status, 401);
    // Nothing changed.
    assert_eq!(image_ids(&app, "alice/app"), vec![IMG.to_owned()]);
    let r = app.get("/v1/repositories/alice/app/tags").token(&t).send();
    assert_eq!(r.sj(), (200, json!({"latest": IMG})));
    assert_eq!(repo(&app, "alice/app").unwrap().star_count, 0);
}

/// When the repository turns private, its anonymous token reads nothing more.
#[test]
fn an_anonymous_token_of_a_repository_made_private_reads_nothing() {
    let app = world();
    let r = app
        .get("/v1/repositories/alice/app/images")
        .docker_token()
        .send();
    let t = assert_token_headers(&app, &r, "alice/app", "read");
    app.exec("UPDATE repositories SET is_public = 0 WHERE full_path = 'alice/app'");
    let r = app.get("/v1/repositories/alice/app/tags").token(&t).send();
    assert_eq!(r.sj(), (404, json!({"error": "no such repository"})));
    let r = app.put("/v1/repositories/alice/app/auth").token(&t).send();
    assert_eq!(r.sj(), (404, json!({"error": "no such repository"})));
}

/// An expired anonymous token is refused like an expired user token, and goes when new
/// tokens are issued.
#[test]
fn an_expired_anonymous_token_is_refused_and_purged() {
    let app = world();
    let t = expired_anonymous_token(&app, "alice/app");
    let r = app.get("/v1/repositories/alice/app/tags").token(&t).send();
    assert_eq!(
        r.sj(),
        (401, json!({"error": "invalid or expired access token"}))
    );
    let r = app.put("/v1/repositories/alice/app/auth").token(&t).send();
    assert_eq!(
        r.sj(),
        (
            403,
            json!({"error": "invalid, expired or foreign access token"})
        )
    );
    let count = || -> i64 {
        app.conn()
            .query_row("SELECT count(*) FROM access_tokens", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(), 1);
    let r = app
        .get("/v1/repositories/alice/app/images")
        .docker_token()
        .send();
    assert_token_headers(&app, &r, "alice/app", "read");
    assert_eq!(count(), 1, "the expired one went as the new one came");
}

/// The store refuses an anonymous token for anything but reading.
#[test]
fn the_store_holds_anonymous_tokens_for_reading_only() {
    let app = world();
    let conn = app.conn();
    for access in ["write", "delete"] {
        assert!(berth::store::keys::insert_access_token(
            &conn,
            "h",
            None,
            "alice/app",
            access,
            berth::store::now_ms() + 60_000,
        )
        .is_err());
    }
}

#[test]
fn finished_push_merges_images_and_counts_a_push() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Write);
    let r = app
        .put("/v1/repositories/alice/app/images")
        .token(&t)
        .json(&json!([{"id": IMG2, "checksum": SUM}]))
        .send();
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(
        image_ids(&app, "alice/app"),
        vec![IMG.to_owned(), IMG2.to_owned()]
    );
    let after = repo(&app, "alice/app").unwrap();
    assert_eq!(after.push_count, 1);
    assert!(after.pushed_at.is_some());
    // Images are added, never removed.
    app.put("/v1/repositories/alice/app/images")
        .as_user("alice")
        .json(&json!([{"id": IMG3}]))
        .send();
    assert_eq!(
        image_ids(&app, "alice/app"),
        vec![IMG.to_owned(), IMG2.to_owned(), IMG3.to_owned()]
    );
}

#[test]
fn finished_push_needs_write() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Read);
    let r = app
        .put("/v1/repositories/alice/app/images")
        .token(&t)
        .json(&json!([{"id": IMG2}]))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    let r = app
        .put("/v1/repositories/alice/app/images")
        .as_user("bob")
        .json(&json!([{"id": IMG2}]))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_eq!(repo(&app, "alice/app").unwrap().push_count, 0);
}

#[test]
fn finished_push_validates_its_body() {
    let app = world();
    for body in [
        json!({"id": IMG}),
        json!("x"),
        json!([{"id": "zz"}]),
        json!([{"checksum": SUM}]),
    ] {
        let r = app
            .put("/v1/repositories/alice/app/images")
            .as_user("alice")
            .json(&body)
            .send();
        assert_eq!(r.status, 400, "{body}");
        assert!(r.json()["error"].is_string(), "{body}");
    }
    let r = app
        .put("/v1/repositories/alice/app/images")
        .as_user("alice")
        .body("[{")
        .header("Content-Type", "application/json")
        .send();
    assert_eq!(r.status, 400);
}

#[test]
fn library_images_are_served_under_the_short_path() {
    let app = world();
    app.put("/v1/repositories/base")
        .admin()
        .json(&json!([{"id": IMG}]))
        .send();
    let r = app
        .put("/v1/repositories/base/images")
        .admin()
        .json(&json!([{"id": IMG2, "checksum": SUM}]))
        .send();
    assert_eq!(r.status, 204);
    let r = app.get("/v1/repositories/base/images").send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!([{"id": IMG, "checksum": null}, {"id": IMG2, "checksum": SUM}])
        )
    );
    let r = app
        .get("/v1/repositories/library/base/images")
        .admin()
        .docker_token()
        .send();
    assert_token_headers(&app, &r, "library/base", "read");
}

#[test]
fn images_of_a_missing_repository_are_404() {
    let app = world();
    let r = app.get("/v1/repositories/alice/nothing/images").send();
    assert_eq!(r.sj(), (404, json!({"error": "no such repository"})));
}

// ---------------------------------------------------------------- tokens and .../auth

#[test]
fn auth_accepts_a_token_once() {
    let app = world();
    let push = app
        .put("/v1/repositories/alice/fresh")
        .as_user("alice")
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    let t = push.header("x-docker-token").unwrap().to_owned();
    let r = app
        .put("/v1/repositories/alice/fresh/auth")
        .token(&t)
        .send();
    assert_eq!(r.sj(), (200, json!("OK")));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let again = app
        .put("/v1/repositories/alice/fresh/auth")
        .token(&t)
        .send();
    assert_eq!(
        again.sj(),
        (
            403,
            json!({"error": "invalid, expired or foreign access token"})
        )
    );
}

#[test]
fn auth_refuses_a_foreign_token() {
    let app = world();
    let t = token(&app, "alice", "alice/hidden", Access::Read);
    let r = app.put("/v1/repositories/alice/app/auth").token(&t).send();
    assert_eq!(
        r.sj(),
        (
            403,
            json!({"error": "invalid, expired or foreign access token"})
        )
    );
    // The foreign token was not consumed.
    assert_eq!(
        app.put("/v1/repositories/alice/hidden/auth")
            .token(&t)
            .send()
            .sj(),
        (200, json!("OK"))
    );
}

#[test]
fn auth_refuses_a_bad_or_expired_token_or_none() {
    let app = world();
    let expired = expired_token(&app, "alice", "alice/app", "read");
    let forged =
        "signature=forged0000000000000000000000000000000,repository=\"alice/app\",access=read";
    for req in [
        app.put("/v1/repositories/alice/app/auth").token(&expired),
        app.put("/v1/repositories/alice/app/auth").token(forged),
        app.put("/v1/repositories/alice/app/auth").as_user("alice"),
        app.put("/v1/repositories/alice/app/auth"),
    ] {
        assert_eq!(
            req.send().sj(),
            (
                403,
                json!({"error": "invalid, expired or foreign access token"})
            )
        );
    }
}

#[test]
fn auth_on_an_unknown_repository_is_404() {
    let app = world();
    let t = token(&app, "alice", "alice/gone", Access::Delete);
    let r = app.put("/v1/repositories/alice/gone/auth").token(&t).send();
    assert_eq!(r.sj(), (404, json!({"error": "no such repository"})));
}

#[test]
fn auth_for_a_library_repository_uses_the_short_path() {
    let app = world();
    let push = app
        .put("/v1/repositories/base")
        .admin()
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    let t = push.header("x-docker-token").unwrap().to_owned();
    assert_eq!(
        app.put("/v1/repositories/base/auth").token(&t).send().sj(),
        (200, json!("OK"))
    );
}

#[test]
fn an_expired_token_is_401_on_registry_routes() {
    let app = world();
    let t = expired_token(&app, "alice", "alice/app", "read");
    let r = app.get("/v1/repositories/alice/app/tags").token(&t).send();
    assert_eq!(
        r.sj(),
        (401, json!({"error": "invalid or expired access token"}))
    );
}

#[test]
fn a_token_opens_only_its_own_repository() {
    let app = world();
    // A read token of alice/app does not open alice/hidden, though alice could read it.
    let t = token(&app, "alice", "alice/app", Access::Read);
    let r = app
        .get("/v1/repositories/alice/hidden/tags")
        .token(&t)
        .send();
    assert_eq!(r.sj(), (404, json!({"error": "no such repository"})));
    let r = app
        .get("/v1/repositories/alice/hidden/images")
        .token(&t)
        .send();
    assert_eq!(r.sj(), (404, json!({"error": "no such repository"})));
    let mine = token(&app, "alice", "alice/hidden", Access::Read);
    let r = app
        .get("/v1/repositories/alice/hidden/tags")
        .token(&mine)
        .send();
    assert_eq!(r.sj(), (200, json!({"latest": IMG})));
}

// ---------------------------------------------------------------- registry-role tags

#[test]
fn tags_with_a_token_are_an_object_and_the_token_is_reusable() {
    let app = world();
    let r = app
        .get("/v1/repositories/alice/app/images")
        .as_user("bob")
        .docker_token()
        .send();
    let t = r.header("x-docker-token").unwrap().to_owned();
    for _ in 0..3 {
        let r = app.get("/v1/repositories/alice/app/tags").token(&t).send();
        assert_eq!(r.sj(), (200, json!({"latest": IMG})));
    }
    let r = app
        .get("/v1/repositories/alice/app/tags/latest")
        .token(&t)
        .send();
    assert_eq!(r.sj(), (200, json!(IMG)));
}

#[test]
fn a_tag_reads_as_its_image_id() {
    let app = world();
    assert_eq!(
        app.get("/v1/repositories/alice/app/tags/latest")
            .send()
            .sj(),
        (200, json!(IMG))
    );
    assert_eq!(
        app.get("/v1/repositories/alice/hidden/tags/latest")
            .as_user("reader")
            .send()
            .sj(),
        (200, json!(IMG))
    );
    let r = app.get("/v1/repositories/alice/app/tags/nope").send();
    assert_eq!(r.sj(), (404, json!({"error": "no such tag"})));
}

#[test]
fn put_tag_points_it_at_an_image_of_the_repository() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Write);
    app.put("/v1/repositories/alice/app/images")
        .token(&t)
        .json(&json!([{"id": IMG2}]))
        .send();
    let r = app
        .put("/v1/repositories/alice/app/tags/v2")
        .token(&t)
        .json(&json!(IMG2))
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    let r = app
        .put("/v1/repositories/alice/app/tags/latest")
        .token(&t)
        .json(&json!(IMG2))
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    let r = app.get("/v1/repositories/alice/app/tags").token(&t).send();
    assert_eq!(r.sj(), (200, json!({"latest": IMG2, "v2": IMG2})));
}

#[test]
fn put_tag_refuses_a_foreign_image_and_bad_input() {
    let app = world();
    let cases = [
        (
            "v2",
            json!(IMG3),
            json!({"error": "the image does not belong to this repository"}),
        ),
        (
            "v2",
            json!("nothex"),
            json!({"error": "image ids are 64 lowercase hex digits"}),
        ),
        (
            ".bad",
            json!(IMG),
            json!({"error": "tags are 1 to 128 characters of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-'"}),
        ),
    ];
    for (tag, body, error) in cases {
        let r = app
            .put(&format!("/v1/repositories/alice/app/tags/{tag}"))
            .as_user("alice")
            .json(&body)
            .send();
        assert_eq!(r.sj(), (400, error), "{tag} {body}");
    }
    for body in [json!({"id": IMG}), json!([IMG]), json!(5)] {
        let r = app
            .put("/v1/repositories/alice/app/tags/v2")
            .as_user("alice")
            .json(&body)
            .send();
        assert_eq!(r.status, 400, "{body}");
    }
}

#[test]
fn put_tag_needs_write() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Read);
    let r = app
        .put("/v1/repositories/alice/app/tags/v2")
        .token(&t)
        .json(&json!(IMG))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    let r = app
        .put("/v1/repositories/alice/app/tags/v2")
        .as_user("bob")
        .json(&json!(IMG))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
}

#[test]
fn delete_tag_removes_it() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Write);
    let r = app
        .delete("/v1/repositories/alice/app/tags/latest")
        .token(&t)
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    assert_eq!(
        app.get("/v1/repositories/alice/app/tags")
            .token(&t)
            .send()
            .sj(),
        (200, json!({}))
    );
    let r = app
        .delete("/v1/repositories/alice/app/tags/latest")
        .token(&t)
        .send();
    assert_eq!(r.sj(), (404, json!({"error": "no such tag"})));
    let r = app
        .delete("/v1/repositories/acme/secret/tags/latest")
        .as_user("reader")
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
}

// ---------------------------------------------------------------- private repositories

#[test]
fn private_repositories_are_invisible_on_every_index_route() {
    let app = world();
    assert_invisible(&app, "GET images", |p, who| {
        as_who(app.get(&format!("/v1/repositories/{p}/images")), who)
    });
    assert_invisible(&app, "GET images + X-Docker-Token", |p, who| {
        as_who(app.get(&format!("/v1/repositories/{p}/images")), who).docker_token()
    });
    assert_invisible(&app, "PUT images", |p, who| {
        as_who(app.put(&format!("/v1/repositories/{p}/images")), who).json(&json!([{"id": IMG2}]))
    });
    assert_invisible(&app, "PUT repository", |p, who| {
        as_who(app.put(&format!("/v1/repositories/{p}")), who)
            .docker_token()
            .json(&json!([{"id": IMG2}]))
    });
    assert_invisible(&app, "DELETE repository (index)", |p, who| {
        as_who(app.delete(&format!("/v1/repositories/{p}")), who).docker_token()
    });
    assert_invisible(&app, "GET tag", |p, who| {
        as_who(app.get(&format!("/v1/repositories/{p}/tags/latest")), who)
    });
    assert_invisible(&app, "PUT tag", |p, who| {
        as_who(app.put(&format!("/v1/repositories/{p}/tags/v9")), who).json(&json!(IMG))
    });
    assert_invisible(&app, "DELETE tag", |p, who| {
        as_who(
            app.delete(&format!("/v1/repositories/{p}/tags/latest")),
            who,
        )
    });
    assert_invisible(&app, "PUT auth", |p, _| {
        app.put(&format!("/v1/repositories/{p}/auth"))
            .token("signature=x1,repository=\"acme/secret\",access=read")
    });
    assert_invisible(&app, "PUT star", |p, who| {
        as_who(app.put(&format!("/v1/repositories/{p}/star")), who)
    });
    assert_invisible(&app, "DELETE star", |p, who| {
        as_who(app.delete(&format!("/v1/repositories/{p}/star")), who)
    });
    // Nothing was changed by any of it.
    assert_eq!(image_ids(&app, "acme/secret"), vec![IMG.to_owned()]);
    assert_eq!(repo(&app, "acme/secret").unwrap().star_count, 0);
}

#[test]
fn private_repositories_are_invisible_to_a_token_of_another_repository() {
    let app = world();
    let t = token(&app, "bob", "bob/x", Access::Read);
    let private = app
        .get("/v1/repositories/acme/secret/tags")
        .token(&t)
        .send();
    let missing = app
        .get("/v1/repositories/acme/nothing/tags")
        .token(&t)
        .send();
    assert_eq!(answer(&private), answer(&missing));
    assert_eq!(private.sj(), (404, json!({"error": "no such repository"})));
}

#[test]
fn a_read_only_collaborator_reads_a_private_repository_but_cannot_write() {
    let app = world();
    let r = app
        .get("/v1/repositories/acme/secret/images")
        .as_user("reader")
        .docker_token()
        .send();
    assert_eq!(r.sj(), (200, json!([{"id": IMG, "checksum": SUM}])));
    assert_token_headers(&app, &r, "acme/secret", "read");
    let r = app
        .put("/v1/repositories/acme/secret/images")
        .as_user("reader")
        .json(&json!([{"id": IMG2}]))
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
}

// ---------------------------------------------------------------- search

fn search_world() -> TestApp {
    let app = world();
    let conn = app.conn();
    let alice = berth::store::accounts::by_name(&conn, "alice")
        .unwrap()
        .unwrap();
    for (name, short, long) in [
        ("nginx", "A web server", "Fast."),
        ("webapp", "Shop front", "Runs behind nginx."),
        ("redis", "Key value store", ""),
    ] {
        berth::store::repos::insert(
            &conn,
            &alice,
            &berth::store::repos::NewRepository {
                name,
                short_description: short,
                long_description: long,
                long_description_html: "",
                is_public: true,
            },
        )
        .unwrap();
    }
    drop(conn);
    app.put("/v1/repositories/ubuntu")
        .admin()
        .json(&json!([{"id": IMG}]))
        .send();
    app
}

fn result(name: &str, description: &str, official: bool, public: bool) -> serde_json::Value {
    json!({"name": name, "description": description, "star_count": 0, "is_official": official,
           "is_automated": false, "is_public": public})
}

#[test]
fn search_without_q_lists_everything_visible_by_name() {
    let app = search_world();
    let r = app.get("/v1/search").send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"query": "", "num_results": 5, "num_pages": 1, "page": 1, "page_size": 25, "results": [
                result("alice/app", "app short", false, true),
                result("alice/nginx", "A web server", false, true),
                result("alice/redis", "Key value store", false, true),
                result("alice/webapp", "Shop front", false, true),
                result("library/ubuntu", "", true, true),
            ]})
        )
    );
}

#[test]
fn search_ranks_name_matches_above_description_matches() {
    let app = search_world();
    let r = app.get("/v1/search?q=nginx").send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"query": "nginx", "num_results": 2, "num_pages": 1, "page": 1, "page_size": 25, "results": [
                result("alice/nginx", "A web server", false, true),
                result("alice/webapp", "Shop front", false, true),
            ]})
        )
    );
}

#[test]
fn search_matches_namespace_name_and_descriptions_by_prefix() {
    let app = search_world();
    let names = |q: &str| -> Vec<String> {
        let body = app.get(&format!("/v1/search?q={q}")).send().json();
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("library"), vec!["library/ubuntu"]);
    assert_eq!(names("ubu"), vec!["library/ubuntu"]);
    assert_eq!(names("key%20value"), vec!["alice/redis"]);
    assert_eq!(names("alice/red"), vec!["alice/redis"]);
    assert_eq!(names("zzz"), Vec::<String>::new());
}

#[test]
fn search_paginates_and_clamps_n() {
    let app = search_world();
    let r = app.get("/v1/search?n=2&page=2").send().json();
    assert_eq!(
        (
            r["num_results"].clone(),
            r["num_pages"].clone(),
            r["page"].clone(),
            r["page_size"].clone()
        ),
        (json!(5), json!(3), json!(2), json!(2))
    );
    let names: Vec<_> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("alice/redis"), json!("alice/webapp")]);
    assert_eq!(
        app.get("/v1/search?n=1000").send().json()["page_size"],
        json!(100)
    );
    assert_eq!(
        app.get("/v1/search?n=0").send().json()["page_size"],
        json!(1)
    );
    let past = app.get("/v1/search?page=9").send().json();
    assert_eq!(
        (past["page"].clone(), past["results"].clone()),
        (json!(9), json!([]))
    );
}

#[test]
fn search_refuses_non_integer_paging() {
    let app = search_world();
    for q in ["n=abc", "page=1.5"] {
        let r = app.get(&format!("/v1/search?{q}")).send();
        assert_eq!(r.status, 400, "{q}");
        assert!(r.json()["error"].is_string());
    }
}

/// Issue 18: one paging rule for the Index search and Alauda's lists: `page` below 1 is a 400
/// with the same message on both (it used to be page 1 here).
#[test]
fn search_refuses_a_page_below_1_as_alauda_does() {
    let app = search_world();
    for q in ["page=0", "page=-1"] {
        let search = app.get(&format!("/v1/search?{q}")).send();
        let alauda = app
            .get(&format!("/v1/repositories/alice?{q}"))
            .as_user("bob")
            .send();
        assert_eq!(
            search.sj(),
            (400, json!({"error": "`page` counts from 1"})),
            "{q}"
        );
        assert_eq!(alauda.sj(), search.sj(), "{q}");
    }
    assert_eq!(app.get("/v1/search?page=").send().json()["page"], json!(1));
}

#[test]
fn search_never_fails_on_fts_syntax() {
    let app = search_world();
    for q in [
        "%22",
        "AND",
        "NEAR(a",
        "a*",
        "%2A",
        "(",
        "a:b",
        "-x",
        "%00",
        "%22%22%22",
        "%E6%97%A5",
    ] {
        let r = app.get(&format!("/v1/search?q={q}")).send();
        assert_eq!(r.status, 200, "{q}: {}", r.body);
    }
}

#[test]
fn search_never_shows_private_repositories_to_outsiders() {
    let app = search_world();
    for who in OUTSIDERS {
        let r = as_who(app.get("/v1/search?q=secret"), who).send();
        assert_eq!(r.json()["num_results"], json!(0), "{who:?}");
        let all = as_who(app.get("/v1/search?n=100"), who).send().json();
        let names: Vec<_> = all["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            !names
                .iter()
                .any(|n| n == "acme/secret" || n == "alice/hidden"),
            "{who:?}: {names:?}"
        );
        assert_eq!(all["num_results"], json!(5), "{who:?}");
    }
    let r = app.get("/v1/search?q=secret").as_user("reader").send();
    assert_eq!(
        r.json()["results"],
        json!([result("acme/secret", "secret short", false, false)])
    );
    assert_eq!(
        app.get("/v1/search").admin().send().json()["num_results"],
        json!(7)
    );
}

#[test]
fn search_treats_an_access_token_as_anonymous() {
    let app = search_world();
    let t = token(&app, "alice", "alice/hidden", Access::Read);
    let r = app.get("/v1/search?q=hidden").token(&t).send();
    assert_eq!(r.json()["num_results"], json!(0));
}

// ---------------------------------------------------------------- stars

#[test]
fn a_user_stars_a_repository_once() {
    let app = world();
    for _ in 0..2 {
        let r = app
            .put("/v1/repositories/alice/app/star")
            .as_user("bob")
            .send();
        assert_eq!(r.sj(), (200, json!("")));
        assert_eq!(repo(&app, "alice/app").unwrap().star_count, 1);
    }
    app.put("/v1/repositories/alice/app/star/")
        .as_user("alice")
        .send();
    assert_eq!(repo(&app, "alice/app").unwrap().star_count, 2);
    let r = app.get("/v1/search?q=app").send().json();
    assert_eq!(r["results"][0]["star_count"], json!(2));
}

#[test]
fn unstarring_is_idempotent() {
    let app = world();
    app.put("/v1/repositories/alice/app/star")
        .as_user("bob")
        .send();
    for _ in 0..2 {
        let r = app
            .delete("/v1/repositories/alice/app/star")
            .as_user("bob")
            .send();
        assert_eq!((r.status, r.body.as_str()), (204, ""));
        assert_eq!(repo(&app, "alice/app").unwrap().star_count, 0);
    }
}

#[test]
fn starring_needs_credentials() {
    let app = world();
    for r in [
        app.put("/v1/repositories/alice/app/star").send(),
        app.delete("/v1/repositories/alice/app/star").send(),
    ] {
        assert_eq!(r.sj(), (401, json!({"error": "authentication required"})));
    }
}

#[test]
fn a_collaborator_may_star_a_private_repository() {
    let app = world();
    assert_eq!(
        app.put("/v1/repositories/acme/secret/star")
            .as_user("reader")
            .send()
            .status,
        200
    );
    assert_eq!(repo(&app, "acme/secret").unwrap().star_count, 1);
}

/// Issue 18: an anonymous push-create (no credentials at all) is 401 with the Basic
/// challenge, which makes an old client ask for a login, and not a 403 that ends its push.
/// The answer is the same for a free name, a public and a private repository.
#[test]
fn an_anonymous_push_asks_for_a_login() {
    let app = world();
    let mut answers = Vec::new();
    for path in [
        "/v1/repositories/alice/new-one",
        "/v1/repositories/alice/app",
        "/v1/repositories/alice/hidden",
        "/v1/repositories/plain",
    ] {
        let r = app
            .put(path)
            .header("X-Docker-Token", "true")
            .json(&json!([{"id": IMG}]))
            .send();
        assert_eq!(
            r.sj(),
            (401, json!({"error": "authentication required"})),
            "{path}"
        );
        assert!(r.header("www-authenticate").is_some(), "{path}");
        answers.push(r.stable_headers());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    // Nothing was created.
    assert_eq!(
        app.get("/v1/repositories/alice/new-one")
            .admin()
            .send()
            .status,
        404
    );
}
