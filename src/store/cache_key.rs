//! Keys of the read cache ([`super::memo`]), built here and nowhere else: what a cached answer
//! is (its view, its viewer, its arguments) and what it depends on ([`Scope`]), so that a write
//! expires exactly the entries it can change (`super::changes`).
//!
//! The viewer is the pair the SQL visibility filter takes (`repos::viewer`: user id and site
//! admin flag, anonymous for inactive callers), so two callers share an entry exactly when the
//! store would answer them alike. Arguments are typed and written unambiguously (strings with
//! their length), so no two argument lists give one key.

use std::fmt::Write;

use super::repos::viewer;
use crate::core::policy::Caller;

/// Which answer an entry holds: each shape of body has its own view, so two reads with the same
/// arguments but different bodies never share an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// DTR `GET /api/v0/repositories/{ns}`.
    DtrRepositories,
    /// Alauda `GET /v1/repositories/{ns}` (without its paging links).
    AlaudaRepositories,
    /// RegistryUI `/udr/v1api/repositories`.
    RegistryUiRepositories,
    /// Index `GET /v1/search`.
    IndexSearch,
    /// The web UI's explore page (`GET /`).
    ExplorePage,
    /// A `/v2` manifest read (`GET|HEAD /v2/{name}/manifests/{reference}`).
    Manifest,
}

impl View {
    fn name(self) -> &'static str {
        match self {
            View::DtrRepositories => "dtr-repositories",
            View::AlaudaRepositories => "alauda-repositories",
            View::RegistryUiRepositories => "registryui-repositories",
            View::IndexSearch => "index-search",
            View::ExplorePage => "explore",
            View::Manifest => "manifest",
        }
    }
}

/// What an entry depends on besides permissions (which every entry depends on): the writes that
/// expire it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The repositories of one namespace, by name (and whether it exists): its listings.
    Namespace(String),
    /// Any repository, exactly: site-wide listings.
    AnyRepository,
    /// Any repository or namespace, where a change may show up to [`super::memo::LAG`] late:
    /// searches and the explore page. A permission change is never late.
    Search,
}

/// A cache key: the entry's identity and its [`Scope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    text: String,
    scope: Scope,
}

impl Key {
    /// A read of one namespace's repositories, as `caller` may see them.
    pub fn namespace(view: View, namespace: &str, caller: Option<&Caller>) -> Key {
        Key::new(view, Scope::Namespace(namespace.to_owned()), caller).arg(namespace)
    }

    /// A read of one repository, `namespace/name`, as `caller` may see it: expired by the
    /// writes to its namespace (its tags and manifests too, migration 9).
    pub fn repository(view: View, namespace: &str, name: &str, caller: Option<&Caller>) -> Key {
        Key::namespace(view, namespace, caller).arg(name)
    }

    /// A read over every repository (exact: never late).
    pub fn any_repository(view: View, caller: Option<&Caller>) -> Key {
        Key::new(view, Scope::AnyRepository, caller)
    }

    /// A RegistryUI-style catalog read: under a folder it reads only the namespace the folder
    /// starts with (displayed paths under `ns/...` are that namespace's; `library`'s paths have
    /// no `/`, since repository names hold none), else every repository.
    pub fn catalog(view: View, folder: Option<&str>, caller: Option<&Caller>) -> Key {
        let namespace = folder
            .map(|f| f.trim_end_matches('/'))
            .filter(|f| !f.is_empty())
            .map(|f| f.split('/').next().unwrap_or(f));
        match namespace {
            Some(ns) => Key::namespace(view, ns, caller),
            None => Key::any_repository(view, caller),
        }
        .arg(folder)
    }

    /// A search (or the explore page) over every repository the caller may read.
    pub fn search(view: View, caller: Option<&Caller>) -> Key {
        Key::new(view, Scope::Search, caller)
    }

    fn new(view: View, scope: Scope, caller: Option<&Caller>) -> Key {
        let (user, admin) = viewer(caller);
        let mut text = String::with_capacity(64);
        let _ = write!(
            text,
            "{}|{user}{}",
            view.name(),
            if admin { "a" } else { "" }
        );
        Key { text, scope }
    }

    /// This key with one more argument of the read.
    pub fn arg(mut self, part: impl KeyPart) -> Key {
        self.text.push('|');
        part.write(&mut self.text);
        self
    }

    /// The entry's identity (what the cache is keyed by).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub(super) fn into_parts(self) -> (String, Scope) {
        (self.text, self.scope)
    }
}

/// An argument of a read, written into its key so that different values never meet.
pub trait KeyPart {
    fn write(&self, out: &mut String);
}

impl KeyPart for i64 {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl KeyPart for &str {
    /// With its length first, so text holding the separator cannot pass for two arguments.
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}:{self}", self.len());
    }
}

impl<T: KeyPart> KeyPart for Option<T> {
    fn write(&self, out: &mut String) {
        match self {
            None => out.push('-'),
            Some(v) => {
                out.push('+');
                v.write(out);
            }
        }
    }
}
