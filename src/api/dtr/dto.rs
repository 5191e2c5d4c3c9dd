//! The DTR 1.3 wire shapes (camelCase, as the DTR documents write them).

use serde::Serialize;

use crate::core::model::{Account, Repository, Team};
use crate::core::policy::Level;

/// `{"id","type","name","isActive"}`, for users and organizations alike.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDto {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub is_active: bool,
}

impl From<&Account> for AccountDto {
    fn from(a: &Account) -> Self {
        AccountDto {
            id: a.id,
            kind: a.kind.as_str(),
            name: a.name.clone(),
            is_active: a.is_active,
        }
    }
}

pub fn accounts(list: &[Account]) -> Vec<AccountDto> {
    list.iter().map(AccountDto::from).collect()
}

/// `{"id","orgID","type":"managed","name","description"}`: Berth has managed teams only.
#[derive(Debug, Serialize)]
pub struct TeamDto {
    pub id: i64,
    #[serde(rename = "orgID")]
    pub org_id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub description: String,
}

impl From<&Team> for TeamDto {
    fn from(t: &Team) -> Self {
        TeamDto {
            id: t.id,
            org_id: t.org_id,
            kind: "managed",
            name: t.name.clone(),
            description: t.description.clone(),
        }
    }
}

/// The seed's repository object; `status` is always `ok`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryDto {
    pub id: i64,
    pub namespace: String,
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub visibility: &'static str,
    pub status: &'static str,
}

impl From<&Repository> for RepositoryDto {
    fn from(r: &Repository) -> Self {
        RepositoryDto {
            id: r.id,
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            short_description: r.short_description.clone(),
            long_description: r.long_description.clone(),
            visibility: r.visibility(),
            status: "ok",
        }
    }
}

/// One grant, e.g. `{"accessLevel":"read-write","user":{...}}`; the grantee's key is
/// `user`, `team` or `repository` by where the list sits.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserGrant {
    pub access_level: &'static str,
    pub user: AccountDto,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamGrant {
    pub access_level: &'static str,
    pub team: TeamDto,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryGrant {
    pub access_level: &'static str,
    pub repository: RepositoryDto,
}

pub fn user_grants(list: &[(Level, Account)]) -> Vec<UserGrant> {
    list.iter()
        .map(|(l, a)| UserGrant {
            access_level: l.as_str(),
            user: a.into(),
        })
        .collect()
}

pub fn team_grants(list: &[(Level, Team)]) -> Vec<TeamGrant> {
    list.iter()
        .map(|(l, t)| TeamGrant {
            access_level: l.as_str(),
            team: t.into(),
        })
        .collect()
}

pub fn repository_grants(list: &[(Level, Repository)]) -> Vec<RepositoryGrant> {
    list.iter()
        .map(|(l, r)| RepositoryGrant {
            access_level: l.as_str(),
            repository: r.into(),
        })
        .collect()
}
