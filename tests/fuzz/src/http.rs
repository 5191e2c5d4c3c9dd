//! The request-parsing targets: the real application (`berth::app`, the same one `main`
//! serves) on a fresh store in a temporary folder, driven in process through
//! `actix_web::test::init_service`. Each input becomes one request to one route of the
//! target's dialect (from `tests/common/routes.rs`): method, path parameters, query,
//! credentials, a few headers and a body. Every answer must be below 500 and in the envelope
//! of the dialect whose path it is (API-NOTES section 0); a handler panic is a crash.
//!
//! The application and its seeded store live for [`fresh_every`] inputs, then a new one is
//! built: the store stays small, and a failure depends on at most that many earlier inputs
//! (the panic message shows the request, to replay it by hand or in a test).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::Service;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use actix_web::test::{init_service, TestRequest};
use actix_web::web::{self, Bytes};
use arbitrary::{Arbitrary, Unstructured};
use base64::Engine;
use serde_json::{json, Map, Value};

use berth::config::Config;
use berth::AppState;

use crate::routes::{Dialect, Route, ROUTES};

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "password-123";
pub const IMAGE: &str = "9e89cc6f0bc3c38722009fe6857087b486531f9a779a0c17e3ed29dae8f12c4f";

/// Where good credentials come from; bad ones come from [`STRANGER`], so the login throttle
/// (per account and address) never locks the seeded accounts out for the good ones.
const CLIENT: &str = "127.0.0.1:40000";
const STRANGER: &str = "127.0.0.2:40000";

/// Inputs served by one application before a fresh one is built
/// (`BERTH_FUZZ_FRESH_EVERY`, default 500).
fn fresh_every() -> u32 {
    std::env::var("BERTH_FUZZ_FRESH_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(500)
}

/// Stores go to tmpfs when there is one (every write is fsynced): `BERTH_FUZZ_TMP`,
/// else `/dev/shm`, else the system's temporary folder.
fn scratch() -> PathBuf {
    if let Some(dir) = std::env::var_os("BERTH_FUZZ_TMP") {
        return dir.into();
    }
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix(name)?.strip_prefix('='))
            .map(|c| c.split(';').next().unwrap_or("").to_owned())
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} {}",
            self.status,
            self.headers,
            clip(&String::from_utf8_lossy(&self.body))
        )
    }
}

fn clip(s: &str) -> String {
    if s.len() > 2000 {
        let mut end = 2000;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &s[..end], s.len())
    } else {
        s.to_owned()
    }
}

type Call = Box<dyn Fn(TestRequest) -> Pin<Box<dyn Future<Output = Answer>>>>;

/// Credentials and tokens made while seeding, for inputs to pick from.
struct Fixtures {
    alice_key: String,
    index_token: String,
    admin_session: String,
    admin_csrf: String,
    pre_csrf: String,
}

struct Harness {
    call: Call,
    fixtures: Fixtures,
    served: u32,
    _dir: tempfile::TempDir,
}

// Never dropped: at exit, thread-local destructors run in no useful order and actix
// panics when its own thread-locals are gone. The folder left behind is swept by the next
// run ([`sweep`]).
thread_local! {
    static RUNTIME: ManuallyDrop<actix_web::rt::SystemRunner> =
        ManuallyDrop::new(actix_web::rt::System::new());
    static HARNESS: ManuallyDrop<RefCell<Option<Rc<RefCell<Harness>>>>> =
        const { ManuallyDrop::new(RefCell::new(None)) };
}

const FOLDER_PREFIX: &str = "berth-fuzz-";

/// Remove the store folders of fuzzing processes that are gone (a crash or the end of a
/// run leaves one behind). A folder is named after the process that made it.
fn sweep(scratch: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(scratch) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(FOLDER_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// One input of a request-parsing target.
pub fn fuzz(dialect: Dialect, data: &[u8]) {
    RUNTIME.with(|rt| rt.block_on(fuzz_one(dialect, data)));
}

async fn fuzz_one(dialect: Dialect, data: &[u8]) {
    let current = HARNESS.with(|h| h.borrow().clone());
    let harness = match current {
        Some(h) if h.borrow().served < fresh_every() => h,
        _ => {
            // Drop the old application (and its folder) before building the next.
            HARNESS.with(|h| h.borrow_mut().take());
            let h = Rc::new(RefCell::new(build().await));
            HARNESS.with(|slot| *slot.borrow_mut() = Some(Rc::clone(&h)));
            h
        }
    };
    let mut u = Unstructured::new(data);
    let probe = {
        let mut h = harness.borrow_mut();
        h.served += 1;
        Probe::generate(&mut u, dialect, &h.fixtures)
    };
    let Some(probe) = probe else { return };
    let answer = {
        let h = harness.borrow();
        (h.call)(probe.request())
    }
    .await;
    if trace() {
        let auth = probe
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map_or("-".to_owned(), |(_, v)| {
                String::from_utf8_lossy(v.as_bytes())
                    .chars()
                    .take(24)
                    .collect()
            });
        eprintln!(
            "{} {} {} [{auth}]",
            answer.status,
            probe.method,
            clip(&probe.uri)
        );
    }
    check(&probe, &answer);
}

/// `BERTH_FUZZ_TRACE=1`: one line per request (status, method, URI) on stderr, to see what
/// a corpus reaches: `... fuzz run <target> <corpus> -- -runs=0 2>&1 | grep '^[0-9]'`.
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("BERTH_FUZZ_TRACE").is_some_and(|v| v != "0"))
}

async fn build() -> Harness {
    let scratch = scratch();
    sweep(&scratch);
    let dir = tempfile::Builder::new()
        .prefix(&format!("{FOLDER_PREFIX}{}-", std::process::id()))
        .tempdir_in(&scratch)
        .expect("a temporary folder");
    let mut cfg = Config::new(dir.path().join("data"));
    cfg.bcrypt_cost = 4;
    cfg.admin_password = Some(ADMIN_PASSWORD.to_owned());
    let state = web::Data::new(AppState::open(cfg).expect("open the store"));
    let svc = Rc::new(init_service(berth::app(state)).await);
    let call: Call = Box::new(move |req: TestRequest| {
        let svc = Rc::clone(&svc);
        Box::pin(async move {
            // The server turns a service error into its response the same way.
            match svc.call(req.to_request()).await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let headers = res.headers().clone();
                    let body = read_body(res.into_body()).await;
                    Answer {
                        status,
                        headers,
                        body,
                    }
                }
                Err(err) => {
                    let res = err.error_response();
                    let status = res.status().as_u16();
                    let headers = res.headers().clone();
                    let body = read_body(res.into_body()).await;
                    Answer {
                        status,
                        headers,
                        body,
                    }
                }
            }
        })
    });
    let fixtures = seed(&call).await;
    Harness {
        call,
        fixtures,
        served: 0,
        _dir: dir,
    }
}

async fn read_body<B: MessageBody>(body: B) -> Bytes {
    match actix_web::body::to_bytes(body).await {
        Ok(b) => b,
        Err(e) => {
            let e: Box<dyn std::error::Error> = e.into();
            panic!("the response body could not be read: {e}")
        }
    }
}

pub fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

/// Seed through the API as a client would: users (one inactive), an organization with a
/// team, public and private repositories with an image and a tag, an API key, an Index
/// token, a Cloud external repository and a signed-in web session.
async fn seed(call: &Call) -> Fixtures {
    let admin = basic(ADMIN, ADMIN_PASSWORD);
    let alice = basic("alice", PASSWORD);
    let send = |method: &str, path: &str, auth: &str, body: Option<Value>| {
        let mut req = TestRequest::default()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path)
            .peer_addr(CLIENT.parse().unwrap());
        if !auth.is_empty() {
            req = req.insert_header(("authorization", auth));
        }
        if let Some(b) = body {
            req = req
                .insert_header(("content-type", "application/json"))
                .set_payload(b.to_string());
        }
        call(req)
    };
    let ok = |what: &str, a: &Answer| {
        assert!(
            (200..300).contains(&a.status),
            "seeding failed: {what}: {a:?}"
        );
    };
    for (name, active) in [("alice", true), ("bob", false)] {
        let body = json!({"type": "user", "name": name, "password": PASSWORD});
        ok(
            name,
            &send("POST", "/api/v0/accounts", &admin, Some(body)).await,
        );
        if active {
            let path = format!("/api/v0/accounts/{name}/activate");
            ok("activate", &send("PUT", &path, &admin, None).await);
        }
    }
    let org = json!({"type": "organization", "name": "acme"});
    ok(
        "org",
        &send("POST", "/api/v0/accounts", &admin, Some(org)).await,
    );
    let team = json!({"name": "devs", "description": "developers"});
    ok(
        "team",
        &send("POST", "/api/v0/accounts/acme/teams", &admin, Some(team)).await,
    );
    let path = "/api/v0/accounts/acme/teams/devs/members/alice";
    ok("member", &send("PUT", path, &admin, None).await);
    for (ns, name, visibility, auth) in [
        ("acme", "app", "private", &admin),
        ("alice", "pub", "public", &alice),
        ("library", "ubuntu", "public", &admin),
    ] {
        let body = json!({"name": name, "visibility": visibility,
            "shortDescription": "short", "longDescription": "# Title\n\n*text*"});
        let path = format!("/api/v0/repositories/{ns}");
        ok(name, &send("POST", &path, auth, Some(body)).await);
    }
    let access = json!({"accessLevel": "read-write"});
    let path = "/api/v0/repositories/acme/app/teamAccess/devs";
    ok("grant", &send("PUT", path, &admin, Some(access)).await);
    let images = json!([{"id": IMAGE, "checksum": "sha256:00"}]);
    ok(
        "push",
        &send("PUT", "/v1/repositories/acme/app", &admin, Some(images)).await,
    );
    let path = "/v1/repositories/acme/app/tags/latest";
    ok("tag", &send("PUT", path, &admin, Some(json!(IMAGE))).await);
    let pull = call(
        TestRequest::get()
            .uri("/v1/repositories/acme/app/images")
            .peer_addr(CLIENT.parse().unwrap())
            .insert_header(("authorization", admin.as_str()))
            .insert_header(("x-docker-token", "true")),
    )
    .await;
    ok("token", &pull);
    let index_token = format!(
        "Token {}",
        pull.header("x-docker-token").expect("an Index token")
    );
    let login = json!({"username": "alice", "password": PASSWORD});
    let key = send("POST", "/v1/generate-api-token", "", Some(login)).await;
    ok("api key", &key);
    let alice_key = key.json().expect("token JSON")["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let external = json!({"name": "registry.local/user1/image1",
        "username": "robot", "password": "registry-secret"});
    ok(
        "external",
        &send("POST", "/api/repo/v1/repository/", &admin, Some(external)).await,
    );

    // A web session: the sign-in page sets the pre-sign-in CSRF cookie, the form signs in,
    // and the settings page shows the session's CSRF token.
    let page = send("GET", "/login", "", None).await;
    ok("login page", &page);
    let pre_csrf = page.cookie("berth_csrf").expect("a CSRF cookie");
    let form = serde_urlencoded::to_string([
        ("csrf", pre_csrf.as_str()),
        ("username", ADMIN),
        ("password", ADMIN_PASSWORD),
    ])
    .unwrap();
    let signed_in = call(
        TestRequest::post()
            .uri("/login")
            .peer_addr(CLIENT.parse().unwrap())
            .insert_header(("cookie", format!("berth_csrf={pre_csrf}")))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(form),
    )
    .await;
    assert_eq!(signed_in.status, 303, "sign-in failed: {signed_in:?}");
    let admin_session = signed_in.cookie("berth_session").expect("a session");
    let settings = call(
        TestRequest::get()
            .uri("/settings")
            .peer_addr(CLIENT.parse().unwrap())
            .insert_header(("cookie", format!("berth_session={admin_session}"))),
    )
    .await;
    ok("settings page", &settings);
    let html = String::from_utf8_lossy(&settings.body);
    let admin_csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field on the settings page")
        .to_owned();
    Fixtures {
        alice_key,
        index_token,
        admin_session,
        admin_csrf,
        pre_csrf,
    }
}

/// Values the seeded store knows, and near misses, for path parameters, query values and
/// JSON strings.
const VALUES: &[&str] = &[
    "admin",
    "alice",
    "bob",
    "acme",
    "library",
    "owners",
    "devs",
    "app",
    "pub",
    "ubuntu",
    "latest",
    IMAGE,
    "registry.local",
    "registry.local/user1/image1",
    "registry-1.docker.io",
    "localhost:5000",
    "nosuch",
    // Where one dialect's path space meets another's.
    "api",
    "v0",
    "v1",
    "v2",
    "udr",
    "v1api",
    "repo",
    "healthz",
    "metrics",
    "static",
    "-",
    "images",
    "tags",
    "auth",
    "json",
    "read-only",
    "read-write",
    "none",
    "public",
    "private",
    "user",
    "organization",
    "on",
    "off",
    "true",
    "false",
    "1",
    "0",
    "-1",
    "18446744073709551616",
    "1e400",
    "",
    " ",
    ".",
    "..",
    "a/b",
    "Alice",
    "ünï",
    "\0",
];

/// A namespace and one of its seeded repositories, so that the parameters of one request
/// name things that exist together (or, for the last, do not exist).
const SCENES: &[(&str, &str)] = &[
    ("acme", "app"),
    ("alice", "pub"),
    ("library", "ubuntu"),
    ("admin", "nosuch"),
];

/// A value that fits the parameter's name in the seeded store.
fn hint(
    u: &mut Unstructured<'_>,
    dialect: Dialect,
    param: &str,
    (ns, repo): (&str, &str),
) -> String {
    let options: &[&str] = match param {
        "name" if dialect == Dialect::Cloud => &[
            "registry.local/user1/image1",
            "registry.local/user1/image1/",
            "ubuntu",
            "localhost:5000/a/b",
            "registry.local",
        ],
        "host" => &["registry.local", "registry-1.docker.io", "localhost:5000"],
        "team" => &["devs", "owners"],
        "user" | "username" | "member" | "name" => &["alice", "bob", "admin", "acme"],
        "reponame" | "repo" | "b" => &[repo],
        "tag" => &["latest", "nosuch"],
        "path" => &["css/berth.css", "js/berth.js", "js/theme.js", "nosuch.css"],
        "id" => &["1", "2", "3"],
        _ => &[ns],
    };
    pick(u, options).to_string()
}

const QUERY_KEYS: &[&str] = &[
    "q",
    "n",
    "page",
    "page_size",
    "limit",
    "offset",
    "name",
    "registry",
    "folder",
    "startAfter",
    "skip",
    "take",
    "repository",
    "title",
    "isPublic",
    "tagName",
    "path",
    "next",
    "done",
    "ns",
    "sort",
];

const JSON_KEYS: &[&str] = &[
    "type",
    "name",
    "password",
    "isActive",
    "isAdmin",
    "oldPassword",
    "newPassword",
    "description",
    "accessLevel",
    "visibility",
    "shortDescription",
    "longDescription",
    "repo_name",
    "namespace",
    "is_public",
    "full_description",
    "email",
    "username",
    "id",
    "checksum",
    "Tag",
    "title",
    "repository",
    "isPublic",
    "tagName",
    "token",
    "user",
];

const FORM_KEYS: &[&str] = &[
    "username",
    "password",
    "email",
    "next",
    "name",
    "namespace",
    "description",
    "short_description",
    "long_description",
    "visibility",
    "action",
    "grantee",
    "level",
    "team",
    "user",
    "confirm",
    "value",
    "registration",
    "public_api",
    "old_password",
    "new_password",
];

const EXTRA_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "origin",
    "sec-fetch-site",
    "host",
    "x-docker-token",
    "if-none-match",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "forwarded",
    "referer",
    "user-agent",
    "accept-encoding",
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "",
];

/// One request, as generated from an input.
pub struct Probe {
    method: Method,
    uri: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    peer: SocketAddr,
    /// The route it was made from (for the failure message).
    route: &'static Route,
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} {} (route {})",
            self.method, self.uri, self.route.path
        )?;
        writeln!(f, "from {}", self.peer)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {v:?}")?;
        }
        write!(f, "\n{}", clip(&String::from_utf8_lossy(&self.body)))
    }
}

fn pick<'a, T>(u: &mut Unstructured<'_>, items: &'a [T]) -> &'a T {
    let i = u.choose_index(items.len()).unwrap_or(0);
    &items[i]
}

fn small(u: &mut Unstructured<'_>, max: u8) -> u8 {
    u.int_in_range(0..=max).unwrap_or(0)
}

/// A string value: one the store knows, arbitrary text, or one of those repeated long.
fn value(u: &mut Unstructured<'_>) -> String {
    match small(u, 7) {
        0..=3 => pick(u, VALUES).to_string(),
        4..=6 => String::arbitrary(u).unwrap_or_default(),
        _ => {
            let unit = pick(u, &["a", "a/", "%", "é", "\u{0}", "../"]).to_string();
            let n = *pick(
                u,
                &[64usize, 65, 100, 101, 128, 129, 255, 256, 4096, 70_000],
            );
            unit.repeat(n)
        }
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// How a value is written into the path or query.
#[derive(Clone, Copy)]
enum Encoding {
    /// Percent-encode everything that is not unreserved (what a careful client does).
    Careful,
    /// Leave `/`, `%`, `?`-free sub-delimiters and `:@` as they are (what a sloppy or
    /// hostile client does): dot segments, slashes and bad escapes reach the server.
    Raw,
    /// Percent-encode every byte, letters included.
    Everything,
}

fn encode(s: &str, how: Encoding) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = match how {
            Encoding::Careful => is_unreserved(b),
            Encoding::Raw => {
                is_unreserved(b)
                    || matches!(
                        b,
                        b'/' | b'%'
                            | b'!'
                            | b'$'
                            | b'&'
                            | b'\''
                            | b'('
                            | b')'
                            | b'*'
                            | b'+'
                            | b','
                            | b';'
                            | b'='
                            | b':'
                            | b'@'
                    )
            }
            Encoding::Everything => false,
        };
        if keep {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out
}

fn encoding(u: &mut Unstructured<'_>) -> Encoding {
    match small(u, 7) {
        0..=4 => Encoding::Careful,
        5 | 6 => Encoding::Raw,
        _ => Encoding::Everything,
    }
}

/// A value that makes sense for a body field of that name in the seeded store (`scene` is
/// the request's namespace and repository), so that whole bodies get past validation often
/// enough to reach the handlers' logic.
fn typical(u: &mut Unstructured<'_>, key: &str, (ns, repo): (&str, &str)) -> Value {
    let text = |u: &mut Unstructured<'_>, options: &[&str]| Value::from(*pick(u, options));
    match key {
        "isActive" | "isAdmin" | "is_public" | "isPublic" => {
            Value::Bool(u.arbitrary().unwrap_or(true))
        }
        "type" => text(u, &["user", "organization", "managed"]),
        "password" | "oldPassword" | "newPassword" | "old_password" | "new_password" => {
            text(u, &[PASSWORD, ADMIN_PASSWORD, "password-456", "short"])
        }
        "name" | "repo_name" | "confirm" => text(u, &[repo, "new0", "new1", "new-2", "team3"]),
        "namespace" | "ns" => Value::from(ns),
        "username" | "user" | "grantee" => text(u, &["alice", "bob", "admin", "devs", "new0"]),
        "email" => text(u, &["new@example.com", "alice@example.com", "x@y"]),
        "accessLevel" | "level" => text(u, &["read-only", "read-write", "admin", "none"]),
        "visibility" => text(u, &["public", "private"]),
        "team" => text(u, &["devs", "owners"]),
        "id" => Value::from(IMAGE),
        "checksum" => Value::from("sha256:00"),
        "Tag" | "tagName" => text(u, &["latest", "v1"]),
        "repository" => Value::from(format!("{ns}/{repo}")),
        "action" => text(u, &["star", "unstar", "add", "remove", "preview", "save"]),
        "value" | "public_api" => text(u, &["on", "off"]),
        "registration" => text(u, &["open", "approval", "closed"]),
        "next" => text(
            u,
            &["/", "/settings", "//evil.example", "https://evil.example/"],
        ),
        _ => text(u, &["text", "# Title\n\n*text* <b>b</b>", ""]),
    }
}

fn json_value(u: &mut Unstructured<'_>, depth: u8) -> Value {
    match small(u, 9) {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary().unwrap_or(false)),
        2 => json!(i64::arbitrary(u).unwrap_or(0)),
        3 => json!(f64::arbitrary(u)
            .ok()
            .filter(|f| f.is_finite())
            .unwrap_or(1.5)),
        4..=6 => Value::String(value(u)),
        7 if depth > 0 => {
            let n = small(u, 4);
            Value::Array((0..n).map(|_| json_value(u, depth - 1)).collect())
        }
        _ if depth > 0 => json_object(u, depth - 1, ("acme", "app")),
        _ => Value::String(value(u)),
    }
}

/// An object: half the time most fields a handler may read with [`typical`] values (or
/// anything), then a few fields of any name and value.
fn json_object(u: &mut Unstructured<'_>, depth: u8, scene: (&str, &str)) -> Value {
    let mut map = Map::new();
    if small(u, 1) == 0 {
        for key in JSON_KEYS {
            match small(u, 7) {
                0..=3 => {}
                4..=6 => {
                    map.insert(key.to_string(), typical(u, key, scene));
                }
                _ => {
                    map.insert(key.to_string(), json_value(u, depth));
                }
            }
        }
    }
    for _ in 0..small(u, 3) {
        let key = if small(u, 7) == 0 {
            String::arbitrary(u).unwrap_or_default()
        } else {
            pick(u, JSON_KEYS).to_string()
        };
        map.insert(key, json_value(u, depth));
    }
    Value::Object(map)
}

fn form_value(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Bool(true) => "on".to_owned(),
        other => other.to_string(),
    }
}

impl Probe {
    /// The request an input stands for; None when the input does not make a valid URI or
    /// header (the HTTP layer refuses those before Berth sees them).
    fn generate(u: &mut Unstructured<'_>, dialect: Dialect, fx: &Fixtures) -> Option<Probe> {
        let routes: Vec<&'static Route> = ROUTES.iter().filter(|r| r.dialect == dialect).collect();
        let route = *pick(u, &routes);
        let method = if small(u, 7) > 0 {
            Method::from_bytes(route.method.as_bytes()).ok()?
        } else {
            let m = pick(
                u,
                &[
                    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "get",
                    "PROPFIND",
                ],
            );
            Method::from_bytes(m.as_bytes()).ok()?
        };

        let scene = *pick(u, SCENES);
        let mut path = route.fill(|param| {
            let v = if small(u, 1) == 0 {
                hint(u, dialect, param, scene)
            } else {
                value(u)
            };
            let how = encoding(u);
            encode(&v, how)
        });
        if small(u, 3) == 0 {
            path.push('/');
        }
        let query = match small(u, 3) {
            0 => String::new(),
            1 | 2 => {
                let n = small(u, 4);
                let pairs: Vec<(String, String)> = (0..n)
                    .map(|_| {
                        let key = if small(u, 7) == 0 {
                            String::arbitrary(u).unwrap_or_default()
                        } else {
                            pick(u, QUERY_KEYS).to_string()
                        };
                        (key, value(u))
                    })
                    .collect();
                serde_urlencoded::to_string(pairs).unwrap_or_default()
            }
            _ => encode(&String::arbitrary(u).unwrap_or_default(), Encoding::Raw),
        };
        let uri = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        Uri::try_from(uri.as_str()).ok()?;

        let mut headers = Vec::new();
        let mut header = |name: &str, value: &[u8]| -> Option<()> {
            headers.push((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_bytes(value).ok()?,
            ));
            Some(())
        };
        let mut peer = CLIENT;
        // Credentials, weighted towards ones that get past authentication.
        match small(u, 15) {
            0 | 1 => {}
            2..=5 => header("authorization", basic(ADMIN, ADMIN_PASSWORD).as_bytes())?,
            6..=8 => header("authorization", basic("alice", PASSWORD).as_bytes())?,
            9 => header("authorization", basic("bob", PASSWORD).as_bytes())?,
            10 => header("authorization", basic("alice", &fx.alice_key).as_bytes())?,
            11 => header(
                "authorization",
                format!("Token {}", fx.alice_key).as_bytes(),
            )?,
            12 => header("authorization", fx.index_token.as_bytes())?,
            13 => {
                peer = STRANGER;
                let user = pick(u, VALUES).to_string();
                header("authorization", basic(&user, &value(u)).as_bytes())?
            }
            _ => {
                peer = STRANGER;
                let raw = Vec::<u8>::arbitrary(u).unwrap_or_default();
                let scheme = *pick(u, &["Basic ", "Token ", "Bearer ", ""]);
                header("authorization", &[scheme.as_bytes(), &raw].concat())?
            }
        }
        // The web UI's cookies, and the CSRF token its forms carry.
        let csrf = match small(u, 3) {
            0 => None,
            1 => {
                let c = format!("berth_session={}", fx.admin_session);
                header("cookie", c.as_bytes())?;
                Some(fx.admin_csrf.clone())
            }
            2 => {
                let c = format!("berth_csrf={}", fx.pre_csrf);
                header("cookie", c.as_bytes())?;
                Some(fx.pre_csrf.clone())
            }
            _ => {
                let c = Vec::<u8>::arbitrary(u).unwrap_or_default();
                header("cookie", &c)?;
                None
            }
        };
        if small(u, 3) == 0 {
            header("x-docker-token", b"true")?;
        }
        for _ in 0..small(u, 3) {
            let name = *pick(u, EXTRA_HEADERS);
            let v = if small(u, 1) == 0 {
                value(u).into_bytes()
            } else {
                Vec::<u8>::arbitrary(u).unwrap_or_default()
            };
            header(name, &v)?;
        }

        let form_first = dialect == Dialect::Web;
        // Kinds of body, by the share of inputs that get them: none 1/8, JSON or a form
        // (web routes mostly forms) 5/8, raw bytes with some content type 1/4, and a sliver
        // (1/256: they are slow) of bodies just over the 1 MiB limit.
        let kind = match u.int_in_range(0..=255u8).unwrap_or(0) {
            0 => 7,
            k => (k / 32).min(6),
        };
        let body = match (kind, form_first) {
            (0, _) => Vec::new(),
            (1..=4, false) | (5, true) => {
                let v = if small(u, 5) == 0 {
                    json_value(u, 3)
                } else if small(u, 3) == 0 {
                    let n = small(u, 3);
                    Value::Array((0..n).map(|_| json_object(u, 1, scene)).collect())
                } else {
                    json_object(u, 2, scene)
                };
                if small(u, 3) > 0 {
                    header("content-type", b"application/json")?;
                }
                v.to_string().into_bytes()
            }
            (1..=4, true) | (5, false) => {
                let mut pairs: Vec<(String, String)> = Vec::new();
                if let Some(token) = csrf.filter(|_| small(u, 3) > 0) {
                    pairs.push(("csrf".into(), token));
                }
                if small(u, 1) == 0 {
                    for key in FORM_KEYS {
                        match small(u, 7) {
                            0..=3 => {}
                            4..=6 => {
                                pairs.push((key.to_string(), form_value(typical(u, key, scene))))
                            }
                            _ => pairs.push((key.to_string(), value(u))),
                        }
                    }
                }
                for _ in 0..small(u, 3) {
                    let key = if small(u, 7) == 0 {
                        String::arbitrary(u).unwrap_or_default()
                    } else {
                        pick(u, FORM_KEYS).to_string()
                    };
                    pairs.push((key, value(u)));
                }
                if small(u, 7) > 0 {
                    header("content-type", b"application/x-www-form-urlencoded")?;
                }
                serde_urlencoded::to_string(pairs)
                    .unwrap_or_default()
                    .into_bytes()
            }
            (6, _) => {
                let ct = *pick(u, CONTENT_TYPES);
                if !ct.is_empty() {
                    header("content-type", ct.as_bytes())?;
                }
                Vec::<u8>::arbitrary(u).unwrap_or_default()
            }
            _ => {
                // Just over the 1 MiB limit.
                header("content-type", b"application/json")?;
                let mut big = b"{\"name\":\"".to_vec();
                big.resize(berth::BODY_LIMIT + 1, b'a');
                big
            }
        };
        Some(Probe {
            method,
            uri,
            headers,
            body: body.into(),
            peer: peer.parse().ok()?,
            route,
        })
    }

    fn request(&self) -> TestRequest {
        let mut req = TestRequest::default()
            .method(self.method.clone())
            .uri(&self.uri)
            .peer_addr(self.peer);
        for (k, v) in &self.headers {
            req = req.append_header((k.clone(), v.clone()));
        }
        if !self.body.is_empty() {
            req = req.set_payload(self.body.clone());
        }
        req
    }

    fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or("")
    }
}

/// The dialect whose envelope a path's errors come in (the table of API-NOTES and the
/// brief), for the path as the router sees it: escapes of anything but `/`, `%` and `+`
/// decoded, runs of slashes merged, a final slash dropped.
pub fn dialect_of(raw_path: &str) -> Dialect {
    let bytes = raw_path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                if !matches!(b, b'/' | b'%' | b'+') {
                    decoded.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    let decoded = String::from_utf8_lossy(&decoded);
    let mut path = String::new();
    for c in decoded.chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/api/v0") {
        Dialect::Dtr
    } else if under("/api/repo/v1") {
        Dialect::Cloud
    } else if under("/udr/v1api") {
        Dialect::RegistryUi
    } else if under("/v1") {
        Dialect::V1
    } else if ["/api", "/v2", "/udr", "/healthz", "/metrics"]
        .iter()
        .any(|p| under(p))
    {
        Dialect::Generic
    } else {
        Dialect::Web
    }
}

/// Below 500, and in the envelope of the path's dialect.
fn check(probe: &Probe, answer: &Answer) {
    let fail = |why: &str| -> ! { panic!("{why}\n--- request\n{probe:?}\n--- answer\n{answer:?}") };
    if answer.status >= 500 {
        fail("a 5xx");
    }
    let dialect = dialect_of(probe.path());
    let content_type = answer.header("content-type").unwrap_or("");
    if dialect == Dialect::Web {
        if answer.status >= 400 {
            if !content_type.starts_with("text/html") {
                fail("a web error that is not an HTML page");
            }
            let body = String::from_utf8_lossy(&answer.body).to_ascii_lowercase();
            if !body.contains("<html") {
                fail("a web error that is not an HTML page");
            }
            if answer.headers.contains_key("www-authenticate") {
                fail("a web page asks for Basic credentials");
            }
        } else if (300..400).contains(&answer.status) {
            if answer.status != 304 && !answer.headers.contains_key("location") {
                fail("a redirect without a Location");
            }
        } else if !probe.path().starts_with("/static/") && !content_type.starts_with("text/html") {
            fail("a web page that is not HTML");
        }
        return;
    }
    if !(200..300).contains(&answer.status) && !(400..500).contains(&answer.status) {
        fail("an API answer that is neither 2xx nor 4xx");
    }
    if answer.body.is_empty() {
        if answer.status >= 400 {
            fail("an API error without a body");
        }
        return;
    }
    if !content_type.starts_with("application/json") {
        fail("an API answer that is not JSON");
    }
    let Some(body) = answer.json() else {
        fail("an API answer whose body does not parse as JSON")
    };
    let error_string = |v: &Value| v.get("error").is_some_and(Value::is_string);
    if answer.status >= 400 {
        let ok = match dialect {
            Dialect::Dtr => body["errors"].as_array().is_some_and(|errors| {
                !errors.is_empty()
                    && errors
                        .iter()
                        .all(|e| e["code"].is_string() && e["message"].is_string())
            }),
            Dialect::V1 => body.is_string() || error_string(&body),
            _ => error_string(&body),
        };
        if !ok {
            fail("an error outside the dialect's envelope");
        }
    } else if dialect == Dialect::RegistryUi && body.get("error") != Some(&Value::Null) {
        fail("a RegistryUI success without \"error\": null");
    }
}
