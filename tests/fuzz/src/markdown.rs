//! `berth::markdown::render`: whatever the description, the HTML that pages print unescaped
//! runs no script, loads no style, and is a fixed point of the sanitizer.

use berth::markdown::render;

/// Elements that run script, carry style, embed other content or submit forms.
const FORBIDDEN_TAGS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "meta",
    "link",
    "base",
    "template",
    "noscript",
    "xmp",
    "plaintext",
    "noembed",
    "noframes",
    "portal",
];

/// Attributes whose value a browser follows as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "longdesc",
    "background",
    "poster",
    "srcset",
    "data",
    "codebase",
    "usemap",
    "xlink:href",
];

/// Attributes that carry script, style or a document of their own.
const FORBIDDEN_ATTRIBUTES: &[&str] = &["style", "srcdoc", "formaction", "http-equiv"];

pub fn check(markdown: &str) {
    let html = render(markdown);
    assert_eq!(
        html,
        render(markdown),
        "render is not deterministic: {markdown:?}"
    );
    let html = html.as_str();
    let lower = html.to_ascii_lowercase();
    for bad in ["<script", "<style", "<iframe", "<!--", "<![cdata["] {
        assert!(!lower.contains(bad), "{bad} in {html:?} from {markdown:?}");
    }
    for tag in tags(html, markdown) {
        assert!(
            !FORBIDDEN_TAGS.contains(&tag.name.as_str()),
            "<{}> in {html:?} from {markdown:?}",
            tag.name
        );
        for (name, value) in &tag.attributes {
            assert!(
                !name.starts_with("on") && !FORBIDDEN_ATTRIBUTES.contains(&name.as_str()),
                "attribute {name} in {html:?} from {markdown:?}"
            );
            if URL_ATTRIBUTES.contains(&name.as_str()) {
                let url = as_browser_reads_url(value);
                for scheme in ["javascript:", "vbscript:", "data:", "livescript:"] {
                    assert!(
                        !url.starts_with(scheme),
                        "{name}={value:?} in {html:?} from {markdown:?}"
                    );
                }
            }
        }
    }
    // The browser parses the stored HTML again. That parse may nest elements differently
    // from the sanitizer's tree (a `<p>` left inside a `<p>` when an `<object>` around it
    // was dropped, text pushed out of a table), which is harmless; but it must not turn
    // text into markup or markup into text (mutation XSS). Sanitizing again parses as the
    // browser does: the text keeps its characters.
    let again = ammonia::Builder::default().clean(html).to_string();
    let (before, after) = (
        text_characters(html, markdown),
        text_characters(&again, markdown),
    );
    assert_eq!(
        before, after,
        "the text changes when the HTML is parsed again: {html:?} -> {again:?}, from {markdown:?}"
    );
}

/// The characters of the text (entities decoded, white space left out), sorted: what a
/// re-parse keeps even when it moves text around.
fn text_characters(html: &str, markdown: &str) -> Vec<char> {
    let (_, text) = parse(html, markdown);
    let mut chars: Vec<char> = decode_entities(&text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    chars.sort_unstable();
    chars
}

pub struct Tag {
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

/// The start tags of HTML as html5ever serializes it (what ammonia returns): `<name`, then
/// attributes `name="value"` with `&`, `"` and no-break spaces escaped, then `>`; text never
/// holds a bare `<` or `>`; no comments. Anything else fails the check.
fn tags(html: &str, markdown: &str) -> Vec<Tag> {
    parse(html, markdown).0
}

/// The start tags, and the text between tags (still escaped).
fn parse(html: &str, markdown: &str) -> (Vec<Tag>, String) {
    let mut out = Vec::new();
    let mut text = String::new();
    let b = html.as_bytes();
    let mut i = 0;
    let fail = |what: &str, at: usize| -> ! {
        panic!("{what} at byte {at} of {html:?} from {markdown:?}")
    };
    while i < b.len() {
        if b[i] != b'<' {
            let next = html[i..].find('<').map_or(html.len(), |n| i + n);
            text.push_str(&html[i..next]);
            if html[i..next].contains('>') {
                fail("a bare '>' in text", i);
            }
            i = next;
            continue;
        }
        i += 1;
        let end_tag = b.get(i) == Some(&b'/');
        if end_tag {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric()) {
            i += 1;
        }
        if i == start {
            fail("a '<' that opens no tag", start);
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attributes = Vec::new();
        loop {
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            match b.get(i) {
                None => fail("an unclosed tag", start),
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(_) if end_tag => fail("an end tag with attributes", i),
                Some(_) => {}
            }
            let name_start = i;
            while i < b.len() && !matches!(b[i], b'=' | b' ' | b'>') {
                i += 1;
            }
            let attr = html[name_start..i].to_ascii_lowercase();
            if b.get(i) != Some(&b'=') || b.get(i + 1) != Some(&b'"') {
                fail("an attribute without a quoted value", name_start);
            }
            i += 2;
            let value_start = i;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            if i == b.len() {
                fail("an unterminated attribute value", value_start);
            }
            attributes.push((attr, decode_entities(&html[value_start..i])));
            i += 1;
        }
        if !end_tag {
            out.push(Tag { name, attributes });
        }
    }
    (out, text)
}

/// Character references, as a browser decodes them.
fn decode_entities(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let body = &rest[1..e];
            let c = match body {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "nbsp" => Some('\u{a0}'),
                "colon" => Some(':'),
                "Tab" => Some('\t'),
                "NewLine" => Some('\n'),
                _ => body
                    .strip_prefix("#x")
                    .or_else(|| body.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| body.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A URL as the browser's URL parser sees its scheme: leading and trailing C0 controls and
/// spaces dropped, tabs and newlines removed anywhere, ASCII lower-cased.
fn as_browser_reads_url(value: &str) -> String {
    value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
}
