//! Operations: what an operator runs and watches — backups, metrics, the access log.

pub mod access;
pub mod backup;
pub mod backup_blobs;
pub mod conn;
pub mod fsck;
pub mod gc;
pub mod metrics;
