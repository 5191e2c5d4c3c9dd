//! API-NOTES section 8: one path space, two dialects. One test per row of the table.

mod common;
mod v1_support;

use berth::core::tokens::Access;
use common::*;
use serde_json::json;
use v1_support::*;

fn api_key(app: &TestApp, user: &str) -> String {
    let r = app
        .post("/v1/generate-api-token")
        .json(&json!({"username": user, "password": PASSWORD}))
        .send();
    r.json()["token"].as_str().unwrap().to_owned()
}

#[test]
fn get_namespace_is_the_alauda_list() {
    let app = world();
    let r = app.get("/v1/repositories/alice").send().json();
    assert_eq!(
        (r["count"].clone(), r["next"].clone(), r["previous"].clone()),
        (json!(1), json!(null), json!(null))
    );
    assert_eq!(r["results"][0]["repo_path"], json!("alice/app"));
}

#[test]
fn post_namespace_is_the_alauda_create() {
    let app = world();
    let r = app
        .post("/v1/repositories/alice")
        .as_user("alice")
        .json(&json!({"repo_name": "made"}))
        .send();
    assert_eq!(
        (r.status, r.json()["repo_path"].clone()),
        (201, json!("alice/made"))
    );
}

#[test]
fn put_single_segment_is_the_index_library_create() {
    let app = world();
    let r = app
        .put("/v1/repositories/base")
        .admin()
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    assert_token_headers(&app, &r, "library/base", "write");
    let r = app
        .put("/v1/repositories/base")
        .admin()
        .json(&json!({"description": "x"}))
        .send();
    assert_eq!(r.sj(), (400, json!({"error": "expected an image list"})));
}

#[test]
fn delete_single_segment_is_the_index_library_delete() {
    let app = world();
    app.put("/v1/repositories/base")
        .admin()
        .json(&json!([{"id": IMG}]))
        .send();
    app.put("/v1/repositories/base2")
        .admin()
        .json(&json!([{"id": IMG}]))
        .send();
    let r = app
        .delete("/v1/repositories/base")
        .admin()
        .docker_token()
        .send();
    assert_eq!(r.sj(), (202, json!("")));
    assert_token_headers(&app, &r, "library/base", "delete");
    // Without X-Docker-Token: the same delete, without a token.
    let r = app.delete("/v1/repositories/base2").admin().send();
    assert_eq!(r.sj(), (202, json!("")));
    assert_no_token_headers(&r);
    // With a delete token (the registry role): 200.
    app.put("/v1/repositories/base3")
        .admin()
        .json(&json!([{"id": IMG}]))
        .send();
    let t = token(&app, "admin", "library/base3", Access::Delete);
    assert_eq!(
        app.delete("/v1/repositories/base3").token(&t).send().sj(),
        (200, json!(""))
    );
    assert!(repo(&app, "library/base3").is_none());
}

#[test]
fn get_two_segments_is_the_alauda_detail() {
    let app = world();
    let r = app.get("/v1/repositories/alice/app").send();
    assert_eq!(
        (
            r.status,
            r.json()["repo_path"].clone(),
            r.json()["is_repo_starred"].clone()
        ),
        (200, json!("alice/app"), json!(false))
    );
}

#[test]
fn put_with_an_array_is_the_index_create_and_push() {
    let app = world();
    let r = app
        .put("/v1/repositories/alice/pushed")
        .as_user("alice")
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    assert_eq!(r.sj(), (200, json!("")));
    assert_token_headers(&app, &r, "alice/pushed", "write");
}

#[test]
fn put_with_an_object_is_the_alauda_update() {
    let app = world();
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .docker_token()
        .json(&json!({"description": "changed"}))
        .send();
    assert_eq!(
        (
            r.status,
            r.json()["description"].clone(),
            r.json()["repo_path"].clone()
        ),
        (200, json!("changed"), json!("alice/app"))
    );
    assert_no_token_headers(&r);
}

#[test]
fn put_with_anything_else_is_400() {
    let app = world();
    for body in ["\"text\"", "5", "null", "true"] {
        let r = app
            .put("/v1/repositories/alice/app")
            .as_user("alice")
            .header("Content-Type", "application/json")
            .body(body)
            .send();
        assert_eq!(
            r.sj(),
            (
                400,
                json!({"error": "expected an image list (Index) or an object of repository fields (Alauda)"})
            ),
            "{body}"
        );
    }
    for body in ["", "{", "[1,"] {
        let r = app
            .put("/v1/repositories/alice/app")
            .as_user("alice")
            .body(body)
            .send();
        assert_eq!(r.status, 400, "{body:?}");
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid JSON body"),
            "{body:?}"
        );
    }
}

#[test]
fn put_with_a_body_over_1_mib_is_413() {
    let app = world();
    let big = format!(
        "[{}]",
        vec![format!("{{\"id\":\"{IMG}\"}}"); 20_000].join(",")
    );
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .header("Content-Type", "application/json")
        .body(&big)
        .send();
    assert_eq!(r.status, 413);
    assert!(r.json()["error"].is_string());
}

#[test]
fn delete_with_x_docker_token_is_the_index_delete() {
    let app = world();
    let r = app
        .delete("/v1/repositories/alice/app")
        .as_user("alice")
        .docker_token()
        .send();
    assert_eq!(r.sj(), (202, json!("")));
    assert_token_headers(&app, &r, "alice/app", "delete");
}

#[test]
fn delete_with_an_index_access_token_is_the_registry_delete() {
    let app = world();
    let t = token(&app, "alice", "alice/app", Access::Delete);
    let r = app.delete("/v1/repositories/alice/app").token(&t).send();
    assert_eq!(r.sj(), (200, json!("")));
    assert_no_token_headers(&r);
}

#[test]
fn delete_otherwise_is_the_alauda_delete() {
    let app = world();
    // `Token <apikey>` shares the scheme with access tokens: the value decides.
    let key = api_key(&app, "alice");
    let r = app
        .delete("/v1/repositories/alice/app/")
        .header("Authorization", &format!("Token {key}"))
        .send();
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    let r = app
        .delete("/v1/repositories/alice/hidden")
        .as_user("alice")
        .send();
    assert_eq!((r.status, r.body.as_str()), (204, ""));
}

#[test]
fn get_tags_with_an_index_access_token_is_the_tag_object() {
    let app = world();
    let t = token(&app, "bob", "alice/app", Access::Read);
    assert_eq!(
        app.get("/v1/repositories/alice/app/tags")
            .token(&t)
            .send()
            .sj(),
        (200, json!({"latest": IMG}))
    );
}

#[test]
fn get_tags_otherwise_is_the_alauda_list() {
    let app = world();
    let expected = json!([{"image_id": IMG, "tag": "latest", "name": "latest"}]);
    assert_eq!(
        app.get("/v1/repositories/alice/app/tags").send().sj(),
        (200, expected.clone())
    );
    assert_eq!(
        app.get("/v1/repositories/alice/app/tags")
            .as_user("bob")
            .send()
            .sj(),
        (200, expected.clone())
    );
    let key = api_key(&app, "alice");
    let r = app
        .get("/v1/repositories/alice/app/tags")
        .header("Authorization", &format!("Token {key}"))
        .send();
    assert_eq!(r.sj(), (200, expected));
}

#[test]
fn single_segment_images_and_auth_are_library_sub_resources() {
    let app = world();
    let push = app
        .put("/v1/repositories/base")
        .admin()
        .docker_token()
        .json(&json!([{"id": IMG}]))
        .send();
    let t = push.header("x-docker-token").unwrap().to_owned();
    assert_eq!(
        app.get("/v1/repositories/base/images").send().sj(),
        (200, json!([{"id": IMG, "checksum": null}]))
    );
    assert_eq!(
        app.put("/v1/repositories/base/auth").token(&t).send().sj(),
        (200, json!("OK"))
    );
}

#[test]
fn two_segment_sub_resources_are_index() {
    let app = world();
    assert_eq!(
        app.get("/v1/repositories/alice/app/images").send().sj(),
        (200, json!([{"id": IMG, "checksum": SUM}]))
    );
    let t = token(&app, "alice", "alice/app", Access::Write);
    assert_eq!(
        app.put("/v1/repositories/alice/app/auth")
            .token(&t)
            .send()
            .sj(),
        (200, json!("OK"))
    );
    assert_eq!(
        app.get("/v1/repositories/alice/app/tags/latest")
            .send()
            .sj(),
        (200, json!(IMG))
    );
    assert_eq!(
        app.put("/v1/repositories/alice/app/star")
            .as_user("bob")
            .send()
            .sj(),
        (200, json!(""))
    );
}

#[test]
fn a_wrong_method_is_405_in_the_v1_envelope() {
    let app = world();
    for (method, path) in [
        ("PATCH", "/v1/repositories/alice/app"),
        ("POST", "/v1/repositories/alice/app/tags"),
        ("GET", "/v1/repositories/alice/app/auth"),
        ("GET", "/v1/repositories/alice/app/star"),
        ("DELETE", "/v1/search"),
        ("GET", "/v1/generate-api-token"),
    ] {
        let r = app.req(method, path).send();
        assert_eq!(
            r.sj(),
            (405, json!({"error": "method not allowed"})),
            "{method} {path}"
        );
    }
}
