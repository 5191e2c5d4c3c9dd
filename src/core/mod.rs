//! The core: the model, names and validation, the permission policy, and the operations
//! every dialect and page calls. Operations are synchronous functions over a connection;
//! callers run them off the async executor with `Store::run`.

pub mod accounts;
pub mod catalog;
pub mod external;
pub mod grants;
pub mod images;
pub mod manifest;
pub mod model;
pub mod names;
pub mod policy;
pub mod quota;
pub mod registry;
pub mod repos;
pub mod retention;
pub mod scopes;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod stars;
pub mod tags;
pub mod teams;
pub mod time;
pub mod tokens;
