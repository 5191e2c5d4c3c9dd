//! Alauda shapes. Timestamps carry the names the seed documents for each shape, and also
//! `created_at`/`updated_at` everywhere (`docs/contract.md`). A repository never updated
//! shows its creation time as its update time, as the seed's create sample does.
//!
//! Every answer declares its keys in sorted order: they were `json!` values once (which sort
//! their keys), and their bytes stay as clients have seen them.

use serde::Serialize;

use crate::core::accounts::Profile;
use crate::core::model::Repository;
use crate::core::time::{rfc3339, rfc3339_opt};
use crate::store::tags::Tag;

pub const LOGO: &str = "default-icon.jpg";
pub const LOGO_FILE: &str = "/static/images/user/default-logo.png";

fn times(r: &Repository) -> (String, String) {
    (
        rfc3339(r.created_at),
        rfc3339(r.updated_at.unwrap_or(r.created_at)),
    )
}

/// `POST /v1/repositories/{ns}` answer.
#[derive(Debug, Serialize)]
pub struct Created {
    pub created_at: String,
    pub creation_time: String,
    pub description: String,
    pub full_description: String,
    pub is_automated: bool,
    pub is_public: bool,
    pub logo: &'static str,
    pub namespace: String,
    pub repo_name: String,
    pub repo_path: String,
    pub updated_at: String,
    pub updated_time: String,
}

impl From<&Repository> for Created {
    fn from(r: &Repository) -> Self {
        let (created, updated) = times(r);
        Created {
            creation_time: created.clone(),
            created_at: created,
            description: r.short_description.clone(),
            full_description: r.long_description.clone(),
            is_automated: false,
            is_public: r.is_public,
            logo: LOGO,
            namespace: r.namespace.clone(),
            repo_name: r.name.clone(),
            repo_path: r.full_path.clone(),
            updated_time: updated.clone(),
            updated_at: updated,
        }
    }
}

/// One element of `GET /v1/repositories/{ns}` results.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub created_at: String,
    pub creation_at: String,
    pub description: String,
    pub download: i64,
    pub full_description: String,
    pub is_automated: bool,
    pub is_public: bool,
    pub logo: &'static str,
    pub namespace: String,
    pub pulled_at: Option<String>,
    pub pushed_at: Option<String>,
    pub repo_name: String,
    pub repo_path: String,
    pub repo_starred_count: i64,
    pub updated_at: String,
    pub upload: i64,
}

impl From<&Repository> for Listed {
    fn from(r: &Repository) -> Self {
        let (created, updated) = times(r);
        Listed {
            creation_at: created.clone(),
            created_at: created,
            description: r.short_description.clone(),
            download: r.pull_count,
            full_description: r.long_description.clone(),
            is_automated: false,
            is_public: r.is_public,
            logo: LOGO,
            namespace: r.namespace.clone(),
            pulled_at: rfc3339_opt(r.pulled_at),
            pushed_at: rfc3339_opt(r.pushed_at),
            repo_name: r.name.clone(),
            repo_path: r.full_path.clone(),
            repo_starred_count: r.star_count,
            updated_at: updated,
            upload: r.push_count,
        }
    }
}

/// The head of a `GET /v1/repositories/{ns}` answer; its `results` are kept serialized in
/// the read cache and added after it (`repos::list`).
#[derive(Debug, Serialize)]
pub struct ListHead {
    pub count: i64,
    pub next: Option<String>,
    pub previous: Option<String>,
}

/// `GET /v1/repositories/{ns}/{repo}` answer.
#[derive(Debug, Serialize)]
pub struct Detail {
    pub created_at: String,
    pub description: String,
    pub download: i64,
    pub full_description: String,
    pub is_automated: bool,
    pub is_public: bool,
    pub is_repo_starred: bool,
    pub logo: &'static str,
    pub logo_file: &'static str,
    pub namespace: String,
    pub pulled_at: Option<String>,
    pub pushed_at: Option<String>,
    pub repo_name: String,
    pub repo_path: String,
    pub repo_starred_count: i64,
    pub updated_at: String,
    pub upload: i64,
}

impl Detail {
    pub fn new(r: &Repository, starred: bool) -> Self {
        let (created_at, updated_at) = times(r);
        Detail {
            created_at,
            description: r.short_description.clone(),
            download: r.pull_count,
            full_description: r.long_description.clone(),
            is_automated: false,
            is_public: r.is_public,
            is_repo_starred: starred,
            logo: LOGO,
            logo_file: LOGO_FILE,
            namespace: r.namespace.clone(),
            pulled_at: rfc3339_opt(r.pulled_at),
            pushed_at: rfc3339_opt(r.pushed_at),
            repo_name: r.name.clone(),
            repo_path: r.full_path.clone(),
            repo_starred_count: r.star_count,
            updated_at,
            upload: r.push_count,
        }
    }
}

/// `PUT /v1/repositories/{ns}/{repo}` answer.
#[derive(Debug, Serialize)]
pub struct Updated {
    pub created_at: String,
    pub description: String,
    pub full_description: String,
    pub is_public: bool,
    pub logo: &'static str,
    pub namespace: String,
    pub repo_name: String,
    pub repo_path: String,
    pub updated_at: String,
}

impl From<&Repository> for Updated {
    fn from(r: &Repository) -> Self {
        let (created_at, updated_at) = times(r);
        Updated {
            created_at,
            description: r.short_description.clone(),
            full_description: r.long_description.clone(),
            is_public: r.is_public,
            logo: LOGO,
            namespace: r.namespace.clone(),
            repo_name: r.name.clone(),
            repo_path: r.full_path.clone(),
            updated_at,
        }
    }
}

/// One element of `GET /v1/repositories/{ns}/{repo}/tags`: the tag under two names.
#[derive(Debug, Serialize)]
pub struct TagDto {
    pub image_id: String,
    pub name: String,
    pub tag: String,
}

impl From<&Tag> for TagDto {
    fn from(t: &Tag) -> Self {
        TagDto {
            image_id: t.image_id.clone(),
            name: t.name.clone(),
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
}
