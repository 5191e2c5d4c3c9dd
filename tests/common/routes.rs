//! Every route Berth serves, as (method, path pattern, dialect): the library's own list
//! (`berth::routes()`, written down by the `configure` functions that build the router),
//! which the route-table check, the hostile-input sweep and the leak matrix walk. A route
//! added to the code is in it by construction.
#![allow(dead_code, unused_imports)]

use std::sync::LazyLock;

pub use berth::api::dialect::Dialect;
pub use berth::route_table::Route;

/// The public listener's routes in the order its router tries them, then `GET /metrics`,
/// which the metrics listener alone serves (the public listener answers it 404, and the
/// sweeps hold it to that).
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    let mut routes = berth::routes();
    routes.extend(berth::metrics_routes());
    routes
});
