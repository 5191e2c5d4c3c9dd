//! Regressions for weaknesses found in review, across dialects: what a stolen API key or
//! access token must not be able to do, and bodies that must not be misread.

mod common;

use common::*;
use serde_json::json;

fn api_key(app: &TestApp, user: &str) -> String {
    let account = berth::store::accounts::by_name(&app.conn(), user)
        .unwrap()
        .unwrap();
    berth::core::accounts::create_api_key(&app.conn(), account.id, "test")
        .unwrap()
        .1
}

const IMAGE: &str = "9e89cc6f0bc3c38722009fe6857087b486531f9a779a0c17e3ed29dae8f12c4f";

/// Create-and-push `alice/app` through the Index, asking for a token: the write token.
fn push_with_token(app: &TestApp) -> String {
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .header("X-Docker-Token", "true")
        .json(&json!([{"id": IMAGE}]))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r
        .header("x-docker-token")
        .expect("a write token")
        .to_owned();
    assert!(token.contains("access=write"), "{token}");
    token
}

/// The Index access token `token` (for `alice/app`) no longer authenticates.
fn assert_token_is_dead(app: &TestApp, token: &str, why: &str) {
    let r = app
        .put("/v1/repositories/alice/app/auth")
        .header("Authorization", &format!("Token {token}"))
        .send();
    assert_eq!(
        r.sj(),
        (
            403,
            json!({"error": "invalid, expired or foreign access token"})
        ),
        "{why}"
    );
}

#[test]
fn an_api_key_cannot_change_its_users_password_on_the_index() {
    let app = TestApp::start();
    app.user("alice");
    let key = api_key(&app, "alice");
    let body = json!({"password": "taken-over-pw"});
    let expected = (
        403,
        json!({"error": "changing a password needs the password itself as the credential, not an API key or token"}),
    );
    assert_eq!(
        app.put("/v1/users/alice")
            .basic("alice", &key)
            .json(&body)
            .send()
            .sj(),
        expected
    );
    assert_eq!(
        app.put("/v1/users/alice")
            .header("Authorization", &format!("Token {key}"))
            .json(&body)
            .send()
            .sj(),
        expected
    );
    // The password still works and the new one does not.
    assert_eq!(app.get("/v1/users").as_user("alice").send().status, 200);
    assert_eq!(
        app.get("/v1/users")
            .basic("alice", "taken-over-pw")
            .send()
            .status,
        401
    );
    // With the password itself as the credential, the change goes through.
    let r = app
        .put("/v1/users/alice")
        .as_user("alice")
        .json(&body)
        .send();
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        app.get("/v1/users")
            .basic("alice", "taken-over-pw")
            .send()
            .status,
        200
    );
}

#[test]
fn an_api_key_can_still_add_an_email() {
    let app = TestApp::start();
    app.user("alice");
    let key = api_key(&app, "alice");
    let r = app
        .put("/v1/users/alice")
        .basic("alice", &key)
        .json(&json!({"email": "second@example.com"}))
        .send();
    assert_eq!(r.status, 204, "{}", r.body);
    let id = berth::store::accounts::by_name(&app.conn(), "alice")
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(
        berth::store::accounts::emails(&app.conn(), id).unwrap(),
        vec![
            "alice@example.com".to_owned(),
            "second@example.com".to_owned()
        ]
    );
}

#[test]
fn an_api_key_cannot_mint_api_keys() {
    let app = TestApp::start();
    app.user("alice");
    let key = api_key(&app, "alice");
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": "alice", "password": key}))
        .send();
    assert_eq!(
        r.sj(),
        (401, json!({"error": "invalid username or password"}))
    );
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn an_access_token_does_not_renew_itself() {
    let app = TestApp::start();
    app.user("alice");
    let token = push_with_token(&app);
    let r = app
        .get("/v1/repositories/alice/app/images")
        .header("Authorization", &format!("Token {token}"))
        .header("X-Docker-Token", "true")
        .send();
    assert_eq!(r.sj(), (200, json!([{"id": IMAGE, "checksum": null}])));
    assert_eq!(r.header("x-docker-token"), None);
    assert_eq!(r.header("www-authenticate"), None);
}

#[test]
fn a_password_change_ends_the_users_access_tokens() {
    let app = TestApp::start();
    app.user("alice");
    let token = push_with_token(&app);
    let r = app
        .put("/v1/users/alice")
        .as_user("alice")
        .json(&json!({"password": "a-brand-new-pw"}))
        .send();
    assert_eq!(r.status, 204, "{}", r.body);
    assert_token_is_dead(&app, &token, "the token outlived the change");
}

#[test]
fn the_dtr_old_password_check_is_throttled() {
    let app = TestApp::start_with(|c| c.login_max_failures = 3);
    app.user("alice");
    let guess = json!({"oldPassword": "a-wrong-guess", "newPassword": "whatever-new"});
    for _ in 0..3 {
        let r = app
            .post("/api/v0/accounts/alice/changePassword")
            .as_user("alice")
            .json(&guess)
            .send();
        assert_eq!(
            r.sj(),
            (
                400,
                json!({"errors": [{"code": "INVALID_OLD_PASSWORD", "message": "oldPassword is not the current password"}]})
            )
        );
    }
    let right = json!({"oldPassword": PASSWORD, "newPassword": "whatever-new"});
    let r = app
        .post("/api/v0/accounts/alice/changePassword")
        .as_user("alice")
        .json(&right)
        .send();
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
}

/// Issue 12, finding 2: a key (or token) never changes a password, whoever's key it is and
/// whoever's password, on every dialect that changes passwords.
#[test]
fn no_key_changes_a_password_not_even_an_admins() {
    let app = TestApp::start();
    app.user("alice");
    let admin_key = api_key(&app, ADMIN);
    let alice_key = api_key(&app, "alice");
    let denied = |r: Resp, envelope: serde_json::Value| {
        assert_eq!(r.sj(), (403, envelope));
    };
    let dtr_denied = json!({"errors": [{"code": "PASSWORD_REQUIRED", "message": "changing a password needs the password itself as the credential, not an API key or token"}]});
    let index_denied = json!({"error": "changing a password needs the password itself as the credential, not an API key or token"});
    for (user, key, target) in [
        (ADMIN, &admin_key, ADMIN),
        (ADMIN, &admin_key, "alice"),
        ("alice", &alice_key, "alice"),
    ] {
        let dtr = format!("/api/v0/accounts/{target}/changePassword");
        let body = json!({"oldPassword": if target == ADMIN { ADMIN_PASSWORD } else { PASSWORD }, "newPassword": "taken-over-pw"});
        denied(
            app.post(&dtr).basic(user, key).json(&body).send(),
            dtr_denied.clone(),
        );
        denied(
            app.post(&dtr)
                .header("Authorization", &format!("Token {key}"))
                .json(&body)
                .send(),
            dtr_denied.clone(),
        );
        let index = format!("/v1/users/{target}/");
        let body = json!({"password": "taken-over-pw"});
        denied(
            app.put(&index).basic(user, key).json(&body).send(),
            index_denied.clone(),
        );
        denied(
            app.put(&index)
                .header("Authorization", &format!("Token {key}"))
                .json(&body)
                .send(),
            index_denied.clone(),
        );
    }
    // Nothing changed: the old passwords work, the new one does not.
    assert_eq!(app.get("/v1/users").admin().send().status, 200);
    assert_eq!(app.get("/v1/users").as_user("alice").send().status, 200);
    for user in [ADMIN, "alice"] {
        let r = app.get("/v1/users").basic(user, "taken-over-pw").send();
        assert_eq!(r.status, 401, "{user}");
    }
    // The admin's password itself still changes another user's password.
    let r = app
        .post("/api/v0/accounts/alice/changePassword")
        .admin()
        .json(&json!({"newPassword": "set-by-the-admin"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get("/v1/users")
            .basic("alice", "set-by-the-admin")
            .send()
            .status,
        200
    );
}

/// Issue 12, finding 8: a password reset, a password change and a deactivation end every
/// web session and Index access token of the account (API keys stay: the user revokes them).
#[test]
fn a_password_change_or_deactivation_ends_tokens_and_sessions() {
    let app = TestApp::start();
    app.user("alice");
    let key = api_key(&app, "alice");
    // A change through the DTR, then a deactivation through the DTR.
    let token = push_with_token(&app);
    let r = app
        .post("/api/v0/accounts/alice/changePassword")
        .admin()
        .json(&json!({"newPassword": "a-fresh-password"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_token_is_dead(&app, &token, "a token from before the change still works");
    assert_eq!(app.get("/v1/users").basic("alice", &key).send().status, 200);

    let r = app
        .post("/api/v0/accounts/alice/changePassword")
        .admin()
        .json(&json!({"newPassword": PASSWORD}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    let token = push_with_token(&app);
    let r = app.put("/api/v0/accounts/alice/deactivate").admin().send();
    assert_eq!(r.status, 200, "{}", r.body);
    let tokens: i64 = app
        .conn()
        .query_row(
            "SELECT count(*) FROM access_tokens t JOIN accounts a ON a.id = t.user_id WHERE a.name = 'alice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tokens, 0, "deactivation left access tokens");
    let r = app.put("/api/v0/accounts/alice/activate").admin().send();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_token_is_dead(&app, &token, "a token from before the deactivation works");
}

/// Issue 12: concurrent first requests with one new credential wait for one bcrypt.
#[test]
fn concurrent_first_requests_with_one_credential_run_bcrypt_once() {
    let app = TestApp::start();
    app.user("crowd");
    let before = app.bcrypt_runs();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..24)
            .map(|_| s.spawn(|| app.get("/v1/users").as_user("crowd").send().status))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 200);
        }
    });
    assert_eq!(app.bcrypt_runs() - before, 1);
}

#[test]
fn dtr_bodies_must_be_objects() {
    let app = TestApp::start();
    app.user("alice");
    app.user("bob");
    app.repo("alice", "app", false);
    let r = app
        .put("/api/v0/repositories/alice/app/userAccess/bob")
        .as_user("alice")
        .json(&json!(["admin"]))
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            json!({"errors": [{"code": "INVALID_JSON", "message": "invalid JSON body: invalid type: sequence, expected a map at line 1 column 0"}]})
        )
    );
    let r = app
        .post("/api/v0/accounts")
        .json(&json!(["user", "mallory", "password-123"]))
        .send();
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        app.get("/api/v0/accounts/mallory").admin().send().status,
        404
    );
}

#[test]
fn json_errors_never_echo_submitted_values() {
    let app = TestApp::start();
    let r = app
        .post("/v1/users")
        .json(&json!({"username": "newbie", "password": 987654321, "email": "n@x.io"}))
        .send();
    assert_eq!(r.status, 400);
    assert!(!r.body.contains("987654321"), "{}", r.body);
    let r = app
        .post("/api/v0/accounts")
        .json(&json!({"type": "user", "name": "newbie", "password": 987654321}))
        .send();
    assert_eq!(r.status, 400);
    assert!(!r.body.contains("987654321"), "{}", r.body);
}

#[test]
fn repeated_token_logins_keep_only_the_newest_keys() {
    let app = TestApp::start();
    app.user("alice");
    let login = || {
        let r = app
            .post("/v1/generate-api-token")
            .json(&json!({"username": "alice", "password": PASSWORD}))
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["token"].as_str().unwrap().to_owned()
    };
    let tokens: Vec<String> = (0..7).map(|_| login()).collect();
    let works = |t: &str| {
        app.get("/v1/users")
            .header("Authorization", &format!("Token {t}"))
            .send()
            .status
    };
    assert_eq!(works(&tokens[0]), 401, "the oldest login keys are gone");
    assert_eq!(works(&tokens[1]), 401);
    for t in &tokens[2..] {
        assert_eq!(works(t), 200);
    }
}

#[test]
fn index_auth_without_a_token_is_403_for_a_reader_and_404_for_an_outsider() {
    let app = TestApp::start();
    app.user("alice");
    app.user("mallory");
    app.repo("alice", "secret", false);
    let r = app
        .put("/v1/repositories/alice/secret/auth")
        .as_user("alice")
        .send();
    assert_eq!(
        r.sj(),
        (
            403,
            json!({"error": "invalid, expired or foreign access token"})
        )
    );
    let outsider = app
        .put("/v1/repositories/alice/secret/auth")
        .as_user("mallory")
        .send();
    let missing = app
        .put("/v1/repositories/alice/nothing/auth")
        .as_user("mallory")
        .send();
    assert_eq!(outsider.sj(), (404, json!({"error": "no such repository"})));
    assert_eq!(outsider.sj(), missing.sj());
}

#[test]
fn a_tag_read_with_the_repositorys_token_counts_as_a_pull_of_that_tag() {
    let app = TestApp::start();
    app.user("alice");
    let token = push_with_token(&app);
    let auth = format!("Token {token}");
    let r = app
        .put("/v1/repositories/alice/app/tags/latest")
        .header("Authorization", &auth)
        .json(&json!(IMAGE))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    let pulls = || {
        let r = app
            .get("/udr/v1api/tags?repository=alice/app")
            .as_user("alice")
            .send();
        r.json()["entries"][0]["pullCount"].clone()
    };
    assert_eq!(pulls(), json!(0));
    let r = app
        .get("/v1/repositories/alice/app/tags/latest")
        .header("Authorization", &auth)
        .send();
    assert_eq!(r.sj(), (200, json!(IMAGE)));
    assert_eq!(pulls(), json!(1));
    // Reading it with Basic credentials is looking, not pulling.
    let r = app
        .get("/v1/repositories/alice/app/tags/latest")
        .as_user("alice")
        .send();
    assert_eq!(r.sj(), (200, json!(IMAGE)));
    assert_eq!(pulls(), json!(1));
}

#[test]
fn concurrent_index_pushes_that_create_one_repository_all_succeed() {
    let app = TestApp::start();
    app.user("alice");
    for round in 0..5 {
        let path = format!("/v1/repositories/alice/raced-{round}");
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let (app, path) = (&app, &path);
                    s.spawn(move || {
                        let id = format!("{i:064x}");
                        app.put(path)
                            .as_user("alice")
                            .json(&json!([{"id": id}]))
                            .send()
                            .status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(statuses, vec![200; 8], "round {round}");
        let r = app.get(&format!("{path}/images")).as_user("alice").send();
        assert_eq!(
            r.json().as_array().map(Vec::len),
            Some(8),
            "every push's image merged"
        );
    }
}
