//! `/api/v0/accounts`: users and organizations, activation, passwords, a user's
//! organizations.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::dto::{self, AccountDto};
use crate::api::body::JsonBody;
use crate::auth::changes::OldPassword;
use crate::auth::extract::{MaybeUser, User};
use crate::core::names::PasswordRule;
use crate::core::policy::Caller;
use crate::core::{accounts, quota};
use crate::error::{Code, Error, Result};
use crate::AppState;

#[derive(Deserialize)]
pub struct NewAccount {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    password: Option<String>,
}

/// `POST /api/v0/accounts`: a user by anyone (following the site's registration setting:
/// inactive until an admin activates it unless registration is open or an admin asks), an
/// organization by site admins. 200 with the account.
pub async fn create(
    state: web::Data<AppState>,
    MaybeUser { caller, .. }: MaybeUser,
    body: JsonBody<NewAccount>,
) -> Result<HttpResponse> {
    let NewAccount {
        kind,
        name,
        password,
    } = body.into_inner();
    let account = match kind.as_str() {
        "user" => {
            let password = password
                .ok_or_else(|| Error::new(Code::InvalidPassword, "a user needs a password"))?;
            state
                .auth
                .register_user(
                    &state.store,
                    caller,
                    name,
                    password,
                    None,
                    PasswordRule::Standard,
                )
                .await?
        }
        "organization" => {
            state
                .store
                .run(move |c| accounts::create_organization(c, caller.as_ref(), &name))
                .await?
        }
        _ => {
            return Err(Error::new(
                Code::InvalidAccountType,
                "type is \"user\" or \"organization\"",
            ))
        }
    };
    Ok(HttpResponse::Ok().json(AccountDto::from(&account)))
}

/// `GET /api/v0/accounts`: every account, for any authenticated user.
pub async fn list(state: web::Data<AppState>, _user: User) -> Result<HttpResponse> {
    let list = state.store.run(|c| accounts::list(c)).await?;
    Ok(HttpResponse::Ok().json(dto::account_list(&list)))
}

/// `GET /api/v0/accounts/{name}`.
pub async fn get(
    state: web::Data<AppState>,
    _user: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let name = path.into_inner();
    let account = state.store.run(move |c| accounts::get(c, &name)).await?;
    Ok(HttpResponse::Ok().json(AccountDto::from(&account)))
}

/// `DELETE /api/v0/accounts/{name}`: site admins; 204, also when there was no such account.
pub async fn delete(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let name = path.into_inner();
    state
        .auth
        .delete_account(&state.store, Some(caller), name)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountUpdate {
    /// Absent: unchanged; `null`: no quota; a number: the namespace's registry quota in bytes.
    #[serde(default, deserialize_with = "crate::api::body::present")]
    quota_bytes: Option<Option<u64>>,
}

/// The account with its registry quota and usage (`PATCH` answers this).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountQuotaDto {
    #[serde(flatten)]
    account: AccountDto,
    quota_bytes: Option<u64>,
    used_bytes: u64,
}

/// `PATCH /api/v0/accounts/{name}`: site admins set (a number) or remove (`null`) the
/// namespace's registry quota, `quotaBytes`. 200 with the account, `quotaBytes` and
/// `usedBytes` (the bytes its repositories' blobs take, each blob once).
pub async fn update(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
    body: JsonBody<AccountUpdate>,
) -> Result<HttpResponse> {
    let name = path.into_inner();
    let change = body.into_inner().quota_bytes;
    let (account, usage) = state
        .store
        .run(move |c| match change {
            Some(bytes) => quota::set_quota(c, Some(&caller), &name, bytes),
            None => {
                if !crate::core::policy::is_site_admin(Some(&caller)) {
                    return Err(Error::not_authorized());
                }
                let account = accounts::get(c, &name)?;
                let usage = quota::usage_of(c, &account)?;
                Ok((account, usage))
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(AccountQuotaDto {
        account: AccountDto::from(&account),
        quota_bytes: usage.quota,
        used_bytes: usage.used,
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChange {
    old_password: Option<String>,
    new_password: String,
}

/// `POST /api/v0/accounts/{name}/changePassword`: the user itself (with `oldPassword`) or a
/// site admin (without). 200 with the account.
pub async fn change_password(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    User { caller, proof }: User,
    path: web::Path<String>,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse> {
    let PasswordChange {
        old_password,
        new_password,
    } = body.into_inner();
    let old = match old_password {
        Some(old) => OldPassword::Given(old),
        None => OldPassword::Missing,
    };
    let ip = req.peer_addr().map(|a| a.ip());
    let account = state
        .auth
        .change_password(
            &state.store,
            caller,
            proof,
            ip,
            path.into_inner(),
            old,
            new_password,
            PasswordRule::Standard,
            None,
        )
        .await?;
    Ok(HttpResponse::Ok().json(AccountDto::from(&account)))
}

async fn set_active(
    state: web::Data<AppState>,
    caller: Caller,
    name: String,
    active: bool,
) -> Result<HttpResponse> {
    let account = state
        .auth
        .set_active(&state.store, Some(caller), name, active)
        .await?;
    Ok(HttpResponse::Ok().json(AccountDto::from(&account)))
}

/// `PUT /api/v0/accounts/{name}/activate`: site admins.
pub async fn activate(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    set_active(state, caller, path.into_inner(), true).await
}

/// `PUT /api/v0/accounts/{name}/deactivate`: site admins.
pub async fn deactivate(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    set_active(state, caller, path.into_inner(), false).await
}

/// `GET /api/v0/accounts/{name}/organizations`: the user itself or a site admin.
pub async fn organizations(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let name = path.into_inner();
    let list = state
        .store
        .run(move |c| accounts::organizations_of(c, Some(&caller), &name))
        .await?;
    Ok(HttpResponse::Ok().json(dto::organization_list(&list)))
}
