//! The Alauda dialect over HTTP (API-NOTES section 4): create, list, detail, update, tags,
//! delete, token login, profile and regions.

mod common;
mod v1_support;

use berth::core::time::rfc3339;
use common::*;
use serde_json::{json, Value};
use v1_support::*;

fn ts(ms: Option<i64>) -> Value {
    ms.map(rfc3339).map(Value::String).unwrap_or(Value::Null)
}

/// The expected detail of a repository as the store has it.
fn expected_detail(app: &TestApp, path: &str, starred: bool) -> Value {
    let r = repo(app, path).unwrap();
    json!({
        "namespace": r.namespace, "repo_name": r.name, "repo_path": r.full_path,
        "logo_file": "/static/images/user/default-logo.png",
        "description": r.short_description, "full_description": r.long_description,
        "repo_starred_count": r.star_count,
        "created_at": rfc3339(r.created_at), "updated_at": rfc3339(r.updated_at.unwrap_or(r.created_at)),
        "is_public": r.is_public, "logo": "default-icon.jpg", "is_automated": false,
        "download": r.pull_count, "upload": r.push_count,
        "pulled_at": ts(r.pulled_at), "pushed_at": ts(r.pushed_at), "is_repo_starred": starred,
    })
}

fn expected_listed(app: &TestApp, path: &str) -> Value {
    let r = repo(app, path).unwrap();
    let created = rfc3339(r.created_at);
    json!({
        "repo_name": r.name, "namespace": r.namespace, "repo_path": r.full_path, "is_automated": false,
        "description": r.short_description, "creation_at": created, "created_at": created,
        "updated_at": rfc3339(r.updated_at.unwrap_or(r.created_at)), "is_public": r.is_public,
        "logo": "default-icon.jpg", "repo_starred_count": r.star_count, "full_description": r.long_description,
        "download": r.pull_count, "upload": r.push_count, "pulled_at": ts(r.pulled_at), "pushed_at": ts(r.pushed_at),
    })
}

// ---------------------------------------------------------------- create

#[test]
fn create_answers_201_with_the_create_shape() {
    let app = world();
    let body = json!({"repo_name": "repo", "description": "A docker image repository", "namespace": "alice", "is_public": true});
    let r = app
        .post("/v1/repositories/alice")
        .as_user("alice")
        .json(&body)
        .send();
    let stored = repo(&app, "alice/repo").unwrap();
    let t = rfc3339(stored.created_at);
    assert_eq!(
        r.sj(),
        (
            201,
            json!({"repo_name": "repo", "namespace": "alice", "repo_path": "alice/repo", "is_automated": false,
                   "description": "A docker image repository", "full_description": "",
                   "creation_time": t, "updated_time": t, "created_at": t, "updated_at": t,
                   "is_public": true, "logo": "default-icon.jpg"})
        )
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(t.len(), "2014-11-19T05:54:22.741Z".len());
}

#[test]
fn create_defaults_to_private_and_takes_a_full_description() {
    let app = world();
    let r = app
        .post("/v1/repositories/alice/")
        .as_user("alice")
        .json(&json!({"repo_name": "quiet", "full_description": "# Hi"}))
        .send();
    assert_eq!(r.status, 201);
    assert_eq!(
        (
            r.json()["is_public"].clone(),
            r.json()["full_description"].clone()
        ),
        (json!(false), json!("# Hi"))
    );
    let stored = repo(&app, "alice/quiet").unwrap();
    assert!(!stored.is_public);
    assert!(stored.long_description_html.contains("<h1>"));
}

#[test]
fn create_with_a_different_body_namespace_is_400() {
    let app = world();
    let r = app
        .post("/v1/repositories/alice")
        .as_user("alice")
        .json(&json!({"repo_name": "x", "namespace": "bob"}))
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            json!({"error": "the body's namespace differs from the URL's"})
        )
    );
    assert!(repo(&app, "alice/x").is_none());
}

#[test]
fn create_of_a_duplicate_is_400() {
    let app = world();
    let r = app
        .post("/v1/repositories/alice")
        .as_user("alice")
        .json(&json!({"repo_name": "app"}))
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            json!({"error": "a repository with this name already exists"})
        )
    );
}

#[test]
fn create_validates_its_body() {
    let app = world();
    let cases = [
        (
            json!({"repo_name": "Bad!"}),
            json!({"error": "repository names are a-z and 0-9 separated by '.', '_', '__' or dashes"}),
        ),
        (
            json!({"repo_name": "tags"}),
            json!({"error": "this repository name is reserved"}),
        ),
        (
            json!({"repo_name": "x", "description": "d".repeat(101)}),
            json!({"error": "the short description is longer than 100 characters"}),
        ),
        (
            json!({"repo_name": "x", "full_description": "d".repeat(25_001)}),
            json!({"error": "the long description is longer than 25000 characters"}),
        ),
    ];
    for (body, error) in cases {
        let r = app
            .post("/v1/repositories/alice")
            .as_user("alice")
            .json(&body)
            .send();
        assert_eq!(r.sj(), (400, error));
    }
    for body in [
        json!({}),
        json!({"repo_name": 5}),
        json!({"repo_name": "x", "is_public": "yes"}),
        json!(["x"]),
    ] {
        let r = app
            .post("/v1/repositories/alice")
            .as_user("alice")
            .json(&body)
            .send();
        assert_eq!(r.status, 400, "{body}");
        assert!(r.json()["error"].is_string(), "{body}");
    }
}

#[test]
fn create_needs_namespace_admin() {
    let app = world();
    let body = json!({"repo_name": "x"});
    assert_eq!(
        app.post("/v1/repositories/alice").json(&body).send().sj(),
        (401, json!({"error": "authentication required"}))
    );
    assert_eq!(
        app.post("/v1/repositories/alice")
            .as_user("bob")
            .json(&body)
            .send()
            .sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_eq!(
        app.post("/v1/repositories/acme")
            .as_user("member")
            .json(&body)
            .send()
            .sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_eq!(
        app.post("/v1/repositories/acme")
            .as_user("owner")
            .json(&body)
            .send()
            .status,
        201
    );
    assert_eq!(
        app.post("/v1/repositories/ghost")
            .as_user("alice")
            .json(&body)
            .send()
            .sj(),
        (404, json!({"error": "no such account"}))
    );
}

// ---------------------------------------------------------------- list

#[test]
fn list_shows_the_namespace_with_true_count() {
    let app = world();
    let r = app.get("/v1/repositories/alice").as_user("alice").send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"count": 2, "next": null, "previous": null,
                   "results": [expected_listed(&app, "alice/app"), expected_listed(&app, "alice/hidden")]})
        )
    );
}

#[test]
fn list_hides_private_repositories_from_those_who_cannot_read_them() {
    let app = world();
    for who in OUTSIDERS {
        let r = as_who(app.get("/v1/repositories/alice"), who).send();
        assert_eq!(
            r.sj(),
            (
                200,
                json!({"count": 1, "next": null, "previous": null, "results": [expected_listed(&app, "alice/app")]})
            ),
            "{who:?}"
        );
        let r = as_who(app.get("/v1/repositories/acme"), who).send();
        assert_eq!(
            r.sj(),
            (
                200,
                json!({"count": 0, "next": null, "previous": null, "results": []})
            ),
            "{who:?}"
        );
    }
    let r = app.get("/v1/repositories/acme").as_user("reader").send();
    assert_eq!(r.json()["count"], json!(1));
}

#[test]
fn list_pages_with_absolute_links() {
    let app = world();
    for i in 0..5 {
        app.repo("bob", &format!("r{i}"), true);
    }
    let base = format!("http://{}/v1/repositories/bob", app.addr);
    let r = app.get("/v1/repositories/bob?page_size=2").send().json();
    assert_eq!(
        (r["count"].clone(), r["next"].clone(), r["previous"].clone()),
        (
            json!(5),
            json!(format!("{base}?page=2&page_size=2")),
            json!(null)
        )
    );
    let names = |v: &Value| -> Vec<Value> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["repo_name"].clone())
            .collect()
    };
    assert_eq!(names(&r), vec![json!("r0"), json!("r1")]);
    let r = app
        .get("/v1/repositories/bob?page=2&page_size=2")
        .send()
        .json();
    assert_eq!(
        (r["next"].clone(), r["previous"].clone()),
        (
            json!(format!("{base}?page=3&page_size=2")),
            json!(format!("{base}?page=1&page_size=2"))
        )
    );
    assert_eq!(names(&r), vec![json!("r2"), json!("r3")]);
    let r = app
        .get("/v1/repositories/bob?page=3&page_size=2")
        .send()
        .json();
    assert_eq!(
        (r["next"].clone(), names(&r)),
        (json!(null), vec![json!("r4")])
    );
}

/// The read cache's entries and bytes once its pending work is done.
fn cache_counts(app: &TestApp) -> (u64, u64) {
    let cache = app.state.store.read_cache();
    actix_web::rt::System::new().block_on(cache.settle());
    (cache.entry_count(), cache.weighted_size())
}

/// Issue 12 finding 5: the paging links follow each request's `Host`, but the `Host` is not
/// part of what the read cache keeps: forty hosts, one entry, and each answer (served from
/// the cache after the first) still links to its own host exactly.
#[test]
fn list_links_follow_the_host_but_hosts_do_not_grow_the_cache() {
    let app = world();
    for i in 0..5 {
        app.repo("bob", &format!("r{i}"), true);
    }
    let get = |host: &str| {
        app.get("/v1/repositories/bob?page=2&page_size=2")
            .header("Host", host)
            .send()
            .json()
    };
    let first = get("first.example:5000");
    let before = cache_counts(&app);
    for i in 0..40 {
        let host = format!("h{i}-{}.example:{}", "x".repeat(200), 1000 + i);
        let r = get(&host);
        let base = format!("http://{host}/v1/repositories/bob");
        assert_eq!(
            (r["next"].clone(), r["previous"].clone()),
            (
                json!(format!("{base}?page=3&page_size=2")),
                json!(format!("{base}?page=1&page_size=2"))
            ),
            "{host}"
        );
        assert_eq!(
            (&r["count"], &r["results"]),
            (&first["count"], &first["results"])
        );
    }
    let after = cache_counts(&app);
    assert_eq!(after.0, before.0, "entries: {before:?} -> {after:?}");
    assert!(after.1 <= before.1, "bytes: {before:?} -> {after:?}");
}

/// With `--public-address`, the links use it whatever `Host` came, cached or not.
#[test]
fn list_links_use_the_public_address_whatever_the_host() {
    let app = TestApp::start_with(|c| c.public_address = Some("hub.example.com:5000".into()));
    app.user("bob");
    for i in 0..3 {
        app.repo("bob", &format!("r{i}"), true);
    }
    for host in ["a.example", "b.example:81", "a.example"] {
        let r = app
            .get("/v1/repositories/bob?page_size=1")
            .header("Host", host)
            .send()
            .json();
        assert_eq!(
            (r["count"].clone(), r["next"].clone(), r["previous"].clone()),
            (
                json!(3),
                json!("http://hub.example.com:5000/v1/repositories/bob?page=2&page_size=1"),
                json!(null)
            )
        );
    }
}

/// Issue 18: one rule for the public address. A client's `X-Forwarded-*` headers are not
/// believed (they used to set the links' scheme); behind `--trust-proxy` they are, for host and
/// scheme both; `--public-address` wins over them and may name its scheme.
#[test]
fn list_links_believe_forwarded_headers_only_from_a_trusted_proxy() {
    let links = |app: &TestApp| {
        app.user("bob");
        app.repo("bob", "r0", true);
        app.repo("bob", "r1", true);
        app.get("/v1/repositories/bob?page_size=1")
            .header("Host", "10.0.0.5:5000")
            .header("X-Forwarded-Host", "hub.example")
            .header("X-Forwarded-Proto", "https")
            .send()
            .json()["next"]
            .clone()
    };
    let next = |base: &str| json!(format!("{base}/v1/repositories/bob?page=2&page_size=1"));
    assert_eq!(links(&TestApp::start()), next("http://10.0.0.5:5000"));
    assert_eq!(
        links(&TestApp::start_with(|c| c.trust_proxy = true)),
        next("https://hub.example")
    );
    assert_eq!(
        links(&TestApp::start_with(|c| {
            c.trust_proxy = true;
            c.public_address = Some("registry.example:8443".into());
        })),
        next("https://registry.example:8443")
    );
    assert_eq!(
        links(&TestApp::start_with(|c| {
            c.public_address = Some("registry.example".into());
            c.public_scheme = Some("https");
        })),
        next("https://registry.example")
    );
}

#[test]
fn list_defaults_to_20_and_clamps_page_size_to_100() {
    let app = world();
    for i in 0..25 {
        app.repo("bob", &format!("r{i:02}"), true);
    }
    let r = app.get("/v1/repositories/bob").send().json();
    assert_eq!(
        (r["count"].clone(), r["results"].as_array().unwrap().len()),
        (json!(25), 20)
    );
    let r = app.get("/v1/repositories/bob?page_size=1000").send().json();
    assert_eq!(
        (r["next"].clone(), r["results"].as_array().unwrap().len()),
        (json!(null), 25)
    );
    let r = app.get("/v1/repositories/bob?page_size=0").send().json();
    assert_eq!(r["results"].as_array().unwrap().len(), 1);
}

#[test]
fn list_refuses_bad_paging() {
    let app = world();
    for q in ["page=0", "page=-1", "page=x", "page_size=y"] {
        let r = app.get(&format!("/v1/repositories/alice?{q}")).send();
        assert_eq!(r.status, 400, "{q}");
        assert!(r.json()["error"].is_string());
    }
}

#[test]
fn list_of_an_unknown_namespace_is_404() {
    let app = world();
    assert_eq!(
        app.get("/v1/repositories/ghost").send().sj(),
        (404, json!({"error": "no such account"}))
    );
}

// ---------------------------------------------------------------- detail

#[test]
fn detail_has_every_field() {
    let app = world();
    let r = app.get("/v1/repositories/alice/app/").send();
    assert_eq!(r.sj(), (200, expected_detail(&app, "alice/app", false)));
}

/// Issue 18: the detail's `logo_file` names a path that answers, with an image, to anyone.
#[test]
fn the_logo_file_of_a_detail_is_served() {
    let app = world();
    let r = app.get("/v1/repositories/alice/app/").send();
    let logo = r.json()["logo_file"].as_str().unwrap().to_owned();
    let img = ureq::get(&app.url(&logo)).call().expect("the logo answers");
    assert_eq!(img.status(), 200, "{logo}");
    assert_eq!(img.header("content-type"), Some("image/png"));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut img.into_reader(), &mut bytes).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{logo}");
}

#[test]
fn detail_shows_counters_and_the_callers_star() {
    let app = world();
    app.get("/v1/repositories/alice/app/images")
        .docker_token()
        .send();
    app.put("/v1/repositories/alice/app/images")
        .as_user("alice")
        .json(&json!([{"id": IMG2}]))
        .send();
    app.put("/v1/repositories/alice/app/star")
        .as_user("bob")
        .send();
    let r = app.get("/v1/repositories/alice/app").as_user("bob").send();
    let expected = expected_detail(&app, "alice/app", true);
    assert_eq!(r.sj(), (200, expected.clone()));
    assert_eq!(
        (
            expected["download"].clone(),
            expected["upload"].clone(),
            expected["repo_starred_count"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
    assert!(expected["pulled_at"].is_string() && expected["pushed_at"].is_string());
    assert_eq!(
        app.get("/v1/repositories/alice/app")
            .as_user("alice")
            .send()
            .json()["is_repo_starred"],
        json!(false)
    );
}

#[test]
fn detail_of_a_missing_repository_is_404() {
    let app = world();
    assert_eq!(
        app.get("/v1/repositories/alice/nothing").send().sj(),
        (404, json!({"error": "no such repository"}))
    );
}

#[test]
fn detail_for_a_read_only_collaborator() {
    let app = world();
    let r = app
        .get("/v1/repositories/acme/secret")
        .as_user("reader")
        .send();
    assert_eq!(r.sj(), (200, expected_detail(&app, "acme/secret", false)));
}

// ---------------------------------------------------------------- update

#[test]
fn update_changes_any_subset_and_answers_the_update_shape() {
    let app = world();
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .json(&json!({"description": "new", "is_public": false}))
        .send();
    let stored = repo(&app, "alice/app").unwrap();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"repo_name": "app", "namespace": "alice", "repo_path": "alice/app", "description": "new",
                   "full_description": stored.long_description, "is_public": false, "logo": "default-icon.jpg",
                   "created_at": rfc3339(stored.created_at), "updated_at": rfc3339(stored.updated_at.unwrap())})
        )
    );
    let r = app
        .put("/v1/repositories/alice/app/")
        .as_user("alice")
        .json(&json!({"full_description": "**bold**"}))
        .send();
    assert_eq!(
        (
            r.status,
            r.json()["description"].clone(),
            r.json()["full_description"].clone()
        ),
        (200, json!("new"), json!("**bold**"))
    );
    assert!(repo(&app, "alice/app")
        .unwrap()
        .long_description_html
        .contains("<strong>bold</strong>"));
}

#[test]
fn update_is_for_repository_admins() {
    let app = world();
    let body = json!({"description": "mine now"});
    assert_eq!(
        app.put("/v1/repositories/alice/app")
            .as_user("bob")
            .json(&body)
            .send()
            .sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_eq!(
        app.put("/v1/repositories/acme/secret")
            .as_user("reader")
            .json(&body)
            .send()
            .sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_eq!(
        app.put("/v1/repositories/acme/secret")
            .as_user("owner")
            .json(&body)
            .send()
            .status,
        200
    );
    assert_eq!(
        app.put("/v1/repositories/alice/app")
            .admin()
            .json(&body)
            .send()
            .status,
        200
    );
}

#[test]
fn update_validates_its_body() {
    let app = world();
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .json(&json!({"description": "d".repeat(101)}))
        .send();
    assert_eq!(
        r.sj(),
        (
            400,
            json!({"error": "the short description is longer than 100 characters"})
        )
    );
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .json(&json!({"is_public": "no"}))
        .send();
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("invalid JSON body"));
    assert!(repo(&app, "alice/app").unwrap().is_public);
}

// ---------------------------------------------------------------- tags

#[test]
fn tags_list_image_tag_and_name() {
    let app = world();
    let r = repo(&app, "alice/app").unwrap();
    berth::store::write(&mut app.conn(), |tx| {
        berth::store::tags::set_tag(tx, r.id, "test", IMG)
    })
    .unwrap();
    let resp = app.get("/v1/repositories/alice/app/tags").send();
    assert_eq!(
        resp.sj(),
        (
            200,
            json!([{"image_id": IMG, "tag": "latest", "name": "latest"}, {"image_id": IMG, "tag": "test", "name": "test"}])
        )
    );
}

#[test]
fn tags_of_a_missing_repository_are_404() {
    let app = world();
    assert_eq!(
        app.get("/v1/repositories/alice/nothing/tags").send().sj(),
        (404, json!({"error": "no such repository"}))
    );
}

// ---------------------------------------------------------------- delete

#[test]
fn delete_answers_204_without_a_body() {
    let app = world();
    let r = app
        .delete("/v1/repositories/alice/app/")
        .as_user("alice")
        .send();
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert!(repo(&app, "alice/app").is_none());
    assert_eq!(
        app.delete("/v1/repositories/alice/app")
            .as_user("alice")
            .send()
            .sj(),
        (404, json!({"error": "no such repository"}))
    );
}

#[test]
fn delete_is_for_repository_admins() {
    let app = world();
    assert_eq!(
        app.delete("/v1/repositories/alice/app")
            .as_user("bob")
            .send()
            .sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_eq!(
        app.delete("/v1/repositories/alice/app").send().sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert_eq!(
        app.delete("/v1/repositories/acme/secret")
            .as_user("reader")
            .send()
            .sj(),
        (403, json!({"error": "the client is not authorized"}))
    );
    assert!(repo(&app, "alice/app").is_some());
}

// ---------------------------------------------------------------- private repositories

#[test]
fn private_repositories_are_invisible_on_every_alauda_route() {
    let app = world();
    assert_invisible(&app, "GET detail", |p, who| {
        as_who(app.get(&format!("/v1/repositories/{p}")), who)
    });
    assert_invisible(&app, "GET tags", |p, who| {
        as_who(app.get(&format!("/v1/repositories/{p}/tags")), who)
    });
    assert_invisible(&app, "PUT update", |p, who| {
        as_who(app.put(&format!("/v1/repositories/{p}")), who).json(&json!({"description": "x"}))
    });
    assert_invisible(&app, "DELETE", |p, who| {
        as_who(app.delete(&format!("/v1/repositories/{p}/")), who)
    });
    assert_eq!(
        repo(&app, "acme/secret").unwrap().short_description,
        "secret short"
    );
}

// ---------------------------------------------------------------- token login, profile, regions

#[test]
fn generate_api_token_gives_an_api_key_that_works_as_token() {
    let app = world();
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send();
    assert_eq!(r.status, 200);
    let body = r.json();
    let key = body["token"].as_str().unwrap().to_owned();
    assert_eq!(body, json!({"token": key}));
    assert!(berth::auth::secret::looks_like_api_key(&key));
    let r = app
        .get("/v1/repositories/alice/hidden")
        .header("Authorization", &format!("Token {key}"))
        .send();
    assert_eq!(r.status, 200);
    // It is an API key of that user: Basic user:key works too.
    assert_eq!(app.get("/v1/users").basic("alice", &key).send().status, 200);
}

#[test]
fn generate_api_token_refuses_bad_credentials_with_json() {
    let app = world();
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": "alice", "password": "wrong-password"}))
        .send();
    assert_eq!(
        r.sj(),
        (401, json!({"error": "invalid username or password"}))
    );
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": "nobody", "password": "wrong-password"}))
        .send();
    assert_eq!(
        r.sj(),
        (401, json!({"error": "invalid username or password"}))
    );
}

#[test]
fn generate_api_token_refuses_an_inactive_user() {
    let app = world();
    let u = berth::store::accounts::by_name(&app.conn(), "bob")
        .unwrap()
        .unwrap();
    berth::store::accounts::set_active(&app.conn(), u.id, false).unwrap();
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": "bob", "password": PASSWORD}))
        .send();
    // Issue 18: Alauda's envelope, not the Index's bare string.
    assert_eq!(r.sj(), (403, json!({"error": "Account is not Active"})));
}

/// Issue 18: an inactive user gets Alauda's `{"error": ...}` on Alauda's routes and the
/// Index's bare string on the Index's, on the one `/v1` prefix.
#[test]
fn an_inactive_user_gets_each_v1_dialects_own_envelope() {
    let app = world();
    let u = berth::store::accounts::by_name(&app.conn(), "bob")
        .unwrap()
        .unwrap();
    berth::store::accounts::set_active(&app.conn(), u.id, false).unwrap();
    let alauda = json!({"error": "Account is not Active"});
    for path in [
        "/v1/repositories/alice",
        "/v1/repositories/alice/app",
        "/v1/auth/bob/profile",
    ] {
        let r = app.get(path).as_user("bob").send();
        assert_eq!(r.sj(), (403, alauda.clone()), "{path}");
    }
    let r = app.get("/v1/users").as_user("bob").send();
    assert_eq!(r.sj(), (403, json!("Account is not Active")));
}

#[test]
fn generate_api_token_is_throttled_like_basic() {
    let app = TestApp::start_with(|c| c.login_max_failures = 2);
    app.user("alice");
    for _ in 0..2 {
        app.post("/v1/generate-api-token")
            .json(&json!({"username": "alice", "password": "bad-password"}))
            .send();
    }
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send();
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    // The throttle is shared with Basic.
    assert_eq!(app.get("/v1/users").as_user("alice").send().status, 429);
}

#[test]
fn generate_api_token_validates_its_body() {
    let app = world();
    for body in [
        json!({}),
        json!({"username": "alice"}),
        json!({"username": 1, "password": "x"}),
        json!([]),
        json!(["alice", PASSWORD]),
    ] {
        let r = app.post("/v1/generate-api-token").json(&body).send();
        assert_eq!(r.status, 400, "{body}");
        assert!(r.json()["error"].is_string());
    }
}

fn api_key(app: &TestApp, user: &str) -> String {
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": user, "password": PASSWORD}))
        .send();
    r.json()["token"].as_str().unwrap().to_owned()
}

#[test]
fn profile_is_the_callers_and_available() {
    let app = world();
    let key = api_key(&app, "alice");
    let alice = berth::store::accounts::by_name(&app.conn(), "alice")
        .unwrap()
        .unwrap();
    let r = app
        .get("/v1/auth/alice/profile")
        .header("Authorization", &format!("Token {key}"))
        .send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!({"username": "alice", "namespace": "alice", "namespace_type": "user", "email": "alice@example.com",
                   "full_name": "", "is_admin": false, "is_available": true, "api_revoked": false,
                   "created_at": rfc3339(alice.created_at)})
        )
    );
}

#[test]
fn profile_through_an_organization_the_caller_belongs_to() {
    let app = world();
    let key = api_key(&app, "member");
    let r = app
        .get("/v1/auth/acme/profile")
        .header("Authorization", &format!("Token {key}"))
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(
        (
            r.json()["username"].clone(),
            r.json()["namespace"].clone(),
            r.json()["namespace_type"].clone()
        ),
        (json!("member"), json!("acme"), json!("organization"))
    );
}

#[test]
fn profile_of_a_namespace_that_is_not_the_callers_is_404() {
    let app = world();
    for ns in ["alice", "acme", "ghost"] {
        let r = app
            .get(&format!("/v1/auth/{ns}/profile"))
            .as_user("bob")
            .send();
        assert_eq!(r.sj(), (404, json!({"error": "no such account"})), "{ns}");
    }
    assert_eq!(app.get("/v1/auth/alice/profile").admin().send().status, 200);
}

#[test]
fn profile_and_regions_need_credentials() {
    let app = world();
    for path in ["/v1/auth/alice/profile", "/v1/regions/alice"] {
        assert_eq!(
            app.get(path).send().sj(),
            (401, json!({"error": "authentication required"})),
            "{path}"
        );
    }
}

#[test]
fn regions_are_empty() {
    let app = world();
    let key = api_key(&app, "alice");
    let r = app
        .get("/v1/regions/alice")
        .header("Authorization", &format!("Token {key}"))
        .send();
    assert_eq!(r.sj(), (200, json!([])));
}
