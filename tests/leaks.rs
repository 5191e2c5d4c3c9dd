//! The leak matrix of issue 8: every route of `tests/common/routes.rs` (every dialect, every
//! page, reads and writes), as every kind of caller that may not see something, on public,
//! private and missing repositories (and on namespaces, teams, accounts, API keys and Cloud
//! external repositories). Three checks run on every answer:
//!
//! 1. **Markers.** Everything private in the store carries a distinctive marker (repository
//!    names, descriptions, tag names, image ids, team names and descriptions, emails, API key
//!    prefixes, Cloud names, usernames and passwords). No answer (body or headers) to a caller
//!    may contain a marker that caller may not read, unless the caller sent it itself. Grant
//!    and membership listings carry no marker of their own (user names are public), so they
//!    are recognised by shape: DTR access lists, `accessLevel`, team member lists, a user's
//!    organizations, and the web forms that only administrators get.
//! 2. **Private = missing.** Each private thing has a missing twin whose name has the same
//!    length. For a caller who may not read it, the answer about the private one must equal
//!    the answer about the missing one (status, every header but `Date` and `Connection`,
//!    body), once the twin's name is replaced by the private name (random values such as
//!    CSRF tokens and token signatures are masked on both sides, and registry tokens are
//!    compared by their claims without their times).
//! 3. **Writes.** The store is read again after every request that committed anything
//!    (SQLite's `data_version`, watched on a connection of its own); whatever changed must be
//!    something that caller may change (its own keys, sessions, emails, stars and pull counts
//!    of what it may read, read tokens for what it may read, new inactive sign-ups).
//!
//! Inactive accounts cannot authenticate (API-NOTES section 1): with a password, an API key
//! (Basic or `Token`) or an Index access token issued while active, every API answer must be a
//! refusal (401/403) or exactly what an anonymous caller gets; a web session opened while
//! active must make pages answer exactly as they do to an anonymous visitor.
//!
//! What each caller may see (API-NOTES section 1, `core::policy`):
//! - anonymous (and anonymous with RegistryUI's Public API on): public repositories only;
//! - an unrelated active user: public repositories and account names (DTR lists accounts);
//! - a member of the organization (team `staff-zq`, no grants): public repositories, the
//!   organization's team list (names, descriptions), its own team's members and grants, and the
//!   organization's Cloud external repositories by name and registry (read-only) — never
//!   their credentials, never another team's members or grants, never a private repository;
//! - a read-only collaborator (user grant on `owner-zq/hidden-usr-zq`): that repository
//!   (descriptions, tags, images), no write to it, not its access list (admins only), no
//!   Cloud credentials, nothing else private; with the Index read token it got for that
//!   repository, the same on that repository's Index routes and anonymity everywhere else;
//! - an inactive user (who, while active, had grants, a namespace with a private repository
//!   and an external repository, an API key, an access token and a web session): nothing.
//!
//! Before the callers, a site admin sends every GET of the same route and target (unchecked),
//! so that an answer cached for the wrong viewer (the JSON listings and Explore go through the
//! commit-invalidated cache) would be a privileged one and show up as a leak. Positive
//! controls: every marker that some caller may see must have reached that caller at least
//! once, or the probes did not reach the content and the absence of leaks would mean nothing.
//!
//! `cargo test --test leaks -- --nocapture` prints `leaks: N probes, M leaks` and the figures;
//! `LEAKS_DUMP=file` also writes every probe with its status to `file`.
//! Leak lines start with `MARKER`, `LISTING`, `PRIVATE≠MISSING`, `WRITE`, `INACTIVE`,
//! `CONTROL` or `5XX`, followed by the request, the target and the caller.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use berth::store;
use common::routes::{Dialect, Route, ROUTES};
use common::{basic, TestApp, ADMIN, ADMIN_PASSWORD, PASSWORD};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

// ------------------------------------------------------------------------------ the world

const ORG: &str = "acme-zq";
/// Owns the user namespace with a private repository and a Cloud external repository.
const OWNER: &str = "owner-zq";
/// In `acme-zq`'s `owners` team.
const BOSS: &str = "boss-zq";
/// An active member of team `devs-zq` (not a caller): the team's members are private.
const DEVMATE: &str = "devmate-zq";
const STRANGER: &str = "stranger-zq";
/// In team `staff-zq` of `acme-zq`, which has no grants.
const MEMBER: &str = "member-zq";
/// Read-only user grant on `owner-zq/hidden-usr-zq`.
const READER: &str = "reader-zq";
/// Deactivated; had an admin grant, team `devs-zq`, a namespace, a key, a token, a session.
const GONE: &str = "gone-zq";
/// Inactive, with nothing: the "missing" twin of `gone-zq`'s namespace.
const VOID: &str = "void-zq";
/// An organization with only a private repository, and its empty twin.
const HUSH: &str = "hush-zq";
const VACU: &str = "vacu-zq";
const NOBODY: &str = "nobody-zq";

const DEVS: &str = "devs-zq";
const DEVX: &str = "devx-zq";
const STAFF: &str = "staff-zq";

const PUB: (&str, &str) = (ORG, "open-pub-zq");
const ORG_PRIV: (&str, &str) = (ORG, "hidden-org-zq");
const ORG_MISS: (&str, &str) = (ORG, "absent-org-zq");
const USR_PRIV: (&str, &str) = (OWNER, "hidden-usr-zq");
const USR_MISS: (&str, &str) = (OWNER, "absent-usr-zq");
const LIB_PRIV: (&str, &str) = ("library", "hidden-lib-zq");
const LIB_MISS: (&str, &str) = ("library", "absent-lib-zq");
const GONE_PRIV: (&str, &str) = (GONE, "own-secret-zq");
const GONE_MISS: (&str, &str) = (GONE, "own-absent-zq");
const HUSH_PRIV: (&str, &str) = (HUSH, "quiet-zq");

/// Cloud external repositories: (namespace, name, host, username, password, missing name,
/// missing host). Missing twins have the same lengths.
const EXTERNALS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        ORG,
        "registry.zq-acme.example/team/app-one",
        "registry.zq-acme.example",
        "zqacmecloudusermark",
        "zqacmecloudpassmark",
        "registry.zq-acme.example/team/app-two",
        "registry.zq-acmx.example",
    ),
    (
        OWNER,
        "registry.zq-owner.example/solo/app-one",
        "registry.zq-owner.example",
        "zqownercloudusermark",
        "zqownercloudpassmark",
        "registry.zq-owner.example/solo/app-two",
        "registry.zq-ownex.example",
    ),
    (
        GONE,
        "registry.zq-gone.example/mine/app-one",
        "registry.zq-gone.example",
        "zqgonecloudusermark",
        "zqgonecloudpassmark",
        "registry.zq-gone.example/mine/app-two",
        "registry.zq-gonx.example",
    ),
];

/// An image id that belongs to no repository (what write probes push).
fn new_image() -> String {
    image_id("zq-new-image")
}

fn image_id(label: &str) -> String {
    hex::encode(Sha256::digest(label.as_bytes()))
}

/// Who may see a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Nobody,
    /// Members of `acme-zq` (here: the `member-zq` caller).
    OrgMembers,
    /// Whoever may read `owner-zq/hidden-usr-zq` (the collaborator, and its read token on
    /// that repository's routes).
    UsrReaders,
    Everyone,
}

struct Secret {
    marker: String,
    what: String,
    audience: Audience,
}

// ------------------------------------------------------------------------------ callers

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Who {
    /// A site admin: not a caller under test. Its GET requests go first, so that any answer
    /// cached for the wrong viewer would be a privileged one.
    Admin,
    Anon,
    /// Anonymous while RegistryUI's "Public API" is on (RegistryUI routes only).
    AnonPublicApi,
    Stranger,
    Member,
    Reader,
    /// The collaborator's Index read token for `owner-zq/hidden-usr-zq`.
    ReaderToken,
    GonePassword,
    GoneKey,
    GoneKeyToken,
    GoneIndexToken,
    GoneSession,
}

const CALLERS: &[Who] = &[
    Who::Anon,
    Who::AnonPublicApi,
    Who::Stranger,
    Who::Member,
    Who::Reader,
    Who::ReaderToken,
    Who::GonePassword,
    Who::GoneKey,
    Who::GoneKeyToken,
    Who::GoneIndexToken,
    Who::GoneSession,
];

impl Who {
    fn label(self) -> &'static str {
        match self {
            Who::Admin => "site admin",
            Who::Anon => "anonymous",
            Who::AnonPublicApi => "anonymous (Public API on)",
            Who::Stranger => "unrelated user",
            Who::Member => "org member without grants",
            Who::Reader => "read-only collaborator",
            Who::ReaderToken => "read-only collaborator's Index read token",
            Who::GonePassword => "inactive user (password)",
            Who::GoneKey => "inactive user (Basic API key)",
            Who::GoneKeyToken => "inactive user (Token API key)",
            Who::GoneIndexToken => "inactive user (Index write token)",
            Who::GoneSession => "inactive user (web session)",
        }
    }

    /// A short code for names the probes create.
    fn code(self) -> &'static str {
        match self {
            Who::Admin => "ad",
            Who::Anon => "an",
            Who::AnonPublicApi => "ap",
            Who::Stranger => "st",
            Who::Member => "me",
            Who::Reader => "re",
            Who::ReaderToken => "rt",
            Who::GonePassword => "gp",
            Who::GoneKey => "gk",
            Who::GoneKeyToken => "gt",
            Who::GoneIndexToken => "gi",
            Who::GoneSession => "gs",
        }
    }

    fn inactive(self) -> bool {
        matches!(
            self,
            Who::GonePassword
                | Who::GoneKey
                | Who::GoneKeyToken
                | Who::GoneIndexToken
                | Who::GoneSession
        )
    }

    fn anonymous(self) -> bool {
        matches!(self, Who::Anon | Who::AnonPublicApi)
    }

    /// The active account whose own rows this caller may change.
    fn own(self) -> Option<&'static str> {
        match self {
            Who::Admin => Some(ADMIN),
            Who::Stranger => Some(STRANGER),
            Who::Member => Some(MEMBER),
            Who::Reader | Who::ReaderToken => Some(READER),
            _ => None,
        }
    }

    /// The name this caller would put where a route wants "me" (self-grants, joining teams).
    fn self_name(self) -> &'static str {
        match self {
            Who::Admin => ADMIN,
            Who::Stranger => STRANGER,
            Who::Member => MEMBER,
            Who::Reader | Who::ReaderToken => READER,
            Who::Anon | Who::AnonPublicApi => STRANGER,
            _ => GONE,
        }
    }

    fn sees(self, audience: Audience) -> bool {
        match audience {
            _ if self == Who::Admin => true,
            Audience::Nobody => false,
            Audience::Everyone => true,
            Audience::OrgMembers => self == Who::Member,
            Audience::UsrReaders => matches!(self, Who::Reader | Who::ReaderToken),
        }
    }

    /// Whether this caller probes routes of this dialect.
    fn probes(self, d: Dialect) -> bool {
        match self {
            Who::AnonPublicApi => d == Dialect::RegistryUi,
            Who::ReaderToken
            | Who::GonePassword
            | Who::GoneKey
            | Who::GoneKeyToken
            | Who::GoneIndexToken => d != Dialect::Web,
            _ => true,
        }
    }

    /// Whether this caller may read a repository (for the write rules).
    fn may_read(self, full_path: &str) -> bool {
        full_path == format!("{}/{}", PUB.0, PUB.1)
            || (matches!(self, Who::Reader | Who::ReaderToken)
                && full_path == format!("{}/{}", USR_PRIV.0, USR_PRIV.1))
    }
}

/// A caller's credentials and browser state.
struct Caller {
    who: Who,
    /// `Authorization` on API routes.
    auth: Option<String>,
    cookies: BTreeMap<String, String>,
    csrf: String,
    /// Cookies to restore after a probe that signs in or out.
    initial_cookies: BTreeMap<String, String>,
}

// ------------------------------------------------------------------------------ HTTP

struct Http {
    agent: ureq::Agent,
    base: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Everything a caller can read in the answer.
    fn text(&self) -> String {
        let mut t = self.body.clone();
        for (k, v) in &self.headers {
            t.push('\n');
            t.push_str(k);
            t.push_str(": ");
            t.push_str(v);
            t.push('\n');
            t.push_str(&percent_decode(v));
        }
        t
    }
}

#[derive(Debug, Clone)]
struct Probe {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    variant: String,
}

impl Probe {
    fn key(&self) -> String {
        format!(
            "{} {} {:?} {:?}",
            self.method, self.path, self.headers, self.body
        )
    }

    /// What the caller itself sent (markers in here are echoes, not leaks).
    fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.path,
            percent_decode(&self.path),
            self.body.as_deref().unwrap_or(""),
            percent_decode(
                self.body
                    .as_deref()
                    .unwrap_or("")
                    .replace('+', " ")
                    .as_str()
            )
        )
    }
}

impl Http {
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Seen {
        let url = format!("{}{}", self.base, path);
        let mut req = self.agent.request(method, &url);
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let resp = common::read(result, &format!("{method} {path}"));
        Seen {
            status: resp.status,
            headers: resp
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_lowercase(), v))
                .collect(),
            body: resp.body,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn csrf_in(body: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

fn absorb(cookies: &mut BTreeMap<String, String>, seen: &Seen) {
    for (k, v) in &seen.headers {
        if k != "set-cookie" {
            continue;
        }
        let pair = v.split(';').next().unwrap_or("");
        if let Some((name, value)) = pair.split_once('=') {
            if v.to_lowercase().contains("max-age=0") || value.is_empty() {
                cookies.remove(name.trim());
            } else {
                cookies.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }
}

fn cookie_header(cookies: &BTreeMap<String, String>) -> String {
    cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Mask what is random in an answer (CSRF tokens, cookie values, token signatures, dates) so
/// two answers can be compared.
fn normalize(seen: &Seen) -> Seen {
    let mask_signature = |v: &str| -> String {
        match v.find("signature=") {
            Some(i) => {
                let start = i + "signature=".len();
                let end = v[start..].find(',').map_or(v.len(), |e| start + e);
                format!("{}*{}", &v[..start], &v[end..])
            }
            None => v.to_owned(),
        }
    };
    let mut headers: Vec<(String, String)> = seen
        .headers
        .iter()
        // `Connection: close` follows whether actix had read the whole request body when it
        // answered, which is timing, not content.
        .filter(|(k, _)| k != "date" && k != "connection")
        .map(|(k, v)| {
            let v = match k.as_str() {
                "set-cookie" => match v.split_once('=') {
                    Some((name, rest)) => {
                        let attrs = rest.split_once(';').map_or("", |(_, a)| a);
                        format!("{name}=*;{attrs}")
                    }
                    None => v.clone(),
                },
                "x-docker-token" | "www-authenticate" => mask_signature(v),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect();
    headers.sort();
    let mut body = registry_token_claims(&seen.body).unwrap_or_else(|| seen.body.clone());
    let marker = "name=\"csrf\" value=\"";
    let mut from = 0;
    while let Some(i) = body[from..].find(marker) {
        let start = from + i + marker.len();
        let Some(len) = body[start..].find('"') else {
            break;
        };
        body.replace_range(start..start + len, "*");
        from = start + 1;
    }
    Seen {
        status: seen.status,
        headers,
        body,
    }
}

/// A `/v2/token` answer with its times taken out: each token becomes its claims without
/// `issued_at` and `expires_at` (its signature dropped), `issued_at` is masked. Two answers
/// issued a second apart then compare equal exactly when they grant the same thing to the
/// same user. `None` for any other body.
fn registry_token_claims(body: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let mut v: Value = serde_json::from_str(body).ok()?;
    let obj = v.as_object_mut()?;
    if !obj.contains_key("issued_at") {
        return None;
    }
    for key in ["token", "access_token"] {
        let token = obj.get(key)?.as_str()?;
        let payload = token.split('.').next()?;
        let mut claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let claims_obj = claims.as_object_mut()?;
        claims_obj.remove("issued_at");
        claims_obj.remove("expires_at");
        obj.insert(key.to_owned(), claims);
    }
    obj.insert("issued_at".to_owned(), json!("*"));
    Some(v.to_string())
}

fn substitute(seen: &Seen, subst: &[(&str, &str)]) -> Seen {
    let apply = |s: &str| {
        let mut s = s.to_owned();
        for (from, to) in subst {
            s = s.replace(from, to);
        }
        s
    };
    let mut headers: Vec<(String, String)> = seen
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), apply(v)))
        .collect();
    headers.sort();
    Seen {
        status: seen.status,
        headers,
        body: apply(&seen.body),
    }
}

/// The first difference between two answers, for the report.
fn difference(a: &Seen, b: &Seen) -> String {
    if a.status != b.status {
        return format!("status {} vs {}", a.status, b.status);
    }
    if a.headers != b.headers {
        return format!("headers {:?} vs {:?}", a.headers, b.headers);
    }
    let at = a
        .body
        .bytes()
        .zip(b.body.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.body.len().min(b.body.len()));
    let from = at.saturating_sub(60);
    let snip = |s: &str| {
        let end = (at + 60).min(s.len());
        s.get(from..end).unwrap_or("").to_owned()
    };
    format!("body at {at}: {:?} vs {:?}", snip(&a.body), snip(&b.body))
}

// ------------------------------------------------------------------------------ targets

/// What a route takes, which decides the targets it is probed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Axis {
    /// One repository (`{namespace}/{reponame}`, `{a}/{b}`, `{ns}/{repo}`, RegistryUI
    /// `repository=`).
    Repo,
    /// A `library` repository named by one segment (`/v1/repositories/{a}` for the Index).
    Library,
    /// A namespace.
    Namespace,
    /// A namespace's Cloud external repositories (name, registry).
    Cloud,
    /// A team of `acme-zq`.
    Team,
    /// The organization `acme-zq` as a whole.
    Org,
    /// An account by name.
    Account,
    /// An API key id.
    Key,
    /// Full-text searches.
    Search,
    General,
}

fn axis_of(r: &Route) -> Axis {
    let p = r.path.as_str();
    if p.starts_with("/api/repo/v1") || p.starts_with("/settings/external") {
        return Axis::Cloud;
    }
    if r.method == "GET" && (p == "/v1/search" || p == "/") {
        return Axis::Search;
    }
    if p.starts_with("/v2/{name") {
        return Axis::Repo;
    }
    if p.contains("{reponame}")
        || p.contains("{repo}")
        || p.contains("{b}")
        || p == "/udr/v1api/tags"
        || p == "/udr/v1api/taginfo"
    {
        return Axis::Repo;
    }
    if p.contains("{a}") {
        return if p == "/v1/repositories/{a}" && matches!(r.method, "GET" | "POST") {
            Axis::Namespace
        } else {
            Axis::Library
        };
    }
    if p.contains("{team}") || p == "/-/orgs/{org}/grants" {
        return Axis::Team;
    }
    if p.contains("{org}") {
        return Axis::Org;
    }
    if p.contains("{namespace}")
        || p.contains("{ns}")
        || p.starts_with("/udr/v1api/")
        || p == "/new"
        || (p == "/settings" && r.method == "GET")
    {
        return Axis::Namespace;
    }
    if p.contains("{name}") || p.contains("{username}") {
        return Axis::Account;
    }
    if p.contains("{id}") {
        return Axis::Key;
    }
    Axis::General
}

/// One target: a label, the pair it belongs to (group, is the missing twin), and values.
#[derive(Debug, Clone)]
struct Ctx {
    label: String,
    pair: Option<(&'static str, bool)>,
    vals: BTreeMap<&'static str, String>,
}

impl Ctx {
    fn new(label: &str, pair: Option<(&'static str, bool)>, vals: &[(&'static str, &str)]) -> Ctx {
        Ctx {
            label: label.to_owned(),
            pair,
            vals: vals.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        }
    }

    fn get(&self, k: &str) -> String {
        self.vals
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("target {} has no {k}", self.label))
    }

    fn has(&self, k: &str) -> bool {
        self.vals.contains_key(k)
    }
}

/// The pairs: what the missing twin's answer gets substituted with, and who may read the
/// private one (and so may tell them apart).
fn pair_substitutions(group: &str) -> Vec<(&'static str, &'static str)> {
    match group {
        "org" | "org-slash" => vec![("absent-org-zq", "hidden-org-zq")],
        "org-upper" => vec![
            ("ABSENT-ORG-ZQ", "HIDDEN-ORG-ZQ"),
            ("absent-org-zq", "hidden-org-zq"),
        ],
        "lib-explicit" => vec![("absent-lib-zq", "hidden-lib-zq")],
        "usr" => vec![("absent-usr-zq", "hidden-usr-zq")],
        "lib" => vec![("absent-lib-zq", "hidden-lib-zq")],
        "gone" => vec![("own-absent-zq", "own-secret-zq")],
        "ns-gone" => vec![(VOID, GONE)],
        "ns-hush" => vec![(VACU, HUSH)],
        "cloud-acme" => vec![("app-two", "app-one"), ("zq-acmx", "zq-acme")],
        "cloud-owner" => vec![("app-two", "app-one"), ("zq-ownex", "zq-owner")],
        "cloud-gone" => vec![("app-two", "app-one"), ("zq-gonx", "zq-gone")],
        "team" => vec![(DEVX, DEVS)],
        "q-org" => vec![("zqorgshortmiss", "zqorgshortmark")],
        "q-usr" => vec![("zqusrshortmiss", "zqusrshortmark")],
        "q-gone" => vec![("zqgoneshortmiss", "zqgoneshortmark")],
        other => panic!("unknown pair {other}"),
    }
}

fn pair_readers(group: &str, who: Who) -> bool {
    match group {
        "usr" => matches!(who, Who::Reader | Who::ReaderToken),
        // Searches run as anonymous with an access token.
        "q-usr" => who == Who::Reader,
        "cloud-acme" | "team" => who == Who::Member,
        _ => false,
    }
}

fn repo_ctx(label: &str, pair: Option<(&'static str, bool)>, (ns, name): (&str, &str)) -> Ctx {
    let display = if ns == "library" {
        name.to_owned()
    } else {
        format!("{ns}/{name}")
    };
    let a = if ns == "library" { name } else { ns };
    Ctx::new(
        label,
        pair,
        &[("ns", ns), ("repo", name), ("a", a), ("display", &display)],
    )
}

/// The target with a final `/` on the path.
fn slash(mut ctx: Ctx) -> Ctx {
    ctx.vals.insert("slash", "/".into());
    ctx
}

/// A library target that RegistryUI names `library/x` rather than `x`.
fn explicit(mut ctx: Ctx) -> Ctx {
    let repo = ctx.get("repo");
    ctx.vals.insert("display", format!("library/{repo}"));
    ctx
}

fn contexts(axis: Axis, world: &World) -> Vec<Ctx> {
    match axis {
        Axis::Repo => vec![
            repo_ctx("public", None, PUB),
            repo_ctx("org-private", Some(("org", false)), ORG_PRIV),
            repo_ctx("org-missing", Some(("org", true)), ORG_MISS),
            repo_ctx("user-private", Some(("usr", false)), USR_PRIV),
            repo_ctx("user-missing", Some(("usr", true)), USR_MISS),
            repo_ctx("library-private", Some(("lib", false)), LIB_PRIV),
            repo_ctx("library-missing", Some(("lib", true)), LIB_MISS),
            repo_ctx("inactive-user-private", Some(("gone", false)), GONE_PRIV),
            repo_ctx("inactive-user-missing", Some(("gone", true)), GONE_MISS),
            // The same names written differently: upper case, a final `/`, and (RegistryUI)
            // `library/x` spelled out.
            repo_ctx(
                "org-private upper case",
                Some(("org-upper", false)),
                ("ACME-ZQ", "HIDDEN-ORG-ZQ"),
            ),
            repo_ctx(
                "org-missing upper case",
                Some(("org-upper", true)),
                ("ACME-ZQ", "ABSENT-ORG-ZQ"),
            ),
            slash(repo_ctx(
                "org-private/",
                Some(("org-slash", false)),
                ORG_PRIV,
            )),
            slash(repo_ctx(
                "org-missing/",
                Some(("org-slash", true)),
                ORG_MISS,
            )),
            explicit(repo_ctx(
                "library-private as library/x",
                Some(("lib-explicit", false)),
                LIB_PRIV,
            )),
            explicit(repo_ctx(
                "library-missing as library/x",
                Some(("lib-explicit", true)),
                LIB_MISS,
            )),
        ],
        Axis::Library => vec![
            repo_ctx("library-private", Some(("lib", false)), LIB_PRIV),
            repo_ctx("library-missing", Some(("lib", true)), LIB_MISS),
        ],
        Axis::Namespace => {
            let ns = |label: &str, pair, n: &str| Ctx::new(label, pair, &[("ns", n), ("a", n)]);
            vec![
                ns("org", None, ORG),
                ns("user", None, OWNER),
                ns("library", None, "library"),
                ns("inactive-user", Some(("ns-gone", false)), GONE),
                ns("inactive-empty-user", Some(("ns-gone", true)), VOID),
                ns("org-only-private", Some(("ns-hush", false)), HUSH),
                ns("org-empty", Some(("ns-hush", true)), VACU),
                ns("missing", None, NOBODY),
            ]
        }
        Axis::Cloud => {
            let mut v = Vec::new();
            for (ns, name, host, _, _, miss_name, miss_host) in EXTERNALS {
                let group: &'static str = match *ns {
                    ORG => "cloud-acme",
                    OWNER => "cloud-owner",
                    _ => "cloud-gone",
                };
                v.push(Ctx::new(
                    &format!("{ns} external"),
                    Some((group, false)),
                    &[("ns", ns), ("ext_name", name), ("ext_host", host)],
                ));
                v.push(Ctx::new(
                    &format!("{ns} external missing"),
                    Some((group, true)),
                    &[("ns", ns), ("ext_name", miss_name), ("ext_host", miss_host)],
                ));
            }
            v
        }
        Axis::Team => vec![
            Ctx::new("team owners", None, &[("team", "owners")]),
            Ctx::new("team devs-zq", Some(("team", false)), &[("team", DEVS)]),
            Ctx::new("team missing", Some(("team", true)), &[("team", DEVX)]),
            Ctx::new("team staff-zq", None, &[("team", STAFF)]),
        ],
        Axis::Org => vec![Ctx::new("org", None, &[])],
        Axis::Account => vec![
            Ctx::new("account owner-zq", None, &[("account", OWNER)]),
            Ctx::new("account gone-zq", None, &[("account", GONE)]),
            Ctx::new("account acme-zq", None, &[("account", ORG)]),
        ],
        Axis::Key => vec![
            Ctx::new(
                "owner-zq's key",
                None,
                &[("id", &world.owner_key_id.to_string())],
            ),
            Ctx::new(
                "gone-zq's key",
                None,
                &[("id", &world.gone_key_id.to_string())],
            ),
        ],
        Axis::Search => vec![
            Ctx::new("all", None, &[("q", "zq")]),
            Ctx::new("no query", None, &[]),
            Ctx::new(
                "org marker",
                Some(("q-org", false)),
                &[("q", "zqorgshortmark")],
            ),
            Ctx::new(
                "org marker missing",
                Some(("q-org", true)),
                &[("q", "zqorgshortmiss")],
            ),
            Ctx::new(
                "user marker",
                Some(("q-usr", false)),
                &[("q", "zqusrshortmark")],
            ),
            Ctx::new(
                "user marker missing",
                Some(("q-usr", true)),
                &[("q", "zqusrshortmiss")],
            ),
            Ctx::new(
                "inactive marker",
                Some(("q-gone", false)),
                &[("q", "zqgoneshortmark")],
            ),
            Ctx::new(
                "inactive marker missing",
                Some(("q-gone", true)),
                &[("q", "zqgoneshortmiss")],
            ),
        ],
        Axis::General => vec![Ctx::new("-", None, &[])],
    }
}

// ------------------------------------------------------------------------------ probes

fn param(p: &str, r: &Route, ctx: &Ctx, who: Who) -> String {
    if r.dialect == Dialect::Registry {
        // The registry names `library/x` as `x`, like RegistryUI.
        return match p {
            "name" => ctx.get("display"),
            "reference" => "latest".to_owned(),
            "digest" => format!("sha256:{}", "e".repeat(64)),
            "id" => "0b4624dd-9820-4e5a-8d41-000000000000".to_owned(),
            other => panic!("no value for route parameter {other} of {}", r.path),
        };
    }
    match p {
        "namespace" | "ns" => ctx.get("ns"),
        "reponame" | "repo" | "b" => ctx.get("repo"),
        "a" => ctx.get("a"),
        "tag" => "latest".to_owned(),
        // The image pages' digest route (issue 16).
        "digest" => format!("sha256:{}", "e".repeat(64)),
        // Grant oneself access; revoke the collaborator's.
        "user" if r.method == "PUT" => who.self_name().to_owned(),
        "user" => READER.to_owned(),
        "team" if ctx.has("team") => ctx.get("team"),
        "team" if r.method == "PUT" => STAFF.to_owned(),
        "team" => DEVS.to_owned(),
        "org" => ORG.to_owned(),
        // Join a team; read and remove a real member.
        "member" if r.method == "PUT" => who.self_name().to_owned(),
        "member" => DEVMATE.to_owned(),
        "name" if ctx.has("ext_name") => ctx.get("ext_name"),
        "name" | "username" => ctx.get("account"),
        "host" => ctx.get("ext_host"),
        "id" => ctx.get("id"),
        "path" => "css/berth.css".to_owned(),
        other => panic!("no value for route parameter {other} of {}", r.path),
    }
}

fn query(pairs: &[(&str, String)]) -> String {
    format!(
        "?{}",
        serde_urlencoded::to_string(pairs).expect("query string")
    )
}

/// (variant, query string) for a route and target.
fn queries(r: &Route, ctx: &Ctx) -> Vec<(String, String)> {
    let one = |q: String| vec![(String::new(), q)];
    match (r.method, r.path.as_str()) {
        ("GET", "/v1/search") | ("GET", "/") => match ctx.vals.get("q") {
            Some(q) => one(query(&[("q", q.clone())])),
            None => one(String::new()),
        },
        ("GET", "/v1/repositories/{a}") => one("?page_size=100".into()),
        (_, "/udr/v1api/repositories") => vec![
            (String::new(), query(&[("folder", ctx.get("ns"))])),
            ("all".into(), String::new()),
        ],
        (_, "/udr/v1api/project/create") => one(query(&[
            ("repository", format!("{}/zqnewrepo", ctx.get("ns"))),
            ("title", "zq".into()),
            ("isPublic", "true".into()),
        ])),
        (_, "/udr/v1api/folder") => one(query(&[("path", ctx.get("ns"))])),
        (_, "/udr/v1api/tags") => one(query(&[("repository", ctx.get("display"))])),
        (_, "/udr/v1api/taginfo") => one(query(&[
            ("repository", ctx.get("display")),
            ("tagName", "latest".into()),
        ])),
        ("GET", "/api/repo/v1/repository") | ("GET", "/api/repo/v1/{ns}/repository") => vec![
            (String::new(), String::new()),
            ("by name".into(), query(&[("name", ctx.get("ext_name"))])),
        ],
        ("GET", "/settings") => vec![
            (String::new(), query(&[("ns", ctx.get("ns"))])),
            ("own".into(), String::new()),
        ],
        _ => one(String::new()),
    }
}

enum Body {
    Json(Value),
    Raw(String),
    Form(Vec<(&'static str, String)>),
}

/// (variant, body) for a route, target and caller: plausible writes, the most harmful ones
/// a caller could try.
fn bodies(r: &Route, ctx: &Ctx, who: Who) -> Vec<(String, Option<Body>)> {
    let c = who.code();
    let me = who.self_name();
    let one = |b: Body| vec![(String::new(), Some(b))];
    let form = |f: &[(&'static str, String)]| one(Body::Form(f.to_vec()));
    let s = |v: &str| v.to_owned();
    let (login_user, login_password) = match who {
        w if w.inactive() => (GONE, PASSWORD),
        w if w.anonymous() => (NOBODY, "wrong-password-1"),
        w => (w.self_name(), PASSWORD),
    };
    match (r.method, r.path.as_str()) {
        // DTR
        ("POST", "/api/v0/accounts") => one(Body::Json(
            json!({"type": "organization", "name": format!("zqneworg-{c}")}),
        )),
        ("POST", "/api/v0/accounts/{name}/changePassword") => {
            one(Body::Json(json!({"newPassword": "hijacked-pass-1"})))
        }
        ("POST", "/api/v0/accounts/{org}/teams") => one(Body::Json(
            json!({"name": "zqnewteam", "type": "managed", "description": "zq"}),
        )),
        ("PATCH", "/api/v0/accounts/{name}") => one(Body::Json(json!({"quotaBytes": null}))),
        ("PATCH", "/api/v0/accounts/{org}/teams/{team}") => one(Body::Json(
            json!({"name": "zqrenamed", "description": "zqpwned"}),
        )),
        ("POST", "/api/v0/repositories/{namespace}") => one(Body::Json(json!({
            "name": "zqnewrepo", "shortDescription": "zq", "longDescription": "zq",
            "visibility": "public"
        }))),
        ("PATCH", "/api/v0/repositories/{namespace}/{reponame}") => one(Body::Json(json!({
            "shortDescription": "zqpwned", "longDescription": "zqpwned", "visibility": "public"
        }))),
        ("PUT", p) if p.contains("Access/") => one(Body::Json(json!({"accessLevel": "admin"}))),
        // Index and Alauda
        ("POST", "/v1/users") => one(Body::Json(json!({
            "username": format!("zqidx-{c}"), "password": PASSWORD,
            "email": format!("zqidx-{c}@example.com")
        }))),
        ("PUT", "/v1/users/{username}") => one(Body::Json(json!({
            "email": format!("zq-hijack-{c}@example.com"), "password": "hijacked-pass-1"
        }))),
        ("POST", "/v1/generate-api-token") => one(Body::Json(
            json!({"username": login_user, "password": login_password}),
        )),
        ("PUT", "/v1/repositories/{a}/images")
        | ("PUT", "/v1/repositories/{a}/{b}/images")
        | ("PUT", "/v1/repositories/{a}") => one(Body::Json(json!([{"id": new_image()}]))),
        ("POST", "/v1/repositories/{a}") => one(Body::Json(json!({
            "repo_name": "zqnewrepo", "description": "zq", "namespace": ctx.get("ns"),
            "is_public": true
        }))),
        ("PUT", "/v1/repositories/{a}/{b}") => vec![
            (
                "index push".into(),
                Some(Body::Json(json!([{"id": new_image()}]))),
            ),
            (
                "alauda update".into(),
                Some(Body::Json(json!({
                    "description": "zqpwned", "full_description": "zqpwned", "is_public": true
                }))),
            ),
        ],
        ("PUT", "/v1/repositories/{a}/{b}/tags/{tag}") => {
            one(Body::Raw(format!("\"{}\"", new_image())))
        }
        // Cloud
        // A name of the caller's own: without a namespace this adds to the caller's own
        // external repositories, which it may do.
        ("POST", p) if p.starts_with("/api/repo/v1") => one(Body::Json(json!({
            "name": format!("registry.new-zq.example/zq-{c}/new-one"),
            "username": "zqnewuser", "password": "zqnewpass"
        }))),
        ("PATCH", p) if p.starts_with("/api/repo/v1") => one(Body::Json(
            json!({"username": "zqhijackuser", "password": "zqhijackpass"}),
        )),
        // Web forms (the CSRF token is added when sending)
        ("POST", "/login") => form(&[
            ("username", s(login_user)),
            ("password", s(login_password)),
            ("next", s("/")),
        ]),
        ("POST", "/signup") => form(&[
            ("username", format!("zqweb-{c}")),
            ("email", format!("zqweb-{c}@example.com")),
            ("password", s(PASSWORD)),
        ]),
        ("POST", "/new") => form(&[
            ("namespace", ctx.get("ns")),
            ("name", s("zqnewrepo")),
            ("short_description", s("zq")),
            ("long_description", s("zq")),
            ("visibility", s("public")),
        ]),
        ("POST", "/settings/password") => form(&[
            ("old_password", s("wrong-password-9")),
            ("new_password", s("hijacked-pass-1")),
        ]),
        // Someone else's email.
        ("POST", "/settings/emails") => form(&[("email", s("zq.owner.mail@example.net"))]),
        ("POST", "/settings/keys") => form(&[("name", s("zqkey"))]),
        ("POST", "/settings/external") => form(&[
            ("namespace", ctx.get("ns")),
            ("name", format!("registry.new-zq.example/zq-{c}/new-one")),
            ("username", s("zqnewuser")),
            ("password", s("zqnewpass")),
        ]),
        ("POST", "/settings/external/update") => form(&[
            ("namespace", ctx.get("ns")),
            ("name", ctx.get("ext_name")),
            ("username", s("zqhijackuser")),
            ("password", s("zqhijackpass")),
        ]),
        ("POST", "/settings/external/remove") => {
            form(&[("namespace", ctx.get("ns")), ("name", ctx.get("ext_name"))])
        }
        ("POST", "/-/admin/users/{name}/active") => {
            let value = if ctx.get("account") == GONE {
                "on"
            } else {
                "off"
            };
            form(&[("value", s(value))])
        }
        ("POST", "/-/admin/users/{name}/admin") => form(&[("value", s("on"))]),
        ("POST", "/-/admin/orgs") => form(&[("name", format!("zqweborg-{c}"))]),
        ("POST", "/-/admin/settings") => {
            form(&[("registration", s("open")), ("public_api", s("on"))])
        }
        // Harmless values: the refusal is what is probed.
        ("POST", "/-/admin/quota") => form(&[("namespace", s(ORG)), ("bytes", s(""))]),
        ("POST", "/-/repos/{namespace}/{reponame}/retention") => {
            form(&[("tags", s("")), ("days", s(""))])
        }
        ("POST", "/-/orgs/{org}/teams") => {
            form(&[("name", s("zqwebteam")), ("description", s("zq"))])
        }
        ("POST", "/-/orgs/{org}/grants") => {
            form(&[("team", ctx.get("team")), ("level", s("admin"))])
        }
        ("POST", "/-/orgs/{org}/teams/{team}/members") => {
            form(&[("user", s(me)), ("action", s("add"))])
        }
        ("POST", "/{ns}/{repo}/star") => form(&[("action", s("star"))]),
        ("POST", "/{ns}/{repo}/settings") => {
            let fields = vec![
                ("short_description", s("zqpwned")),
                ("long_description", s("zqpwned")),
                ("visibility", s("public")),
            ];
            let mut preview = fields.clone();
            preview.push(("action", s("preview")));
            vec![
                ("save".into(), Some(Body::Form(fields))),
                ("preview".into(), Some(Body::Form(preview))),
            ]
        }
        ("POST", "/{ns}/{repo}/access") => {
            let ns = ctx.get("ns");
            let grantee = if ns == ORG || ns == "library" {
                STAFF
            } else {
                me
            };
            form(&[("grantee", s(grantee)), ("level", s("admin"))])
        }
        ("POST", "/{ns}/{repo}/delete") => form(&[("confirm", ctx.get("repo"))]),
        ("POST", "/{ns}/{repo}/tags/{tag}/delete") => form(&[("confirm", s("latest"))]),
        ("POST", _) if r.dialect == Dialect::Web => form(&[]),
        _ => vec![(String::new(), None)],
    }
}

/// Every request to send for a route, target and caller.
fn probes(r: &Route, ctx: &Ctx, caller: &Caller) -> Vec<Probe> {
    let who = caller.who;
    let mut path = r.fill(|p| param(p, r, ctx, who));
    if let Some(slash) = ctx.vals.get("slash") {
        path.push_str(slash);
    }
    // Routes that hand out Index access tokens, with and without asking for one.
    let hands_out_tokens = r.path.starts_with("/v1/repositories")
        && (r.path.ends_with("/images") || matches!(r.method, "PUT" | "DELETE"))
        && !r.path.ends_with("/star")
        && !r.path.contains("/tags/")
        && !r.path.ends_with("/auth");
    let header_variants: Vec<(&str, Vec<(String, String)>)> = if hands_out_tokens {
        vec![
            ("", vec![]),
            (
                "X-Docker-Token",
                vec![("X-Docker-Token".into(), "true".into())],
            ),
        ]
    } else {
        vec![("", vec![])]
    };
    let mut out = Vec::new();
    for (qv, q) in queries(r, ctx) {
        for (bv, body) in bodies(r, ctx, who) {
            for (hv, extra) in &header_variants {
                let mut headers: Vec<(String, String)> = Vec::new();
                let web = r.dialect == Dialect::Web;
                if web || who == Who::GoneSession {
                    if !caller.cookies.is_empty() {
                        headers.push(("Cookie".into(), cookie_header(&caller.cookies)));
                    }
                } else if let Some(a) = &caller.auth {
                    headers.push(("Authorization".into(), a.clone()));
                }
                headers.extend(extra.iter().cloned());
                let body = match body.as_ref() {
                    None => None,
                    Some(Body::Json(v)) => {
                        headers.push(("Content-Type".into(), "application/json".into()));
                        Some(v.to_string())
                    }
                    Some(Body::Raw(s)) => {
                        headers.push(("Content-Type".into(), "application/json".into()));
                        Some(s.clone())
                    }
                    Some(Body::Form(fields)) => {
                        headers.push((
                            "Content-Type".into(),
                            "application/x-www-form-urlencoded".into(),
                        ));
                        let mut all: Vec<(&str, String)> = vec![("csrf", caller.csrf.clone())];
                        all.extend(fields.iter().cloned());
                        Some(serde_urlencoded::to_string(&all).expect("form"))
                    }
                };
                if web && r.method == "POST" {
                    headers.push(("Sec-Fetch-Site".into(), "same-origin".into()));
                }
                let variant = [qv.as_str(), bv.as_str(), hv]
                    .iter()
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push(Probe {
                    method: r.method,
                    path: format!("{path}{q}"),
                    headers,
                    body,
                    variant,
                });
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------ checks

/// Grant and membership listings (user names are public, so these have no marker): any of
/// them in an answer to one of the callers here is a leak, since none of them administers
/// anything probed, except the member's own team.
fn listing_leak(seen: &Seen, who: Who) -> Option<String> {
    let ctype = seen.header("content-type").unwrap_or("");
    if ctype.starts_with("text/html") {
        for (pattern, what) in [
            (
                "name=\"grantee\"",
                "a repository's access list (admin page)",
            ),
            (
                "name=\"confirm\"",
                "a repository's delete form (admin page)",
            ),
            (
                "id=\"grant-team\"",
                "an organization's namespace grants (owners page)",
            ),
            ("name=\"user\"", "a team's members (owners page)"),
            ("id=\"registration\"", "site administration"),
        ] {
            if seen.body.contains(pattern) {
                return Some(what.to_owned());
            }
        }
        return None;
    }
    let value: Value = serde_json::from_str(&seen.body).ok()?;
    fn walk(v: &Value, who: Who) -> Option<String> {
        match v {
            Value::Object(map) => {
                for (k, val) in map {
                    let nonempty = val.as_array().is_some_and(|a| !a.is_empty());
                    match k.as_str() {
                        "userAccessList" | "teamAccessList" | "repositoryAccessList"
                            if nonempty =>
                        {
                            return Some(format!("a grant list ({k})"));
                        }
                        "accessLevel" => return Some("a grant (accessLevel)".into()),
                        "organizations" if nonempty => {
                            return Some("a user's organizations".into());
                        }
                        "members" if nonempty => {
                            let own = who.own().unwrap_or("");
                            let others = val
                                .as_array()
                                .into_iter()
                                .flatten()
                                .any(|m| m.get("name").and_then(Value::as_str) != Some(own));
                            if others {
                                return Some("a team's members".into());
                            }
                        }
                        _ => {}
                    }
                    if let Some(found) = walk(val, who) {
                        return Some(found);
                    }
                }
                None
            }
            Value::Array(items) => items.iter().find_map(|i| walk(i, who)),
            _ => None,
        }
    }
    walk(&value, who)
}

// ------------------------------------------------------------------------------ the store

type Snapshot = BTreeMap<String, String>;

fn snapshot(app: &TestApp) -> Snapshot {
    let conn = app.conn();
    let mut out = Snapshot::new();
    let queries: &[(&str, &str)] = &[
        (
            "account",
            "SELECT name, 'kind=' || kind || ' active=' || is_active || ' admin=' || is_admin
                || ' pw=' || COALESCE(password_hash, '') || ' full=' || full_name FROM accounts",
        ),
        (
            "email",
            "SELECT a.name || '|' || e.email, '' FROM emails e JOIN accounts a ON a.id = e.account_id",
        ),
        (
            "repo",
            "SELECT full_path, short_description || '|' || long_description || '|'
                || long_description_html || '|' || is_public || '|' || created_at || '|'
                || COALESCE(updated_at, '-') || '|' || push_count || '|' || COALESCE(pushed_at, '-')
                FROM repositories",
        ),
        (
            "count",
            "SELECT full_path, pull_count || '|' || COALESCE(pulled_at, '-') || '|' || star_count
                FROM repositories",
        ),
        (
            "image",
            "SELECT r.full_path || '|' || i.image_id, COALESCE(i.checksum, '-')
                FROM images i JOIN repositories r ON r.id = i.repository_id",
        ),
        (
            "tag",
            "SELECT r.full_path || '|' || t.name, t.image_id || '|' || t.updated_at
                FROM tags t JOIN repositories r ON r.id = t.repository_id",
        ),
        (
            "tagpull",
            "SELECT r.full_path || '|' || t.name, t.pull_count
                FROM tags t JOIN repositories r ON r.id = t.repository_id",
        ),
        (
            "star",
            "SELECT a.name || '|' || r.full_path, '' FROM stars s
                JOIN accounts a ON a.id = s.user_id JOIN repositories r ON r.id = s.repository_id",
        ),
        (
            "usergrant",
            "SELECT r.full_path || '|' || a.name, g.level FROM repository_user_access g
                JOIN repositories r ON r.id = g.repository_id JOIN accounts a ON a.id = g.user_id",
        ),
        (
            "teamgrant",
            "SELECT r.full_path || '|' || t.name, g.level FROM repository_team_access g
                JOIN repositories r ON r.id = g.repository_id JOIN teams t ON t.id = g.team_id",
        ),
        (
            "nsgrant",
            "SELECT o.name || '|' || t.name, g.level FROM namespace_team_access g
                JOIN teams t ON t.id = g.team_id JOIN accounts o ON o.id = t.org_id",
        ),
        (
            "team",
            "SELECT o.name || '|' || t.name, t.description FROM teams t
                JOIN accounts o ON o.id = t.org_id",
        ),
        (
            "member",
            "SELECT o.name || '|' || t.name || '|' || a.name, '' FROM team_members m
                JOIN teams t ON t.id = m.team_id JOIN accounts o ON o.id = t.org_id
                JOIN accounts a ON a.id = m.user_id",
        ),
        (
            "external",
            "SELECT a.name || '|' || e.name, e.registry_host || '|' || e.username || '|'
                || COALESCE(hex(e.secret), '-') || '|' || COALESCE(e.key_id, '-') || '|' || e.updated_at
                FROM external_repositories e JOIN accounts a ON a.id = e.namespace_id",
        ),
        ("setting", "SELECT key, value FROM settings"),
        (
            "key",
            "SELECT a.name || '|' || k.id, k.name || '|' || k.prefix || '|' || k.key_hash
                FROM api_keys k JOIN accounts a ON a.id = k.user_id",
        ),
        (
            "token",
            "SELECT a.name || '|' || t.id, t.repository || '|' || t.access
                FROM access_tokens t JOIN accounts a ON a.id = t.user_id",
        ),
        (
            "session",
            "SELECT a.name || '|' || s.id_hash, '' FROM sessions s JOIN accounts a ON a.id = s.user_id",
        ),
    ];
    for (table, sql) in queries {
        let mut stmt = conn.prepare_cached(sql).expect("snapshot query");
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, rusqlite::types::Value>(1)?,
                ))
            })
            .expect("snapshot rows");
        for row in rows {
            let (k, v) = row.expect("snapshot row");
            let v = match v {
                rusqlite::types::Value::Text(s) => s,
                rusqlite::types::Value::Integer(i) => i.to_string(),
                other => format!("{other:?}"),
            };
            out.insert(format!("{table}|{k}"), v);
        }
    }
    out
}

fn data_version(conn: &rusqlite::Connection) -> i64 {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
        .expect("data_version")
}

/// Whether `who` may have caused this change (key, before, after).
fn allowed_change(
    key: &str,
    before: Option<&String>,
    after: Option<&String>,
    who: Who,
    seeded: &[&str],
) -> bool {
    let mut parts = key.split('|');
    let table = parts.next().unwrap_or("");
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let own = who.own();
    let mine = |name: &str| own == Some(name);
    match table {
        // New sign-ups: inactive users without rights.
        "account" => {
            !seeded.contains(&first)
                && before.is_none()
                && after.is_some_and(|v| v.starts_with("kind=user active=0 admin=0 "))
        }
        "email" => mine(first) || !seeded.contains(&first),
        "count" => who.may_read(first),
        "tagpull" => who.may_read(first),
        "star" => mine(first) && who.may_read(rest.first().copied().unwrap_or("")),
        "external" => mine(first),
        "key" | "session" => mine(first),
        "token" => {
            mine(first)
                && match after {
                    // Consumed (or purged).
                    None => true,
                    Some(v) => {
                        let (repo, access) = v.rsplit_once('|').unwrap_or(("", ""));
                        access == "read" && who.may_read(repo)
                    }
                }
        }
        _ => false,
    }
}

// ------------------------------------------------------------------------------ seeding

struct World {
    secrets: Vec<Secret>,
    owner_key_id: i64,
    gone_key_id: i64,
    seeded: Vec<&'static str>,
}

fn seed_repo(app: &TestApp, (ns, name): (&str, &str), public: bool, mark: &str) -> Vec<Secret> {
    let conn = app.conn();
    let account = store::accounts::by_name(&conn, ns)
        .expect("lookup")
        .expect("namespace exists");
    let long = format!("# The {mark}longmark\n\nAbout {mark}longmark.");
    let html = berth::markdown::render(&long);
    let repo = store::repos::insert(
        &conn,
        &account,
        &store::repos::NewRepository {
            name,
            short_description: &format!("{mark}shortmark"),
            long_description: &long,
            long_description_html: html.as_str(),
            is_public: public,
        },
    )
    .expect("insert repo");
    let (a, b) = (
        image_id(&format!("{ns}/{name}#a")),
        image_id(&format!("{ns}/{name}#b")),
    );
    let tag = format!("{mark}tagmark");
    conn.execute_batch(&format!(
        "INSERT INTO images (repository_id, image_id, checksum, created_at) VALUES
            ({id}, '{a}', 'sha256:{a}', 1), ({id}, '{b}', NULL, 1);
         INSERT INTO tags (repository_id, name, image_id, updated_at) VALUES
            ({id}, 'latest', '{a}', 1), ({id}, '{tag}', '{b}', 1);",
        id = repo.id
    ))
    .expect("images and tags");
    let audience = match (public, (ns, name) == USR_PRIV) {
        (true, _) => Audience::Everyone,
        (false, true) => Audience::UsrReaders,
        (false, false) => Audience::Nobody,
    };
    let path = format!("{ns}/{name}");
    let mut secrets = vec![
        (format!("{mark}shortmark"), "short description"),
        (format!("{mark}longmark"), "long description"),
        (tag, "tag name"),
        (a.clone(), "image id"),
        (a[..12].to_owned(), "short image id"),
        (b.clone(), "image id"),
        (b[..12].to_owned(), "short image id"),
    ];
    if !public {
        secrets.push((name.to_owned(), "repository name"));
    }
    secrets
        .into_iter()
        .map(|(marker, what)| Secret {
            marker,
            what: format!("{what} of {path}"),
            audience,
        })
        .collect()
}

fn ok(seen: &Seen, what: &str) {
    assert!(
        (200..300).contains(&seen.status),
        "{what}: {} {}",
        seen.status,
        seen.body
    );
}

fn json_headers(auth: &str) -> Vec<(String, String)> {
    vec![
        ("Authorization".into(), auth.to_owned()),
        ("Content-Type".into(), "application/json".into()),
    ]
}

/// Sign in through the form as a browser does; returns (cookies, csrf).
fn sign_in(http: &Http, user: &str, password: &str) -> (BTreeMap<String, String>, String) {
    let mut cookies = BTreeMap::new();
    let page = http.send("GET", "/login", &[], None);
    absorb(&mut cookies, &page);
    let token = csrf_in(&page.body).expect("login form token");
    let body = serde_urlencoded::to_string([
        ("csrf", token.as_str()),
        ("username", user),
        ("password", password),
        ("next", "/"),
    ])
    .unwrap();
    let resp = http.send(
        "POST",
        "/login",
        &[
            ("Cookie".into(), cookie_header(&cookies)),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("Sec-Fetch-Site".into(), "same-origin".into()),
        ],
        Some(&body),
    );
    assert_eq!(resp.status, 303, "sign in {user}: {}", resp.body);
    absorb(&mut cookies, &resp);
    let home = http.send(
        "GET",
        "/",
        &[("Cookie".into(), cookie_header(&cookies))],
        None,
    );
    let csrf = csrf_in(&home.body).expect("a signed-in page carries the session's token");
    (cookies, csrf)
}

/// An anonymous browser that has seen the sign-in form: (cookies, pre-sign-in token).
fn visit_login(
    http: &Http,
    mut cookies: BTreeMap<String, String>,
) -> (BTreeMap<String, String>, String) {
    let page = http.send(
        "GET",
        "/login",
        &[("Cookie".into(), cookie_header(&cookies))],
        None,
    );
    absorb(&mut cookies, &page);
    let csrf = csrf_in(&page.body).expect("login form token");
    (cookies, csrf)
}

/// The collaborator's Index read token for its repository.
fn reader_token(http: &Http) -> String {
    let r = http.send(
        "GET",
        &format!("/v1/repositories/{}/{}/images", USR_PRIV.0, USR_PRIV.1),
        &[
            ("Authorization".into(), basic(READER, PASSWORD)),
            ("X-Docker-Token".into(), "true".into()),
        ],
        None,
    );
    ok(&r, "reader token");
    format!(
        "Token {}",
        r.header("x-docker-token").expect("a read token")
    )
}

fn seed(app: &TestApp, http: &Http) -> (World, Vec<Caller>) {
    let conn = app.conn();
    let mut seeded = vec![ADMIN, "library"];
    for name in [OWNER, BOSS, DEVMATE, STRANGER, MEMBER, READER, GONE] {
        app.user(name);
        seeded.push(name);
    }
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    store::accounts::insert_user(
        &conn,
        &store::accounts::NewUser {
            name: VOID,
            password_hash: &hash,
            email: Some("void-zq@example.com"),
            is_active: false,
            is_admin: false,
        },
    )
    .unwrap();
    seeded.push(VOID);
    let boss = store::accounts::by_name(&conn, BOSS).unwrap().unwrap();
    for org in [ORG, HUSH, VACU] {
        app.org(org, &boss);
        seeded.push(org);
    }

    let mut secrets = Vec::new();
    secrets.extend(seed_repo(app, PUB, true, "zqpub"));
    secrets.extend(seed_repo(app, ORG_PRIV, false, "zqorg"));
    secrets.extend(seed_repo(app, USR_PRIV, false, "zqusr"));
    secrets.extend(seed_repo(app, LIB_PRIV, false, "zqlib"));
    secrets.extend(seed_repo(app, GONE_PRIV, false, "zqgone"));
    secrets.extend(seed_repo(app, HUSH_PRIV, false, "zqhush"));

    // Teams, members and grants.
    app.exec(&format!(
        "INSERT INTO teams (org_id, name, description, created_at)
            SELECT id, '{DEVS}', 'zqdevsdescmark', 1 FROM accounts WHERE name = '{ORG}';
         INSERT INTO teams (org_id, name, description, created_at)
            SELECT id, '{STAFF}', 'zqstaffdescmark', 1 FROM accounts WHERE name = '{ORG}';
         INSERT INTO team_members (team_id, user_id) SELECT t.id, a.id FROM teams t, accounts a
            WHERE t.name = '{DEVS}' AND a.name IN ('{GONE}', '{DEVMATE}');
         INSERT INTO team_members (team_id, user_id) SELECT t.id, a.id FROM teams t, accounts a
            WHERE t.name = '{STAFF}' AND a.name = '{MEMBER}';
         INSERT INTO repository_team_access (repository_id, team_id, level)
            SELECT r.id, t.id, 'read-write' FROM repositories r, teams t
            WHERE r.full_path = '{}/{}' AND t.name = '{DEVS}';
         INSERT INTO repository_team_access (repository_id, team_id, level)
            SELECT r.id, t.id, 'admin' FROM repositories r, teams t
            WHERE r.full_path = '{}/{}' AND t.name = '{DEVS}';
         INSERT INTO namespace_team_access (team_id, level)
            SELECT id, 'read-only' FROM teams WHERE name = '{DEVS}';
         INSERT INTO repository_user_access (repository_id, user_id, level)
            SELECT r.id, a.id, 'read-only' FROM repositories r, accounts a
            WHERE r.full_path = '{}/{}' AND a.name = '{READER}';
         INSERT INTO repository_user_access (repository_id, user_id, level)
            SELECT r.id, a.id, 'admin' FROM repositories r, accounts a
            WHERE r.full_path = '{}/{}' AND a.name = '{GONE}';",
        ORG_PRIV.0, ORG_PRIV.1, PUB.0, PUB.1, USR_PRIV.0, USR_PRIV.1, USR_PRIV.0, USR_PRIV.1
    ));
    for (team, desc) in [(DEVS, "zqdevsdescmark"), (STAFF, "zqstaffdescmark")] {
        for marker in [team, desc] {
            secrets.push(Secret {
                marker: marker.to_owned(),
                what: format!("team {team} of {ORG}"),
                audience: Audience::OrgMembers,
            });
        }
    }

    // Emails nobody else may read.
    for name in [OWNER, BOSS, DEVMATE, GONE] {
        let email = format!("zq.{}.mail@example.net", name.trim_end_matches("-zq"));
        app.exec(&format!(
            "INSERT INTO emails (account_id, email, created_at)
                SELECT id, '{email}', 1 FROM accounts WHERE name = '{name}'"
        ));
        secrets.push(Secret {
            marker: email,
            what: format!("an email of {name}"),
            audience: Audience::Nobody,
        });
    }

    // Cloud external repositories, through the Cloud API as their owners.
    for (ns, name, host, user, password, _, _) in EXTERNALS {
        let (who, path) = match *ns {
            ORG => (BOSS, format!("/api/repo/v1/{ORG}/repository/")),
            other => (other, "/api/repo/v1/repository/".to_owned()),
        };
        let r = http.send(
            "POST",
            &path,
            &json_headers(&basic(who, PASSWORD)),
            Some(&json!({"name": name, "username": user, "password": password}).to_string()),
        );
        ok(&r, "external repository");
        let audience = if *ns == ORG {
            Audience::OrgMembers
        } else {
            Audience::Nobody
        };
        for (marker, what, aud) in [
            (*name, "external repository", audience),
            (*host, "external registry", audience),
            (*user, "external username", Audience::Nobody),
            (*password, "external password", Audience::Nobody),
        ] {
            secrets.push(Secret {
                marker: marker.to_owned(),
                what: format!("{what} of {ns}"),
                audience: aud,
            });
        }
    }

    // API keys.
    let key_of = |name: &str| {
        let id = store::accounts::by_name(&conn, name).unwrap().unwrap().id;
        let (record, key) = berth::core::accounts::create_api_key(&conn, id, "zq").unwrap();
        (record, key)
    };
    let (owner_key, _) = key_of(OWNER);
    let (gone_key_record, gone_key) = key_of(GONE);
    for (k, name) in [(&owner_key, OWNER), (&gone_key_record, GONE)] {
        secrets.push(Secret {
            marker: k.prefix.clone(),
            what: format!("an API key prefix of {name}"),
            audience: Audience::Nobody,
        });
    }

    // While gone-zq is active: a web session and an Index write token on the organization's
    // private repository (its team may write there).
    let (gone_cookies, _) = sign_in(http, GONE, PASSWORD);
    let r = http.send(
        "PUT",
        &format!("/v1/repositories/{}/{}/images", ORG_PRIV.0, ORG_PRIV.1),
        &[
            json_headers(&basic(GONE, PASSWORD)),
            vec![("X-Docker-Token".into(), "true".into())],
        ]
        .concat(),
        Some(&json!([{"id": image_id(&format!("{}/{}#a", ORG_PRIV.0, ORG_PRIV.1))}]).to_string()),
    );
    ok(&r, "gone-zq's push");
    let gone_index_token = format!("Token {}", r.header("x-docker-token").expect("write token"));
    assert!(
        gone_index_token.contains("access=write"),
        "{gone_index_token}"
    );
    // Deactivated by an admin, as an admin does it.
    let r = http.send(
        "PUT",
        &format!("/api/v0/accounts/{GONE}/deactivate"),
        &[("Authorization".into(), basic(ADMIN, ADMIN_PASSWORD))],
        None,
    );
    ok(&r, "deactivate");

    let (admin_cookies, admin_csrf) = sign_in(http, ADMIN, ADMIN_PASSWORD);
    let mut callers = vec![Caller {
        who: Who::Admin,
        auth: Some(basic(ADMIN, ADMIN_PASSWORD)),
        initial_cookies: admin_cookies.clone(),
        cookies: admin_cookies,
        csrf: admin_csrf,
    }];
    for &who in CALLERS {
        let (auth, cookies, csrf) = match who {
            Who::Anon | Who::AnonPublicApi => {
                let (cookies, csrf) = visit_login(http, BTreeMap::new());
                (None, cookies, csrf)
            }
            Who::Stranger | Who::Member | Who::Reader => {
                let name = who.own().unwrap();
                let (cookies, csrf) = sign_in(http, name, PASSWORD);
                (Some(basic(name, PASSWORD)), cookies, csrf)
            }
            Who::ReaderToken => (Some(reader_token(http)), BTreeMap::new(), String::new()),
            Who::GonePassword => (Some(basic(GONE, PASSWORD)), BTreeMap::new(), String::new()),
            Who::GoneKey => (Some(basic(GONE, &gone_key)), BTreeMap::new(), String::new()),
            Who::GoneKeyToken => (
                Some(format!("Token {gone_key}")),
                BTreeMap::new(),
                String::new(),
            ),
            Who::GoneIndexToken => (
                Some(gone_index_token.clone()),
                BTreeMap::new(),
                String::new(),
            ),
            Who::Admin => unreachable!("the admin is not a caller under test"),
            Who::GoneSession => {
                let (cookies, csrf) = visit_login(http, gone_cookies.clone());
                assert!(cookies.contains_key("berth_session"));
                (None, cookies, csrf)
            }
        };
        callers.push(Caller {
            who,
            auth,
            initial_cookies: cookies.clone(),
            cookies,
            csrf,
        });
    }
    (
        World {
            secrets,
            owner_key_id: owner_key.id,
            gone_key_id: gone_key_record.id,
            seeded,
        },
        callers,
    )
}

// ------------------------------------------------------------------------------ the matrix

#[derive(Default)]
struct Tally {
    probes: usize,
    pairs: usize,
    inactive_checks: usize,
    write_checks: usize,
    leaks: Vec<String>,
    /// Markers seen by callers allowed to see them (positive controls).
    seen_allowed: HashMap<String, usize>,
}

#[test]
fn nothing_private_reaches_a_caller_who_may_not_read_it() {
    let started = Instant::now();
    let app = TestApp::start_with(|c| {
        // The matrix signs in with wrong passwords on purpose; throttling is tested elsewhere.
        c.login_max_failures = 1_000_000;
    });
    let http = Http {
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .redirects(0)
            .build(),
        base: app.base.clone(),
    };
    let (world, mut callers) = seed(&app, &http);
    let mut tally = Tally::default();
    // (route, target, variant, caller) -> (request key, normalized answer)
    let mut answers: HashMap<(usize, String, String, Who), (String, Seen)> = HashMap::new();
    let mut before = snapshot(&app);
    // SQLite changes `data_version` on this connection whenever another connection commits:
    // the store is compared only after requests that committed something.
    let watch = app.conn();
    // LEAKS_DUMP=file writes every probe and its status there (to review what was reached).
    let mut dump =
        std::env::var_os("LEAKS_DUMP").map(|p| std::fs::File::create(p).expect("dump file"));

    for (ri, route) in ROUTES.iter().enumerate() {
        let axis = axis_of(route);
        // The same request for two targets (a route that ignores part of the target) is
        // sent once.
        let mut sent: HashMap<(Who, String), Seen> = HashMap::new();
        for ctx in contexts(axis, &world) {
            for caller in callers.iter_mut() {
                let who = caller.who;
                if who == Who::Admin {
                    // Warm whatever may be cached with a privileged answer; not checked.
                    if route.method == "GET" {
                        let version = data_version(&watch);
                        for probe in probes(route, &ctx, caller) {
                            http.send(probe.method, &probe.path, &probe.headers, None);
                        }
                        if data_version(&watch) != version {
                            before = snapshot(&app);
                        }
                    }
                    continue;
                }
                if !who.probes(route.dialect) {
                    continue;
                }
                for probe in probes(route, &ctx, caller) {
                    let key = (who, probe.key());
                    let seen = if let Some(seen) = sent.get(&key) {
                        seen.clone()
                    } else {
                        let version = data_version(&watch);
                        if who == Who::AnonPublicApi {
                            berth::core::settings::set_public_api(&app.conn(), true).unwrap();
                        }
                        let seen = http.send(
                            probe.method,
                            &probe.path,
                            &probe.headers,
                            probe.body.as_deref(),
                        );
                        if who == Who::AnonPublicApi {
                            berth::core::settings::set_public_api(&app.conn(), false).unwrap();
                        }
                        tally.probes += 1;
                        let place = format!(
                            "{} {} [{}{}{}] as {}",
                            probe.method,
                            probe.path,
                            ctx.label,
                            if probe.variant.is_empty() { "" } else { ", " },
                            probe.variant,
                            who.label()
                        );
                        check_answer(&world, &mut tally, route, &ctx, who, &probe, &seen, &place);
                        if let Some(log) = dump.as_mut() {
                            use std::io::Write;
                            let _ = writeln!(log, "{} {place}", seen.status);
                        }
                        // Writes: when anything was committed, compare the store.
                        if data_version(&watch) != version {
                            let after = snapshot(&app);
                            tally.write_checks += 1;
                            for k in before.keys().chain(after.keys()) {
                                let (b, a) = (before.get(k), after.get(k));
                                if b != a && !allowed_change(k, b, a, who, &world.seeded) {
                                    tally.leaks.push(format!(
                                        "WRITE {place}: {status} changed {k}: {b:?} -> {a:?}",
                                        status = seen.status
                                    ));
                                }
                            }
                            before = after;
                        }
                        restore_caller(&http, &app, caller, route, &mut before);
                        sent.insert(key.clone(), seen.clone());
                        seen
                    };
                    answers.insert(
                        (ri, ctx.label.clone(), probe.variant.clone(), who),
                        (
                            format!("{} {:?}", probe.method, probe.body),
                            normalize(&seen),
                        ),
                    );
                }
            }
        }
    }

    // Inactive users: refused, or answered exactly as anonymous callers.
    for ((ri, label, variant, who), (request, seen)) in &answers {
        if !who.inactive() {
            continue;
        }
        let route = &ROUTES[*ri];
        let Some((anon_request, anon)) =
            answers.get(&(*ri, label.clone(), variant.clone(), Who::Anon))
        else {
            continue;
        };
        tally.inactive_checks += 1;
        // Refused, or answered as anonymous: the same answer to the same request, the same
        // kind of answer where the request differs (sign-up names, login credentials).
        let refused = matches!(seen.status, 401 | 403);
        let fine = refused
            || if request == anon_request {
                seen == anon
            } else {
                seen.status == anon.status && seen.header("location") == anon.header("location")
            };
        if !fine {
            tally.leaks.push(format!(
                "INACTIVE {} {} [{label}{}{variant}] as {}: not refused and not as anonymous: {}",
                route.method,
                route.path,
                if variant.is_empty() { "" } else { ", " },
                who.label(),
                difference(seen, anon)
            ));
        }
    }

    // Private = missing.
    for ((ri, label, variant, who), (_, seen)) in &answers {
        let route = &ROUTES[*ri];
        let Some(ctx) = contexts(axis_of(route), &world)
            .into_iter()
            .find(|c| &c.label == label)
        else {
            continue;
        };
        let Some((group, false)) = ctx.pair else {
            continue;
        };
        if pair_readers(group, *who) {
            continue;
        }
        let twin = contexts(axis_of(route), &world)
            .into_iter()
            .find(|c| c.pair == Some((group, true)))
            .expect("every pair has a missing twin");
        let Some((_, missing)) = answers.get(&(*ri, twin.label.clone(), variant.clone(), *who))
        else {
            panic!("no answer for the twin of {label} on {}", route.path);
        };
        tally.pairs += 1;
        let missing = substitute(missing, &pair_substitutions(group));
        if *seen != missing {
            tally.leaks.push(format!(
                "PRIVATE≠MISSING {} {} [{label} vs {}{}{variant}] as {}: {}",
                route.method,
                route.path,
                twin.label,
                if variant.is_empty() { "" } else { ", " },
                who.label(),
                difference(seen, &missing)
            ));
        }
    }

    // Positive controls: what callers may see, they did see somewhere; otherwise the probes
    // never reached the content and the absence of leaks would mean nothing.
    for s in &world.secrets {
        if s.audience != Audience::Nobody && !tally.seen_allowed.contains_key(&s.marker) {
            tally.leaks.push(format!(
                "CONTROL: {} ({:?}) never reached a caller allowed to see it",
                s.what, s.audience
            ));
        }
    }

    tally.leaks.sort();
    tally.leaks.dedup();
    println!(
        "leaks: {} probes, {} leaks ({} private/missing comparisons, {} inactive comparisons, \
         {} store comparisons, {} routes, {} callers, {:.1} s)",
        tally.probes,
        tally.leaks.len(),
        tally.pairs,
        tally.inactive_checks,
        tally.write_checks,
        ROUTES.len(),
        CALLERS.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        tally.leaks.is_empty(),
        "{} leaks:\n{}",
        tally.leaks.len(),
        tally.leaks.join("\n")
    );
    // Every route was probed.
    let probed: std::collections::BTreeSet<usize> = answers.keys().map(|k| k.0).collect();
    assert_eq!(probed.len(), ROUTES.len(), "some routes were never probed");
}

/// Markers and listings in one answer.
#[allow(clippy::too_many_arguments)]
fn check_answer(
    world: &World,
    tally: &mut Tally,
    route: &Route,
    ctx: &Ctx,
    who: Who,
    probe: &Probe,
    seen: &Seen,
    place: &str,
) {
    let text = seen.text();
    let sent = probe.text().to_lowercase();
    for s in &world.secrets {
        if !text.contains(&s.marker) {
            continue;
        }
        if who.sees(s.audience) {
            *tally.seen_allowed.entry(s.marker.clone()).or_default() += 1;
        } else if !sent.contains(&s.marker.to_lowercase()) {
            tally.leaks.push(format!(
                "MARKER {place}: {} {} ({})",
                seen.status, s.what, s.marker
            ));
        }
    }
    // "Is this user in that team?" answers 204/200 only to those who may see its members.
    if route.method == "GET"
        && route.path.ends_with("/members/{member}")
        && (200..300).contains(&seen.status)
        && !(who == Who::Member && ctx.get("team") == STAFF)
    {
        tally.leaks.push(format!(
            "LISTING {place}: {} a team's membership",
            seen.status
        ));
    }
    if let Some(what) = listing_leak(seen, who) {
        tally
            .leaks
            .push(format!("LISTING {place}: {} {what}", seen.status));
    }
    if seen.status >= 500 {
        tally
            .leaks
            .push(format!("5XX {place}: {} {}", seen.status, seen.body));
    }
}

/// After a probe that may have ended the caller's session or consumed its token, put the
/// caller back as it was (and re-read the store, so the caller's own changes are not blamed
/// on the next probe).
fn restore_caller(
    http: &Http,
    app: &TestApp,
    caller: &mut Caller,
    route: &Route,
    before: &mut Snapshot,
) {
    let who = caller.who;
    let mut changed = false;
    if route.dialect == Dialect::Web
        && (route.path == "/login" || route.path == "/logout")
        && route.method == "POST"
    {
        match who.own() {
            Some(name) if who != Who::ReaderToken => {
                let (cookies, csrf) = sign_in(http, name, PASSWORD);
                caller.cookies = cookies;
                caller.csrf = csrf;
            }
            _ => caller.cookies = caller.initial_cookies.clone(),
        }
        changed = true;
    }
    if who == Who::ReaderToken && route.path.ends_with("/auth") {
        caller.auth = Some(reader_token(http));
        changed = true;
    }
    if changed {
        *before = snapshot(app);
    }
}

/// Issue 12 finding 6: the order of search results must not depend on rows the caller may
/// not read. FTS5's bm25 weighs a term by how many rows hold it, private rows included, so
/// private repositories full of a word reordered another user's public results. Two users
/// add private repositories repeating the searched words, then delete them: an anonymous
/// caller's and an unrelated user's `/v1/search` answers, and the anonymous explore page's
/// results, are the same before, during and after.
#[test]
fn search_order_does_not_depend_on_private_rows() {
    let app = TestApp::start();
    for u in ["pub-zq", "priv-one-zq", "priv-two-zq", "stranger-zq"] {
        app.user(u);
    }
    // Public repositories whose bm25 order turns on how common each word is in the table.
    for (name, short, long) in [
        ("one", "red blue", ""),
        ("two", "red", "blue blue blue blue blue blue"),
        ("three", "blue", "red red red red red red"),
        ("four", "green", "red blue green"),
    ] {
        let r = app
            .post("/api/v0/repositories/pub-zq")
            .admin()
            .json(&json!({"name": name, "visibility": "public",
                          "shortDescription": short, "longDescription": long}))
            .send();
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let queries = ["red", "blue", "red blue", "green", "re"];
    let look = |app: &TestApp| -> Vec<String> {
        let mut seen = Vec::new();
        for q in queries {
            let target = format!("/v1/search?q={}", q.replace(' ', "+"));
            seen.push(app.get(&target).send().body);
            seen.push(app.get(&target).as_user("stranger-zq").send().body);
            let page = app.get(&format!("/?q={}", q.replace(' ', "+"))).send().body;
            let results = page
                .split("<section aria-labelledby=\"results-heading\">")
                .nth(1)
                .and_then(|rest| rest.split("</section>").next())
                .expect("the results section of the explore page");
            seen.push(results.to_owned());
        }
        seen
    };
    let before = look(&app);
    assert!(
        before[0].contains("pub-zq/two") && before[0].contains("pub-zq/three"),
        "{}",
        before[0]
    );
    for owner in ["priv-one-zq", "priv-two-zq"] {
        for i in 0..12 {
            let r = app
                .post(&format!("/api/v0/repositories/{owner}"))
                .as_user(owner)
                .json(&json!({"name": format!("p{i}"), "visibility": "private",
                              "shortDescription": "red red red blue",
                              "longDescription": "red ".repeat(200)}))
                .send();
            assert_eq!(r.status, 201, "{}", r.body);
        }
    }
    let during = look(&app);
    for owner in ["priv-one-zq", "priv-two-zq"] {
        for i in 0..12 {
            let r = app
                .delete(&format!("/api/v0/repositories/{owner}/p{i}"))
                .as_user(owner)
                .send();
            assert_eq!(r.status, 204, "{}", r.body);
        }
    }
    let after = look(&app);
    for (i, q) in queries.iter().enumerate() {
        for (j, who) in ["/v1/search anonymous", "/v1/search stranger", "explore"]
            .iter()
            .enumerate()
        {
            let k = 3 * i + j;
            assert_eq!(during[k], before[k], "{who} for {q:?} with private rows");
            assert_eq!(after[k], before[k], "{who} for {q:?} after they went");
        }
    }
}
