//! The web UI: server-rendered pages (askama templates compiled in) over the same core as
//! the APIs. Plain HTML forms that work without JavaScript; small progressive scripts only.
//!
//! Routes: fixed paths first (`/-/...`, `/static/...`, `/login`, ...), then `/{ns}` and
//! `/{ns}/{repo}` last, guarded so that API prefixes never reach them.

pub mod account;
pub mod chart;
pub mod images;
pub mod manage;
pub mod pages;
pub mod session;

use actix_web::http::{header, StatusCode};
use actix_web::{guard, HttpResponse};
use askama::Template;

use crate::error::{Error, PageRenderer, Result};
use crate::route_table::Routes;
use session::Visitor;

/// Build a 303 redirect (after a form post, or to the sign-in page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Sign in first: pages never ask for Basic auth, they send the browser to the sign-in page.
macro_rules! signed_in {
    ($visitor:expr, $back:expr) => {
        match $visitor.require($back) {
            Ok(found) => (found.0.clone(), found.1),
            Err(redirect) => return Ok($crate::ui::see_other(&redirect.0)),
        }
    };
}
pub(crate) use signed_in;

/// What the layout (templates/base.html) shows on every page.
pub struct Chrome {
    pub title: String,
    pub user: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
}

impl Chrome {
    pub fn new(visitor: &Visitor, title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            user: visitor.user.as_ref().map(|u| u.name.clone()),
            is_admin: visitor.is_admin(),
            csrf: visitor.csrf.clone(),
        }
    }
}

/// Render a page with a status.
pub fn page_with(status: StatusCode, visitor: &Visitor, t: &impl Template) -> Result<HttpResponse> {
    render(status, visitor, t, false)
}

/// Render a page whose forms an anonymous visitor may post (sign in, sign up): it sets the
/// pre-sign-in CSRF cookie when the visitor has none. Other pages set no cookie (anonymous
/// visitors see no other form).
pub fn form_page_with(
    status: StatusCode,
    visitor: &Visitor,
    t: &impl Template,
) -> Result<HttpResponse> {
    render(status, visitor, t, true)
}

fn render(
    status: StatusCode,
    visitor: &Visitor,
    t: &impl Template,
    token_cookie: bool,
) -> Result<HttpResponse> {
    let body = t.render().map_err(Error::internal)?;
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(c) = visitor.new_csrf_cookie.as_ref().filter(|_| token_cookie) {
        res.cookie(c.clone());
    }
    Ok(res.body(body))
}

pub fn page(visitor: &Visitor, t: &impl Template) -> Result<HttpResponse> {
    page_with(StatusCode::OK, visitor, t)
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'a str,
    message: &'a str,
}

/// The HTML error page for web routes (registered by [`configure`]: the envelope middleware
/// calls it for every error on a non-API path). No Basic challenge, ever.
pub fn error_page(e: &Error) -> HttpResponse {
    let heading = match e.status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Sign in required",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    // A missing page, a private repository and a missing repository read the same.
    let message: &str = match e.status {
        StatusCode::NOT_FOUND => "There is nothing here, or you may not see it.",
        _ => &e.message,
    };
    let t = ErrorPage {
        chrome: Chrome {
            title: heading.to_owned(),
            user: None,
            is_admin: false,
            csrf: String::new(),
        },
        status: e.status.as_u16(),
        heading,
        message,
    };
    let body = t
        .render()
        .unwrap_or_else(|_| format!("<!doctype html><title>{}</title>", e.status.as_u16()));
    let mut res = HttpResponse::build(e.status);
    res.content_type("text/html; charset=utf-8");
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(secs) = e.retry_after {
        res.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    res.body(body)
}

/// A time for people: `2026-11-22 18:30 UTC`.
pub fn when(ms: i64) -> String {
    use chrono::{Datelike, Timelike};
    // Written digit by digit: listings print one per row, and `format!` with padded fields
    // cost about 3,000 instructions a call (a tenth of an uncached explore page).
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc()) else {
        return String::new();
    };
    let year = match u32::try_from(t.year()) {
        Ok(y) if y <= 9999 => y,
        _ => return String::new(),
    };
    let mut out = String::with_capacity(20);
    let fields = [
        (year / 100, ""),
        (year % 100, "-"),
        (t.month(), "-"),
        (t.day(), " "),
        (t.hour(), ":"),
        (t.minute(), " UTC"),
    ];
    for (n, after) in fields {
        out.push(char::from(b'0' + (n / 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
        out.push_str(after);
    }
    out
}

/// A size for people, in the decimal units `docker images` prints: `512 B`, `2.3 MB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{} B", n.max(0));
    }
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

pub fn when_opt(ms: Option<i64>) -> String {
    ms.map(when).unwrap_or_else(|| "never".to_owned())
}

/// First top-level words of the UI's own fixed routes (`/static/...`, `/-/...`), which are no
/// namespace.
const OWN_WORDS: &[&str] = &["static", "-"];

/// A guard for the `/{ns}...` pages: they never answer for a first path word that
/// `api_word` gives to the APIs, nor for one of [`OWN_WORDS`].
fn not_api(api_word: fn(&str) -> bool) -> impl guard::Guard {
    guard::fn_guard(move |ctx| {
        let path = ctx.head().uri.path();
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        !api_word(first) && !OWN_WORDS.contains(&first)
    })
}

/// The pages. `berth::configure` hands in `routes` already in the web dialect and
/// `api_word`, which tells the first path words of the APIs (the dialect map's
/// `is_api_word`): the UI sits beside the APIs, not on them, and names neither. Also hands
/// the envelope the web dialect's error page ([`error_page`]).
pub fn configure(routes: &mut Routes, api_word: fn(&str) -> bool) {
    routes
        .app_data(PageRenderer(error_page))
        .resource("/static/{path:.+}", |r| r.get(crate::assets::serve))
        .resource("/", |r| r.get(pages::explore))
        .resource("/login", |r| {
            r.get(account::login_form).post(account::login)
        })
        .resource("/logout", |r| r.post(account::logout))
        .resource("/signup", |r| {
            r.get(account::signup_form).post(account::signup)
        })
        .resource("/new", |r| r.get(pages::new_form).post(pages::create))
        .resource("/settings", |r| r.get(account::settings))
        .resource("/settings/password", |r| r.post(account::password))
        .resource("/settings/emails", |r| r.post(account::add_email))
        .resource("/settings/keys", |r| r.post(account::create_key))
        .resource("/settings/keys/{id}/revoke", |r| {
            r.post(account::revoke_key)
        })
        .resource("/settings/external", |r| r.post(account::add_external))
        .resource("/settings/external/update", |r| {
            r.post(account::update_external)
        })
        .resource("/settings/external/remove", |r| {
            r.post(account::remove_external)
        });
    manage::configure(routes);
    let ns = || not_api(api_word);
    routes
        .resource("/{ns}", |r| r.guard(ns()).get(pages::namespace))
        .resource("/{ns}/{repo}", |r| r.guard(ns()).get(pages::repository))
        .resource("/{ns}/{repo}/star", |r| r.guard(ns()).post(pages::star))
        .resource("/{ns}/{repo}/tags", |r| r.guard(ns()).get(images::tags))
        .resource("/{ns}/{repo}/tags/{tag}", |r| {
            r.guard(ns()).get(images::tag)
        })
        .resource("/{ns}/{repo}/tags/{tag}/delete", |r| {
            r.guard(ns()).get(images::delete_form).post(images::delete)
        })
        .resource("/{ns}/{repo}/digests/{digest}", |r| {
            r.guard(ns()).get(images::digest)
        })
        .resource("/{ns}/{repo}/settings", |r| {
            r.guard(ns()).get(pages::settings).post(pages::update)
        })
        .resource("/{ns}/{repo}/access", |r| r.guard(ns()).post(pages::access))
        .resource("/{ns}/{repo}/delete", |r| r.guard(ns()).post(pages::delete));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_are_html_in_the_layout_and_never_challenge() {
        let res = error_page(&Error::internal("disk on fire"));
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
        let t = ErrorPage {
            chrome: Chrome {
                title: "Something went wrong".into(),
                user: None,
                is_admin: false,
                csrf: String::new(),
            },
            status: 500,
            heading: "Something went wrong",
            message: "internal error",
        };
        let html = t.render().unwrap();
        assert!(html.contains("<h1>Something went wrong</h1>"));
        assert!(html.contains("internal error"));
        assert!(!html.contains("disk on fire"));
        assert!(html.contains("/static/css/berth.css"));
        let res = error_page(&Error::unauthorized("authentication required"));
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    /// The content security policy (crate::browser) runs no inline script and applies no
    /// inline style: no template may carry one, or a handler attribute.
    #[test]
    fn no_template_needs_inline_script_or_style() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(p) = stack.pop() {
            for entry in std::fs::read_dir(&p).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
                let name = path.display();
                for (i, _) in text.match_indices("<script") {
                    let tag = &text[i..text[i..].find('>').map_or(text.len(), |e| i + e)];
                    assert!(tag.contains(" src="), "{name}: inline script {tag}");
                }
                assert!(!text.contains("<style"), "{name}: <style>");
                assert!(!text.contains(" style="), "{name}: style attribute");
                assert!(!text.contains("javascript:"), "{name}: javascript: URL");
                let handler = text.split(|c: char| c.is_whitespace()).any(|word| {
                    word.starts_with("on")
                        && word.split_once('=').is_some_and(|(a, _)| {
                            a.len() > 2 && a.bytes().all(|b| b.is_ascii_lowercase())
                        })
                });
                assert!(!handler, "{name}: an on...= handler attribute");
            }
        }
    }

    #[test]
    fn sizes_read_in_decimal_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1000), "1.0 kB");
        assert_eq!(bytes(2_345_678), "2.3 MB");
        assert_eq!(bytes(999_960), "1.0 MB");
        assert_eq!(bytes(104_857_600), "104.9 MB");
        assert_eq!(bytes(5_000_000_000_000_000_000), "5000.0 PB");
        assert_eq!(bytes(-5), "0 B");
    }

    #[test]
    fn times_read_as_utc_minutes() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(when(1_764_678_905_123), "2025-12-02 12:35 UTC");
        assert_eq!(when(-86_400_000), "1969-12-31 00:00 UTC");
        assert_eq!(when(253_402_300_799_000), "9999-12-31 23:59 UTC");
        assert_eq!(
            when(253_402_300_800_000),
            "",
            "five-digit years are not written"
        );
        assert_eq!(when(i64::MAX), "");
        assert_eq!(when_opt(None), "never");
    }

    /// The one value a template may print unescaped is `SanitizedHtml`; no template opts
    /// out of escaping with `|safe` (or `escape`/`e` turned off).
    #[test]
    fn no_template_marks_anything_safe() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut stack = vec![std::path::PathBuf::from(dir)];
        let mut seen = 0;
        while let Some(p) = stack.pop() {
            for entry in std::fs::read_dir(&p).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                assert!(!squeezed.contains("|safe"), "{} uses |safe", path.display());
                assert!(!squeezed.contains("escape=\"none\""), "{}", path.display());
                assert!(!squeezed.contains("{%autoescape"), "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen > 5);
    }
}
