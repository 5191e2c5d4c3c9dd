//! The core: the model, names and validation, the permission policy, and the operations
//! every dialect and page calls. Operations are synchronous functions over a connection;
//! callers run them off the async executor with `Store::run`.

pub mod accounts;
pub mod external;
pub mod model;
pub mod names;
pub mod policy;
pub mod repos;
pub mod time;
