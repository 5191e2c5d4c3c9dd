//! Markdown to HTML: pulldown-cmark renders, ammonia cleans, and the result is a
//! [`SanitizedHtml`], the only type a template may mark safe.

use std::fmt;

use pulldown_cmark::{html, Options, Parser};

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

/// Render user markdown to HTML that can run no script, carry no style and embed no frame.
pub fn render(markdown: &str) -> SanitizedHtml {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    SanitizedHtml(ammonia::Builder::default().clean(&raw).to_string())
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
            "<img src=\"https://example.com/logo.png\" alt=\"logo\">",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in {out}");
        }
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
