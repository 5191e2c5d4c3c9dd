//! Site administration (`/-/admin`, site admins) and organization management
//! (`/-/orgs/{org}`, the organization's owners and site admins). Under `/-/` so that no
//! account name can collide with them.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{CsrfForm, Posted, Visitor};
use super::{page, see_other, signed_in, Chrome};
use crate::core::accounts::{self, Registration};
use crate::core::model::{Account, Team};
use crate::core::policy::{self, Caller, Level};
use crate::core::{grants, settings, teams};
use crate::error::{Code, Error, Result};
use crate::route_table::Routes;
use crate::AppState;

pub fn configure(routes: &mut Routes) {
    routes
        .resource("/-/admin", |r| r.get(admin))
        .resource("/-/admin/users/{name}/active", |r| r.post(set_active))
        .resource("/-/admin/users/{name}/admin", |r| r.post(set_admin))
        .resource("/-/admin/orgs", |r| r.post(create_org))
        .resource("/-/admin/settings", |r| r.post(site_settings))
        .resource("/-/admin/quota", |r| r.post(set_quota))
        .resource("/-/repos/{namespace}/{reponame}/retention", |r| {
            r.get(retention).post(set_retention)
        })
        .resource("/-/orgs/{org}", |r| r.get(org))
        .resource("/-/orgs/{org}/teams", |r| r.post(create_team))
        .resource("/-/orgs/{org}/grants", |r| r.post(namespace_grant))
        .resource("/-/orgs/{org}/teams/{team}", |r| r.get(team))
        .resource("/-/orgs/{org}/teams/{team}/delete", |r| r.post(delete_team))
        .resource("/-/orgs/{org}/teams/{team}/members", |r| r.post(member));
}

fn require_site_admin(caller: &Caller) -> Result<()> {
    if policy::is_site_admin(Some(caller)) {
        Ok(())
    } else {
        Err(Error::not_authorized())
    }
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    chrome: Chrome,
    users: Vec<Account>,
    orgs: Vec<Account>,
    registration: &'static str,
    public_api: bool,
    usage: Vec<UsageRow>,
}

/// A namespace's registry usage on the admin page.
pub struct UsageRow {
    pub namespace: String,
    pub used: u64,
    /// Empty when there is no quota.
    pub quota: String,
}

/// `GET /-/admin`: users, organizations, site settings.
pub async fn admin(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse> {
    let (_, caller) = signed_in!(visitor, "/-/admin");
    require_site_admin(&caller)?;
    let (all, mode, public_api, usage) = state
        .store
        .run(|c| {
            Ok((
                accounts::list(c)?,
                accounts::registration(c)?,
                settings::public_api(c)?,
                crate::store::usage::all_namespaces(c)?,
            ))
        })
        .await?;
    let (users, orgs) = all.into_iter().partition(Account::is_user);
    let t = AdminPage {
        chrome: Chrome::new(&visitor, "Administration"),
        users,
        orgs,
        registration: mode.as_str(),
        public_api,
        usage: usage
            .into_iter()
            .map(|(namespace, quota, used)| UsageRow {
                namespace,
                used,
                quota: quota.map(|q| q.to_string()).unwrap_or_default(),
            })
            .collect(),
    };
    page(&visitor, &t)
}

#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf: String,
    /// `on` or `off`.
    value: String,
}

impl CsrfForm for SwitchForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /-/admin/users/{name}/active`: activate or deactivate a user.
pub async fn set_active(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Posted(visitor, form): Posted<SwitchForm>,
) -> Result<HttpResponse> {
    let (_, caller) = signed_in!(visitor, "/-/admin");
    let name = path.into_inner();
    let on = form.value == "on";
    state
        .auth
        .set_active(&state.store, Some(caller), name, on)
        .await?;
    Ok(see_other("/-/admin"))
}

/// `POST /-/admin/users/{name}/admin`: make a user a site admin, or take it back.
pub async fn set_admin(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Posted(visitor, form): Posted<SwitchForm>,
) -> Result<HttpResponse> {
    let (_, caller) = signed_in!(visitor, "/-/admin");
    let name = path.into_inner();
    let on = form.value == "on";
    state
        .auth
        .set_admin(&state.store, Some(caller), name, on)
        .await?;
    Ok(see_other("/-/admin"))
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf: String,
    name: String,
    #[serde(default)]
    description: String,
}

impl CsrfForm for NameForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /-/admin/orgs`: create an organization (its `owners` team holds the creator).
pub async fn create_org(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<NameForm>,
) -> Result<HttpResponse> {
    let (_, caller) = signed_in!(visitor, "/-/admin");
    let name = form.name.trim().to_owned();
    let org = state
        .store
        .run(move |c| accounts::create_organization(c, Some(&caller), &name))
        .await?;
    Ok(see_other(&format!("/-/orgs/{}", org.name)))
}

#[derive(Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    csrf: String,
    registration: String,
    public_api: String,
}

impl CsrfForm for SiteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /-/admin/settings`: registration policy and the Public API switch.
pub async fn site_settings(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<SiteForm>,
) -> Result<HttpResponse> {
    let (_, caller) = signed_in!(visitor, "/-/admin");
    let mode = Registration::parse(&form.registration)
        .ok_or_else(|| Error::new(Code::InvalidSetting, "unknown registration policy"))?;
    let public_api = form.public_api == "on";
    state
        .store
        .run(move |c| {
            settings::change_registration(c, Some(&caller), mode)?;
            settings::change_public_api(c, Some(&caller), public_api)
        })
        .await?;
    Ok(see_other("/-/admin"))
}

#[derive(Deserialize)]
pub struct QuotaForm {
    #[serde(default)]
    csrf: String,
    namespace: String,
    /// Bytes; empty for no quota.
    #[serde(default)]
    bytes: String,
}

impl CsrfForm for QuotaForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /-/admin/quota`: set a namespace's registry quota (empty: none).
pub async fn set_quota(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<QuotaForm>,
) -> Result<HttpResponse> {
    let (_, caller) = signed_in!(visitor, "/-/admin");
    let text = form.bytes.trim();
    let bytes = if text.is_empty() {
        None
    } else {
        Some(text.parse::<u64>().map_err(|_| {
            Error::new(
                Code::InvalidSetting,
                "the quota is a whole number of bytes, or empty for none",
            )
        })?)
    };
    let namespace = form.namespace.trim().to_owned();
    state
        .store
        .run(move |c| crate::core::quota::set_quota(c, Some(&caller), &namespace, bytes))
        .await?;
    Ok(see_other("/-/admin"))
}

#[derive(Template)]
#[template(path = "repo_retention.html")]
struct RetentionPage {
    chrome: Chrome,
    repo: crate::core::model::Repository,
    /// The form's values: empty for off.
    tags: String,
    days: String,
}

/// `GET /-/repos/{ns}/{name}/retention`: the repository's retention, for its admins (the
/// settings page links here).
pub async fn retention(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    visitor: Visitor,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let back = format!("/-/repos/{ns}/{name}/retention");
    let (_, caller) = signed_in!(visitor, &back);
    let (repo, now) = state
        .store
        .run(move |c| crate::core::retention::get(c, Some(&caller), &ns, &name))
        .await?;
    let text = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let t = RetentionPage {
        chrome: Chrome::new(&visitor, format!("Retention · {}", repo.full_path)),
        repo,
        tags: text(now.tags),
        days: text(now.days),
    };
    page(&visitor, &t)
}

#[derive(Deserialize)]
pub struct RetentionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    days: String,
}

impl CsrfForm for RetentionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// A retention field: empty for off, else a whole number.
fn retention_field(text: &str) -> Result<Option<u32>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>().map(Some).map_err(|_| {
        Error::new(
            Code::InvalidSetting,
            "retention is a whole number, or empty for off",
        )
    })
}

/// `POST /-/repos/{ns}/{name}/retention`: set both fields (empty: off).
pub async fn set_retention(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Posted(visitor, form): Posted<RetentionForm>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let back = format!("/-/repos/{ns}/{name}/retention");
    let (_, caller) = signed_in!(visitor, &back);
    let change = crate::core::retention::Change {
        tags: Some(retention_field(&form.tags)?),
        days: Some(retention_field(&form.days)?),
    };
    state
        .store
        .run(move |c| crate::core::retention::set(c, Some(&caller), &ns, &name, &change))
        .await?;
    Ok(see_other(&back))
}

pub struct GrantRow {
    pub team: String,
    pub level: &'static str,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    chrome: Chrome,
    org: Account,
    teams: Vec<Team>,
    grants: Vec<GrantRow>,
    levels: &'static [&'static str],
}

const LEVELS: &[&str] = &["read-only", "read-write", "admin"];

/// The organization, for its owners and site admins (403 for anyone else).
fn managed(c: &rusqlite::Connection, caller: &Caller, org: &str) -> Result<Account> {
    let (account, facts) = teams::organization(c, Some(caller), org)?;
    if !policy::may_manage_organization(Some(caller), &facts) {
        return Err(Error::not_authorized());
    }
    Ok(account)
}

/// `GET /-/orgs/{org}`: teams and namespace grants.
pub async fn org(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let org = path.into_inner();
    let (_, caller) = signed_in!(visitor, &format!("/-/orgs/{org}"));
    let (account, team_list, grant_list) = state
        .store
        .run(move |c| {
            let account = managed(c, &caller, &org)?;
            let team_list = teams::list(c, Some(&caller), &org)?;
            let (_, grant_list) = grants::namespace_access(c, Some(&caller), &org)?;
            Ok((account, team_list, grant_list))
        })
        .await?;
    let t = OrgPage {
        chrome: Chrome::new(&visitor, format!("Manage {}", account.name)),
        org: account,
        teams: team_list,
        grants: grant_list
            .into_iter()
            .map(|(l, t)| GrantRow {
                team: t.name,
                level: l.as_str(),
            })
            .collect(),
        levels: LEVELS,
    };
    page(&visitor, &t)
}

/// `POST /-/orgs/{org}/teams`: create a team.
pub async fn create_team(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Posted(visitor, form): Posted<NameForm>,
) -> Result<HttpResponse> {
    let org = path.into_inner();
    let (_, caller) = signed_in!(visitor, &format!("/-/orgs/{org}"));
    let back = format!("/-/orgs/{org}");
    let name = form.name.trim().to_owned();
    state
        .store
        .run(move |c| teams::create(c, Some(&caller), &org, &name, &form.description).map(|_| ()))
        .await?;
    Ok(see_other(&back))
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    csrf: String,
    team: String,
    /// A level, or `none` to take the grant away.
    level: String,
}

impl CsrfForm for GrantForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /-/orgs/{org}/grants`: a team's level on the whole namespace.
pub async fn namespace_grant(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Posted(visitor, form): Posted<GrantForm>,
) -> Result<HttpResponse> {
    let org = path.into_inner();
    let (_, caller) = signed_in!(visitor, &format!("/-/orgs/{org}"));
    let back = format!("/-/orgs/{org}");
    let level = match form.level.as_str() {
        "none" => None,
        l => Some(
            Level::parse_grant(l)
                .ok_or_else(|| Error::new(Code::InvalidLevel, "choose an access level"))?,
        ),
    };
    let team = form.team.trim().to_owned();
    state
        .store
        .run(move |c| match level {
            Some(l) => grants::grant_namespace(c, Some(&caller), &org, &team, l).map(|_| ()),
            None => grants::revoke_namespace(c, Some(&caller), &org, &team),
        })
        .await?;
    Ok(see_other(&back))
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    chrome: Chrome,
    org: Account,
    team: Team,
    members: Vec<Account>,
}

/// `GET /-/orgs/{org}/teams/{team}`: a team's members.
pub async fn team(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let (_, caller) = signed_in!(visitor, &format!("/-/orgs/{org}/teams/{team}"));
    let (account, found, members) = state
        .store
        .run(move |c| {
            let account = managed(c, &caller, &org)?;
            let found = teams::get(c, Some(&caller), &org, &team)?;
            let members = teams::members(c, Some(&caller), &org, &team)?;
            Ok((account, found, members))
        })
        .await?;
    let t = TeamPage {
        chrome: Chrome::new(&visitor, format!("{} · {}", account.name, found.name)),
        org: account,
        team: found,
        members,
    };
    page(&visitor, &t)
}

/// `POST /-/orgs/{org}/teams/{team}/delete` (`owners` cannot be deleted).
pub async fn delete_team(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Posted(visitor, _): Posted<super::account::CsrfOnly>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let (_, caller) = signed_in!(visitor, &format!("/-/orgs/{org}"));
    let back = format!("/-/orgs/{org}");
    state
        .store
        .run(move |c| teams::delete(c, Some(&caller), &org, &team))
        .await?;
    Ok(see_other(&back))
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    user: String,
    /// `add` or `remove`.
    action: String,
}

impl CsrfForm for MemberForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /-/orgs/{org}/teams/{team}/members`: add or remove a member.
pub async fn member(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Posted(visitor, form): Posted<MemberForm>,
) -> Result<HttpResponse> {
    let (org, team) = path.into_inner();
    let back = format!("/-/orgs/{org}/teams/{team}");
    let (_, caller) = signed_in!(visitor, &back);
    let user = form.user.trim().to_owned();
    let add = form.action != "remove";
    state
        .store
        .run(move |c| {
            if add {
                teams::add_member(c, Some(&caller), &org, &team, &user).map(|_| ())
            } else {
                teams::remove_member(c, Some(&caller), &org, &team, &user)
            }
        })
        .await?;
    Ok(see_other(&back))
}
