//! The registry's blob store: content-addressed bytes behind a small trait ([`BlobStore`]),
//! so that S3-compatible object storage can follow the files of [`files::FileStore`].
//!
//! A blob is written once, as an upload: bytes are appended to the upload (streamed in
//! batches, whatever the size, in constant memory), then the upload is committed under its
//! digest, which makes it durable and visible in one step. Nothing is ever served from an
//! upload, and a blob is never changed or removed by a request (garbage collection is the
//! outgrow path). The rows that say which repository may serve which blob are the store's
//! (`store::registry`); the digest is checked by the caller before it commits
//! ([`uploads`] keeps each session's running digest in memory).
//!
//! Every method blocks: call them on the blocking pool (`web::block`), never on a worker.

pub mod digest;
pub mod files;
pub mod uploads;

use std::io::{self, Read};

use actix_web::web::Bytes;

pub use digest::{Algorithm, Digest, Hasher};

use crate::error::Error;

/// Where blob bytes live.
pub trait BlobStore: Send + Sync {
    /// The size of a committed blob, or `None` when there is none.
    fn size(&self, digest: &Digest) -> io::Result<Option<u64>>;

    /// A committed blob's bytes from `offset` on.
    fn open(&self, digest: &Digest, offset: u64) -> io::Result<Box<dyn Read + Send>>;

    /// A new, empty upload.
    fn create_upload(&self, id: &str) -> io::Result<()>;

    /// Write `chunks`, one after the other, into the upload from `offset` on. Not durable
    /// until [`BlobStore::sync_upload`].
    fn write_upload(&self, id: &str, offset: u64, chunks: &[Bytes]) -> io::Result<()>;

    /// Make what was written to the upload durable.
    fn sync_upload(&self, id: &str) -> io::Result<()>;

    /// The upload's length, or `None` when there is no such upload.
    fn upload_len(&self, id: &str) -> io::Result<Option<u64>>;

    /// Cut the upload back to `len` bytes.
    fn truncate_upload(&self, id: &str, len: u64) -> io::Result<()>;

    /// The upload's bytes from `offset` on (to hash them again).
    fn read_upload(&self, id: &str, offset: u64) -> io::Result<Box<dyn Read + Send>>;

    /// Make the upload the blob `digest` (whose bytes the caller has checked), durably, and
    /// remove the upload. A blob that exists already is kept as it is.
    fn commit_upload(&self, id: &str, digest: &Digest) -> io::Result<()>;

    /// Remove an upload (missing is fine).
    fn remove_upload(&self, id: &str) -> io::Result<()>;

    /// The ids of every upload there is (start-up cleanup).
    fn upload_ids(&self) -> io::Result<Vec<String>>;
}

/// An I/O failure of the blob store as the client sees it: a full disk is 507 and says so;
/// anything else is an internal error (the cause goes to the log).
pub fn io_error(what: &str, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::StorageFull || e.kind() == io::ErrorKind::QuotaExceeded {
        log::error!("blob store: {what}: {e}");
        return Error::insufficient_storage();
    }
    Error::internal(format_args!("blob store: {what}: {e}"))
}
