//! Who is looking at a page, and the checks every state-changing form passes.
//!
//! The session cookie (`berth_session`) carries a random id; the store keeps only its hash
//! (core::sessions). API routes never look at this cookie: only the extractors here read it,
//! and only web handlers use them.
//!
//! CSRF: every form that changes state carries a token and is refused (403) unless
//! (1) the request is same-origin by `Sec-Fetch-Site` and `Origin` when the browser sends
//! them (the one rule of [`crate::browser::same_origin`], which the APIs apply too), and
//! (2) the token equals the session's token — or, before sign-in (the sign-in and
//! sign-up forms), the value of the `berth_csrf` cookie that the form's page set
//! (double submit). Nothing changes state on GET.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::auth::secret;
use crate::core::model::Account;
use crate::core::policy::Caller;
use crate::core::sessions;
use crate::error::{Code, Error, Result};
use crate::AppState;

pub const SESSION_COOKIE: &str = "berth_session";
pub const CSRF_COOKIE: &str = "berth_csrf";

/// The visitor of a web page: the signed-in user (if any) and the CSRF token its forms carry.
pub struct Visitor {
    pub user: Option<Account>,
    pub csrf: String,
    /// The raw session id from the cookie, when it named a live session.
    pub session_id: Option<String>,
    /// A pre-sign-in CSRF cookie to set with the response (first visit).
    pub new_csrf_cookie: Option<Cookie<'static>>,
    pub secure: bool,
}

impl Visitor {
    /// The signed-in user as the policy sees it, as the APIs' extractors name their callers.
    pub fn caller(&self) -> Option<Caller> {
        self.user.as_ref().map(Caller::from)
    }

    /// The signed-in user, or a redirect to the sign-in page (pages never ask for Basic).
    pub fn require(&self, back_to: &str) -> Result<(&Account, Caller), Redirect> {
        match (&self.user, self.caller()) {
            (Some(u), Some(c)) => Ok((u, c)),
            _ => Err(Redirect::to_login(back_to)),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_admin)
    }
}

/// "Sign in first": a 303 to the sign-in page that comes back to `back_to`.
pub struct Redirect(pub String);

impl Redirect {
    pub fn to_login(back_to: &str) -> Redirect {
        let next: String = url_encode(back_to);
        Redirect(format!("/login?next={next}"))
    }
}

/// Where to go after signing in (`next` of the sign-in page and form): the target when it is
/// a plain path on this site, else `/`. Plain: visible ASCII only (no control character, no
/// whitespace: browsers drop tabs and newlines, so `/\t/evil` would become `//evil`), no
/// backslash (browsers read it as `/`), a single leading `/` (`//host` and `/\host` name
/// another site; no `https:` either) — and the same for the path once its percent-escapes
/// are decoded, as often as they decode (`/%2F/evil`, `/%09/evil`, `/%252F%252Fevil`), in
/// case something between here and the browser decodes them. Query and fragment cannot
/// change the site, so only their raw form is checked.
pub fn local_target(next: Option<&str>) -> String {
    match next {
        Some(t) if is_plain_local_path(t) => t.to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_plain_local_path(target: &str) -> bool {
    /// A path on this site, as bytes: `/`, then no `/` or `\\` right after it, and nothing
    /// but visible ASCII other than `\\`.
    fn plain(path: &[u8]) -> bool {
        path.first() == Some(&b'/')
            && !matches!(path.get(1), Some(b'/' | b'\\'))
            && path.iter().all(|&b| b.is_ascii_graphic() && b != b'\\')
    }
    if !plain(target.as_bytes()) {
        return false;
    }
    let end = target.find(['?', '#']).unwrap_or(target.len());
    let mut path: Vec<u8> = target.as_bytes()[..end].to_vec();
    // Each round removes at least two bytes, so this ends; eight rounds is more than any
    // chain of decoders between here and a browser.
    for _ in 0..8 {
        let decoded: Vec<u8> = percent_encoding::percent_decode(&path).collect();
        if decoded == path {
            return true;
        }
        if !plain(&decoded) {
            return false;
        }
        path = decoded;
    }
    false
}

fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// A cookie as Berth sets it: HttpOnly, SameSite=Lax, Path=/, Secure when configured.
pub fn cookie(
    name: &'static str,
    value: String,
    secure: bool,
    max_age: Option<u64>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish();
    if let Some(secs) = max_age {
        c.set_max_age(CookieDuration::seconds(
            i64::try_from(secs).unwrap_or(i64::MAX),
        ));
    }
    c
}

/// A cookie that tells the browser to drop `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure, None);
    c.make_removal();
    c
}

fn well_formed(v: &str) -> bool {
    v.len() == sessions::SECRET_LEN && v.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl FromRequest for Visitor {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = req
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| well_formed(v));
        let pre = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| well_formed(v));
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state missing"))?;
            let secure = state.config.secure_cookies;
            if let Some(id) = session {
                let lookup = id.clone();
                let found = state
                    .store
                    .run(move |c| sessions::resolve(c, &lookup))
                    .await?;
                if let Some((user, csrf)) = found {
                    crate::ops::access::note_caller(&req, &user.name, "session");
                    return Ok(Visitor {
                        user: Some(user),
                        csrf,
                        session_id: Some(id),
                        new_csrf_cookie: None,
                        secure,
                    });
                }
            }
            let (csrf, new_csrf_cookie) = match pre {
                Some(token) => (token, None),
                None => {
                    let token = secret::random_string(sessions::SECRET_LEN);
                    let c = cookie(CSRF_COOKIE, token.clone(), secure, None);
                    (token, Some(c))
                }
            };
            Ok(Visitor {
                user: None,
                csrf,
                session_id: None,
                new_csrf_cookie,
                secure,
            })
        })
    }
}

/// A form that carries the CSRF token (field `csrf`).
pub trait CsrfForm {
    fn csrf(&self) -> &str;
}

/// A state-changing form, accepted only from this site: same-origin headers and the
/// visitor's token. Extract it instead of `web::Form` in every POST handler.
pub struct Posted<T>(pub Visitor, pub T);

fn csrf_refused() -> Error {
    Error::new(
        Code::CsrfRefused,
        "this form came from another site or an old page; reload the page and try again",
    )
}

/// Compare two tokens in time independent of where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl<T: DeserializeOwned + CsrfForm + 'static> FromRequest for Posted<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let public_address = req
            .app_data::<web::Data<AppState>>()
            .and_then(|s| s.config.public_address.clone());
        let origin_ok = crate::browser::same_origin(req.headers(), public_address.as_deref());
        let visitor = Visitor::from_request(req, payload);
        let form = web::Form::<T>::from_request(req, payload);
        Box::pin(async move {
            if !origin_ok {
                return Err(csrf_refused());
            }
            let visitor = visitor.await?;
            let form = form
                .await
                .map_err(|e| {
                    if e.as_response_error().status_code()
                        == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                    {
                        Error::payload_too_large()
                    } else {
                        Error::new(Code::InvalidForm, "the form was incomplete or malformed")
                    }
                })?
                .into_inner();
            // A visitor without any token (no cookie yet) made one up just now: never a match.
            if visitor.new_csrf_cookie.is_some() || !same_token(form.csrf(), &visitor.csrf) {
                return Err(csrf_refused());
            }
            Ok(Posted(visitor, form))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", "a"));
    }

    #[test]
    fn only_plain_local_paths_are_sign_in_targets() {
        for good in [
            "/",
            "/alice",
            "/alice/app",
            "/alice/app/settings",
            "/?q=a%20b&sort=stars",
            "/-/admin",
            "/alice/app#tags",
            "/a%2Db",
            "/https://evil.example",
        ] {
            assert_eq!(local_target(Some(good)), good, "{good}");
        }
        for bad in [
            "",
            "evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example/",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\x0b/evil",
            "/\x7f/evil",
            " /evil",
            "/ /evil",
            "/%09/evil.example/",
            "/%0a",
            "/%0d%0aSet-Cookie:x=1",
            "/%00",
            "/%20/evil",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5c/evil",
            "/%252F/evil.example",
            "/%25252F/evil",
            "/%25%30%39/evil",
            "%2F%2Fevil.example",
            "%2Fevil",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "data:text/html,x",
            "/caf\u{e9}",
            "/%C3%A9",
            "/a\\b",
            "/a?b=\\",
            "/a#\n",
        ] {
            assert_eq!(local_target(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_target(None), "/");
    }

    #[test]
    fn login_redirect_keeps_the_page() {
        assert_eq!(
            Redirect::to_login("/a/b?x=1").0,
            "/login?next=%2Fa%2Fb%3Fx%3D1"
        );
    }
}
