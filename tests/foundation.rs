//! The foundation over HTTP: health, credentials, throttling, the credential cache, error
//! envelopes and framework errors.

mod common;

use common::*;
use serde_json::json;

#[test]
fn healthz_answers_ok() {
    let app = TestApp::start();
    let r = app.get("/healthz").send();
    assert_eq!(r.sj(), (200, json!({"status": "ok"})));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn login_check_accepts_the_admin() {
    let app = TestApp::start();
    let r = app.get("/v1/users").admin().send();
    assert_eq!(r.sj(), (200, json!("OK")));
    assert_eq!(r.header("content-type"), Some("application/json"));
    // A final slash is optional.
    assert_eq!(
        app.get("/v1/users/").admin().send().sj(),
        (200, json!("OK"))
    );
}

#[test]
fn login_check_refuses_a_wrong_password_with_json() {
    let app = TestApp::start();
    let r = app.get("/v1/users").basic(ADMIN, "wrong-password").send();
    assert_eq!(
        r.sj(),
        (401, json!({"error": "invalid username or password"}))
    );
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"berth\""));
}

#[test]
fn login_check_refuses_an_unknown_user_like_a_wrong_password() {
    let app = TestApp::start();
    let unknown = app.get("/v1/users").basic("nobody", "whatever-pw").send();
    let wrong = app.get("/v1/users").basic(ADMIN, "whatever-pw").send();
    assert_eq!(unknown.sj(), wrong.sj());
}

#[test]
fn login_check_needs_credentials() {
    let app = TestApp::start();
    let r = app.get("/v1/users").send();
    assert_eq!(r.sj(), (401, json!({"error": "authentication required"})));
}

#[test]
fn malformed_authorization_is_401() {
    let app = TestApp::start();
    for h in ["Basic !!!", "Bearer abc", "Token "] {
        let r = app.get("/v1/users").header("Authorization", h).send();
        assert_eq!(r.status, 401, "{h}");
        assert!(r.json()["error"].is_string(), "{h}");
    }
}

#[test]
fn inactive_user_is_forbidden() {
    let app = TestApp::start();
    let u = app.user("sleepy");
    berth::store::accounts::set_active(&app.conn(), u.id, false).unwrap();
    let r = app.get("/v1/users").as_user("sleepy").send();
    assert_eq!(r.sj(), (403, json!("Account is not Active")));
    // The wrong password does not reveal that the account is inactive.
    let r = app
        .get("/v1/users")
        .basic("sleepy", "wrong-password")
        .send();
    assert_eq!(r.status, 401);
}

#[test]
fn repeated_failures_are_throttled_without_revealing_the_password() {
    let app = TestApp::start_with(|c| c.login_max_failures = 3);
    app.user("target");
    app.user("bystander");
    for _ in 0..3 {
        assert_eq!(
            app.get("/v1/users")
                .basic("target", "bad-password")
                .send()
                .status,
            401
        );
    }
    let wrong = app.get("/v1/users").basic("target", "bad-password").send();
    let right = app.get("/v1/users").as_user("target").send();
    assert_eq!(wrong.status, 429);
    let retry: u64 = wrong
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // While locked out, the right password gets the very same answer as a wrong one.
    assert_eq!(right.sj(), wrong.sj());
    assert!(right.header("retry-after").is_some());
    assert_eq!(
        right.json(),
        json!({"error": "too many failed login attempts; try again later"})
    );
    // Other accounts are not affected.
    assert_eq!(app.get("/v1/users").as_user("bystander").send().status, 200);
}

#[test]
fn a_success_resets_the_failure_count() {
    let app = TestApp::start_with(|c| c.login_max_failures = 3);
    app.user("forgetful");
    for _ in 0..2 {
        assert_eq!(
            app.get("/v1/users")
                .basic("forgetful", "bad-password")
                .send()
                .status,
            401
        );
    }
    assert_eq!(app.get("/v1/users").as_user("forgetful").send().status, 200);
    for _ in 0..2 {
        assert_eq!(
            app.get("/v1/users")
                .basic("forgetful", "bad-password")
                .send()
                .status,
            401
        );
    }
    assert_eq!(app.get("/v1/users").as_user("forgetful").send().status, 200);
}

#[test]
fn a_thousand_requests_with_one_credential_run_bcrypt_at_most_once() {
    let app = TestApp::start();
    app.user("busy");
    let before = app.bcrypt_runs();
    for _ in 0..1000 {
        assert_eq!(app.get("/v1/users").as_user("busy").send().status, 200);
    }
    assert!(
        app.bcrypt_runs() - before <= 1,
        "bcrypt ran {} times",
        app.bcrypt_runs() - before
    );
}

#[test]
fn a_password_change_makes_the_old_password_fail_at_once() {
    let app = TestApp::start();
    app.user("mover");
    assert_eq!(app.get("/v1/users").as_user("mover").send().status, 200); // now cached
    let r = app
        .post("/api/v0/accounts/mover/changePassword")
        .admin()
        .json(&json!({"newPassword": "brand-new-password"}))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.get("/v1/users").as_user("mover").send().status, 401);
    assert_eq!(
        app.get("/v1/users")
            .basic("mover", "brand-new-password")
            .send()
            .status,
        200
    );
}

#[test]
fn deactivation_takes_effect_at_once_despite_the_cache() {
    let app = TestApp::start();
    let u = app.user("leaver");
    assert_eq!(app.get("/v1/users").as_user("leaver").send().status, 200);
    berth::store::accounts::set_active(&app.conn(), u.id, false).unwrap();
    app.state.auth.forget_user(u.id);
    assert_eq!(app.get("/v1/users").as_user("leaver").send().status, 403);
}

#[test]
fn api_keys_work_as_basic_secret_and_as_token() {
    let app = TestApp::start();
    let u = app.user("scripter");
    app.user("someone-else");
    let (record, key) = berth::core::accounts::create_api_key(&app.conn(), u.id, "ci").unwrap();
    assert!(key.starts_with(&record.prefix));
    assert_eq!(
        app.get("/v1/users").basic("scripter", &key).send().sj(),
        (200, json!("OK"))
    );
    assert_eq!(
        app.get("/v1/users")
            .header("Authorization", &format!("Token {key}"))
            .send()
            .sj(),
        (200, json!("OK"))
    );
    // Another user's name with this key is refused.
    assert_eq!(
        app.get("/v1/users")
            .basic("someone-else", &key)
            .send()
            .status,
        401
    );
    // A revoked key stops working at once.
    let removed = actix_web::rt::System::new()
        .block_on(
            app.state
                .auth
                .revoke_api_key(&app.state.store, u.id, record.id),
        )
        .unwrap();
    assert!(removed);
    assert_eq!(
        app.get("/v1/users").basic("scripter", &key).send().status,
        401
    );
    assert_eq!(
        app.get("/v1/users")
            .header("Authorization", &format!("Token {key}"))
            .send()
            .status,
        401
    );
}

#[test]
fn unknown_routes_answer_in_the_dialect_of_their_path() {
    let app = TestApp::start();
    assert_eq!(
        // Other top-level paths are web UI pages (HTML 404, tests/web.rs).
        app.get("/api/nope").send().sj(),
        (404, json!({"error": "not found"}))
    );
    assert_eq!(
        app.get("/api/v0/nope").send().sj(),
        (
            404,
            json!({"errors": [{"code": "NOT_FOUND", "message": "not found"}]})
        )
    );
    assert_eq!(
        app.get("/v1/nope/nope/nope/nope").send().sj(),
        (404, json!({"error": "not found"}))
    );
    assert_eq!(
        app.get("/udr/v1api/nope").send().sj(),
        (404, json!({"error": "not found"}))
    );
    assert_eq!(
        app.get("/api/repo/v1/nope/x/y/z/w").send().sj(),
        (404, json!({"error": "not found"}))
    );
}

#[test]
fn wrong_methods_answer_405_in_the_envelope() {
    let app = TestApp::start();
    assert_eq!(
        app.delete("/v1/users").send().sj(),
        (405, json!({"error": "method not allowed"}))
    );
    assert_eq!(
        app.post("/healthz").send().sj(),
        (405, json!({"error": "method not allowed"}))
    );
}

#[test]
fn bad_json_is_400_in_the_envelope() {
    let app = TestApp::start();
    let r = app.post("/v1/users").body("{not json").send();
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON body"),
        "{}",
        r.body
    );
    // The wrong shape (an array, a missing field, a wrong type) too.
    for body in [
        json!([]),
        json!({"username": "x"}),
        json!({"username": 1, "password": "p", "email": "e"}),
    ] {
        let r = app.post("/v1/users").json(&body).send();
        assert_eq!(r.status, 400, "{body}");
        assert!(r.json()["error"].is_string());
    }
}

#[test]
fn bodies_over_one_mebibyte_are_413() {
    let app = TestApp::start();
    let huge = format!("{{\"username\":\"{}\"}}", "a".repeat(1 << 20));
    let r = app.post("/v1/users").body(&huge).send();
    assert_eq!(
        r.sj(),
        (413, json!({"error": "request body is larger than 1 MiB"}))
    );
}

#[test]
fn index_registration_creates_an_inactive_user_by_default() {
    let app = TestApp::start();
    let body = json!({"username": "newbie", "password": "toto4242", "email": "sam@docker.com"});
    assert_eq!(
        app.post("/v1/users/").json(&body).send().sj(),
        (201, json!("User Created"))
    );
    // Registration waits for approval: the account exists but is not active yet.
    assert_eq!(
        app.get("/v1/users").basic("newbie", "toto4242").send().sj(),
        (403, json!("Account is not Active"))
    );
}

#[test]
fn index_registration_of_a_taken_name_or_email_gives_the_exact_string() {
    let app = TestApp::start();
    app.user("taken");
    for body in [
        json!({"username": "taken", "password": "toto4242", "email": "fresh@x.io"}),
        json!({"username": "fresh", "password": "toto4242", "email": "taken@example.com"}),
        json!({"username": "fresh", "password": "toto4242", "email": "TAKEN@example.com"}),
    ] {
        let r = app.post("/v1/users").json(&body).send();
        assert_eq!(
            r.sj(),
            (400, json!("Username or email already exists")),
            "{body}"
        );
    }
}

#[test]
fn index_registration_validates_fields() {
    let app = TestApp::start();
    for (body, message) in [
        (json!({"username": "Bad Name", "password": "toto4242", "email": "a@b.c"}),
         "account names are 2 to 64 characters of a-z and 0-9, separated by single '.', '_' or '-'"),
        (json!({"username": "healthz", "password": "toto4242", "email": "a@b.c"}), "this account name is reserved"),
        (json!({"username": "okname", "password": "short", "email": "a@b.c"}), "passwords are at least 6 characters"),
        (json!({"username": "okname", "password": "toto4242", "email": "nope"}), "invalid email address"),
    ] {
        assert_eq!(app.post("/v1/users").json(&body).send().sj(), (400, json!({"error": message})), "{body}");
    }
}

/// Issue 18: the seed's own requests, as written (`toto42`, six characters), register and
/// change a password; an old client that registers an existing user (with whatever
/// password, even one too short) hears "exists" first, its cue to log in instead.
#[test]
fn the_index_seeds_registration_and_profile_examples_replay() {
    let app = TestApp::start();
    berth::store::settings::set(&app.conn(), "registration", "open").unwrap();
    let seed = json!({"email": "sam@docker.com", "password": "toto42", "username": "foobar"});
    assert_eq!(
        app.post("/v1/users/").json(&seed).send().sj(),
        (201, json!("User Created"))
    );
    assert_eq!(
        app.get("/v1/users").basic("foobar", "toto42").send().sj(),
        (200, json!("OK"))
    );
    let r = app
        .put("/v1/users/foobar/")
        .basic("foobar", "toto42")
        .json(&json!({"email": "sam@docker.com", "password": "toto42"}))
        .send();
    assert_eq!(r.status, 204, "{r:?}");
    // Registering again, as old clients do before logging in: "exists" comes before any
    // judgement of the fields, whatever they are.
    for body in [
        seed.clone(),
        json!({"email": "sam@docker.com", "password": "x", "username": "foobar"}),
        json!({"email": "not-an-email", "password": "toto42", "username": "foobar"}),
        json!({"email": "SAM@docker.com", "password": "x", "username": "other"}),
    ] {
        assert_eq!(
            app.post("/v1/users/").json(&body).send().sj(),
            (400, json!("Username or email already exists")),
            "{body}"
        );
    }
    // Other dialects keep 8 characters.
    let r = app
        .post("/api/v0/accounts")
        .json(&json!({"type": "user", "name": "dtruser", "password": "toto42"}))
        .send();
    assert_eq!(r.status, 400, "{r:?}");
}

#[test]
fn index_registration_follows_the_site_setting() {
    let app = TestApp::start();
    let body =
        |n: &str| json!({"username": n, "password": "toto4242", "email": format!("{n}@x.io")});
    berth::store::settings::set(&app.conn(), "registration", "open").unwrap();
    assert_eq!(
        app.post("/v1/users").json(&body("opener")).send().status,
        201
    );
    assert_eq!(
        app.get("/v1/users").basic("opener", "toto4242").send().sj(),
        (200, json!("OK"))
    );

    berth::store::settings::set(&app.conn(), "registration", "closed").unwrap();
    let r = app.post("/v1/users").json(&body("closer")).send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "registration is closed on this site"}))
    );
    // Closed means one answer for taken and free names and emails alike: nothing tells a
    // stranger who has an account here (issue 12, finding 7).
    let taken_name = json!({"username": "opener", "password": "toto4242", "email": "other@x.io"});
    let taken_email = json!({"username": "fresh", "password": "toto4242", "email": "opener@x.io"});
    for body in [&taken_name, &taken_email] {
        let r = app.post("/v1/users").json(body).send();
        assert_eq!(
            r.sj(),
            (403, json!({"error": "registration is closed on this site"}))
        );
        assert_eq!(
            r.stable_headers(),
            app.post("/v1/users")
                .json(
                    &json!({"username": "closer", "password": "toto4242", "email": "closer@x.io"})
                )
                .send()
                .stable_headers()
        );
    }
    // Site admins may still create users.
    assert_eq!(
        app.post("/v1/users")
            .admin()
            .json(&body("closer"))
            .send()
            .status,
        201
    );
    assert_eq!(
        app.get("/v1/users")
            .basic("closer", "toto4242")
            .send()
            .status,
        200
    );
}
