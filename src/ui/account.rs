//! Sign in, sign out, sign up, and the signed-in user's settings: emails, password, API
//! keys, external repositories.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{cookie, removal, CsrfForm, Posted, Visitor, SESSION_COOKIE};
use super::{form_page_with, page, page_with, see_other, signed_in, when, when_opt, Chrome};
use crate::auth::changes::OldPassword;
use crate::auth::Via;
use crate::core::accounts::{self, Registration};
use crate::core::model::Account;
use crate::core::names::PasswordRule;
use crate::core::policy::{Caller, Proof};
use crate::core::{external, sessions};
use crate::error::{Code, Error, Result};
use crate::secrets::SecretString;
use crate::AppState;

// Where to go after signing in: a plain path on this site, else `/` (one rule, in session).
use super::session::local_target;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    username: String,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`.
pub async fn login_form(visitor: Visitor, query: web::Query<NextQuery>) -> Result<HttpResponse> {
    let next = local_target(query.next.as_deref());
    if visitor.user.is_some() {
        return Ok(see_other(&next));
    }
    let t = LoginPage {
        chrome: Chrome::new(&visitor, "Sign in"),
        next,
        username: String::new(),
        message: None,
    };
    form_page_with(StatusCode::OK, &visitor, &t)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
}

impl CsrfForm for LoginForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Start a session for `user_id` and answer with its cookie and a 303 to `target`.
async fn signed_in_response(
    state: &AppState,
    user_id: i64,
    previous: Option<String>,
    target: &str,
) -> Result<HttpResponse> {
    let lifetime = state.config.session_secs;
    let started = state
        .store
        .run(move |c| sessions::start(c, user_id, lifetime, previous.as_deref()))
        .await?;
    let mut res = see_other(target);
    res.add_cookie(&cookie(
        SESSION_COOKIE,
        started.id,
        state.config.secure_cookies,
        Some(lifetime),
    ))
    .map_err(Error::internal)?;
    Ok(res)
}

/// `POST /login`: the same checks, throttle and answers as Basic auth; a new session id.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    Posted(visitor, form): Posted<LoginForm>,
) -> Result<HttpResponse> {
    let ip = req.peer_addr().map(|a| a.ip());
    let next = local_target(form.next.as_deref());
    let username = form.username.trim().to_owned();
    let result = state
        .auth
        .login(&state.store, username.clone(), form.password.clone(), ip)
        .await;
    // Basic also takes an API key in place of the password; a browser session does not: a
    // leaked key must not open the pages that manage keys and credentials.
    let result = result.and_then(|p| match p.via {
        Via::Password => Ok(p),
        _ => Err(Error::unauthorized("invalid username or password")),
    });
    match result {
        Ok(principal) => {
            crate::ops::access::note_caller(&req, &principal.user.name, "password");
            signed_in_response(&state, principal.user.id, visitor.session_id.clone(), &next).await
        }
        Err(e) if e.status.is_client_error() => {
            let message = match e.status {
                StatusCode::UNAUTHORIZED => "Wrong user name or password.".to_owned(),
                StatusCode::FORBIDDEN => {
                    "This account is not active yet: an administrator must activate it.".to_owned()
                }
                _ => e.message.to_string(),
            };
            let t = LoginPage {
                chrome: Chrome::new(&visitor, "Sign in"),
                next,
                username,
                message: Some(message),
            };
            let mut res = form_page_with(e.status, &visitor, &t)?;
            if let Some(secs) = e.retry_after {
                if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /logout`: end the session on the server and drop the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    Posted(visitor, _): Posted<CsrfOnly>,
) -> Result<HttpResponse> {
    if let Some(id) = visitor.session_id.clone() {
        state.store.run(move |c| sessions::end(c, &id)).await?;
    }
    let mut res = see_other("/");
    res.add_cookie(&removal(SESSION_COOKIE, visitor.secure))
        .map_err(Error::internal)?;
    Ok(res)
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    open: bool,
    registration: &'static str,
    username: String,
    email: String,
    message: Option<String>,
    done: bool,
}

/// `GET /signup`: the form, following the registration setting.
pub async fn signup_form(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse> {
    let mode = state.store.run(|c| accounts::registration(c)).await?;
    let t = SignupPage {
        chrome: Chrome::new(&visitor, "Sign up"),
        open: mode != Registration::Closed,
        registration: mode.as_str(),
        username: String::new(),
        email: String::new(),
        message: None,
        done: false,
    };
    form_page_with(StatusCode::OK, &visitor, &t)
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    csrf: String,
    username: String,
    email: String,
    password: String,
}

impl CsrfForm for SignupForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /signup`: register (open: active and signed in at once; approval: inactive until
/// an admin activates it; closed: refused).
pub async fn signup(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<SignupForm>,
) -> Result<HttpResponse> {
    let username = form.username.trim().to_owned();
    let email = form.email.trim().to_owned();
    let password = form.password;
    let (n, e, p) = (username.clone(), email.clone(), password.clone());
    let checked = state
        .store
        .run(move |c| {
            let mode = accounts::registration(c)?;
            accounts::validate_new_user(&n, &p, Some(&e), PasswordRule::Standard)?;
            let active = accounts::check_registration(c, None, &n, Some(&e))?;
            Ok((mode, active))
        })
        .await;
    let fail = |e: Error, mode: &'static str| {
        let t = SignupPage {
            chrome: Chrome::new(&visitor, "Sign up"),
            open: e.code != Code::RegistrationClosed,
            registration: mode,
            username: username.clone(),
            email: email.clone(),
            message: Some(e.message.to_string()),
            done: false,
        };
        form_page_with(e.status, &visitor, &t)
    };
    let (mode, active) = match checked {
        Ok(found) => found,
        Err(e) if e.status.is_client_error() => return fail(e, "approval"),
        Err(e) => return Err(e),
    };
    let hash = state.auth.bcrypt_hash(password).await?;
    let (n, e) = (username.clone(), email.clone());
    let created = state
        .store
        .run(move |c| accounts::register(c, &n, &hash, Some(&e), active))
        .await;
    let user = match created {
        Ok(user) => user,
        Err(e) if e.status.is_client_error() => return fail(e, mode.as_str()),
        Err(e) => return Err(e),
    };
    if user.is_active {
        return signed_in_response(&state, user.id, visitor.session_id.clone(), "/").await;
    }
    let t = SignupPage {
        chrome: Chrome::new(&visitor, "Sign up"),
        open: true,
        registration: mode.as_str(),
        username,
        email,
        message: None,
        done: true,
    };
    form_page_with(StatusCode::OK, &visitor, &t)
}

pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
}

pub struct ExternalRow {
    pub name: String,
    pub registry: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    user: Account,
    emails: Vec<String>,
    keys: Vec<KeyRow>,
    externals: Vec<ExternalRow>,
    /// Whose external repositories are shown: the user or one of its organizations.
    ext_ns: String,
    ext_namespaces: Vec<String>,
    /// A key just created: shown this once.
    new_key: Option<String>,
    message: Option<String>,
    notice: Option<String>,
}

/// Everything the settings page lists, in one trip to the store.
#[allow(clippy::too_many_arguments)]
async fn settings_page(
    state: &AppState,
    visitor: &Visitor,
    user: Account,
    caller: Caller,
    ext_ns: Option<String>,
    new_key: Option<String>,
    message: Option<String>,
    notice: Option<String>,
) -> Result<SettingsPage> {
    let user_id = user.id;
    let name = user.name.clone();
    let ns = ext_ns.filter(|n| *n != user.name);
    let shown = ns.clone().unwrap_or_else(|| user.name.clone());
    let (emails, keys, externals, orgs) = state
        .store
        .run(move |c| {
            let (emails, keys) = accounts::own_settings(c, user_id)?;
            let (_, externals, _) = external::list(
                c,
                &caller,
                ns.as_deref(),
                &external::Filter::default(),
                100,
                0,
            )?;
            let orgs = accounts::organizations_of(c, Some(&caller), &name)?;
            Ok((emails, keys, externals, orgs))
        })
        .await?;
    Ok(SettingsPage {
        chrome: Chrome::new(visitor, "Settings"),
        emails,
        keys: keys
            .into_iter()
            .map(|k| KeyRow {
                id: k.id,
                name: k.name,
                prefix: k.prefix,
                created: when(k.created_at),
                last_used: when_opt(k.last_used_at),
            })
            .collect(),
        externals: externals
            .into_iter()
            .map(|e| ExternalRow {
                name: e.name,
                registry: e.registry_host,
                updated: when(e.updated_at),
            })
            .collect(),
        ext_ns: shown,
        ext_namespaces: std::iter::once(user.name.clone())
            .chain(orgs.into_iter().map(|o| o.name))
            .collect(),
        user,
        new_key,
        message,
        notice,
    })
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    done: Option<String>,
    /// Whose external repositories to show.
    ns: Option<String>,
}

fn notice_for(done: Option<&str>) -> Option<String> {
    let text = match done? {
        "password" => "Your password was changed.",
        "email" => "The email was added.",
        "revoked" => "The key was revoked.",
        "external" => "External repositories updated.",
        _ => return None,
    };
    Some(text.to_owned())
}

/// `GET /settings`.
pub async fn settings(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/settings");
    let notice = notice_for(query.done.as_deref());
    let ns = query.ns.clone();
    let t = settings_page(&state, &visitor, user, caller, ns, None, None, notice).await?;
    page(&visitor, &t)
}

/// Show the settings page again with a refusal, or pass the error on.
async fn refused(
    state: &AppState,
    visitor: &Visitor,
    user: Account,
    caller: Caller,
    ext_ns: Option<String>,
    e: Error,
) -> Result<HttpResponse> {
    if !e.status.is_client_error() {
        return Err(e);
    }
    let status = e.status;
    let t = settings_page(
        state,
        visitor,
        user,
        caller,
        ext_ns,
        None,
        Some(e.message.into_owned()),
        None,
    )
    .await?;
    page_with(status, visitor, &t)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    old_password: String,
    new_password: String,
}

impl CsrfForm for PasswordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /settings/password`: the old password, then the new one. The change is the one
/// every dialect makes (Authenticator::change_password: the current password is checked as
/// a login, throttle included); every session of the user ends, and this browser gets a
/// fresh one.
pub async fn password(
    state: web::Data<AppState>,
    req: HttpRequest,
    Posted(visitor, form): Posted<PasswordForm>,
) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/settings");
    let changed = state
        .auth
        .change_password(
            &state.store,
            caller,
            Proof::Session,
            req.peer_addr().map(|a| a.ip()),
            user.name.clone(),
            OldPassword::Given(form.old_password),
            form.new_password,
            PasswordRule::Standard,
            None,
        )
        .await;
    match changed {
        Ok(_) => signed_in_response(&state, user.id, None, "/settings?done=password").await,
        Err(e) if e.is(Code::InvalidOldPassword) => {
            let e = Error::new(Code::WrongPassword, "the current password is not right");
            refused(&state, &visitor, user, caller, None, e).await
        }
        Err(e) => refused(&state, &visitor, user, caller, None, e).await,
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    csrf: String,
    email: String,
}

impl CsrfForm for EmailForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /settings/emails`: add an email (emails are added, never removed, as in the Index
/// dialect).
pub async fn add_email(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<EmailForm>,
) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/settings");
    let email = form.email.trim().to_owned();
    let id = user.id;
    match state
        .store
        .run(move |c| accounts::add_email(c, id, &email))
        .await
    {
        Ok(()) => Ok(see_other("/settings?done=email")),
        Err(e) => refused(&state, &visitor, user, caller, None, e).await,
    }
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    csrf: String,
    name: String,
}

impl CsrfForm for KeyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /settings/keys`: create an API key and show it this once (no redirect, so it is
/// never in a URL or history entry).
pub async fn create_key(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<KeyForm>,
) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/settings");
    let id = user.id;
    let name = form.name;
    match state
        .store
        .run(move |c| accounts::create_api_key(c, id, &name))
        .await
    {
        Ok((_, key)) => {
            let t =
                settings_page(&state, &visitor, user, caller, None, Some(key), None, None).await?;
            page(&visitor, &t)
        }
        Err(e) => refused(&state, &visitor, user, caller, None, e).await,
    }
}

/// `POST /settings/keys/{id}/revoke`.
pub async fn revoke_key(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Posted(visitor, _): Posted<CsrfOnly>,
) -> Result<HttpResponse> {
    let (user, _) = signed_in!(visitor, "/settings");
    let key_id: i64 = path
        .parse()
        .map_err(|_| Error::new(Code::NotFound, "not found"))?;
    state
        .auth
        .revoke_api_key(&state.store, user.id, key_id)
        .await?;
    Ok(see_other("/settings?done=revoked"))
}

#[derive(Deserialize)]
pub struct ExternalForm {
    #[serde(default)]
    csrf: String,
    /// The namespace (the user's own when empty or absent).
    #[serde(default)]
    namespace: String,
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

impl CsrfForm for ExternalForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /settings/external`: add an external repository in the user's namespace.
pub async fn add_external(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<ExternalForm>,
) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/settings");
    let (ns, back) = external_target(&form.namespace, &user.name);
    let ns2 = ns.clone();
    let keyring = state.secrets.clone();
    let new = external::NewExternal {
        name: form.name.trim().to_owned(),
        username: form.username,
        password: SecretString::new(form.password),
    };
    match state
        .store
        .run(move |c| external::add(c, &keyring, &caller, ns2.as_deref(), &new).map(|_| ()))
        .await
    {
        Ok(()) => Ok(see_other(&back)),
        Err(e) => refused(&state, &visitor, user, caller, ns, e).await,
    }
}

/// `POST /settings/external/update`: new credentials (an empty password field keeps the
/// stored password; passwords are never shown).
pub async fn update_external(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<ExternalForm>,
) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/settings");
    let (ns, back) = external_target(&form.namespace, &user.name);
    let ns2 = ns.clone();
    let keyring = state.secrets.clone();
    let name = form.name.trim().to_owned();
    let patch = external::CredentialsPatch {
        username: Some(form.username),
        password: (!form.password.is_empty()).then(|| SecretString::new(form.password)),
    };
    match state
        .store
        .run(move |c| {
            external::update_credentials(c, &keyring, &caller, ns2.as_deref(), &name, &patch)
                .map(|_| ())
        })
        .await
    {
        Ok(()) => Ok(see_other(&back)),
        Err(e) => refused(&state, &visitor, user, caller, ns, e).await,
    }
}

#[derive(Deserialize)]
pub struct RemoveExternalForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    namespace: String,
    name: String,
}

impl CsrfForm for RemoveExternalForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /settings/external/remove`.
pub async fn remove_external(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<RemoveExternalForm>,
) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/settings");
    let (ns, back) = external_target(&form.namespace, &user.name);
    let ns2 = ns.clone();
    let name = form.name;
    match state
        .store
        .run(move |c| external::remove(c, &caller, ns2.as_deref(), &name))
        .await
    {
        Ok(()) => Ok(see_other(&back)),
        Err(e) => refused(&state, &visitor, user, caller, ns, e).await,
    }
}

/// The namespace an external-repository form acts in (`None`: the user's own), and the page
/// to return to.
fn external_target(namespace: &str, own: &str) -> (Option<String>, String) {
    let ns = namespace.trim();
    if ns.is_empty() || ns == own {
        (None, "/settings?done=external".to_owned())
    } else {
        let q = serde_urlencoded::to_string([("done", "external"), ("ns", ns)]).unwrap_or_default();
        (Some(ns.to_owned()), format!("/settings?{q}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_targets_after_sign_in() {
        assert_eq!(local_target(Some("/a/b?x=1")), "/a/b?x=1");
        assert_eq!(local_target(Some("//evil.example/")), "/");
        assert_eq!(local_target(Some("https://evil.example/")), "/");
        assert_eq!(local_target(Some("/\\evil.example")), "/");
        assert_eq!(local_target(None), "/");
    }
}
