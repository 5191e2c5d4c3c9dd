//! The data model as the core and every dialect see it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    User,
    Organization,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::User => "user",
            AccountKind::Organization => "organization",
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        match s {
            "user" => Some(AccountKind::User),
            "organization" => Some(AccountKind::Organization),
            _ => None,
        }
    }
}

/// A user or an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub kind: AccountKind,
    pub full_name: String,
    pub is_active: bool,
    pub is_admin: bool,
    pub created_at: i64,
}

impl Account {
    pub fn is_user(&self) -> bool {
        self.kind == AccountKind::User
    }
}

/// A hosted repository with everything any dialect shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub id: i64,
    pub namespace_id: i64,
    pub namespace: String,
    pub namespace_kind: AccountKind,
    pub name: String,
    pub full_path: String,
    pub short_description: String,
    pub long_description: String,
    /// Sanitized when written; see `markdown::SanitizedHtml::from_stored`.
    pub long_description_html: String,
    pub is_public: bool,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub pull_count: i64,
    pub push_count: i64,
    pub pulled_at: Option<i64>,
    pub pushed_at: Option<i64>,
    pub star_count: i64,
}

impl Repository {
    pub fn visibility(&self) -> &'static str {
        if self.is_public {
            "public"
        } else {
            "private"
        }
    }

    pub fn is_library(&self) -> bool {
        self.namespace == crate::core::names::LIBRARY
    }
}

/// A team of users inside an organization. Every organization has a team `owners`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub created_at: i64,
}

impl Team {
    /// The team whose members administer the organization; it cannot be renamed or removed.
    pub const OWNERS: &'static str = "owners";

    pub fn is_owners(&self) -> bool {
        self.name == Team::OWNERS
    }
}

/// A reference to a repository on another registry (Cloud dialect), kept per namespace. Its
/// credentials are deliberately not part of this value: they are write-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRepository {
    pub id: i64,
    pub namespace_id: i64,
    /// The full reference, e.g. `registry.local/user1/image1`.
    pub name: String,
    /// The registry it lives on, e.g. `registry.local` or `registry-1.docker.io`.
    pub registry_host: String,
    pub created_at: i64,
    pub updated_at: i64,
}
