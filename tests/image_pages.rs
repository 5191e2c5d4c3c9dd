//! The image pages over HTTP (issue 16): the tags tab, a tag or digest opened up, the
//! activity chart and storage, with content pushed for real through `/v2`. What a visitor may
//! not read never shows: the same 404 page as something that does not exist.

mod common;

use serde_json::json;

use common::images::{
    config, digest_of, push_blob, push_image, push_manifest, Browser, OCI_INDEX, OCI_MANIFEST,
};
use common::{TestApp, PASSWORD};

const ALICE: (&str, &str) = ("alice", PASSWORD);

/// alice with a public repository `alice/app` (created first, so the push does not make it
/// private).
fn world() -> TestApp {
    let app = TestApp::start();
    app.user("alice");
    app.repo("alice", "app", true);
    app
}

fn run_config() -> serde_json::Value {
    json!({
        "Env": ["PATH=/usr/bin", "API_TOKEN=hunter2-secret"],
        "Entrypoint": ["/app"],
        "Cmd": ["--serve", "<b>"],
        "ExposedPorts": {"8080/tcp": {}},
        "Labels": {"org.opencontainers.image.source": "https://git.example/app"},
    })
}

fn history() -> serde_json::Value {
    json!([
        {"created_by": "ADD base.tar /"},
        {"created_by": "ENV API_TOKEN=hunter2-secret", "empty_layer": true},
        {"created_by": "RUN make install"},
    ])
}

fn amd64() -> String {
    config("linux", "amd64", None, run_config(), history())
}

fn short(digest: &str) -> &str {
    &digest["sha256:".len().."sha256:".len() + 12]
}

fn pull(app: &TestApp, repo: &str, reference: &str) {
    let r = app
        .get(&format!("/v2/{repo}/manifests/{reference}"))
        .basic(ALICE.0, ALICE.1)
        .header("Accept", OCI_MANIFEST)
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The text of the first element with `id="…"` (up to its closing tag).
fn element<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let from = &body[start..];
    let end = from
        .find("</table>")
        .or_else(|| from.find("</dd>"))
        .unwrap_or(from.len());
    &from[..end]
}

#[test]
fn the_tags_tab_shows_digest_size_platforms_times_and_pulls() {
    let app = world();
    let image = push_image(
        &app,
        ALICE,
        "alice/app",
        "v1",
        &amd64(),
        &["layer-one", "layer-two!"],
    );
    let r = app.get("/alice/app/tags").send();
    assert_eq!(r.status, 200);
    let table = element(&r.body, "tags");
    assert!(table.contains("href=\"/alice/app/tags/v1\""), "{table}");
    assert!(table.contains(&format!(">{}</code>", short(&image.digest))));
    assert!(
        table.contains(&format!("data-copy=\"{}\"", image.digest)),
        "whole digest copyable"
    );
    assert!(
        table.contains(&format!(">{} B<", image.size)),
        "compressed size: {table}"
    );
    assert!(table.contains("<span class=\"platform\">linux/amd64</span>"));
    assert!(table.contains(">never</td>"), "not pulled yet");
    assert!(table.contains("<td class=\"num pull-count\">0</td>"));
    assert!(
        !table.contains("/delete"),
        "anonymous visitors get no delete link"
    );
    assert!(r.body.contains("1 tag<"));

    pull(&app, "alice/app", "v1");
    pull(&app, "alice/app", "v1");
    let r = app.get("/alice/app/tags").send();
    let table = element(&r.body, "tags");
    assert!(
        table.contains("<td class=\"num pull-count\">2</td>"),
        "{table}"
    );
    assert!(!table.contains(">never</td>"), "last pulled is a time now");
    assert!(table.contains(" UTC</td>"));
}

#[test]
fn the_tags_tab_filters_sorts_and_pages() {
    let app = world();
    let image = push_image(&app, ALICE, "alice/app", "v0", &amd64(), &["l"]);
    for i in 1..=29 {
        push_manifest(
            &app,
            ALICE,
            "alice/app",
            &format!("v{i}"),
            OCI_MANIFEST,
            &image.manifest,
        );
    }
    // Push times as a test can tell apart: v7 newest, then by name.
    app.exec("UPDATE tags SET updated_at = 1000");
    app.exec("UPDATE tags SET updated_at = 2000 WHERE name = 'v7'");
    let names = |body: &str| -> Vec<String> {
        body.split("class=\"tag-name\" href=\"/alice/app/tags/")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].to_owned())
            .collect()
    };
    let first = app.get("/alice/app/tags").send();
    let shown = names(&first.body);
    assert_eq!(shown.len(), 25);
    assert_eq!(
        &shown[..3],
        ["v7", "v0", "v1"],
        "newest push first, then names"
    );
    assert!(first.body.contains("30 tags<"));
    assert!(first
        .body
        .contains("href=\"/alice/app/tags?sort=pushed&#38;page=2\" rel=\"next\""));
    let second = app.get("/alice/app/tags?sort=pushed&page=2").send();
    assert_eq!(names(&second.body).len(), 5);
    assert!(!second.body.contains("rel=\"next\""));
    assert!(second.body.contains("rel=\"prev\""));

    let by_name = app.get("/alice/app/tags?sort=name").send();
    assert_eq!(&names(&by_name.body)[..4], ["v0", "v1", "v10", "v11"]);
    assert!(by_name.body.contains("<option value=\"name\" selected>"));

    let filtered = app.get("/alice/app/tags?q=2&sort=name").send();
    assert_eq!(
        names(&filtered.body),
        ["v12", "v2", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29"]
    );
    assert!(
        filtered.body.contains("value=\"2\""),
        "the filter box keeps its text"
    );
    let none = app.get("/alice/app/tags?q=%25").send();
    assert_eq!(none.status, 200);
    assert!(
        names(&none.body).is_empty(),
        "% is a character, not a pattern"
    );
    assert!(none.body.contains("No tag matches."));
    let past_the_end = app.get("/alice/app/tags?page=99").send();
    assert_eq!(past_the_end.status, 200);
    assert!(names(&past_the_end.body).is_empty());
    assert_eq!(
        app.get("/alice/app/tags?page=x&sort=bogus").send().status,
        200
    );
}

#[test]
fn a_tag_page_shows_config_layers_history_and_env_names_only() {
    let app = world();
    let image = push_image(
        &app,
        ALICE,
        "alice/app",
        "v1",
        &amd64(),
        &["layer-one", "layer-two!"],
    );
    let r = app.get("/alice/app/tags/v1").send();
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert!(b.contains(&format!(
        "<code class=\"digest\" id=\"manifest-digest\">{}</code>",
        image.digest
    )));
    assert!(b.contains(&format!("<code id=\"media-type\">{OCI_MANIFEST}</code>")));
    assert!(b.contains(&format!("<dd id=\"image-size\">{} B</dd>", image.size)));
    assert!(b.contains("<dd id=\"platforms\">linux/amd64</dd>"));
    assert!(
        !b.contains("id=\"artifact-type\""),
        "a plain image has no artifact type"
    );
    assert!(
        b.contains("<code id=\"entrypoint\">[&#34;/app&#34;]</code>")
            || b.contains("<code id=\"entrypoint\">[&quot;/app&quot;]</code>"),
        "{b}"
    );
    assert!(b.contains("--serve"));
    assert!(
        b.contains("&lt;b&gt;") || b.contains("&#60;b&#62;"),
        "config text is escaped"
    );
    assert!(!b.contains("<b>"));
    let env = element(b, "env-names");
    assert!(
        env.contains("<code>PATH</code>") && env.contains("<code>API_TOKEN</code>"),
        "{env}"
    );
    assert!(!b.contains("hunter2"), "env values never reach the page");
    assert!(!b.contains("/usr/bin"), "not even harmless ones");
    assert!(element(b, "ports").contains("<code>8080/tcp</code>"));
    assert!(element(b, "labels").contains("https://git.example/app"));
    assert!(b.contains("2026-07-01T10:00:00Z"));
    let layers = element(b, "layers");
    assert!(layers.contains(&format!(
        ">{}</code>",
        short(image.layers[0]["digest"].as_str().unwrap())
    )));
    assert!(
        layers.contains(">9 B<") && layers.contains(">10 B<"),
        "{layers}"
    );
    let made_by: Vec<&str> = layers
        .split("<code class=\"created-by\">")
        .skip(1)
        .map(|s| &s[..s.find("</code>").unwrap()])
        .collect();
    assert_eq!(
        made_by,
        ["ADD base.tar /", "RUN make install"],
        "the empty ENV step made no layer"
    );
    let host = app.base.trim_start_matches("http://");
    assert!(b.contains(&format!(
        "<code id=\"pull-by-tag\">docker pull {host}/alice/app:v1</code>"
    )));
    assert!(b.contains(&format!(
        "<code id=\"pull-by-digest\">docker pull {host}/alice/app@{}</code>",
        image.digest
    )));
    assert!(b.contains("id=\"no-referrers\""));

    // The same manifest by digest: no pull by tag, the tag listed.
    let by_digest = app
        .get(&format!("/alice/app/digests/{}", image.digest))
        .send();
    assert_eq!(by_digest.status, 200);
    assert!(!by_digest.body.contains("pull-by-tag"));
    assert!(element(&by_digest.body, "manifest-tags").contains("href=\"/alice/app/tags/v1\""));
}

#[test]
fn an_index_lists_its_platform_manifests_and_links_each() {
    let app = world();
    let arm_cfg = config(
        "linux",
        "arm64",
        Some("v8"),
        json!({"Cmd": ["sh"]}),
        json!([{"created_by": "ADD arm /"}]),
    );
    let arm = push_image(&app, ALICE, "alice/app", "arm-only", &arm_cfg, &["b"]);
    let amd = push_image(&app, ALICE, "alice/app", "amd-only", &amd64(), &["a"]);
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": amd.digest, "size": amd.manifest.to_string().len(),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": arm.digest, "size": arm.manifest.to_string().len(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    });
    let digest = push_manifest(&app, ALICE, "alice/app", "multi", OCI_INDEX, &index);
    let r = app.get("/alice/app/tags/multi").send();
    assert_eq!(r.status, 200);
    assert!(r.body.contains(&format!(
        "<code class=\"digest\" id=\"manifest-digest\">{digest}</code>"
    )));
    assert!(r
        .body
        .contains(&format!("<code id=\"media-type\">{OCI_INDEX}</code>")));
    let children = element(&r.body, "children");
    assert!(children.contains("<th scope=\"row\">linux/amd64</th>"));
    assert!(children.contains("<th scope=\"row\">linux/arm64/v8</th>"));
    assert!(children.contains(&format!("href=\"/alice/app/digests/{}\"", arm.digest)));
    assert!(
        !r.body.contains("id=\"layers\""),
        "an index has no layers of its own"
    );
    let tab = app.get("/alice/app/tags?q=multi").send();
    let table = element(&tab.body, "tags");
    assert!(table.contains("linux/amd64</span>") && table.contains("linux/arm64/v8</span>"));
    assert!(
        table.contains(&format!(">{} B<", amd.size + arm.size)),
        "the index's size sums its children"
    );
    let child = app
        .get(&format!("/alice/app/digests/{}", arm.digest))
        .send();
    assert_eq!(child.status, 200);
    assert!(child.body.contains("ADD arm /"));
    assert!(child.body.contains("<code id=\"cmd\">"));
}

#[test]
fn referrers_are_listed_with_their_artifact_type() {
    let app = world();
    let image = push_image(&app, ALICE, "alice/app", "v1", &amd64(), &["l"]);
    let empty = push_blob(
        &app,
        ALICE,
        "alice/app",
        "application/vnd.oci.empty.v1+json",
        "{}",
    );
    let sbom = push_blob(
        &app,
        ALICE,
        "alice/app",
        "application/spdx+json",
        "{\"spdx\":1}",
    );
    let artifact = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/spdx+json",
        "config": empty,
        "layers": [sbom],
        "subject": {"mediaType": OCI_MANIFEST, "digest": image.digest, "size": image.manifest.to_string().len()},
    });
    let text = artifact.to_string();
    let sbom_digest = push_manifest(
        &app,
        ALICE,
        "alice/app",
        &digest_of(&text),
        OCI_MANIFEST,
        &artifact,
    );
    let r = app.get("/alice/app/tags/v1").send();
    let refs = element(&r.body, "referrers");
    assert!(
        refs.contains("<code>application/spdx+json</code>"),
        "{refs}"
    );
    assert!(refs.contains(&format!("href=\"/alice/app/digests/{sbom_digest}\"")));
    let a = app.get(&format!("/alice/app/digests/{sbom_digest}")).send();
    assert_eq!(a.status, 200);
    assert!(a
        .body
        .contains("<code id=\"artifact-type\">application/spdx+json</code>"));
    assert!(
        a.body
            .contains(&format!("href=\"/alice/app/digests/{}\"", image.digest)),
        "links its subject"
    );
    assert!(a.body.contains("not an image configuration"));
}

#[test]
fn what_is_missing_or_private_is_the_same_404_page() {
    let app = TestApp::start();
    app.user("alice");
    app.user("bob");
    let image = push_image(&app, ALICE, "alice/secret", "v1", &amd64(), &["l"]);
    // The push created it private.
    let missing = app.get("/alice/nothing/tags").send();
    assert_eq!(missing.status, 404);
    let paths = [
        "/alice/secret/tags".to_owned(),
        "/alice/secret/tags/v1".to_owned(),
        format!("/alice/secret/digests/{}", image.digest),
        "/alice/secret/tags/v1/delete".to_owned(),
    ];
    let mut bob = Browser::new(&app);
    bob.sign_in("bob", PASSWORD);
    for p in &paths {
        let twin = p.replace("secret", "nothing");
        let outsider = bob.get(p);
        let outsider_twin = bob.get(&twin);
        assert_eq!(outsider.status, 404, "bob {p}");
        assert_eq!(outsider.body, outsider_twin.body, "bob {p}");
        assert!(!outsider.body.contains(short(&image.digest)), "{p}");
        let anon = app.get(p).send();
        let anon_twin = app.get(&twin).send();
        if p.ends_with("/delete") {
            // A form page: sign in first, whatever is behind it.
            assert_eq!(anon.status, 303, "{p}");
            assert_eq!(
                anon.header("Location")
                    .map(|l| l.replace("secret", "nothing")),
                anon_twin.header("Location").map(str::to_owned)
            );
        } else {
            assert_eq!(
                (anon.status, &anon.body),
                (404, &anon_twin.body),
                "anonymous {p}"
            );
        }
    }
    // Not there in a readable repository: the same page too.
    app.repo("alice", "open", true);
    for p in [
        "/alice/open/tags/nope",
        "/alice/open/digests/sha256:00",
        "/alice/open/digests/bogus",
        "/alice/open/tags/..bad",
    ] {
        let r = app.get(p).send();
        assert_eq!((r.status, &r.body), (404, &missing.body), "{p}");
    }
    // The owner sees it all.
    let mut alice = Browser::new(&app);
    alice.sign_in("alice", PASSWORD);
    assert_eq!(alice.get("/alice/secret/tags/v1").status, 200);
}

fn chart_bars(body: &str) -> Vec<(String, String, i64, i64)> {
    let start = body
        .find("<svg class=\"chart\"")
        .unwrap_or_else(|| panic!("a chart in {body}"));
    let end = body[start..].find("</svg>").unwrap() + start + "</svg>".len();
    let svg = &body[start..end];
    let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed SVG");
    let plot: i64 = doc
        .root_element()
        .attribute("data-plot-height")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(plot, 120);
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .map(|n| {
            let class = n.attribute("class").unwrap().to_owned();
            let title = n.first_element_child().and_then(|t| t.text()).unwrap_or("");
            let date = n.attribute("data-date").unwrap().to_owned();
            assert!(title.starts_with(&date));
            let count: i64 = n.attribute("data-count").unwrap().parse().unwrap();
            assert!(title.contains(&format!(": {count} pu")), "{title}");
            let height: i64 = n.attribute("height").unwrap().parse().unwrap();
            let y: i64 = n.attribute("y").unwrap().parse().unwrap();
            assert_eq!(y + height, 130, "bars stand on the baseline");
            (class, date, count, height)
        })
        .collect()
}

fn day(offset: i64) -> (i64, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let d = now.div_euclid(86_400_000) - offset;
    let date = chrono::DateTime::from_timestamp(d * 86_400, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    (d, date)
}

fn expected_height(count: i64, max: i64) -> i64 {
    if count == 0 {
        0
    } else {
        (((count * 120) as f64 / max as f64).round() as i64).max(1)
    }
}

#[test]
fn the_chart_bars_equal_the_recorded_counts() {
    let app = world();
    push_image(&app, ALICE, "alice/app", "v1", &amd64(), &["l"]);
    push_image(&app, ALICE, "alice/app", "v2", &amd64(), &["l"]);
    for _ in 0..3 {
        pull(&app, "alice/app", "v1");
    }
    // Older days, as earlier flushes wrote them; one outside the window.
    let (d3, date3) = day(3);
    let (d29, date29) = day(29);
    let (d30, _) = day(30);
    let id = "(SELECT id FROM repositories WHERE full_path = 'alice/app')";
    app.exec(&format!(
        "INSERT INTO daily_activity (repository_id, day, pulls, pushes) VALUES
           ({id}, {d3}, 8, 1), ({id}, {d29}, 1, 0), ({id}, {d30}, 50, 50)"
    ));
    let (_, today) = day(0);
    let recorded = |date: &str| -> (i64, i64) {
        if date == today {
            (3, 2)
        } else if date == date3 {
            (8, 1)
        } else if date == date29 {
            (1, 0)
        } else {
            (0, 0)
        }
    };
    let r = app.get("/alice/app").send();
    assert_eq!(r.status, 200);
    let bars = chart_bars(&r.body);
    assert_eq!(bars.len(), 60, "30 days, a pull bar and a push bar each");
    assert_eq!(
        bars.first().unwrap().1,
        date29,
        "the window starts 29 days ago"
    );
    assert_eq!(bars.last().unwrap().1, today);
    for (class, date, count, height) in &bars {
        let (pulls, pushes) = recorded(date);
        let want = if class == "bar pulls" { pulls } else { pushes };
        assert_eq!(*count, want, "{class} {date}");
        assert_eq!(*height, expected_height(want, 8), "{class} {date}");
    }
    assert!(
        r.body.contains("12 pulls and 3 pushes in the last 30 days"),
        "the day outside is left out"
    );
    let table = element(&r.body, "activity-table");
    assert!(table.contains(&format!(
        "<th scope=\"row\">{date3}</th><td>8</td><td>1</td>"
    )));
    assert!(table.contains(&format!(
        "<th scope=\"row\">{today}</th><td>3</td><td>2</td>"
    )));

    // The namespace sums what the visitor may read.
    let hidden = app.repo("alice", "hidden", false);
    app.exec(&format!(
        "INSERT INTO daily_activity (repository_id, day, pulls, pushes) VALUES ({}, {d3}, 100, 4)",
        hidden.id
    ));
    app.repo("alice", "other", true);
    app.exec(&format!(
        "INSERT INTO daily_activity (repository_id, day, pulls, pushes) VALUES
           ((SELECT id FROM repositories WHERE full_path = 'alice/other'), {d3}, 2, 1)"
    ));
    let outsider = app.get("/alice").send();
    let bars = chart_bars(&outsider.body);
    let at = |bars: &[(String, String, i64, i64)], class: &str, date: &str| {
        bars.iter().find(|b| b.0 == class && b.1 == date).unwrap().2
    };
    assert_eq!(
        at(&bars, "bar pulls", &date3),
        10,
        "8 + 2, not the hidden 100"
    );
    assert_eq!(at(&bars, "bar pushes", &date3), 2);
    assert!(
        outsider
            .body
            .contains("14 pulls and 4 pushes in the last 30 days"),
        "3 + 8 + 1 + 2; 2 + 1 + 1"
    );
    let mut alice = Browser::new(&app);
    alice.sign_in("alice", PASSWORD);
    let own = alice.get("/alice");
    let bars = chart_bars(&own.body);
    assert_eq!(at(&bars, "bar pulls", &date3), 110);
    assert_eq!(at(&bars, "bar pushes", &date3), 6);
    let max = bars.iter().map(|b| b.2).max().unwrap();
    assert_eq!(max, 110);
    for (_, _, count, height) in &bars {
        assert_eq!(*height, expected_height(*count, 110));
    }
}

#[test]
fn the_namespace_page_shows_bytes_per_readable_repository() {
    let app = world();
    push_image(
        &app,
        ALICE,
        "alice/app",
        "v1",
        &amd64(),
        &["shared-layer", "own"],
    );
    // Pushing creates `alice/private`, private; it shares a layer with alice/app.
    let private = push_image(
        &app,
        ALICE,
        "alice/private",
        "v1",
        &amd64(),
        &["shared-layer", "secret-layer-bytes"],
    );
    let config_len = amd64().len() as i64;
    let app_bytes = config_len + 12 + 3;
    let private_bytes = private.size as i64;
    let outsider = app.get("/alice").send();
    let storage = element(&outsider.body, "storage");
    assert!(
        storage.contains(&format!("data-bytes=\"{app_bytes}\"")),
        "{storage}"
    );
    assert!(!storage.contains("alice/private"));
    assert!(!outsider
        .body
        .contains(&format!("data-bytes=\"{private_bytes}\"")));
    let mut alice = Browser::new(&app);
    alice.sign_in("alice", PASSWORD);
    let own = alice.get("/alice");
    let storage = element(&own.body, "storage");
    assert!(storage.contains(&format!("href=\"/alice/private\">alice/private</a></th><td class=\"num\" data-bytes=\"{private_bytes}\">")), "{storage}");
    // Shared config and layer count once in the total: app + the private one's own layer.
    let total = app_bytes + 18;
    assert!(
        own.body
            .contains(&format!("id=\"storage-total\">{} B in", total))
            || own.body.contains("kB in"),
        "{}",
        element(&own.body, "storage-total")
    );
    // The quota line is for those who push there (issue 15's quota): never an outsider.
    assert!(!outsider.body.contains("id=\"quota\""));
    assert!(
        own.body.contains(&format!(
            "id=\"quota\">The namespace uses {}; no quota is set.</p>",
            berth::ui::bytes(total)
        )),
        "{}",
        own.body
    );
    app.exec("UPDATE accounts SET quota_bytes = 10000 WHERE name = 'alice'");
    let own = alice.get("/alice");
    let percent = total * 100 / 10000;
    assert!(
        own.body.contains(&format!(
            "id=\"quota\">The namespace uses {} of its 10.0 kB quota ({percent}%); a push past it is refused.</p>",
            berth::ui::bytes(total)
        )),
        "{}",
        own.body
    );
}

#[test]
fn deleting_a_tag_needs_an_admin_the_token_and_the_confirmation() {
    let app = world();
    app.user("bob");
    app.user("carol");
    let image = push_image(&app, ALICE, "alice/app", "v1", &amd64(), &["l"]);
    push_manifest(
        &app,
        ALICE,
        "alice/app",
        "v2",
        OCI_MANIFEST,
        &image.manifest,
    );
    // bob may read and write, not administer.
    app.exec(
        "INSERT INTO repository_user_access (repository_id, user_id, level)
         SELECT r.id, a.id, 'read-write' FROM repositories r, accounts a
          WHERE r.full_path = 'alice/app' AND a.name = 'bob'",
    );

    let mut bob = Browser::new(&app);
    bob.sign_in("bob", PASSWORD);
    let tab = bob.get("/alice/app/tags");
    assert!(
        !tab.body.contains("/delete"),
        "no delete link for non-admins"
    );
    assert_eq!(bob.get("/alice/app/tags/v1/delete").status, 403);
    assert_eq!(
        bob.post("/alice/app/tags/v1/delete", &[("confirm", "v1")])
            .status,
        403
    );

    let mut carol = Browser::new(&app);
    carol.sign_in("carol", PASSWORD);
    assert_eq!(
        carol
            .post("/alice/app/tags/v1/delete", &[("confirm", "v1")])
            .status,
        403,
        "public: carol reads, may not delete"
    );

    let anon = app.get("/alice/app/tags/v1/delete").send();
    assert_eq!(anon.status, 303, "sign in first");

    let mut alice = Browser::new(&app);
    alice.sign_in("alice", PASSWORD);
    let tab = alice.get("/alice/app/tags");
    assert!(tab.body.contains("href=\"/alice/app/tags/v1/delete\""));
    let confirm = alice.get("/alice/app/tags/v1/delete");
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("name=\"confirm\" value=\"v1\""));
    assert!(
        confirm.body.contains(&image.digest),
        "says the manifest stays"
    );
    assert_eq!(
        alice
            .post_with("/alice/app/tags/v1/delete", None, &[("confirm", "v1")])
            .status,
        403,
        "no token"
    );
    assert_eq!(
        alice
            .post_with(
                "/alice/app/tags/v1/delete",
                Some("forged"),
                &[("confirm", "v1")]
            )
            .status,
        403
    );
    assert_eq!(
        alice.post("/alice/app/tags/v1/delete", &[]).status,
        400,
        "not confirmed"
    );
    assert_eq!(
        alice
            .post("/alice/app/tags/v1/delete", &[("confirm", "v2")])
            .status,
        400
    );
    assert_eq!(
        app.get("/alice/app/tags/v1").send().status,
        200,
        "still there"
    );

    let done = alice.post("/alice/app/tags/v1/delete", &[("confirm", "v1")]);
    assert_eq!(done.status, 303);
    assert_eq!(done.header("Location"), Some("/alice/app/tags"));
    assert_eq!(app.get("/alice/app/tags/v1").send().status, 404);
    let gone = app
        .get("/v2/alice/app/manifests/v1")
        .basic(ALICE.0, ALICE.1)
        .header("Accept", OCI_MANIFEST)
        .send();
    assert_eq!(gone.status, 404, "the registry agrees");
    assert_eq!(
        app.get("/alice/app/tags/v2").send().status,
        200,
        "other tags stay"
    );
    assert_eq!(
        app.get(&format!("/alice/app/digests/{}", image.digest))
            .send()
            .status,
        200,
        "the manifest stays"
    );
    assert_eq!(
        alice
            .post("/alice/app/tags/v1/delete", &[("confirm", "v1")])
            .status,
        404,
        "already gone"
    );
}
