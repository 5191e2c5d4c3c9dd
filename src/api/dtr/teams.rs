//! `/api/v0/accounts/{org}/teams...`: teams, members, and a team's repository access.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::dto::{self, AccountDto, TeamDto};
use crate::api::body::JsonBody;
use crate::auth::extract::User;
use crate::core::teams::{self, TeamPatch};
use crate::error::{Code, Error, Result};
use crate::AppState;

/// `GET /api/v0/accounts/{org}/teams`: the organization's members and site admins.
pub async fn list(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let org = path.into_inner();
    let list = state
        .store
        .run(move |c| teams::list(c, Some(&caller), &org))
        .await?;
    Ok(HttpResponse::Ok().json(dto::team_list(&list)))
}

#[derive(Deserialize)]
pub struct NewTeam {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// Berth's teams are managed lists of users; LDAP-synced teams are not supported.
fn check_team_type(kind: Option<&str>) -> Result<()> {
    match kind {
        None | Some("managed") => Ok(()),
        Some(_) => Err(Error::new(
            Code::InvalidTeamType,
            "only \"managed\" teams are supported",
        )),
    }
}

/// `POST /api/v0/accounts/{org}/teams`: owners and site admins; 201 with the team.
pub async fn create(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<String>,
    body: JsonBody<NewTeam>,
) -> Result<HttpResponse> {
    let org = path.into_inner();
    let NewTeam {
        name,
        description,
        kind,
    } = body.into_inner();
    check_team_type(kind.as_deref())?;
    let team = state
        .store
        .run(move |c| teams::create(c, Some(&caller), &org, &name, &description))
        .await?;
    Ok(HttpResponse::Created().json(TeamDto::from(&team)))
}

/// `GET /api/v0/accounts/{org}/teams/{team}`.
pub async fn get(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let team = state
        .store
        .run(move |c| teams::get(c, Some(&caller), &org, &team))
        .await?;
    Ok(HttpResponse::Ok().json(TeamDto::from(&team)))
}

#[derive(Deserialize)]
pub struct TeamUpdate {
    name: Option<String>,
    description: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `PATCH /api/v0/accounts/{org}/teams/{team}`: rename and/or describe; 200 with the team.
pub async fn update(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
    body: JsonBody<TeamUpdate>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let TeamUpdate {
        name,
        description,
        kind,
    } = body.into_inner();
    check_team_type(kind.as_deref())?;
    let patch = TeamPatch { name, description };
    let team = state
        .store
        .run(move |c| teams::update(c, Some(&caller), &org, &team, &patch))
        .await?;
    Ok(HttpResponse::Ok().json(TeamDto::from(&team)))
}

/// `DELETE /api/v0/accounts/{org}/teams/{team}`: 204, also when there was no such team.
pub async fn delete(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    state
        .store
        .run(move |c| teams::delete(c, Some(&caller), &org, &team))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v0/accounts/{org}/teams/{team}/members`.
pub async fn members(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let list = state
        .store
        .run(move |c| teams::members(c, Some(&caller), &org, &team))
        .await?;
    Ok(HttpResponse::Ok().json(dto::member_list(&list)))
}

/// `GET .../members/{user}`: 204 for a member, 404 otherwise.
pub async fn is_member(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (org, team, member) = path.into_inner();
    let found = state
        .store
        .run(move |c| teams::is_member(c, Some(&caller), &org, &team, &member))
        .await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(Error::new(
            Code::NotAMember,
            "the user is not a member of this team",
        ))
    }
}

/// `PUT .../members/{user}`: owners and site admins; 200 with the member.
pub async fn add_member(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (org, team, member) = path.into_inner();
    let member = state
        .store
        .run(move |c| teams::add_member(c, Some(&caller), &org, &team, &member))
        .await?;
    Ok(HttpResponse::Ok().json(AccountDto::from(&member)))
}

/// `DELETE .../members/{user}`: 204, also when the user was not a member.
pub async fn remove_member(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (org, team, member) = path.into_inner();
    state
        .store
        .run(move |c| teams::remove_member(c, Some(&caller), &org, &team, &member))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v0/accounts/{org}/teams/{team}/repositoryAccess`.
pub async fn repository_access(
    state: web::Data<AppState>,
    User { caller, .. }: User,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let (team, list) = state
        .store
        .run(move |c| teams::repository_access(c, Some(&caller), &org, &team))
        .await?;
    Ok(HttpResponse::Ok().json(dto::team_repository_access(&team, &list)))
}
