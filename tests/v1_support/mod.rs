//! Fixtures shared by the `/v1` test files (Index, Alauda, dispatch).
#![allow(dead_code)]

use berth::core::tokens::{self, Access};
use berth::store::{self, tags::Image};

use crate::common::*;

pub const IMG: &str = "9e89cc6f0bc3c38722009fe6857087b486531f9a779a0c17e3ed29dae8f12c4f";
pub const IMG2: &str = "a4002247cb22e78c8d9ffeccdf7ea23d7763f53493d4d763cb4dbe58bf3566b5";
pub const IMG3: &str = "e72ac664f4f0c6a061ac4ef332557a70d69b0c62fb6add35f1c181ff7fff2287";
pub const SUM: &str = "sha256:b486531f9a779a0c17e3ed29dae8f12c4f9e89cc6f0bc3c38722009fe6857087";

/// A Berth with:
/// - users `alice`, `bob` (unrelated to everything), `owner`, `member`, `reader`;
/// - organization `acme` (owners: `owner`) with team `devs` holding `member` (no grants) and
///   team `readers` holding `reader`, granted read-only on `acme/secret`;
/// - `alice/app` public, `alice/hidden` private (`reader` has read-only on it),
///   `acme/secret` private; each with image [`IMG`] (checksum [`SUM`]) tagged `latest`.
pub fn world() -> TestApp {
    let app = TestApp::start();
    for u in ["alice", "bob", "owner", "member", "reader"] {
        app.user(u);
    }
    let owner = store::accounts::by_name(&app.conn(), "owner")
        .unwrap()
        .unwrap();
    app.org("acme", &owner);
    for (ns, name, public) in [
        ("alice", "app", true),
        ("alice", "hidden", false),
        ("acme", "secret", false),
    ] {
        let repo = app.repo(ns, name, public);
        store::write(&mut app.conn(), |tx| {
            store::tags::merge_images(
                tx,
                repo.id,
                &[Image {
                    image_id: IMG.into(),
                    checksum: Some(SUM.into()),
                }],
            )?;
            store::tags::set_tag(tx, repo.id, "latest", IMG)
        })
        .unwrap();
    }
    app.exec(
        "INSERT INTO teams (org_id, name, created_at) VALUES ((SELECT id FROM accounts WHERE name = 'acme'), 'devs', 0);
         INSERT INTO teams (org_id, name, created_at) VALUES ((SELECT id FROM accounts WHERE name = 'acme'), 'readers', 0);
         INSERT INTO team_members (team_id, user_id) VALUES
             ((SELECT id FROM teams WHERE name = 'devs'), (SELECT id FROM accounts WHERE name = 'member')),
             ((SELECT id FROM teams WHERE name = 'readers'), (SELECT id FROM accounts WHERE name = 'reader'));
         INSERT INTO repository_team_access (repository_id, team_id, level) VALUES
             ((SELECT id FROM repositories WHERE full_path = 'acme/secret'), (SELECT id FROM teams WHERE name = 'readers'), 'read-only');
         INSERT INTO repository_user_access (repository_id, user_id, level) VALUES
             ((SELECT id FROM repositories WHERE full_path = 'alice/hidden'), (SELECT id FROM accounts WHERE name = 'reader'), 'read-only');",
    );
    app
}

/// Issue an access token for `user` directly (the header value after `Token `).
pub fn token(app: &TestApp, user: &str, repository: &str, access: Access) -> String {
    let conn = app.conn();
    let u = store::accounts::by_name(&conn, user).unwrap().unwrap();
    tokens::issue(&conn, u.id, repository, access).unwrap()
}

/// An access token that expired a minute ago.
pub fn expired_token(app: &TestApp, user: &str, repository: &str, access: &str) -> String {
    let conn = app.conn();
    let u = store::accounts::by_name(&conn, user).unwrap().unwrap();
    let signature = "expiredsignature0123456789";
    let hash = berth::auth::secret::sha256_hex(signature);
    store::keys::insert_access_token(
        &conn,
        &hash,
        Some(u.id),
        repository,
        access,
        store::now_ms() - 60_000,
    )
    .unwrap();
    tokens::header_value(signature, repository, Access::parse(access).unwrap())
}

/// An anonymous read token that expired a minute ago.
pub fn expired_anonymous_token(app: &TestApp, repository: &str) -> String {
    let signature = "expiredanonymoussignature012345";
    let hash = berth::auth::secret::sha256_hex(signature);
    store::keys::insert_access_token(
        &app.conn(),
        &hash,
        None,
        repository,
        "read",
        store::now_ms() - 60_000,
    )
    .unwrap();
    tokens::header_value(signature, repository, Access::Read)
}

pub trait TokenReq {
    fn token(self, value: &str) -> Req;
    fn docker_token(self) -> Req;
}

impl TokenReq for Req {
    fn token(self, value: &str) -> Req {
        self.header("Authorization", &format!("Token {value}"))
    }

    fn docker_token(self) -> Req {
        self.header("X-Docker-Token", "true")
    }
}

/// The whole answer: status, raw body and the stable headers.
pub fn answer(r: &Resp) -> (u16, String, Vec<(String, String)>) {
    (r.status, r.body.clone(), r.stable_headers())
}

/// Who must not tell a private repository from a missing one: anonymous, an unrelated user,
/// and an organization member without grants. `None` is anonymous.
pub const OUTSIDERS: [Option<&str>; 3] = [None, Some("bob"), Some("member")];

pub fn as_who(req: Req, who: Option<&str>) -> Req {
    match who {
        Some(u) => req.as_user(u),
        None => req,
    }
}

/// Assert that `make(path)` answers the same for the private `acme/secret` as for the missing
/// `acme/nothing`, for every outsider. `make` gets the repository path and the caller.
pub fn assert_invisible(app: &TestApp, what: &str, make: impl Fn(&str, Option<&str>) -> Req) {
    for who in OUTSIDERS {
        let private = make("acme/secret", who).send();
        let missing = make("acme/nothing", who).send();
        assert_eq!(answer(&private), answer(&missing), "{what} as {who:?}");
        assert!(
            private.status >= 400,
            "{what} as {who:?}: {}",
            private.status
        );
    }
    let _ = app;
}

/// The repository as the store has it.
pub fn repo(app: &TestApp, path: &str) -> Option<berth::core::model::Repository> {
    let (ns, name) = path.split_once('/').unwrap();
    store::repos::by_path(&app.conn(), ns, name).unwrap()
}

/// The image ids of a repository, in insertion order.
pub fn image_ids(app: &TestApp, path: &str) -> Vec<String> {
    let r = repo(app, path).unwrap();
    store::tags::images(&app.conn(), r.id)
        .unwrap()
        .into_iter()
        .map(|i| i.image_id)
        .collect()
}

/// `signature=<40 alphanumerics>,repository="<repo>",access=<access>`.
pub fn assert_token_value(value: &str, repository: &str, access: &str) {
    let rest = value
        .strip_prefix("signature=")
        .unwrap_or_else(|| panic!("{value}"));
    let (sig, tail) = rest.split_once(',').unwrap();
    assert_eq!(sig.len(), 40, "{value}");
    assert!(sig.bytes().all(|b| b.is_ascii_alphanumeric()), "{value}");
    assert_eq!(tail, format!("repository=\"{repository}\",access={access}"));
}

/// The three token headers of an answer, checked together; returns the token value.
pub fn assert_token_headers(app: &TestApp, r: &Resp, repository: &str, access: &str) -> String {
    let value = r
        .header("x-docker-token")
        .unwrap_or_else(|| panic!("no X-Docker-Token: {r:?}"))
        .to_owned();
    assert_token_value(&value, repository, access);
    assert_eq!(
        r.header("www-authenticate"),
        Some(format!("Token {value}").as_str())
    );
    assert_eq!(
        r.header("x-docker-endpoints"),
        Some(app.addr.to_string().as_str())
    );
    value
}

pub fn assert_no_token_headers(r: &Resp) {
    for h in ["x-docker-token", "www-authenticate", "x-docker-endpoints"] {
        assert_eq!(r.header(h), None, "{h}: {r:?}");
    }
}
