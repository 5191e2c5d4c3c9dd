//! The route table, described once. Each dialect's `configure` adds its resources through
//! [`Routes`], which registers them with actix and writes down every (method, pattern,
//! dialect) as it goes. The router is built from those calls, and `berth::routes()` runs
//! the same calls without serving to hand the list to whoever needs it (the route-table,
//! hostile-input and leak tests walk it), so the list cannot drift from what is served.

use actix_web::guard::Guard;
use actix_web::{web, FromRequest, Handler, Responder};

use crate::api::dialect::Dialect;

/// One method on one path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// As on the wire: `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: &'static str,
    /// The pattern as registered (`{name}` for a segment, `{name:.+}` for the rest of the
    /// path): what metrics and the access log report as `route`.
    pub path: String,
    /// The dialect its `configure` declared; a test holds it to [`Dialect::for_path`],
    /// which picks the error envelope.
    pub dialect: Dialect,
}

impl Route {
    /// The path with each `{param}` replaced by `fill(param)`.
    pub fn fill(&self, mut fill: impl FnMut(&str) -> String) -> String {
        let mut out = String::new();
        let mut rest = self.path.as_str();
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

/// Where the routes go: actix's service config, and the list they are written down in.
/// Routes start in the [`Generic`](Dialect::Generic) dialect; each dialect's `configure`
/// names its own with [`Routes::dialect`].
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    table: &'a mut Vec<Route>,
    dialect: Dialect,
}

impl<'a> Routes<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig, table: &'a mut Vec<Route>) -> Routes<'a> {
        Routes {
            cfg,
            table,
            dialect: Dialect::Generic,
        }
    }

    /// The same table and config, for the routes of `dialect`.
    pub fn dialect(&mut self, dialect: Dialect) -> Routes<'_> {
        Routes {
            cfg: self.cfg,
            table: self.table,
            dialect,
        }
    }

    /// One resource: a path pattern and the methods it answers. It stays one actix
    /// resource, so a method it does not declare gets 405 (in the dialect's envelope) and
    /// not the next pattern; resources are tried in the order they are added.
    pub fn resource(
        &mut self,
        path: impl Into<String>,
        methods: impl FnOnce(Resource) -> Resource,
    ) -> &mut Self {
        let path = path.into();
        let resource = methods(Resource {
            inner: web::resource(path.as_str()),
            methods: Vec::new(),
        });
        self.table
            .extend(resource.methods.iter().map(|&method| Route {
                method,
                path: path.clone(),
                dialect: self.dialect,
            }));
        self.cfg.service(resource.inner);
        self
    }

    /// App data for the handlers of these routes (the web UI's error page renderer).
    pub fn app_data<U: 'static>(&mut self, data: U) -> &mut Self {
        self.cfg.app_data(data);
        self
    }
}

/// The methods of one resource, being declared (see [`Routes::resource`]).
pub struct Resource {
    inner: actix_web::Resource,
    methods: Vec<&'static str>,
}

/// The bounds actix puts on a handler (`web::Route::to`), spelled once per method below.
macro_rules! methods {
    ($($name:ident $method:literal),*) => {
        impl Resource {
            $(
                #[doc = concat!("Answer `", $method, "` with `handler`.")]
                pub fn $name<F, Args>(self, handler: F) -> Resource
                where
                    F: Handler<Args>,
                    Args: FromRequest + 'static,
                    F::Output: Responder + 'static,
                {
                    self.on($method, web::$name().to(handler))
                }
            )*
        }
    };
}

methods!(get "GET", head "HEAD", post "POST", put "PUT", patch "PATCH", delete "DELETE");

impl Resource {
    /// Serve this resource only to requests `guard` accepts (others try the next pattern).
    pub fn guard(mut self, guard: impl Guard + 'static) -> Resource {
        self.inner = self.inner.guard(guard);
        self
    }

    fn on(mut self, method: &'static str, route: actix_web::Route) -> Resource {
        self.inner = self.inner.route(route);
        self.methods.push(method);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::App;

    fn table(configure: impl FnOnce(&mut Routes)) -> Vec<Route> {
        let mut table = Vec::new();
        let _app = App::new().configure(|cfg| configure(&mut Routes::new(cfg, &mut table)));
        table
    }

    async fn ok() -> &'static str {
        "ok"
    }

    #[test]
    fn every_method_is_written_down_in_order_with_its_dialect() {
        let routes = table(|r| {
            r.resource("/healthz", |m| m.get(ok));
            r.dialect(Dialect::Dtr)
                .resource("/api/v0/x", |m| m.get(ok).post(ok))
                .resource("/api/v0/x/{y}", |m| m.put(ok).patch(ok).delete(ok));
        });
        let got: Vec<_> = routes
            .iter()
            .map(|r| (r.method, r.path.as_str(), r.dialect))
            .collect();
        assert_eq!(
            got,
            [
                ("GET", "/healthz", Dialect::Generic),
                ("GET", "/api/v0/x", Dialect::Dtr),
                ("POST", "/api/v0/x", Dialect::Dtr),
                ("PUT", "/api/v0/x/{y}", Dialect::Dtr),
                ("PATCH", "/api/v0/x/{y}", Dialect::Dtr),
                ("DELETE", "/api/v0/x/{y}", Dialect::Dtr),
            ]
        );
    }

    #[test]
    fn fill_replaces_every_parameter() {
        let route = Route {
            method: "GET",
            path: "/api/repo/v1/{ns}/repository/{name:.+}".to_owned(),
            dialect: Dialect::Cloud,
        };
        assert_eq!(
            route.fill(|p| format!("<{p}>")),
            "/api/repo/v1/<ns>/repository/<name>"
        );
    }
}
