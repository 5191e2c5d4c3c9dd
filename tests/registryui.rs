//! The RegistryUI dialect (`/udr/v1api/`) over HTTP: the repository catalog with `folder`,
//! `startAfter`, `skip` and `take`; projects; tags and tag info; folders; the Public API
//! switch (also through the real `berth admin set public-api` binary); private repositories
//! invisible in listings, counts and tag routes.

mod common;

use std::process::Command;

use berth::core::model::{Account, AccountKind, Repository};
use berth::core::policy::Caller;
use berth::core::time::rfc3339;
use berth::store;
use common::*;
use rusqlite::params;
use serde_json::{json, Value};

const LIST: &str = "/udr/v1api/repositories";
const OFF: &str = "authentication required: the Public API is off";
const IMAGE: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const IMAGE2: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn public_api(app: &TestApp, on: bool) {
    berth::core::settings::set_public_api(&app.conn(), on).unwrap();
}

/// The repository as stored now (timestamps and all).
fn stored(app: &TestApp, repo: &Repository) -> Repository {
    store::repos::by_id(&app.conn(), repo.id).unwrap().unwrap()
}

fn shown(full_path: &str) -> &str {
    full_path.strip_prefix("library/").unwrap_or(full_path)
}

/// The exact Repository Entry expected for a stored repository.
fn entry_with(app: &TestApp, repo: &Repository, read: &[i64], update: &[i64]) -> Value {
    let repo = stored(app, repo);
    json!({
        "id": repo.id,
        "fullPath": shown(&repo.full_path),
        "name": repo.name,
        "title": repo.short_description,
        "description": {"text": repo.long_description, "html": repo.long_description_html},
        "isPublic": repo.is_public,
        "created": rfc3339(repo.created_at),
        "updated": repo.updated_at.map(rfc3339),
        "readGroupIds": read,
        "updateGroupIds": update,
    })
}

/// The entry with the groups every repository has without extra grants: the `owners` team
/// of an organization (`library` included) reads and updates; user repositories have none.
fn entry(app: &TestApp, repo: &Repository) -> Value {
    match repo.namespace_kind {
        AccountKind::Organization => {
            let org = store::accounts::by_name(&app.conn(), &repo.namespace)
                .unwrap()
                .unwrap();
            let owners = owners(app, &org);
            entry_with(app, repo, &[owners], &[owners])
        }
        AccountKind::User => entry_with(app, repo, &[], &[]),
    }
}

fn page(total: i64, entries: Vec<Value>) -> Value {
    json!({"error": null, "total": total, "count": entries.len(), "entries": entries})
}

/// The `fullPath`s of a listing answer.
fn paths(r: &Resp) -> Vec<String> {
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fullPath"].as_str().unwrap().to_owned())
        .collect()
}

fn total(r: &Resp) -> i64 {
    r.json()["total"].as_i64().unwrap()
}

fn team(app: &TestApp, org: &Account, name: &str) -> i64 {
    let conn = app.conn();
    conn.execute(
        "INSERT INTO teams (org_id, name, created_at) VALUES (?1, ?2, 0)",
        params![org.id, name],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn owners(app: &TestApp, org: &Account) -> i64 {
    app.conn()
        .query_row(
            "SELECT id FROM teams WHERE org_id = ?1 AND name = 'owners'",
            [org.id],
            |r| r.get(0),
        )
        .unwrap()
}

fn join(app: &TestApp, team: i64, user: &Account) {
    app.conn()
        .execute(
            "INSERT INTO team_members (team_id, user_id) VALUES (?1, ?2)",
            params![team, user.id],
        )
        .unwrap();
}

fn grant_team(app: &TestApp, repo: &Repository, team: i64, level: &str) {
    app.conn()
        .execute(
            "INSERT INTO repository_team_access (repository_id, team_id, level) VALUES (?1, ?2, ?3)",
            params![repo.id, team, level],
        )
        .unwrap();
}

fn grant_namespace(app: &TestApp, team: i64, level: &str) {
    app.conn()
        .execute(
            "INSERT INTO namespace_team_access (team_id, level) VALUES (?1, ?2)",
            params![team, level],
        )
        .unwrap();
}

fn grant_user(app: &TestApp, repo: &Repository, user: &Account, level: &str) {
    app.conn()
        .execute(
            "INSERT INTO repository_user_access (repository_id, user_id, level) VALUES (?1, ?2, ?3)",
            params![repo.id, user.id, level],
        )
        .unwrap();
}

/// Give a repository an image and point `tags` at it.
fn tag(app: &TestApp, repo: &Repository, tags: &[&str], image: &str) {
    let img = store::tags::Image {
        image_id: image.to_owned(),
        checksum: None,
    };
    store::write(&mut app.conn(), |tx| {
        store::tags::merge_images(tx, repo.id, &[img])?;
        for t in tags {
            store::tags::set_tag(tx, repo.id, t, image)?;
        }
        Ok(())
    })
    .unwrap();
}

fn stored_tag(app: &TestApp, repo: &Repository, name: &str) -> store::tags::Tag {
    store::tags::tag_by_name(&app.conn(), repo.id, name)
        .unwrap()
        .unwrap()
}

fn tag_entry(app: &TestApp, repo: &Repository, name: &str, host: &str) -> Value {
    let t = stored_tag(app, repo, name);
    let path = shown(&repo.full_path);
    json!({
        "repositoryName": path,
        "tagName": t.name,
        "lastUpdated": rfc3339(t.updated_at),
        "pullCount": t.pull_count,
        "pullCommand": format!("docker pull {host}/{path}:{name}"),
    })
}

fn host(app: &TestApp) -> String {
    app.addr.to_string()
}

fn same_answer(a: &Resp, b: &Resp) {
    assert_eq!(
        (a.status, a.json(), a.stable_headers()),
        (b.status, b.json(), b.stable_headers())
    );
}

fn is_rfc3339_ms_z(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Organization `acme` (owned by `owner`) with a private and a public repository, a user
/// repository `owner/hidden`, a member `member` in a team without grants, and `stranger`.
struct Privacy {
    app: TestApp,
    secret: Repository,
    open: Repository,
    hidden: Repository,
}

fn privacy() -> Privacy {
    let app = TestApp::start();
    let owner = app.user("owner");
    let member = app.user("member");
    app.user("stranger");
    let acme = app.org("acme", &owner);
    let plain = team(&app, &acme, "plain");
    join(&app, plain, &member);
    let secret = app.repo("acme", "secret", false);
    let open = app.repo("acme", "open", true);
    let hidden = app.repo("owner", "hidden", false);
    tag(&app, &secret, &["latest"], IMAGE);
    tag(&app, &open, &["latest"], IMAGE);
    tag(&app, &hidden, &["latest"], IMAGE);
    public_api(&app, true);
    Privacy {
        app,
        secret,
        open,
        hidden,
    }
}

// ---------------------------------------------------------------------------------------
// The Public API switch
// ---------------------------------------------------------------------------------------

#[test]
fn anonymous_callers_get_401_while_the_public_api_is_off() {
    let app = TestApp::start();
    let repo = app.repo("library", "alpine", true);
    tag(&app, &repo, &["latest"], IMAGE);
    for r in [
        app.get(LIST).send(),
        app.post(LIST).body("").send(),
        app.get("/udr/v1api/tags?repository=alpine").send(),
        app.get("/udr/v1api/taginfo?repository=alpine&tagName=latest")
            .send(),
        app.delete("/udr/v1api/taginfo?repository=alpine&tagName=latest")
            .send(),
    ] {
        assert_eq!(r.sj(), (401, json!({"error": OFF})));
        assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"berth\""));
    }
    // Nothing was deleted.
    assert!(store::tags::tag_by_name(&app.conn(), repo.id, "latest")
        .unwrap()
        .is_some());
}

#[test]
fn anonymous_callers_see_public_repositories_only_when_the_public_api_is_on() {
    let app = TestApp::start();
    let public = app.repo("library", "alpine", true);
    app.repo("library", "secret", false);
    public_api(&app, true);
    assert_eq!(
        app.get(LIST).send().sj(),
        (200, page(1, vec![entry(&app, &public)]))
    );
}

#[test]
fn the_public_api_switch_applies_to_the_next_request() {
    let app = TestApp::start();
    let public = app.repo("library", "alpine", true);
    assert_eq!(app.get(LIST).send().status, 401);
    public_api(&app, true);
    assert_eq!(
        app.get(LIST).send().sj(),
        (200, page(1, vec![entry(&app, &public)]))
    );
    public_api(&app, false);
    assert_eq!(app.get(LIST).send().sj(), (401, json!({"error": OFF})));
}

#[test]
fn authenticated_callers_are_served_whatever_the_switch_says() {
    let app = TestApp::start();
    app.user("alice");
    let public = app.repo("library", "alpine", true);
    assert_eq!(
        app.get(LIST).as_user("alice").send().sj(),
        (200, page(1, vec![entry(&app, &public)]))
    );
}

#[test]
fn bad_credentials_are_401_even_with_the_public_api_on() {
    let app = TestApp::start();
    public_api(&app, true);
    let r = app.get(LIST).basic("admin", "wrong-password").send();
    assert_eq!(
        r.sj(),
        (401, json!({"error": "invalid username or password"}))
    );
}

fn berth_admin(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("admin")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("BERTH_DATA_DIR")
        .env("RUST_LOG", "error")
        .output()
        .expect("run berth")
}

#[test]
fn berth_admin_set_public_api_switches_a_running_server() {
    let app = TestApp::start();
    let public = app.repo("library", "alpine", true);
    let data = app.state.config.data_dir.clone();
    assert_eq!(app.get(LIST).send().status, 401);

    let out = berth_admin(&data, &["set", "public-api", "on"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "public-api is on\n");
    assert_eq!(
        app.get(LIST).send().sj(),
        (200, page(1, vec![entry(&app, &public)]))
    );

    let out = berth_admin(&data, &["set", "public-api", "off"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "public-api is off\n");
    assert_eq!(app.get(LIST).send().sj(), (401, json!({"error": OFF})));
}

#[test]
fn berth_admin_set_public_api_works_on_a_fresh_data_folder_and_refuses_other_values() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = berth_admin(&data, &["set", "public-api", "on"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = store::Store::open(&data).unwrap();
    assert_eq!(
        store::settings::get(&st.conn().unwrap(), "public_api")
            .unwrap()
            .as_deref(),
        Some("on")
    );

    let out = berth_admin(&data, &["set", "public-api", "maybe"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("maybe"));
    assert_eq!(
        store::settings::get(&st.conn().unwrap(), "public_api")
            .unwrap()
            .as_deref(),
        Some("on")
    );
}

// ---------------------------------------------------------------------------------------
// /repositories: entries
// ---------------------------------------------------------------------------------------

#[test]
fn a_listing_entry_carries_every_documented_field() {
    let app = TestApp::start();
    app.user("alice");
    let repo = app.repo("alice", "web", false);
    let r = app.get(LIST).as_user("alice").send();
    let created = rfc3339(stored(&app, &repo).created_at);
    assert_eq!(
        r.sj(),
        (
            200,
            json!({
                "error": null,
                "total": 1,
                "count": 1,
                "entries": [{
                    "id": repo.id,
                    "fullPath": "alice/web",
                    "name": "web",
                    "title": "web short",
                    "description": {
                        "text": "# web\n\nThe **web** repository.",
                        "html": "<h1>web</h1>\n<p>The <strong>web</strong> repository.</p>\n"
                    },
                    "isPublic": false,
                    "created": created,
                    "updated": null,
                    "readGroupIds": [],
                    "updateGroupIds": []
                }]
            })
        )
    );
    assert!(is_rfc3339_ms_z(&created), "{created}");
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[test]
fn updated_is_set_by_the_first_update() {
    let app = TestApp::start();
    let repo = app.repo("library", "alpine", true);
    let admin = Caller {
        user_id: 1,
        is_admin: true,
        is_active: true,
    };
    let patch = berth::core::repos::Patch {
        short_description: Some("new title".into()),
        ..Default::default()
    };
    berth::core::repos::update(&mut app.conn(), Some(&admin), "library", "alpine", &patch).unwrap();
    let now = stored(&app, &repo);
    let updated = rfc3339(now.updated_at.unwrap());
    let r = app.get(LIST).admin().send();
    assert_eq!(r.sj(), (200, page(1, vec![entry(&app, &repo)])));
    assert_eq!(r.json()["entries"][0]["updated"], json!(updated));
    assert_eq!(r.json()["entries"][0]["title"], json!("new title"));
    assert!(is_rfc3339_ms_z(&updated), "{updated}");
}

#[test]
fn description_html_is_the_sanitized_html_stored_with_the_text() {
    let app = TestApp::start();
    let admin = Caller {
        user_id: 1,
        is_admin: true,
        is_active: true,
    };
    let text = "Hi <script>alert(1)</script> [x](javascript:alert(1))";
    let new = berth::core::repos::NewRepo {
        name: "xss".into(),
        short_description: String::new(),
        long_description: text.into(),
        is_public: true,
    };
    berth::core::repos::create(&mut app.conn(), Some(&admin), "library", &new).unwrap();
    let r = app.get(LIST).admin().send();
    let d = &r.json()["entries"][0]["description"];
    assert_eq!(d["text"], json!(text));
    assert_eq!(
        d["html"],
        json!("<p>Hi  <a rel=\"noopener noreferrer\">x</a></p>\n")
    );
}

#[test]
fn library_repositories_show_without_their_namespace() {
    let app = TestApp::start();
    let alpine = app.repo("library", "alpine", true);
    let r = app.get(LIST).admin().send();
    assert_eq!(r.sj(), (200, page(1, vec![entry(&app, &alpine)])));
    assert_eq!(r.json()["entries"][0]["fullPath"], json!("alpine"));
    assert_eq!(r.json()["entries"][0]["name"], json!("alpine"));
}

#[test]
fn group_ids_come_from_repository_namespace_and_owners_grants() {
    let app = TestApp::start();
    let boss = app.user("boss");
    let acme = app.org("acme", &boss);
    let web = app.repo("acme", "web", false);
    let other = app.repo("acme", "other", false);
    let mine = app.repo("boss", "mine", false);
    let owners = owners(&app, &acme);
    let readers = team(&app, &acme, "readers");
    let writers = team(&app, &acme, "writers");
    let admins = team(&app, &acme, "admins");
    let ns_readers = team(&app, &acme, "ns-readers");
    let ns_writers = team(&app, &acme, "ns-writers");
    let _idle = team(&app, &acme, "idle");
    grant_team(&app, &web, readers, "read-only");
    grant_team(&app, &web, writers, "read-write");
    grant_team(&app, &web, admins, "admin");
    // A namespace grant and a repository grant add up to the higher.
    grant_team(&app, &web, ns_readers, "read-write");
    grant_namespace(&app, ns_readers, "read-only");
    grant_namespace(&app, ns_writers, "read-write");
    // A team grant on a user repository counts for nothing (as in the policy).
    grant_team(&app, &mine, readers, "admin");
    let r = app.get(LIST).admin().send();
    let mut read_web = vec![owners, readers, writers, admins, ns_readers, ns_writers];
    read_web.sort();
    let mut update_web = vec![owners, writers, admins, ns_readers, ns_writers];
    update_web.sort();
    let mut read_other = vec![owners, ns_readers, ns_writers];
    read_other.sort();
    let mut update_other = vec![owners, ns_writers];
    update_other.sort();
    assert_eq!(
        r.sj(),
        (
            200,
            page(
                3,
                vec![
                    entry_with(&app, &other, &read_other, &update_other),
                    entry_with(&app, &web, &read_web, &update_web),
                    entry(&app, &mine),
                ]
            )
        )
    );
}

/// The seed's own `alpine` description, written through an API (DTR) and read back as
/// RegistryUI shows it: the seed's HTML, with the two attributes API-NOTES section 2 adds to
/// every image (`loading="lazy"`, `referrerpolicy="no-referrer"`), written by the sanitizer
/// as HTML rather than XHTML (`>` for ` />`), and ending with a newline after the last block
/// as every rendered description does.
#[test]
fn the_seeds_sized_image_renders_as_the_seed_shows() {
    let seed: Value = serde_json::from_str(include_str!("fixtures/registryui/repositories.json"))
        .expect("seed fixture");
    let sample = &seed["entries"][0];
    let app = TestApp::start();
    let created = app
        .post("/api/v0/repositories/library")
        .admin()
        .json(&json!({
            "name": "alpine",
            "longDescription": sample["description"]["text"],
            "visibility": "public",
        }))
        .send();
    assert_eq!(created.status, 201, "{created:?}");
    let seed_html = sample["description"]["html"].as_str().unwrap();
    assert!(seed_html.contains("width=\"80\" height=\"70px\" />"));
    let expected =
        seed_html.replace(" />", " loading=\"lazy\" referrerpolicy=\"no-referrer\">") + "\n";
    let r = app.get(LIST).admin().send();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["entries"][0]["description"]["html"],
        json!(expected)
    );
    assert_eq!(
        r.json()["entries"][0]["description"]["text"],
        sample["description"]["text"]
    );
}

#[test]
fn the_answer_has_the_shape_of_the_seed_example() {
    let seed: Value = serde_json::from_str(include_str!("fixtures/registryui/repositories.json"))
        .expect("seed fixture");
    let sample = &seed["entries"][0];
    let app = TestApp::start();
    let admin = Caller {
        user_id: 1,
        is_admin: true,
        is_active: true,
    };
    let new = berth::core::repos::NewRepo {
        name: sample["name"].as_str().unwrap().into(),
        short_description: sample["title"].as_str().unwrap().into(),
        long_description: sample["description"]["text"].as_str().unwrap().into(),
        is_public: sample["isPublic"].as_bool().unwrap(),
    };
    berth::core::repos::create(&mut app.conn(), Some(&admin), "library", &new).unwrap();
    let body = app
        .post(LIST)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("")
        .admin()
        .send()
        .json();

    // The same top-level fields, of the same types.
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&body), keys(&seed));
    assert_eq!(body["error"], Value::Null);
    let ours = &body["entries"][0];
    // Every field the seed documents as supported, with the seed's JSON type.
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    for field in [
        "id",
        "fullPath",
        "name",
        "title",
        "isPublic",
        "created",
        "readGroupIds",
        "updateGroupIds",
    ] {
        assert_eq!(kind(&ours[field]), kind(&sample[field]), "{field}");
    }
    // "May be null": null until the first update.
    assert_eq!(kind(&ours["updated"]), "null");
    assert_eq!(kind(&ours["description"]["text"]), "string");
    assert_eq!(kind(&ours["description"]["html"]), "string");
    // The seed's values where the model holds the same thing.
    for field in ["fullPath", "name", "title", "isPublic"] {
        assert_eq!(ours[field], sample[field], "{field}");
    }
    assert_eq!(ours["description"]["text"], sample["description"]["text"]);
    // Only the documented fields, nothing internal.
    assert_eq!(
        keys(ours),
        [
            "created",
            "description",
            "fullPath",
            "id",
            "isPublic",
            "name",
            "readGroupIds",
            "title",
            "updateGroupIds",
            "updated"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// /repositories: order, folder, startAfter, skip, take
// ---------------------------------------------------------------------------------------

/// Namespaces whose names differ by the punctuation that decides byte order.
fn byte_order_app() -> TestApp {
    let app = TestApp::start();
    let owner = app.user("owner");
    for ns in ["acme", "acme-x", "acme.x", "acme0", "acme_x", "acmex"] {
        app.org(ns, &owner);
    }
    for (ns, name) in [
        ("acmex", "a"),
        ("acme_x", "a"),
        ("acme", "b"),
        ("acme", "a_b"),
        ("acme0", "a"),
        ("acme", "a.b"),
        ("acme.x", "a"),
        ("acme", "a-b"),
        ("acme", "a"),
        ("acme-x", "a"),
        ("acme", "a0"),
        ("library", "acme"),
        ("library", "acme-x"),
        ("library", "zeta"),
    ] {
        app.repo(ns, name, true);
    }
    app
}

/// Byte order: '-' < '.' < '/' < '0' < '_' < 'a'.
const BYTE_ORDER: [&str; 14] = [
    "acme", "acme-x", "acme-x/a", "acme.x/a", "acme/a", "acme/a-b", "acme/a.b", "acme/a0",
    "acme/a_b", "acme/b", "acme0/a", "acme_x/a", "acmex/a", "zeta",
];

#[test]
fn entries_are_sorted_by_full_path_in_byte_order() {
    let app = byte_order_app();
    let r = app.get(LIST).admin().send();
    assert_eq!(paths(&r), BYTE_ORDER);
    assert_eq!(total(&r), 14);
}

#[test]
fn post_lists_exactly_like_get() {
    let app = byte_order_app();
    let get = app
        .get(&format!("{LIST}?folder=acme&take=3"))
        .admin()
        .send();
    let post = app
        .post(&format!("{LIST}?folder=acme&take=3"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("")
        .admin()
        .send();
    assert_eq!(get.sj(), post.sj());
    assert_eq!(paths(&post), ["acme/a", "acme/a-b", "acme/a.b"]);
}

#[test]
fn post_reads_parameters_from_a_form_body_and_the_query_string_wins() {
    let app = byte_order_app();
    let r = app
        .post(LIST)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("folder=acme&skip=1&take=2")
        .admin()
        .send();
    assert_eq!(
        (paths(&r), total(&r)),
        (vec!["acme/a-b".to_owned(), "acme/a.b".to_owned()], 6)
    );
    let r = app
        .post(&format!("{LIST}?take=1"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("folder=acme&take=4")
        .admin()
        .send();
    assert_eq!(paths(&r), ["acme/a"]);
}

#[test]
fn folder_keeps_only_paths_under_the_folder() {
    let app = byte_order_app();
    let want = [
        "acme/a", "acme/a-b", "acme/a.b", "acme/a0", "acme/a_b", "acme/b",
    ];
    for folder in ["acme", "acme/"] {
        let r = app.get(&format!("{LIST}?folder={folder}")).admin().send();
        assert_eq!(paths(&r), want, "{folder}");
        assert_eq!(total(&r), 6, "{folder}");
    }
    // A folder that is a library repository's displayed path, or a prefix of names, or
    // `library` itself (library repositories are top-level), holds nothing.
    for folder in ["acme-x/a", "acm", "library", "nothing"] {
        let r = app.get(&format!("{LIST}?folder={folder}")).admin().send();
        assert_eq!(r.sj(), (200, page(0, vec![])), "{folder}");
    }
    let r = app.get(&format!("{LIST}?folder=acme-x")).admin().send();
    assert_eq!(paths(&r), ["acme-x/a"]);
    // An empty folder is no filter.
    assert_eq!(
        paths(&app.get(&format!("{LIST}?folder=")).admin().send()),
        BYTE_ORDER
    );
}

#[test]
fn start_after_keeps_paths_after_it_and_total_counts_them() {
    let app = byte_order_app();
    let r = app
        .get(&format!("{LIST}?startAfter=acme/a0"))
        .admin()
        .send();
    assert_eq!(paths(&r), BYTE_ORDER[8..]);
    assert_eq!(total(&r), 6);
    // A path that does not exist works as a position too.
    let r = app.get(&format!("{LIST}?startAfter=acme/")).admin().send();
    assert_eq!(paths(&r), BYTE_ORDER[4..]);
    let r = app.get(&format!("{LIST}?startAfter=zeta")).admin().send();
    assert_eq!(r.sj(), (200, page(0, vec![])));
    let r = app.get(&format!("{LIST}?startAfter=")).admin().send();
    assert_eq!(paths(&r), BYTE_ORDER);
}

#[test]
fn folder_and_start_after_combine() {
    let app = byte_order_app();
    let r = app
        .get(&format!("{LIST}?folder=acme&startAfter=acme/a.b"))
        .admin()
        .send();
    assert_eq!(paths(&r), ["acme/a0", "acme/a_b", "acme/b"]);
    assert_eq!(total(&r), 3);
    // A startAfter before the folder starts at the folder; after it, nothing.
    let r = app
        .get(&format!("{LIST}?folder=acme&startAfter=a"))
        .admin()
        .send();
    assert_eq!(total(&r), 6);
    let r = app
        .get(&format!("{LIST}?folder=acme&startAfter=acme0"))
        .admin()
        .send();
    assert_eq!(r.sj(), (200, page(0, vec![])));
}

#[test]
fn skip_and_take_page_and_total_ignores_them() {
    let app = byte_order_app();
    let r = app.get(&format!("{LIST}?skip=2&take=3")).admin().send();
    assert_eq!(paths(&r), BYTE_ORDER[2..5]);
    assert_eq!(
        (r.json()["total"].clone(), r.json()["count"].clone()),
        (json!(14), json!(3))
    );
    let r = app.get(&format!("{LIST}?skip=12&take=5")).admin().send();
    assert_eq!(paths(&r), BYTE_ORDER[12..]);
    assert_eq!((total(&r), r.json()["count"].as_i64().unwrap()), (14, 2));
    let r = app.get(&format!("{LIST}?skip=14")).admin().send();
    assert_eq!(r.sj(), (200, page(14, vec![])));
    let r = app
        .get(&format!(
            "{LIST}?skip=1&take=2&folder=acme&startAfter=acme/a"
        ))
        .admin()
        .send();
    assert_eq!(
        (paths(&r), total(&r)),
        (vec!["acme/a.b".to_owned(), "acme/a0".to_owned()], 5)
    );
}

#[test]
fn take_zero_answers_the_total_only() {
    let app = byte_order_app();
    assert_eq!(
        app.get(&format!("{LIST}?take=0")).admin().send().sj(),
        (200, page(14, vec![]))
    );
}

#[test]
fn without_take_every_repository_is_listed_and_take_accepts_up_to_1000() {
    let app = TestApp::start();
    let conn = app.conn();
    let library = store::accounts::by_name(&conn, "library").unwrap().unwrap();
    store::write(&mut app.conn(), |tx| {
        for i in 0..1001 {
            let name = format!("r{i:04}");
            let new = store::repos::NewRepository {
                name: &name,
                short_description: "",
                long_description: "",
                long_description_html: "",
                is_public: true,
            };
            store::repos::insert(tx, &library, &new)?;
        }
        Ok(())
    })
    .unwrap();
    // No `take`: all of them (API-NOTES section 7), not a first page.
    let r = app.get(LIST).admin().send();
    let all = paths(&r);
    assert_eq!((total(&r), all.len()), (1001, 1001));
    assert_eq!(r.json()["count"], json!(1001));
    assert_eq!(all[1000], "r1000");
    let r = app.get(&format!("{LIST}?take=1000")).admin().send();
    assert_eq!((total(&r), paths(&r).len()), (1001, 1000));
    let r = app.get(&format!("{LIST}?take=1001")).admin().send();
    assert_eq!(r.sj(), (400, json!({"error": "take must be at most 1000"})));
}

// ---------------------------------------------------------------------------------------
// /repositories without take: every repository, streamed when long
// ---------------------------------------------------------------------------------------

/// `n` repositories `{ns}/r0000`, `{ns}/r0001`, ... in the organization `ns` (made here, owned
/// by `owner`), every `private_every`-th private (0: none), each with an HTML description of
/// `html` bytes. Written in one transaction.
fn many(app: &TestApp, ns: &str, n: usize, private_every: usize, html: usize) {
    let owner = match store::accounts::by_name(&app.conn(), "owner").unwrap() {
        Some(o) => o,
        None => app.user("owner"),
    };
    let org = app.org(ns, &owner);
    let html = format!("<p>{}</p>", "x".repeat(html));
    store::write(&mut app.conn(), |tx| {
        for i in 0..n {
            let name = format!("r{i:04}");
            let new = store::repos::NewRepository {
                name: &name,
                short_description: "a repository",
                long_description: "",
                long_description_html: &html,
                is_public: private_every == 0 || i % private_every != 0,
            };
            store::repos::insert(tx, &org, &new)?;
        }
        Ok(())
    })
    .unwrap();
}

/// Who sends a request (`|r| r.admin()`, ...).
type AsWho = dyn Fn(Req) -> Req;

/// What lies between `"entries":[` and the final `]}` of a listing body.
fn raw_entries(body: &str) -> &str {
    let start = body.find(r#""entries":["#).expect("entries") + r#""entries":["#.len();
    assert!(
        body.ends_with("]}"),
        "{}",
        &body[body.len().saturating_sub(80)..]
    );
    &body[start..body.len() - 2]
}

/// The body of `query` without `take`, built from its pages of `take=1000` (`query` holds
/// any other parameters, `skip` included): the head with the pages' `total` and the number
/// of entries, every page's entries joined by commas, the tail.
fn from_pages(app: &TestApp, query: &str, as_who: &AsWho, skip: usize) -> String {
    let mut parts = Vec::new();
    let mut seen = 0;
    let mut counted = None;
    loop {
        let r = as_who(app.get(&format!("{LIST}?{query}&take=1000&skip={}", skip + seen))).send();
        assert_eq!(r.status, 200, "{}", r.body);
        let n = r.json()["count"].as_u64().unwrap() as usize;
        counted = counted.or(Some(total(&r)));
        if n == 0 {
            break;
        }
        parts.push(raw_entries(&r.body).to_owned());
        seen += n;
    }
    let total = counted.unwrap();
    format!(
        r#"{{"error":null,"total":{total},"count":{seen},"entries":[{}]}}"#,
        parts.join(",")
    )
}

/// A listing of more rows than one batch, for every kind of caller, is the byte-for-byte
/// concatenation of its pages, written in chunks as it is read.
#[test]
fn a_long_listing_without_take_is_streamed_as_its_pages_would_be() {
    let app = TestApp::start();
    many(&app, "acme", 2345, 3, 10);
    app.repo("library", "alpine", true);
    app.repo("library", "zeta", false);
    app.user("stranger");
    public_api(&app, true);
    let admin = |r: Req| r.admin();
    let stranger = |r: Req| r.as_user("stranger");
    let anonymous = |r: Req| r;
    let callers: [(&str, &AsWho, usize); 3] = [
        ("admin", &admin, 2347),
        ("stranger", &stranger, 2345 - 782 + 1),
        ("anonymous", &anonymous, 2345 - 782 + 1),
    ];
    for (who, as_who, expected) in callers {
        let r = as_who(app.get(LIST)).send();
        assert_eq!(r.status, 200, "{who}");
        assert_eq!(r.header("content-type"), Some("application/json"), "{who}");
        assert_eq!(r.header("transfer-encoding"), Some("chunked"), "{who}");
        assert_eq!(r.header("content-length"), None, "{who}");
        let body = r.json();
        assert_eq!(body["total"], json!(expected), "{who}");
        assert_eq!(body["count"], json!(expected), "{who}");
        let listed = paths(&r);
        assert_eq!(listed.len(), expected, "{who}");
        assert!(
            listed.windows(2).all(|w| w[0] < w[1]),
            "{who}: in order, once each"
        );
        assert_eq!(r.body, from_pages(&app, "", as_who, 0), "{who}");
        // POST answers the same bytes.
        assert_eq!(as_who(app.post(LIST)).send().body, r.body, "{who}");
    }
    // Outsiders see no private row: the first private is acme/r0000.
    let r = app.get(LIST).send();
    assert!(!paths(&r).contains(&"acme/r0000".to_owned()));
    assert!(!paths(&r).contains(&"zeta".to_owned()));
    // With the Public API off, anonymous callers are refused as before.
    public_api(&app, false);
    assert_eq!(app.get(LIST).send().sj(), (401, json!({"error": OFF})));
}

#[test]
fn a_long_listing_without_take_keeps_folder_start_after_and_skip() {
    let app = TestApp::start();
    many(&app, "acme", 1500, 0, 10);
    many(&app, "acmex", 300, 0, 10);
    app.repo("library", "acme", true);
    let admin = |r: Req| r.admin();
    let query = "folder=acme&startAfter=acme/r0100";
    let r = app.get(&format!("{LIST}?{query}&skip=7")).admin().send();
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(total(&r), 1399);
    let listed = paths(&r);
    assert_eq!(listed.len(), 1392);
    assert_eq!(listed[0], "acme/r0108");
    assert_eq!(listed.last().unwrap(), "acme/r1499");
    assert_eq!(r.body, from_pages(&app, query, &admin, 7));
    // The same from a form body.
    let post = app
        .post(LIST)
        .admin()
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(&format!("{query}&skip=7"))
        .send();
    assert_eq!(post.body, r.body);
    // A skip past the end leaves the total and no entries.
    let r = app
        .get(&format!("{LIST}?folder=acme&skip=5000"))
        .admin()
        .send();
    assert_eq!(r.sj(), (200, page(1500, vec![])));
}

/// Without `take`, a listing of at most 1000 entries is one body (the largest page's bytes),
/// kept in the read cache like a page, and a write is seen by the next request.
#[test]
fn a_short_listing_without_take_is_one_body_equal_to_the_largest_page() {
    let app = byte_order_app();
    let all = app.get(LIST).admin().send();
    let page_of_1000 = app.get(&format!("{LIST}?take=1000")).admin().send();
    assert_eq!(all.body, page_of_1000.body);
    assert_eq!(paths(&all), BYTE_ORDER);
    assert_eq!(
        all.header("content-length"),
        Some(all.body.len().to_string().as_str())
    );
    assert_eq!(all.header("transfer-encoding"), None);
    let again = app.get(LIST).admin().send();
    assert_eq!(again.body, all.body);
    // A new repository is in the very next listing.
    app.post("/udr/v1api/project/create?repository=acme/zz&isPublic=true")
        .admin()
        .send();
    let after = app.get(LIST).admin().send();
    assert_eq!(total(&after), 15);
    assert!(paths(&after).contains(&"acme/zz".to_owned()));
}

/// Start a listing on a raw connection, read a little of it and hang up: the server stops
/// reading batches (it reads one each time the connection takes more), far short of the
/// whole listing.
#[test]
fn a_streamed_listing_stops_reading_when_the_client_goes() {
    use std::io::{Read, Write};
    let app = TestApp::start();
    // 3,000 entries of about 16 KB: about 48 MB in 30 batches, far beyond socket buffers.
    many(&app, "acme", 3000, 0, 16_000);
    let before = berth::api::registryui::stream::batches_read();
    let mut conn = std::net::TcpStream::connect(app.addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        conn,
        "GET {LIST} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        app.addr,
        basic(ADMIN, ADMIN_PASSWORD)
    )
    .unwrap();
    let mut got = vec![0u8; 64 * 1024];
    let mut read = 0;
    while read < got.len() {
        match conn.read(&mut got[read..]).unwrap() {
            0 => break,
            n => read += n,
        }
    }
    assert!(
        got.starts_with(b"HTTP/1.1 200 OK"),
        "{:?}",
        String::from_utf8_lossy(&got[..200])
    );
    drop(conn);
    // Wait until the server has stopped reading (no new batch for a second).
    let mut last = berth::api::registryui::stream::batches_read();
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let now = berth::api::registryui::stream::batches_read();
        if now == last {
            break;
        }
        last = now;
    }
    let read_batches = last - before;
    assert!(read_batches >= 1, "the listing was read");
    // Other tests of this file may stream a few batches meanwhile; the whole listing is 30.
    assert!(
        read_batches < 15,
        "{read_batches} batches read after the client went"
    );
    // The server is fine and answers the next request.
    let r = app.get(&format!("{LIST}?take=1")).admin().send();
    assert_eq!(total(&r), 3000);
}

#[test]
fn bad_skip_and_take_are_400() {
    let app = byte_order_app();
    for (query, message) in [
        ("skip=-1", "skip must be a non-negative integer"),
        ("skip=abc", "skip must be a non-negative integer"),
        ("skip=", "skip must be a non-negative integer"),
        ("skip=1.5", "skip must be a non-negative integer"),
        (
            "skip=99999999999999999999",
            "skip must be a non-negative integer",
        ),
        ("take=-5", "take must be a non-negative integer"),
        ("take=ten", "take must be a non-negative integer"),
        ("take=1001", "take must be at most 1000"),
    ] {
        for r in [
            app.get(&format!("{LIST}?{query}")).admin().send(),
            app.post(&format!("{LIST}?{query}")).admin().send(),
            app.post(LIST)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(query)
                .admin()
                .send(),
        ] {
            assert_eq!(r.sj(), (400, json!({"error": message})), "{query}");
        }
    }
}

#[test]
fn query_string_parse_errors_are_400_in_the_envelope() {
    let app = byte_order_app();
    let r = app.get(&format!("{LIST}?skip=1&skip=2")).admin().send();
    assert_eq!(
        r.sj(),
        (
            400,
            json!({"error": "invalid query string: duplicate field `skip`"})
        )
    );
    let r = app
        .post(LIST)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("take=1&take=2")
        .admin()
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            json!({"error": "invalid form body: duplicate field `take`"})
        )
    );
}

#[test]
fn keyset_pages_walk_every_repository_once_in_order() {
    let app = byte_order_app();
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let r = app
            .get(&format!("{LIST}?take=4&startAfter={after}"))
            .admin()
            .send();
        let page = paths(&r);
        assert_eq!(total(&r), (BYTE_ORDER.len() - seen.len()) as i64);
        match page.last() {
            Some(last) => after = last.clone(),
            None => break,
        }
        seen.extend(page);
    }
    assert_eq!(seen, BYTE_ORDER);
}

#[test]
fn keyset_pages_are_stable_when_repositories_appear_or_go_before_the_cursor() {
    let app = byte_order_app();
    let first = app.get(&format!("{LIST}?take=5")).admin().send();
    assert_eq!(paths(&first), BYTE_ORDER[..5]);
    // Changes before the cursor (acme/a) do not shift the next page.
    app.repo("library", "aaa", true);
    let gone = store::repos::by_path(&app.conn(), "acme-x", "a")
        .unwrap()
        .unwrap();
    store::repos::delete(&app.conn(), gone.id).unwrap();
    let next = app
        .get(&format!("{LIST}?take=5&startAfter=acme/a"))
        .admin()
        .send();
    assert_eq!(paths(&next), BYTE_ORDER[5..10]);
    // The same request twice gives the same answer.
    assert_eq!(
        next.sj(),
        app.get(&format!("{LIST}?take=5&startAfter=acme/a"))
            .admin()
            .send()
            .sj()
    );
}

#[test]
fn unknown_parameters_are_ignored_and_a_final_slash_is_optional() {
    let app = byte_order_app();
    let plain = app.get(&format!("{LIST}?take=2")).admin().send();
    assert_eq!(
        plain.sj(),
        app.get(&format!("{LIST}/?take=2&foo=bar"))
            .admin()
            .send()
            .sj()
    );
    assert_eq!(
        plain.sj(),
        app.post(&format!("{LIST}/?take=2")).admin().send().sj()
    );
}

#[test]
fn wrong_methods_are_405_in_the_envelope() {
    let app = TestApp::start();
    let want = (405, json!({"error": "method not allowed"}));
    assert_eq!(app.put(LIST).admin().send().sj(), want);
    assert_eq!(app.delete(LIST).admin().send().sj(), want);
    assert_eq!(
        app.get("/udr/v1api/project/create").admin().send().sj(),
        want
    );
    assert_eq!(app.post("/udr/v1api/tags").admin().send().sj(), want);
    assert_eq!(app.put("/udr/v1api/taginfo").admin().send().sj(), want);
    assert_eq!(app.get("/udr/v1api/folder").admin().send().sj(), want);
}

// ---------------------------------------------------------------------------------------
// Private repositories in listings and counts
// ---------------------------------------------------------------------------------------

#[test]
fn private_repositories_are_not_listed_or_counted_for_anonymous_callers() {
    let p = privacy();
    assert_eq!(
        p.app.get(LIST).send().sj(),
        (200, page(1, vec![entry(&p.app, &p.open)]))
    );
    let r = p.app.get(&format!("{LIST}?folder=acme")).send();
    assert_eq!(r.sj(), (200, page(1, vec![entry(&p.app, &p.open)])));
}

#[test]
fn private_repositories_are_not_listed_or_counted_for_an_unrelated_user() {
    let p = privacy();
    let r = p.app.get(LIST).as_user("stranger").send();
    assert_eq!(r.sj(), (200, page(1, vec![entry(&p.app, &p.open)])));
}

#[test]
fn private_repositories_are_not_listed_or_counted_for_an_org_member_without_grants() {
    let p = privacy();
    let r = p.app.get(LIST).as_user("member").send();
    assert_eq!(r.sj(), (200, page(1, vec![entry(&p.app, &p.open)])));
    // startAfter and skip count only what the caller may see.
    let r = p
        .app
        .get(&format!("{LIST}?startAfter=acme/open"))
        .as_user("member")
        .send();
    assert_eq!(r.sj(), (200, page(0, vec![])));
}

#[test]
fn private_repositories_are_listed_for_those_who_may_read_them() {
    let p = privacy();
    let reader = p.app.user("reader");
    grant_user(&p.app, &p.hidden, &reader, "read-only");
    let all = vec![
        entry(&p.app, &p.open),
        entry(&p.app, &p.secret),
        entry(&p.app, &p.hidden),
    ];
    assert_eq!(
        p.app.get(LIST).as_user("owner").send().sj(),
        (200, page(3, all.clone()))
    );
    assert_eq!(p.app.get(LIST).admin().send().sj(), (200, page(3, all)));
    let r = p.app.get(LIST).as_user("reader").send();
    assert_eq!(
        r.sj(),
        (
            200,
            page(2, vec![entry(&p.app, &p.open), entry(&p.app, &p.hidden)])
        )
    );
    // A team grant makes the member a reader of acme/secret.
    let acme = store::accounts::by_name(&p.app.conn(), "acme")
        .unwrap()
        .unwrap();
    let plain: i64 = p
        .app
        .conn()
        .query_row(
            "SELECT id FROM teams WHERE org_id = ?1 AND name = 'plain'",
            [acme.id],
            |r| r.get(0),
        )
        .unwrap();
    grant_team(&p.app, &p.secret, plain, "read-only");
    let owners = owners(&p.app, &acme);
    let mut read = vec![owners, plain];
    read.sort();
    let r = p.app.get(LIST).as_user("member").send();
    assert_eq!(
        r.sj(),
        (
            200,
            page(
                2,
                vec![
                    entry(&p.app, &p.open),
                    entry_with(&p.app, &p.secret, &read, &[owners])
                ]
            )
        )
    );
}

// ---------------------------------------------------------------------------------------
// /project/create
// ---------------------------------------------------------------------------------------

const CREATE: &str = "/udr/v1api/project/create";

#[test]
fn a_site_admin_creates_a_private_project_by_default() {
    let app = TestApp::start();
    let r = app
        .post(&format!(
            "{CREATE}?repository=alpine&title=A%20minimal%20image"
        ))
        .admin()
        .send();
    let repo = store::repos::by_path(&app.conn(), "library", "alpine")
        .unwrap()
        .unwrap();
    let want = json!({"error": null, "entry": entry(&app, &repo)});
    assert_eq!(r.sj(), (201, want));
    assert_eq!(r.json()["entry"]["title"], json!("A minimal image"));
    assert_eq!(r.json()["entry"]["isPublic"], json!(false));
    assert_eq!(r.json()["entry"]["fullPath"], json!("alpine"));
    // It is listed at once.
    assert_eq!(
        app.get(LIST).admin().send().sj(),
        (200, page(1, vec![entry(&app, &repo)]))
    );
}

#[test]
fn a_site_admin_creates_a_public_project_in_an_organization() {
    let app = TestApp::start();
    let boss = app.user("boss");
    let acme = app.org("acme", &boss);
    let owners = owners(&app, &acme);
    for (path, flag) in [
        ("acme/web", "true"),
        ("acme/one", "1"),
        ("acme/off", "false"),
        ("acme/zero", "0"),
    ] {
        let r = app
            .post(&format!("{CREATE}?repository={path}&isPublic={flag}"))
            .admin()
            .send();
        let (ns, name) = path.split_once('/').unwrap();
        let repo = store::repos::by_path(&app.conn(), ns, name)
            .unwrap()
            .unwrap();
        assert_eq!(
            r.sj(),
            (
                201,
                json!({"error": null, "entry": entry_with(&app, &repo, &[owners], &[owners])})
            )
        );
        assert_eq!(repo.is_public, flag == "true" || flag == "1", "{path}");
        assert_eq!(repo.short_description, "");
    }
}

#[test]
fn project_create_reads_a_form_body() {
    let app = TestApp::start();
    let r = app
        .post(CREATE)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("repository=alpine&title=Tiny&isPublic=true")
        .admin()
        .send();
    let repo = store::repos::by_path(&app.conn(), "library", "alpine")
        .unwrap()
        .unwrap();
    assert_eq!(
        r.sj(),
        (201, json!({"error": null, "entry": entry(&app, &repo)}))
    );
    assert_eq!(
        (repo.short_description.as_str(), repo.is_public),
        ("Tiny", true)
    );
}

#[test]
fn project_create_is_for_site_admins_only() {
    let app = TestApp::start();
    let boss = app.user("boss");
    app.org("acme", &boss);
    public_api(&app, true);
    // Even an owner of the namespace is refused: this route is for site admins.
    let r = app
        .post(&format!("{CREATE}?repository=acme/web"))
        .as_user("boss")
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    let r = app
        .post(&format!("{CREATE}?repository=boss/web"))
        .as_user("boss")
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    let r = app.post(&format!("{CREATE}?repository=acme/web")).send();
    assert_eq!(r.sj(), (401, json!({"error": "authentication required"})));
    assert_eq!(app.get(LIST).admin().send().sj(), (200, page(0, vec![])));
}

#[test]
fn project_create_validates_its_parameters() {
    let app = TestApp::start();
    app.repo("library", "taken", false);
    let long = "x".repeat(101);
    for (query, status, message) in [
        ("", 400, "repository is required"),
        ("repository=", 400, "repository is required"),
        (
            "repository=Bad_Name",
            400,
            "repository names are a-z and 0-9 separated by '.', '_', '__' or dashes",
        ),
        (
            "repository=a/b/c",
            400,
            "repository names are a-z and 0-9 separated by '.', '_', '__' or dashes",
        ),
        (
            "repository=/web",
            400,
            "repository must be `name` (library) or `namespace/name`",
        ),
        ("repository=tags", 400, "this repository name is reserved"),
        (
            "repository=taken",
            400,
            "a repository with this name already exists",
        ),
        ("repository=nobody/web", 404, "no such account"),
        (
            "repository=web&isPublic=maybe",
            400,
            "isPublic must be true or false",
        ),
    ] {
        let r = app.post(&format!("{CREATE}?{query}")).admin().send();
        assert_eq!(r.sj(), (status, json!({"error": message})), "{query}");
    }
    let r = app
        .post(&format!("{CREATE}?repository=web&title={long}"))
        .admin()
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            json!({"error": "the short description is longer than 100 characters"})
        )
    );
    assert_eq!(total(&app.get(LIST).admin().send()), 1);
}

// ---------------------------------------------------------------------------------------
// /tags
// ---------------------------------------------------------------------------------------

#[test]
fn tags_lists_every_tag_with_its_pull_command() {
    let app = TestApp::start();
    let repo = app.repo("library", "alpine", true);
    tag(&app, &repo, &["latest", "3.20"], IMAGE);
    app.conn()
        .execute("UPDATE tags SET pull_count = 7 WHERE name = 'latest'", [])
        .unwrap();
    let h = host(&app);
    let r = app.get("/udr/v1api/tags?repository=alpine").admin().send();
    assert_eq!(
        r.sj(),
        (
            200,
            page(
                2,
                vec![
                    tag_entry(&app, &repo, "3.20", &h),
                    tag_entry(&app, &repo, "latest", &h)
                ]
            )
        )
    );
    assert_eq!(r.json()["entries"][1]["pullCount"], json!(7));
    assert_eq!(
        r.json()["entries"][1]["pullCommand"],
        json!(format!("docker pull {h}/alpine:latest"))
    );
    assert!(is_rfc3339_ms_z(
        r.json()["entries"][0]["lastUpdated"].as_str().unwrap()
    ));
    // `library/alpine` names the same repository.
    assert_eq!(
        app.get("/udr/v1api/tags?repository=library/alpine")
            .admin()
            .send()
            .sj(),
        r.sj()
    );
}

#[test]
fn tags_of_a_namespaced_repository_use_its_full_path() {
    let app = TestApp::start();
    app.user("alice");
    let repo = app.repo("alice", "web", false);
    tag(&app, &repo, &["v1"], IMAGE);
    let r = app
        .get("/udr/v1api/tags?repository=alice/web")
        .as_user("alice")
        .send();
    let h = host(&app);
    assert_eq!(
        r.sj(),
        (200, page(1, vec![tag_entry(&app, &repo, "v1", &h)]))
    );
    assert_eq!(
        r.json()["entries"][0]["pullCommand"],
        json!(format!("docker pull {h}/alice/web:v1"))
    );
}

#[test]
fn pull_commands_use_the_configured_public_address() {
    let app = TestApp::start_with(|c| c.public_address = Some("registry.example.com".into()));
    let repo = app.repo("library", "alpine", true);
    tag(&app, &repo, &["latest"], IMAGE);
    let r = app.get("/udr/v1api/tags?repository=alpine").admin().send();
    assert_eq!(
        r.sj(),
        (
            200,
            page(
                1,
                vec![tag_entry(&app, &repo, "latest", "registry.example.com")]
            )
        )
    );
    assert_eq!(
        r.json()["entries"][0]["pullCommand"],
        json!("docker pull registry.example.com/alpine:latest")
    );
}

#[test]
fn pull_commands_follow_the_host_the_request_came_to() {
    let app = TestApp::start();
    let repo = app.repo("library", "alpine", true);
    tag(&app, &repo, &["latest"], IMAGE);
    let r = app
        .get("/udr/v1api/tags?repository=alpine")
        .header("Host", "hub.local:8443")
        .admin()
        .send();
    assert_eq!(
        r.json()["entries"][0]["pullCommand"],
        json!("docker pull hub.local:8443/alpine:latest")
    );
}

/// Issue 18: `X-Forwarded-Host` from a client is not believed (it used to be, when no `Host`
/// came); from a trusted proxy (`--trust-proxy`) it is.
#[test]
fn pull_commands_follow_forwarded_hosts_only_from_a_trusted_proxy() {
    let pull = |app: &TestApp| {
        let repo = app.repo("library", "alpine", true);
        tag(app, &repo, &["latest"], IMAGE);
        app.get("/udr/v1api/tags?repository=alpine")
            .header("Host", "10.0.0.5:5000")
            .header("X-Forwarded-Host", "hub.example")
            .admin()
            .send()
            .json()["entries"][0]["pullCommand"]
            .clone()
    };
    assert_eq!(
        pull(&TestApp::start()),
        json!("docker pull 10.0.0.5:5000/alpine:latest")
    );
    assert_eq!(
        pull(&TestApp::start_with(|c| c.trust_proxy = true)),
        json!("docker pull hub.example/alpine:latest")
    );
}

#[test]
fn tags_are_sorted_in_byte_order_and_page_with_start_after_skip_and_take() {
    let app = TestApp::start();
    let repo = app.repo("library", "alpine", true);
    let names = [
        "v1_0", "latest", "v1.0", "Latest", "v1-0", "V1", "_x", "v10", "0.9",
    ];
    tag(&app, &repo, &names, IMAGE);
    let order = [
        "0.9", "Latest", "V1", "_x", "latest", "v1-0", "v1.0", "v10", "v1_0",
    ];
    let tag_names = |r: &Resp| -> Vec<String> {
        r.json()["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["tagName"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = app.get("/udr/v1api/tags?repository=alpine").admin().send();
    assert_eq!(
        (tag_names(&r), total(&r)),
        (order.map(String::from).to_vec(), 9)
    );
    let r = app
        .get("/udr/v1api/tags?repository=alpine&startAfter=_x")
        .admin()
        .send();
    assert_eq!(
        (tag_names(&r), total(&r)),
        (order[4..].iter().map(|s| s.to_string()).collect(), 5)
    );
    let r = app
        .get("/udr/v1api/tags?repository=alpine&startAfter=_x&skip=1&take=2")
        .admin()
        .send();
    assert_eq!(
        (tag_names(&r), total(&r)),
        (vec!["v1-0".to_owned(), "v1.0".to_owned()], 5)
    );
    let h = host(&app);
    assert_eq!(
        r.sj(),
        (
            200,
            page(
                5,
                vec![
                    tag_entry(&app, &repo, "v1-0", &h),
                    tag_entry(&app, &repo, "v1.0", &h)
                ]
            )
        )
    );
    let r = app
        .get("/udr/v1api/tags?repository=alpine&take=0")
        .admin()
        .send();
    assert_eq!(r.sj(), (200, page(9, vec![])));
    let r = app
        .get("/udr/v1api/tags?repository=alpine&skip=9")
        .admin()
        .send();
    assert_eq!(r.sj(), (200, page(9, vec![])));
}

#[test]
fn tags_of_a_repository_without_tags_is_an_empty_page() {
    let app = TestApp::start();
    app.repo("library", "alpine", true);
    assert_eq!(
        app.get("/udr/v1api/tags?repository=alpine")
            .admin()
            .send()
            .sj(),
        (200, page(0, vec![]))
    );
}

#[test]
fn tags_validates_its_parameters() {
    let app = TestApp::start();
    app.repo("library", "alpine", true);
    for (query, status, message) in [
        ("", 400, "repository is required"),
        ("repository=", 400, "repository is required"),
        (
            "repository=alpine&skip=-1",
            400,
            "skip must be a non-negative integer",
        ),
        (
            "repository=alpine&take=x",
            400,
            "take must be a non-negative integer",
        ),
        (
            "repository=alpine&take=1001",
            400,
            "take must be at most 1000",
        ),
        ("repository=missing", 404, "no such repository"),
        ("repository=/alpine", 404, "no such repository"),
        ("repository=a/b/c", 404, "no such repository"),
    ] {
        let r = app.get(&format!("/udr/v1api/tags?{query}")).admin().send();
        assert_eq!(r.sj(), (status, json!({"error": message})), "{query}");
    }
}

// ---------------------------------------------------------------------------------------
// /taginfo
// ---------------------------------------------------------------------------------------

#[test]
fn taginfo_shows_one_tag_and_its_image() {
    let app = TestApp::start();
    let repo = app.repo("library", "alpine", true);
    tag(&app, &repo, &["latest"], IMAGE);
    tag(&app, &repo, &["edge"], IMAGE2);
    let r = app
        .get("/udr/v1api/taginfo?repository=alpine&tagName=edge")
        .admin()
        .send();
    let mut want = tag_entry(&app, &repo, "edge", &host(&app));
    want["imageId"] = json!(IMAGE2);
    assert_eq!(r.sj(), (200, json!({"error": null, "entry": want})));
}

#[test]
fn taginfo_of_a_missing_tag_is_404_and_parameters_are_required() {
    let app = TestApp::start();
    app.repo("library", "alpine", true);
    for (query, status, message) in [
        ("repository=alpine&tagName=nope", 404, "no such tag"),
        ("repository=alpine", 400, "tagName is required"),
        ("repository=alpine&tagName=", 400, "tagName is required"),
        ("tagName=latest", 400, "repository is required"),
        (
            "repository=missing&tagName=latest",
            404,
            "no such repository",
        ),
    ] {
        let get = app
            .get(&format!("/udr/v1api/taginfo?{query}"))
            .admin()
            .send();
        assert_eq!(get.sj(), (status, json!({"error": message})), "GET {query}");
        let delete = app
            .delete(&format!("/udr/v1api/taginfo?{query}"))
            .admin()
            .send();
        assert_eq!(
            delete.sj(),
            (status, json!({"error": message})),
            "DELETE {query}"
        );
    }
}

#[test]
fn taginfo_delete_removes_the_tag_for_a_writer() {
    let app = TestApp::start();
    let boss = app.user("boss");
    let dev = app.user("dev");
    let acme = app.org("acme", &boss);
    let writers = team(&app, &acme, "writers");
    join(&app, writers, &dev);
    let repo = app.repo("acme", "web", false);
    grant_team(&app, &repo, writers, "read-write");
    tag(&app, &repo, &["latest", "old"], IMAGE);
    let r = app
        .delete("/udr/v1api/taginfo?repository=acme/web&tagName=old")
        .as_user("dev")
        .send();
    assert_eq!(r.sj(), (200, json!({"error": null})));
    let r = app
        .get("/udr/v1api/tags?repository=acme/web")
        .as_user("dev")
        .send();
    assert_eq!(
        r.sj(),
        (
            200,
            page(1, vec![tag_entry(&app, &repo, "latest", &host(&app))])
        )
    );
    let r = app
        .delete("/udr/v1api/taginfo?repository=acme/web&tagName=old")
        .as_user("dev")
        .send();
    assert_eq!(r.sj(), (404, json!({"error": "no such tag"})));
}

#[test]
fn taginfo_delete_is_403_for_callers_who_may_only_read() {
    let p = privacy();
    let reader = p.app.user("reader");
    grant_user(&p.app, &p.hidden, &reader, "read-only");
    let forbidden = (403, json!({"error": "the client is not authorized"}));
    let r = p
        .app
        .delete("/udr/v1api/taginfo?repository=owner/hidden&tagName=latest")
        .as_user("reader")
        .send();
    assert_eq!(r.sj(), forbidden);
    // Public repositories are read-only for everyone else, anonymous included.
    for r in [
        p.app
            .delete("/udr/v1api/taginfo?repository=acme/open&tagName=latest")
            .send(),
        p.app
            .delete("/udr/v1api/taginfo?repository=acme/open&tagName=latest")
            .as_user("stranger")
            .send(),
        p.app
            .delete("/udr/v1api/taginfo?repository=acme/open&tagName=latest")
            .as_user("member")
            .send(),
    ] {
        assert_eq!(r.sj(), forbidden);
    }
    assert_eq!(stored_tag(&p.app, &p.hidden, "latest").name, "latest");
    assert_eq!(stored_tag(&p.app, &p.open, "latest").name, "latest");
}

// ---------------------------------------------------------------------------------------
// Private repositories in tag routes: exactly like missing ones
// ---------------------------------------------------------------------------------------

fn tag_routes(repository: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GET", format!("/udr/v1api/tags?repository={repository}")),
        (
            "GET",
            format!("/udr/v1api/taginfo?repository={repository}&tagName=latest"),
        ),
        (
            "DELETE",
            format!("/udr/v1api/taginfo?repository={repository}&tagName=latest"),
        ),
    ]
}

fn assert_private_is_missing(p: &Privacy, who: Option<&str>) {
    for (private, missing) in [
        ("acme/secret", "acme/nothing"),
        ("owner/hidden", "owner/nothing"),
    ] {
        for ((method, hidden_url), (_, missing_url)) in
            tag_routes(private).into_iter().zip(tag_routes(missing))
        {
            let send = |url: &str| {
                let req = p.app.req(method, url);
                match who {
                    Some(user) => req.as_user(user).send(),
                    None => req.send(),
                }
            };
            let hidden = send(&hidden_url);
            let absent = send(&missing_url);
            assert_eq!(
                hidden.sj(),
                (404, json!({"error": "no such repository"})),
                "{method} {hidden_url} as {who:?}"
            );
            same_answer(&hidden, &absent);
        }
    }
    assert_eq!(stored_tag(&p.app, &p.secret, "latest").name, "latest");
    assert_eq!(stored_tag(&p.app, &p.hidden, "latest").name, "latest");
}

#[test]
fn tag_routes_on_a_private_repository_answer_as_missing_for_anonymous_callers() {
    assert_private_is_missing(&privacy(), None);
}

#[test]
fn tag_routes_on_a_private_repository_answer_as_missing_for_an_unrelated_user() {
    assert_private_is_missing(&privacy(), Some("stranger"));
}

#[test]
fn tag_routes_on_a_private_repository_answer_as_missing_for_an_org_member_without_grants() {
    assert_private_is_missing(&privacy(), Some("member"));
}

#[test]
fn tag_routes_serve_a_public_repository_to_anonymous_callers_with_the_public_api_on() {
    let p = privacy();
    let h = host(&p.app);
    let r = p.app.get("/udr/v1api/tags?repository=acme/open").send();
    assert_eq!(
        r.sj(),
        (200, page(1, vec![tag_entry(&p.app, &p.open, "latest", &h)]))
    );
    let r = p
        .app
        .get("/udr/v1api/taginfo?repository=acme/open&tagName=latest")
        .send();
    let mut want = tag_entry(&p.app, &p.open, "latest", &h);
    want["imageId"] = json!(IMAGE);
    assert_eq!(r.sj(), (200, json!({"error": null, "entry": want})));
}

// ---------------------------------------------------------------------------------------
// /folder
// ---------------------------------------------------------------------------------------

const FOLDER: &str = "/udr/v1api/folder";

fn count(app: &TestApp, table: &str) -> i64 {
    app.conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn folder_delete_removes_every_repository_under_the_folder() {
    let app = byte_order_app();
    for path in ["acme/a", "acme/b", "acme-x/a"] {
        let (ns, name) = path.split_once('/').unwrap();
        let repo = store::repos::by_path(&app.conn(), ns, name)
            .unwrap()
            .unwrap();
        tag(&app, &repo, &["latest"], IMAGE);
    }
    let r = app.delete(&format!("{FOLDER}?path=acme")).admin().send();
    assert_eq!(r.sj(), (200, json!({"error": null, "deleted": 6})));
    let left: Vec<&str> = BYTE_ORDER
        .iter()
        .copied()
        .filter(|p| !p.starts_with("acme/"))
        .collect();
    assert_eq!(paths(&app.get(LIST).admin().send()), left);
    // Their tags and images went with them; the neighbour's stayed.
    assert_eq!((count(&app, "tags"), count(&app, "images")), (1, 1));
    // Again: nothing left to remove.
    let r = app.delete(&format!("{FOLDER}?path=acme/")).admin().send();
    assert_eq!(r.sj(), (200, json!({"error": null, "deleted": 0})));
}

#[test]
fn folder_delete_is_for_site_admins_only() {
    let app = byte_order_app();
    public_api(&app, true);
    let r = app
        .delete(&format!("{FOLDER}?path=acme"))
        .as_user("owner")
        .send();
    assert_eq!(
        r.sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    let r = app.delete(&format!("{FOLDER}?path=acme")).send();
    assert_eq!(r.sj(), (401, json!({"error": "authentication required"})));
    assert_eq!(total(&app.get(LIST).admin().send()), 14);
}

#[test]
fn folder_delete_needs_a_folder() {
    let app = byte_order_app();
    for query in ["", "path="] {
        let r = app.delete(&format!("{FOLDER}?{query}")).admin().send();
        assert_eq!(
            r.sj(),
            (400, json!({"error": "path is required"})),
            "{query}"
        );
    }
    let r = app.delete(&format!("{FOLDER}?path=/")).admin().send();
    assert_eq!(r.sj(), (400, json!({"error": "path must name a folder"})));
    assert_eq!(total(&app.get(LIST).admin().send()), 14);
}
