//! Which dialect a request speaks: the one map from request to dialect. The envelope
//! middleware (`api::envelope`), the APIs' browser guard (`api::guard`), the body timeout
//! (`ops::conn`), metrics and the access log (`ops::access`), the `/v1` dispatch
//! (`api::v1`) and the web UI's `/{ns}` routes (`ui`) all ask it, so they never disagree.
//!
//! Adding a dialect (the `/v2` registry, say): a variant of [`Dialect`] and its line in
//! [`PREFIXES`]. The compiler then asks for its [`label`](Dialect::label) here and its
//! envelope in `Error::render`; the UI's reserved words follow the prefix table by
//! themselves.

use actix_web::http::Method;
use actix_web::{HttpMessage, HttpRequest};

/// The API surfaces, told apart by path prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/api/v0`: `{"errors":[{"code","message"}]}`.
    Dtr,
    /// `/v1` (Index and Alauda share it): `{"error": "..."}`, or a bare string where marked.
    V1,
    /// `/api/repo/v1`: `{"error": "..."}`.
    Cloud,
    /// `/udr/v1api`: `{"error": "..."}`.
    RegistryUi,
    /// `/v2`, the registry (OCI distribution): `{"errors":[{"code","message","detail"}]}`
    /// with the spec's codes, and `Docker-Distribution-API-Version` on every answer.
    Registry,
    /// Other API paths (`/api`, `/udr`, `/healthz`, `/metrics`): `{"error": "..."}`.
    Generic,
    /// The web UI (every other path): an HTML error page in the site's layout, never a
    /// Basic challenge.
    Web,
}

/// Every API path prefix and its dialect. A path is under a prefix when it is the prefix or
/// continues it with `/` (`/v1x` is not under `/v1`). The first line that matches wins, so
/// a prefix comes before any shorter one it extends (`/api/v0` before `/api`). A path under
/// none is the web UI's.
const PREFIXES: &[(&str, Dialect)] = &[
    ("/api/v0", Dialect::Dtr),
    ("/api/repo/v1", Dialect::Cloud),
    ("/udr/v1api", Dialect::RegistryUi),
    ("/v1", Dialect::V1),
    ("/api", Dialect::Generic),
    ("/v2", Dialect::Registry),
    ("/udr", Dialect::Generic),
    ("/healthz", Dialect::Generic),
    ("/metrics", Dialect::Generic),
];

impl Dialect {
    /// The dialect of a path. Give it the path as the router reads it
    /// (`req.match_info().as_str()`: escaped letters decoded, slashes normalized), so that
    /// `/%61pi/v0/accounts`, served by the DTR route, is DTR too.
    pub fn for_path(path: &str) -> Dialect {
        PREFIXES
            .iter()
            .find(|(prefix, _)| {
                path.strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map_or(Dialect::Web, |&(_, dialect)| dialect)
    }

    /// Whether this is one of the APIs (not the web UI).
    pub fn is_api(self) -> bool {
        self != Dialect::Web
    }

    /// The `dialect` label of metrics and the access log, where the path alone decides;
    /// `/v1` requests are labelled by [`label`] (`index` or `alauda`), and `v1` only when
    /// neither the route nor the handler said which.
    pub fn label(self) -> &'static str {
        match self {
            Dialect::Dtr => "dtr",
            Dialect::V1 => "v1",
            Dialect::Cloud => "cloud",
            Dialect::RegistryUi => "registryui",
            Dialect::Registry => "registry",
            Dialect::Generic => "other",
            Dialect::Web => "web",
        }
    }
}

/// Whether a path belongs to one of the APIs (see [`Dialect::for_path`]).
pub fn is_api_path(path: &str) -> bool {
    Dialect::for_path(path).is_api()
}

/// Whether `word`, the first segment of a path, is the first segment of an API prefix
/// (`api`, `v1`, `v2`, `udr`, `healthz`, `metrics`): the web UI's `/{ns}` pages never answer
/// for it. `core::names` refuses these as account names (a test below holds the two
/// together).
pub fn is_api_word(word: &str) -> bool {
    PREFIXES
        .iter()
        .any(|(prefix, _)| first_word(prefix) == word)
}

fn first_word(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// Which of the two dialects of `/v1` answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnV1 {
    Index,
    Alauda,
}

impl OnV1 {
    pub fn label(self) -> &'static str {
        match self {
            OnV1::Index => "index",
            OnV1::Alauda => "alauda",
        }
    }

    /// Which dialect serves `method` on `route` (a pattern of the `/v1` route table in
    /// `api::v1`); `None` where the request decides (the handler notes it then).
    pub fn of_route(method: &Method, route: &str) -> Option<OnV1> {
        let shared = ["/v1/repositories/{a}/{b}", "/v1/repositories/{a}/{b}/tags"];
        if shared.contains(&route) && (*method != Method::GET || route.ends_with("/tags")) {
            return None;
        }
        let alauda = route.starts_with("/v1/generate-api-token")
            || route.starts_with("/v1/auth/")
            || route.starts_with("/v1/regions/")
            || (route == "/v1/repositories/{a}" && matches!(*method, Method::GET | Method::POST))
            || (route == "/v1/repositories/{a}/{b}" && *method == Method::GET);
        Some(if alauda { OnV1::Alauda } else { OnV1::Index })
    }
}

/// Which dialect answered, noted by a `/v1` handler where one path serves two.
#[derive(Debug, Clone, Copy)]
pub struct ServedBy(pub OnV1);

/// Note which `/v1` dialect serves this request (the `/v1` dispatch calls it).
pub fn note_served_by(req: &HttpRequest, dialect: OnV1) {
    req.extensions_mut().insert(ServedBy(dialect));
}

/// Which `/v1` dialect served a request: what its handler noted, else what its route says
/// ([`OnV1::of_route`]); `None` for a request nothing decided.
pub fn on_v1(method: &Method, route: Option<&str>, req: &HttpRequest) -> Option<OnV1> {
    let noted = req.extensions().get::<ServedBy>().map(|s| s.0);
    noted.or_else(|| route.and_then(|r| OnV1::of_route(method, r)))
}

/// The `dialect` label of a request for metrics and the access log: `dtr`, `index`,
/// `alauda`, `cloud`, `registryui`, `web` or `other` (`v1` for a `/v1` request nothing
/// decided, such as an unknown `/v1` path). `path` as the router reads it, `route` the
/// pattern that matched, `noted` what a `/v1` handler said answered.
pub fn label(
    path: &str,
    method: &Method,
    route: Option<&str>,
    noted: Option<OnV1>,
) -> &'static str {
    if let Some(on) = noted {
        return on.label();
    }
    match Dialect::for_path(path) {
        Dialect::V1 => route
            .and_then(|r| OnV1::of_route(method, r))
            .map_or(Dialect::V1.label(), OnV1::label),
        d => d.label(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_follows_the_path_prefix() {
        assert_eq!(Dialect::for_path("/api/v0/repositories/x"), Dialect::Dtr);
        assert_eq!(Dialect::for_path("/api/v0"), Dialect::Dtr);
        assert_eq!(Dialect::for_path("/api/v00"), Dialect::Generic);
        assert_eq!(
            Dialect::for_path("/api/repo/v1/repository/"),
            Dialect::Cloud
        );
        assert_eq!(
            Dialect::for_path("/udr/v1api/repositories"),
            Dialect::RegistryUi
        );
        assert_eq!(Dialect::for_path("/v1/users"), Dialect::V1);
        assert_eq!(Dialect::for_path("/v1x"), Dialect::Web);
        assert_eq!(Dialect::for_path("/healthz"), Dialect::Generic);
        assert_eq!(Dialect::for_path("/api/v00"), Dialect::Generic);
        assert_eq!(Dialect::for_path("/v2"), Dialect::Registry);
        assert_eq!(Dialect::for_path("/"), Dialect::Web);
        assert_eq!(Dialect::for_path("/admin/app"), Dialect::Web);
        assert_eq!(Dialect::for_path("/-/admin"), Dialect::Web);
    }

    /// A prefix listed after a shorter one it extends would never be reached.
    #[test]
    fn no_prefix_is_hidden_behind_an_earlier_one() {
        for (i, (prefix, dialect)) in PREFIXES.iter().enumerate() {
            assert_eq!(Dialect::for_path(prefix), *dialect, "{prefix}");
            assert!(
                PREFIXES[..i].iter().all(|(p, _)| p != prefix),
                "{prefix} twice"
            );
        }
    }

    #[test]
    fn api_words_are_the_first_words_of_the_prefixes() {
        for word in ["api", "v1", "v2", "udr", "healthz", "metrics"] {
            assert!(is_api_word(word), "{word}");
        }
        for word in ["", "-", "static", "v1x", "apis", "alice", "%61pi"] {
            assert!(!is_api_word(word), "{word}");
        }
        assert!(is_api_path("/udr/anything"));
        assert!(!is_api_path("/alice/app"));
    }

    /// No one can own a namespace whose pages the API prefixes would hide.
    #[test]
    fn api_words_are_reserved_account_names() {
        for (prefix, _) in PREFIXES {
            let word = first_word(prefix);
            assert!(
                crate::core::names::RESERVED_ACCOUNT_NAMES.contains(&word),
                "{word}"
            );
        }
    }

    #[test]
    fn labels_name_the_dialect_that_answers() {
        let get = &Method::GET;
        let put = &Method::PUT;
        assert_eq!(label("/api/v0/accounts", get, None, None), "dtr");
        assert_eq!(label("/api/repo/v1/x", get, None, None), "cloud");
        assert_eq!(
            label("/udr/v1api/repositories", get, None, None),
            "registryui"
        );
        assert_eq!(label("/healthz", get, Some("/healthz"), None), "other");
        assert_eq!(label("/alice", get, Some("/{ns}"), None), "web");
        assert_eq!(label("/v1/nowhere", get, None, None), "v1");
        let route = Some("/v1/repositories/{a}/{b}");
        assert_eq!(label("/v1/repositories/a/b", get, route, None), "alauda");
        assert_eq!(label("/v1/repositories/a/b", put, route, None), "v1");
        let noted = Some(OnV1::Index);
        assert_eq!(label("/v1/repositories/a/b", put, route, noted), "index");
        let search = Some("/v1/search");
        assert_eq!(label("/v1/search", get, search, None), "index");
        let regions = Some("/v1/regions/{ns}");
        assert_eq!(label("/v1/regions/acme", get, regions, None), "alauda");
    }
}
