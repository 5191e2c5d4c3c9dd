//! Explore, namespaces, repositories (with their settings tab) and new repositories.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{CsrfForm, Posted, Visitor};
use super::{page, page_with, see_other, signed_in, when, when_opt, Chrome};
use crate::core::model::{Account, AccountKind, Repository, Team};
use crate::core::policy::Level;
use crate::core::search::{self, Order};
use crate::core::{accounts, grants, images, repos, stars, tags, teams};
use crate::error::{Code, Error, Result};
use crate::markdown::{self, SanitizedHtml};
use crate::store::cache_key::{Key, View};
use crate::AppState;

/// Repositories per explore or namespace page.
pub const PAGE_SIZE: i64 = 50;
/// Namespaces listed on the explore page.
const NAMESPACES_SHOWN: i64 = 60;

/// A repository as a listing shows it: stored short description and counters only.
pub struct RepoRow {
    pub full_path: String,
    pub short_description: String,
    pub is_public: bool,
    pub star_count: i64,
    pub pull_count: i64,
    pub updated: String,
}

impl From<Repository> for RepoRow {
    fn from(r: Repository) -> Self {
        let latest = r
            .created_at
            .max(r.updated_at.unwrap_or(0))
            .max(r.pushed_at.unwrap_or(0));
        RepoRow {
            full_path: r.full_path,
            short_description: r.short_description,
            is_public: r.is_public,
            star_count: r.star_count,
            pull_count: r.pull_count,
            updated: when(latest),
        }
    }
}

#[derive(Deserialize)]
pub struct ExploreQuery {
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

/// The sort choices, as the form names them.
const SORTS: &[(&str, &str)] = &[
    ("updated", "Recently updated"),
    ("stars", "Most starred"),
    ("pulls", "Most pulled"),
    ("name", "Name"),
];

fn parse_order(s: Option<&str>, searching: bool) -> (Order, &'static str) {
    match s {
        Some("stars") => (Order::Stars, "stars"),
        Some("pulls") => (Order::Pulls, "pulls"),
        Some("name") => (Order::Name, "name"),
        Some("updated") => (Order::Updated, "updated"),
        _ if searching => (Order::Relevance, "relevance"),
        _ => (Order::Updated, "updated"),
    }
}

/// A page number from the query: garbage or < 1 is page 1, and it is bounded so the
/// offset cannot overflow.
pub(super) fn parse_page(s: Option<&str>) -> i64 {
    s.and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000)
}

#[derive(Template)]
#[template(path = "explore.html")]
struct ExplorePage {
    chrome: Chrome,
    q: String,
    sort: &'static str,
    searching: bool,
    sorts: &'static [(&'static str, &'static str)],
    repos: Vec<RepoRow>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    namespaces: Vec<(String, String)>,
}

fn explore_link(q: &str, sort: &str, page: i64) -> String {
    let mut params: Vec<(&str, String)> = Vec::new();
    if !q.is_empty() {
        params.push(("q", q.to_owned()));
    }
    if sort != "relevance" {
        params.push(("sort", sort.to_owned()));
    }
    params.push(("page", page.to_string()));
    format!(
        "/?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

/// `GET /`: the repositories the visitor may see, searched, sorted and paged; the namespaces.
/// Two statements for the page and one for the namespaces; no per-row queries.
pub async fn explore(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ExploreQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let q = query.q.unwrap_or_default();
    let q = q.trim().to_owned();
    let searching = search::fts_query(&q).is_some();
    let (order, sort) = parse_order(query.sort.as_deref(), searching);
    let page_no = parse_page(query.page.as_deref());
    let caller = visitor.caller();
    let q2 = q.clone();
    let key = Key::search(View::ExplorePage, caller.as_ref())
        .arg(sort)
        .arg(page_no)
        .arg(q.as_str());
    let data = state
        .store
        .cached(key, move |c| {
            let found = search::explore(
                c,
                caller.as_ref(),
                Some(q2.as_str()).filter(|s| !s.is_empty()),
                order,
                page_no,
                PAGE_SIZE,
            )?;
            let namespaces = search::namespaces(c, NAMESPACES_SHOWN)?;
            Ok((found, namespaces))
        })
        .await?;
    let (found, namespaces) = &*data;
    let pages = found.num_pages();
    let t = ExplorePage {
        chrome: Chrome::new(&visitor, "Explore"),
        prev: (page_no > 1).then(|| explore_link(&q, sort, page_no - 1)),
        next: (page_no < pages).then(|| explore_link(&q, sort, page_no + 1)),
        q,
        sort,
        searching,
        sorts: SORTS,
        total: found.total,
        repos: found.results.iter().cloned().map(RepoRow::from).collect(),
        page: page_no,
        pages,
        namespaces: namespaces.clone(),
    };
    page(&visitor, &t)
}

#[derive(Template)]
#[template(path = "namespace.html")]
struct NamespacePage {
    chrome: Chrome,
    account: Account,
    is_org: bool,
    repos: Vec<RepoRow>,
    total: i64,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
    /// The organization's teams, for its members (None: not shown).
    teams: Option<Vec<Team>>,
    may_manage: bool,
    /// Pulls and pushes of the repositories the visitor may read, summed per day.
    activity: super::chart::Chart,
    /// The listed repositories' bytes: path, for people, exact.
    storage: Vec<(String, String, i64)>,
    storage_total: String,
    /// The namespace's whole usage against its quota, for those who push there.
    quota: Option<QuotaLine>,
}

/// A namespace's usage and quota as its page says it.
pub struct QuotaLine {
    pub used: String,
    /// `None`: no quota is set.
    pub quota: Option<String>,
    /// Whole percent of the quota used.
    pub percent: u64,
}

impl From<crate::core::quota::Usage> for QuotaLine {
    fn from(u: crate::core::quota::Usage) -> Self {
        let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        QuotaLine {
            used: super::bytes(to_i64(u.used)),
            quota: u.quota.map(|q| super::bytes(to_i64(q))),
            percent: u
                .quota
                .filter(|q| *q > 0)
                .map_or(0, |q| u.used.saturating_mul(100) / q),
        }
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// `GET /{ns}`: a namespace's repositories the visitor may see; an organization's teams for
/// its members.
pub async fn namespace(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let ns = path.into_inner();
    let page_no = parse_page(query.page.as_deref());
    let caller = visitor.caller();
    let lookup = ns.clone();
    let from = super::images::activity_from();
    let (account, list, teams, may_manage, (days, storage, storage_total), quota) = state
        .store
        .run(move |c| {
            let account = repos::namespace(c, &lookup)
                .map_err(|e| e.or_not_found_as(Error::new(Code::NotFound, "not found")))?;
            let offset = (page_no - 1) * PAGE_SIZE;
            let list = repos::list_in_namespace(c, caller.as_ref(), &lookup, PAGE_SIZE, offset)?;
            // Only what the visitor may read: the listed repositories, and sums over VISIBLE.
            let days = images::namespace_activity(c, caller.as_ref(), account.id, from)?;
            let storage = list
                .0
                .iter()
                .map(|r| Ok((r.full_path.clone(), images::repository_bytes(c, r)?)))
                .collect::<Result<Vec<_>>>()?;
            let total = images::namespace_bytes(c, caller.as_ref(), account.id)?;
            let usage = (days, storage, total);
            let quota = crate::core::quota::usage_for(c, caller.as_ref(), &account)?;
            let (teams, may_manage) = if account.is_user() {
                (None, false)
            } else {
                let (_, facts) = teams::organization(c, caller.as_ref(), &lookup)?;
                let manage = crate::core::policy::may_manage_organization(caller.as_ref(), &facts);
                (teams::list(c, caller.as_ref(), &lookup).ok(), manage)
            };
            Ok((account, list, teams, may_manage, usage, quota))
        })
        .await?;
    let (repos, total) = list;
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let t = NamespacePage {
        chrome: Chrome::new(&visitor, account.name.clone()),
        is_org: account.kind == AccountKind::Organization,
        prev: (page_no > 1).then(|| format!("/{ns}?page={}", page_no - 1)),
        next: (page_no < pages).then(|| format!("/{ns}?page={}", page_no + 1)),
        account,
        repos: repos.into_iter().map(RepoRow::from).collect(),
        total,
        page: page_no,
        teams,
        may_manage,
        activity: super::images::activity_chart(&days),
        storage: storage
            .into_iter()
            .map(|(path, n)| (path, super::bytes(n), n))
            .collect(),
        storage_total: super::bytes(storage_total),
        quota: quota.map(QuotaLine::from),
    };
    page(&visitor, &t)
}

pub struct TagRow {
    pub name: String,
    pub image_id: String,
    pub short_id: String,
    pub updated: String,
    /// What the registry pushed under this tag (a legacy Index tag has none).
    pub pushed: Option<PushedRow>,
    /// `docker pull host/path:tag`.
    pub pull_by_tag: String,
}

/// A pushed tag's manifest as the repository page shows it.
pub struct PushedRow {
    pub digest: String,
    /// The digest's first 12 hex digits, as `docker images` shows ids.
    pub short_digest: String,
    pub size: String,
    /// `linux/amd64, linux/arm64/v8`, or empty when the manifest names none.
    pub platforms: String,
    /// `docker pull host/path@sha256:…`: the same content whatever the tag does later.
    pub pull_by_digest: String,
}

#[derive(Template)]
#[template(path = "repository.html")]
struct RepositoryPage {
    chrome: Chrome,
    repo: Repository,
    description: SanitizedHtml,
    level: Level,
    starred: bool,
    signed_in: bool,
    tags: Vec<TagRow>,
    pull_command: String,
    pulled: String,
    pushed: String,
    created: String,
    activity: super::chart::Chart,
}

/// The command that pulls a repository from this server.
pub(super) fn pull_command(
    state: &AppState,
    req: &HttpRequest,
    repo: &Repository,
    tag: Option<Pin<'_>>,
) -> String {
    let host = state.public_host(req);
    let path = crate::core::catalog::display_path(&repo.full_path);
    match tag {
        Some(Pin::Tag(t)) => format!("docker pull {host}/{path}:{t}"),
        Some(Pin::Digest(d)) => format!("docker pull {host}/{path}@{d}"),
        None => format!("docker pull {host}/{path}"),
    }
}

/// What a pull command pins: a tag, or a manifest digest.
pub(super) enum Pin<'a> {
    Tag(&'a str),
    Digest(&'a str),
}

/// `GET /{ns}/{repo}`: a repository the visitor may read (a private one is the same 404
/// page as a missing one).
pub async fn repository(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let caller = visitor.caller();
    let from = super::images::activity_from();
    let (repo, level, tag_list, pushed, starred, days) = state
        .store
        .run(move |c| {
            let (repo, level) = repos::readable(c, caller.as_ref(), &ns, &name)?;
            let (_, tag_list) = tags::list(c, caller.as_ref(), &ns, &name)?;
            let pushed = tags::pushed(c, &repo, &tag_list)?;
            let starred = stars::is_starred(c, caller.as_ref(), &repo)?;
            let days = images::repository_activity(c, &repo, from)?;
            Ok((repo, level, tag_list, pushed, starred, days))
        })
        .await?;
    let tags = tag_list
        .into_iter()
        .zip(pushed)
        .map(|(t, pushed)| TagRow {
            short_id: t.image_id.chars().take(12).collect(),
            updated: when(t.updated_at),
            pull_by_tag: pull_command(&state, &req, &repo, Some(Pin::Tag(&t.name))),
            pushed: pushed.map(|p| PushedRow {
                short_digest: p
                    .digest
                    .split_once(':')
                    .map_or(p.digest.as_str(), |(_, hex)| hex)
                    .chars()
                    .take(12)
                    .collect(),
                size: crate::ui::bytes(p.size),
                platforms: p.platforms.join(", "),
                pull_by_digest: pull_command(&state, &req, &repo, Some(Pin::Digest(&p.digest))),
                digest: p.digest,
            }),
            name: t.name,
            image_id: t.image_id,
        })
        .collect();
    let t = RepositoryPage {
        chrome: Chrome::new(&visitor, repo.full_path.clone()),
        description: SanitizedHtml::from_stored(repo.long_description_html.clone()),
        pull_command: pull_command(&state, &req, &repo, None),
        pulled: when_opt(repo.pulled_at),
        pushed: when_opt(repo.pushed_at),
        created: when(repo.created_at),
        repo,
        level,
        starred,
        signed_in: visitor.user.is_some(),
        tags,
        activity: super::images::activity_chart(&days),
    };
    page(&visitor, &t)
}

#[derive(Deserialize)]
pub struct StarForm {
    #[serde(default)]
    csrf: String,
    /// `star` or `unstar`.
    action: String,
}

impl CsrfForm for StarForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /{ns}/{repo}/star`: star or unstar (signed-in visitors who may read it).
pub async fn star(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Posted(visitor, form): Posted<StarForm>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let back = format!("/{ns}/{name}");
    let (_, caller) = signed_in!(visitor, &back);
    let star = form.action != "unstar";
    state
        .store
        .run(move |c| {
            if star {
                stars::star(c, Some(&caller), &ns, &name)
            } else {
                stars::unstar(c, Some(&caller), &ns, &name)
            }
        })
        .await?;
    Ok(see_other(&back))
}

pub struct AccessRow {
    pub name: String,
    pub level: &'static str,
}

#[derive(Template)]
#[template(path = "repo_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    repo: Repository,
    short_description: String,
    long_description: String,
    is_public: bool,
    preview: Option<SanitizedHtml>,
    message: Option<String>,
    /// "user" or "team": who can be granted access to this repository.
    grantee: &'static str,
    access: Vec<AccessRow>,
    levels: &'static [&'static str],
}

const LEVELS: &[&str] = &["read-only", "read-write", "admin"];

fn access_rows(
    c: &rusqlite::Connection,
    caller: &crate::core::policy::Caller,
    repo: &Repository,
) -> Result<Vec<AccessRow>> {
    Ok(if repo.namespace_kind == AccountKind::User {
        grants::user_access(c, Some(caller), &repo.namespace, &repo.name)?
            .1
            .into_iter()
            .map(|(l, a)| AccessRow {
                name: a.name,
                level: l.as_str(),
            })
            .collect()
    } else {
        grants::team_access(c, Some(caller), &repo.namespace, &repo.name)?
            .1
            .into_iter()
            .map(|(l, t)| AccessRow {
                name: t.name,
                level: l.as_str(),
            })
            .collect()
    })
}

fn settings_page(
    visitor: &Visitor,
    repo: Repository,
    access: Vec<AccessRow>,
    draft: Option<(String, String, bool)>,
    preview: Option<SanitizedHtml>,
    message: Option<String>,
) -> SettingsPage {
    let (short_description, long_description, is_public) = draft.unwrap_or_else(|| {
        (
            repo.short_description.clone(),
            repo.long_description.clone(),
            repo.is_public,
        )
    });
    SettingsPage {
        chrome: Chrome::new(visitor, format!("Settings · {}", repo.full_path)),
        grantee: if repo.namespace_kind == AccountKind::User {
            "user"
        } else {
            "team"
        },
        repo,
        short_description,
        long_description,
        is_public,
        preview,
        message,
        access,
        levels: LEVELS,
    }
}

/// `GET /{ns}/{repo}/settings`: the admin tab (403 for readers who are not admins).
pub async fn settings(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let (_, caller) = signed_in!(visitor, &format!("/{ns}/{name}/settings"));
    let (repo, access) = state
        .store
        .run(move |c| {
            let (repo, _) = repos::with_level(c, Some(&caller), &ns, &name, Level::Admin)?;
            let access = access_rows(c, &caller, &repo)?;
            Ok((repo, access))
        })
        .await?;
    page(
        &visitor,
        &settings_page(&visitor, repo, access, None, None, None),
    )
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    csrf: String,
    short_description: String,
    long_description: String,
    visibility: String,
    /// `preview` shows the rendered description without saving.
    action: Option<String>,
}

impl CsrfForm for UpdateForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /{ns}/{repo}/settings`: save descriptions and visibility, or preview the
/// description (a server round-trip: works without JavaScript).
pub async fn update(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Posted(visitor, form): Posted<UpdateForm>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let back = format!("/{ns}/{name}/settings");
    let (_, caller) = signed_in!(visitor, &back);
    let is_public = form.visibility == "public";
    // Browsers send CRLF line ends in textareas; store what people typed.
    let long = form.long_description.replace("\r\n", "\n");
    let short = form.short_description.clone();
    if form.action.as_deref() == Some("preview") {
        let (repo, access) = state
            .store
            .run(move |c| {
                let (repo, _) = repos::with_level(c, Some(&caller), &ns, &name, Level::Admin)?;
                let access = access_rows(c, &caller, &repo)?;
                Ok((repo, access))
            })
            .await?;
        let preview = markdown::render(&long);
        let t = settings_page(
            &visitor,
            repo,
            access,
            Some((short, long, is_public)),
            Some(preview),
            None,
        );
        return page(&visitor, &t);
    }
    let patch = repos::Patch {
        short_description: Some(short.clone()),
        long_description: Some(long.clone()),
        is_public: Some(is_public),
    };
    let (ns2, name2) = (ns.clone(), name.clone());
    let result = state
        .store
        .run(move |c| repos::update(c, Some(&caller), &ns2, &name2, &patch))
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/{ns}/{name}"))),
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            let (repo, access) = state
                .store
                .run(move |c| {
                    let (repo, _) = repos::with_level(c, Some(&caller), &ns, &name, Level::Admin)?;
                    let access = access_rows(c, &caller, &repo)?;
                    Ok((repo, access))
                })
                .await?;
            let t = settings_page(
                &visitor,
                repo,
                access,
                Some((short, long, is_public)),
                None,
                Some(e.message.into_owned()),
            );
            page_with(StatusCode::BAD_REQUEST, &visitor, &t)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    csrf: String,
    /// A user (user-owned repositories) or a team (organization-owned) name.
    grantee: String,
    /// A level, or `none` to take access away.
    level: String,
}

impl CsrfForm for AccessForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /{ns}/{repo}/access`: grant a user or team a level, or revoke it.
pub async fn access(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Posted(visitor, form): Posted<AccessForm>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let back = format!("/{ns}/{name}/settings");
    let (_, caller) = signed_in!(visitor, &back);
    let level = match form.level.as_str() {
        "none" => None,
        l => Some(
            Level::parse_grant(l)
                .ok_or_else(|| Error::new(Code::InvalidLevel, "choose an access level"))?,
        ),
    };
    let grantee = form.grantee.trim().to_owned();
    state
        .store
        .run(move |c| {
            let (repo, _) = repos::with_level(c, Some(&caller), &ns, &name, Level::Admin)?;
            let caller = Some(&caller);
            match (repo.namespace_kind, level) {
                (AccountKind::User, Some(l)) => {
                    grants::grant_user(c, caller, &ns, &name, &grantee, l).map(|_| ())
                }
                (AccountKind::User, None) => grants::revoke_user(c, caller, &ns, &name, &grantee),
                (AccountKind::Organization, Some(l)) => {
                    grants::grant_team(c, caller, &ns, &name, &grantee, l).map(|_| ())
                }
                (AccountKind::Organization, None) => {
                    grants::revoke_team(c, caller, &ns, &name, &grantee)
                }
            }
        })
        .await?;
    Ok(see_other(&back))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    /// The repository's name, typed again.
    confirm: String,
}

impl CsrfForm for DeleteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /{ns}/{repo}/delete`: delete, confirmed by typing the repository's name.
pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Posted(visitor, form): Posted<DeleteForm>,
) -> Result<HttpResponse> {
    let (ns, name) = path.into_inner();
    let back = format!("/{ns}/{name}/settings");
    let (_, caller) = signed_in!(visitor, &back);
    let confirmed = form.confirm.trim() == name;
    let target = format!("/{ns}");
    state
        .store
        .run(move |c| {
            // Permission first: an outsider learns nothing from a wrong confirmation.
            repos::with_level(c, Some(&caller), &ns, &name, Level::Admin)?;
            if !confirmed {
                return Err(Error::new(
                    Code::NotConfirmed,
                    "type the repository's name to confirm the deletion",
                ));
            }
            repos::delete(c, Some(&caller), &ns, &name)
        })
        .await?;
    Ok(see_other(&target))
}

#[derive(Template)]
#[template(path = "new.html")]
struct NewPage {
    chrome: Chrome,
    namespaces: Vec<String>,
    namespace: String,
    name: String,
    short_description: String,
    long_description: String,
    is_public: bool,
    message: Option<String>,
}

/// Namespaces offered on the new-repository form: the user's own, its organizations, and
/// `library` for site admins. Creating still checks the policy.
fn offered_namespaces(
    c: &rusqlite::Connection,
    user: &Account,
    caller: &crate::core::policy::Caller,
) -> Result<Vec<String>> {
    let mut names = vec![user.name.clone()];
    names.extend(
        accounts::organizations_of(c, Some(caller), &user.name)?
            .into_iter()
            .map(|o| o.name),
    );
    if user.is_admin && !names.iter().any(|n| n == crate::core::names::LIBRARY) {
        names.push(crate::core::names::LIBRARY.to_owned());
    }
    Ok(names)
}

/// `GET /new`.
pub async fn new_form(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/new");
    let u = user.clone();
    let namespaces = state
        .store
        .run(move |c| offered_namespaces(c, &u, &caller))
        .await?;
    let t = NewPage {
        chrome: Chrome::new(&visitor, "New repository"),
        namespaces,
        namespace: user.name.clone(),
        name: String::new(),
        short_description: String::new(),
        long_description: String::new(),
        is_public: true,
        message: None,
    };
    page(&visitor, &t)
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    namespace: String,
    name: String,
    #[serde(default)]
    short_description: String,
    #[serde(default)]
    long_description: String,
    visibility: String,
}

impl CsrfForm for NewForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /new`: create, then show the repository; a refusal shows the form again.
pub async fn create(
    state: web::Data<AppState>,
    Posted(visitor, form): Posted<NewForm>,
) -> Result<HttpResponse> {
    let (user, caller) = signed_in!(visitor, "/new");
    let new = repos::NewRepo {
        name: form.name.trim().to_owned(),
        short_description: form.short_description.clone(),
        long_description: form.long_description.replace("\r\n", "\n"),
        is_public: form.visibility == "public",
    };
    let ns = form.namespace.trim().to_owned();
    let (ns2, new2) = (ns.clone(), new.clone());
    let result = state
        .store
        .run(move |c| repos::create(c, Some(&caller), &ns2, &new2))
        .await;
    match result {
        Ok(repo) => Ok(see_other(&format!("/{}", repo.full_path))),
        Err(e) if e.status.is_client_error() => {
            let u = user.clone();
            let namespaces = state
                .store
                .run(move |c| offered_namespaces(c, &u, &caller))
                .await?;
            let message = match e.status {
                StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => {
                    "you may not create repositories in this namespace".to_owned()
                }
                _ => e.message.into_owned(),
            };
            let t = NewPage {
                chrome: Chrome::new(&visitor, "New repository"),
                namespaces,
                namespace: ns,
                name: new.name,
                short_description: new.short_description,
                long_description: new.long_description,
                is_public: new.is_public,
                message: Some(message),
            };
            page_with(e.status, &visitor, &t)
        }
        Err(e) => Err(e),
    }
}

/// The account named in a path, for pages about it (not-found reads like any 404).
pub fn account_named(c: &rusqlite::Connection, name: &str) -> Result<Account> {
    accounts::get(c, name).map_err(|e| e.or_not_found_as(Error::new(Code::NotFound, "not found")))
}
