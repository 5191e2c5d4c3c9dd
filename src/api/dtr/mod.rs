//! The Docker Trusted Registry 1.3 dialect (`/api/v0`, `docs/dtr.md`): accounts, teams,
//! repositories and access grants. Every route but sign-up needs an authenticated, active
//! user; errors leave in the DTR envelope
//! `{"errors":[{"code","message"}]}` (rendered by `api::envelope`).

mod access;
mod accounts;
mod dto;
mod repos;
mod teams;

use super::dialect::Dialect;
use crate::route_table::Routes;

/// The route table, with the paths as the DTR 1.3 documents write them.
pub fn configure(routes: &mut Routes) {
    routes
        .dialect(Dialect::Dtr)
        .resource("/api/v0/accounts", |r| {
            r.get(accounts::list).post(accounts::create)
        })
        .resource("/api/v0/accounts/{name}", |r| {
            r.get(accounts::get)
                .patch(accounts::update)
                .delete(accounts::delete)
        })
        .resource("/api/v0/accounts/{name}/changePassword", |r| {
            r.post(accounts::change_password)
        })
        .resource("/api/v0/accounts/{name}/activate", |r| {
            r.put(accounts::activate)
        })
        .resource("/api/v0/accounts/{name}/deactivate", |r| {
            r.put(accounts::deactivate)
        })
        .resource("/api/v0/accounts/{name}/organizations", |r| {
            r.get(accounts::organizations)
        })
        .resource("/api/v0/accounts/{org}/teams", |r| {
            r.get(teams::list).post(teams::create)
        })
        .resource("/api/v0/accounts/{org}/teams/{team}", |r| {
            r.get(teams::get).patch(teams::update).delete(teams::delete)
        })
        .resource("/api/v0/accounts/{org}/teams/{team}/members", |r| {
            r.get(teams::members)
        })
        .resource(
            "/api/v0/accounts/{org}/teams/{team}/members/{member}",
            |r| {
                r.get(teams::is_member)
                    .put(teams::add_member)
                    .delete(teams::remove_member)
            },
        )
        .resource(
            "/api/v0/accounts/{org}/teams/{team}/repositoryAccess",
            |r| r.get(teams::repository_access),
        )
        .resource("/api/v0/repositories/{namespace}", |r| {
            r.get(repos::list).post(repos::create)
        })
        .resource("/api/v0/repositories/{namespace}/{reponame}", |r| {
            r.get(repos::get).patch(repos::update).delete(repos::delete)
        })
        .resource(
            "/api/v0/repositories/{namespace}/{reponame}/userAccess",
            |r| r.get(access::user_list),
        )
        .resource(
            "/api/v0/repositories/{namespace}/{reponame}/userAccess/{user}",
            |r| r.put(access::user_put).delete(access::user_delete),
        )
        .resource(
            "/api/v0/repositories/{namespace}/{reponame}/teamAccess",
            |r| r.get(access::team_list),
        )
        .resource(
            "/api/v0/repositories/{namespace}/{reponame}/teamAccess/{team}",
            |r| r.put(access::team_put).delete(access::team_delete),
        )
        .resource("/api/v0/repositoryNamespaces/{org}/teamAccess", |r| {
            r.get(access::namespace_list)
        })
        .resource(
            "/api/v0/repositoryNamespaces/{org}/teamAccess/{team}",
            |r| {
                r.get(access::namespace_get)
                    .put(access::namespace_put)
                    .delete(access::namespace_delete)
            },
        );
}
