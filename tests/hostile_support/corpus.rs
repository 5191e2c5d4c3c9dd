//! The hostile material of `tests/hostile.rs`: path segments, query strings, malformed and
//! mistyped JSON, body shapes with each field made hostile, forms, header sets and requests
//! malformed at the HTTP level.

use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};

use crate::common::routes::Dialect;

/// A password value that must never come back in any answer.
pub const SECRET: &str = "hostile-secret-7f3a9c";
/// A secret-looking value sent where the routes take no such value (a mistyped value, an
/// unknown enum value, an unknown field name, a bad query value): no error may repeat it.
/// Upper case and `!` keep it from being valid as any name.
pub const ECHO: &str = "Echo-S3cret!4c1f9e";
pub const IMAGE: &str = "9e89cc6f0bc3c38722009fe6857087b486531f9a779a0c17e3ed29dae8f12c4f";

/// What a probe may get back besides a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The application answers: a 4xx in the path's envelope.
    App,
    /// Malformed at the HTTP level: any 4xx, in the envelope or refused by the codec.
    Codec,
    /// As `Codec`, or no answer at all (an incomplete request whose sender went away).
    CodecOrDrop,
}

/// Path segments as they go on the wire (already percent-encoded where meant).
pub fn hostile_segments() -> Vec<String> {
    let mut v: Vec<String> = [
        "%00",
        "a%00b",
        "%2F",
        "a%2Fb",
        "%2e%2e",
        "..",
        ".",
        "%C3%BC%E2%9C%93",
        "%F0%9F%92%A9",
        "%ff",
        "a%fe%ffb",
        "%",
        "%zz",
        "a%2",
        "-1",
        "0",
        "99999999999999999999",
        "-9223372036854775808",
        "library",
        "UPPER",
        "a",
        "a..b",
        "-a-",
        "_",
        "%20",
        "%0D%0AX-Injected:%201",
        "%27%3B%20DROP%20TABLE%20accounts%3B--",
        "%3Cscript%3E",
        "%7Bname%7D",
        "~",
        "*",
        "a;b=c",
        "@",
        "%25",
        "%2525",
        "host:99999",
        "[::1]",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push("x".repeat(10_000));
    v.push("%C3%BC".repeat(2_000));
    v
}

/// Extra values for `{name:.+}`-style parameters that take slashes.
pub const HOSTILE_TAILS: &[&str] = &[
    "a/../../b",
    "../../etc/passwd",
    "%2e%2e/%2e%2e/x",
    "a//b",
    "registry.local/",
    "/",
    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p",
];

pub fn query_cases() -> Vec<String> {
    let mut v: Vec<String> = [
        "skip=-1&take=1e99",
        "take=-5",
        "skip=abc&take=0",
        "skip=9223372036854775807&take=9223372036854775807",
        "skip=99999999999999999999999",
        "page=abc",
        "page=0",
        "page=-1",
        "page=9223372036854775807&page_size=9223372036854775807",
        "page=9223372036854775807&page_size=-9223372036854775808",
        "n=1e99",
        "n=-1&page=-9223372036854775808",
        "n=9223372036854775807&page=9223372036854775807",
        "limit=-1&offset=-1",
        "limit=9223372036854775807&offset=9223372036854775807",
        "limit=1.5&offset=1e3",
        "skip=1&skip=2&take=1&take=x",
        "page=1&page=2&page=x",
        "q=%zz",
        "q=%ff%fe",
        "q=%00",
        "q=a&q=b",
        "folder=%ff&startAfter=%00",
        "folder=/../..&startAfter=%2F",
        "repository=%2e%2e%2F%2e%2e&tagName=%ff",
        "repository=library/&tagName=",
        "path=/../..",
        "path=%00",
        "next=//evil.example&done=%ff",
        "next=javascript:alert(1)",
        "sort=%00&page=%ff",
        "registry=%ff&name=%zz",
        "registry=/api/repo/v1/x/registry/../../&name=",
        "&&&===&",
        "=",
        "%",
        "a[b]=c&a[]=d",
        "+++=+++",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // The echo marker as every parameter's value (twice: duplicate fields) and as a name.
    let names = [
        "skip",
        "take",
        "page",
        "page_size",
        "n",
        "limit",
        "offset",
        "start",
        "registry",
        "folder",
        "startAfter",
        "tagName",
        "isPublic",
    ];
    v.push(
        names
            .iter()
            .map(|n| format!("{n}={ECHO}"))
            .collect::<Vec<_>>()
            .join("&"),
    );
    v.push(
        names
            .iter()
            .map(|n| format!("{n}={ECHO}&{n}={ECHO}"))
            .collect::<Vec<_>>()
            .join("&"),
    );
    v.push(format!("{ECHO}={ECHO}"));
    v.push(format!("q={}", "a".repeat(10_000)));
    v.push(format!("folder={}", "b".repeat(10_000)));
    v.push(
        (0..300)
            .map(|i| format!("p{i}=v"))
            .collect::<Vec<_>>()
            .join("&"),
    );
    v
}

/// Bodies that are not JSON at all.
pub fn malformed_json() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "{\"a\":",
        "{\"a\" 1}",
        "{'a':1}",
        "{a:1}",
        "{\"a\":1,}",
        "[1,]",
        "nul",
        "tru",
        "01",
        "1e999999",
        "-",
        "+1",
        "0x10",
        "NaN",
        "Infinity",
        "{\"a\":1}garbage",
        "{}{}",
        "\0",
        "\u{feff}{}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\x\"}",
        "\"unterminated",
        "{\"name\":\"\u{0}\u{1}\u{1f}\"}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    v.push(b"{\"name\":\"\xff\xfe\"}".to_vec());
    v.push(b"\xff\xfe{\x00}\x00".to_vec());
    v.push("[".repeat(100_000).into_bytes());
    v.push("{\"a\":".repeat(50_000).into_bytes());
    v.push(format!("{{\"a\":\"{}", "a".repeat(500_000)).into_bytes());
    v
}

/// JSON, but of the wrong type where an object (or, for the Index, an array) is expected.
pub fn wrong_types() -> Vec<Value> {
    let nest = |depth: usize| {
        let mut v = json!(1);
        for _ in 0..depth {
            v = json!({ "a": v });
        }
        v
    };
    vec![
        json!([]),
        json!([{}]),
        json!([[]]),
        json!("string"),
        json!(123),
        json!(1.5),
        json!(-1),
        json!(null),
        json!(true),
        json!({}),
        json!({"": null}),
        json!([1, "x", null, {}]),
        json!([{"id": 1}]),
        json!([{"id": "not-hex"}]),
        json!([{"id": IMAGE, "checksum": [1]}]),
        json!([{"id": IMAGE.to_uppercase(), "Tag": {}}]),
        nest(100),
        json!((0..5000)
            .map(|i| json!({"id": format!("{i:064x}")}))
            .collect::<Vec<_>>()),
    ]
}

/// Body shapes the dialects take (from the request structs in `src/api`), with valid-typed
/// values; each field in turn gets each hostile value.
pub fn shapes(dialect: Dialect) -> Vec<Value> {
    match dialect {
        Dialect::Dtr => vec![
            json!({"type": "user", "name": "hostile-dtr", "password": SECRET}),
            json!({"type": "organization", "name": "hostile-org"}),
            json!({"oldPassword": SECRET, "newPassword": SECRET}),
            json!({"name": "hostile-team", "description": "d", "type": "managed"}),
            json!({"accessLevel": "read-only"}),
            json!({"name": "hostile-repo", "shortDescription": "s", "longDescription": "l", "visibility": "public"}),
        ],
        Dialect::V1 => vec![
            json!({"username": "hostile-idx", "password": SECRET, "email": "h@example.com"}),
            json!({"email": "h2@example.com", "password": SECRET}),
            json!({"username": "hostile-idx", "password": SECRET}),
            json!({"repo_name": "hostile-al", "description": "d", "namespace": "alice", "is_public": true, "full_description": "f"}),
            json!([{"id": IMAGE, "checksum": "sha256:0", "Tag": "latest"}]),
        ],
        Dialect::Cloud => vec![
            json!({"name": "registry.local/admin/hostile", "username": "u", "password": SECRET}),
        ],
        _ => vec![],
    }
}

pub fn hostile_values() -> Vec<Value> {
    vec![
        json!(-1),
        json!(1.5e300),
        json!(true),
        json!(null),
        json!([1, "x"]),
        json!({"a": {"b": []}}),
        json!(""),
        json!("a".repeat(73)),
        json!("a".repeat(30_000)),
        json!("x\u{0}y"),
        json!("\u{1F4A9}\u{202E}<script>"),
        json!("../../etc"),
        json!(ECHO),
    ]
}

/// Every variant of `shape` with one field (or, for an array, one element's field)
/// replaced.
pub fn rotate(shape: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for v in hostile_values() {
        match shape {
            Value::Object(map) => {
                for k in map.keys() {
                    let mut m = map.clone();
                    m.insert(k.clone(), v.clone());
                    out.push(Value::Object(m));
                }
            }
            Value::Array(items) => {
                out.push(json!([v.clone()]));
                if let Some(Value::Object(first)) = items.first() {
                    for k in first.keys() {
                        let mut m = first.clone();
                        m.insert(k.clone(), v.clone());
                        out.push(json!([Value::Object(m)]));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

pub const FORM_FIELDS: &[&str] = &[
    "username",
    "password",
    "next",
    "email",
    "old_password",
    "new_password",
    "name",
    "namespace",
    "description",
    "value",
    "registration",
    "public_api",
    "team",
    "level",
    "user",
    "action",
    "short_description",
    "long_description",
    "visibility",
    "grantee",
    "confirm",
];

/// Form bodies (urlencoded), `T` standing for the CSRF token.
pub fn forms() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        "csrf=T",
        "csrf=T&%zz=%zz",
        "csrf=T&name=%ff%fe",
        "%ff=%ff&csrf=T",
        "csrf=T&csrf=U",
        "csrf=T&name=a&name=b",
        "===",
        "&&&",
        "csrf",
        "csrf=T;name=x",
        "csrf=T&\0=\0",
        "csrf=%00",
        "csrf=T&name=%",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.push(format!("csrf=T{}", "&a=b".repeat(20_000)));
    let values = [
        String::new(),
        "a".repeat(73),
        "a".repeat(30_000),
        "%00".to_owned(),
        "%F0%9F%92%A9%E2%80%AE".to_owned(),
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
        "on".to_owned(),
        "off".to_owned(),
        "none".to_owned(),
        "add".to_owned(),
        "remove".to_owned(),
        "public".to_owned(),
        "read-write".to_owned(),
        "-1".to_owned(),
        "..%2F..".to_owned(),
    ];
    for value in values {
        let fields: Vec<String> = FORM_FIELDS.iter().map(|f| format!("{f}={value}")).collect();
        v.push(format!("csrf=T&{}", fields.join("&")));
    }
    v
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Header sets for every route; each is (family, headers, expect, no default Host).
pub type Headers = Vec<(String, Arc<[u8]>)>;

pub fn header_cases() -> Vec<(&'static str, Headers, Expect, bool)> {
    let h = |pairs: &[(&str, Vec<u8>)]| -> Headers {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone().into()))
            .collect()
    };
    let s = |x: &str| x.as_bytes().to_vec();
    let mut cases = vec![
        (
            "header-64k",
            h(&[("X-Big", "a".repeat(64 * 1024).into_bytes())]),
            Expect::App,
            false,
        ),
        (
            "auth-huge-basic",
            h(&[(
                "Authorization",
                format!(
                    "Basic {}",
                    b64(format!("hostile-u:{}", "p".repeat(48 * 1024)).as_bytes())
                )
                .into_bytes(),
            )]),
            Expect::App,
            false,
        ),
        (
            "auth-huge-user",
            h(&[(
                "Authorization",
                format!(
                    "Basic {}",
                    b64(format!("{}:pw", "u".repeat(40 * 1024)).as_bytes())
                )
                .into_bytes(),
            )]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[("Authorization", s("Basic !!!not-base64"))]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[("Authorization", s("Basic "))]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[("Authorization", s("Basic"))]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[(
                "Authorization",
                format!("Basic {}", b64(b"nocolon")).into_bytes(),
            )]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[(
                "Authorization",
                format!("Basic {}", b64(b"\xff\xfe:\xff\x00")).into_bytes(),
            )]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[("Authorization", format!("Basic {}", b64(b":")).into_bytes())]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[(
                "Authorization",
                format!("Token {}", "t".repeat(60 * 1024)).into_bytes(),
            )]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[(
                "Authorization",
                s("Token signature=,repository=\"\",access="),
            )]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[(
                "Authorization",
                s("Token signature=x,repository=\"alice/pub\",access=write"),
            )]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[(
                "Authorization",
                s("Token signature=x,repository=\"alice/pub,access=delete"),
            )]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[("Authorization", s("Bearer x"))]),
            Expect::App,
            false,
        ),
        (
            "auth-odd",
            h(&[("Authorization", b"Basic \xff\xfe".to_vec())]),
            Expect::App,
            false,
        ),
        // A control character in a header value: the codec's 400.
        (
            "auth-odd",
            h(&[("Authorization", b"Basic \x01".to_vec())]),
            Expect::Codec,
            false,
        ),
        (
            "auth-odd",
            h(&[
                ("Authorization", s("Basic a")),
                ("Authorization", s("Token b")),
            ]),
            Expect::App,
            false,
        ),
        (
            "cookie-huge",
            h(&[("Cookie", "c".repeat(64 * 1024).into_bytes())]),
            Expect::App,
            false,
        ),
        (
            "cookie-odd",
            h(&[(
                "Cookie",
                format!(
                    "berth_session={}; berth_csrf={}",
                    "A".repeat(43),
                    "B".repeat(43)
                )
                .into_bytes(),
            )]),
            Expect::App,
            false,
        ),
        (
            "cookie-odd",
            h(&[("Cookie", b"berth_session=\xff\xfe; berth_csrf=%00".to_vec())]),
            Expect::App,
            false,
        ),
        (
            "cookie-odd",
            h(&[("Cookie", "a=b; ".repeat(5000).into_bytes())]),
            Expect::App,
            false,
        ),
        (
            "cookie-odd",
            h(&[("Cookie", s("=;=;;;berth_session"))]),
            Expect::App,
            false,
        ),
        (
            "headers-90",
            (0..90)
                .map(|i| (format!("X-H{i}"), s("v").into()))
                .collect(),
            Expect::App,
            false,
        ),
        (
            "host-odd",
            h(&[("Host", "h".repeat(10_000).into_bytes())]),
            Expect::App,
            true,
        ),
        (
            "host-odd",
            h(&[("Host", s("evil.example:99999"))]),
            Expect::App,
            true,
        ),
        ("host-odd", h(&[("Host", s("a b"))]), Expect::App, true),
        ("host-odd", h(&[("Host", s(""))]), Expect::App, true),
        ("host-odd", h(&[("Host", s("[::1"))]), Expect::App, true),
        (
            "host-odd",
            h(&[("Host", b"\xff".to_vec())]),
            Expect::App,
            true,
        ),
        (
            "docker-token",
            h(&[("X-Docker-Token", s("true"))]),
            Expect::App,
            false,
        ),
        (
            "docker-token",
            h(&[("X-Docker-Token", "x".repeat(10_000).into_bytes())]),
            Expect::App,
            false,
        ),
        (
            "forwarded",
            h(&[
                (
                    "Forwarded",
                    s("for=\"[::1\";proto=javascript;host=\"evil\""),
                ),
                ("X-Forwarded-Proto", "p".repeat(10_000).into_bytes()),
                ("X-Forwarded-Host", b"\xff\xfe".to_vec()),
            ]),
            Expect::App,
            false,
        ),
        (
            "origin",
            h(&[("Origin", s("null")), ("Sec-Fetch-Site", s("cross-site"))]),
            Expect::App,
            false,
        ),
        (
            "origin",
            h(&[("Origin", b"http://\xff\xfe".to_vec())]),
            Expect::App,
            false,
        ),
        (
            "accept",
            h(&[
                ("Accept", s("*/*;q=abc, text/html;q=-1")),
                ("Accept-Encoding", s("gzip;q=x")),
            ]),
            Expect::App,
            false,
        ),
        (
            "content-type",
            h(&[("Content-Type", s("application/json; charset=utf-16"))]),
            Expect::App,
            false,
        ),
        (
            "content-type",
            h(&[("Content-Type", s("multipart/form-data; boundary="))]),
            Expect::App,
            false,
        ),
        (
            "content-type",
            h(&[("Content-Type", b"\xff/\xfe".to_vec())]),
            Expect::App,
            false,
        ),
        (
            "expect",
            h(&[("Expect", s("100-continue"))]),
            Expect::App,
            false,
        ),
        ("expect", h(&[("Expect", s("bogus"))]), Expect::App, false),
        (
            "connection",
            h(&[("Connection", s("upgrade")), ("Upgrade", s("websocket"))]),
            Expect::Codec,
            false,
        ),
    ];
    // Refused by the HTTP codec, before any middleware.
    cases.push((
        "headers-120",
        (0..120)
            .map(|i| (format!("X-H{i}"), s("v").into()))
            .collect(),
        Expect::Codec,
        false,
    ));
    cases.push((
        "header-200k",
        h(&[("X-Big", "a".repeat(200 * 1024).into_bytes())]),
        Expect::Codec,
        false,
    ));
    for cl in ["-1", "abc", "1, 2", "99999999999999999999999", "+5", " "] {
        cases.push((
            "content-length-odd",
            h(&[("Content-Length", s(cl))]),
            Expect::Codec,
            false,
        ));
    }
    cases.push((
        "framing-odd",
        h(&[
            ("Content-Length", s("0")),
            ("Transfer-Encoding", s("chunked")),
        ]),
        Expect::Codec,
        false,
    ));
    cases.push((
        "framing-odd",
        h(&[("Transfer-Encoding", s("gzip"))]),
        Expect::Codec,
        false,
    ));
    cases.push((
        "framing-odd",
        h(&[("Transfer-Encoding", s("gzip, chunked"))]),
        Expect::Codec,
        false,
    ));
    cases.push((
        "framing-odd",
        h(&[("Content-Length", s("0")), ("Content-Length", s("5"))]),
        Expect::Codec,
        false,
    ));
    cases
}

/// Requests malformed at the HTTP level, sent byte for byte to `path`. A request left
/// incomplete (`CodecOrDrop`) is followed by closing our sending side: the server waits for
/// the rest of a body as long as the connection is open, as any HTTP server does.
///
/// Bodies go to `post`, a route of the same dialect that reads one, with `auth` (header
/// lines) so that they get past the door.
pub fn raw_cases(path: &str, post: &str, auth: &str) -> Vec<(Vec<u8>, Expect)> {
    let host = "Host: 127.0.0.1\r\n";
    let posting = format!("POST {post} HTTP/1.1\r\n{host}{auth}");
    let mut out: Vec<(Vec<u8>, Expect)> = Vec::new();
    let mut add = |bytes: Vec<u8>, e: Expect| out.push((bytes, e));
    let s = |x: String| x.into_bytes();
    add(
        s(format!("GET {path} HTTP/2.0\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!("GET {path} HTTP/1.2\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!("GET {path} HTTP/0.9\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!("GET {path} FOO/1.1\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(s(format!("GET {path}\r\n{host}\r\n")), Expect::CodecOrDrop);
    add(
        s(format!("GET  {path} HTTP/1.1\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(s(format!("get {path} HTTP/1.1\r\n{host}\r\n")), Expect::App);
    add(
        s(format!(
            "{} {path} HTTP/1.1\r\n{host}\r\n",
            "G".repeat(5_000)
        )),
        Expect::App,
    );
    add(
        s(format!("G(T {path} HTTP/1.1\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!("GET {path}/\0 HTTP/1.1\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!("GET {path}/a b HTTP/1.1\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!("GET {path}/\u{fc}\u{2713} HTTP/1.1\r\n{host}\r\n")),
        Expect::Codec,
    );
    let mut bad = format!("GET {path}/").into_bytes();
    bad.extend_from_slice(b"\xff\x01 HTTP/1.1\r\n");
    bad.extend_from_slice(host.as_bytes());
    bad.extend_from_slice(b"\r\n");
    add(bad, Expect::Codec);
    add(
        s(format!(
            "GET http://evil.example{path} HTTP/1.1\r\n{host}\r\n"
        )),
        Expect::App,
    );
    add(
        s(format!("GET 127.0.0.1:80 HTTP/1.1\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!("OPTIONS * HTTP/1.1\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!(
            "GET {path} HTTP/1.1\r\nBad Header: x\r\n{host}\r\n"
        )),
        Expect::Codec,
    );
    add(
        s(format!("GET {path} HTTP/1.1\r\nNoColon\r\n{host}\r\n")),
        Expect::Codec,
    );
    add(
        s(format!(
            "GET {path} HTTP/1.1\r\n{host}X-A: a\r\n folded\r\n\r\n"
        )),
        Expect::Codec,
    );
    add(
        s(format!("GET {path} HTTP/1.1\r\n{host}X-A: a\0b\r\n\r\n")),
        Expect::Codec,
    );
    add(
        s(format!("GET {path} HTTP/1.1\n{}\n\n", host.trim_end())),
        Expect::App,
    );
    add(s(format!("GET {path} HTTP/1.1\r\n\r\n")), Expect::Codec);
    // A request target over 64 KiB (the `http` crate's limit for a URI).
    add(
        s(format!(
            "GET {path}?q={} HTTP/1.1\r\n{host}\r\n",
            "q".repeat(70_000)
        )),
        Expect::Codec,
    );
    add(s(format!("GET {path} HTTP/1.0\r\n\r\n")), Expect::App);
    add(
        s(format!("GET {path} HTTP/1.1\r\n{host}{host}\r\n")),
        Expect::Codec,
    );
    add(
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
        Expect::CodecOrDrop,
    );
    add(b"\r\n\r\n\r\n".to_vec(), Expect::CodecOrDrop);
    add(b"\0\0\0\0\0\0\0\0\r\n\r\n".to_vec(), Expect::Codec);
    add(
        s(format!("{posting}Transfer-Encoding: chunked\r\n\r\nzz\r\n")),
        Expect::CodecOrDrop,
    );
    add(
        s(format!(
            "{posting}Transfer-Encoding: chunked\r\n\r\n5;{}\r\nhello\r\n0\r\n\r\n",
            "e".repeat(100_000)
        )),
        Expect::CodecOrDrop,
    );
    add(
        s(format!(
            "{posting}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"
        )),
        Expect::CodecOrDrop,
    );
    add(
        s(format!("{posting}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n")),
        Expect::CodecOrDrop,
    );
    add(
        s(format!("{posting}Content-Length: 10\r\n\r\n{{}}")),
        Expect::CodecOrDrop,
    );
    out
}
