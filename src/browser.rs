//! What browsers are told and what they tell us: the same-origin rule that the web UI's
//! forms ([`crate::ui::session`]) and the APIs' write guard ([`crate::api::guard`]) both
//! apply, and the headers every response carries ([`security_headers`]).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// Whether the browser says the request comes from this site's own pages. Browsers send
/// `Sec-Fetch-Site` and `Origin` on every form post and script write; only `same-origin`
/// and `none` (the user typed the address) pass — `same-site` is another port or host of
/// the same site, so another origin. A client that sends neither header (curl, docker, the
/// SDKs) is not a browser and passes. The origin's `host[:port]` must be the `Host` the
/// request came with, or the configured public address (a proxy that rewrites `Host`);
/// `Origin: null` (sandboxed frames, cross-site redirects) never matches.
pub fn same_origin(headers: &HeaderMap, public_address: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str(), Ok("same-origin") | Ok("none")) {
            return false;
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        return origin_host.is_some_and(|o| {
            (!host.is_empty() && o.eq_ignore_ascii_case(host))
                || public_address.is_some_and(|p| o.eq_ignore_ascii_case(p))
        });
    }
    true
}

/// The policy every response carries. Pages load scripts, styles and fonts from this site
/// only (templates and static/ have no inline script, inline style or `on*=` attribute);
/// images also from `https:` (markdown images); no plugin, no `<base>` elsewhere, forms post
/// here only, and no other site may frame a page (clickjacking).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' https:; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// Pages on this site see the full referring address; other sites see none (a private
/// repository's name in a link's `Referer` must not leave the site).
pub const REFERRER_POLICY: &str = "same-origin";

/// Middleware: every response — pages, static files, API answers, errors — carries
/// `Content-Security-Policy`, `X-Content-Type-Options: nosniff` and `Referrer-Policy`,
/// unless the handler set its own.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = match next.call(req).await {
        Ok(res) => res,
        // An error that left a middleware unanswered: its answer gets the headers too. (The
        // request cannot be kept aside for this: routing needs it unshared.)
        Err(err) => {
            let mut answer = err.error_response();
            add_headers(answer.headers_mut());
            return Err(InternalError::from_response(err, answer).into());
        }
    };
    add_headers(res.headers_mut());
    Ok(res)
}

fn add_headers(headers: &mut HeaderMap) {
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, REFERRER_POLICY),
    ] {
        set_default(headers, name, value);
    }
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut r = TestRequest::default().insert_header(("host", "hub.example:5000"));
        for h in pairs {
            r = r.insert_header(*h);
        }
        r.to_http_request().headers().clone()
    }

    #[test]
    fn same_origin_follows_the_browser_headers() {
        let same =
            |pairs: &[(&str, &str)], public: Option<&str>| same_origin(&headers(pairs), public);
        assert!(same(&[], None));
        assert!(same(&[("origin", "http://hub.example:5000")], None));
        assert!(same(&[("origin", "https://HUB.example:5000")], None));
        assert!(!same(&[("origin", "http://hub.example:5001")], None));
        assert!(!same(&[("origin", "http://evil.example")], None));
        assert!(!same(
            &[("origin", "http://hub.example:5000.evil.example")],
            None
        ));
        assert!(!same(&[("origin", "null")], None));
        assert!(!same(&[("origin", "hub.example:5000")], None));
        assert!(same(
            &[("origin", "https://hub.example")],
            Some("hub.example")
        ));
        assert!(!same(
            &[("origin", "https://evil.example")],
            Some("hub.example")
        ));
        assert!(same(&[("sec-fetch-site", "same-origin")], None));
        assert!(same(&[("sec-fetch-site", "none")], None));
        assert!(!same(&[("sec-fetch-site", "same-site")], None));
        assert!(!same(&[("sec-fetch-site", "cross-site")], None));
        assert!(!same(&[("sec-fetch-site", "bogus")], None));
        assert!(!same(
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://hub.example:5000")
            ],
            None
        ));
        assert!(!same(
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://evil.example")
            ],
            None
        ));
    }

    #[test]
    fn the_policy_names_every_required_directive() {
        for d in [
            "frame-ancestors 'none'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "img-src 'self' https:",
        ] {
            assert!(CONTENT_SECURITY_POLICY.contains(d), "{d}");
        }
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }
}
