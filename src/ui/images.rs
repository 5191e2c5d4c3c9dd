//! The image pages (issue 16): a repository's tags tab (`/{ns}/{repo}/tags`: filter, sort,
//! pages, delete for admins), one tag or digest opened up (`/{ns}/{repo}/tags/{tag}`,
//! `/{ns}/{repo}/digests/{digest}`), and the activity chart the repository and namespace
//! pages show. Everything is read under the one policy (`core::images`): what the visitor
//! may not read is the same 404 page as what does not exist.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::chart::Chart;
use super::pages::{parse_page, pull_command, Pin};
use super::session::{CsrfForm, Posted, Visitor};
use super::{bytes, page, see_other, signed_in, when, when_opt, Chrome};
use crate::core::images::{self, Body, Config, ConfigView, Wanted};
use crate::core::model::Repository;
use crate::core::policy::Level;
use crate::core::{repos, tags as tag_ops};
use crate::error::{Code, Error, Result};
use crate::store::activity::{day_of, Day};
use crate::store::images::TagOrder;
use crate::store::now_ms;
use crate::AppState;

/// Tags per page of the tags tab.
pub const TAGS_PER_PAGE: i64 = 25;

/// The first 12 hex digits of a digest, as `docker images` shows ids.
pub fn short_digest(digest: &str) -> String {
    digest
        .split_once(':')
        .map_or(digest, |(_, hex)| hex)
        .chars()
        .take(12)
        .collect()
}

/// The activity chart of the 30 days ending today, from stored rows.
pub fn activity_chart(rows: &[Day]) -> Chart {
    Chart::build(day_of(now_ms()), rows)
}

/// The first day the activity chart shows.
pub fn activity_from() -> i64 {
    images::activity_from(day_of(now_ms()))
}

pub struct TagsRow {
    pub name: String,
    pub digest: Option<String>,
    pub short_digest: String,
    pub size: String,
    pub platforms: Vec<String>,
    pub pushed: String,
    pub pulled: String,
    pub pulls: i64,
}

#[derive(Template)]
#[template(path = "tags.html")]
struct TagsPage {
    chrome: Chrome,
    repo: Repository,
    level: Level,
    q: String,
    sort: &'static str,
    rows: Vec<TagsRow>,
    total: i64,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct TagsQuery {
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

fn tags_link(path: &str, q: &str, sort: &str, page: i64) -> String {
    let mut params: Vec<(&str, String)> = Vec::new();
    if !q.is_empty() {
        params.push(("q", q.to_owned()));
    }
    params.push(("sort", sort.to_owned()));
    params.push(("page", page.to_string()));
    format!(
        "/{path}/tags?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

/// `GET /{ns}/{repo}/tags`: every tag, filtered by a part of its name (`q`), sorted by push
/// time (default) or name (`sort=name`), a page at a time.
pub async fn tags(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<TagsQuery>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let query = query.into_inner();
    // Tag names are at most 128 characters; a longer filter matches nothing anyway.
    let q: String = query
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(128)
        .collect();
    let (order, sort) = match query.sort.as_deref() {
        Some("name") => (TagOrder::Name, "name"),
        _ => (TagOrder::Pushed, "pushed"),
    };
    let page_no = parse_page(query.page.as_deref());
    let caller = visitor.caller();
    let filter = q.clone();
    let (repo, level, rows, total) = state
        .store
        .run(move |c| {
            let q = images::TagQuery {
                filter,
                order,
                limit: TAGS_PER_PAGE,
                offset: (page_no - 1) * TAGS_PER_PAGE,
            };
            images::tags(c, caller.as_ref(), &ns, &name, &q)
        })
        .await?;
    let rows = rows
        .into_iter()
        .map(|t| {
            let (digest, size, platforms) = match t.manifest {
                Some(m) => (Some(m.digest), bytes(m.size), m.platforms),
                None => (None, String::new(), Vec::new()),
            };
            TagsRow {
                short_digest: digest
                    .as_deref()
                    .map_or_else(|| t.image_id.chars().take(12).collect(), short_digest),
                digest,
                size,
                platforms,
                pushed: when(t.pushed_at),
                pulled: when_opt(t.pulled_at),
                pulls: t.pull_count,
                name: t.name,
            }
        })
        .collect();
    let pages = (total + TAGS_PER_PAGE - 1) / TAGS_PER_PAGE;
    let t = TagsPage {
        chrome: Chrome::new(&visitor, format!("Tags · {}", repo.full_path)),
        prev: (page_no > 1).then(|| tags_link(&repo.full_path, &q, sort, page_no - 1)),
        next: (page_no < pages).then(|| tags_link(&repo.full_path, &q, sort, page_no + 1)),
        repo,
        level,
        q,
        sort,
        rows,
        total,
        page: page_no,
    };
    page(&visitor, &t)
}

pub struct ChildRow {
    pub platform: String,
    pub digest: String,
    pub short_digest: String,
    pub size: String,
}

pub struct LayerRow {
    pub digest: String,
    pub short_digest: String,
    pub media_type: String,
    pub size: String,
    pub created_by: Option<String>,
}

pub struct ReferrerRow {
    pub artifact_type: String,
    pub digest: String,
    pub short_digest: String,
    pub media_type: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "tag.html")]
struct TagPage {
    chrome: Chrome,
    repo: Repository,
    level: Level,
    /// The tag the page was opened by (`None`: by digest).
    tag: Option<String>,
    digest: String,
    media_type: String,
    artifact_type: Option<String>,
    subject: Option<String>,
    size: String,
    platforms: String,
    pushed: String,
    tags: Vec<String>,
    annotations: Vec<(String, String)>,
    pull_by_tag: Option<String>,
    pull_by_digest: String,
    /// An index's platform manifests (`None`: an image manifest).
    children: Option<Vec<ChildRow>>,
    config_digest: String,
    config_media_type: String,
    config: Option<Config>,
    /// Entrypoint and command in exec form (`["/app","--serve"]`).
    entrypoint: Option<String>,
    cmd: Option<String>,
    /// Why the configuration is not shown, when it is not.
    config_note: Option<&'static str>,
    layers: Vec<LayerRow>,
    referrers: Vec<ReferrerRow>,
}

fn show(
    state: &AppState,
    req: &HttpRequest,
    visitor: &Visitor,
    view: images::View,
    tag: Option<String>,
) -> Result<HttpResponse> {
    let repo = view.repo;
    let (children, config_digest, config_media_type, config, config_note, layers) = match view.body
    {
        Body::Index { children } => {
            let rows = children
                .into_iter()
                .map(|c| ChildRow {
                    platform: c.platform.unwrap_or_else(|| "unknown".to_owned()),
                    short_digest: short_digest(&c.digest),
                    digest: c.digest,
                    size: bytes(c.size.min(i64::MAX as u64) as i64),
                })
                .collect();
            (
                Some(rows),
                String::new(),
                String::new(),
                None,
                None,
                Vec::new(),
            )
        }
        Body::Image {
            config,
            config_view,
            layers,
        } => {
            let (shown, note) = match config_view {
                ConfigView::Shown(c) => (Some(*c), None),
                ConfigView::NotImage => (None, Some("not an image configuration: an artifact")),
                ConfigView::TooLarge => (None, Some("too large to show")),
                ConfigView::Unreadable => (None, Some("could not be read")),
            };
            let layers = layers
                .into_iter()
                .map(|l| LayerRow {
                    short_digest: short_digest(&l.digest),
                    digest: l.digest,
                    media_type: l.media_type,
                    size: bytes(l.size.min(i64::MAX as u64) as i64),
                    created_by: l.created_by,
                })
                .collect();
            (None, config.digest, config.media_type, shown, note, layers)
        }
    };
    let referrers = view
        .referrers
        .into_iter()
        .map(|r| ReferrerRow {
            artifact_type: r.artifact_type.unwrap_or_else(|| "unknown".to_owned()),
            short_digest: short_digest(&r.digest),
            digest: r.digest,
            media_type: r.media_type,
            size: bytes(r.size),
        })
        .collect();
    let title = match &tag {
        Some(t) => format!("{}:{t}", repo.full_path),
        None => format!("{}@{}", repo.full_path, short_digest(&view.digest)),
    };
    let exec_form =
        |v: &Option<Vec<String>>| v.as_ref().and_then(|v| serde_json::to_string(v).ok());
    let t = TagPage {
        chrome: Chrome::new(visitor, title),
        entrypoint: config.as_ref().and_then(|c| exec_form(&c.entrypoint)),
        cmd: config.as_ref().and_then(|c| exec_form(&c.cmd)),
        pull_by_tag: tag
            .as_deref()
            .map(|t| pull_command(state, req, &repo, Some(Pin::Tag(t)))),
        pull_by_digest: pull_command(state, req, &repo, Some(Pin::Digest(&view.digest))),
        repo,
        level: view.level,
        tag,
        digest: view.digest,
        media_type: view.media_type,
        // An image's config media type stands in for its artifact type in the referrers
        // API; on the page it only repeats the configuration's.
        artifact_type: view
            .artifact_type
            .filter(|t| !crate::core::manifest::IMAGE_CONFIGS.contains(&t.as_str())),
        subject: view.subject,
        size: bytes(view.image_size),
        platforms: view.platforms.join(", "),
        pushed: when(view.created_at),
        tags: view.tags,
        annotations: view.annotations,
        children,
        config_digest,
        config_media_type,
        config,
        config_note,
        layers,
        referrers,
    };
    page(visitor, &t)
}

/// `GET /{ns}/{repo}/tags/{tag}`: what the tag names, opened up.
pub async fn tag(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (ns, name, tag) = path.into_inner();
    open(state, req, visitor, ns, name, tag, true).await
}

/// `GET /{ns}/{repo}/digests/{digest}`: a manifest by digest (an index's platform
/// manifests, referrers, and untagged manifests are reached this way).
pub async fn digest(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (ns, name, digest) = path.into_inner();
    open(state, req, visitor, ns, name, digest, false).await
}

/// The page of the manifest `reference` names: a tag when `by_tag`, else a digest.
async fn open(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    ns: String,
    name: String,
    reference: String,
    by_tag: bool,
) -> Result<HttpResponse> {
    let caller = visitor.caller();
    let blobs = state.blobs.clone();
    let wanted = reference.clone();
    let view = state
        .store
        .run(move |c| {
            let wanted = if by_tag {
                Wanted::Tag(&wanted)
            } else {
                Wanted::Digest(&wanted)
            };
            images::view(c, &*blobs, caller.as_ref(), &ns, &name, wanted)
        })
        .await?;
    show(&state, &req, &visitor, view, by_tag.then_some(reference))
}

#[derive(Template)]
#[template(path = "tag_delete.html")]
struct DeletePage {
    chrome: Chrome,
    repo: Repository,
    tag: String,
    digest: Option<String>,
}

/// The repository, for an admin of it, and that the tag exists (404 otherwise, like the
/// delete itself).
fn admin_tag(
    c: &rusqlite::Connection,
    caller: &crate::core::policy::Caller,
    ns: &str,
    name: &str,
    tag: &str,
) -> Result<(Repository, Option<String>)> {
    let (repo, _) = repos::with_level(c, Some(caller), ns, name, Level::Admin)?;
    tag_ops::get(c, Some(caller), ns, name, tag)?;
    let digest = crate::store::pushed::of_tag(c, repo.id, tag)?.map(|p| p.digest);
    Ok((repo, digest))
}

/// `GET /{ns}/{repo}/tags/{tag}/delete`: ask an admin to confirm.
pub async fn delete_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (ns, name, tag) = path.into_inner();
    let (_, caller) = signed_in!(visitor, &format!("/{ns}/{name}/tags/{tag}/delete"));
    let t2 = tag.clone();
    let (repo, digest) = state
        .store
        .run(move |c| admin_tag(c, &caller, &ns, &name, &t2))
        .await?;
    let t = DeletePage {
        chrome: Chrome::new(&visitor, format!("Delete {}:{tag}", repo.full_path)),
        repo,
        tag,
        digest,
    };
    page(&visitor, &t)
}

#[derive(Deserialize)]
pub struct DeleteTagForm {
    #[serde(default)]
    csrf: String,
    /// The tag's name, sent by the confirmation form.
    #[serde(default)]
    confirm: String,
}

impl CsrfForm for DeleteTagForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /{ns}/{repo}/tags/{tag}/delete`: delete the tag (admins of the repository, as a
/// registry delete; the manifest stays, reachable by digest), confirmed by the form.
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    Posted(visitor, form): Posted<DeleteTagForm>,
) -> Result<HttpResponse> {
    let (ns, name, tag) = path.into_inner();
    let back = format!("/{ns}/{name}/tags");
    let (_, caller) = signed_in!(visitor, &back);
    let confirmed = form.confirm == tag;
    state
        .store
        .run(move |c| {
            // Permission first: an outsider learns nothing from a wrong confirmation.
            repos::with_level(c, Some(&caller), &ns, &name, Level::Admin)?;
            if !confirmed {
                return Err(Error::new(
                    Code::NotConfirmed,
                    "confirm the deletion on the tag's delete page",
                ));
            }
            tag_ops::delete(c, Some(&caller), &ns, &name, &tag)
        })
        .await?;
    Ok(see_other(&back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_digests_are_twelve_hex_digits() {
        assert_eq!(short_digest("sha256:0123456789abcdef0123"), "0123456789ab");
        assert_eq!(short_digest("abc"), "abc");
    }

    #[test]
    fn tag_links_keep_the_filter_and_sort() {
        assert_eq!(
            tags_link("acme/web", "v1 beta", "name", 2),
            "/acme/web/tags?q=v1+beta&sort=name&page=2"
        );
        assert_eq!(
            tags_link("acme/web", "", "pushed", 1),
            "/acme/web/tags?sort=pushed&page=1"
        );
    }
}
