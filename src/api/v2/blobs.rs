//! `GET|HEAD|DELETE /v2/{name}/blobs/{digest}`: blobs are served straight from the blob
//! store, streamed in batches read on the blocking pool, whole or one `Range`.

use std::io::Read;
use std::sync::Arc;

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::access::{self, Asker};
use super::DIGEST_HEADER;
use crate::blobs::{BlobStore, Digest};
use crate::core::registry::{self, Action, Name};
use crate::error::{Code, Error, Result};
use crate::AppState;

#[derive(Deserialize)]
pub struct BlobPath {
    name: String,
    digest: String,
}

/// Bytes read per trip to the blocking pool.
const READ_BATCH: u64 = 1 << 20;

pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    asker: Asker,
    path: web::Path<BlobPath>,
) -> Result<HttpResponse> {
    serve(state, req, asker, path.into_inner(), false).await
}

pub async fn head(
    state: web::Data<AppState>,
    req: HttpRequest,
    asker: Asker,
    path: web::Path<BlobPath>,
) -> Result<HttpResponse> {
    serve(state, req, asker, path.into_inner(), true).await
}

async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: BlobPath,
    head: bool,
) -> Result<HttpResponse> {
    let name = Name::parse(&path.name)?;
    let digest = Digest::parse(&path.digest)?;
    let repo = access::authorize(&state, &req, &who, &name, Action::Pull, false).await?;
    let (d, blobs) = (digest.clone(), state.blobs.clone());
    let size = state
        .store
        .run(move |c| {
            let size = registry::blob_size(c, &repo, &d)?;
            // Linked but gone from the disk: say so in the log, and serve nothing.
            match blobs.size(&d) {
                Ok(Some(on_disk)) if on_disk == size => Ok(size),
                // Truncated or grown on the disk: never served (`berth admin fsck`).
                Ok(Some(on_disk)) => {
                    log::error!("blob {d} is {on_disk} bytes on disk, {size} in the store");
                    Err(crate::blobs::io_error(
                        "reading a blob",
                        std::io::Error::other("damaged blob file"),
                    ))
                }
                Ok(None) => {
                    log::error!("blob {d} is linked but its file is missing");
                    Err(registry::blob_unknown())
                }
                Err(e) => Err(crate::blobs::io_error("reading a blob", e)),
            }
        })
        .await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((DIGEST_HEADER, digest.to_string()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::ETAG, format!("\"{digest}\"")))
        .content_type("application/octet-stream");
    let range = if head {
        None
    } else {
        requested_range(&req, size)?
    };
    let (start, len) = match range {
        Some((start, end)) => {
            res.status(actix_web::http::StatusCode::PARTIAL_CONTENT);
            res.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}")));
            (start, end - start + 1)
        }
        None => (0, size),
    };
    if head {
        return Ok(res.body(super::head_body(size)));
    }
    Ok(res.body(SizedStream::new(
        len,
        read_stream(
            state.blobs.clone(),
            digest,
            start,
            len,
            start == 0 && len == size,
        ),
    )))
}

/// The one range asked for, `(first, last)` inclusive; `None` to send everything (no
/// `Range`, one the server may ignore, or several). 416 when no byte satisfies it.
fn requested_range(req: &HttpRequest, size: u64) -> Result<Option<(u64, u64)>> {
    let Some(value) = req.headers().get(header::RANGE) else {
        return Ok(None);
    };
    let unsatisfiable = || {
        Error::new(
            Code::RangeNotSatisfiable,
            "the range asked for is not in the blob",
        )
        .with_header("content-range", format!("bytes */{size}"))
    };
    let Ok(value) = value.to_str() else {
        return Ok(None);
    };
    use http_range_header::RangeUnsatisfiableError as Refused;
    let ranges = match http_range_header::parse_range_header(value) {
        Ok(parsed) => parsed.validate(size),
        Err(e) => Err(e),
    };
    match ranges {
        Ok(ranges) => match ranges.as_slice() {
            [one] => Ok(Some((*one.start(), *one.end()))),
            _ => Ok(None),
        },
        Err(Refused::Invalid(_)) => Ok(None),
        Err(_) => Err(unsatisfiable()),
    }
}

/// What a batch read hands back: the reader, to go on from, and the bytes.
type Batch = std::io::Result<(Box<dyn Read + Send>, Vec<u8>)>;

/// `len` bytes of blob `digest` from `start`, read in batches on the blocking pool, one batch
/// ahead: while a batch is sent, the next is read (and, for a whole blob, hashed).
fn read_stream(
    blobs: Arc<dyn BlobStore>,
    digest: Digest,
    start: u64,
    len: u64,
    whole: bool,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    /// Read `want` bytes on the blocking pool, opening the blob first when there is no reader.
    fn read_batch(
        blobs: Arc<dyn BlobStore>,
        digest: Digest,
        reader: Option<Box<dyn Read + Send>>,
        offset: u64,
        want: u64,
        whole_len: Option<u64>,
    ) -> futures_util::future::LocalBoxFuture<'static, Batch> {
        let read = web::block(move || -> Batch {
            let mut reader = match reader {
                Some(r) => r,
                // A whole blob is checked against its digest as it is read
                // (`blobs::verify`): a damaged file fails before its last batch.
                None => match whole_len {
                    Some(len) => Box::new(crate::blobs::verify::Verified::new(
                        blobs.open(&digest, offset)?,
                        digest.clone(),
                        len,
                    )),
                    None => blobs.open(&digest, offset)?,
                },
            };
            let mut buf = vec![0u8; want as usize];
            reader.read_exact(&mut buf)?;
            Ok((reader, buf))
        });
        Box::pin(async move { read.await.map_err(std::io::Error::other).and_then(|r| r) })
    }
    struct State {
        blobs: Arc<dyn BlobStore>,
        digest: Digest,
        /// The batch being read, if any bytes are left to read.
        next: Option<futures_util::future::LocalBoxFuture<'static, Batch>>,
        /// Where the batch after it starts, and how many bytes are left after that.
        offset: u64,
        left: u64,
    }
    let first = len.min(READ_BATCH);
    let state = State {
        next: (len > 0).then(|| {
            read_batch(
                blobs.clone(),
                digest.clone(),
                None,
                start,
                first,
                whole.then_some(len),
            )
        }),
        blobs,
        digest,
        offset: start + first,
        left: len - first,
    };
    futures_util::stream::unfold(state, move |mut s| async move {
        let batch = s.next.take()?.await;
        match batch {
            Ok((reader, buf)) => {
                if s.left > 0 {
                    let want = s.left.min(READ_BATCH);
                    s.next = Some(read_batch(
                        s.blobs.clone(),
                        s.digest.clone(),
                        Some(reader),
                        s.offset,
                        want,
                        None,
                    ));
                    s.offset += want;
                    s.left -= want;
                }
                Some((Ok(Bytes::from(buf)), s))
            }
            Err(e) => {
                log::error!("reading blob {}: {e}", s.digest);
                Some((Err(e), s))
            }
        }
    })
}

pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    Asker(who): Asker,
    path: web::Path<BlobPath>,
) -> Result<HttpResponse> {
    let name = Name::parse(&path.name)?;
    let digest = Digest::parse(&path.digest)?;
    let repo = access::authorize(&state, &req, &who, &name, Action::Delete, false).await?;
    state
        .store
        .run(move |c| registry::delete_blob(c, &repo, &digest))
        .await?;
    Ok(HttpResponse::Accepted().finish())
}
