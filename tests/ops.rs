//! Operations over HTTP: `/metrics` on its own listener (never the public one), what it
//! counts, and that a client cannot grow its label set.

mod common;

use std::collections::BTreeMap;

use common::{TestApp, ADMIN, ADMIN_PASSWORD, PASSWORD};
use serde_json::json;

/// One sample of the Prometheus text format: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// The samples of a scrape (comment lines skipped). Label values here never hold `,` or `"`.
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a value");
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once("=\"").expect("label");
                    (k.to_owned(), v.trim_end_matches('"').to_owned())
                })
                .collect();
            (name.to_owned(), labels, value.parse().expect("a number"))
        })
        .collect()
}

/// The value of `name` whose labels include all of `want`, summed over the rest.
fn value(text: &str, name: &str, want: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<f64> = samples(text)
        .into_iter()
        .filter(|(n, labels, _)| {
            n == name
                && want
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| v)
        .collect();
    (!found.is_empty()).then(|| found.iter().sum())
}

fn scrape(app: &TestApp) -> String {
    let r = ureq::get(&format!("{}/metrics", app.metrics_base))
        .call()
        .expect("scrape");
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("Content-Type"), Some("text/plain; version=0.0.4"));
    r.into_string().unwrap()
}

#[test]
fn metrics_are_not_served_on_the_public_listener() {
    let app = TestApp::start();
    let (status, body) = app.get("/metrics").send().sj();
    assert_eq!((status, body), (404, json!({"error": "not found"})));
    let (status, _) = app.get("/metrics").admin().send().sj();
    assert_eq!(status, 404, "not even for a site admin");
    // The metrics listener serves nothing else.
    let other = ureq::get(&format!("{}/api/v0/accounts", app.metrics_base)).call();
    assert!(matches!(other, Err(ureq::Error::Status(404, _))));
}

#[test]
fn requests_are_counted_by_dialect_route_and_status_and_timed() {
    let app = TestApp::start();
    app.user("alice");
    app.repo("alice", "web", true);
    let calls: &[(&str, &str, u16)] = &[
        ("GET", "/api/v0/repositories/alice", 200),
        ("GET", "/api/v0/repositories/nobody", 404),
        ("GET", "/v1/search?q=web", 200),
        ("GET", "/v1/repositories/alice", 200),
        ("GET", "/api/repo/v1/alice/repository", 200),
        ("GET", "/udr/v1api/repositories", 200),
        ("GET", "/alice/web", 200),
        ("GET", "/healthz", 200),
    ];
    for (method, path, status) in calls {
        let r = app.req(method, path).as_user("alice").send();
        assert_eq!(r.status, *status, "{method} {path}: {}", r.body);
    }
    // The listings above went through the read cache; its counts are reported.
    actix_web::rt::System::new().block_on(app.state.store.read_cache().settle());
    let text = scrape(&app);
    assert!(value(&text, "berth_read_cache_entries", &[]) >= Some(4.0));
    assert!(value(&text, "berth_read_cache_bytes", &[]) > Some(1000.0));
    let expect = [
        ("dtr", "/api/v0/repositories/{namespace}", "200"),
        ("dtr", "/api/v0/repositories/{namespace}", "404"),
        ("index", "/v1/search", "200"),
        ("alauda", "/v1/repositories/{a}", "200"),
        ("cloud", "/api/repo/v1/{ns}/repository", "200"),
        ("registryui", "/udr/v1api/repositories", "200"),
        ("web", "/{ns}/{repo}", "200"),
        ("other", "/healthz", "200"),
    ];
    for (dialect, route, status) in expect {
        let labels = [
            ("dialect", dialect),
            ("method", "GET"),
            ("route", route),
            ("status", status),
        ];
        assert_eq!(
            value(&text, "berth_http_requests_total", &labels),
            Some(1.0),
            "{labels:?} in\n{text}"
        );
        let timed = [("dialect", dialect), ("route", route)];
        assert!(
            value(&text, "berth_http_request_duration_seconds_count", &timed) >= Some(1.0),
            "{timed:?}"
        );
        let inf = [("dialect", dialect), ("route", route), ("le", "+Inf")];
        assert_eq!(
            value(&text, "berth_http_request_duration_seconds_bucket", &inf),
            value(&text, "berth_http_request_duration_seconds_count", &timed)
        );
    }
    // The pool and the process are reported.
    assert_eq!(
        value(&text, "berth_store_pool_max_connections", &[]),
        Some(16.0)
    );
    assert!(value(&text, "berth_store_pool_connections", &[]) >= Some(1.0));
    assert!(value(&text, "berth_http_requests_in_flight", &[]).is_some());
    assert!(value(&text, "process_resident_memory_bytes", &[]) > Some(1e6));
}

#[test]
fn the_shared_v1_paths_count_under_the_dialect_that_answered() {
    let app = TestApp::start();
    let alice = app.user("alice");
    let _ = alice;
    // An object body is the Alauda update; an image list is the Index push.
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .json(&json!([]))
        .send();
    assert!(r.status < 300, "{}", r.body);
    let r = app
        .put("/v1/repositories/alice/app")
        .as_user("alice")
        .json(&json!({"description": "d"}))
        .send();
    assert!(r.status < 300, "{}", r.body);
    let text = scrape(&app);
    let route = "/v1/repositories/{a}/{b}";
    for dialect in ["index", "alauda"] {
        assert_eq!(
            value(
                &text,
                "berth_http_requests_total",
                &[("dialect", dialect), ("method", "PUT"), ("route", route)]
            ),
            Some(1.0),
            "{dialect}\n{text}"
        );
    }
}

#[test]
fn odd_paths_and_methods_cannot_grow_the_label_set() {
    let app = TestApp::start();
    for i in 0..20 {
        let r = app.get(&format!("/api/v0/no-such-{i}")).send();
        assert_eq!(r.status, 404);
        let r = app.req("BREW", &format!("/v1/no-such-{i}")).send();
        assert!(r.status >= 400 && r.status < 500, "{}", r.status);
    }
    let text = scrape(&app);
    assert!(!text.contains("no-such"), "paths are no labels");
    assert!(!text.contains("BREW"), "unknown methods are `other`");
    assert_eq!(
        value(
            &text,
            "berth_http_requests_total",
            &[
                ("dialect", "dtr"),
                ("route", "unmatched"),
                ("status", "404")
            ]
        ),
        Some(20.0)
    );
    assert!(
        value(&text, "berth_http_requests_total", &[("method", "other")]) >= Some(20.0),
        "{text}"
    );
}

#[test]
fn bcrypt_work_and_login_throttling_are_reported() {
    let app = TestApp::start();
    app.user("alice");
    let before = scrape(&app);
    let runs = |t: &str| value(t, "berth_bcrypt_verifications_total", &[]).unwrap();
    let r = app.get("/v1/users").basic(ADMIN, ADMIN_PASSWORD).send();
    assert_eq!(r.status, 200);
    // Wrong passwords until the account is locked out, then one more.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            app.get("/v1/users")
                .basic("alice", "wrong-password")
                .send()
                .status,
        );
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let after = scrape(&app);
    assert!(runs(&after) >= runs(&before) + 2.0);
    assert_eq!(value(&after, "berth_login_failures_total", &[]), Some(5.0));
    assert_eq!(value(&after, "berth_login_throttled_total", &[]), Some(1.0));
    assert_eq!(
        value(&after, "berth_login_throttled_accounts", &[]),
        Some(1.0)
    );
    assert_eq!(value(&after, "berth_bcrypt_waiting", &[]), Some(0.0));
    assert_eq!(value(&after, "berth_bcrypt_running", &[]), Some(0.0));
    // The right password is still refused while throttled, and counted.
    let r = app.get("/v1/users").basic("alice", PASSWORD).send();
    assert_eq!(r.status, 429);
    let last = scrape(&app);
    assert_eq!(value(&last, "berth_login_throttled_total", &[]), Some(2.0));
}

#[test]
fn escaped_paths_count_under_the_route_that_answered() {
    let app = TestApp::start();
    app.user("alice");
    let r = app
        .get("/%61pi/v0/repositories/alice")
        .as_user("alice")
        .send();
    assert_eq!(r.status, 200, "{}", r.body);
    let text = scrape(&app);
    assert_eq!(
        value(
            &text,
            "berth_http_requests_total",
            &[
                ("dialect", "dtr"),
                ("route", "/api/v0/repositories/{namespace}"),
                ("status", "200")
            ]
        ),
        Some(1.0),
        "{text}"
    );
}
