//! Every route Berth serves, as (method, path template, dialect): the table that the
//! hostile-input sweep and the leak matrix walk. `tests/route_table.rs` reads the route
//! declarations in `src/` and fails when this table and the code disagree, so a new route
//! cannot escape those sweeps.
#![allow(dead_code)]

/// Whose envelope a route answers errors in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/api/v0`: `{"errors":[{"code","message"}]}`.
    Dtr,
    /// `/v1`: Index and Alauda, `{"error": "..."}` (or a bare string where marked).
    V1,
    /// `/api/repo/v1`: `{"error": "..."}`.
    Cloud,
    /// `/udr/v1api`: `{"error": "..."}`.
    RegistryUi,
    /// Web pages: HTML.
    Web,
    /// `/healthz`.
    Generic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// As declared: `{name}` segments, `{name:.+}` for the rest of the path.
    pub path: &'static str,
    pub dialect: Dialect,
}

const fn r(method: &'static str, path: &'static str, dialect: Dialect) -> Route {
    Route {
        method,
        path,
        dialect,
    }
}

use Dialect::*;

pub const ROUTES: &[Route] = &[
    r("GET", "/healthz", Generic),
    // Declared by `berth::metrics_app`, served on the metrics listener only: the public
    // listener answers it 404.
    r("GET", "/metrics", Generic),
    // DTR 1.3 (/api/v0)
    r("GET", "/api/v0/accounts", Dtr),
    r("POST", "/api/v0/accounts", Dtr),
    r("GET", "/api/v0/accounts/{name}", Dtr),
    r("DELETE", "/api/v0/accounts/{name}", Dtr),
    r("POST", "/api/v0/accounts/{name}/changePassword", Dtr),
    r("PUT", "/api/v0/accounts/{name}/activate", Dtr),
    r("PUT", "/api/v0/accounts/{name}/deactivate", Dtr),
    r("GET", "/api/v0/accounts/{name}/organizations", Dtr),
    r("GET", "/api/v0/accounts/{org}/teams", Dtr),
    r("POST", "/api/v0/accounts/{org}/teams", Dtr),
    r("GET", "/api/v0/accounts/{org}/teams/{team}", Dtr),
    r("PATCH", "/api/v0/accounts/{org}/teams/{team}", Dtr),
    r("DELETE", "/api/v0/accounts/{org}/teams/{team}", Dtr),
    r("GET", "/api/v0/accounts/{org}/teams/{team}/members", Dtr),
    r(
        "GET",
        "/api/v0/accounts/{org}/teams/{team}/members/{member}",
        Dtr,
    ),
    r(
        "PUT",
        "/api/v0/accounts/{org}/teams/{team}/members/{member}",
        Dtr,
    ),
    r(
        "DELETE",
        "/api/v0/accounts/{org}/teams/{team}/members/{member}",
        Dtr,
    ),
    r(
        "GET",
        "/api/v0/accounts/{org}/teams/{team}/repositoryAccess",
        Dtr,
    ),
    r("GET", "/api/v0/repositories/{namespace}", Dtr),
    r("POST", "/api/v0/repositories/{namespace}", Dtr),
    r("GET", "/api/v0/repositories/{namespace}/{reponame}", Dtr),
    r("PATCH", "/api/v0/repositories/{namespace}/{reponame}", Dtr),
    r("DELETE", "/api/v0/repositories/{namespace}/{reponame}", Dtr),
    r(
        "GET",
        "/api/v0/repositories/{namespace}/{reponame}/userAccess",
        Dtr,
    ),
    r(
        "PUT",
        "/api/v0/repositories/{namespace}/{reponame}/userAccess/{user}",
        Dtr,
    ),
    r(
        "DELETE",
        "/api/v0/repositories/{namespace}/{reponame}/userAccess/{user}",
        Dtr,
    ),
    r(
        "GET",
        "/api/v0/repositories/{namespace}/{reponame}/teamAccess",
        Dtr,
    ),
    r(
        "PUT",
        "/api/v0/repositories/{namespace}/{reponame}/teamAccess/{team}",
        Dtr,
    ),
    r(
        "DELETE",
        "/api/v0/repositories/{namespace}/{reponame}/teamAccess/{team}",
        Dtr,
    ),
    r("GET", "/api/v0/repositoryNamespaces/{org}/teamAccess", Dtr),
    r(
        "GET",
        "/api/v0/repositoryNamespaces/{org}/teamAccess/{team}",
        Dtr,
    ),
    r(
        "PUT",
        "/api/v0/repositoryNamespaces/{org}/teamAccess/{team}",
        Dtr,
    ),
    r(
        "DELETE",
        "/api/v0/repositoryNamespaces/{org}/teamAccess/{team}",
        Dtr,
    ),
    // Index v1 and Alauda (/v1; src/api/v1.rs decides which serves a shared path)
    r("GET", "/v1/_ping", V1),
    r("GET", "/v1/search", V1),
    r("GET", "/v1/users", V1),
    r("POST", "/v1/users", V1),
    r("PUT", "/v1/users/{username}", V1),
    r("POST", "/v1/generate-api-token", V1),
    r("GET", "/v1/auth/{ns}/profile", V1),
    r("GET", "/v1/regions/{ns}", V1),
    r("GET", "/v1/repositories/{a}/images", V1),
    r("PUT", "/v1/repositories/{a}/images", V1),
    r("PUT", "/v1/repositories/{a}/auth", V1),
    r("GET", "/v1/repositories/{a}", V1),
    r("POST", "/v1/repositories/{a}", V1),
    r("PUT", "/v1/repositories/{a}", V1),
    r("DELETE", "/v1/repositories/{a}", V1),
    r("GET", "/v1/repositories/{a}/{b}/images", V1),
    r("PUT", "/v1/repositories/{a}/{b}/images", V1),
    r("PUT", "/v1/repositories/{a}/{b}/auth", V1),
    r("PUT", "/v1/repositories/{a}/{b}/star", V1),
    r("DELETE", "/v1/repositories/{a}/{b}/star", V1),
    r("GET", "/v1/repositories/{a}/{b}/tags", V1),
    r("GET", "/v1/repositories/{a}/{b}/tags/{tag}", V1),
    r("PUT", "/v1/repositories/{a}/{b}/tags/{tag}", V1),
    r("DELETE", "/v1/repositories/{a}/{b}/tags/{tag}", V1),
    r("GET", "/v1/repositories/{a}/{b}", V1),
    r("PUT", "/v1/repositories/{a}/{b}", V1),
    r("DELETE", "/v1/repositories/{a}/{b}", V1),
    // Docker Cloud external repositories (/api/repo/v1), without and with a namespace
    r("GET", "/api/repo/v1/repository", Cloud),
    r("POST", "/api/repo/v1/repository", Cloud),
    r("GET", "/api/repo/v1/repository/{name:.+}", Cloud),
    r("PATCH", "/api/repo/v1/repository/{name:.+}", Cloud),
    r("DELETE", "/api/repo/v1/repository/{name:.+}", Cloud),
    r("GET", "/api/repo/v1/registry", Cloud),
    r("GET", "/api/repo/v1/registry/{host}", Cloud),
    r("GET", "/api/repo/v1/{ns}/repository", Cloud),
    r("POST", "/api/repo/v1/{ns}/repository", Cloud),
    r("GET", "/api/repo/v1/{ns}/repository/{name:.+}", Cloud),
    r("PATCH", "/api/repo/v1/{ns}/repository/{name:.+}", Cloud),
    r("DELETE", "/api/repo/v1/{ns}/repository/{name:.+}", Cloud),
    r("GET", "/api/repo/v1/{ns}/registry", Cloud),
    r("GET", "/api/repo/v1/{ns}/registry/{host}", Cloud),
    // RegistryUI (/udr/v1api)
    r("GET", "/udr/v1api/repositories", RegistryUi),
    r("POST", "/udr/v1api/repositories", RegistryUi),
    r("POST", "/udr/v1api/project/create", RegistryUi),
    r("GET", "/udr/v1api/tags", RegistryUi),
    r("GET", "/udr/v1api/taginfo", RegistryUi),
    r("DELETE", "/udr/v1api/taginfo", RegistryUi),
    r("DELETE", "/udr/v1api/folder", RegistryUi),
    // Web pages
    r("GET", "/static/{path:.+}", Web),
    r("GET", "/", Web),
    r("GET", "/login", Web),
    r("POST", "/login", Web),
    r("POST", "/logout", Web),
    r("GET", "/signup", Web),
    r("POST", "/signup", Web),
    r("GET", "/new", Web),
    r("POST", "/new", Web),
    r("GET", "/settings", Web),
    r("POST", "/settings/password", Web),
    r("POST", "/settings/emails", Web),
    r("POST", "/settings/keys", Web),
    r("POST", "/settings/keys/{id}/revoke", Web),
    r("POST", "/settings/external", Web),
    r("POST", "/settings/external/update", Web),
    r("POST", "/settings/external/remove", Web),
    r("GET", "/-/admin", Web),
    r("POST", "/-/admin/users/{name}/active", Web),
    r("POST", "/-/admin/users/{name}/admin", Web),
    r("POST", "/-/admin/orgs", Web),
    r("POST", "/-/admin/settings", Web),
    r("GET", "/-/orgs/{org}", Web),
    r("POST", "/-/orgs/{org}/teams", Web),
    r("POST", "/-/orgs/{org}/grants", Web),
    r("GET", "/-/orgs/{org}/teams/{team}", Web),
    r("POST", "/-/orgs/{org}/teams/{team}/delete", Web),
    r("POST", "/-/orgs/{org}/teams/{team}/members", Web),
    r("GET", "/{ns}", Web),
    r("GET", "/{ns}/{repo}", Web),
    r("POST", "/{ns}/{repo}/star", Web),
    r("GET", "/{ns}/{repo}/settings", Web),
    r("POST", "/{ns}/{repo}/settings", Web),
    r("POST", "/{ns}/{repo}/access", Web),
    r("POST", "/{ns}/{repo}/delete", Web),
];

impl Route {
    /// The path with each `{param}` replaced by `fill(param)`.
    pub fn fill(&self, mut fill: impl FnMut(&str) -> String) -> String {
        let mut out = String::new();
        let mut rest = self.path;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
            let name = rest[start + 1..end].split(':').next().unwrap_or("");
            out.push_str(&fill(name));
            rest = rest.get(end + 1..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }
}
