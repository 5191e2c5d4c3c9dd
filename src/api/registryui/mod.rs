//! The RegistryUI extended API (`/udr/v1api/`; `docs/registryui.md`): the repository catalog
//! by path, projects, tags, folders, and the "Public API" switch for anonymous callers.

mod dto;
mod handlers;
pub mod stream;

use super::dialect::Dialect;
use crate::route_table::Routes;

/// Paths exactly as RegistryUI writes them (a final `/` is trimmed before routing).
pub fn configure(routes: &mut Routes) {
    routes
        .dialect(Dialect::RegistryUi)
        .resource("/udr/v1api/repositories", |r| {
            r.get(handlers::repositories_get)
                .post(handlers::repositories_post)
        })
        .resource("/udr/v1api/project/create", |r| {
            r.post(handlers::project_create)
        })
        .resource("/udr/v1api/tags", |r| r.get(handlers::tags))
        .resource("/udr/v1api/taginfo", |r| {
            r.get(handlers::taginfo_get)
                .delete(handlers::taginfo_delete)
        })
        .resource("/udr/v1api/folder", |r| r.delete(handlers::folder_delete));
}
