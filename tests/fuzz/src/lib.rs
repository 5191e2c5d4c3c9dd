//! What the fuzz targets share: the invariants each target asserts, and the in-process
//! application that the request-parsing targets drive. The targets in `fuzz_targets/` are
//! one line each; everything that can be wrong is here.

pub mod http;
pub mod markdown;
pub mod names;

/// The route table the hostile-input sweep and the leak matrix walk (`tests/common/routes.rs`),
/// so the fuzzers reach every route of a dialect and pick up new ones without an edit here.
#[path = "../../common/routes.rs"]
pub mod routes;
