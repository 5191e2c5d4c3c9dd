//! Name validation (`berth::core::names`) against the grammar API-NOTES writes down, checked
//! with regular expressions written from that text rather than from the code.

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use berth::core::names::*;
use regex::Regex;

/// API-NOTES section 1: account names.
static ACCOUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A[a-z0-9]+(?:[._-][a-z0-9]+)*\z").unwrap());
/// API-NOTES section 2: repository names.
static REPOSITORY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\z").unwrap());
/// API-NOTES section 2: tags.
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z").unwrap());
/// API-NOTES section 2: image ids.
static IMAGE_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\A[0-9a-f]{64}\z").unwrap());
/// A registry host as Docker writes it: DNS labels (letters, digits, inner dashes) and an
/// optional port.
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::(?P<port>[0-9]{1,5}))?\z").unwrap()
});

/// The reserved account names API-NOTES section 1 lists by name (the code may reserve more).
const DOCUMENTED_RESERVED: &[&str] = &[
    "library",
    "repository",
    "registry",
    "api",
    "v1",
    "v2",
    "udr",
    "static",
    "healthz",
    "metrics",
    "login",
    "logout",
    "signup",
    "settings",
    "search",
    "explore",
    "new",
];
const DOCUMENTED_RESERVED_REPOSITORIES: &[&str] = &["images", "auth", "tags", "json"];

/// Pieces that names are made of, so that accepted names (and near misses) are common
/// rather than one in a billion random strings.
const PIECES: &[&str] = &[
    "a",
    "b",
    "z",
    "0",
    "9",
    "ab",
    "x1",
    "my",
    "app",
    "A",
    "Z",
    "é",
    "а",
    "\u{200b}",
    " ",
    "\n",
    "\0",
    ".",
    "..",
    "_",
    "__",
    "___",
    "-",
    "--",
    "---",
    "/",
    "//",
    ":",
    "@",
    "%2F",
    "localhost",
    "registry.local",
    "docker.io",
    ":5000",
    ":0",
    ":65535",
    ":65536",
    ":99999",
    "library",
    "api",
    "v1",
    "images",
    "tags",
    "new",
    "admin",
];

/// A string for the validators: raw bytes, a name assembled from pieces, or one character
/// repeated to a length around a limit.
pub fn arbitrary_name(u: &mut Unstructured<'_>) -> String {
    match u.int_in_range(0..=3u8).unwrap_or(0) {
        0 => String::arbitrary(u).unwrap_or_default(),
        1 => {
            let n = u.int_in_range(0..=12u8).unwrap_or(0);
            (0..n).map(|_| *u.choose(PIECES).unwrap_or(&"a")).collect()
        }
        2 => {
            let c = *u
                .choose(&['a', '0', 'A', '-', '.', '_', 'é', '/'])
                .unwrap_or(&'a');
            let len = *u
                .choose(&[
                    0usize, 1, 2, 7, 8, 9, 63, 64, 65, 72, 73, 100, 101, 127, 128, 129, 253, 254,
                    255, 256, 25_000, 25_001,
                ])
                .unwrap_or(&1);
            let mut s = String::from(*u.choose(&["", "a", "x.", "r.io/"]).unwrap_or(&""));
            s.extend(std::iter::repeat_n(c, len));
            s.push_str(u.choose(&["", "a", "-", "/b"]).unwrap_or(&""));
            s
        }
        _ => u
            .choose(DOCUMENTED_RESERVED)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

fn account_grammar(s: &str) -> bool {
    (2..=64).contains(&s.len()) && ACCOUNT.is_match(s)
}

fn repository_grammar(s: &str) -> bool {
    !s.is_empty() && s.len() <= FULL_PATH_MAX && REPOSITORY.is_match(s)
}

fn registry_host(s: &str) -> bool {
    let Some(caps) = HOST.captures(s) else {
        return false;
    };
    let domain_ok = caps["domain"].len() <= 253;
    let port_ok = caps.name("port").is_none_or(|p| {
        p.as_str()
            .parse::<u32>()
            .is_ok_and(|n| (1..=65535).contains(&n))
    });
    domain_ok && port_ok
}

/// `[host[:port]/]path` (Docker's rule: the first component is a host when it has a `.` or
/// a `:` or is `localhost`): the registry host, or None when the name is not a reference.
fn reference_host(name: &str) -> Option<&str> {
    if name.is_empty() || name.len() > FULL_PATH_MAX {
        return None;
    }
    let components: Vec<&str> = name.split('/').collect();
    let first = components[0];
    let has_host = components.len() > 1
        && (first.contains('.') || first.contains(':') || first == "localhost");
    let path = if has_host {
        &components[1..]
    } else {
        &components[..]
    };
    if has_host && !registry_host(first) {
        return None;
    }
    if !path.iter().all(|c| REPOSITORY.is_match(c)) {
        return None;
    }
    Some(if has_host { first } else { DOCKER_HUB_REGISTRY })
}

/// Every validator on `a` (and on `a` in namespace `b`): accepted exactly when the
/// documented grammar says so, refused with the documented code and a 400, the same answer
/// twice.
pub fn check(a: &str, b: &str) {
    for name in DOCUMENTED_RESERVED {
        assert!(RESERVED_ACCOUNT_NAMES.contains(name), "{name} not reserved");
    }
    for name in DOCUMENTED_RESERVED_REPOSITORIES {
        assert!(
            RESERVED_REPOSITORY_NAMES.contains(name),
            "{name} not reserved"
        );
    }
    let chars = a.chars().count();

    // Accounts and teams.
    assert_eq!(
        is_account_name(a),
        account_grammar(a),
        "is_account_name({a:?})"
    );
    let r = validate_new_account_name(a);
    assert_eq!(r, validate_new_account_name(a), "not deterministic: {a:?}");
    let expect = account_grammar(a) && !RESERVED_ACCOUNT_NAMES.contains(&a);
    assert_eq!(
        r.is_ok(),
        expect,
        "validate_new_account_name({a:?}) = {r:?}"
    );
    refused_as(r, "INVALID_ACCOUNT_NAME", a);
    let r = validate_team_name(a);
    assert_eq!(
        r.is_ok(),
        account_grammar(a),
        "validate_team_name({a:?}) = {r:?}"
    );
    refused_as(r, "INVALID_TEAM_NAME", a);

    // Repositories.
    assert_eq!(
        is_repository_name(a),
        repository_grammar(a),
        "is_repository_name({a:?})"
    );
    let r = validate_repository_name(b, a);
    assert_eq!(
        r,
        validate_repository_name(b, a),
        "not deterministic: {b:?}/{a:?}"
    );
    let expect = repository_grammar(a)
        && !RESERVED_REPOSITORY_NAMES.contains(&a)
        && b.len() + 1 + a.len() <= FULL_PATH_MAX;
    assert_eq!(
        r.is_ok(),
        expect,
        "validate_repository_name({b:?}, {a:?}) = {r:?}"
    );
    refused_as(r, "INVALID_REPOSITORY_NAME", a);

    // Tags and image ids.
    assert_eq!(is_tag_name(a), TAG.is_match(a), "is_tag_name({a:?})");
    let r = validate_tag_name(a);
    assert_eq!(r.is_ok(), TAG.is_match(a), "validate_tag_name({a:?})");
    refused_as(r, "INVALID_TAG", a);
    assert_eq!(is_image_id(a), IMAGE_ID.is_match(a), "is_image_id({a:?})");
    let r = validate_image_id(a);
    assert_eq!(r.is_ok(), IMAGE_ID.is_match(a), "validate_image_id({a:?})");
    refused_as(r, "INVALID_IMAGE_ID", a);

    // Passwords: at least 8 characters, at most 72 bytes (bcrypt reads no further).
    let r = validate_password(a);
    assert_eq!(r, validate_password(a), "not deterministic");
    assert_eq!(
        r.is_ok(),
        chars >= 8 && a.len() <= 72,
        "validate_password({a:?})"
    );
    refused_as(r, "INVALID_PASSWORD", a);

    // Emails: one `@` with something on both sides, no spaces or control characters.
    let r = validate_email(a);
    let expect = a.len() <= 254
        && a.matches('@').count() == 1
        && !a.starts_with('@')
        && !a.ends_with('@')
        && !a.chars().any(|c| c.is_whitespace() || c.is_control());
    assert_eq!(r.is_ok(), expect, "validate_email({a:?})");
    refused_as(r, "INVALID_EMAIL", a);

    // Descriptions count characters, not bytes.
    let r = validate_short_description(a);
    assert_eq!(
        r.is_ok(),
        chars <= 100,
        "short description of {chars} characters"
    );
    refused_as(r, "INVALID_DESCRIPTION", a);
    let r = validate_long_description(a);
    assert_eq!(
        r.is_ok(),
        chars <= 25_000,
        "long description of {chars} characters"
    );
    refused_as(r, "INVALID_DESCRIPTION", a);
    let r = validate_team_description(a);
    assert_eq!(
        r.is_ok(),
        chars <= 100,
        "team description of {chars} characters"
    );
    refused_as(r, "INVALID_TEAM_DESCRIPTION", a);

    // Words with a fixed spelling.
    let r = parse_visibility(a);
    assert_eq!(
        r.as_ref().ok().copied(),
        match a {
            "public" => Some(true),
            "private" => Some(false),
            _ => None,
        }
    );
    refused_as(r, "INVALID_VISIBILITY", a);
    let r = parse_access_level(a);
    assert_eq!(
        r.is_ok(),
        matches!(a, "read-only" | "read-write" | "admin"),
        "parse_access_level({a:?})"
    );
    refused_as(r, "INVALID_ACCESS_LEVEL", a);

    // Cloud external repository names: an image reference without tag or digest.
    let r = external_registry_host(a);
    assert_eq!(r, external_registry_host(a), "not deterministic: {a:?}");
    assert_eq!(
        r.as_deref().ok(),
        reference_host(a),
        "external_registry_host({a:?})"
    );
    if r.is_ok() {
        assert!(
            !a.contains('@') && !a.contains("..") && !a.contains("//"),
            "{a:?}"
        );
    }
    refused_as(r, "INVALID_REPOSITORY_NAME", a);
    assert_eq!(
        is_registry_host(a),
        registry_host(a),
        "is_registry_host({a:?})"
    );
}

/// A refusal is a 400 with the documented code.
fn refused_as<T: std::fmt::Debug>(r: Result<T, berth::error::Error>, code: &str, input: &str) {
    if let Err(e) = r {
        assert_eq!((e.status.as_u16(), e.code), (400, code), "{input:?}: {e:?}");
    }
}
