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
                Ok(Some(_)) => Ok(size),
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
        read_stream(state.blobs.clone(), digest, start, len),
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

/// `len` bytes of blob `digest` from `start`, read in batches on the blocking pool.
fn read_stream(
    blobs: Arc<dyn BlobStore>,
    digest: Digest,
    start: u64,
    len: u64,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    struct State {
        blobs: Arc<dyn BlobStore>,
        digest: Digest,
        reader: Option<Box<dyn Read + Send>>,
        offset: u64,
        left: u64,
    }
    let state = State {
        blobs,
        digest,
        reader: None,
        offset: start,
        left: len,
    };
    futures_util::stream::unfold(state, |mut s| async move {
        if s.left == 0 {
            return None;
        }
        let want = s.left.min(READ_BATCH);
        let reader = s.reader.take();
        let (blobs, digest, offset) = (s.blobs.clone(), s.digest.clone(), s.offset);
        let read = web::block(move || -> std::io::Result<_> {
            let mut reader = match reader {
                Some(r) => r,
                None => blobs.open(&digest, offset)?,
            };
            let mut buf = vec![0u8; want as usize];
            reader.read_exact(&mut buf)?;
            Ok((reader, buf))
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r);
        match read {
            Ok((reader, buf)) => {
                s.reader = Some(reader);
                s.offset += want;
                s.left -= want;
                Some((Ok(Bytes::from(buf)), s))
            }
            Err(e) => {
                log::error!("reading blob {}: {e}", s.digest);
                s.left = 0;
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
