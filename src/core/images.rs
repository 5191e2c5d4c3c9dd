//! What the image pages show (issue 16): a repository's tags with what they point at, and
//! one manifest opened up — an index's platform manifests, an image's configuration, layers
//! and history, the artifacts that refer to it. Read under the same policy as every dialect:
//! a repository the caller may not read, and anything in it, is the same 404 as a missing one.

use std::collections::BTreeMap;
use std::io::Read;

use rusqlite::Connection;

use crate::blobs::{BlobStore, Digest};
use crate::core::manifest::{self, Kind};
use crate::core::model::Repository;
use crate::core::names;
use crate::core::policy::{Caller, Level};
use crate::core::repos;
use crate::error::{Code, Error, Result};
use crate::store::activity::{self, Day};
use crate::store::images::{self as rows, TagOrder, TagRow};
use crate::store::registry::{self as registry_rows, Referrer};

/// Configuration blobs larger than this are not read (real ones are a few kB).
pub const CONFIG_MAX: u64 = 4 << 20;
/// Days the activity charts cover, today included.
pub const ACTIVITY_DAYS: i64 = 30;

fn not_found() -> Error {
    Error::new(Code::NotFound, "not found")
}

/// Which tags a tags tab shows.
#[derive(Debug, Clone)]
pub struct TagQuery {
    /// A part of the name (all tags when empty).
    pub filter: String,
    pub order: TagOrder,
    pub limit: i64,
    pub offset: i64,
}

/// A page of the tags of a repository the caller may read, with the caller's level on it,
/// and how many tags match.
pub fn tags(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    q: &TagQuery,
) -> Result<(Repository, Level, Vec<TagRow>, i64)> {
    let (repo, level) = repos::readable(conn, caller, ns, name)?;
    let (rows, total) = rows::tags(conn, repo.id, &q.filter, q.order, q.limit, q.offset)?;
    Ok((repo, level, rows, total))
}

/// The first day of the activity window ending `today`.
pub fn activity_from(today: i64) -> i64 {
    today - (ACTIVITY_DAYS - 1)
}

/// A readable repository's pulls and pushes per day since `from` (days with none left out).
pub fn repository_activity(conn: &Connection, repo: &Repository, from: i64) -> Result<Vec<Day>> {
    activity::of_repository(conn, repo.id, from)
}

/// A namespace's pulls and pushes per day since `from`, summed over what the caller may read.
pub fn namespace_activity(
    conn: &Connection,
    caller: Option<&Caller>,
    namespace_id: i64,
    from: i64,
) -> Result<Vec<Day>> {
    activity::of_namespace(conn, caller, namespace_id, from)
}

/// Bytes of the distinct blobs linked to a readable repository.
pub fn repository_bytes(conn: &Connection, repo: &Repository) -> Result<i64> {
    rows::repository_bytes(conn, repo.id)
}

/// Bytes of the distinct blobs of a namespace's repositories that the caller may read.
pub fn namespace_bytes(
    conn: &Connection,
    caller: Option<&Caller>,
    namespace_id: i64,
) -> Result<i64> {
    rows::namespace_bytes(conn, caller, namespace_id)
}

/// Which manifest a tag page shows.
#[derive(Debug, Clone, Copy)]
pub enum Wanted<'a> {
    Tag(&'a str),
    Digest(&'a str),
}

/// One manifest, opened up.
#[derive(Debug, Clone)]
pub struct View {
    pub repo: Repository,
    pub level: Level,
    pub digest: String,
    pub media_type: String,
    pub image_size: i64,
    pub artifact_type: Option<String>,
    pub subject: Option<String>,
    pub annotations: Vec<(String, String)>,
    pub platforms: Vec<String>,
    pub created_at: i64,
    /// The tags naming it.
    pub tags: Vec<String>,
    pub body: Body,
    /// Manifests whose `subject` is this one (signatures, SBOMs, other artifacts).
    pub referrers: Vec<Referrer>,
}

#[derive(Debug, Clone)]
pub enum Body {
    Index {
        children: Vec<manifest::Child>,
    },
    Image {
        config: manifest::BlobRef,
        config_view: ConfigView,
        layers: Vec<Layer>,
    },
}

/// A layer, with the history step that made it when the configuration says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    pub created_by: Option<String>,
}

/// What could be read of an image's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigView {
    Shown(Box<Config>),
    /// Not an image configuration (an artifact): its media type says what it is.
    NotImage,
    TooLarge,
    /// Missing from the blob store, or not a valid configuration.
    Unreadable,
}

/// The parts of an image configuration a page shows. Environment variables by name only:
/// their values may be secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub created: Option<String>,
    pub platform: String,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env_names: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// `created_by` of each history step that made a layer, in order (`None`: it says none).
    pub layer_history: Vec<Option<String>>,
}

/// Parse an image configuration (OCI or Docker: the same document) with `oci-spec`.
pub fn parse_config(bytes: &[u8]) -> Option<Config> {
    let c: oci_spec::image::ImageConfiguration = serde_json::from_slice(bytes).ok()?;
    let run = c.config().clone().unwrap_or_default();
    let mut exposed_ports = run.exposed_ports().clone().unwrap_or_default();
    exposed_ports.sort();
    let labels: BTreeMap<String, String> = run
        .labels()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let env_names = run
        .env()
        .iter()
        .flatten()
        .map(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k).to_owned())
        .collect();
    let layer_history = c
        .history()
        .iter()
        .flatten()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .map(|h| h.created_by().clone())
        .collect();
    Some(Config {
        created: c.created().clone(),
        platform: manifest::platform(
            &c.os().to_string(),
            &c.architecture().to_string(),
            c.variant().as_deref(),
        ),
        user: run.user().clone().filter(|u| !u.is_empty()),
        working_dir: run.working_dir().clone().filter(|w| !w.is_empty()),
        entrypoint: run.entrypoint().clone(),
        cmd: run.cmd().clone(),
        env_names,
        exposed_ports,
        labels: labels.into_iter().collect(),
        layer_history,
    })
}

/// Pair layers with the history steps that made them: the i-th step that is not an empty
/// layer made the i-th layer.
pub fn layers(refs: &[manifest::BlobRef], history: &[Option<String>]) -> Vec<Layer> {
    refs.iter()
        .enumerate()
        .map(|(i, l)| Layer {
            digest: l.digest.clone(),
            media_type: l.media_type.clone(),
            size: l.size,
            created_by: history.get(i).cloned().flatten(),
        })
        .collect()
}

fn read_config(blobs: &dyn BlobStore, config: &manifest::BlobRef) -> ConfigView {
    if !manifest::IMAGE_CONFIGS.contains(&config.media_type.as_str()) {
        return ConfigView::NotImage;
    }
    if config.size > CONFIG_MAX {
        return ConfigView::TooLarge;
    }
    let Ok(digest) = Digest::parse(&config.digest) else {
        return ConfigView::Unreadable;
    };
    let mut bytes = Vec::new();
    // One more byte than allowed: a blob longer than its descriptor said is refused too.
    let read = blobs
        .open(&digest, 0)
        .and_then(|r| r.take(CONFIG_MAX + 1).read_to_end(&mut bytes));
    match read {
        Ok(_) if bytes.len() as u64 > CONFIG_MAX => ConfigView::TooLarge,
        Ok(_) => {
            parse_config(&bytes).map_or(ConfigView::Unreadable, |c| ConfigView::Shown(Box::new(c)))
        }
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                log::warn!("reading config blob {digest}: {e}");
            }
            ConfigView::Unreadable
        }
    }
}

/// A manifest of a repository the caller may read, by tag or digest, opened up (its
/// configuration read from the blob store). A tag or digest that is not there, or not
/// well-formed, is the same 404 as a repository the caller may not read.
pub fn view(
    conn: &Connection,
    blobs: &dyn BlobStore,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    wanted: Wanted<'_>,
) -> Result<View> {
    let (repo, level) = repos::readable(conn, caller, ns, name)?;
    let found = match wanted {
        Wanted::Tag(t) => {
            names::validate_tag_name(t).map_err(|_| not_found())?;
            rows::by_tag(conn, repo.id, t)?
        }
        Wanted::Digest(d) => {
            let d = Digest::parse(d).map_err(|_| not_found())?;
            rows::by_digest(conn, repo.id, &d.to_string())?
        }
    };
    let m = found.ok_or_else(not_found)?;
    let parsed = manifest::parse(Some(&m.media_type), &m.content)?;
    let body = match parsed.kind {
        Kind::Index { children } => Body::Index { children },
        Kind::Image {
            config,
            layers: refs,
        } => {
            let config_view = read_config(blobs, &config);
            let history = match &config_view {
                ConfigView::Shown(c) => c.layer_history.as_slice(),
                _ => &[],
            };
            Body::Image {
                layers: layers(&refs, history),
                config,
                config_view,
            }
        }
    };
    let annotations: BTreeMap<String, String> = m
        .annotations
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default();
    Ok(View {
        tags: rows::tags_of(conn, m.id)?,
        referrers: registry_rows::referrers(conn, repo.id, &m.digest, None)?,
        repo,
        level,
        digest: m.digest,
        media_type: m.media_type,
        image_size: m.image_size,
        artifact_type: m.artifact_type,
        subject: m.subject,
        annotations: annotations.into_iter().collect(),
        platforms: m.platforms,
        created_at: m.created_at,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
        "created": "2026-07-01T10:00:00Z", "architecture": "arm64", "variant": "v8", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin", "API_TOKEN=hunter2", "EMPTY"], "Entrypoint": ["/app"],
                   "Cmd": ["--serve"], "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
                   "Labels": {"b": "2", "a": "1"}, "WorkingDir": "/srv"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:aa", "sha256:bb"]},
        "history": [{"created_by": "ADD base.tar /"}, {"created_by": "ENV X=1", "empty_layer": true},
                    {"created_by": "RUN make"}],
        "container_config": {"Hostname": "x"}, "docker_version": "27.0"
    }"#;

    #[test]
    fn a_configuration_shows_env_names_only() {
        let c = parse_config(CONFIG.as_bytes()).unwrap();
        assert_eq!(c.env_names, ["PATH", "API_TOKEN", "EMPTY"]);
        assert!(!format!("{c:?}").contains("hunter2"), "no value is kept");
        assert_eq!(c.platform, "linux/arm64/v8");
        assert_eq!(c.entrypoint.as_deref(), Some(&["/app".to_owned()][..]));
        assert_eq!(c.cmd.as_deref(), Some(&["--serve".to_owned()][..]));
        assert_eq!(c.exposed_ports, ["53/udp", "8080/tcp"]);
        assert_eq!(
            c.labels,
            [("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(c.working_dir.as_deref(), Some("/srv"));
        assert_eq!(c.created.as_deref(), Some("2026-07-01T10:00:00Z"));
        assert_eq!(
            c.layer_history,
            [
                Some("ADD base.tar /".to_owned()),
                Some("RUN make".to_owned())
            ]
        );
    }

    #[test]
    fn what_is_not_a_configuration_is_none() {
        assert!(parse_config(b"not json").is_none());
        assert!(parse_config(b"{}").is_none());
        assert!(parse_config(b"[1,2]").is_none());
    }

    #[test]
    fn layers_take_the_history_of_non_empty_steps_in_order() {
        let r = |d: &str| manifest::BlobRef {
            digest: d.into(),
            size: 3,
            media_type: "t".into(),
            foreign: false,
        };
        let got = layers(&[r("a"), r("b"), r("c")], &[Some("one".into()), None]);
        assert_eq!(got[0].created_by.as_deref(), Some("one"));
        assert_eq!(got[1].created_by, None);
        assert_eq!(got[2].created_by, None, "more layers than history: none");
    }
}
