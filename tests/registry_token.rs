//! `GET /v2/token` (API-NOTES section 10, "Authentication"; distribution's token spec): who
//! gets a token, what it grants, the answer's exact shape, and the signing key's file.
//! Tokens are decoded with the server's own key (`state.registry_tokens.verify`).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use berth::auth::bearer::{Claims, TokenKey, KEY_FILE};
use common::*;
use serde_json::{json, Value};

/// alice owns `alice/public` and `alice/private` and the organization `acme` (with
/// `acme/app`, private); bob holds read-only on `alice/ro`, read-write on `alice/rw`, admin on
/// `alice/adm`; carol is in acme's team `builders` (read-write on `acme/app` only), dave in
/// its team `leads` (admin on the whole acme namespace), erin in `readers` (read-write on the
/// acme namespace); mallory is unrelated.
fn world() -> TestApp {
    world_with(|_| {})
}

fn world_with(tweak: impl FnOnce(&mut berth::config::Config)) -> TestApp {
    let app = TestApp::start_with(tweak);
    let alice = app.user("alice");
    let bob = app.user("bob");
    let carol = app.user("carol");
    let dave = app.user("dave");
    let erin = app.user("erin");
    app.user("mallory");
    let acme = app.org("acme", &alice);
    app.repo("alice", "public", true);
    app.repo("alice", "private", false);
    let ro = app.repo("alice", "ro", false);
    let rw = app.repo("alice", "rw", false);
    let adm = app.repo("alice", "adm", false);
    let acme_app = app.repo("acme", "app", false);
    app.exec(&format!(
        "INSERT INTO repository_user_access (repository_id, user_id, level) VALUES
             ({ro}, {bob}, 'read-only'), ({rw}, {bob}, 'read-write'), ({adm}, {bob}, 'admin');
         INSERT INTO teams (org_id, name, created_at) VALUES
             ({acme}, 'builders', 0), ({acme}, 'leads', 0), ({acme}, 'readers', 0);
         INSERT INTO team_members (team_id, user_id)
             SELECT id, {carol} FROM teams WHERE org_id = {acme} AND name = 'builders';
         INSERT INTO team_members (team_id, user_id)
             SELECT id, {dave} FROM teams WHERE org_id = {acme} AND name = 'leads';
         INSERT INTO team_members (team_id, user_id)
             SELECT id, {erin} FROM teams WHERE org_id = {acme} AND name = 'readers';
         INSERT INTO repository_team_access (repository_id, team_id, level)
             SELECT {acme_app}, id, 'read-write' FROM teams WHERE org_id = {acme} AND name = 'builders';
         INSERT INTO namespace_team_access (team_id, level)
             SELECT id, 'admin' FROM teams WHERE org_id = {acme} AND name = 'leads';
         INSERT INTO namespace_team_access (team_id, level)
             SELECT id, 'read-write' FROM teams WHERE org_id = {acme} AND name = 'readers';",
        ro = ro.id,
        rw = rw.id,
        adm = adm.id,
        acme_app = acme_app.id,
        acme = acme.id,
        bob = bob.id,
        carol = carol.id,
        dave = dave.id,
        erin = erin.id,
    ));
    app
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn user_id(app: &TestApp, name: &str) -> i64 {
    berth::store::accounts::by_name(&app.conn(), name)
        .unwrap()
        .unwrap()
        .id
}

/// `/v2/token?service=...` with the given scopes, one `scope` parameter each.
fn token_path(scopes: &[&str]) -> String {
    let mut path = String::from("/v2/token?service=berth.test");
    for s in scopes {
        path.push_str("&scope=");
        path.push_str(
            &percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
    }
    path
}

/// The claims of a 200 answer's token, after checking the answer is one.
fn claims_of(app: &TestApp, r: &Resp) -> Claims {
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["token"].as_str().expect("a token").to_owned();
    app.state
        .registry_tokens
        .verify(&token, now())
        .expect("the token verifies with the server's key")
}

/// What a token grants, as `(type:name, actions)`.
fn access(claims: &Claims) -> Vec<(String, Vec<String>)> {
    claims
        .access
        .iter()
        .map(|g| (format!("{}:{}", g.kind, g.name), g.actions.clone()))
        .collect()
}

fn grant(resource: &str, actions: &[&str]) -> (String, Vec<String>) {
    (
        resource.to_owned(),
        actions.iter().map(|a| (*a).to_owned()).collect(),
    )
}

/// The grants `user` (`None`: anonymous) gets for `scopes`.
fn granted(app: &TestApp, user: Option<&str>, scopes: &[&str]) -> Vec<(String, Vec<String>)> {
    let req = app.get(&token_path(scopes));
    let req = match user {
        Some(u) if u == ADMIN => req.admin(),
        Some(u) => req.as_user(u),
        None => req,
    };
    access(&claims_of(app, &req.send()))
}

#[test]
fn the_answer_has_exactly_the_spec_fields_and_is_not_cached() {
    let app = world();
    let before = now();
    let r = app
        .get("/v2/token?service=berth.test&scope=repository:alice/public:pull&offline_token=true&client_id=docker")
        .as_user("alice")
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    // No `refresh_token`, even though `offline_token=true` asked for one.
    assert_eq!(keys, ["access_token", "expires_in", "issued_at", "token"]);
    assert_eq!(body["expires_in"], json!(300));
    assert_eq!(body["token"], body["access_token"]);
    let issued_at = body["issued_at"].as_str().unwrap();
    let parsed = chrono::DateTime::parse_from_rfc3339(issued_at).expect("RFC 3339");
    assert!(issued_at.ends_with('Z'), "{issued_at}");
    assert_eq!(
        issued_at.len(),
        "2026-01-01T00:00:00.000Z".len(),
        "{issued_at}"
    );
    assert!(
        (before..=now()).contains(&parsed.timestamp()),
        "{issued_at}"
    );
    let claims = claims_of(&app, &r);
    assert_eq!(claims.issued_at, parsed.timestamp());
    assert_eq!(claims.expires_at, claims.issued_at + 300);
    assert_eq!(claims.user_id, Some(user_id(&app, "alice")));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    // The token is good until `expires_in` has passed, and not after.
    let token = body["token"].as_str().unwrap();
    let tokens = &app.state.registry_tokens;
    assert!(tokens.verify(token, claims.issued_at + 299).is_some());
    assert!(tokens.verify(token, claims.issued_at + 300).is_none());
}

#[test]
fn anonymous_tokens_pull_public_repositories_only() {
    let app = world();
    let r = app
        .get(&token_path(&["repository:alice/public:pull,push"]))
        .send();
    let claims = claims_of(&app, &r);
    assert_eq!(claims.user_id, None);
    assert_eq!(
        access(&claims),
        [grant("repository:alice/public", &["pull"])]
    );
    assert!(claims.allows("alice/public", "pull"));
    assert!(!claims.allows("alice/public", "push"));
    // No scope at all: a token that grants nothing.
    assert!(granted(&app, None, &[]).is_empty());
}

#[test]
fn private_and_missing_repositories_get_identical_answers() {
    let app = world();
    for user in [None, Some("mallory")] {
        let ask = |name: &str| {
            let req = app.get(&token_path(&[&format!(
                "repository:{name}:pull,push,delete"
            )]));
            let req = match user {
                Some(u) => req.as_user(u),
                None => req,
            };
            req.send()
        };
        let private = ask("alice/private");
        let missing = ask("alice/missing");
        let nowhere = ask("nobody/missing");
        for r in [&private, &missing, &nowhere] {
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.stable_headers(), private.stable_headers());
            let claims = claims_of(&app, r);
            assert!(claims.access.is_empty(), "{user:?}: {:?}", claims.access);
        }
    }
}

#[test]
fn repository_grants_give_their_actions_and_no_more() {
    let app = world();
    let all = |name: &str| format!("repository:alice/{name}:pull,push,delete");
    assert_eq!(
        granted(&app, Some("bob"), &[&all("ro")]),
        [grant("repository:alice/ro", &["pull"])]
    );
    assert_eq!(
        granted(&app, Some("bob"), &[&all("rw")]),
        [grant("repository:alice/rw", &["pull", "push"])]
    );
    assert_eq!(
        granted(&app, Some("bob"), &[&all("adm")]),
        [grant("repository:alice/adm", &["pull", "push", "delete"])]
    );
    assert!(granted(&app, Some("bob"), &[&all("private")]).is_empty());
    assert_eq!(
        granted(&app, Some("bob"), &[&all("public")]),
        [grant("repository:alice/public", &["pull"])]
    );
    // The owner and site admins hold everything; only what was asked is granted.
    for user in ["alice", ADMIN] {
        assert_eq!(
            granted(&app, Some(user), &["repository:alice/private:push"]),
            [grant("repository:alice/private", &["push"])]
        );
        assert_eq!(
            granted(&app, Some(user), &["repository:alice/private:*"]),
            [grant(
                "repository:alice/private",
                &["pull", "push", "delete"]
            )]
        );
    }
}

#[test]
fn team_grants_count_on_their_repository_and_namespace() {
    let app = world();
    let ask = "repository:acme/app:pull,push,delete";
    assert_eq!(
        granted(&app, Some("carol"), &[ask]),
        [grant("repository:acme/app", &["pull", "push"])]
    );
    assert_eq!(
        granted(&app, Some("dave"), &[ask]),
        [grant("repository:acme/app", &["pull", "push", "delete"])]
    );
    assert_eq!(
        granted(&app, Some("erin"), &[ask]),
        [grant("repository:acme/app", &["pull", "push"])]
    );
    // alice is in `owners`.
    assert_eq!(
        granted(&app, Some("alice"), &[ask]),
        [grant("repository:acme/app", &["pull", "push", "delete"])]
    );
    assert!(granted(&app, Some("bob"), &[ask]).is_empty());
}

#[test]
fn a_new_repository_is_granted_to_whoever_may_create_it() {
    let app = world();
    let push = |name: &str| format!("repository:{name}:pull,push");
    // One's own namespace.
    assert_eq!(
        granted(&app, Some("bob"), &[&push("bob/new")]),
        [grant("repository:bob/new", &["pull", "push"])]
    );
    assert!(granted(&app, Some("bob"), &[&push("alice/new")]).is_empty());
    // An organization: owners and namespace admins, not namespace writers or other teams.
    for user in ["alice", "dave"] {
        assert_eq!(
            granted(&app, Some(user), &[&push("acme/new")]),
            [grant("repository:acme/new", &["pull", "push"])],
            "{user}"
        );
    }
    for user in ["carol", "erin", "mallory"] {
        assert!(
            granted(&app, Some(user), &[&push("acme/new")]).is_empty(),
            "{user}"
        );
    }
    assert!(granted(&app, None, &[&push("acme/new")]).is_empty());
    // `library` (a one-component name) is for site admins.
    assert!(granted(&app, Some("alice"), &[&push("ubuntu")]).is_empty());
    assert_eq!(
        granted(&app, Some(ADMIN), &[&push("ubuntu")]),
        [grant("repository:library/ubuntu", &["pull", "push"])]
    );
    // A name no repository could have grants nothing, even in one's own namespace.
    for bad in ["bob/New", "bob/-x", "bob/json", "bob/a/b"] {
        assert!(
            granted(&app, Some("bob"), &[&push(bad)]).is_empty(),
            "{bad}"
        );
    }
}

#[test]
fn scopes_repeat_hold_spaces_and_names_with_colons() {
    let app = world();
    // Two `scope` parameters, the first holding two entries; a name with a host and port is
    // no Berth repository; the catalog is anyone's.
    let path = format!(
        "/v2/token?scope={}&scope={}&scope={}",
        "repository:alice/public:pull%20repository:alice/rw:push",
        "repository:host:5000/alice/public:pull",
        "registry:catalog:*",
    );
    let claims = claims_of(&app, &app.get(&path).as_user("bob").send());
    assert_eq!(
        access(&claims),
        [
            grant("repository:alice/public", &["pull"]),
            grant("repository:alice/rw", &["push"]),
            grant("registry:catalog", &["*"]),
        ]
    );
    assert!(claims.allows_catalog());
    // `+` is a space in a query string too; malformed entries are skipped, not an error.
    let path = "/v2/token?scope=repository:alice/public:pull+nonsense+repository:alice/ro:pull";
    assert_eq!(
        access(&claims_of(&app, &app.get(path).as_user("bob").send())),
        [
            grant("repository:alice/public", &["pull"]),
            grant("repository:alice/ro", &["pull"]),
        ]
    );
    assert_eq!(
        granted(&app, None, &["registry:catalog:*"]),
        [grant("registry:catalog", &["*"])]
    );
}

#[test]
fn the_token_is_for_the_credential_whatever_account_says() {
    let app = world();
    let r = app
        .get("/v2/token?account=alice&scope=repository:alice/private:pull")
        .as_user("bob")
        .send();
    let claims = claims_of(&app, &r);
    assert_eq!(claims.user_id, Some(user_id(&app, "bob")));
    assert!(claims.access.is_empty());
}

#[test]
fn an_api_key_is_a_basic_secret() {
    let app = world();
    let bob = user_id(&app, "bob");
    let (_, key) = berth::core::accounts::create_api_key(&app.conn(), bob, "ci").unwrap();
    let r = app
        .get(&token_path(&["repository:alice/rw:pull,push,delete"]))
        .basic("bob", &key)
        .send();
    let claims = claims_of(&app, &r);
    assert_eq!(claims.user_id, Some(bob));
    assert_eq!(
        access(&claims),
        [grant("repository:alice/rw", &["pull", "push"])]
    );
    // Another user's name with bob's key is no credential.
    let r = app
        .get(&token_path(&["repository:alice/rw:pull"]))
        .basic("alice", &key)
        .send();
    assert_eq!(r.status, 401, "{}", r.body);
}

fn unauthorized() -> Value {
    json!({"errors": [{
        "code": "UNAUTHORIZED",
        "message": "invalid username or password",
        "detail": null,
    }]})
}

#[test]
fn a_wrong_credential_is_401_in_the_registry_envelope() {
    let app = world();
    for (user, secret) in [("bob", "wrong-password"), ("nobody", PASSWORD), ("bob", "")] {
        let r = app
            .get(&token_path(&["repository:alice/public:pull"]))
            .basic(user, secret)
            .send();
        assert_eq!(r.sj(), (401, unauthorized()), "{user}:{secret}");
        assert_eq!(
            r.header("docker-distribution-api-version"),
            Some("registry/2.0")
        );
        assert!(r.header("www-authenticate").is_some());
    }
    // A header that is no credential at all.
    let r = app
        .get("/v2/token")
        .header("Authorization", "Basic !!!")
        .send();
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["code"], json!("UNAUTHORIZED"));
}

#[test]
fn failed_logins_are_throttled_like_every_dialect() {
    let app = world_with(|c| c.login_max_failures = 2);
    let ask = || {
        app.get(&token_path(&["repository:alice/public:pull"]))
            .basic("bob", "wrong-password")
    };
    assert_eq!(ask().send().status, 401);
    assert_eq!(ask().send().status, 401);
    let r = ask().send();
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["code"], json!("TOOMANYREQUESTS"));
    assert!(r.header("retry-after").is_some());
    // Throttled even with the right password: the answer says nothing about it.
    let r = app
        .get(&token_path(&["repository:alice/public:pull"]))
        .as_user("bob")
        .send();
    assert_eq!(r.status, 429, "{}", r.body);
}

#[test]
fn an_inactive_user_gets_no_token() {
    let app = world();
    app.exec("UPDATE accounts SET is_active = 0 WHERE name = 'bob'");
    let r = app
        .get(&token_path(&["repository:alice/public:pull"]))
        .as_user("bob")
        .send();
    assert_eq!(
        r.sj(),
        (
            403,
            json!({"errors": [{
                "code": "DENIED",
                "message": "Account is not Active",
                "detail": null,
            }]})
        )
    );
}

#[test]
fn scopes_that_are_not_text_grant_nothing() {
    let app = world();
    let r = app
        .get("/v2/token?scope=repository:alice/public%FF:pull&scope=%FF%FE&scope=repository:alice/public:pull")
        .send();
    assert_eq!(
        access(&claims_of(&app, &r)),
        [grant("repository:alice/public", &["pull"])]
    );
}

#[test]
fn too_many_scopes_are_400_in_the_registry_envelope() {
    let app = world();
    let many: Vec<String> = (0..65)
        .map(|i| format!("repository:alice/r{i}:pull"))
        .collect();
    let r = app
        .get(&token_path(
            &many.iter().map(String::as_str).collect::<Vec<_>>(),
        ))
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            json!({"errors": [{
                "code": "INVALID_QUERY",
                "message": "at most 64 scopes may be asked for at once",
                "detail": null,
            }]})
        )
    );
    // Sixty-four is fine.
    let r = app
        .get(&token_path(
            &many[..64].iter().map(String::as_str).collect::<Vec<_>>(),
        ))
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The key file is made owner-only on the first start and reused after a restart, so tokens
/// issued before it still verify; no token reaches the log.
#[test]
fn the_key_file_is_private_and_survives_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let envs = [("BERTH_ADMIN_PASSWORD", ADMIN_PASSWORD)];
    let token = |base: &str| {
        let r = process::get(
            &format!("{base}/v2/token?scope=registry:catalog:*&scope=repository:ubuntu:push"),
            Some(&basic(ADMIN, ADMIN_PASSWORD)),
        )
        .expect("an answer");
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["token"].as_str().unwrap().to_owned()
    };
    let server = process::start(&data, &envs);
    let first = token(&server.base);
    let (_, log1) = process::terminate(server);
    let path = data.join(KEY_FILE);
    let key_text = fs::read_to_string(&path).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let server = process::start(&data, &envs);
    let second = token(&server.base);
    let (_, log2) = process::terminate(server);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        key_text,
        "the key was kept"
    );

    let key = TokenKey::open(&data).unwrap();
    for t in [&first, &second] {
        let claims = key.verify(t, now()).expect("verifies after a restart");
        assert!(claims.allows_catalog());
        assert!(claims.allows("library/ubuntu", "push"));
        assert!(
            !log1.contains(t.as_str()) && !log2.contains(t.as_str()),
            "a token was logged"
        );
        // Not even its signature.
        let tag = t.rsplit_once('.').unwrap().1;
        assert!(!log1.contains(tag) && !log2.contains(tag));
    }
    assert!(log1.contains("created the registry token key"), "{log1}");
    assert!(!log2.contains("created the registry token key"), "{log2}");
}

#[test]
fn an_unusable_key_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(data.join(KEY_FILE), "short\n").unwrap();
    let out = std::process::Command::new(process::BIN)
        .env("BERTH_DATA_DIR", &data)
        .env(
            "BERTH_LISTEN",
            format!("127.0.0.1:{}", process::free_port()),
        )
        .env("BERTH_BCRYPT_COST", "4")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("registry-token.key"), "{stderr}");
    assert!(stderr.contains("64 hex digits"), "{stderr}");
    assert_eq!(fs::read_to_string(data.join(KEY_FILE)).unwrap(), "short\n");
}
