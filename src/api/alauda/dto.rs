//! Alauda shapes. Timestamps carry the names the seed documents for each shape, and also
//! `created_at`/`updated_at` everywhere (`docs/contract.md`). A repository never updated
//! shows its creation time as its update time, as the seed's create sample does.

use serde_json::{json, Value};

use crate::core::model::Repository;
use crate::core::time::{rfc3339, rfc3339_opt};

pub const LOGO: &str = "default-icon.jpg";
pub const LOGO_FILE: &str = "/static/images/user/default-logo.png";

fn times(r: &Repository) -> (String, String) {
    (
        rfc3339(r.created_at),
        rfc3339(r.updated_at.unwrap_or(r.created_at)),
    )
}

/// `POST /v1/repositories/{ns}` answer.
pub fn created(r: &Repository) -> Value {
    let (created, updated) = times(r);
    json!({
        "repo_name": r.name,
        "namespace": r.namespace,
        "repo_path": r.full_path,
        "is_automated": false,
        "description": r.short_description,
        "full_description": r.long_description,
        "creation_time": created,
        "updated_time": updated,
        "created_at": created,
        "updated_at": updated,
        "is_public": r.is_public,
        "logo": LOGO,
    })
}

/// One element of `GET /v1/repositories/{ns}` results.
pub fn listed(r: &Repository) -> Value {
    let (created, updated) = times(r);
    json!({
        "repo_name": r.name,
        "namespace": r.namespace,
        "repo_path": r.full_path,
        "is_automated": false,
        "description": r.short_description,
        "creation_at": created,
        "created_at": created,
        "updated_at": updated,
        "is_public": r.is_public,
        "logo": LOGO,
        "repo_starred_count": r.star_count,
        "full_description": r.long_description,
        "download": r.pull_count,
        "upload": r.push_count,
        "pulled_at": rfc3339_opt(r.pulled_at),
        "pushed_at": rfc3339_opt(r.pushed_at),
    })
}

/// `GET /v1/repositories/{ns}/{repo}` answer.
pub fn detail(r: &Repository, starred: bool) -> Value {
    let (created, updated) = times(r);
    json!({
        "namespace": r.namespace,
        "repo_name": r.name,
        "repo_path": r.full_path,
        "logo_file": LOGO_FILE,
        "description": r.short_description,
        "full_description": r.long_description,
        "repo_starred_count": r.star_count,
        "created_at": created,
        "updated_at": updated,
        "is_public": r.is_public,
        "logo": LOGO,
        "is_automated": false,
        "download": r.pull_count,
        "upload": r.push_count,
        "pulled_at": rfc3339_opt(r.pulled_at),
        "pushed_at": rfc3339_opt(r.pushed_at),
        "is_repo_starred": starred,
    })
}

/// `PUT /v1/repositories/{ns}/{repo}` answer.
pub fn updated(r: &Repository) -> Value {
    let (created, updated) = times(r);
    json!({
        "repo_name": r.name,
        "namespace": r.namespace,
        "repo_path": r.full_path,
        "description": r.short_description,
        "full_description": r.long_description,
        "is_public": r.is_public,
        "logo": LOGO,
        "created_at": created,
        "updated_at": updated,
    })
}
