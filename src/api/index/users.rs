//! `/v1/users`: login check, registration and profile updates.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::api::body::JsonBody;
use crate::auth::changes::OldPassword;
use crate::auth::extract::{MaybeUser, User};
use crate::core::accounts;
use crate::core::names::PasswordRule;
use crate::error::{Code, Error, Result};
use crate::AppState;

/// The exact body old clients compare before falling back to a login.
pub const USER_EXISTS: &str = "Username or email already exists";

/// `GET /v1/users`: 200 `"OK"` for good Basic credentials; 401 bad, 403 inactive, 429 throttled.
pub async fn login_check(_user: User) -> HttpResponse {
    HttpResponse::Ok().json("OK")
}

#[derive(Deserialize)]
pub struct Registration {
    username: String,
    password: String,
    email: String,
}

/// `POST /v1/users`: 201 `"User Created"`; 400 with the exact string when the name or email
/// is taken; 403 when registration is closed (unless an admin asks).
pub async fn register(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    body: JsonBody<Registration>,
) -> Result<HttpResponse> {
    let Registration {
        username,
        password,
        email,
    } = body.into_inner();
    let taken = |e: Error| {
        if e.is(Code::AccountExists) {
            Error::new(e.code, USER_EXISTS).with_bare()
        } else {
            e
        }
    };
    state
        .auth
        .register_user(
            &state.store,
            caller,
            username,
            password,
            Some(email),
            PasswordRule::Index,
        )
        .await
        .map_err(taken)?;
    Ok(HttpResponse::Created().json("User Created"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// `PUT /v1/users/{username}` `{"email"?, "password"?}`: 204. An email is added (never
/// replaces one); a password replaces the old one. Self or a site admin; 404 no such user,
/// 403 someone else, 400 an empty or invalid body. Everything is validated before anything
/// changes.
pub async fn update(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    User { caller, proof }: User,
    name: web::Path<String>,
    body: JsonBody<ProfileUpdate>,
) -> Result<HttpResponse> {
    let ProfileUpdate { email, password } = body.into_inner();
    if email.is_none() && password.is_none() {
        return Err(Error::new(
            Code::NothingToUpdate,
            "send an email, a password or both",
        ));
    }
    if let Some(email) = &email {
        crate::core::names::validate_email(email)?;
    }
    if let Some(password) = &password {
        crate::core::names::validate_password_by(password, PasswordRule::Index)?;
    }
    let name = name.into_inner();
    let account = state
        .store
        .run({
            let name = name.clone();
            move |c| accounts::user_to_manage(c, Some(&caller), &name)
        })
        .await?;
    // The body has no old password: the credential must have been it. An email sent with
    // the password is added in the same transaction.
    match password {
        Some(password) => {
            let ip = req.peer_addr().map(|a| a.ip());
            state
                .auth
                .change_password(
                    &state.store,
                    caller,
                    proof,
                    ip,
                    name,
                    OldPassword::FromCredential,
                    password,
                    PasswordRule::Index,
                    email,
                )
                .await?;
        }
        None => {
            if let Some(email) = email {
                state
                    .store
                    .run(move |c| accounts::add_email(c, account.id, &email))
                    .await?;
            }
        }
    }
    Ok(HttpResponse::NoContent().finish())
}
