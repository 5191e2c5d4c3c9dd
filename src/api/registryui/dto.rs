//! RegistryUI shapes: query parameters in, `{"error": null, ...}` bodies out.

use serde::{Deserialize, Serialize};

use crate::core::catalog::{self, Listed};
use crate::core::model::Repository;
use crate::core::time::{rfc3339, rfc3339_opt};
use crate::store::pushed::Pushed;
use crate::store::tags::Tag;

/// `/repositories` parameters (query string, or a POST form body).
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub folder: Option<String>,
    #[serde(rename = "startAfter")]
    pub start_after: Option<String>,
    pub skip: Option<String>,
    pub take: Option<String>,
}

impl ListParams {
    /// These parameters, completed by `other` where absent (the query string wins).
    pub fn or(self, other: ListParams) -> ListParams {
        ListParams {
            folder: self.folder.or(other.folder),
            start_after: self.start_after.or(other.start_after),
            skip: self.skip.or(other.skip),
            take: self.take.or(other.take),
        }
    }
}

/// `/project/create` parameters (query string, or a form body).
#[derive(Debug, Default, Deserialize)]
pub struct CreateParams {
    pub repository: Option<String>,
    pub title: Option<String>,
    #[serde(rename = "isPublic")]
    pub is_public: Option<String>,
}

impl CreateParams {
    pub fn or(self, other: CreateParams) -> CreateParams {
        CreateParams {
            repository: self.repository.or(other.repository),
            title: self.title.or(other.title),
            is_public: self.is_public.or(other.is_public),
        }
    }
}

/// `/tags` parameters.
#[derive(Debug, Default, Deserialize)]
pub struct TagsParams {
    pub repository: Option<String>,
    #[serde(rename = "startAfter")]
    pub start_after: Option<String>,
    pub skip: Option<String>,
    pub take: Option<String>,
}

/// `/taginfo` parameters.
#[derive(Debug, Default, Deserialize)]
pub struct TagParams {
    pub repository: Option<String>,
    #[serde(rename = "tagName")]
    pub tag_name: Option<String>,
}

/// `/folder` parameters.
#[derive(Debug, Default, Deserialize)]
pub struct FolderParams {
    pub path: Option<String>,
}

/// Every success body carries `"error": null` (RegistryUI's Standard API Response).
type NoError = Option<&'static str>;

/// A list answer: `total` before `skip`/`take`, `count` returned.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub error: NoError,
    pub total: i64,
    pub count: usize,
    pub entries: Vec<T>,
}

impl<T> Page<T> {
    pub fn new(total: i64, entries: Vec<T>) -> Self {
        Page {
            error: None,
            total,
            count: entries.len(),
            entries,
        }
    }
}

/// A single-object answer.
#[derive(Debug, Serialize)]
pub struct One<T> {
    pub error: NoError,
    pub entry: T,
}

impl<T> One<T> {
    pub fn new(entry: T) -> Self {
        One { error: None, entry }
    }
}

/// `DELETE /taginfo`.
#[derive(Debug, Serialize)]
pub struct Done {
    pub error: NoError,
}

impl Done {
    pub fn new() -> Self {
        Done { error: None }
    }
}

/// `DELETE /folder`: how many repositories went.
#[derive(Debug, Serialize)]
pub struct Deleted {
    pub error: NoError,
    pub deleted: usize,
}

#[derive(Debug, Serialize)]
pub struct Description {
    pub text: String,
    /// Sanitized when stored (`markdown::render`); never rendered per row.
    pub html: String,
}

/// A Repository Entry: the fields the seed lists as officially supported.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryEntry {
    pub id: i64,
    pub full_path: String,
    pub name: String,
    pub title: String,
    pub description: Description,
    pub is_public: bool,
    pub created: String,
    pub updated: Option<String>,
    pub read_group_ids: Vec<i64>,
    pub update_group_ids: Vec<i64>,
}

impl From<Listed> for RepositoryEntry {
    fn from(Listed { repo, groups }: Listed) -> Self {
        RepositoryEntry {
            id: repo.id,
            full_path: catalog::display_path(&repo.full_path).to_owned(),
            name: repo.name,
            title: repo.short_description,
            description: Description {
                text: repo.long_description,
                html: repo.long_description_html,
            },
            is_public: repo.is_public,
            created: rfc3339(repo.created_at),
            updated: rfc3339_opt(repo.updated_at),
            read_group_ids: groups.read,
            update_group_ids: groups.update,
        }
    }
}

/// One tag of a repository.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagEntry {
    pub repository_name: String,
    pub tag_name: String,
    pub last_updated: String,
    pub pull_count: i64,
    pub pull_command: String,
    /// The manifest digest of a tag the registry pushed (absent for a legacy Index tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Bytes of its config and layers (of every platform's, for an index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
}

impl TagEntry {
    /// `host` is where clients reach this registry (`docker pull <host>/<path>:<tag>`).
    pub fn new(repo: &Repository, tag: &Tag, host: &str) -> Self {
        let path = catalog::display_path(&repo.full_path);
        TagEntry {
            repository_name: path.to_owned(),
            tag_name: tag.name.clone(),
            last_updated: rfc3339(tag.updated_at),
            pull_count: tag.pull_count,
            pull_command: format!("docker pull {host}/{path}:{}", tag.name),
            digest: None,
            size: None,
        }
    }

    /// The entry with what the registry pushed under the tag, if it did.
    pub fn with_pushed(mut self, pushed: Option<Pushed>) -> Self {
        if let Some(p) = pushed {
            self.digest = Some(p.digest);
            self.size = Some(p.size);
        }
        self
    }
}

/// `GET /taginfo`: the tag entry and the image it points at.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagInfo {
    #[serde(flatten)]
    pub tag: TagEntry,
    pub image_id: String,
}
