//! What of a deserializer's message may be repeated to a client: the parts that come from our
//! own types, never what the client sent.

/// A framework error's own words (`Json deserialize error: ...` is `Json deserialize error`):
/// the part before any detail, which is where frameworks put what the client sent.
pub(super) fn framework_summary(detail: &str) -> Option<String> {
    let head = detail.split(':').next().unwrap_or("").trim();
    let quotes = |c: char| matches!(c, '"' | '`' | '\'');
    (!head.is_empty() && !head.contains(quotes)).then(|| head.to_owned())
}

/// `"{what}: {detail}"` with [`client_safe`]'s version of a deserializer's message, or just
/// `what` when nothing of it is safe to repeat.
pub fn with_safe_detail(what: &str, detail: &str) -> String {
    match client_safe(detail) {
        Some(safe) => format!("{what}: {safe}"),
        None => what.to_owned(),
    }
}

/// What a serde (JSON, query string, form) error message says, rebuilt from its parts that
/// come from our own types: the kinds of value involved, what was expected, our field names,
/// the position. Anything the client sent (a value, an unknown field or variant name, a
/// length) is left out, replaced by `…`. A message of another shape is not repeated at all
/// (`None`): a custom deserializer could have quoted its input in it.
pub fn client_safe(detail: &str) -> Option<String> {
    // The framework's wrappers say nothing the route's name does not.
    let mut msg = detail.trim();
    for wrapper in ["Query deserialize error: ", "Json deserialize error: "] {
        msg = msg.strip_prefix(wrapper).unwrap_or(msg);
    }
    // serde_json ends with the position; it is ours to say.
    let (msg, position) = match msg.rsplit_once(" at line ") {
        Some((head, pos)) if is_position(pos) => (head, format!(" at line {pos}")),
        _ => (msg, String::new()),
    };
    let safe = rebuild(msg)?;
    Some(format!("{safe}{position}"))
}

/// `N column M`.
fn is_position(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    s.split_once(" column ")
        .is_some_and(|(line, col)| digits(line) && digits(col))
}

/// serde's messages without the client's text (see [`client_safe`]).
fn rebuild(msg: &str) -> Option<String> {
    // `{client text}, expected {ours}`: ours is the part after the *last* ", expected ", since
    // the client's text comes first and may itself contain that separator.
    let expected = |rest: &str| {
        rest.rsplit_once(", expected ")
            .map(|(_, exp)| format!(", expected {exp}"))
    };
    for (prefix, label) in [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let (unexpected, exp) = match rest.rsplit_once(", expected ") {
                Some((u, e)) => (u, format!(", expected {e}")),
                None => (rest, String::new()),
            };
            return Some(format!("{label}: {}{exp}", value_kind(unexpected)));
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        return Some(format!(
            "invalid length{}",
            expected(rest).unwrap_or_default()
        ));
    }
    for (prefix, none) in [
        ("unknown variant ", ", there are no variants"),
        ("unknown field ", ", there are no fields"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let tail = if rest.ends_with(none) {
                none.to_owned()
            } else {
                expected(rest).unwrap_or_default()
            };
            return Some(format!("{}…{tail}", prefix));
        }
    }
    // Names from our own structs: plain identifiers between backticks.
    for prefix in ["missing field ", "duplicate field "] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let name = rest.strip_prefix('`').and_then(|r| r.strip_suffix('`'));
            return Some(match name {
                Some(n) if is_identifier(n) => msg.to_owned(),
                _ => format!("{prefix}…"),
            });
        }
    }
    // Fixed texts: serde_json's syntax errors, the std parse errors serde_urlencoded repeats.
    const FIXED: &[&str] = &[
        "EOF while parsing a list",
        "EOF while parsing an object",
        "EOF while parsing a string",
        "EOF while parsing a value",
        "expected `:`",
        "expected `,` or `]`",
        "expected `,` or `}`",
        "expected ident",
        "expected value",
        "expected `\"`",
        "invalid escape",
        "invalid number",
        "number out of range",
        "invalid unicode code point",
        "control character (\\u0000-\\u001F) found while parsing a string",
        "key must be a string",
        "invalid value: expected key to be a number in quotes",
        "float key must be finite (got NaN or +/-inf)",
        "lone leading surrogate in hex escape",
        "trailing comma",
        "trailing characters",
        "unexpected end of hex escape",
        "recursion limit exceeded",
        "invalid digit found in string",
        "cannot parse integer from empty string",
        "number too large to fit in target type",
        "number too small to fit in target type",
        "invalid float literal",
        "provided string was not `true` or `false`",
    ];
    if FIXED.contains(&msg) {
        return Some(msg.to_owned());
    }
    if let Some(name) = msg.strip_prefix("data did not match any variant of untagged enum ") {
        if is_identifier(name) {
            return Some(msg.to_owned());
        }
    }
    None
}

/// The kind of an unexpected value as serde names it (`string "x"` is `string …`), without
/// the value; a kind serde does not name is `a value`.
fn value_kind(unexpected: &str) -> String {
    const KINDS: &[&str] = &[
        "boolean",
        "integer",
        "floating point",
        "character",
        "string",
        "byte array",
        "unit value",
        "Option value",
        "newtype struct",
        "sequence",
        "map",
        "enum",
        "unit variant",
        "newtype variant",
        "tuple variant",
        "struct variant",
        "null",
    ];
    for kind in KINDS {
        if unexpected == *kind {
            return (*kind).to_owned();
        }
        if unexpected
            .strip_prefix(kind)
            .is_some_and(|rest| rest.starts_with(' '))
        {
            return format!("{kind} …");
        }
    }
    "a value …".to_owned()
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    /// The client's text in every position serde quotes it, for JSON and query strings.
    #[test]
    fn deserializer_messages_never_echo_the_client() {
        use serde::Deserialize;

        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum Visibility {
            #[serde(rename = "public")]
            Public,
            #[serde(rename = "private")]
            Private,
        }
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            name: String,
            count: Option<u32>,
            visibility: Option<Visibility>,
            tags: Option<[String; 2]>,
            flag: Option<bool>,
            letter: Option<char>,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Query {
            skip: Option<u32>,
            visibility: Option<Visibility>,
            flag: Option<bool>,
        }

        const S: &str = "Sekr1t, expected hunter2";
        let json = |body: String| {
            let e = serde_json::from_str::<Body>(&body).unwrap_err();
            Error::invalid_json(e).message.into_owned()
        };
        let value = |body: serde_json::Value| {
            let e = serde_json::from_value::<Body>(body).unwrap_err();
            Error::invalid_json(e).message.into_owned()
        };
        let query = |q: String| {
            let e = serde_urlencoded::from_str::<Query>(&q).unwrap_err();
            Error::invalid_query(e).message.into_owned()
        };
        let cases: Vec<(String, &str)> = vec![
            // strings where a number, an enum, a bool, a list are expected
            (json(format!(r#"{{"name": "x", "count": "{S}"}}"#)),
             "invalid JSON body: invalid type: string …, expected u32 at line 1 column 49"),
            (json(format!(r#"{{"name": "x", "visibility": "{S}"}}"#)),
             "invalid JSON body: unknown variant …, expected `public` or `private` at line 1 column 54"),
            (json(format!(r#"{{"name": "x", "{S}": 1}}"#)),
             "invalid JSON body: unknown field …, expected one of `name`, `count`, `visibility`, `tags`, `flag`, `letter` at line 1 column 40"),
            (json(format!(r#"{{"name": "x", "letter": "{S}"}}"#)),
             "invalid JSON body: invalid value: string …, expected a character at line 1 column 50"),
            (json(format!(r#"{{"name": "x", "tags": ["{S}"]}}"#)),
             "invalid JSON body: invalid length, expected an array of length 2 at line 1 column 50"),
            (json(format!(r#"{{"name": "x", "flag": "{S}"}}"#)),
             "invalid JSON body: invalid type: string …, expected a boolean at line 1 column 48"),
            // numbers and booleans where strings are expected
            (json(r#"{"name": 987654321}"#.into()),
             "invalid JSON body: invalid type: integer …, expected a string at line 1 column 18"),
            (json(r#"{"name": -98765.4321}"#.into()),
             "invalid JSON body: invalid type: floating point …, expected a string at line 1 column 20"),
            (json(r#"{"name": true}"#.into()),
             "invalid JSON body: invalid type: boolean …, expected a string at line 1 column 13"),
            (json(r#"{"name": null}"#.into()),
             "invalid JSON body: invalid type: null, expected a string at line 1 column 13"),
            (json(r#"{"name": "x", "count": 98765432109}"#.into()),
             "invalid JSON body: invalid value: integer …, expected u32 at line 1 column 34"),
            (json(r#"["a"]"#.into()),
             "invalid JSON body: invalid length, expected struct Body with 6 elements at line 1 column 5"),
            // syntax and end of input
            (json(format!(r#"{{"name": "{S}""#)),
             "invalid JSON body: EOF while parsing an object at line 1 column 35"),
            (json(format!(r#"{{"name": {S}}}"#)),
             "invalid JSON body: expected value at line 1 column 10"),
            (json(format!(r#"{{"name": "x"}} {S}"#)),
             "invalid JSON body: trailing characters at line 1 column 15"),
            (json(r#"{"name": "\q"}"#.into()),
             "invalid JSON body: invalid escape at line 1 column 12"),
            (json(format!(r#"{{"{S}"#)),
             "invalid JSON body: EOF while parsing a string at line 1 column 26"),
            (json(r#"{"count": 1}"#.into()),
             "invalid JSON body: missing field `name` at line 1 column 12"),
            (json(r#"{"name": "a", "name": "b"}"#.into()),
             "invalid JSON body: duplicate field `name` at line 1 column 20"),
            // from a `Value` (no position)
            (value(serde_json::json!({"name": "x", "count": S})),
             "invalid JSON body: invalid type: string …, expected u32"),
            (value(serde_json::json!({"name": "x", "visibility": S})),
             "invalid JSON body: unknown variant …, expected `public` or `private`"),
            (value(serde_json::json!({"name": "x", S: 1})),
             "invalid JSON body: unknown field …, expected one of `name`, `count`, `visibility`, `tags`, `flag`, `letter`"),
            (value(serde_json::json!({"name": S.len()})),
             "invalid JSON body: invalid type: integer …, expected a string"),
            // query strings
            (query("skip=Sekr1t".into()),
             "invalid query string: invalid digit found in string"),
            (query("visibility=Sekr1t".into()),
             "invalid query string: unknown variant …, expected `public` or `private`"),
            (query("flag=Sekr1t".into()),
             "invalid query string: provided string was not `true` or `false`"),
            (query("skip=1&skip=2".into()),
             "invalid query string: duplicate field `skip`"),
        ];
        let wrong: Vec<_> = cases.iter().filter(|(got, want)| got != want).collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        for (got, _) in &cases {
            assert!(
                !["Sekr1t", "hunter2", "987"].iter().any(|s| got.contains(s)),
                "{got}"
            );
        }
        // A message of an unknown shape is not repeated; a quoted wrapper is cut.
        assert_eq!(
            Error::invalid_json("bad thing Sekr1t").message,
            "invalid JSON body"
        );
        assert_eq!(
            Error::invalid_json("missing field `Sekr1t!`").message,
            "invalid JSON body: missing field …"
        );
        assert_eq!(
            framework_summary("Parse error: \"Sekr1t\"").as_deref(),
            Some("Parse error")
        );
        assert_eq!(framework_summary("\"Sekr1t\": bad"), None);
    }
}
