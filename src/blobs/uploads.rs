//! Upload sessions in progress: the bytes streamed into a [`BlobStore`] upload in batches
//! (constant memory whatever the size), and each session's running sha256, kept in memory so
//! that finishing an upload costs no second read of it. After a restart (or a request that
//! failed half-way) the running digest is gone or ahead of what was acknowledged; it is then
//! computed again from the upload's acknowledged bytes, so it is only ever a cache.
//!
//! One request at a time works on a session: [`Sessions::session`] hands out its lock.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use actix_web::error::PayloadError;
use actix_web::web::{self, Bytes};
use futures_util::{Stream, StreamExt};

use super::{io_error, Algorithm, BlobStore, Digest, Hasher};
use crate::error::{Code, Error, Result};

/// Bytes gathered before they are written (one trip to the blocking pool per batch).
pub const BATCH: usize = 1 << 20;

/// What is known of one session's bytes.
pub struct Running {
    /// A sha256 of the upload's first `hashed` bytes, or `None` when it must be computed
    /// again from the start.
    hasher: Option<Hasher>,
    hashed: u64,
}

impl Running {
    fn fresh() -> Running {
        Running {
            hasher: None,
            hashed: 0,
        }
    }
}

impl Default for Running {
    fn default() -> Running {
        Running::fresh()
    }
}

/// A session's lock: whoever holds it is the one request working on the upload.
pub type Session = Arc<tokio::sync::Mutex<Running>>;

/// The sessions of this process.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// The lock of session `id` (made on first use; a session this process has not seen yet
    /// starts with no running digest).
    pub fn session(&self, id: &str) -> Session {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_owned())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Running::fresh())))
            .clone()
    }

    /// Forget a finished or cancelled session.
    pub fn forget(&self, id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }
}

/// Make `running` a digest of exactly the upload's first `len` bytes, reading what it lacks.
async fn catch_up(
    blobs: &Arc<dyn BlobStore>,
    id: &str,
    len: u64,
    running: &mut Running,
) -> Result<()> {
    let (hasher, from) = match running.hasher.take() {
        Some(h) if running.hashed == len => {
            running.hasher = Some(h);
            return Ok(());
        }
        Some(h) if running.hashed < len => (h, running.hashed),
        _ => (Hasher::new(Algorithm::Sha256), 0),
    };
    running.hashed = 0;
    let hasher = hash_range(blobs.clone(), id.to_owned(), hasher, from, len).await?;
    running.hasher = Some(hasher);
    running.hashed = len;
    Ok(())
}

/// `hasher` fed with the upload's bytes `from..to`, read on the blocking pool.
async fn hash_range(
    blobs: Arc<dyn BlobStore>,
    id: String,
    mut hasher: Hasher,
    from: u64,
    to: u64,
) -> Result<Hasher> {
    web::block(move || {
        let reader = blobs
            .read_upload(&id, from)
            .map_err(|e| io_error("reading an upload", e))?;
        let mut reader = reader.take(to.saturating_sub(from));
        let mut buf = vec![0u8; BATCH];
        let mut read = 0u64;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| io_error("reading an upload", e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            read += n as u64;
        }
        if read != to - from {
            return Err(Error::internal(format_args!(
                "upload {id} is shorter than what was acknowledged"
            )));
        }
        Ok(hasher)
    })
    .await?
}

/// Append a request body to upload `id`, which holds `start` acknowledged bytes, and return
/// how many bytes the body had. The bytes are written but not yet durable; on failure the
/// upload may hold some of them past `start` (the caller cuts it back).
///
/// One batch is written and hashed on the blocking pool while the next one arrives; the
/// write in flight is always awaited before this returns, so nothing writes to the upload
/// after it (a cut-back never races a late write).
pub async fn receive(
    blobs: &Arc<dyn BlobStore>,
    id: &str,
    start: u64,
    running: &mut Running,
    body: impl Stream<Item = std::result::Result<Bytes, PayloadError>>,
) -> Result<u64> {
    catch_up(blobs, id, start, running).await?;
    let mut body = std::pin::pin!(body);
    let mut batch: Vec<Bytes> = Vec::new();
    let mut batch_len = 0usize;
    let mut written = start;
    let mut in_flight = None;
    let mut failure: Option<Error> = None;
    loop {
        let chunk = match body.next().await {
            None => None,
            Some(Ok(chunk)) => Some(chunk),
            Some(Err(e)) => {
                failure = Some(body_error(e));
                break;
            }
        };
        let done = chunk.is_none();
        if let Some(chunk) = chunk {
            batch_len += chunk.len();
            batch.push(chunk);
        }
        if batch_len >= BATCH || (done && batch_len > 0) {
            // The previous batch's write hands the running digest on.
            let hasher = match in_flight.take() {
                Some(write) => match settle(write).await {
                    Ok(h) => Some(h),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                },
                None => running.hasher.take(),
            };
            let Some(mut hasher) = hasher else {
                failure = Some(Error::internal("no running digest for an upload"));
                break;
            };
            running.hashed = 0;
            let (blobs, id, at) = (blobs.clone(), id.to_owned(), written);
            let chunks = std::mem::take(&mut batch);
            in_flight = Some(web::block(move || {
                blobs
                    .write_upload(&id, at, &chunks)
                    .map_err(|e| io_error("writing an upload", e))?;
                for chunk in &chunks {
                    hasher.update(chunk);
                }
                Ok::<_, Error>(hasher)
            }));
            written += batch_len as u64;
            batch_len = 0;
        }
        if done {
            break;
        }
    }
    if let Some(write) = in_flight.take() {
        match settle(write).await {
            Ok(h) if failure.is_none() => {
                running.hasher = Some(h);
                running.hashed = written;
            }
            Ok(_) => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    match failure {
        Some(e) => {
            // Ahead of what will be acknowledged: computed again when next needed.
            running.hasher = None;
            running.hashed = 0;
            Err(e)
        }
        None => Ok(written - start),
    }
}

async fn settle<T>(
    write: impl std::future::Future<
        Output = std::result::Result<Result<T>, actix_web::error::BlockingError>,
    >,
) -> Result<T> {
    write.await?
}

/// The digest, in `algorithm`, of the upload's first `len` bytes.
pub async fn digest(
    blobs: &Arc<dyn BlobStore>,
    id: &str,
    len: u64,
    running: &mut Running,
    algorithm: Algorithm,
) -> Result<Digest> {
    match algorithm {
        Algorithm::Sha256 => {
            catch_up(blobs, id, len, running).await?;
            let hasher = running
                .hasher
                .as_ref()
                .ok_or_else(|| Error::internal("no running digest after catching up"))?;
            Ok(hasher.finish())
        }
        other => {
            let hasher =
                hash_range(blobs.clone(), id.to_owned(), Hasher::new(other), 0, len).await?;
            Ok(hasher.finish())
        }
    }
}

/// A body that failed to arrive: the upload is refused (a stalled body becomes the 408 of
/// `ops::conn`).
fn body_error(e: PayloadError) -> Error {
    log::debug!("upload body failed: {e}");
    Error::new(
        Code::BlobUploadInvalid,
        "the request body ended before it was complete",
    )
}
