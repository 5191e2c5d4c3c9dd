//! Hostile input (issue 8): every route of `tests/common/routes.rs`, as an anonymous caller
//! and as the site admin (Basic for the APIs, a signed-in session for the web UI, so that
//! bodies are parsed where anonymous calls stop at the door), gets malformed JSON, wrong
//! JSON types, bodies over the 1 MiB limit, lying lengths, broken forms, huge and odd
//! headers, long and odd path segments, bad query values and every method it does not
//! declare; plus a set of requests that are malformed at the HTTP level.
//!
//! Every answer must be a success or a 4xx in the envelope of its path (never a 5xx, never
//! silence); requests that actix's HTTP codec refuses before any middleware (bad request
//! line, too many or too large headers, bad framing) must still be 4xx and are counted
//! apart as codec-level. The server is the real binary: it must still answer `/healthz` after
//! every batch, and its resident memory at the end must stay within a bound of its
//! warmed-up value; distinct long values where the server keeps something per value (read
//! cache keys, failed-login names, `Host` headers) must not grow it by more than a few MiB.
//!
//! `cargo test --test hostile -- --nocapture` prints the summary line (requests, 5xx, RSS)
//! and the counts per family; `HOSTILE_ONLY=form,query` runs only those families.

mod common;
mod hostile_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use common::routes::{Dialect, Route, ROUTES};
use hostile_support::corpus::*;
use hostile_support::envelope::{clip, judge, Envelope, Verdict};
use hostile_support::http::{Answer, Body, Client, Request};
use hostile_support::{Server, ADMIN_PASSWORD};

const LIMIT: usize = 1 << 20;
const THREADS: usize = 4;
const BATCH: usize = 2500;

// ------------------------------------------------------------------------------ probes

#[derive(Clone)]
struct Probe {
    family: &'static str,
    req: Request,
    envelope: Envelope,
    expect: Expect,
    /// Headers of the probe itself (the caller's credentials come after them).
    own_headers: usize,
}

impl Probe {
    /// What to print about this probe in a failure.
    fn label(&self) -> String {
        match &self.req.raw {
            Some(raw) => format!(
                "[{}] raw {}",
                self.family,
                clip(&raw.escape_ascii().to_string())
            ),
            None => {
                // The probe's own header, not the credentials the caller adds after it.
                let header = self
                    .req
                    .headers
                    .iter()
                    .take(self.own_headers.min(1))
                    .map(|(k, v)| {
                        let v = v.escape_ascii().to_string();
                        format!(" ({k}: {})", v.chars().take(60).collect::<String>())
                    })
                    .collect::<String>();
                format!(
                    "[{}] {} {}{header}",
                    self.family,
                    self.req.method,
                    clip(&self.req.target)
                )
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Admin,
}

/// The credentials the sweep sends as the admin, and the anonymous visitor's CSRF cookie.
struct Creds {
    basic: String,
    /// `berth_session=...` of a signed-in admin.
    session_cookie: String,
    /// The session's CSRF token.
    csrf: String,
    /// A pre-sign-in CSRF cookie value (also the token of an anonymous form).
    anon_csrf: String,
    /// Id of an API key of the admin, for `/settings/keys/{id}/revoke`.
    key_id: String,
}

impl Creds {
    fn dress(&self, who: Who, mut req: Request, form: bool) -> Request {
        let has = |name: &str| {
            req.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name))
        };
        let (auth, cookie) = (has("authorization"), has("cookie"));
        match who {
            Who::Anonymous => {
                if form && !cookie {
                    req = req.header("Cookie", format!("berth_csrf={}", self.anon_csrf));
                }
            }
            Who::Admin => {
                if !auth {
                    req = req.header("Authorization", self.basic.clone());
                }
                if !cookie {
                    req = req.header("Cookie", self.session_cookie.clone());
                }
            }
        }
        req
    }

    fn token(&self, who: Who) -> &str {
        match who {
            Who::Anonymous => &self.anon_csrf,
            Who::Admin => &self.csrf,
        }
    }
}

/// Requests that delete or sign out run last (phase B), on things made to be deleted, so
/// that everything else meets the seeded accounts, repositories and session.
fn destructive(route: &Route) -> bool {
    route.method == "DELETE" || route.path.ends_with("/delete") || route.path == "/logout"
}

/// A valid value for each path parameter, chosen so that the route reaches its deep code
/// (existing accounts, teams, repositories, tags, external repositories).
fn valid(route: &Route, param: &str, alt: bool) -> String {
    let p = route.path.as_str();
    let doomed = destructive(route);
    let has_b = p.contains("{b}");
    let s = match (route.dialect, param) {
        // The registry: a repository, a session that does not exist, a digest, a tag.
        (Dialect::Registry, "name") if alt => "acme/secret",
        (Dialect::Registry, "name") if doomed => "alice/doomed",
        (Dialect::Registry, "name") => "alice/pub",
        (Dialect::Registry, "id") => "0b4624dd-9820-4e5a-8d41-000000000000",
        (Dialect::Registry | Dialect::Web, "digest") => {
            "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        }
        (Dialect::Registry, "reference") => "latest",
        (_, "namespace" | "ns" | "a") if alt && route.dialect != Dialect::Cloud => "acme",
        (_, "reponame" | "repo" | "b") if alt => "secret",
        (Dialect::Dtr, "name") if doomed => "doomed",
        (Dialect::Dtr | Dialect::Web, "name") => "victim",
        (Dialect::Dtr, "team") if doomed && !p.contains("Access") => "doomed",
        (Dialect::Web, "team") if doomed => "doomed",
        (_, "org") => "acme",
        (_, "team") => "devs",
        (_, "member") => "alice",
        (_, "user") => "bob",
        (Dialect::Dtr, "namespace") if p.contains("teamAccess") => "acme",
        (Dialect::Dtr, "reponame") if p.contains("teamAccess") => "app",
        (_, "namespace") => "alice",
        (_, "reponame" | "repo" | "b") if doomed && !p.contains("star") && !p.contains("tags") => {
            "doomed"
        }
        (_, "reponame" | "repo" | "b") => "pub",
        (_, "username") => "victim",
        (Dialect::V1, "ns") => "admin",
        (Dialect::Cloud, "ns") => "acme",
        (Dialect::Web, "ns") => "alice",
        (_, "a") if has_b => "alice",
        (_, "a") if doomed => "doomed",
        (_, "a") if p.ends_with("/images") || p.ends_with("/auth") || route.method == "PUT" => {
            "base"
        }
        (_, "a") => "alice",
        (_, "tag") => "latest",
        (Dialect::Cloud, "host") if p.contains("{ns}") => "registry.local:5000",
        (Dialect::Cloud, "host") => "registry.local",
        (Dialect::Cloud, "name") => {
            return match (p.contains("{ns}"), doomed) {
                (false, false) => "registry.local/admin/ext",
                (false, true) => "registry.local/admin/doomed",
                (true, false) => "registry.local:5000/acme/ext",
                (true, true) => "registry.local:5000/acme/doomed",
            }
            .to_owned()
        }
        (_, "path") => "css/berth.css",
        (_, "id") => return "KEY_ID".to_owned(),
        (d, other) => panic!("no valid value for {{{other}}} of {d:?} {p}"),
    };
    s.to_owned()
}

fn params(route: &Route) -> Vec<String> {
    let mut out = Vec::new();
    route.fill(|p| {
        out.push(p.to_owned());
        String::new()
    });
    out
}

/// The route's path with `hostile` for the parameters in `targets` and valid values
/// elsewhere.
fn fill(route: &Route, creds: &Creds, alt: bool, hostile: Option<(&str, &[String])>) -> String {
    route.fill(|p| match hostile {
        Some((value, targets)) if targets.iter().any(|t| t == p) => value.to_owned(),
        _ => {
            let v = valid(route, p, alt);
            if v == "KEY_ID" {
                creds.key_id.clone()
            } else {
                v
            }
        }
    })
}

/// Everything hostile, made once and shared by the probes (some bodies are large).
struct Corpus {
    segments: Vec<String>,
    queries: Vec<String>,
    malformed: Vec<Arc<[u8]>>,
    wrong: Vec<Arc<[u8]>>,
    shaped: Vec<(Dialect, Arc<[u8]>)>,
    headers: Vec<(&'static str, Headers, Expect, bool)>,
    at_limit: Vec<Arc<[u8]>>,
    /// Form bodies with the anonymous visitor's and the admin's token.
    forms: [Vec<Arc<[u8]>>; 2],
    empty_object: Arc<[u8]>,
}

impl Corpus {
    fn new(creds: &Creds) -> Corpus {
        let mut shaped = Vec::new();
        for d in [Dialect::Dtr, Dialect::V1, Dialect::Cloud] {
            for shape in shapes(d) {
                shaped.push((d, shape.to_string().into_bytes().into()));
                // The echo marker as an unknown field name.
                let mut unknown = shape.clone();
                match &mut unknown {
                    Value::Object(m) => {
                        m.insert(ECHO.to_owned(), json!(1));
                    }
                    Value::Array(items) => items.push(json!({ ECHO: 1 })),
                    _ => {}
                }
                shaped.push((d, unknown.to_string().into_bytes().into()));
                for v in rotate(&shape) {
                    shaped.push((d, v.to_string().into_bytes().into()));
                }
            }
        }
        let mut exact = b"\"".to_vec();
        exact.extend(std::iter::repeat_n(b'a', LIMIT - 2));
        exact.push(b'"');
        let mut arr = b"[".to_vec();
        arr.extend(std::iter::repeat_n(b' ', LIMIT - 2));
        arr.push(b']');
        let forms_with = |token: &str| -> Vec<Arc<[u8]>> {
            forms()
                .iter()
                .map(|f| {
                    f.replace("csrf=T", &format!("csrf={token}"))
                        .into_bytes()
                        .into()
                })
                .collect()
        };
        Corpus {
            segments: hostile_segments(),
            queries: query_cases(),
            malformed: malformed_json().into_iter().map(Into::into).collect(),
            wrong: wrong_types()
                .iter()
                .map(|v| v.to_string().into_bytes().into())
                .collect(),
            shaped,
            headers: header_cases(),
            at_limit: vec![exact.into(), arr.into()],
            forms: [forms_with(&creds.anon_csrf), forms_with(&creds.csrf)],
            empty_object: b"{}".to_vec().into(),
        }
    }
}

/// Every probe of one route, for one caller.
fn route_probes(route: &Route, who: Who, creds: &Creds, corpus: &Corpus, out: &mut Vec<Probe>) {
    let web = route.dialect == Dialect::Web;
    let form_route = web && route.method == "POST";
    let names = params(route);
    let envelope_of = |target: &str| Envelope::of_target(target);
    let push = |out: &mut Vec<Probe>, family: &'static str, req: Request, expect: Expect| {
        let envelope = envelope_of(&req.target);
        let own_headers = req.headers.len();
        let req = creds.dress(who, req, form_route);
        out.push(Probe {
            family,
            req,
            envelope,
            expect,
            own_headers,
        });
    };
    let target = fill(route, creds, false, None);
    assert_eq!(
        Envelope::of_target(&target),
        match route.dialect {
            Dialect::Dtr => Envelope::Dtr,
            Dialect::V1 => Envelope::V1,
            Dialect::Cloud => Envelope::Cloud,
            Dialect::RegistryUi => Envelope::RegistryUi,
            Dialect::Web => Envelope::Web,
            Dialect::Registry => Envelope::Registry,
            Dialect::Generic => Envelope::Generic,
        },
        "{target}: the envelope by prefix and the route table disagree"
    );
    let admin = who == Who::Admin;

    // Path segments: every parameter hostile at once, and (as the admin) one at a time.
    if !names.is_empty() {
        let mut values = corpus.segments.clone();
        if route.path.contains(":.+}") {
            values.extend(HOSTILE_TAILS.iter().map(|s| (*s).to_owned()));
        }
        for (i, value) in values.iter().enumerate() {
            push(
                out,
                "segment",
                Request::new(
                    route.method,
                    fill(route, creds, false, Some((value, &names))),
                ),
                Expect::App,
            );
            if admin && names.len() > 1 && i % 3 == 0 {
                for one in &names {
                    let only = std::slice::from_ref(one);
                    push(
                        out,
                        "segment",
                        Request::new(
                            route.method,
                            fill(route, creds, i % 2 == 0, Some((value, only))),
                        ),
                        Expect::App,
                    );
                }
            }
        }
    }

    // Query strings (most routes read none: those get a few).
    if admin || route.method == "GET" {
        let reads_query = route.method == "GET" || route.dialect == Dialect::RegistryUi;
        let n = if reads_query { corpus.queries.len() } else { 8 };
        for q in corpus.queries.iter().take(n) {
            push(
                out,
                "query",
                Request::new(route.method, format!("{target}?{q}")),
                Expect::App,
            );
        }
    }

    // Headers (as the admin: the auth cases replace its credentials).
    if admin {
        for (family, headers, expect, no_host) in &corpus.headers {
            let (family, expect) = (*family, *expect);
            let mut req = Request::new(route.method, target.clone());
            req.headers = headers.clone();
            req.no_host = *no_host;
            if family == "expect" {
                req = req.body(Body::Bytes(corpus.empty_object.clone()));
            }
            if matches!(expect, Expect::Codec) {
                req.fresh = true;
            }
            if family == "connection" {
                // An upgrade request's body is the rest of the stream: it ends when we close.
                req.fresh = true;
                req.half_close = true;
            }
            push(out, family, req, expect);
        }
    }

    // Bodies: on every route (a GET with a body is hostile too, but it gets a few), as they
    // fail in the extractor (malformed) on one fill, and as they may reach the handler
    // (valid JSON of the wrong type) on both fills as the admin.
    let json_req = |target: &str, body: &Arc<[u8]>| {
        Request::new(route.method, target.to_owned())
            .header("Content-Type", "application/json")
            .body(Body::Bytes(body.clone()))
    };
    let alt = fill(route, creds, true, None);
    let targets: Vec<&String> = if alt != target {
        vec![&target, &alt]
    } else {
        vec![&target]
    };
    let get = route.method == "GET";
    for (i, body) in corpus.malformed.iter().enumerate() {
        if !get || i % 8 == 0 {
            push(out, "malformed-json", json_req(&target, body), Expect::App);
        }
    }
    for t in if admin { &targets[..] } else { &targets[..1] } {
        for (i, body) in corpus.wrong.iter().enumerate() {
            if !get || i % 6 == 0 {
                push(out, "wrong-type", json_req(t, body), Expect::App);
            }
        }
    }
    if admin && route.method != "GET" {
        for (_, body) in corpus.shaped.iter().filter(|(d, _)| *d == route.dialect) {
            push(out, "wrong-field", json_req(&target, body), Expect::App);
        }
    }
    // Limits: over 1 MiB with a length, chunked without one, a lying length, exactly 1 MiB.
    let big = |body: Body| {
        Request::new(route.method, target.clone())
            .header(
                "Content-Type",
                if form_route {
                    "application/x-www-form-urlencoded"
                } else {
                    "application/json"
                },
            )
            .body(body)
    };
    push(
        out,
        "body-over-limit",
        big(Body::Filled {
            len: LIMIT + 1,
            fill: b'a',
        }),
        Expect::App,
    );
    push(
        out,
        "body-over-limit",
        big(Body::Chunked {
            len: LIMIT + 64 * 1024,
            fill: b' ',
        }),
        Expect::App,
    );
    push(
        out,
        "body-lying-length",
        big(Body::Lying {
            claimed: 1 << 40,
            sent: b"{\"a\":".to_vec(),
        }),
        Expect::CodecOrDrop,
    );
    if admin && route.method != "GET" {
        for body in &corpus.at_limit {
            push(out, "body-at-limit", json_req(&target, body), Expect::App);
        }
    }

    // Forms for web posts (valid token, so parsing is what decides).
    if form_route {
        let token = creds.token(who);
        for t in &targets {
            for body in &corpus.forms[usize::from(admin)] {
                let req = Request::new(route.method, (*t).clone())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(Body::Bytes(body.clone()));
                push(out, "form", req, Expect::App);
            }
        }
        for (ct, body) in [
            ("application/json", format!("{{\"csrf\":\"{token}\"}}")),
            ("text/plain", format!("csrf={token}")),
            (
                "multipart/form-data; boundary=xyz",
                "--xyz\r\ngarbage".to_owned(),
            ),
            (
                "application/x-www-form-urlencoded; charset=utf-16",
                format!("csrf={token}"),
            ),
        ] {
            let req = Request::new(route.method, target.clone())
                .header("Content-Type", ct)
                .body(Body::bytes(body));
            push(out, "form", req, Expect::App);
        }
    }
}

/// Every method a path does not declare, on the path filled with valid names.
fn wrong_method_probes(who: Who, creds: &Creds, corpus: &Corpus, out: &mut Vec<Probe>) {
    let mut declared: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in ROUTES.iter() {
        declared.entry(r.path.as_str()).or_default().push(r.method);
    }
    const METHODS: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND",
        "BREW",
    ];
    for (path, methods) in declared {
        let route = ROUTES
            .iter()
            .find(|r| r.path == path)
            .expect("declared path");
        let target = fill(route, creds, false, None);
        for m in METHODS.iter().filter(|m| !methods.contains(m)) {
            let req = creds.dress(
                who,
                Request::new(m, target.clone()).body(Body::Bytes(corpus.empty_object.clone())),
                false,
            );
            out.push(Probe {
                family: "wrong-method",
                envelope: Envelope::of_target(&target),
                req,
                expect: Expect::App,
                own_headers: 0,
            });
        }
    }
}

/// Many distinct, long values where the server keeps something per value, in groups whose
/// memory growth is measured one by one: search and explore terms (read-cache keys; the
/// search answer also echoes its term) and Basic user names (the failed-login throttle is
/// keyed by name). Each value is close to the largest that gets through: a request target
/// of 64 KiB (the `http` crate's limit), a request head of 128 KiB (actix's).
fn memory_groups() -> Vec<(&'static str, Vec<Probe>)> {
    let long = |i: usize, c: &str, n: usize| format!("{i}-{}", c.repeat(n));
    let get = |target: String| Probe {
        family: "memory-pressure",
        envelope: Envelope::of_target(&target),
        req: Request::new("GET", target),
        expect: Expect::App,
        own_headers: 0,
    };
    let mut terms: Vec<Probe> = (0..350)
        .map(|i| get(format!("/v1/search?q={}", long(i, "q", 60_000))))
        .collect();
    terms.extend((0..50).map(|i| get(format!("/?q={}", long(i, "e", 60_000)))));
    let names = (0..400)
        .map(|i| {
            let auth = format!(
                "Basic {}",
                b64(format!("{}:wrong", long(i, "u", 80_000)).as_bytes())
            );
            Probe {
                family: "memory-pressure",
                envelope: Envelope::V1,
                req: Request::new("GET", "/v1/users").header("Authorization", auth),
                expect: Expect::App,
                own_headers: 1,
            }
        })
        .collect();
    // The same Alauda page (about 750 KB) asked for under distinct `Host` headers, which
    // its paging links echo: the read cache must keep one page, not one per host.
    let hosts = (0..100)
        .map(|i| {
            let mut req = Request::new("GET", format!("/v1/repositories/{BULKY}?page_size=100"))
                .header(
                    "Host",
                    format!("{}.example:{}", long(i, "h", 2000), 1000 + i),
                );
            req.no_host = true;
            Probe {
                family: "memory-pressure",
                envelope: Envelope::V1,
                req,
                expect: Expect::App,
                own_headers: 1,
            }
        })
        .collect();
    vec![
        ("cache keys", terms),
        ("login names", names),
        ("alauda hosts", hosts),
    ]
}

/// The organization whose Alauda list pages are large.
const BULKY: &str = "bulky";

/// Growth allowed for one memory group: well under what the group would keep if the server
/// held on to its values (about 45 MiB for the terms, 32 MiB for the names, 45 MiB for the
/// hosts).
const GROUP_GROWTH_KIB: u64 = 16 * 1024;

fn raw_probes(creds: &Creds, out: &mut Vec<Probe>) {
    let paths = [
        ("/api/v0/accounts", "/api/v0/accounts"),
        ("/v1/_ping", "/v1/users"),
        ("/api/repo/v1/repository", "/api/repo/v1/repository"),
        ("/udr/v1api/repositories", "/udr/v1api/repositories"),
        ("/alice/pub", "/settings/keys"),
        ("/healthz", "/healthz"),
    ];
    let auth = format!(
        "Authorization: {}\r\nCookie: {}\r\n",
        creds.basic, creds.session_cookie
    );
    for (path, post) in paths {
        for (bytes, expect) in raw_cases(path, post, &auth) {
            // The path the server sees: the target's (an absolute URL's path), else `*` or an
            // authority, which are web paths.
            let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            let target =
                String::from_utf8_lossy(line.split(|b| *b == b' ').nth(1).unwrap_or_default())
                    .into_owned();
            let target = match target.strip_prefix("http://") {
                Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]).to_owned(),
                None => target,
            };
            let envelope = if target.starts_with('/') {
                Envelope::of_target(&target)
            } else {
                Envelope::Web
            };
            let mut req = Request::raw(bytes);
            req.half_close = expect == Expect::CodecOrDrop;
            out.push(Probe {
                family: "raw-http",
                req,
                envelope,
                expect,
                own_headers: 0,
            });
        }
    }
}

// ------------------------------------------------------------------------------ running

#[derive(Default)]
struct Tally {
    sent: usize,
    errors_5xx: usize,
    unanswered: usize,
    /// Incomplete requests whose connection the server closed without an answer (allowed).
    dropped: usize,
    violations: Vec<String>,
    /// Codec-level refusals by family: (count, statuses seen).
    codec: BTreeMap<&'static str, (usize, Vec<u16>)>,
    /// Answers by family: (4xx enveloped, successes).
    by_family: BTreeMap<&'static str, (usize, usize, usize)>,
}

impl Tally {
    fn record(&mut self, p: &Probe, result: Result<Answer, String>) {
        self.sent += 1;
        let what = p.label();
        self.by_family.entry(p.family).or_default().0 += 1;
        let answer = match result {
            Ok(a) => a,
            Err(e) => {
                if p.expect == Expect::CodecOrDrop {
                    self.dropped += 1;
                } else {
                    self.unanswered += 1;
                    self.violation(format!("{what}: no answer ({e})"));
                }
                return;
            }
        };
        if answer.status >= 500 {
            self.errors_5xx += 1;
        }
        let body = String::from_utf8_lossy(&answer.body);
        if body.contains(SECRET) {
            self.violation(format!("{what}: the answer echoes a password"));
        }
        // API errors never repeat a request value (web pages may refill their forms, and
        // successes may show what was stored).
        if answer.status >= 400 && p.envelope != Envelope::Web && body.contains(ECHO) {
            self.violation(format!("{what}: the error echoes a request value"));
        }
        let (refused, fine) = match judge(p.envelope, p.req.is_head(), &answer) {
            Ok(Verdict::NotAnError) => (0, 1),
            Ok(Verdict::Enveloped) => (1, 0),
            Ok(Verdict::CodecLevel) if p.expect != Expect::App => {
                let c = self.codec.entry(p.family).or_default();
                c.0 += 1;
                if !c.1.contains(&answer.status) {
                    c.1.push(answer.status);
                }
                (1, 0)
            }
            Ok(Verdict::CodecLevel) => {
                self.violation(format!(
                    "{what}: {} with no body: refused before the envelope",
                    answer.status
                ));
                (0, 0)
            }
            Err(e) => {
                self.violation(format!("{what}: {e}"));
                (0, 0)
            }
        };
        let entry = self.by_family.entry(p.family).or_default();
        entry.1 += refused;
        entry.2 += fine;
    }

    fn violation(&mut self, v: String) {
        if self.violations.len() < 200 {
            self.violations.push(v);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.sent += other.sent;
        self.errors_5xx += other.errors_5xx;
        self.unanswered += other.unanswered;
        self.dropped += other.dropped;
        for v in other.violations {
            self.violation(v);
        }
        for (k, (n, statuses)) in other.codec {
            let c = self.codec.entry(k).or_default();
            c.0 += n;
            for s in statuses {
                if !c.1.contains(&s) {
                    c.1.push(s);
                }
            }
        }
        for (k, (a, b, c)) in other.by_family {
            let e = self.by_family.entry(k).or_default();
            e.0 += a;
            e.1 += b;
            e.2 += c;
        }
    }
}

/// Send `probes` over `THREADS` connections at once.
fn run_batch(server: &Server, probes: &[Probe]) -> Tally {
    let next = AtomicUsize::new(0);
    let total = Mutex::new(Tally::default());
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let mut client = Client::new(server.addr);
                let mut tally = Tally::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = probes.get(i) else { break };
                    let started = std::time::Instant::now();
                    let result = client.send(&p.req);
                    let took = started.elapsed();
                    if took > std::time::Duration::from_secs(5) {
                        // A diagnostic, not an assertion: which probe kept the sweep waiting.
                        eprintln!("slow probe ({took:?}): {}", p.label());
                    }
                    tally.record(p, result);
                }
                total.lock().unwrap().merge(tally);
            });
        }
    });
    total.into_inner().unwrap()
}

// ------------------------------------------------------------------------------ seeding

fn call(
    client: &mut Client,
    method: &str,
    target: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = Request::new(method, target);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(Body::bytes(b.to_string()));
    }
    client
        .send(&req)
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
}

fn expect_ok(a: &Answer, what: &str) {
    assert!(
        (200..400).contains(&a.status),
        "seeding {what}: {} {}",
        a.status,
        String::from_utf8_lossy(&a.body)
    );
}

fn set_cookie(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .filter_map(|(_, v)| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, v)| k.trim() == name && !v.is_empty())
        .map(|(_, v)| v.trim().to_owned())
}

fn csrf_in(body: &[u8]) -> Option<String> {
    let body = String::from_utf8_lossy(body);
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

fn form_post(client: &mut Client, target: &str, cookie: &str, fields: &[(&str, &str)]) -> Answer {
    let body = serde_urlencoded::to_string(fields).unwrap();
    let req = Request::new("POST", target)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", cookie)
        .body(Body::bytes(body));
    client
        .send(&req)
        .unwrap_or_else(|e| panic!("POST {target}: {e}"))
}

/// Accounts, an organization with teams and grants, public and private repositories (user,
/// organization, library) with images and tags, stars, external repositories, an API key and
/// a signed-in web session.
fn seed(server: &Server) -> Creds {
    let mut c = Client::new(server.addr);
    let admin = common::basic("admin", ADMIN_PASSWORD);
    let a = Some(admin.as_str());
    for user in ["alice", "bob", "victim", "doomed"] {
        let r = call(
            &mut c,
            "POST",
            "/api/v0/accounts",
            a,
            Some(json!({"type": "user", "name": user, "password": "password-123"})),
        );
        expect_ok(&r, user);
        let r = call(
            &mut c,
            "PUT",
            &format!("/api/v0/accounts/{user}/activate"),
            a,
            None,
        );
        expect_ok(&r, user);
    }
    let r = call(
        &mut c,
        "POST",
        "/api/v0/accounts",
        a,
        Some(json!({"type": "organization", "name": "acme"})),
    );
    expect_ok(&r, "acme");
    for team in ["devs", "doomed"] {
        let r = call(
            &mut c,
            "POST",
            "/api/v0/accounts/acme/teams",
            a,
            Some(json!({"name": team})),
        );
        expect_ok(&r, team);
    }
    let r = call(
        &mut c,
        "PUT",
        "/api/v0/accounts/acme/teams/devs/members/alice",
        a,
        None,
    );
    expect_ok(&r, "member");
    for (ns, name, visibility) in [
        ("alice", "pub", "public"),
        ("alice", "priv", "private"),
        ("alice", "doomed", "public"),
        ("acme", "app", "public"),
        ("acme", "secret", "private"),
        ("acme", "doomed", "private"),
        ("library", "base", "public"),
        ("library", "doomed", "public"),
    ] {
        let r = call(
            &mut c,
            "POST",
            &format!("/api/v0/repositories/{ns}"),
            a,
            Some(
                json!({"name": name, "visibility": visibility, "shortDescription": "s", "longDescription": "# Title\n\nText."}),
            ),
        );
        expect_ok(&r, name);
    }
    for (t, body) in [
        (
            "/api/v0/repositories/acme/app/teamAccess/devs",
            json!({"accessLevel": "read-write"}),
        ),
        (
            "/api/v0/repositories/acme/secret/teamAccess/devs",
            json!({"accessLevel": "read-only"}),
        ),
        (
            "/api/v0/repositories/alice/pub/userAccess/bob",
            json!({"accessLevel": "read-only"}),
        ),
        (
            "/api/v0/repositoryNamespaces/acme/teamAccess/devs",
            json!({"accessLevel": "read-only"}),
        ),
    ] {
        let r = call(&mut c, "PUT", t, a, Some(body));
        expect_ok(&r, t);
    }
    for repo in [
        "alice/pub",
        "alice/priv",
        "acme/app",
        "acme/secret",
        "alice/doomed",
    ] {
        let r = call(
            &mut c,
            "PUT",
            &format!("/v1/repositories/{repo}/images"),
            a,
            Some(json!([{"id": IMAGE}])),
        );
        expect_ok(&r, repo);
        let mut req = Request::new("PUT", format!("/v1/repositories/{repo}/tags/latest"))
            .header("Authorization", admin.clone())
            .header("Content-Type", "application/json")
            .body(Body::bytes(format!("\"{IMAGE}\"")));
        req.fresh = false;
        let r = c.send(&req).unwrap();
        expect_ok(&r, "tag");
    }
    let r = call(
        &mut c,
        "PUT",
        "/v1/repositories/base/images",
        a,
        Some(json!([{"id": IMAGE}])),
    );
    expect_ok(&r, "library images");
    let r = call(&mut c, "PUT", "/v1/repositories/alice/pub/star", a, None);
    expect_ok(&r, "star");
    for (t, name) in [
        ("/api/repo/v1/repository/", "registry.local/admin/ext"),
        ("/api/repo/v1/repository/", "registry.local/admin/doomed"),
        (
            "/api/repo/v1/acme/repository/",
            "registry.local:5000/acme/ext",
        ),
        (
            "/api/repo/v1/acme/repository/",
            "registry.local:5000/acme/doomed",
        ),
    ] {
        let r = call(
            &mut c,
            "POST",
            t,
            a,
            Some(json!({"name": name, "username": "u", "password": "p"})),
        );
        expect_ok(&r, name);
    }
    let r = call(
        &mut c,
        "POST",
        "/udr/v1api/project/create?repository=acme/ui&title=t&isPublic=true",
        a,
        None,
    );
    expect_ok(&r, "registryui project");

    // A namespace whose Alauda list pages are large (the long descriptions are listed), for
    // the distinct-`Host` memory group.
    let r = call(
        &mut c,
        "POST",
        "/api/v0/accounts",
        a,
        Some(json!({"type": "organization", "name": BULKY})),
    );
    expect_ok(&r, BULKY);
    for i in 0..30 {
        let r = call(
            &mut c,
            "POST",
            &format!("/api/v0/repositories/{BULKY}"),
            a,
            Some(json!({"name": format!("r{i}"), "visibility": "public",
                        "longDescription": format!("{i} {}", "d".repeat(24_000))})),
        );
        expect_ok(&r, "bulky repository");
    }

    // A web session for the admin, and a pre-sign-in CSRF cookie for anonymous forms.
    let page = c.send(&Request::new("GET", "/login")).unwrap();
    let pre = set_cookie(&page, "berth_csrf").expect("a CSRF cookie on /login");
    let anon_csrf = pre.clone();
    let r = form_post(
        &mut c,
        "/login",
        &format!("berth_csrf={pre}"),
        &[
            ("csrf", &pre),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "/"),
        ],
    );
    assert_eq!(
        r.status,
        303,
        "sign in: {}",
        String::from_utf8_lossy(&r.body)
    );
    let session = set_cookie(&r, "berth_session").expect("a session cookie");
    let session_cookie = format!("berth_session={session}");
    let settings = c
        .send(&Request::new("GET", "/settings").header("Cookie", session_cookie.clone()))
        .unwrap();
    let csrf = csrf_in(&settings.body).expect("a CSRF token on /settings");
    let r = form_post(
        &mut c,
        "/settings/keys",
        &session_cookie,
        &[("csrf", &csrf), ("name", "hostile-key")],
    );
    expect_ok(&r, "api key");
    let settings = c
        .send(&Request::new("GET", "/settings").header("Cookie", session_cookie.clone()))
        .unwrap();
    let page = String::from_utf8_lossy(&settings.body).into_owned();
    let key_id = page
        .split("/settings/keys/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a key on /settings")
        .to_owned();
    Creds {
        basic: admin,
        session_cookie,
        csrf,
        anon_csrf,
        key_id,
    }
}

// ------------------------------------------------------------------------------ the sweep

/// The memory bound: twice the warmed-up resident size plus 64 MiB. Twice, because glibc
/// keeps freed memory in per-thread arenas (two workers and the blocking pool each may hold
/// a few MiB-sized body buffers) and fragmentation after tens of thousands of requests of
/// very different sizes is real; 64 MiB on top, because the warmed-up size of a small
/// debug server is itself only a few tens of MiB. A leak of even 4 KiB per request (about
/// 150 MiB over this sweep), or a cache that keeps hostile input, goes over it.
fn memory_bound(warm_kib: u64) -> u64 {
    2 * warm_kib + 64 * 1024
}

#[test]
fn hostile_input_gets_4xx_in_the_envelope_and_the_server_stays_up() {
    let mut server = Server::start();
    let creds = seed(&server);
    let corpus = Corpus::new(&creds);

    let mut phase_a = Vec::new();
    let mut phase_b = Vec::new();
    for who in [Who::Anonymous, Who::Admin] {
        for route in ROUTES.iter() {
            let out = if destructive(route) {
                &mut phase_b
            } else {
                &mut phase_a
            };
            route_probes(route, who, &creds, &corpus, out);
        }
        wrong_method_probes(who, &creds, &corpus, &mut phase_a);
    }
    raw_probes(&creds, &mut phase_a);
    // To look at one family while working on it: HOSTILE_ONLY=form cargo test --test hostile
    if let Ok(only) = std::env::var("HOSTILE_ONLY") {
        let keep = |p: &Probe| only.split(',').any(|f| f == p.family);
        phase_a.retain(keep);
        phase_b.retain(keep);
    }
    eprintln!("hostile: {} probes", phase_a.len() + phase_b.len());

    // Warm up on a sample of every family of phase A (big bodies included), then measure.
    let sample: Vec<Probe> = phase_a.iter().step_by(25).cloned().collect();
    let mut tally = run_batch(&server, &sample);
    assert!(server.healthy(), "no /healthz after the warm-up");
    let warm = server.rss_kib();
    let mut peak = warm;
    // Phase B (deleting, signing out) last; in between, the admin's credentials must still
    // work, or the admin's probes would have been anonymous ones.
    for (phase, probes) in [("A", &phase_a), ("B", &phase_b)] {
        if phase == "B" {
            assert!(
                still_admin(&server, &creds),
                "the admin's Basic credentials or web session stopped working in phase A"
            );
        }
        for (i, batch) in probes.chunks(BATCH).enumerate() {
            tally.merge(run_batch(&server, batch));
            assert!(
                server.running(),
                "berth exited in batch {phase}{i}: {}",
                server.log_text()
            );
            assert!(server.healthy(), "no /healthz after batch {phase}{i}");
            peak = peak.max(server.rss_kib());
        }
    }
    // Memory pressure, group by group, after the sweep.
    let mut growth = Vec::new();
    for (group, probes) in memory_groups() {
        if std::env::var("HOSTILE_ONLY").is_ok_and(|only| !only.contains("memory")) {
            continue;
        }
        let before = server.rss_kib();
        tally.merge(run_batch(&server, &probes));
        assert!(
            server.running(),
            "berth exited under {group}: {}",
            server.log_text()
        );
        assert!(server.healthy(), "no /healthz after {group}");
        let after = server.rss_kib();
        peak = peak.max(after);
        growth.push((group, before, after));
    }
    let end = server.rss_kib();

    println!(
        "hostile: {} requests, {} 5xx, RSS {warm} → {end} KiB (peak {peak} KiB, bound {} KiB)",
        tally.sent,
        tally.errors_5xx,
        memory_bound(warm)
    );
    for (group, before, after) in &growth {
        println!("  memory under {group}: RSS {before} → {after} KiB");
    }
    for (family, (n, enveloped, ok)) in &tally.by_family {
        println!("  {family:<20} {n:>6} sent, {enveloped:>6} 4xx, {ok:>6} non-errors");
    }
    println!(
        "  {} incomplete requests closed without an answer after we stopped sending (allowed)",
        tally.dropped
    );
    for (family, (n, statuses)) in &tally.codec {
        println!(
            "  codec-level: {family:<20} {n:>5} refused before the app, statuses {statuses:?}"
        );
    }
    for v in &tally.violations {
        println!("  VIOLATION {v}");
    }
    let log = server.log_text();
    assert_eq!(
        tally.errors_5xx,
        0,
        "5xx answers; server log:\n{}",
        clip_log(&log)
    );
    assert_eq!(tally.unanswered, 0, "requests without an answer");
    assert!(
        tally.violations.is_empty(),
        "{} violations",
        tally.violations.len()
    );
    assert!(
        !log.contains("panicked"),
        "the server panicked:\n{}",
        clip_log(&log)
    );
    for (group, before, after) in growth {
        assert!(
            after <= before + GROUP_GROWTH_KIB,
            "{group} grew resident memory from {before} KiB to {after} KiB"
        );
    }
    assert!(
        end <= memory_bound(warm),
        "resident memory grew from {warm} KiB to {end} KiB (bound {} KiB)",
        memory_bound(warm)
    );
}

/// Issue 12, finding 1, over every API write route: as the site admin (so that nothing but
/// the browser rules stands in the way), a body type a form can send (`text/plain`,
/// multipart, and urlencoded where the route takes JSON) is 415, and a write marked as
/// cross-site (`Origin` of another site, `Sec-Fetch-Site: cross-site` or `same-site`) is 403,
/// each in the path's envelope; and the store is byte for byte what it was.
#[test]
fn browser_form_bodies_and_cross_site_writes_are_refused_on_every_api_route() {
    let server = Server::start();
    let creds = seed(&server);
    let before = store_snapshot(&server);
    // A JSON object a route of any dialect could take (unknown fields aside).
    let body = json!({
        "type": "organization", "name": "evil", "repo_name": "evil", "namespace": "alice",
        "newPassword": "evil-password-1", "oldPassword": common::PASSWORD,
        "username": "evil", "password": "evil-password-1", "email": "evil@example.com",
        "accessLevel": "admin", "shortDescription": "defaced", "visibility": "public",
        "description": "defaced", "is_public": true, "isPublic": "true",
    })
    .to_string();
    let form_route = |r: &Route| {
        berth::api::guard::FORM_ROUTES
            .iter()
            .any(|(m, p)| *m == r.method && *p == r.path)
    };
    let mut probes: Vec<(Request, u16, String)> = Vec::new();
    for route in ROUTES.iter().filter(|r| {
        !matches!(r.method, "GET" | "HEAD") && !matches!(r.dialect, Dialect::Web | Dialect::Generic)
    }) {
        for alt in [false, true] {
            let target = fill(route, &creds, alt, None);
            let admin = |req: Request| req.header("Authorization", creds.basic.clone());
            let typed = |ct: &str, body: &str| {
                admin(Request::new(route.method, target.clone()))
                    .header("Content-Type", ct.to_owned())
                    .body(Body::bytes(body.to_owned()))
            };
            let mut types = vec![
                "text/plain",
                "text/plain;charset=UTF-8",
                "multipart/form-data; boundary=----x",
            ];
            if !form_route(route) {
                types.push("application/x-www-form-urlencoded");
            }
            for ct in types {
                probes.push((typed(ct, &body), 415, ct.to_string()));
            }
            let (ct, sent) = if form_route(route) {
                (
                    "application/x-www-form-urlencoded",
                    "repository=alice/evil&isPublic=true",
                )
            } else {
                ("application/json", body.as_str())
            };
            for marks in [
                &[("Origin", "http://evil.example")][..],
                &[("Origin", "null")],
                &[("Sec-Fetch-Site", "cross-site")],
                &[("Sec-Fetch-Site", "same-site")],
            ] {
                let mut req = typed(ct, sent);
                for (k, v) in marks {
                    req = req.header(k, v.to_string());
                }
                probes.push((req, 403, format!("{marks:?}")));
            }
        }
    }
    let mut client = Client::new(server.addr);
    let mut wrong = Vec::new();
    for (req, status, what) in &probes {
        let a = match client.send(req) {
            Ok(a) => a,
            Err(e) => {
                wrong.push(format!("{} {} {what}: {e}", req.method, req.target));
                client = Client::new(server.addr);
                continue;
            }
        };
        let envelope = Envelope::of_target(&req.target);
        let judged = judge(envelope, false, &a);
        if a.status != *status || judged != Ok(Verdict::Enveloped) {
            wrong.push(format!(
                "{} {} {what}: {} {judged:?} {}",
                req.method,
                req.target,
                a.status,
                clip(&String::from_utf8_lossy(&a.body))
            ));
        }
    }
    assert!(probes.len() > 400, "{} probes", probes.len());
    assert!(
        wrong.is_empty(),
        "{} of {} wrong:\n{}",
        wrong.len(),
        probes.len(),
        wrong.join("\n")
    );
    assert_eq!(
        before,
        store_snapshot(&server),
        "a refused request changed the store"
    );
}

/// Every row of every table of the server's store, as text, table by table.
fn store_snapshot(server: &Server) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open(server.data_dir().join("berth.db")).expect("open store");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("list tables");
    let mut out = BTreeMap::new();
    for t in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\""))
            .expect("select");
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| r.get_ref(i).map(|v| format!("{v:?}")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.join("|"))
            })
            .and_then(|rows| rows.collect())
            .expect("rows");
        rows.sort();
        out.insert(t, rows);
    }
    out
}

/// The admin's Basic credentials and web session still work.
fn still_admin(server: &Server, creds: &Creds) -> bool {
    let mut c = Client::new(server.addr);
    let basic =
        c.send(&Request::new("GET", "/v1/users").header("Authorization", creds.basic.clone()));
    let page =
        c.send(&Request::new("GET", "/settings").header("Cookie", creds.session_cookie.clone()));
    basic.is_ok_and(|a| a.status == 200) && page.is_ok_and(|a| a.status == 200)
}

fn clip_log(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

// ------------------------------------------------------------------------------ echoes

/// Error messages never repeat what the client sent (issue 12): a secret-looking value as a
/// mistyped value, as an unknown enum value, as an unknown field name and in query strings,
/// to every dialect, never comes back in any answer.
#[test]
fn error_messages_never_echo_request_values() {
    use common::TestApp;

    let app = TestApp::start();
    app.user("alice");
    app.repo("alice", "pub", true);
    let e = ECHO;
    // The value where a string, a number, a boolean, an enum value or a list is expected;
    // the value as a field name. Free-text fields (descriptions) are left out: they keep
    // what they are given, and answers show it.
    let bodies = |fields: &[&str]| -> Vec<Value> {
        let mut out = vec![json!({ e: 1 }), json!([e]), json!(e)];
        for f in fields {
            out.push(json!({ *f: e }));
            out.push(json!({ *f: [e] }));
            out.push(json!({ *f: { e: e } }));
        }
        out
    };
    let mut requests: Vec<(&str, String, Value)> = Vec::new();
    let mut add = |method: &'static str, path: &str, fields: &[&str]| {
        for body in bodies(fields) {
            requests.push((method, path.to_owned(), body));
        }
    };
    // DTR
    add("POST", "/api/v0/accounts", &["type", "name", "password"]);
    add(
        "POST",
        "/api/v0/repositories/alice",
        &["name", "visibility"],
    );
    add("PATCH", "/api/v0/repositories/alice/pub", &["visibility"]);
    add(
        "PUT",
        "/api/v0/repositories/alice/pub/userAccess/alice",
        &["accessLevel"],
    );
    // Index
    add("POST", "/v1/users", &["username", "password", "email"]);
    add("PUT", "/v1/users/alice", &["email", "password"]);
    add(
        "PUT",
        "/v1/repositories/alice/pub/images",
        &["id", "checksum"],
    );
    add("PUT", "/v1/repositories/alice/pub/tags/latest", &[]);
    // Alauda
    add(
        "POST",
        "/v1/repositories/alice",
        &["repo_name", "is_public", "namespace"],
    );
    add("PUT", "/v1/repositories/alice/pub", &["is_public"]);
    add(
        "POST",
        "/v1/repositories/alice/login",
        &["username", "password"],
    );
    // Cloud
    add(
        "POST",
        "/api/repo/v1/repository/",
        &["name", "username", "password"],
    );
    // RegistryUI (form bodies go as query strings below)
    add("POST", "/udr/v1api/repositories", &[]);
    let mut checked = 0;
    for (method, path, body) in &requests {
        // As the admin (bodies reach the handlers) and as a user (the image list).
        let r = app.req(method, path).admin().json(body).send();
        assert!(
            r.status < 500,
            "{method} {path} {body}: {} {}",
            r.status,
            r.body
        );
        assert!(
            !r.body.contains(e),
            "{method} {path} {body}: {} {}",
            r.status,
            r.body
        );
        checked += 1;
    }
    // An image list whose entries carry the value where a string is expected.
    for body in [
        json!([{"id": IMAGE, "checksum": [e]}]),
        json!([{"id": IMAGE, e: 1}]),
        json!([{"id": {e: e}}]),
    ] {
        let r = app
            .put("/v1/repositories/alice/pub/images")
            .admin()
            .json(&body)
            .send();
        assert!(!r.body.contains(e), "{body}: {} {}", r.status, r.body);
        checked += 1;
    }
    // Query strings: the value for each parameter a route reads, repeated, and as a name.
    let queries = [
        "/api/v0/accounts",
        "/api/v0/repositories/alice",
        "/v1/search",
        "/v1/repositories/alice",
        "/api/repo/v1/repository/",
        "/udr/v1api/repositories",
        "/udr/v1api/repository/tags",
        "/",
        "/alice",
    ];
    let params = [
        "start",
        "limit",
        "offset",
        "skip",
        "take",
        "page",
        "page_size",
        "n",
        "registry",
        "name",
        "folder",
        "startAfter",
        "repository",
        "tagName",
        "isPublic",
    ];
    for path in queries {
        let mut qs: Vec<String> = params.iter().map(|p| format!("{p}={e}")).collect();
        qs.push(
            params
                .iter()
                .map(|p| format!("{p}={e}&{p}={e}"))
                .collect::<Vec<_>>()
                .join("&"),
        );
        qs.push(format!("{e}={e}"));
        for q in qs {
            for method in ["GET", "POST"] {
                let r = app.req(method, &format!("{path}?{q}")).admin().send();
                assert!(
                    r.status < 500,
                    "{method} {path}?{q}: {} {}",
                    r.status,
                    r.body
                );
                assert!(
                    !r.body.contains(e),
                    "{method} {path}?{q}: {} {}",
                    r.status,
                    r.body
                );
                checked += 1;
            }
        }
        // The RegistryUI form body, in the query format.
        let form = format!("skip={e}&skip={e}&take={e}");
        let r = app
            .post(path)
            .admin()
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(&form)
            .send();
        assert!(
            !r.body.contains(e),
            "POST {path} {form}: {} {}",
            r.status,
            r.body
        );
    }
    assert!(checked > 300, "{checked} requests");
}

/// Issue 12, finding 2, over every API write route: with the site admin's API key (as Basic
/// and as `Token`), whatever a route does, no account's password changes. The bodies carry
/// every password field any dialect reads, old passwords included.
#[test]
fn no_api_write_changes_a_password_with_a_key() {
    let server = Server::start();
    let creds = seed(&server);
    let mut c = Client::new(server.addr);
    let login = call(
        &mut c,
        "POST",
        "/v1/generate-api-token",
        None,
        Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
    );
    expect_ok(&login, "generate-api-token");
    let key = serde_json::from_slice::<Value>(&login.body).expect("token JSON")["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let hashes = || -> BTreeMap<String, String> {
        let conn =
            rusqlite::Connection::open(server.data_dir().join("berth.db")).expect("open store");
        let mut stmt = conn
            .prepare("SELECT name, password_hash FROM accounts WHERE password_hash IS NOT NULL")
            .expect("select");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .expect("rows")
    };
    let before = hashes();
    // One body per way a dialect names the new password (routes refuse unknown fields).
    let bodies = [
        json!({"newPassword": "taken-over-pw-1"}).to_string(),
        json!({"newPassword": "taken-over-pw-1", "oldPassword": ADMIN_PASSWORD}).to_string(),
        json!({"password": "taken-over-pw-1"}).to_string(),
    ];
    let mut sent = 0;
    for route in ROUTES.iter().filter(|r| {
        !matches!(r.method, "GET" | "HEAD") && !matches!(r.dialect, Dialect::Web | Dialect::Generic)
    }) {
        for alt in [false, true] {
            let target = fill(route, &creds, alt, None);
            for auth in [common::basic("admin", &key), format!("Token {key}")] {
                for body in &bodies {
                    let req = Request::new(route.method, target.clone())
                        .header("Authorization", auth.clone())
                        .header("Content-Type", "application/json".to_owned())
                        .body(Body::bytes(body.clone()));
                    if c.send(&req).is_err() {
                        c = Client::new(server.addr);
                    }
                    sent += 1;
                }
            }
        }
    }
    assert!(sent > 500, "{sent} requests");
    let after = hashes();
    for (name, hash) in &before {
        if let Some(now) = after.get(name) {
            assert_eq!(now, hash, "{name}'s password changed with an API key");
        }
    }
    assert!(after.contains_key("admin"), "the admin account is gone");
}
