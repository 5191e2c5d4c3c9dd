//! Validation of names and description limits (`docs/contract.md`), in one place.

use crate::error::{Code, Error};

/// The built-in organization owned by site admins.
pub const LIBRARY: &str = "library";

/// Names no one may register: `library`, the API prefixes and every top-level word the web
/// UI uses for a page that is not a namespace.
pub const RESERVED_ACCOUNT_NAMES: &[&str] = &[
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
    "admin-ui",
    "assets",
    "favicon.ico",
    "robots.txt",
    "account",
    "orgs",
    "organizations",
    "users",
    "help",
    "about",
    "docs",
];

/// Repository names that collide with Index sub-resources.
pub const RESERVED_REPOSITORY_NAMES: &[&str] = &["images", "auth", "tags", "json"];

pub const SHORT_DESCRIPTION_MAX: usize = 100;
pub const LONG_DESCRIPTION_MAX: usize = 25_000;
pub const FULL_PATH_MAX: usize = 255;

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Components of `[a-z0-9]+` joined by separators that `sep_ok` accepts.
fn components_ok(s: &str, sep_ok: impl Fn(&str) -> bool) -> bool {
    let mut chars = s.char_indices().peekable();
    let mut expect_component = true;
    while let Some((i, c)) = chars.next() {
        if is_lower_alnum(c) {
            expect_component = false;
            continue;
        }
        if expect_component {
            return false;
        }
        // A run of separator characters.
        let start = i;
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if is_lower_alnum(d) {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        if !sep_ok(&s[start..end]) {
            return false;
        }
        expect_component = true;
    }
    !expect_component
}

/// Whether `name` has the grammar of an account name (reserved words aside).
pub fn is_account_name(name: &str) -> bool {
    (2..=64).contains(&name.len()) && components_ok(name, |sep| matches!(sep, "." | "_" | "-"))
}

/// A name a new user or organization may take.
pub fn validate_new_account_name(name: &str) -> Result<(), Error> {
    if !is_account_name(name) {
        return Err(Error::new(
            Code::InvalidAccountName,
            "account names are 2 to 64 characters of a-z and 0-9, separated by single '.', '_' or '-'",
        ));
    }
    if RESERVED_ACCOUNT_NAMES.contains(&name) {
        return Err(Error::new(
            Code::InvalidAccountName,
            "this account name is reserved",
        ));
    }
    Ok(())
}

/// Whether `name` has the grammar of a repository name.
pub fn is_repository_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= FULL_PATH_MAX
        && components_ok(name, |sep| {
            matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-')
        })
}

/// A name a new repository may take in `namespace`.
pub fn validate_repository_name(namespace: &str, name: &str) -> Result<(), Error> {
    if !is_repository_name(name) {
        return Err(Error::new(
            Code::InvalidRepositoryName,
            "repository names are a-z and 0-9 separated by '.', '_', '__' or dashes",
        ));
    }
    if RESERVED_REPOSITORY_NAMES.contains(&name) {
        return Err(Error::new(
            Code::InvalidRepositoryName,
            "this repository name is reserved",
        ));
    }
    if namespace.len() + 1 + name.len() > FULL_PATH_MAX {
        return Err(Error::new(
            Code::InvalidRepositoryName,
            "namespace/name is longer than 255 characters",
        ));
    }
    Ok(())
}

/// Tags: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_tag_name(tag: &str) -> bool {
    let b = tag.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

pub fn validate_tag_name(tag: &str) -> Result<(), Error> {
    if is_tag_name(tag) {
        Ok(())
    } else {
        Err(Error::new(
            Code::InvalidTag,
            "tags are 1 to 128 characters of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-'",
        ))
    }
}

/// Image ids: 64 lowercase hex digits.
pub fn is_image_id(id: &str) -> bool {
    id.len() == 64
        && id
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

pub fn validate_image_id(id: &str) -> Result<(), Error> {
    if is_image_id(id) {
        Ok(())
    } else {
        Err(Error::new(
            Code::InvalidImageId,
            "image ids are 64 lowercase hex digits",
        ))
    }
}

pub fn validate_short_description(text: &str) -> Result<(), Error> {
    if text.chars().count() > SHORT_DESCRIPTION_MAX {
        return Err(Error::new(
            Code::InvalidDescription,
            "the short description is longer than 100 characters",
        ));
    }
    Ok(())
}

pub fn validate_long_description(text: &str) -> Result<(), Error> {
    if text.chars().count() > LONG_DESCRIPTION_MAX {
        return Err(Error::new(
            Code::InvalidDescription,
            "the long description is longer than 25000 characters",
        ));
    }
    Ok(())
}

/// Emails: one `@` with something on both sides, no spaces or control characters, at most
/// 254 characters. Deliverability is not Berth's concern.
pub fn validate_email(email: &str) -> Result<(), Error> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::new(Code::InvalidEmail, "invalid email address"))
    }
}

/// Passwords: at least 8 characters, at most 72 bytes (bcrypt's limit).
pub fn validate_password(password: &str) -> Result<(), Error> {
    validate_password_by(password, PasswordRule::Standard)
}

/// How short a new password may be. Berth's rule is 8 characters; the Index dialect takes 6,
/// the length of its seed's own examples (`POST /v1/users` and `PUT /v1/users/{name}` with
/// `toto42`), so the old clients those examples describe can register and change passwords.
/// Logins never check lengths, so such a password works in every dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    Standard,
    Index,
}

impl PasswordRule {
    pub fn min_chars(self) -> usize {
        match self {
            PasswordRule::Standard => 8,
            PasswordRule::Index => 6,
        }
    }
}

/// A new password under `rule`: at least its minimum of characters, at most 72 bytes (what
/// bcrypt reads).
pub fn validate_password_by(password: &str, rule: PasswordRule) -> Result<(), Error> {
    let min = rule.min_chars();
    if password.chars().count() < min {
        return Err(Error::new(
            Code::InvalidPassword,
            format!("passwords are at least {min} characters"),
        ));
    }
    if password.len() > 72 {
        return Err(Error::new(
            Code::InvalidPassword,
            "passwords are at most 72 bytes",
        ));
    }
    Ok(())
}

/// Team names follow the account name grammar (2 to 64 characters).
pub fn validate_team_name(name: &str) -> Result<(), Error> {
    if is_account_name(name) {
        Ok(())
    } else {
        Err(Error::new(
            Code::InvalidTeamName,
            "team names are 2 to 64 characters of a-z and 0-9, separated by single '.', '_' or '-'",
        ))
    }
}

pub const TEAM_DESCRIPTION_MAX: usize = 100;

pub fn validate_team_description(text: &str) -> Result<(), Error> {
    if text.chars().count() > TEAM_DESCRIPTION_MAX {
        return Err(Error::new(
            Code::InvalidTeamDescription,
            "the team description is longer than 100 characters",
        ));
    }
    Ok(())
}

/// `public` / `private` as the APIs write a visibility: true for public.
pub fn parse_visibility(text: &str) -> Result<bool, Error> {
    match text {
        "public" => Ok(true),
        "private" => Ok(false),
        _ => Err(Error::new(
            Code::InvalidVisibility,
            "visibility is \"public\" or \"private\"",
        )),
    }
}

/// A grant level as the APIs write it: `read-only`, `read-write` or `admin`.
pub fn parse_access_level(text: &str) -> Result<crate::core::policy::Level, Error> {
    crate::core::policy::Level::parse_grant(text).ok_or_else(|| {
        Error::new(
            Code::InvalidAccessLevel,
            "accessLevel is \"read-only\", \"read-write\" or \"admin\"",
        )
    })
}

/// Where image references without a registry host live (Docker Hub).
pub const DOCKER_HUB_REGISTRY: &str = "registry-1.docker.io";

/// The registry host of an external repository name: a Docker image reference without tag
/// or digest, `[host[:port]/]component(/component)*`. The first component is a host when it
/// contains `.` or `:` or is `localhost` (Docker's rule); otherwise the name is on Docker
/// Hub. Path components follow the repository grammar; the whole name is at most 255
/// characters.
pub fn external_registry_host(name: &str) -> Result<&str, Error> {
    let invalid = || {
        Error::new(
            Code::InvalidRepositoryName,
            "not a valid image reference: expected [host[:port]/]path with lowercase path components \
             separated by '/', at most 255 characters, without a tag or digest",
        )
    };
    if name.is_empty() || name.len() > FULL_PATH_MAX {
        return Err(invalid());
    }
    let (host, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    };
    if host.is_some_and(|h| !is_registry_host(h))
        || path.is_empty()
        || !path.split('/').all(is_repository_name)
    {
        return Err(invalid());
    }
    Ok(host.unwrap_or(DOCKER_HUB_REGISTRY))
}

/// `domain[:port]`: dot-separated labels of letters, digits and inner dashes (at most 63
/// each), and a port from 1 to 65535.
pub fn is_registry_host(host: &str) -> bool {
    let (domain, port) = match host.split_once(':') {
        Some((d, p)) => (d, Some(p)),
        None => (host, None),
    };
    let port_ok = port.is_none_or(|p| {
        (1..=5).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
    });
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    port_ok && !domain.is_empty() && domain.len() <= 253 && domain.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "",
        "..",
        "a/..",
        "../etc",
        "a%2Fb",
        "a/b",
        "-ab",
        "ab-",
        ".ab",
        "ab.",
        "_ab",
        "ab_",
        "a..b",
        "Abc",
        "ABC",
        "ab c",
        " ab",
        "ab\n",
        "ab\0",
        "аbc",         // Cyrillic а
        "abс",         // Cyrillic с
        "ａｂｃ",      // full-width
        "ab\u{200b}c", // zero-width space
        "a:b",
        "a@b",
    ];

    #[test]
    fn account_names_accept_the_grammar() {
        for ok in [
            "ab", "don", "a1", "my.org", "my-org", "my_org", "a.b-c_d", "0x",
        ] {
            assert!(is_account_name(ok), "{ok}");
            assert!(validate_new_account_name(ok).is_ok(), "{ok}");
        }
        assert!(is_account_name(&"a".repeat(64)));
    }

    #[test]
    fn account_names_refuse_hostile_input() {
        for bad in HOSTILE.iter().copied().chain(["a", "a--b", "a__b", "a.-b"]) {
            assert!(!is_account_name(bad), "{bad:?}");
        }
        assert!(!is_account_name(&"a".repeat(65)));
        assert!(!is_account_name(&"a".repeat(10_000)));
    }

    #[test]
    fn reserved_account_names_are_refused() {
        for name in [
            "library", "api", "v1", "v2", "udr", "healthz", "settings", "new", "search",
        ] {
            let e = validate_new_account_name(name).unwrap_err();
            assert_eq!(e.code, Code::InvalidAccountName, "{name}");
        }
        // The bootstrap admin keeps its namespace: admin pages live under /-/.
        assert!(validate_new_account_name("admin").is_ok());
    }

    #[test]
    fn repository_names_accept_the_grammar() {
        for ok in [
            "a",
            "my-app",
            "my--app",
            "my---app",
            "my_app",
            "my__app",
            "my.app",
            "a1.b2_c3__d4-e5",
            "x",
        ] {
            assert!(is_repository_name(ok), "{ok}");
        }
        assert!(validate_repository_name("don", "public-app").is_ok());
    }

    #[test]
    fn repository_names_refuse_hostile_input() {
        for bad in HOSTILE
            .iter()
            .copied()
            .chain(["a___b", "a._b", "a-_b", "a-.b"])
        {
            assert!(!is_repository_name(bad), "{bad:?}");
            assert!(validate_repository_name("don", bad).is_err(), "{bad:?}");
        }
        assert!(validate_repository_name("don", &"a".repeat(10_000)).is_err());
        // The full path is limited too.
        assert!(validate_repository_name("don", &"a".repeat(251)).is_ok());
        assert!(validate_repository_name("don", &"a".repeat(252)).is_err());
    }

    #[test]
    fn index_sub_resource_names_are_reserved() {
        for name in RESERVED_REPOSITORY_NAMES {
            assert!(validate_repository_name("don", name).is_err(), "{name}");
        }
    }

    #[test]
    fn tags() {
        for ok in ["latest", "v1.2.3", "1.0-rc1", "_x", "A", &"a".repeat(128)] {
            assert!(is_tag_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".x",
            "-x",
            "a/b",
            "a b",
            "a:b",
            "ä",
            &"a".repeat(129),
            &"a".repeat(10_000),
            "..",
            "%2F",
        ] {
            assert!(!is_tag_name(bad), "{bad:?}");
        }
        assert_eq!(validate_tag_name("-x").unwrap_err().code, Code::InvalidTag);
    }

    #[test]
    fn image_ids() {
        let good = "9e89cc6f0bc3c38722009fe6857087b486531f9a779a0c17e3ed29dae8f12c4f";
        assert!(is_image_id(good));
        assert!(!is_image_id(&good.to_uppercase()));
        assert!(!is_image_id(&good[1..]));
        assert!(!is_image_id(&format!("{good}0")));
        assert!(!is_image_id(
            "ertwetewtwe38722009fe6857087b486531f9a779a0c1dfddgfgsdgdsgds"
        ));
        assert!(!is_image_id(""));
        assert!(!is_image_id(&"a".repeat(10_000)));
        assert!(validate_image_id("../").is_err());
    }

    #[test]
    fn description_limits_count_characters() {
        assert!(validate_short_description(&"é".repeat(100)).is_ok());
        assert!(validate_short_description(&"é".repeat(101)).is_err());
        assert!(validate_short_description("").is_ok());
        assert!(validate_long_description(&"x".repeat(25_000)).is_ok());
        assert!(validate_long_description(&"x".repeat(25_001)).is_err());
    }

    #[test]
    fn emails_and_passwords() {
        assert!(validate_email("sam@docker.com").is_ok());
        for bad in [
            "",
            "sam",
            "@docker.com",
            "sam@",
            "sam @docker.com",
            "a@b@c",
            &format!("{}@x", "a".repeat(260)),
        ] {
            assert!(validate_email(bad).is_err(), "{bad:?}");
        }
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password("1234567").is_err());
        assert!(validate_password(&"x".repeat(73)).is_err());
    }

    #[test]
    fn team_names_descriptions_visibility_and_levels() {
        assert!(validate_team_name("qa").is_ok());
        assert!(validate_team_name("dev-ops").is_ok());
        for bad in HOSTILE.iter().copied().chain(["q", "QA"]) {
            assert_eq!(
                validate_team_name(bad).unwrap_err().code,
                Code::InvalidTeamName,
                "{bad:?}"
            );
        }
        assert!(validate_team_description(&"x".repeat(100)).is_ok());
        assert!(validate_team_description(&"x".repeat(101)).is_err());
        assert_eq!(parse_visibility("public"), Ok(true));
        assert_eq!(parse_visibility("private"), Ok(false));
        for bad in ["", "Public", "internal"] {
            assert_eq!(
                parse_visibility(bad).unwrap_err().code,
                Code::InvalidVisibility
            );
        }
        assert_eq!(
            parse_access_level("admin"),
            Ok(crate::core::policy::Level::Admin)
        );
        for bad in ["", "none", "write", "ADMIN"] {
            assert_eq!(
                parse_access_level(bad).unwrap_err().code,
                Code::InvalidAccessLevel
            );
        }
    }

    #[test]
    fn external_names_find_their_registry() {
        for (name, host) in [
            ("registry.local/user1/image1", "registry.local"),
            ("host:5000/a/b", "host:5000"),
            ("localhost/x", "localhost"),
            ("localhost:5000/team/x", "localhost:5000"),
            ("my.registry.com/myrepo", "my.registry.com"),
            ("Registry.Example.com/a", "Registry.Example.com"),
            ("ubuntu", DOCKER_HUB_REGISTRY),
            ("library/ubuntu", DOCKER_HUB_REGISTRY),
            ("user/app-x/sub", DOCKER_HUB_REGISTRY),
            ("registry.local", DOCKER_HUB_REGISTRY),
        ] {
            assert_eq!(external_registry_host(name).unwrap(), host, "{name}");
        }
    }

    #[test]
    fn external_names_refuse_what_is_not_an_image_reference() {
        for bad in [
            "",
            "/",
            "a/",
            "/a",
            "a//b",
            "registry.local/",
            "Ubuntu",
            "user/App",
            "ubuntu:latest",
            "registry.local/a:tag",
            "registry.local/a@sha256:abc",
            "host:/a",
            "host:0/a",
            "host:65536/a",
            "host:123456/a",
            "host:5x/a",
            "-host.com/a",
            "ho_st.com/a",
            "a b/c",
            "registry.local/../etc",
            "registry.local/a/../b",
            "..",
            "a/..",
        ] {
            assert!(external_registry_host(bad).is_err(), "{bad:?}");
        }
        assert!(external_registry_host(&format!("r.io/{}", "a".repeat(250))).is_ok());
        assert!(external_registry_host(&format!("r.io/{}", "a".repeat(251))).is_err());
        assert_eq!(
            external_registry_host("a:b").unwrap_err().code,
            Code::InvalidRepositoryName
        );
    }
}
