//! The read cache and permission changes: a write expires only what it can change (issue
//! 17), yet a change of who may read what is seen by the very next request of every dialect
//! and the web UI, searches included (which may otherwise show a repository change a moment
//! late), and of the registry's manifest reads. Not timed: each check is the first request
//! after the change.

mod common;

use serde_json::{json, Value};

use common::images::{config, push_image};
use common::{TestApp, PASSWORD};

/// Every cached read that could list `acme/secret`, as one caller sees it.
struct Views<'a> {
    app: &'a TestApp,
    /// Basic credentials (`None`: anonymous).
    user: Option<&'a str>,
    /// A web session cookie for the same caller.
    cookie: Option<String>,
}

impl Views<'_> {
    fn get(&self, path: &str) -> Value {
        let mut req = self.app.get(path);
        if let Some(u) = self.user {
            req = req.as_user(u);
        }
        let r = req.send();
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.json()
    }

    fn names(list: &Value, field: &str) -> Vec<String> {
        list.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[field].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Which views list the repository `acme/{name}`, by view.
    fn listing(&self, name: &str) -> Vec<(&'static str, bool)> {
        let path = format!("acme/{name}");
        // DTR has no anonymous reads.
        let dtr = self.user.map(|_| {
            Self::names(
                &self.get("/api/v0/repositories/acme")["repositories"],
                "name",
            )
        });
        let alauda = Self::names(
            &self.get("/v1/repositories/acme?page_size=100")["results"],
            "repo_name",
        );
        let folder = Self::names(
            &self.get("/udr/v1api/repositories?folder=acme")["entries"],
            "fullPath",
        );
        let catalog = Self::names(
            &self.get("/udr/v1api/repositories?take=100")["entries"],
            "fullPath",
        );
        let search = Self::names(&self.get("/v1/search?q=needle&n=100")["results"], "name");
        let mut req = self.app.get("/?q=needle");
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", &format!("berth_session={c}"));
        }
        let explore = req.send();
        assert_eq!(explore.status, 200);
        // The registry's manifest reads are cached too (a HEAD counts no pull, whose write
        // would expire the entry by itself).
        let mut req = self
            .app
            .req("HEAD", &format!("/v2/acme/{name}/manifests/latest"));
        if let Some(u) = self.user {
            req = req.as_user(u);
        }
        let manifest = req.send().status;
        let mut views = vec![
            ("alauda", alauda.contains(&name.to_owned())),
            ("registryui folder", folder.contains(&path)),
            ("registryui catalog", catalog.contains(&path)),
            ("index search", search.contains(&path)),
            ("web explore", explore.body.contains(&format!("/{path}\""))),
            ("registry manifest", manifest == 200),
        ];
        if let Some(dtr) = dtr {
            views.push(("dtr", dtr.contains(&name.to_owned())));
        }
        views.sort();
        views
    }

    /// Read every view twice (so each is cached), then check they all say `seen`.
    fn warm(&self, name: &str, seen: bool) {
        self.listing(name);
        self.expect(name, seen, "before the change");
    }

    fn expect(&self, name: &str, seen: bool, when: &str) {
        for (view, listed) in self.listing(name) {
            assert_eq!(
                listed,
                seen,
                "{view} {} acme/{name} {when} (caller {:?})",
                if seen { "hides" } else { "lists" },
                self.user
            );
        }
    }
}

fn world() -> TestApp {
    let app = TestApp::start();
    let alice = app.user("alice");
    app.user("bob");
    app.org("acme", &alice);
    for (name, public) in [("secret", false), ("open", true)] {
        app.repo("acme", name, public);
        push_image(
            &app,
            ("alice", PASSWORD),
            &format!("acme/{name}"),
            "latest",
            &config("linux", "amd64", None, json!({}), json!([])),
            &[name],
        );
    }
    app.exec(
        "UPDATE repositories SET short_description = 'the needle';
         UPDATE settings SET value = 'on' WHERE key = 'public_api';",
    );
    let r = app
        .post("/api/v0/accounts/acme/teams")
        .as_user("alice")
        .json(&json!({"name": "readers"}))
        .send();
    assert_eq!(r.status, 201, "{}", r.body);
    app
}

fn session(app: &TestApp, user: &str) -> String {
    let id = app
        .conn()
        .query_row("SELECT id FROM accounts WHERE name = ?1", [user], |r| {
            r.get::<_, i64>(0)
        });
    let started = berth::core::sessions::start(&mut app.conn(), id.unwrap(), 3600, None);
    started.unwrap().id
}

/// Team membership and a namespace grant, given and taken back through the API: each is
/// seen by bob's next request in every dialect and on the explore page.
#[test]
fn grants_and_membership_are_seen_by_the_next_request_of_every_dialect() {
    let app = world();
    let bob = Views {
        app: &app,
        user: Some("bob"),
        cookie: Some(session(&app, "bob")),
    };
    let ok = |r: common::Resp| assert!(r.status < 300, "{} {}", r.status, r.body);
    bob.warm("secret", false);

    // A grant to a team bob is not in changes nothing for him...
    ok(app
        .put("/api/v0/repositoryNamespaces/acme/teamAccess/readers")
        .as_user("alice")
        .json(&json!({"accessLevel": "read-only"}))
        .send());
    bob.expect("secret", false, "after a grant to a team he is not in");
    // ...joining it does, at once.
    ok(app
        .put("/api/v0/accounts/acme/teams/readers/members/bob")
        .as_user("alice")
        .send());
    bob.expect(
        "secret",
        true,
        "after joining a team with a namespace grant",
    );
    // Taking the grant away hides it again at once, as does leaving the team.
    ok(app
        .delete("/api/v0/repositoryNamespaces/acme/teamAccess/readers")
        .as_user("alice")
        .send());
    bob.expect("secret", false, "after the namespace grant was revoked");
    ok(app
        .put("/api/v0/repositories/acme/secret/teamAccess/readers")
        .as_user("alice")
        .json(&json!({"accessLevel": "read-only"}))
        .send());
    bob.expect("secret", true, "after a repository grant to his team");
    ok(app
        .delete("/api/v0/accounts/acme/teams/readers/members/bob")
        .as_user("alice")
        .send());
    bob.expect("secret", false, "after leaving the team");
}

/// A repository made private through the API disappears from every anonymous view at once,
/// searches included, and reappears at once when made public again.
#[test]
fn a_visibility_change_is_seen_by_the_next_request_of_every_dialect() {
    let app = world();
    let anonymous = Views {
        app: &app,
        user: None,
        cookie: None,
    };
    let signed_in = Views {
        app: &app,
        user: Some("bob"),
        cookie: Some(session(&app, "bob")),
    };
    let patch = |visibility: &str| {
        let r = app
            .patch("/api/v0/repositories/acme/open")
            .as_user("alice")
            .json(&json!({"visibility": visibility}))
            .send();
        assert_eq!(r.status, 200, "{}", r.body);
    };
    anonymous.warm("open", true);
    signed_in.warm("open", true);
    patch("private");
    anonymous.expect("open", false, "after it was made private");
    signed_in.expect("open", false, "after it was made private");
    patch("public");
    anonymous.expect("open", true, "after it was made public again");
    signed_in.expect("open", true, "after it was made public again");
}

/// The finer expiry at work: a write in one namespace leaves another namespace's cached
/// listing in place (shown here by a change the cache is not told of), and the writer sees
/// its write at once.
#[test]
fn a_write_expires_its_namespace_and_leaves_the_others_cached() {
    let app = TestApp::start();
    let alice = app.user("alice");
    app.user("carol");
    app.org("acme", &alice);
    app.repo("acme", "web", true);
    app.repo("carol", "tool", true);
    let list = |ns: &str| {
        let r = app
            .get(&format!("/api/v0/repositories/{ns}"))
            .as_user("alice")
            .send();
        assert_eq!(r.status, 200);
        r.json()["repositories"].clone()
    };
    let carol = list("carol");
    list("acme");
    // Behind the cache's back: no trigger records this change.
    app.exec(
        "DROP TRIGGER changes_repository_update;
         UPDATE repositories SET short_description = 'changed unseen' WHERE full_path = 'carol/tool';",
    );
    let r = app
        .post("/api/v0/repositories/acme")
        .as_user("alice")
        .json(&json!({"name": "api", "visibility": "public"}))
        .send();
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        Views::names(&list("acme"), "name"),
        ["api", "web"],
        "the writer sees its write at once"
    );
    assert_eq!(
        list("carol"),
        carol,
        "another namespace's listing stays cached"
    );
}
