//! Markdown to HTML: pulldown-cmark renders, ammonia cleans, and the result is a
//! [`SanitizedHtml`], the only type a template may mark safe.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::{escape_href, escape_html};

/// HTML that has been through ammonia. It can only be made by [`render`], or from the
/// stored column that [`render`] wrote ([`SanitizedHtml::from_stored`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SanitizedHtml(String);

impl SanitizedHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Wrap HTML read back from `repositories.long_description_html`, which only
    /// [`render`] writes.
    pub fn from_stored(html: String) -> Self {
        SanitizedHtml(html)
    }
}

impl fmt::Display for SanitizedHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Templates print a `SanitizedHtml` as it is (askama's escaping marker): the one value a
/// template may show unescaped, because only [`render`] makes it. No template uses `|safe`.
impl askama::filters::HtmlSafe for SanitizedHtml {}

/// The version of what [`render`] makes. Stored descriptions rendered by an older version are
/// rendered again when a store opens (`store::open`), so every description follows one rule.
pub const RENDER_VERSION: i64 = 2;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Render user markdown to HTML that can run no script, carry no style and embed no frame.
/// Images stay, from `https:` URLs only, with `referrerpolicy="no-referrer"` and
/// `loading="lazy"` (`docs/registryui.md`: Docker Hub and RegistryUI show README images); the
/// RegistryUI size suffix `![alt](url =80x70px)` becomes `width`/`height`.
pub fn render(markdown: &str) -> SanitizedHtml {
    let markdown = mark_image_sizes(markdown);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(
        &mut raw,
        sized_images(Parser::new_ext(&markdown, options())),
    );
    SanitizedHtml(sanitize(&raw))
}

/// The sanitizer: ammonia's defaults (no script, style, frame, form or event handler), images
/// from `https:` only, which fetch only when shown ([`cleaner`]) and without a referrer
/// ([`referrer_policy`]). Two passes, because ammonia adds the attributes it sets in a random
/// order, and the stored HTML must not depend on the process that wrote it.
fn sanitize(raw: &str) -> String {
    let clean = cleaner().clean(raw).to_string();
    referrer_policy().clean(&clean).to_string()
}

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut b = ammonia::Builder::default();
        b.attribute_filter(|element, attribute, value| match (element, attribute) {
            ("img", "src") => is_https(value).then(|| value.into()),
            _ => Some(value.into()),
        })
        .set_tag_attribute_value("img", "loading", "lazy");
        b
    });
    &CLEANER
}

/// The second pass: what the first left, and `referrerpolicy` on every image. Cleaning
/// ammonia's own output again with the same defaults changes nothing else.
fn referrer_policy() -> &'static ammonia::Builder<'static> {
    static FINISH: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut b = ammonia::Builder::default();
        b.add_tag_attributes("img", ["loading"])
            .set_tag_attribute_value("img", "referrerpolicy", "no-referrer");
        b
    });
    &FINISH
}

fn is_https(url: &str) -> bool {
    url.trim_start()
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// The title a size suffix is carried in between the two passes: `=80x70px` (CommonMark
/// reads `](url =80x70px)` as text, not as an image, so the suffix is made a title first).
const SIZE_MARK: char = '=';

/// `](url =WxH)` outside code spans and blocks becomes `](url "=WxH")`, which CommonMark reads
/// as an image (or link) with that title; [`sized_images`] turns the title into the size.
fn mark_image_sizes(markdown: &str) -> Cow<'_, str> {
    if !markdown.contains(" =") {
        return Cow::Borrowed(markdown);
    }
    let code: Vec<Range<usize>> = Parser::new_ext(markdown, options())
        .into_offset_iter()
        .filter(|(e, _)| matches!(e, Event::Code(_) | Event::Start(Tag::CodeBlock(_))))
        .map(|(_, range)| range)
        .collect();
    let in_code = |at: usize| code.iter().any(|r| r.contains(&at));
    let mut out = String::with_capacity(markdown.len() + 8);
    let mut done = 0;
    let mut from = 0;
    while let Some(found) = markdown[from..].find("](") {
        let dest_at = from + found + 2;
        from = dest_at;
        let rest = &markdown[dest_at..];
        let Some(close) = rest.find(')') else { break };
        let inner = &rest[..close];
        let Some((dest, size)) = inner.split_once(" =") else {
            continue;
        };
        if dest.is_empty() || dest.contains(char::is_whitespace) || parse_size(size).is_none() {
            continue;
        }
        if in_code(dest_at) {
            continue;
        }
        out.push_str(&markdown[done..dest_at]);
        out.push_str(dest);
        out.push_str(" \"");
        out.push(SIZE_MARK);
        out.push_str(size);
        out.push('"');
        done = dest_at + inner.len();
        from = done;
    }
    out.push_str(&markdown[done..]);
    Cow::Owned(out)
}

/// `80x70px` (either side may be empty, not both): width and height as written.
fn parse_size(size: &str) -> Option<(&str, &str)> {
    let (w, h) = size.split_once('x')?;
    let ok = |v: &str| {
        let digits = v.trim_end_matches("px").trim_end_matches('%');
        v.len() <= 8
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (v.is_empty() || !digits.is_empty())
    };
    (ok(w) && ok(h) && !(w.is_empty() && h.is_empty())).then_some((w, h))
}

/// Images whose title is a size mark are written as `<img src alt width height>`; every other
/// event passes unchanged. The sanitizer still sees (and cleans) what this writes.
fn sized_images<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut sized: Option<(CowStr<'a>, String, String, String)> = None;
    events.filter_map(move |event| {
        if let Some((_, alt, _, _)) = sized.as_mut() {
            return match event {
                Event::End(TagEnd::Image) => {
                    let (src, alt, w, h) = sized.take()?;
                    let mut html = String::from("<img src=\"");
                    let _ = escape_href(&mut html, &src);
                    html.push_str("\" alt=\"");
                    let _ = escape_html(&mut html, &alt);
                    html.push('"');
                    for (name, value) in [("width", w), ("height", h)] {
                        if !value.is_empty() {
                            html.push_str(&format!(" {name}=\"{value}\""));
                        }
                    }
                    html.push_str(" />");
                    Some(Event::InlineHtml(html.into()))
                }
                Event::Text(t) | Event::Code(t) => {
                    alt.push_str(&t);
                    None
                }
                _ => None,
            };
        }
        if let Event::Start(Tag::Image {
            dest_url, title, ..
        }) = &event
        {
            if let Some((w, h)) = title.strip_prefix(SIZE_MARK).and_then(parse_size) {
                sized = Some((dest_url.clone(), String::new(), w.to_owned(), h.to_owned()));
                return None;
            }
        }
        Some(event)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Payloads from the usual XSS cheat sheets, raw and inside markdown constructs.
    const PAYLOADS: &[&str] = &[
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<img src=\"x\" ONERROR=\"alert(1)\">",
        "<body onload=alert(1)>",
        "<div onmouseover=\"alert(1)\">hover</div>",
        "<a href=\"javascript:alert(1)\">click</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
        "<a href=\"java&#x09;script:alert(1)\">click</a>",
        "<a href=\"&#106;avascript:alert(1)\">click</a>",
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](vbscript:msgbox(1))",
        "![x](javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
        "<svg onload=alert(1)><script>alert(1)</script></svg>",
        "<svg><animate onbegin=alert(1) attributeName=x></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<style>body{background:url(javascript:alert(1))}</style>",
        "<p style=\"background:url(javascript:alert(1))\">x</p>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"evil.swf\"></object>",
        "<embed src=\"evil.swf\">",
        "<form action=\"javascript:alert(1)\"><input type=submit></form>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<link rel=stylesheet href=\"https://evil.example/x.css\">",
        "<base href=\"https://evil.example/\">",
        "<div><p>unclosed <b>nesting <i>broken</div></b>",
        "<<script>script>alert(1)<</script>/script>",
        "<img src=`x`onerror=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "<video><source onerror=\"alert(1)\"></video>",
        "<a href=\"#\" onclick=\"alert(1)\">x</a>",
        "<template><script>alert(1)</script></template>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        "```\n</code><script>alert(1)</script>\n```",
        "| a |\n|---|\n| <script>alert(1)</script> |",
    ];

    /// Lower-cased output must carry none of these.
    const FORBIDDEN: &[&str] = &[
        "<script",
        "<style",
        "<iframe",
        "<object",
        "<embed",
        "<svg",
        "<math",
        "<form",
        "<meta",
        "<link",
        "<base",
        "<template",
        "<input",
        "javascript:",
        "vbscript:",
        "data:",
        " on",
        "style=",
        "srcdoc",
    ];

    fn assert_inert(input: &str) {
        let out = render(input).into_string().to_lowercase();
        for bad in FORBIDDEN {
            // " on" catches event handler attributes; allow it in text (outside tags).
            if *bad == " on" {
                for tag in out.split('<').skip(1) {
                    let inside = tag.split('>').next().unwrap_or("");
                    assert!(!inside.contains(" on"), "{input:?} -> {out:?}");
                }
                continue;
            }
            // Forbidden markup may survive only as escaped text.
            if bad.starts_with('<') {
                assert!(!out.contains(bad), "{input:?} -> {out:?}");
            } else {
                for tag in out.split('<').skip(1) {
                    let inside = tag.split('>').next().unwrap_or("");
                    assert!(!inside.contains(bad), "{input:?} -> {out:?}");
                }
            }
        }
    }

    #[test]
    fn nothing_executable_survives() {
        for payload in PAYLOADS {
            assert_inert(payload);
            assert_inert(&format!("# Title\n\n{payload}\n\n* item {payload}\n"));
            assert_inert(&format!("> quote {payload}"));
        }
    }

    #[test]
    fn script_content_is_dropped_or_escaped() {
        let out = render("hello <script>alert(1)</script> world").into_string();
        assert!(!out.contains("<script"), "{out}");
        assert!(out.contains("hello"), "{out}");
    }

    #[test]
    fn ordinary_markdown_renders() {
        let md = "# Heading\n\n## Sub\n\nSome *em* and **strong** and `code`.\n\n\
                  * one\n* two\n\n1. first\n2. second\n\n\
                  ```\nfn main() {}\n```\n\n\
                  | a | b |\n|---|---|\n| 1 | 2 |\n\n\
                  [Docker](https://www.docker.com/)\n\n![logo](https://example.com/logo.png)\n";
        let out = render(md).into_string();
        for expected in [
            "<h1>Heading</h1>",
            "<h2>Sub</h2>",
            "<em>em</em>",
            "<strong>strong</strong>",
            "<code>code</code>",
            "<ul>",
            "<li>one</li>",
            "<ol>",
            "<pre><code>fn main() {}\n</code></pre>",
            "<table>",
            "<td>1</td>",
            "<a href=\"https://www.docker.com/\" rel=\"noopener noreferrer\">Docker</a>",
            "<img src=\"https://example.com/logo.png\" alt=\"logo\" loading=\"lazy\" referrerpolicy=\"no-referrer\">",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in {out}");
        }
    }

    /// The RegistryUI seed's own example (`alpine`): the size suffix becomes the seed's
    /// `width="80" height="70px"`, and the image fetches without a referrer, lazily.
    #[test]
    fn the_seeds_sized_image_renders_as_the_seed_shows() {
        let md = "Read more about Alpine Linux here.\n\n![Alpine Logo](https://raw.githubusercontent.com/docker-library/docs/781049d54b1bd9b26d7e8ad384a92f7e0dcb0894/alpine/logo.png =80x70px)";
        assert_eq!(
            render(md).as_str(),
            "<p>Read more about Alpine Linux here.</p>\n<p><img src=\"https://raw.githubusercontent.com/docker-library/docs/781049d54b1bd9b26d7e8ad384a92f7e0dcb0894/alpine/logo.png\" alt=\"Alpine Logo\" width=\"80\" height=\"70px\" loading=\"lazy\" referrerpolicy=\"no-referrer\"></p>\n"
        );
        // One side only, and a title-less plain image, side by side.
        assert_eq!(
            render("![a](https://x.example/a.png =100x) ![b](https://x.example/b.png)").as_str(),
            "<p><img src=\"https://x.example/a.png\" alt=\"a\" width=\"100\" loading=\"lazy\" referrerpolicy=\"no-referrer\"> <img src=\"https://x.example/b.png\" alt=\"b\" loading=\"lazy\" referrerpolicy=\"no-referrer\"></p>\n"
        );
        // Alt text is escaped; quotes in the URL cannot end the attribute.
        let out = render("![a &lt;b&gt; \\\"x](https://x.example/a.png =1x1)").into_string();
        assert!(
            out.contains("alt=\"a &lt;b&gt; &quot;x\" width=\"1\""),
            "{out}"
        );
        assert_inert("![x](https://x.example/\"onerror=alert(1) =1x1)");
        assert_inert("![x](<https://x.example/\" onerror=alert(1)> =1x1)");
    }

    /// In code the suffix is text, shown as written.
    #[test]
    fn size_suffixes_in_code_stay_text() {
        assert_eq!(
            render("`![a](https://x.example/a.png =80x70)`").as_str(),
            "<p><code>![a](https://x.example/a.png =80x70)</code></p>\n"
        );
        assert_eq!(
            render("    ![a](https://x.example/a.png =80x70)\n").as_str(),
            "<pre><code>![a](https://x.example/a.png =80x70)\n</code></pre>\n"
        );
        // Not a size: left alone (CommonMark shows it as text).
        assert_eq!(
            render("![a](https://x.example/a.png =big)").as_str(),
            "<p>![a](https://x.example/a.png =big)</p>\n"
        );
    }

    /// Images only from `https:`, raw or markdown, whatever the case of the scheme; links keep
    /// their other schemes.
    #[test]
    fn images_come_from_https_only() {
        for md in [
            "![x](http://evil.example/track.png)",
            "<img src=\"http://evil.example/track.png\">",
            "<img src=\"//evil.example/track.png\">",
            "<img src=\"/local.png\">",
            "![x](ftp://evil.example/x.png =10x10)",
        ] {
            let out = render(md).into_string();
            assert!(!out.contains("src="), "{md} -> {out}");
        }
        let out = render("<img src=\"HTTPS://x.example/a.png\" alt=a>").into_string();
        assert!(out.contains("src=\"HTTPS://x.example/a.png\""), "{out}");
        assert!(
            out.contains("loading=\"lazy\" referrerpolicy=\"no-referrer\""),
            "{out}"
        );
        let out = render("[site](http://x.example/)").into_string();
        assert!(out.contains("href=\"http://x.example/\""), "{out}");
    }

    #[test]
    fn text_is_escaped_not_interpreted() {
        let out = render("1 < 2 & 3 > 2").into_string();
        assert_eq!(out, "<p>1 &lt; 2 &amp; 3 &gt; 2</p>\n");
    }

    #[test]
    fn empty_input_renders_empty() {
        assert_eq!(render("").as_str(), "");
    }
}
