//! Crash safety (issue 8): the real `berth` binary is killed with SIGKILL at random moments
//! while six clients write through every dialect (DTR, Index, Alauda, Docker Cloud,
//! RegistryUI, the web UI), then restarted on the same data folder. After every kill, before
//! the restart, the store is checked as the next start will find it (a copy of the database
//! and its write-ahead log, which SQLite recovers; the original is left to the next start):
//!
//! - `PRAGMA integrity_check` is `ok`, `PRAGMA foreign_key_check` is empty, the trigger-kept
//!   counters (public repositories, stars) agree with the rows, and the full-text index agrees
//!   with the repositories (FTS5 `integrity-check` with content comparison);
//! - every acknowledged write (a 2xx, or the web UI's 303 to the expected page) is there with
//!   exactly the acknowledged content: repository fields (and the rendered description),
//!   images, tags, push counts, grants, teams, members, accounts with their emails and
//!   organizations with their `owners` team, stars, and Cloud credentials, whose passwords
//!   are opened with the key file to compare them;
//! - every uncertain write (the connection died, or was refused, without an answer) is wholly
//!   there or wholly absent: every row it writes, or none (an Index create-and-push with all
//!   its images or none, a repository delete with all its images, tags and grants gone or
//!   none, a RegistryUI folder delete of every repository or none, an organization with its
//!   `owners` team and member or nothing). A write refused at connect must be absent.
//!
//! The very first start is killed early too (migration, site admin, key file), and a quarter
//! of the restarts are killed while they open the store: each counts as a kill.
//!
//! Each client owns its namespaces, so its model of them is exact; the comparison covers
//! everything under them, so a write that appears although nobody made it is caught too.
//! After the last kill the keys are rotated with `berth admin rotate-key` (which opens every
//! stored password), the server is restarted and every repository, tag and external repository
//! of the model is read back through the APIs.
//!
//! A second test kills the first start at the n-th call of every system call that writes,
//! syncs, links or removes a file (fault injection with `strace`, which it needs), for every
//! n the start makes, and requires the next start to come up sound, with the site admin and a
//! secrets key that seals and opens a password. (It found a key file left empty by a kill.)
//!
//! `BERTH_CRASH_KILLS` (default 6) and `BERTH_CRASH_SEED` (default: random, printed) size and
//! repeat a run; `bench/crash.sh` runs a long one against a release build.
//! `BERTH_CRASH_SABOTAGE=drop` deletes an acknowledged repository behind the server's back
//! late in the run, and `=orphan` deletes an image under a tag with foreign keys off: both
//! must make this test fail (they show that the checks can fail).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_berth");
const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "crash-admin-password";
const PASSWORD: &str = "password-123";
/// Users other clients grant access to and put in teams.
const MEMBERS: [&str; 2] = ["member1", "member2"];

// ---------------------------------------------------------------- HTTP

enum Outcome {
    Answer {
        status: u16,
        location: Option<String>,
        body: String,
        cookies: Vec<String>,
    },
    /// Nothing was sent: the connection was refused (the server is down).
    Refused,
    /// The connection broke before an answer arrived: the write may or may not have happened.
    Died,
}

fn call(method: &str, url: &str, headers: &[(String, String)], body: Option<&str>) -> Outcome {
    // A fresh connection per request: no pooled connection, no silent retry on another one.
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .redirects(0)
        .max_idle_connections(0)
        .build();
    let mut req = agent.request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(b) => req.send_string(b),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(ureq::Error::Transport(t)) if t.kind() == ureq::ErrorKind::ConnectionFailed => {
            return Outcome::Refused
        }
        Err(ureq::Error::Transport(_)) => return Outcome::Died,
    };
    // The status line arrived: the server answered, so the write was acknowledged (or
    // refused) even if the body is cut short by a kill.
    let status = resp.status();
    let location = resp.header("location").map(str::to_owned);
    let cookies = resp
        .all("set-cookie")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let body = resp.into_string().unwrap_or_default();
    Outcome::Answer {
        status,
        location,
        body,
        cookies,
    }
}

fn basic(user: &str, secret: &str) -> (String, String) {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
    ("Authorization".to_owned(), format!("Basic {token}"))
}

fn json_ct() -> (String, String) {
    ("Content-Type".to_owned(), "application/json".to_owned())
}

/// A request that must succeed (setup and final reads): status and body.
fn must(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> (u16, String) {
    match call(method, url, headers, body) {
        Outcome::Answer { status, body, .. } => (status, body),
        _ => panic!("{method} {url}: no answer"),
    }
}

// ---------------------------------------------------------------- the server

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

/// Start `berth` on the data folder and a fresh port; do not wait for it.
fn spawn(data: &Path, logs: &Path, n: usize) -> Server {
    let port = free_port();
    let log = logs.join(format!("berth-{n}.log"));
    let child = Command::new(BIN)
        .env("BERTH_DATA_DIR", data)
        .env("BERTH_LISTEN", format!("127.0.0.1:{port}"))
        .env("BERTH_BCRYPT_COST", "4")
        .env("BERTH_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).unwrap())
        .spawn()
        .expect("spawn berth");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        log,
    }
}

/// Wait for /healthz. A process that exits instead is a failed restart.
fn wait_up(server: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!(
                "berth exited ({status}) instead of starting: {}",
                fs::read_to_string(&server.log).unwrap_or_default()
            );
        }
        if let Outcome::Answer { status: 200, .. } =
            call("GET", &format!("{}/healthz", server.base), &[], None)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = server.child.kill();
    panic!(
        "berth did not come up: {}",
        fs::read_to_string(&server.log).unwrap_or_default()
    );
}

/// SIGKILL (what `Child::kill` sends on Unix) and reap.
fn sigkill(server: Server) {
    drop(server);
}

impl Drop for Server {
    /// Also when a check fails: no server outlives the test.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- the model

#[derive(Clone, Debug, PartialEq)]
struct RepoVal {
    short: String,
    long: String,
    public: bool,
    pushes: i64,
    /// The stored HTML is the rendering of the stored markdown.
    html_ok: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum V {
    Repo(RepoVal),
    S(String),
}

fn s(v: impl Into<String>) -> Option<V> {
    Some(V::S(v.into()))
}

fn repo_val(short: &str, long: &str, public: bool, pushes: i64) -> Option<V> {
    Some(V::Repo(RepoVal {
        short: short.to_owned(),
        long: long.to_owned(),
        public,
        pushes,
        html_ok: true,
    }))
}

// Keys: everything of repository `ns/r` starts with `ns/r\t`; namespace-level rows with `ns\t`.
fn k_repo(ns: &str, r: &str) -> String {
    format!("{ns}/{r}\trepo")
}
fn k_img(ns: &str, r: &str, id: &str) -> String {
    format!("{ns}/{r}\timg\t{id}")
}
fn k_tag(ns: &str, r: &str, t: &str) -> String {
    format!("{ns}/{r}\ttag\t{t}")
}
fn k_uacc(ns: &str, r: &str, u: &str) -> String {
    format!("{ns}/{r}\tuacc\t{u}")
}
fn k_tacc(ns: &str, r: &str, t: &str) -> String {
    format!("{ns}/{r}\ttacc\t{t}")
}
fn k_star(ns: &str, r: &str, u: &str) -> String {
    format!("{ns}/{r}\tstar\t{u}")
}
fn k_team(org: &str, t: &str) -> String {
    format!("{org}\tteam\t{t}")
}
fn k_member(org: &str, t: &str, u: &str) -> String {
    format!("{org}\tmember\t{t}\t{u}")
}
fn k_nsacc(org: &str, t: &str) -> String {
    format!("{org}\tnsacc\t{t}")
}
fn k_ext(ns: &str, name: &str) -> String {
    format!("{ns}\text\t{name}")
}
fn k_acct(name: &str) -> String {
    format!("{name}\tacct")
}

fn acct_val(kind: &str, active: bool, emails: &[String]) -> String {
    format!("{kind} active={active} emails={emails:?}")
}

fn ext_val(host: &str, user: &str, password: &str) -> String {
    format!("host={host} user={user} password={password}")
}

/// One write a client sends, and what it does to the client's part of the store.
#[derive(Clone, Debug)]
struct Op {
    what: String,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    /// The success status (the web UI's 303 must also go to `location`).
    ok: u16,
    location: Option<String>,
    effects: Vec<(String, Option<V>)>,
}

#[derive(Default)]
struct Model {
    state: BTreeMap<String, V>,
    /// The write that last set (or removed) each key, to name what was lost.
    origin: BTreeMap<String, String>,
    /// The client's last write, sent but unanswered (the client waits for the next start).
    pending: Option<(Op, bool)>,
    acked: u64,
    uncertain: u64,
    refused: u64,
    resolved_present: u64,
    unexpected: Vec<String>,
}

impl Model {
    fn apply(&mut self, op: &Op) {
        for (k, v) in &op.effects {
            match v {
                Some(v) => self.state.insert(k.clone(), v.clone()),
                None => self.state.remove(k),
            };
            self.origin.insert(k.clone(), op.what.clone());
        }
    }

    fn adopt(&mut self, k: &str, got: Option<&V>) {
        match got {
            Some(v) => self.state.insert(k.to_owned(), v.clone()),
            None => self.state.remove(k),
        };
    }

    /// Names of `ns`'s repositories.
    fn repos(&self, ns: &str) -> Vec<String> {
        let prefix = format!("{ns}/");
        self.state
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix)?.strip_suffix("\trepo"))
            .map(str::to_owned)
            .collect()
    }

    fn repo(&self, ns: &str, r: &str) -> RepoVal {
        match self.state.get(&k_repo(ns, r)) {
            Some(V::Repo(v)) => v.clone(),
            other => panic!("model: {ns}/{r} is {other:?}"),
        }
    }

    /// The last field of every key under `prefix` (image ids, tag names, team names...).
    fn children(&self, prefix: &str) -> Vec<(String, V)> {
        self.state
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k[prefix.len()..].to_owned(), v.clone()))
            .collect()
    }

    /// Removal of every key under `prefix` (a repository or a folder going away).
    fn removal(&self, prefix: &str) -> Vec<(String, Option<V>)> {
        self.children(prefix)
            .into_iter()
            .map(|(rest, _)| (format!("{prefix}{rest}"), None))
            .collect()
    }
}

// ---------------------------------------------------------------- the clients

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Dtr,
    Index,
    Alauda,
    Cloud,
    RegistryUi,
    Web,
}

#[derive(Clone)]
struct Client {
    kind: Kind,
    name: &'static str,
    /// The namespaces it owns, and the prefix of the accounts it creates.
    namespaces: Vec<&'static str>,
    account_prefix: Option<&'static str>,
    auth: Vec<(String, String)>,
    /// The web client's session token for forms.
    csrf: String,
    n: usize,
}

fn pick<T: Clone>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())].clone()
}

fn image_id(rng: &mut StdRng) -> String {
    (0..4)
        .map(|_| format!("{:016x}", rng.random::<u64>()))
        .collect()
}

/// A description; now and then a long one, so a write spans many pages.
fn long_text(rng: &mut StdRng, uid: &str) -> String {
    let mut text = format!("# {uid}\n\nThe **{uid}** repository.\n");
    if rng.random_bool(0.2) {
        let paragraphs = rng.random_range(20..120);
        for i in 0..paragraphs {
            text.push_str(&format!(
                "\n{uid} paragraph {i}: lorem ipsum dolor sit amet, consectetur adipiscing elit, \
                 sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\n"
            ));
        }
    }
    text
}

const LEVELS: [&str; 3] = ["read-only", "read-write", "admin"];

impl Client {
    fn op(&self, what: String, method: &'static str, path: String, ok: u16) -> Op {
        Op {
            what,
            method,
            path,
            headers: self.auth.clone(),
            body: None,
            ok,
            location: None,
            effects: Vec::new(),
        }
    }

    fn json(mut op: Op, body: Value) -> Op {
        op.headers.push(json_ct());
        op.body = Some(body.to_string());
        op
    }

    fn form(&self, mut op: Op, fields: &[(&str, &str)], location: &str) -> Op {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        op.headers.push((
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ));
        op.body = Some(serde_urlencoded::to_string(&all).unwrap());
        op.location = Some(location.to_owned());
        op
    }

    fn next(&mut self, rng: &mut StdRng, m: &Model) -> Op {
        self.n += 1;
        match self.kind {
            Kind::Dtr => self.dtr(rng, m),
            Kind::Index => self.index(rng, m),
            Kind::Alauda => self.alauda(rng, m),
            Kind::Cloud => self.cloud(rng, m),
            Kind::RegistryUi => self.registryui(rng, m),
            Kind::Web => self.web(rng, m),
        }
    }

    fn dtr(&mut self, rng: &mut StdRng, m: &Model) -> Op {
        let ns = "dtrorg";
        let n = self.n;
        let uid = format!("dtr-{n}");
        let repos = m.repos(ns);
        let teams: Vec<String> = m
            .children(&format!("{ns}\tteam\t"))
            .into_iter()
            .map(|(t, _)| t)
            .filter(|t| t != "owners")
            .collect();
        let roll = rng.random_range(0..100);
        if roll < 25 || repos.is_empty() {
            let name = format!("dr-{n}");
            let short = format!("short {uid}");
            let long = long_text(rng, &uid);
            let public = rng.random_bool(0.5);
            let mut op = Client::json(
                self.op(
                    format!("DTR create {ns}/{name}"),
                    "POST",
                    format!("/api/v0/repositories/{ns}"),
                    201,
                ),
                json!({"name": name, "shortDescription": short, "longDescription": long,
                       "visibility": if public { "public" } else { "private" }}),
            );
            op.effects = vec![(k_repo(ns, &name), repo_val(&short, &long, public, 0))];
            return op;
        }
        let r = pick(rng, &repos);
        if roll < 45 {
            let mut v = m.repo(ns, &r);
            let mut body = serde_json::Map::new();
            if rng.random_bool(0.6) {
                v.short = format!("patched {uid}");
                body.insert("shortDescription".into(), json!(v.short));
            }
            if rng.random_bool(0.6) || body.is_empty() {
                v.long = long_text(rng, &uid);
                body.insert("longDescription".into(), json!(v.long));
            }
            if rng.random_bool(0.4) {
                v.public = !v.public;
                body.insert(
                    "visibility".into(),
                    json!(if v.public { "public" } else { "private" }),
                );
            }
            let mut op = Client::json(
                self.op(
                    format!("DTR patch {ns}/{r} ({uid})"),
                    "PATCH",
                    format!("/api/v0/repositories/{ns}/{r}"),
                    200,
                ),
                Value::Object(body),
            );
            op.effects = vec![(k_repo(ns, &r), Some(V::Repo(v)))];
            return op;
        }
        if roll < 50 {
            let mut op = self.op(
                format!("DTR delete {ns}/{r}"),
                "DELETE",
                format!("/api/v0/repositories/{ns}/{r}"),
                204,
            );
            op.effects = m.removal(&format!("{ns}/{r}\t"));
            return op;
        }
        if roll < 60 || teams.is_empty() {
            let team = format!("tm-{n}");
            let description = format!("team {uid}");
            let mut op = Client::json(
                self.op(
                    format!("DTR create team {ns}/{team}"),
                    "POST",
                    format!("/api/v0/accounts/{ns}/teams"),
                    201,
                ),
                json!({"name": team, "description": description}),
            );
            op.effects = vec![(k_team(ns, &team), s(description))];
            return op;
        }
        let team = pick(rng, &teams);
        if roll < 65 {
            let description = format!("renamed {uid}");
            let mut op = Client::json(
                self.op(
                    format!("DTR describe team {ns}/{team} ({uid})"),
                    "PATCH",
                    format!("/api/v0/accounts/{ns}/teams/{team}"),
                    200,
                ),
                json!({"description": description}),
            );
            op.effects = vec![(k_team(ns, &team), s(description))];
            return op;
        }
        if roll < 75 {
            let user = pick(rng, &MEMBERS);
            let mut op = self.op(
                format!("DTR add {user} to {ns}/{team} ({uid})"),
                "PUT",
                format!("/api/v0/accounts/{ns}/teams/{team}/members/{user}"),
                200,
            );
            op.effects = vec![(k_member(ns, &team, user), s(""))];
            return op;
        }
        if roll < 80 {
            let user = pick(rng, &MEMBERS);
            let mut op = self.op(
                format!("DTR remove {user} from {ns}/{team} ({uid})"),
                "DELETE",
                format!("/api/v0/accounts/{ns}/teams/{team}/members/{user}"),
                204,
            );
            op.effects = vec![(k_member(ns, &team, user), None)];
            return op;
        }
        let level = pick(rng, &LEVELS);
        if roll < 90 {
            let mut op = Client::json(
                self.op(
                    format!("DTR grant {team} {level} on {ns}/{r} ({uid})"),
                    "PUT",
                    format!("/api/v0/repositories/{ns}/{r}/teamAccess/{team}"),
                    200,
                ),
                json!({"accessLevel": level}),
            );
            op.effects = vec![(k_tacc(ns, &r, &team), s(level))];
            return op;
        }
        if roll < 95 {
            let mut op = Client::json(
                self.op(
                    format!("DTR grant {team} {level} on namespace {ns} ({uid})"),
                    "PUT",
                    format!("/api/v0/repositoryNamespaces/{ns}/teamAccess/{team}"),
                    200,
                ),
                json!({"accessLevel": level}),
            );
            op.effects = vec![(k_nsacc(ns, &team), s(level))];
            return op;
        }
        // An organization is three rows: the account, its owners team, the creator in it.
        let org = format!("dtro-{n}");
        let mut op = Client::json(
            self.op(
                format!("DTR create organization {org}"),
                "POST",
                "/api/v0/accounts".to_owned(),
                200,
            ),
            json!({"type": "organization", "name": org}),
        );
        op.effects = vec![
            (k_acct(&org), s(acct_val("organization", true, &[]))),
            (k_team(&org, "owners"), s("Owners of the organization")),
            (k_member(&org, "owners", ADMIN), s("")),
        ];
        op
    }

    fn index(&mut self, rng: &mut StdRng, m: &Model) -> Op {
        let ns = "idxuser";
        let n = self.n;
        let repos = m.repos(ns);
        let roll = rng.random_range(0..100);
        if roll < 20 || repos.is_empty() {
            // Create-and-push: the repository and all its images, or nothing.
            let name = format!("ix-{n}");
            let count = rng.random_range(1..=4);
            let images: Vec<(String, String)> = (0..count)
                .map(|_| {
                    let id = image_id(rng);
                    let sum = format!("sha256:{}", &id[..32]);
                    (id, sum)
                })
                .collect();
            let body: Vec<Value> = images
                .iter()
                .map(|(id, sum)| json!({"id": id, "checksum": sum}))
                .collect();
            let mut op = Client::json(
                self.op(
                    format!("Index create-and-push {ns}/{name} with {count} images"),
                    "PUT",
                    format!("/v1/repositories/{ns}/{name}"),
                    200,
                ),
                Value::Array(body),
            );
            op.effects = vec![(k_repo(ns, &name), repo_val("", "", true, 0))];
            for (id, sum) in &images {
                op.effects.push((k_img(ns, &name, id), s(sum.clone())));
            }
            return op;
        }
        if roll < 25 {
            let user = format!("ixu-{n}");
            let email = format!("{user}@example.com");
            let op = self.op(
                format!("Index sign-up {user}"),
                "POST",
                "/v1/users".to_owned(),
                201,
            );
            let mut op = Client::json(
                Op {
                    headers: Vec::new(),
                    ..op
                },
                json!({"username": user, "password": PASSWORD, "email": email}),
            );
            // Registration `approval`: created inactive, with its email.
            op.effects = vec![(k_acct(&user), s(acct_val("user", false, &[email])))];
            return op;
        }
        let r = pick(rng, &repos);
        let images: Vec<String> = m
            .children(&format!("{ns}/{r}\timg\t"))
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let tags = m.children(&format!("{ns}/{r}\ttag\t"));
        index_repo_op(self, rng, ns, &r, &images, &tags, roll, m)
    }

    fn alauda(&mut self, rng: &mut StdRng, m: &Model) -> Op {
        let ns = "alauser";
        let n = self.n;
        let uid = format!("alauda-{n}");
        let repos = m.repos(ns);
        let roll = rng.random_range(0..100);
        if roll < 35 || repos.is_empty() {
            let name = format!("al-{n}");
            let short = format!("short {uid}");
            let long = long_text(rng, &uid);
            let public = rng.random_bool(0.5);
            let mut op = Client::json(
                self.op(
                    format!("Alauda create {ns}/{name}"),
                    "POST",
                    format!("/v1/repositories/{ns}"),
                    201,
                ),
                json!({"repo_name": name, "description": short, "full_description": long,
                       "is_public": public}),
            );
            op.effects = vec![(k_repo(ns, &name), repo_val(&short, &long, public, 0))];
            return op;
        }
        let r = pick(rng, &repos);
        if roll < 90 {
            let mut v = m.repo(ns, &r);
            let mut body = serde_json::Map::new();
            if rng.random_bool(0.6) {
                v.short = format!("updated {uid}");
                body.insert("description".into(), json!(v.short));
            }
            if rng.random_bool(0.6) || body.is_empty() {
                v.long = long_text(rng, &uid);
                body.insert("full_description".into(), json!(v.long));
            }
            if rng.random_bool(0.4) {
                v.public = !v.public;
                body.insert("is_public".into(), json!(v.public));
            }
            let mut op = Client::json(
                self.op(
                    format!("Alauda update {ns}/{r} ({uid})"),
                    "PUT",
                    format!("/v1/repositories/{ns}/{r}"),
                    200,
                ),
                Value::Object(body),
            );
            op.effects = vec![(k_repo(ns, &r), Some(V::Repo(v)))];
            return op;
        }
        let mut op = self.op(
            format!("Alauda delete {ns}/{r}"),
            "DELETE",
            format!("/v1/repositories/{ns}/{r}"),
            204,
        );
        op.effects = m.removal(&format!("{ns}/{r}\t"));
        op
    }

    fn cloud(&mut self, rng: &mut StdRng, m: &Model) -> Op {
        let ns = "clouduser";
        let n = self.n;
        let host = "registry.local:5000";
        let existing = m.children(&format!("{ns}\text\t"));
        let roll = rng.random_range(0..100);
        if roll < 40 || existing.is_empty() {
            let name = format!("{host}/crash/img-{n}");
            let user = format!("user-{n}");
            // Now and then no password: stored as none.
            let password = if rng.random_bool(0.15) {
                String::new()
            } else {
                format!("pw-{n}-{:08x}", rng.random::<u32>())
            };
            let mut op = Client::json(
                self.op(
                    format!("Cloud add {name}"),
                    "POST",
                    format!("/api/repo/v1/{ns}/repository/"),
                    201,
                ),
                json!({"name": name, "username": user, "password": password}),
            );
            op.effects = vec![(k_ext(ns, &name), s(ext_val(host, &user, &password)))];
            return op;
        }
        let (name, old) = pick(rng, &existing);
        let V::S(old) = old else { unreachable!() };
        let old_user = old
            .split(" user=")
            .nth(1)
            .and_then(|rest| rest.split(" password=").next())
            .unwrap_or_default()
            .to_owned();
        let old_password = old
            .split(" password=")
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        if roll < 85 {
            let mut body = serde_json::Map::new();
            let mut user = old_user;
            let mut password = old_password;
            if rng.random_bool(0.5) {
                user = format!("user-{n}");
                body.insert("username".into(), json!(user));
            }
            if rng.random_bool(0.7) || body.is_empty() {
                password = if rng.random_bool(0.1) {
                    String::new()
                } else {
                    format!("pw-{n}-{:08x}", rng.random::<u32>())
                };
                body.insert("password".into(), json!(password));
            }
            let mut op = Client::json(
                self.op(
                    format!("Cloud update {name} (cloud-{n})"),
                    "PATCH",
                    format!("/api/repo/v1/{ns}/repository/{name}/"),
                    200,
                ),
                Value::Object(body),
            );
            op.effects = vec![(k_ext(ns, &name), s(ext_val(host, &user, &password)))];
            return op;
        }
        let mut op = self.op(
            format!("Cloud remove {name}"),
            "DELETE",
            format!("/api/repo/v1/{ns}/repository/{name}/"),
            204,
        );
        op.effects = vec![(k_ext(ns, &name), None)];
        op
    }

    fn registryui(&mut self, rng: &mut StdRng, m: &Model) -> Op {
        let ns = "ruiuser";
        let n = self.n;
        let repos = m.repos(ns);
        let roll = rng.random_range(0..100);
        if roll < 25 || repos.is_empty() {
            let name = format!("ru-{n}");
            let title = format!("title rui-{n}");
            let public = rng.random_bool(0.5);
            let query = serde_urlencoded::to_string([
                ("repository", format!("{ns}/{name}")),
                ("title", title.clone()),
                ("isPublic", public.to_string()),
            ])
            .unwrap();
            let mut op = self.op(
                format!("RegistryUI create {ns}/{name}"),
                "POST",
                format!("/udr/v1api/project/create?{query}"),
                201,
            );
            op.effects = vec![(k_repo(ns, &name), repo_val(&title, "", public, 0))];
            return op;
        }
        if roll < 27 {
            // One transaction removes every repository of the folder, with everything in them.
            let mut op = self.op(
                format!(
                    "RegistryUI delete folder {ns} ({} repositories, rui-{n})",
                    repos.len()
                ),
                "DELETE",
                format!("/udr/v1api/folder?path={ns}"),
                200,
            );
            op.effects = m.removal(&format!("{ns}/"));
            return op;
        }
        let r = pick(rng, &repos);
        let images: Vec<String> = m
            .children(&format!("{ns}/{r}\timg\t"))
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let tags = m.children(&format!("{ns}/{r}\ttag\t"));
        if roll < 55 && !tags.is_empty() {
            let (tag, _) = pick(rng, &tags);
            let query = serde_urlencoded::to_string([
                ("repository", format!("{ns}/{r}")),
                ("tagName", tag.clone()),
            ])
            .unwrap();
            let mut op = self.op(
                format!("RegistryUI delete tag {ns}/{r}:{tag} (rui-{n})"),
                "DELETE",
                format!("/udr/v1api/taginfo?{query}"),
                200,
            );
            op.effects = vec![(k_tag(ns, &r, &tag), None)];
            return op;
        }
        // The tags RegistryUI deletes arrive through the Index dialect (as the site admin).
        index_repo_op(self, rng, ns, &r, &images, &tags, 25 + roll % 50, m)
    }

    fn web(&mut self, rng: &mut StdRng, m: &Model) -> Op {
        let ns = "webuser";
        let n = self.n;
        let uid = format!("web-{n}");
        let repos = m.repos(ns);
        let roll = rng.random_range(0..100);
        if roll < 30 || repos.is_empty() {
            let name = format!("wb-{n}");
            let short = format!("short {uid}");
            let long = long_text(rng, &uid);
            let public = rng.random_bool(0.5);
            let visibility = if public { "public" } else { "private" };
            let mut op = self.form(
                self.op(
                    format!("web new {ns}/{name}"),
                    "POST",
                    "/new".to_owned(),
                    303,
                ),
                &[
                    ("namespace", ns),
                    ("name", &name),
                    ("short_description", &short),
                    ("long_description", &long),
                    ("visibility", visibility),
                ],
                &format!("/{ns}/{name}"),
            );
            op.effects = vec![(k_repo(ns, &name), repo_val(&short, &long, public, 0))];
            return op;
        }
        let r = pick(rng, &repos);
        if roll < 60 {
            let mut v = m.repo(ns, &r);
            v.short = format!("edited {uid}");
            v.long = long_text(rng, &uid);
            v.public = rng.random_bool(0.5);
            let visibility = if v.public { "public" } else { "private" };
            let mut op = self.form(
                self.op(
                    format!("web settings {ns}/{r} ({uid})"),
                    "POST",
                    format!("/{ns}/{r}/settings"),
                    303,
                ),
                &[
                    ("short_description", &v.short),
                    ("long_description", &v.long),
                    ("visibility", visibility),
                ],
                &format!("/{ns}/{r}"),
            );
            op.effects = vec![(k_repo(ns, &r), Some(V::Repo(v)))];
            return op;
        }
        if roll < 80 {
            let user = pick(rng, &MEMBERS);
            let level = pick(rng, &["read-only", "read-write", "admin", "none"]);
            let mut op = self.form(
                self.op(
                    format!("web access {user} {level} on {ns}/{r} ({uid})"),
                    "POST",
                    format!("/{ns}/{r}/access"),
                    303,
                ),
                &[("grantee", user), ("level", level)],
                &format!("/{ns}/{r}/settings"),
            );
            let value = (level != "none").then(|| V::S(level.to_owned()));
            op.effects = vec![(k_uacc(ns, &r, user), value)];
            return op;
        }
        if roll < 92 {
            let star = rng.random_bool(0.6);
            let action = if star { "star" } else { "unstar" };
            let mut op = self.form(
                self.op(
                    format!("web {action} {ns}/{r} ({uid})"),
                    "POST",
                    format!("/{ns}/{r}/star"),
                    303,
                ),
                &[("action", action)],
                &format!("/{ns}/{r}"),
            );
            op.effects = vec![(k_star(ns, &r, ns), star.then(|| V::S(String::new())))];
            return op;
        }
        let mut op = self.form(
            self.op(
                format!("web delete {ns}/{r}"),
                "POST",
                format!("/{ns}/{r}/delete"),
                303,
            ),
            &[("confirm", &r)],
            &format!("/{ns}"),
        );
        op.effects = m.removal(&format!("{ns}/{r}\t"));
        op
    }
}

/// Index writes on an existing repository: push images (counted), set, move and delete tags,
/// delete the repository.
#[allow(clippy::too_many_arguments)]
fn index_repo_op(
    c: &Client,
    rng: &mut StdRng,
    ns: &str,
    r: &str,
    images: &[String],
    tags: &[(String, V)],
    roll: u32,
    m: &Model,
) -> Op {
    let n = c.n;
    if roll < 45 || images.is_empty() {
        // A finished push: new images merged and the push counted, in one transaction.
        let mut v = m.repo(ns, r);
        v.pushes += 1;
        let id = image_id(rng);
        let mut body = vec![json!({"id": id})];
        if let Some(old) = images.first() {
            body.push(json!({"id": old}));
        }
        let mut op = Client::json(
            c.op(
                format!("Index push images to {ns}/{r} (push {n})"),
                "PUT",
                format!("/v1/repositories/{ns}/{r}/images"),
                204,
            ),
            Value::Array(body),
        );
        op.effects = vec![
            (k_repo(ns, r), Some(V::Repo(v))),
            (k_img(ns, r, &id), s("")),
        ];
        return op;
    }
    if roll < 70 || tags.is_empty() {
        let tag = pick(rng, &["latest", "v1", "v2", "v3", "stable", "edge"]);
        let id = pick(rng, images);
        let mut op = Client::json(
            c.op(
                format!("Index tag {ns}/{r}:{tag} = {} ({n})", &id[..12]),
                "PUT",
                format!("/v1/repositories/{ns}/{r}/tags/{tag}"),
                200,
            ),
            json!(id),
        );
        op.effects = vec![(k_tag(ns, r, tag), s(id))];
        return op;
    }
    if roll < 90 {
        let (tag, _) = pick(rng, tags);
        let mut op = c.op(
            format!("Index delete tag {ns}/{r}:{tag} ({n})"),
            "DELETE",
            format!("/v1/repositories/{ns}/{r}/tags/{tag}"),
            200,
        );
        op.effects = vec![(k_tag(ns, r, &tag), None)];
        return op;
    }
    let mut op = c.op(
        format!("Index delete {ns}/{r}"),
        "DELETE",
        format!("/v1/repositories/{ns}/{r}"),
        202,
    );
    op.headers
        .push(("X-Docker-Token".to_owned(), "true".to_owned()));
    op.effects = m.removal(&format!("{ns}/{r}\t"));
    op
}

// ---------------------------------------------------------------- running the clients

struct Ctl {
    base: String,
    generation: u64,
    parked: usize,
    stop: bool,
}

struct Shared {
    ctl: Mutex<Ctl>,
    cv: Condvar,
}

fn run_client(mut client: Client, model: Arc<Mutex<Model>>, shared: Arc<Shared>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    loop {
        let (base, generation) = {
            let ctl = shared.ctl.lock().unwrap();
            if ctl.stop {
                return;
            }
            (ctl.base.clone(), ctl.generation)
        };
        let op = client.next(&mut rng, &model.lock().unwrap());
        let url = format!("{base}{}", op.path);
        let outcome = call(op.method, &url, &op.headers, op.body.as_deref());
        let mut m = model.lock().unwrap();
        match outcome {
            Outcome::Answer {
                status, location, ..
            } if status == op.ok && (op.location.is_none() || location == op.location) => {
                m.acked += 1;
                m.apply(&op);
            }
            Outcome::Answer {
                status,
                location,
                body,
                ..
            } => {
                // Refused by the server: nothing may have changed (the model stays as it is).
                let body: String = body.chars().take(300).collect();
                m.unexpected.push(format!(
                    "{}: {} {} answered {status} (location {location:?}): {body}",
                    client.name, op.method, op.path
                ));
            }
            Outcome::Refused | Outcome::Died => {
                let refused = matches!(outcome, Outcome::Refused);
                m.uncertain += 1;
                if refused {
                    m.refused += 1;
                }
                m.pending = Some((op, refused));
                drop(m);
                // Park until the server runs again.
                let mut ctl = shared.ctl.lock().unwrap();
                if ctl.generation == generation {
                    ctl.parked += 1;
                    shared.cv.notify_all();
                }
                while ctl.generation == generation && !ctl.stop {
                    ctl = shared.cv.wait(ctl).unwrap();
                }
            }
        }
    }
}

// ---------------------------------------------------------------- reading the store

/// The store as the next start will find it, without touching it: a copy of the database and
/// its write-ahead log (not the shared-memory index), opened in `scratch`. SQLite recovers the
/// copy from the log exactly as the next start recovers the original. (A read-only connection
/// on the original is not enough: when the log needs that recovery it fails with
/// SQLITE_READONLY_RECOVERY, as after a first start killed at its fourth fsync.)
fn snapshot(data: &Path, scratch: &Path) -> Connection {
    let copy = scratch.join("snapshot");
    let _ = fs::remove_dir_all(&copy);
    fs::create_dir_all(&copy).unwrap();
    for file in ["berth.db", "berth.db-wal"] {
        if data.join(file).exists() {
            fs::copy(data.join(file), copy.join(file)).unwrap();
        }
    }
    Connection::open(copy.join("berth.db")).expect("open the copy of the store")
}

fn rows(
    conn: &Connection,
    sql: &str,
    arg: &str,
    width: usize,
) -> rusqlite::Result<Vec<Vec<rusqlite::types::Value>>> {
    let mut stmt = conn.prepare(sql)?;
    let out = stmt
        .query_map([arg], |row| {
            (0..width)
                .map(|i| row.get::<_, rusqlite::types::Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        })?
        .collect::<rusqlite::Result<Vec<_>>>();
    out
}

fn text(v: &rusqlite::types::Value) -> String {
    match v {
        rusqlite::types::Value::Text(t) => t.clone(),
        rusqlite::types::Value::Integer(i) => i.to_string(),
        rusqlite::types::Value::Null => String::new(),
        other => format!("{other:?}"),
    }
}

fn int(v: &rusqlite::types::Value) -> i64 {
    match v {
        rusqlite::types::Value::Integer(i) => *i,
        other => panic!("not an integer: {other:?}"),
    }
}

const REPO_OF_NS: &str = "FROM repositories r JOIN accounts a ON a.id = r.namespace_id";

/// Everything under a namespace the model speaks about, as keys and values.
fn observe_namespace(
    conn: &Connection,
    keyring: &berth::secrets::Keyring,
    ns: &str,
    out: &mut BTreeMap<String, V>,
) -> Result<(), String> {
    let e = |e: rusqlite::Error| e.to_string();
    for row in rows(
        conn,
        &format!(
            "SELECT r.name, r.short_description, r.long_description, r.long_description_html,
                    r.is_public, r.push_count {REPO_OF_NS} WHERE a.name = ?1"
        ),
        ns,
        6,
    )
    .map_err(e)?
    {
        let long = text(&row[2]);
        let html_ok = text(&row[3]) == berth::markdown::render(&long).as_str();
        out.insert(
            k_repo(ns, &text(&row[0])),
            V::Repo(RepoVal {
                short: text(&row[1]),
                long,
                public: int(&row[4]) == 1,
                pushes: int(&row[5]),
                html_ok,
            }),
        );
    }
    let sub = [
        (
            "img",
            "SELECT r.name, i.image_id, i.checksum FROM images i
             JOIN repositories r ON r.id = i.repository_id
             JOIN accounts a ON a.id = r.namespace_id WHERE a.name = ?1",
        ),
        (
            "tag",
            "SELECT r.name, t.name, t.image_id FROM tags t
             JOIN repositories r ON r.id = t.repository_id
             JOIN accounts a ON a.id = r.namespace_id WHERE a.name = ?1",
        ),
        (
            "uacc",
            "SELECT r.name, u.name, g.level FROM repository_user_access g
             JOIN repositories r ON r.id = g.repository_id
             JOIN accounts a ON a.id = r.namespace_id
             JOIN accounts u ON u.id = g.user_id WHERE a.name = ?1",
        ),
        (
            "tacc",
            "SELECT r.name, t.name, g.level FROM repository_team_access g
             JOIN repositories r ON r.id = g.repository_id
             JOIN accounts a ON a.id = r.namespace_id
             JOIN teams t ON t.id = g.team_id WHERE a.name = ?1",
        ),
        (
            "star",
            "SELECT r.name, u.name, '' FROM stars s
             JOIN repositories r ON r.id = s.repository_id
             JOIN accounts a ON a.id = r.namespace_id
             JOIN accounts u ON u.id = s.user_id WHERE a.name = ?1",
        ),
    ];
    for (kind, sql) in sub {
        for row in rows(conn, sql, ns, 3).map_err(e)? {
            out.insert(
                format!("{ns}/{}\t{kind}\t{}", text(&row[0]), text(&row[1])),
                V::S(text(&row[2])),
            );
        }
    }
    for row in rows(
        conn,
        "SELECT t.name, t.description FROM teams t
         JOIN accounts a ON a.id = t.org_id WHERE a.name = ?1",
        ns,
        2,
    )
    .map_err(e)?
    {
        out.insert(k_team(ns, &text(&row[0])), V::S(text(&row[1])));
    }
    for row in rows(
        conn,
        "SELECT t.name, u.name FROM team_members m JOIN teams t ON t.id = m.team_id
         JOIN accounts a ON a.id = t.org_id JOIN accounts u ON u.id = m.user_id WHERE a.name = ?1",
        ns,
        2,
    )
    .map_err(e)?
    {
        out.insert(
            k_member(ns, &text(&row[0]), &text(&row[1])),
            V::S(String::new()),
        );
    }
    for row in rows(
        conn,
        "SELECT t.name, g.level FROM namespace_team_access g JOIN teams t ON t.id = g.team_id
         JOIN accounts a ON a.id = t.org_id WHERE a.name = ?1",
        ns,
        2,
    )
    .map_err(e)?
    {
        out.insert(k_nsacc(ns, &text(&row[0])), V::S(text(&row[1])));
    }
    // Cloud credentials: the password is opened with the key file, as the server would.
    let b = |e: berth::error::Error| e.message.into_owned();
    if let Some(account) = berth::store::accounts::by_name(conn, ns).map_err(b)? {
        let (list, _) =
            berth::store::external::list(conn, account.id, None, None, -1, 0).map_err(b)?;
        for ext in list {
            let value = match berth::core::external::credentials(conn, keyring, &ext) {
                Ok((user, password)) => ext_val(&ext.registry_host, &user, password.expose()),
                Err(err) => format!("cannot be opened: {}", err.message),
            };
            out.insert(k_ext(ns, &ext.name), V::S(value));
        }
    }
    Ok(())
}

/// What the store holds for one client.
fn observe(
    conn: &Connection,
    keyring: &berth::secrets::Keyring,
    c: &Client,
) -> Result<BTreeMap<String, V>, String> {
    let e = |e: rusqlite::Error| e.to_string();
    let mut out = BTreeMap::new();
    for ns in &c.namespaces {
        observe_namespace(conn, keyring, ns, &mut out)?;
    }
    if let Some(prefix) = c.account_prefix {
        for row in rows(
            conn,
            "SELECT name, kind, is_active FROM accounts WHERE substr(name, 1, length(?1)) = ?1",
            prefix,
            3,
        )
        .map_err(e)?
        {
            let name = text(&row[0]);
            let emails: Vec<String> = rows(
                conn,
                "SELECT e.email FROM emails e JOIN accounts a ON a.id = e.account_id
                 WHERE a.name = ?1 ORDER BY e.email",
                &name,
                1,
            )
            .map_err(e)?
            .iter()
            .map(|r| text(&r[0]))
            .collect();
            out.insert(
                k_acct(&name),
                V::S(acct_val(&text(&row[1]), int(&row[2]) == 1, &emails)),
            );
            observe_namespace(conn, keyring, &name, &mut out)?;
        }
    }
    Ok(out)
}

/// Checks of the whole file: integrity, foreign keys, the counters kept by triggers, and the
/// full-text index (its check is written as an INSERT: one reason to check a copy).
fn whole_store_checks(conn: &Connection) -> Vec<String> {
    let mut problems = Vec::new();
    let strings = |sql: &str| -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare(sql)?;
        let out = stmt
            .query_map([], |r| {
                (0..r.as_ref().column_count())
                    .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| text(&v)))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(|v| v.join(" "))
            })?
            .collect();
        out
    };
    match strings("PRAGMA integrity_check") {
        Ok(rows) if rows == ["ok"] => {}
        other => problems.push(format!("integrity_check: {other:?}")),
    }
    match strings("PRAGMA foreign_key_check") {
        Ok(rows) if rows.is_empty() => {}
        other => problems.push(format!(
            "foreign_key_check (table rowid parent fkid): {other:?}"
        )),
    }
    // A first start killed before its migration committed leaves no schema (yet): it is
    // created on the next start.
    let migrated: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap_or(-1);
    if migrated == 0 {
        return problems;
    }
    let invariants = [
        (
            "the public_repositories counter differs from the public repositories",
            "SELECT (SELECT value FROM counters WHERE name = 'public_repositories')
                    - (SELECT count(*) FROM repositories WHERE is_public = 1)",
        ),
        (
            "repositories whose star_count differs from their stars",
            "SELECT count(*) FROM repositories r
             WHERE star_count <> (SELECT count(*) FROM stars s WHERE s.repository_id = r.id)",
        ),
    ];
    for (what, sql) in invariants {
        match strings(sql) {
            Ok(rows) if rows == ["0"] => {}
            other => problems.push(format!("{what}: {other:?}")),
        }
    }
    if let Err(e) = conn.execute_batch(
        "INSERT INTO repositories_fts (repositories_fts, rank) VALUES ('integrity-check', 1)",
    ) {
        problems.push(format!("full-text index: {e}"));
    }
    // Migration 3's counters and public index, kept by triggers in the writing transaction.
    if migrated >= 3 {
        let invariants = [
            (
                "namespace_counts differ from the namespaces' repositories",
                "SELECT count(*) FROM accounts a LEFT JOIN namespace_counts c ON c.namespace_id = a.id
                  WHERE coalesce(c.public, 0) <> (SELECT count(*) FROM repositories r
                                                   WHERE r.namespace_id = a.id AND r.is_public = 1)
                     OR coalesce(c.total, 0) <> (SELECT count(*) FROM repositories r
                                                  WHERE r.namespace_id = a.id)",
            ),
            (
                "public_fts holds another number of rows than there are public repositories",
                "SELECT (SELECT count(*) FROM public_fts)
                        - (SELECT count(*) FROM repositories WHERE is_public = 1)",
            ),
        ];
        for (what, sql) in invariants {
            match strings(sql) {
                Ok(rows) if rows == ["0"] => {}
                other => problems.push(format!("{what}: {other:?}")),
            }
        }
        if let Err(e) =
            conn.execute_batch("INSERT INTO public_fts (public_fts) VALUES ('integrity-check')")
        {
            problems.push(format!("public full-text index: {e}"));
        }
    }
    problems
}

#[derive(Default)]
struct Tally {
    lost: usize,
    half: usize,
    problems: Vec<String>,
}

/// Compare one client's model with what the store holds, and settle its pending write.
fn reconcile(model: &mut Model, obs: &BTreeMap<String, V>, who: &str, when: &str, t: &mut Tally) {
    let pending = model.pending.take();
    let touched: BTreeSet<String> = pending
        .iter()
        .flat_map(|(op, _)| op.effects.iter().map(|(k, _)| k.clone()))
        .collect();
    let keys: BTreeSet<String> = model
        .state
        .keys()
        .chain(obs.keys())
        .filter(|k| !touched.contains(*k))
        .cloned()
        .collect();
    let mut lost_ops = BTreeSet::new();
    for k in keys {
        let (want, got) = (model.state.get(&k).cloned(), obs.get(&k).cloned());
        if want == got {
            continue;
        }
        match model.origin.get(&k) {
            Some(op) => {
                t.problems.push(format!(
                    "{who}: LOST after {when}: `{op}` was acknowledged, but {k:?} is {got:?} instead of {want:?}"
                ));
                lost_ops.insert(op.clone());
            }
            None => {
                t.problems.push(format!(
                    "{who}: UNEXPLAINED after {when}: {k:?} is {got:?}, no write of this client made it so (model: {want:?})"
                ));
                t.half += 1;
            }
        }
        // Counted once: from now on the model follows the store.
        model.adopt(&k, got.as_ref());
    }
    t.lost += lost_ops.len();
    if let Some((op, refused)) = pending {
        let before = op
            .effects
            .iter()
            .all(|(k, _)| obs.get(k) == model.state.get(k));
        let after = op.effects.iter().all(|(k, v)| obs.get(k) == v.as_ref());
        if after && !before {
            model.resolved_present += 1;
            model.apply(&op);
            if refused {
                t.half += 1;
                t.problems.push(format!(
                    "{who}: after {when}: `{}` was refused at connect, yet it is there",
                    op.what
                ));
            }
        } else if !before {
            t.half += 1;
            let detail: Vec<String> = op
                .effects
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k:?}: before {:?}, after {v:?}, store {:?}",
                        model.state.get(k),
                        obs.get(k)
                    )
                })
                .collect();
            t.problems.push(format!(
                "{who}: HALF-PRESENT after {when}: `{}`: {}",
                op.what,
                detail.join("; ")
            ));
            for (k, _) in &op.effects {
                model.adopt(k, obs.get(k));
                model.origin.insert(k.clone(), op.what.clone());
            }
        }
    }
}

struct Clients {
    clients: Vec<(Client, Arc<Mutex<Model>>)>,
}

impl Clients {
    /// After a kill (every client parked) or at the end (every client stopped).
    fn check(&self, data: &Path, scratch: &Path, when: &str, t: &mut Tally) {
        let conn = snapshot(data, scratch);
        for p in whole_store_checks(&conn) {
            t.problems.push(format!("after {when}: {p}"));
        }
        let keyring = berth::secrets::Keyring::open(data, &conn);
        for (client, model) in &self.clients {
            let mut model = model.lock().unwrap();
            match observe(&conn, &keyring, client) {
                Ok(obs) => reconcile(&mut model, &obs, client.name, when, t),
                Err(e) => {
                    t.problems.push(format!(
                        "after {when}: the store cannot be read for {}: {e}",
                        client.name
                    ));
                    // Nothing can be said about the write in flight.
                    model.pending = None;
                }
            }
        }
    }
}

// ---------------------------------------------------------------- setup

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}"))
    })
}

fn cookie(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        let pair = c.split(';').next()?;
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name && !v.is_empty()).then(|| v.trim().to_owned())
    })
}

fn csrf_in(body: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

/// Accounts, an organization, an Alauda API key and a web session; then the clients.
fn set_up(base: &str) -> Vec<Client> {
    let admin = vec![basic(ADMIN, ADMIN_PASSWORD)];
    let with_json = |mut h: Vec<(String, String)>| {
        h.push(json_ct());
        h
    };
    for user in [
        "idxuser",
        "alauser",
        "clouduser",
        "ruiuser",
        "webuser",
        MEMBERS[0],
        MEMBERS[1],
    ] {
        let body = json!({"type": "user", "name": user, "password": PASSWORD}).to_string();
        let (status, body) = must(
            "POST",
            &format!("{base}/api/v0/accounts"),
            &with_json(admin.clone()),
            Some(&body),
        );
        assert_eq!(status, 200, "creating {user}: {body}");
    }
    let (status, body) = must(
        "POST",
        &format!("{base}/api/v0/accounts"),
        &with_json(admin.clone()),
        Some(&json!({"type": "organization", "name": "dtrorg"}).to_string()),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = must(
        "POST",
        &format!("{base}/v1/generate-api-token"),
        &with_json(Vec::new()),
        Some(&json!({"username": "alauser", "password": PASSWORD}).to_string()),
    );
    assert_eq!(status, 200, "{body}");
    let token: Value = serde_json::from_str(&body).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();

    // The web client signs in like a browser: the pre-session token, then the session's.
    let Outcome::Answer { body, cookies, .. } = call("GET", &format!("{base}/login"), &[], None)
    else {
        panic!("GET /login")
    };
    let pre = cookie(&cookies, "berth_csrf").expect("berth_csrf cookie");
    let form = serde_urlencoded::to_string([
        ("csrf", csrf_in(&body).expect("login form token").as_str()),
        ("username", "webuser"),
        ("password", PASSWORD),
        ("next", "/"),
    ])
    .unwrap();
    let Outcome::Answer {
        status, cookies, ..
    } = call(
        "POST",
        &format!("{base}/login"),
        &[
            ("Cookie".to_owned(), format!("berth_csrf={pre}")),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ],
        Some(&form),
    )
    else {
        panic!("POST /login")
    };
    assert_eq!(status, 303);
    let session = cookie(&cookies, "berth_session").expect("session cookie");
    let session_header = ("Cookie".to_owned(), format!("berth_session={session}"));
    let Outcome::Answer { status, body, .. } = call(
        "GET",
        &format!("{base}/new"),
        std::slice::from_ref(&session_header),
        None,
    ) else {
        panic!("GET /new")
    };
    assert_eq!(status, 200);
    let csrf = csrf_in(&body).expect("session token on /new");

    let client = |kind, name, namespaces: Vec<&'static str>, auth| Client {
        kind,
        name,
        namespaces,
        account_prefix: None,
        auth,
        csrf: String::new(),
        n: 0,
    };
    vec![
        Client {
            account_prefix: Some("dtro-"),
            ..client(Kind::Dtr, "dtr", vec!["dtrorg"], admin.clone())
        },
        Client {
            account_prefix: Some("ixu-"),
            ..client(
                Kind::Index,
                "index",
                vec!["idxuser"],
                vec![basic("idxuser", PASSWORD)],
            )
        },
        client(
            Kind::Alauda,
            "alauda",
            vec!["alauser"],
            vec![("Authorization".to_owned(), format!("Token {token}"))],
        ),
        client(
            Kind::Cloud,
            "cloud",
            vec!["clouduser"],
            vec![basic("clouduser", PASSWORD)],
        ),
        client(Kind::RegistryUi, "registryui", vec!["ruiuser"], admin),
        Client {
            csrf,
            ..client(Kind::Web, "web", vec!["webuser"], vec![session_header])
        },
    ]
}

/// Deliberately damage the store behind the server's back (BERTH_CRASH_SABOTAGE), to show
/// that the checks catch it.
fn sabotage(kind: &str, db: &Path, clients: &Clients) {
    let conn = Connection::open(db).unwrap();
    match kind {
        "drop" => {
            conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
            let (_, model) = &clients.clients[0];
            let m = model.lock().unwrap();
            let pending: BTreeSet<String> = m
                .pending
                .iter()
                .flat_map(|(op, _)| op.effects.iter().map(|(k, _)| k.clone()))
                .collect();
            let r = m
                .repos("dtrorg")
                .into_iter()
                .find(|r| !pending.contains(&k_repo("dtrorg", r)))
                .expect("an acknowledged DTR repository");
            let n = conn
                .execute(
                    "DELETE FROM repositories WHERE full_path = ?1",
                    [format!("dtrorg/{r}")],
                )
                .unwrap();
            eprintln!("crash: SABOTAGE deleted dtrorg/{r} ({n} row)");
        }
        "orphan" => {
            conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
            let n = conn
                .execute(
                    "DELETE FROM images WHERE rowid IN (SELECT i.rowid FROM images i
                     JOIN tags t ON t.repository_id = i.repository_id AND t.image_id = i.image_id LIMIT 1)",
                    [],
                )
                .unwrap();
            eprintln!("crash: SABOTAGE deleted {n} tagged image with foreign keys off");
        }
        other => panic!("unknown BERTH_CRASH_SABOTAGE {other:?}"),
    }
}

// ---------------------------------------------------------------- the loop

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_write_and_leaves_no_half_write() {
    let kills = env_u64("BERTH_CRASH_KILLS").unwrap_or(6);
    let seed = env_u64("BERTH_CRASH_SEED").unwrap_or_else(|| rand::rng().random::<u32>() as u64);
    let mut sabotage_kind = std::env::var("BERTH_CRASH_SABOTAGE").ok();
    eprintln!("crash: seed {seed} ({kills} kills; BERTH_CRASH_SEED={seed} repeats the choices)");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let logs = dir.path().join("logs");
    fs::create_dir_all(&logs).unwrap();
    let mut starts = 0;
    let mut t = Tally::default();
    let mut kills_done = 0;
    let mut start_up_kills = 0;

    // The very first start, killed early (bootstrap, key file, migration), must start again.
    let first = spawn(&data, &logs, starts);
    starts += 1;
    std::thread::sleep(Duration::from_millis(rng.random_range(0..150)));
    sigkill(first);
    kills_done += 1;
    start_up_kills += 1;

    let mut server = spawn(&data, &logs, starts);
    starts += 1;
    wait_up(&mut server);
    let clients = set_up(&server.base);
    let clients = Clients {
        clients: clients
            .into_iter()
            .map(|c| (c, Arc::new(Mutex::new(Model::default()))))
            .collect(),
    };
    {
        // The starting point of every model is what setup left (read beside the live server).
        let conn =
            Connection::open_with_flags(data.join("berth.db"), OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let keyring = berth::secrets::Keyring::open(&data, &conn);
        for (c, m) in &clients.clients {
            m.lock().unwrap().state = observe(&conn, &keyring, c).expect("read the store");
        }
    }
    let shared = Arc::new(Shared {
        ctl: Mutex::new(Ctl {
            base: server.base.clone(),
            generation: 0,
            parked: 0,
            stop: false,
        }),
        cv: Condvar::new(),
    });
    let n_clients = clients.clients.len();
    let threads: Vec<_> = clients
        .clients
        .iter()
        .enumerate()
        .map(|(i, (c, m))| {
            // A copy of the client runs in its thread; the model is shared with the checks.
            let client = c.clone();
            let (m, shared) = (m.clone(), shared.clone());
            let client_seed = seed.wrapping_mul(31).wrapping_add(i as u64 + 1);
            std::thread::spawn(move || run_client(client, m, shared, client_seed))
        })
        .collect();

    while kills_done < kills {
        std::thread::sleep(Duration::from_millis(rng.random_range(100..1200)));
        sigkill(server);
        kills_done += 1;
        {
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut ctl = shared.ctl.lock().unwrap();
            while ctl.parked < n_clients {
                assert!(Instant::now() < deadline, "clients did not notice the kill");
                ctl = shared
                    .cv
                    .wait_timeout(ctl, Duration::from_secs(1))
                    .unwrap()
                    .0;
            }
        }
        // Late in the run, when every kind of row exists.
        if kills_done >= kills.saturating_sub(1).max(2) {
            if let Some(kind) = sabotage_kind.take() {
                sabotage(&kind, &data.join("berth.db"), &clients);
            }
        }
        clients.check(&data, dir.path(), &format!("kill {kills_done}"), &mut t);
        // Now and then kill the next start too, early, while it opens the store.
        if kills_done < kills && rng.random_bool(0.25) {
            let early = spawn(&data, &logs, starts);
            starts += 1;
            std::thread::sleep(Duration::from_millis(rng.random_range(0..120)));
            sigkill(early);
            kills_done += 1;
            start_up_kills += 1;
            clients.check(
                &data,
                dir.path(),
                &format!("kill {kills_done} (during start-up)"),
                &mut t,
            );
        }
        server = spawn(&data, &logs, starts);
        starts += 1;
        wait_up(&mut server);
        let mut ctl = shared.ctl.lock().unwrap();
        ctl.base = server.base.clone();
        ctl.generation += 1;
        ctl.parked = 0;
        shared.cv.notify_all();
    }

    // Let the clients finish what they are doing, then a last kill with nothing in flight.
    std::thread::sleep(Duration::from_millis(rng.random_range(100..600)));
    shared.ctl.lock().unwrap().stop = true;
    shared.cv.notify_all();
    for th in threads {
        th.join().unwrap();
    }
    sigkill(server);
    clients.check(&data, dir.path(), "the final kill", &mut t);

    // Rotating the key opens every stored password (it refuses if one does not open).
    let sealed = clients
        .clients
        .iter()
        .map(|(_, m)| {
            m.lock()
                .unwrap()
                .state
                .iter()
                .filter(|(k, v)| {
                    k.contains("\text\t") && !matches!(v, V::S(s) if s.ends_with(" password="))
                })
                .count()
        })
        .sum::<usize>();
    let out = Command::new(BIN)
        .args(["admin", "rotate-key"])
        .env("BERTH_DATA_DIR", &data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !stdout.starts_with(&format!("re-encrypted {sealed} secret(s)")) {
        t.problems.push(format!(
            "rotate-key did not re-seal the {sealed} acknowledged passwords: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    clients.check(&data, dir.path(), "the key rotation", &mut t);

    // A last start: everything the model holds is served through the APIs.
    let mut server = spawn(&data, &logs, starts);
    starts += 1;
    wait_up(&mut server);
    let served = read_back(&server.base, &clients, &mut t);
    Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    let status = server.child.wait().unwrap();
    if status.code() != Some(0) {
        t.problems
            .push(format!("berth did not stop cleanly: {status}"));
    }

    let (mut acked, mut uncertain, mut refused, mut present) = (0, 0, 0, 0);
    let mut unexpected = Vec::new();
    let mut per_client = Vec::new();
    for (c, m) in &clients.clients {
        let m = m.lock().unwrap();
        acked += m.acked;
        uncertain += m.uncertain;
        refused += m.refused;
        present += m.resolved_present;
        unexpected.extend(m.unexpected.iter().cloned());
        per_client.push(format!("{} {}/{}", c.name, m.acked, m.uncertain));
    }
    for p in t.problems.iter().take(50) {
        eprintln!("crash: {p}");
    }
    if t.problems.len() > 50 {
        eprintln!("crash: ... and {} more problems", t.problems.len() - 50);
    }
    eprintln!(
        "crash: per client acknowledged/uncertain: {}; of the uncertain, {refused} refused at connect \
         and {present} found committed; {served} rows read back through the APIs; {starts} starts, \
         {start_up_kills} of the kills during start-up; seed {seed}",
        per_client.join(", ")
    );
    eprintln!(
        "crash: {kills_done} kills survived, {acked} acknowledged writes, {uncertain} uncertain, {} lost, {} half-present",
        t.lost, t.half
    );
    assert!(
        unexpected.is_empty(),
        "writes answered with an unexpected status:\n{}",
        unexpected.join("\n")
    );
    assert_eq!(t.lost, 0, "acknowledged writes were lost (seed {seed})");
    assert_eq!(t.half, 0, "writes were half there (seed {seed})");
    assert!(
        t.problems.is_empty(),
        "{} problems (seed {seed}), the first: {}",
        t.problems.len(),
        t.problems.first().map_or("", String::as_str)
    );
    assert!(acked > 0 && kills_done >= kills);
}

/// After the last start, read every repository (DTR), its tags (Alauda) and every external
/// repository (Cloud) of the models back through the APIs. Returns the number of rows read.
fn read_back(base: &str, clients: &Clients, t: &mut Tally) -> usize {
    let admin = vec![basic(ADMIN, ADMIN_PASSWORD)];
    let mut served = 0;
    for (c, m) in &clients.clients {
        let m = m.lock().unwrap();
        for ns in &c.namespaces {
            for r in m.repos(ns) {
                let want = m.repo(ns, &r);
                let (status, body) = must(
                    "GET",
                    &format!("{base}/api/v0/repositories/{ns}/{r}"),
                    &admin,
                    None,
                );
                let got: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let expected = json!({
                    "shortDescription": want.short,
                    "longDescription": want.long,
                    "visibility": if want.public { "public" } else { "private" },
                });
                let seen = json!({
                    "shortDescription": got["shortDescription"],
                    "longDescription": got["longDescription"],
                    "visibility": got["visibility"],
                });
                if status != 200 || seen != expected {
                    t.problems.push(format!(
                        "after the last start: {ns}/{r} is served as {status} {seen}, not {expected}"
                    ));
                }
                let want_tags: BTreeMap<String, String> = m
                    .children(&format!("{ns}/{r}\ttag\t"))
                    .into_iter()
                    .map(|(tag, v)| match v {
                        V::S(id) => (tag, id),
                        other => panic!("{other:?}"),
                    })
                    .collect();
                let (status, body) = must(
                    "GET",
                    &format!("{base}/v1/repositories/{ns}/{r}/tags"),
                    &admin,
                    None,
                );
                let list: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let got_tags: BTreeMap<String, String> = list
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|t| {
                                (
                                    t["tag"].as_str().unwrap_or_default().to_owned(),
                                    t["image_id"].as_str().unwrap_or_default().to_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if status != 200 || got_tags != want_tags {
                    t.problems.push(format!(
                        "after the last start: the tags of {ns}/{r} are served as {status} {got_tags:?}, not {want_tags:?}"
                    ));
                }
                served += 1 + want_tags.len();
            }
            let externals = m.children(&format!("{ns}\text\t"));
            if c.kind == Kind::Cloud {
                let (status, body) = must(
                    "GET",
                    &format!("{base}/api/repo/v1/{ns}/repository/?limit=0&offset=0"),
                    &c.auth,
                    None,
                );
                let page: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let total = page["meta"]["total_count"].as_u64().unwrap_or(u64::MAX);
                if status != 200 || total != externals.len() as u64 {
                    t.problems.push(format!(
                        "after the last start: {ns} has {total} external repositories served ({status}), not {}",
                        externals.len()
                    ));
                }
                for (name, _) in &externals {
                    let (status, _) = must(
                        "GET",
                        &format!("{base}/api/repo/v1/{ns}/repository/{name}/"),
                        &c.auth,
                        None,
                    );
                    if status != 200 {
                        t.problems.push(format!(
                            "after the last start: external repository {name} answers {status}"
                        ));
                    }
                    served += 1;
                }
            }
        }
    }
    served
}

// ---------------------------------------------------------------- the first start, step by step

/// `strace` (it injects the kill at an exact system call), from `STRACE` or the PATH.
fn strace() -> String {
    let strace = std::env::var("STRACE").unwrap_or_else(|_| "strace".to_owned());
    let works = Command::new(&strace)
        .args(["-qq", "-o", "/dev/null", "true"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        works,
        "this test needs a working strace ({strace}; apt-get install -y strace, or STRACE=/path) \
         that may trace its children"
    );
    strace
}

/// The pid of the one child of `parent` (the program strace runs).
fn child_of(parent: u32) -> Option<u32> {
    fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The first start (migration, site admin, key file) killed at the n-th call of each system
/// call that writes, syncs, links or removes a file: every time, the next start must come
/// up with a sound store, the site admin, and a key that seals and opens a password.
#[test]
fn a_first_start_killed_at_any_write_or_sync_starts_again_and_seals_passwords() {
    let strace = strace();
    // Sets of system calls (strace counts each system call of a set separately and kills at
    // the first to reach n), and the step: pwrite64 is SQLite writing pages, every 16th will do.
    let plan = [
        ("write", 1),
        ("fsync,fdatasync", 1),
        ("ftruncate", 1),
        ("unlink,unlinkat", 1),
        ("link,linkat,rename,renameat,renameat2", 1),
        ("pwrite64", 16),
    ];
    let mut killed_at = Vec::new();
    for (syscall, step) in plan {
        let mut n = 1;
        loop {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("data");
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}");
            let mut traced = Command::new(&strace)
                .args(["-f", "-qq", "-o", "/dev/null", "-e"])
                .arg(format!("trace={syscall}"))
                .arg("-e")
                .arg(format!("inject={syscall}:signal=KILL:when={n}"))
                .arg(BIN)
                .env("BERTH_DATA_DIR", &data)
                .env("BERTH_LISTEN", format!("127.0.0.1:{port}"))
                .env("BERTH_BCRYPT_COST", "4")
                .env("BERTH_ADMIN_PASSWORD", ADMIN_PASSWORD)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn strace");
            // Killed during the start, or up: then the n-th call comes later, and this
            // system call is done.
            let deadline = Instant::now() + Duration::from_secs(60);
            let killed = loop {
                if traced.try_wait().unwrap().is_some() {
                    break true;
                }
                if let Outcome::Answer { status: 200, .. } =
                    call("GET", &format!("{base}/healthz"), &[], None)
                {
                    break false;
                }
                assert!(Instant::now() < deadline, "the traced start hangs");
                std::thread::sleep(Duration::from_millis(10));
            };
            if !killed {
                if let Some(pid) = child_of(traced.id()) {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }
                traced.wait().unwrap();
                break;
            }
            killed_at.push(format!(
                "{}#{n}",
                syscall.split(',').next().unwrap_or(syscall)
            ));
            let when = format!("the first start killed at {syscall} #{n}");
            if data.join("berth.db").exists() {
                let conn = snapshot(&data, dir.path());
                let problems = whole_store_checks(&conn);
                assert!(problems.is_empty(), "after {when}: {problems:?}");
            }
            let logs = dir.path().join("logs");
            fs::create_dir_all(&logs).unwrap();
            let mut server = spawn(&data, &logs, 0);
            wait_up(&mut server);
            let admin = vec![basic(ADMIN, ADMIN_PASSWORD)];
            let (status, body) = must("GET", &format!("{}/v1/users", server.base), &admin, None);
            assert_eq!((status, body.as_str()), (200, "\"OK\""), "after {when}");
            let mut headers = admin.clone();
            headers.push(json_ct());
            let (status, body) = must(
                "POST",
                &format!("{}/api/repo/v1/repository/", server.base),
                &headers,
                Some(
                    &json!({"name": "r.io/x", "username": "u", "password": "sealed-pw"})
                        .to_string(),
                ),
            );
            assert_eq!(status, 201, "after {when}, storing a password: {body}");
            sigkill(server);
            let conn = snapshot(&data, dir.path());
            let keyring = berth::secrets::Keyring::open(&data, &conn);
            let admin_id = berth::store::accounts::by_name(&conn, ADMIN)
                .unwrap()
                .unwrap()
                .id;
            let x = berth::store::external::by_name(&conn, admin_id, "r.io/x")
                .unwrap()
                .unwrap();
            let (_, password) = berth::core::external::credentials(&conn, &keyring, &x)
                .unwrap_or_else(|e| panic!("after {when}: {}", e.message));
            assert_eq!(password.expose(), "sealed-pw", "after {when}");
            n += step;
        }
    }
    eprintln!(
        "crash: the first start was killed at {} system calls and started again every time: {}",
        killed_at.len(),
        killed_at.join(" ")
    );
    // The sweep reached the writes of the start (SQLite pages, the key file, syncs).
    assert!(killed_at.iter().any(|k| k.starts_with("pwrite64")));
    assert!(killed_at.iter().any(|k| k.starts_with("fsync")));
    assert!(killed_at.iter().any(|k| k.starts_with("write")));
}
