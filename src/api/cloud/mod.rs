//! The Docker Cloud dialect (`docs/cloud.md`): external repositories and the registries they
//! point at, under `/api/repo/v1/`.
//!
//! Every path exists twice: without a namespace (the caller's own) and with `{ns}`. Paths
//! are registered without their final `/` (the middleware trims it); the un-namespaced
//! ones come first, so `/api/repo/v1/repository/a/b` is always the name `a/b` (`repository`
//! and `registry` are reserved account names, so no namespace can be called that).

mod dto;
mod handlers;

use super::dialect::Dialect;
use crate::route_table::Routes;

pub fn configure(routes: &mut Routes) {
    let mut routes = routes.dialect(Dialect::Cloud);
    for prefix in ["/api/repo/v1", "/api/repo/v1/{ns}"] {
        routes
            .resource(format!("{prefix}/repository"), |r| {
                r.get(handlers::list).post(handlers::add)
            })
            .resource(format!("{prefix}/repository/{{name:.+}}"), |r| {
                r.get(handlers::inspect)
                    .patch(handlers::update)
                    .delete(handlers::remove)
            })
            .resource(format!("{prefix}/registry"), |r| {
                r.get(handlers::registries)
            })
            .resource(format!("{prefix}/registry/{{host}}"), |r| {
                r.get(handlers::registry)
            });
    }
}
