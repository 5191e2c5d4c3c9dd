//! Alauda shapes. Timestamps carry the names the seed documents for each shape, and also
//! `created_at`/`updated_at` everywhere (`docs/contract.md`). A repository never updated
//! shows its creation time as its update time, as the seed's create sample does.
//!
//! Every answer writes its keys in sorted order, as when they were `json!` values: the
//! repository shapes, which share their fields, are built as [`Sorted`]; the others declare
//! their fields in that order.

use serde::Serialize;

use crate::api::Sorted;
use crate::core::accounts::Profile;
use crate::core::model::Repository;
use crate::core::time::{rfc3339, rfc3339_opt};
use crate::store::pushed::Pushed;
use crate::store::tags::Tag;

pub const LOGO: &str = "default-icon.jpg";
pub const LOGO_FILE: &str = "/static/images/user/default-logo.png";

/// What every repository shape shows; the `PUT /v1/repositories/{ns}/{repo}` answer is just
/// this.
#[derive(Debug, Serialize)]
pub struct Updated {
    pub repo_name: String,
    pub namespace: String,
    pub repo_path: String,
    pub description: String,
    pub full_description: String,
    pub is_public: bool,
    pub logo: &'static str,
    pub created_at: String,
    pub updated_at: String,
}

pub fn updated(r: &Repository) -> Sorted<Updated> {
    Sorted(Updated::from(r))
}

impl From<&Repository> for Updated {
    fn from(r: &Repository) -> Self {
        Updated {
            repo_name: r.name.clone(),
            namespace: r.namespace.clone(),
            repo_path: r.full_path.clone(),
            description: r.short_description.clone(),
            full_description: r.long_description.clone(),
            is_public: r.is_public,
            logo: LOGO,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at.unwrap_or(r.created_at)),
        }
    }
}

/// `POST /v1/repositories/{ns}` answer: the times also under the seed's create names.
#[derive(Debug, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub repo: Updated,
    pub is_automated: bool,
    pub creation_time: String,
    pub updated_time: String,
}

pub fn created(r: &Repository) -> Sorted<Created> {
    let repo = Updated::from(r);
    Sorted(Created {
        is_automated: false,
        creation_time: repo.created_at.clone(),
        updated_time: repo.updated_at.clone(),
        repo,
    })
}

/// Stars, pulls and pushes, as the list and the detail show them.
#[derive(Debug, Serialize)]
pub struct Activity {
    pub is_automated: bool,
    pub repo_starred_count: i64,
    pub download: i64,
    pub upload: i64,
    pub pulled_at: Option<String>,
    pub pushed_at: Option<String>,
}

impl From<&Repository> for Activity {
    fn from(r: &Repository) -> Self {
        Activity {
            is_automated: false,
            repo_starred_count: r.star_count,
            download: r.pull_count,
            upload: r.push_count,
            pulled_at: rfc3339_opt(r.pulled_at),
            pushed_at: rfc3339_opt(r.pushed_at),
        }
    }
}

/// One element of `GET /v1/repositories/{ns}` results: [`Updated`] and [`Activity`] with the
/// creation time also as `creation_at`, as the seed's list writes it. Its fields are
/// declared in sorted order (what [`Sorted`] writes) rather than built as `Sorted`: the list
/// is the hot read (issue 17), where a `serde_json::Value` tree of 50 repositories cost more
/// than its queries.
#[derive(Debug, Serialize)]
pub struct Listed<'a> {
    pub created_at: String,
    pub creation_at: String,
    pub description: &'a str,
    pub download: i64,
    pub full_description: &'a str,
    pub is_automated: bool,
    pub is_public: bool,
    pub logo: &'static str,
    pub namespace: &'a str,
    pub pulled_at: Option<String>,
    pub pushed_at: Option<String>,
    pub repo_name: &'a str,
    pub repo_path: &'a str,
    pub repo_starred_count: i64,
    pub updated_at: String,
    pub upload: i64,
}

pub fn listed(r: &Repository) -> Listed<'_> {
    let created_at = rfc3339(r.created_at);
    Listed {
        creation_at: created_at.clone(),
        created_at,
        description: &r.short_description,
        download: r.pull_count,
        full_description: &r.long_description,
        is_automated: false,
        is_public: r.is_public,
        logo: LOGO,
        namespace: &r.namespace,
        pulled_at: rfc3339_opt(r.pulled_at),
        pushed_at: rfc3339_opt(r.pushed_at),
        repo_name: &r.name,
        repo_path: &r.full_path,
        repo_starred_count: r.star_count,
        updated_at: rfc3339(r.updated_at.unwrap_or(r.created_at)),
        upload: r.push_count,
    }
}

/// `GET /v1/repositories/{ns}/{repo}` answer.
#[derive(Debug, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    pub repo: Updated,
    #[serde(flatten)]
    pub activity: Activity,
    pub logo_file: &'static str,
    pub is_repo_starred: bool,
}

pub fn detail(r: &Repository, starred: bool) -> Sorted<Detail> {
    Sorted(Detail {
        repo: Updated::from(r),
        activity: Activity::from(r),
        logo_file: LOGO_FILE,
        is_repo_starred: starred,
    })
}

/// The head of a `GET /v1/repositories/{ns}` answer; its `results` are kept serialized in
/// the read cache and added after it (`repos::list`).
#[derive(Debug, Serialize)]
pub struct ListHead {
    pub count: i64,
    pub next: Option<String>,
    pub previous: Option<String>,
}

/// One element of `GET /v1/repositories/{ns}/{repo}/tags`: the tag under two names.
#[derive(Debug, Serialize)]
pub struct TagDto {
    /// The manifest digest of a tag the registry pushed (absent for a legacy Index tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub image_id: String,
    pub name: String,
    /// Bytes of its config and layers (of every platform's, for an index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    pub tag: String,
}

impl TagDto {
    /// A tag, with what the registry pushed under it if it did.
    pub fn new(t: &Tag, pushed: Option<Pushed>) -> Self {
        let (digest, size) = pushed.map_or((None, None), |p| (Some(p.digest), Some(p.size)));
        TagDto {
            digest,
            image_id: t.image_id.clone(),
            name: t.name.clone(),
            size,
            tag: t.name.clone(),
        }
    }
}

/// `POST /v1/generate-api-token` answer.
#[derive(Debug, Serialize)]
pub struct Token {
    pub token: String,
}

/// `GET /v1/auth/{ns}/profile` answer.
#[derive(Debug, Serialize)]
pub struct ProfileDto {
    pub api_revoked: bool,
    pub created_at: String,
    pub email: Option<String>,
    pub full_name: String,
    pub is_admin: bool,
    pub is_available: bool,
    pub namespace: String,
    pub namespace_type: &'static str,
    pub username: String,
}

impl From<Profile> for ProfileDto {
    fn from(p: Profile) -> Self {
        ProfileDto {
            api_revoked: false,
            created_at: rfc3339(p.user.created_at),
            email: p.emails.into_iter().next(),
            full_name: p.user.full_name,
            is_admin: p.user.is_admin,
            is_available: true,
            namespace: p.namespace.name,
            namespace_type: p.namespace.kind.as_str(),
            username: p.user.name,
        }
    }
}

/// `GET /v1/regions/{ns}` answer: Berth runs in one place, so the list is always empty.
#[derive(Debug, Serialize)]
pub struct Regions([(); 0]);

impl Regions {
    pub const NONE: Regions = Regions([]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_regions_is_an_empty_list() {
        assert_eq!(serde_json::to_string(&Regions::NONE).unwrap(), "[]");
    }

    /// A listed repository writes the bytes it wrote when it was built as `Sorted`.
    #[test]
    fn a_listed_repository_writes_what_sorted_wrote() {
        #[derive(Serialize)]
        struct Old {
            #[serde(flatten)]
            repo: Updated,
            #[serde(flatten)]
            activity: Activity,
            creation_at: String,
        }
        for (updated, pulled) in [
            (None, None),
            (Some(1_700_000_000_000), Some(1_700_000_500_000)),
        ] {
            let r = Repository {
                id: 7,
                namespace_id: 3,
                namespace: "acme".into(),
                namespace_kind: crate::core::model::AccountKind::User,
                name: "r\"x".into(),
                full_path: "acme/r\"x".into(),
                short_description: "short \u{e9}\n".into(),
                long_description: "# long <b>".into(),
                long_description_html: "<h1>long</h1>".into(),
                is_public: updated.is_some(),
                created_at: 1_600_000_000_000,
                updated_at: updated,
                pull_count: 4,
                push_count: 5,
                pulled_at: pulled,
                pushed_at: None,
                star_count: 6,
            };
            let repo = Updated::from(&r);
            let old = Sorted(Old {
                creation_at: repo.created_at.clone(),
                repo,
                activity: Activity::from(&r),
            });
            assert_eq!(
                serde_json::to_string(&listed(&r)).unwrap(),
                serde_json::to_string(&old).unwrap()
            );
        }
    }
}
