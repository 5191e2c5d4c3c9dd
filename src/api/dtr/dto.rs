//! The DTR 1.3 wire shapes (camelCase, as the DTR documents write them).
//!
//! An account, team or repository answered alone writes its fields in the order declared
//! here. The answers that wrap them (lists, access lists) are [`Sorted`]: every key in sorted
//! order, nested objects included, as when they were `json!` values.

use serde::Serialize;

use crate::api::Sorted;
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

fn accounts(list: &[Account]) -> Vec<AccountDto> {
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

fn user_grants(list: &[(Level, Account)]) -> Vec<UserGrant> {
    list.iter()
        .map(|(l, a)| UserGrant {
            access_level: l.as_str(),
            user: a.into(),
        })
        .collect()
}

fn team_grants(list: &[(Level, Team)]) -> Vec<TeamGrant> {
    list.iter()
        .map(|(l, t)| TeamGrant {
            access_level: l.as_str(),
            team: t.into(),
        })
        .collect()
}

fn repository_grants(list: &[(Level, Repository)]) -> Vec<RepositoryGrant> {
    list.iter()
        .map(|(l, r)| RepositoryGrant {
            access_level: l.as_str(),
            repository: r.into(),
        })
        .collect()
}

// The answers that wrap those objects, written through `Sorted`.

/// `GET /api/v0/accounts`: `{"accounts": [...]}`.
#[derive(Debug, Serialize)]
pub struct AccountList {
    pub accounts: Vec<AccountDto>,
}

pub fn account_list(list: &[Account]) -> Sorted<AccountList> {
    Sorted(AccountList {
        accounts: accounts(list),
    })
}

/// `GET /api/v0/accounts/{name}/organizations`: `{"organizations": [...]}`.
#[derive(Debug, Serialize)]
pub struct OrganizationList {
    pub organizations: Vec<AccountDto>,
}

pub fn organization_list(list: &[Account]) -> Sorted<OrganizationList> {
    Sorted(OrganizationList {
        organizations: accounts(list),
    })
}

/// `GET .../teams/{team}/members`: `{"members": [...]}`.
#[derive(Debug, Serialize)]
pub struct MemberList {
    pub members: Vec<AccountDto>,
}

pub fn member_list(list: &[Account]) -> Sorted<MemberList> {
    Sorted(MemberList {
        members: accounts(list),
    })
}

/// `GET /api/v0/accounts/{org}/teams`: `{"teams": [...]}`.
#[derive(Debug, Serialize)]
pub struct TeamList {
    pub teams: Vec<TeamDto>,
}

pub fn team_list(list: &[Team]) -> Sorted<TeamList> {
    Sorted(TeamList {
        teams: list.iter().map(TeamDto::from).collect(),
    })
}

/// `GET /api/v0/repositories/{namespace}`: `{"repositories": [...]}`, each repository with
/// its keys in sorted order as [`Sorted`] would write them. Not written through `Sorted`:
/// the listing is the hot read (issue 17), and a `serde_json::Value` tree of 50 repositories
/// cost a third of its CPU.
#[derive(Debug)]
pub struct RepositoryList(Vec<Repository>);

impl Serialize for RepositoryList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            repositories: Vec<SortedRepository<'a>>,
        }
        Body {
            repositories: self.0.iter().map(SortedRepository::from).collect(),
        }
        .serialize(serializer)
    }
}

/// [`RepositoryDto`] with its keys in sorted order, borrowing the repository.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SortedRepository<'a> {
    id: i64,
    long_description: &'a str,
    name: &'a str,
    namespace: &'a str,
    short_description: &'a str,
    status: &'static str,
    visibility: &'static str,
}

impl<'a> From<&'a Repository> for SortedRepository<'a> {
    fn from(r: &'a Repository) -> Self {
        SortedRepository {
            id: r.id,
            long_description: &r.long_description,
            name: &r.name,
            namespace: &r.namespace,
            short_description: &r.short_description,
            status: "ok",
            visibility: r.visibility(),
        }
    }
}

pub fn repository_list(list: Vec<Repository>) -> RepositoryList {
    RepositoryList(list)
}

/// `GET .../userAccess`: the repository and its user grants.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAccessList {
    pub repository: RepositoryDto,
    pub user_access_list: Vec<UserGrant>,
}

pub fn user_access_list(repo: &Repository, list: &[(Level, Account)]) -> Sorted<UserAccessList> {
    Sorted(UserAccessList {
        repository: repo.into(),
        user_access_list: user_grants(list),
    })
}

/// `PUT .../userAccess/{user}`: the grant made.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAccess {
    pub access_level: &'static str,
    pub user: AccountDto,
    pub repository: RepositoryDto,
}

pub fn user_access(level: Level, repo: &Repository, user: &Account) -> Sorted<UserAccess> {
    Sorted(UserAccess {
        access_level: level.as_str(),
        user: user.into(),
        repository: repo.into(),
    })
}

/// `GET .../teamAccess`: the repository and its team grants.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamAccessList {
    pub repository: RepositoryDto,
    pub team_access_list: Vec<TeamGrant>,
}

pub fn team_access_list(repo: &Repository, list: &[(Level, Team)]) -> Sorted<TeamAccessList> {
    Sorted(TeamAccessList {
        repository: repo.into(),
        team_access_list: team_grants(list),
    })
}

/// `PUT .../teamAccess/{team}`: the grant made.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamAccess {
    pub access_level: &'static str,
    pub team: TeamDto,
    pub repository: RepositoryDto,
}

pub fn team_access(level: Level, repo: &Repository, team: &Team) -> Sorted<TeamAccess> {
    Sorted(TeamAccess {
        access_level: level.as_str(),
        team: team.into(),
        repository: repo.into(),
    })
}

/// `GET /api/v0/repositoryNamespaces/{org}/teamAccess`: the namespace and its team grants.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceAccessList {
    pub namespace: AccountDto,
    pub team_access_list: Vec<TeamGrant>,
}

pub fn namespace_access_list(org: &Account, list: &[(Level, Team)]) -> Sorted<NamespaceAccessList> {
    Sorted(NamespaceAccessList {
        namespace: org.into(),
        team_access_list: team_grants(list),
    })
}

/// `GET|PUT /api/v0/repositoryNamespaces/{org}/teamAccess/{team}`: one namespace grant.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceAccess {
    pub access_level: &'static str,
    pub team: TeamDto,
    pub namespace: AccountDto,
}

pub fn namespace_access(level: Level, org: &Account, team: &Team) -> Sorted<NamespaceAccess> {
    Sorted(NamespaceAccess {
        access_level: level.as_str(),
        team: team.into(),
        namespace: org.into(),
    })
}

/// `GET .../teams/{team}/repositoryAccess`: the team and its repository grants.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamRepositoryAccess {
    pub team: TeamDto,
    pub repository_access_list: Vec<RepositoryGrant>,
}

pub fn team_repository_access(
    team: &Team,
    list: &[(Level, Repository)],
) -> Sorted<TeamRepositoryAccess> {
    Sorted(TeamRepositoryAccess {
        team: team.into(),
        repository_access_list: repository_grants(list),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::AccountKind;

    fn text<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap_or_default()
    }

    #[test]
    fn an_object_alone_keeps_its_declared_order_and_wrapped_its_keys_are_sorted() {
        let org = Account {
            id: 3,
            name: "acme".into(),
            kind: AccountKind::Organization,
            full_name: String::new(),
            is_active: true,
            is_admin: false,
            created_at: 0,
        };
        let team = Team {
            id: 9,
            org_id: 3,
            name: "devs".into(),
            description: "d".into(),
            created_at: 0,
        };
        assert_eq!(
            text(&AccountDto::from(&org)),
            r#"{"id":3,"type":"organization","name":"acme","isActive":true}"#
        );
        assert_eq!(
            text(&namespace_access(Level::Admin, &org, &team)),
            concat!(
                r#"{"accessLevel":"admin","#,
                r#""namespace":{"id":3,"isActive":true,"name":"acme","type":"organization"},"#,
                r#""team":{"description":"d","id":9,"name":"devs","orgID":3,"type":"managed"}}"#
            )
        );
        assert_eq!(
            text(&namespace_access_list(&org, &[(Level::ReadOnly, team)])),
            concat!(
                r#"{"namespace":{"id":3,"isActive":true,"name":"acme","type":"organization"},"#,
                r#""teamAccessList":[{"accessLevel":"read-only","team":"#,
                r#"{"description":"d","id":9,"name":"devs","orgID":3,"type":"managed"}}]}"#
            )
        );
    }

    /// The repository list writes the bytes it wrote as a `Sorted` list of `RepositoryDto`s.
    #[test]
    fn the_repository_list_writes_what_sorted_wrote() {
        let repo = |id: i64, public: bool| Repository {
            id,
            namespace_id: 3,
            namespace: "acme".into(),
            namespace_kind: AccountKind::Organization,
            name: format!("r\"{id}"),
            full_path: format!("acme/r{id}"),
            short_description: "short \u{e9}\n".into(),
            long_description: "# long <b>".into(),
            long_description_html: "<h1>long</h1>".into(),
            is_public: public,
            created_at: 0,
            updated_at: None,
            pull_count: 0,
            push_count: 0,
            pulled_at: None,
            pushed_at: None,
            star_count: 0,
        };
        let list = vec![repo(1, true), repo(2, false)];
        #[derive(Serialize)]
        struct Old {
            repositories: Vec<RepositoryDto>,
        }
        let old = Sorted(Old {
            repositories: list.iter().map(RepositoryDto::from).collect(),
        });
        assert_eq!(text(&repository_list(list)), text(&old));
        assert_eq!(text(&repository_list(Vec::new())), r#"{"repositories":[]}"#);
    }
}
