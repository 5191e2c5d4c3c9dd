//! One model (API-NOTES section 10): what was pushed through `/v2` is what every dialect and
//! page shows: Index tags name Docker's image id (the config digest's hex), Alauda's and
//! RegistryUI's tag routes add the manifest digest and size, the repository page shows digest,
//! size, platforms and pull commands by tag and by digest, and a manifest `GET` counts a pull.

mod common;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use common::*;

fn digest_of(bytes: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes.as_bytes())))
}

/// Push `content` as a blob of `repo` in one request (`POST ...?digest=`), as `user`.
fn push_blob(app: &TestApp, user: &str, repo: &str, content: &str) -> String {
    let digest = digest_of(content);
    let r = app
        .post(&format!("/v2/{repo}/blobs/uploads/?digest={digest}"))
        .as_user(user)
        .header("Content-Type", "application/octet-stream")
        .body(content)
        .send();
    assert_eq!(r.status, 201, "blob push: {}", r.body);
    digest
}

struct Pushed {
    manifest: String,
    config: String,
    /// Config and layer bytes.
    size: usize,
}

/// Push a one-layer OCI image for `os/arch` and tag it `tag`.
fn push_image(app: &TestApp, user: &str, repo: &str, tag: &str, arch: &str) -> Pushed {
    let layer = format!("layer of {repo}:{tag} for {arch}");
    let layer_digest = push_blob(app, user, repo, &layer);
    let config = json!({
        "architecture": arch,
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "config": {"Cmd": ["/bin/sh"]},
    })
    .to_string();
    let config_digest = push_blob(app, user, repo, &config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": layer_digest,
            "size": layer.len(),
        }],
    })
    .to_string();
    let r = app
        .put(&format!("/v2/{repo}/manifests/{tag}"))
        .as_user(user)
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(&manifest)
        .send();
    assert_eq!(r.status, 201, "manifest push: {}", r.body);
    let pushed = Pushed {
        manifest: digest_of(&manifest),
        config: config_digest,
        size: config.len() + layer.len(),
    };
    assert_eq!(
        r.header("docker-content-digest"),
        Some(pushed.manifest.as_str())
    );
    pushed
}

fn hex_of(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

/// alice pushes `alice/app:v1` (arm64) into a repository the push creates, private.
fn world() -> (TestApp, Pushed) {
    let app = TestApp::start();
    app.user("alice");
    app.user("bob");
    let pushed = push_image(&app, "alice", "alice/app", "v1", "arm64");
    (app, pushed)
}

#[test]
fn alauda_tags_add_digest_and_size_to_a_pushed_tag() {
    let (app, pushed) = world();
    let r = app
        .get("/v1/repositories/alice/app/tags")
        .as_user("alice")
        .send();
    assert_eq!(
        r.sj(),
        (
            200,
            json!([{
                "digest": pushed.manifest,
                "image_id": hex_of(&pushed.config),
                "name": "v1",
                "size": pushed.size,
                "tag": "v1",
            }])
        )
    );
    // The first push made it private: bob sees the same 404 as for a missing repository.
    let hidden = app
        .get("/v1/repositories/alice/app/tags")
        .as_user("bob")
        .send();
    let missing = app
        .get("/v1/repositories/alice/nope/tags")
        .as_user("bob")
        .send();
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.sj(), missing.sj());
}

#[test]
fn registryui_tags_and_taginfo_add_digest_and_size() {
    let (app, pushed) = world();
    let host = app.base.trim_start_matches("http://").to_owned();
    let entry = |v: &Value| {
        let mut v = v.clone();
        let obj = v.as_object_mut().unwrap();
        obj.remove("lastUpdated");
        v
    };
    let tags = app
        .get("/udr/v1api/tags?repository=alice/app")
        .as_user("alice")
        .send();
    assert_eq!(tags.status, 200, "{}", tags.body);
    let body = tags.json();
    assert_eq!(body["total"], 1);
    assert_eq!(
        entry(&body["entries"][0]),
        json!({
            "repositoryName": "alice/app",
            "tagName": "v1",
            "pullCount": 0,
            "pullCommand": format!("docker pull {host}/alice/app:v1"),
            "digest": pushed.manifest,
            "size": pushed.size,
        })
    );
    let info = app
        .get("/udr/v1api/taginfo?repository=alice/app&tagName=v1")
        .as_user("alice")
        .send();
    assert_eq!(info.status, 200, "{}", info.body);
    let info = info.json();
    assert_eq!(info["entry"]["digest"], json!(pushed.manifest));
    assert_eq!(info["entry"]["size"], json!(pushed.size));
    assert_eq!(info["entry"]["imageId"], json!(hex_of(&pushed.config)));
    let hidden = app
        .get("/udr/v1api/taginfo?repository=alice/app&tagName=v1")
        .as_user("bob")
        .send();
    let missing = app
        .get("/udr/v1api/taginfo?repository=alice/nope&tagName=v1")
        .as_user("bob")
        .send();
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.sj(), missing.sj());
}

#[test]
fn index_tags_name_the_config_digest_as_the_image_id() {
    let (app, pushed) = world();
    let images = app
        .get("/v1/repositories/alice/app/images")
        .as_user("alice")
        .header("X-Docker-Token", "true")
        .send();
    assert_eq!(images.status, 200, "{}", images.body);
    let token = images
        .header("x-docker-token")
        .expect("a read token")
        .to_owned();
    let tags = app
        .get("/v1/repositories/alice/app/tags")
        .header("Authorization", &format!("Token {token}"))
        .send();
    assert_eq!(tags.sj(), (200, json!({"v1": hex_of(&pushed.config)})));
}

#[test]
fn the_repository_page_shows_digest_size_platforms_and_pull_commands() {
    let (app, pushed) = world();
    // Private as the push made it: the same 404 page as a missing repository (pages read
    // sessions, not Basic, so this visitor is anonymous).
    let hidden = app.get("/alice/app").send();
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.body, app.get("/alice/nope").send().body);
    app.exec("UPDATE repositories SET is_public = 1 WHERE full_path = 'alice/app'");
    let page = app.get("/alice/app").send();
    assert_eq!(page.status, 200);
    let host = app.base.trim_start_matches("http://");
    let short = &hex_of(&pushed.manifest)[..12];
    assert!(
        page.body.contains(&format!(
            "<code class=\"digest\" title=\"{}\">{short}</code>",
            pushed.manifest
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("<td>{} B</td>", pushed.size)));
    assert!(page.body.contains("<td>linux/arm64</td>"));
    assert!(page
        .body
        .contains(&format!("docker pull {host}/alice/app:v1")));
    assert!(page
        .body
        .contains(&format!("docker pull {host}/alice/app@{}", pushed.manifest)));
}

#[test]
fn a_manifest_get_counts_a_pull_of_the_repository_and_the_tag_and_a_head_does_not() {
    let (app, _) = world();
    let accept = "application/vnd.oci.image.manifest.v1+json";
    let head = app
        .req("HEAD", "/v2/alice/app/manifests/v1")
        .as_user("alice")
        .header("Accept", accept)
        .send();
    assert_eq!(head.status, 200);
    for _ in 0..2 {
        let get = app
            .get("/v2/alice/app/manifests/v1")
            .as_user("alice")
            .header("Accept", accept)
            .send();
        assert_eq!(get.status, 200);
    }
    let tags = app
        .get("/udr/v1api/tags?repository=alice/app")
        .as_user("alice")
        .send()
        .json();
    assert_eq!(tags["entries"][0]["pullCount"], 2);
    app.exec("UPDATE repositories SET is_public = 1 WHERE full_path = 'alice/app'");
    let page = app.get("/alice/app").send();
    assert!(page.body.contains("2 pulls (last "), "{}", page.body);
    assert!(page.body.contains("1 pushes (last "), "{}", page.body);
}
