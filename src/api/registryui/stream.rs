//! `/repositories` without `take`: every matching repository (API-NOTES section 7), written
//! as it is read, so memory holds one batch whatever the count.
//!
//! The body is the bytes [`Page`] would be for the same rows: the head (`{"error":null,
//! "total":..,"count":..,"entries":[`, written by `Page` itself with no entries), the entries
//! comma-separated, then `]}`. Rows are read in keyset batches of [`BATCH`] on the blocking
//! pool, one batch each time the body is polled for more; actix polls only while the
//! connection takes what it was given, and drops the body when the client goes, so a slow
//! client holds one batch and a gone one stops the reading.
//!
//! Each batch is its own read: a repository created or deleted while a long listing streams
//! may be in it or not (as with paging through it), and the listing never holds more entries
//! than its `count` (rows deleted meanwhile may leave fewer).

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use futures_util::stream;

use super::dto::{Page, RepositoryEntry};
use crate::core::catalog::{self, Query};
use crate::core::policy::Caller;
use crate::error::{Error, Result};
use crate::AppState;

/// Repositories read and written per batch: with descriptions at their limits a batch is a
/// few megabytes, the most a streamed listing holds at once.
pub const BATCH: i64 = 100;

/// Batches read by streamed listings since start (tests watch a stream stop; diagnostics).
static BATCHES_READ: AtomicU64 = AtomicU64::new(0);

/// How many batches streamed listings have read since the process started.
pub fn batches_read() -> u64 {
    BATCHES_READ.load(Ordering::Relaxed)
}

/// What a listing reads: its folder and keyset start, and the offset of its first row.
pub struct Listing {
    pub caller: Option<Caller>,
    pub folder: Option<String>,
    pub start_after: Option<String>,
    pub skip: i64,
    /// Matching repositories before `skip`, counted when the listing started.
    pub total: i64,
}

/// Where the reading stands between two polls.
struct Cursor {
    state: web::Data<AppState>,
    caller: Option<Caller>,
    folder: Option<String>,
    /// The last path written (or the listing's own `startAfter` before the first batch).
    after: Option<String>,
    /// Rows to pass over before the first entry (the listing's `skip`; 0 after a batch).
    skip: i64,
    /// Entries still to write: never more than the announced `count`.
    left: i64,
    /// Whether an entry was written (the next one needs a comma).
    written: bool,
}

enum Step {
    Head(Cursor),
    Batch(Cursor),
    Tail,
    Done,
}

/// The `200` answer: the head, every entry, the tail; `application/json`, chunked.
pub fn respond(state: web::Data<AppState>, listing: Listing) -> Result<HttpResponse> {
    let count = (listing.total - listing.skip).max(0);
    let cursor = Cursor {
        state,
        caller: listing.caller,
        folder: listing.folder,
        after: listing.start_after,
        skip: listing.skip,
        left: count,
        written: false,
    };
    let head = head(listing.total, count)?;
    let body = stream::unfold(Step::Head(cursor), move |step| {
        let head = head.clone();
        async move {
            match step {
                Step::Head(cursor) => Some((Ok(head), next(cursor))),
                Step::Batch(cursor) => match read(cursor).await {
                    Ok((bytes, cursor)) => Some((Ok(bytes), cursor.map_or(Step::Tail, next))),
                    Err(e) => {
                        // The status is sent: the client sees a cut body, the log the cause.
                        log::error!("RegistryUI listing stopped: {e}");
                        Some((Err(e), Step::Done))
                    }
                },
                Step::Tail => Some((Ok(web::Bytes::from_static(b"]}")), Step::Done)),
                Step::Done => None,
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .streaming(body))
}

fn next(cursor: Cursor) -> Step {
    if cursor.left > 0 {
        Step::Batch(cursor)
    } else {
        Step::Tail
    }
}

/// `{"error":null,"total":T,"count":C,"entries":[`, as `Page` writes it.
pub fn head(total: i64, count: i64) -> Result<web::Bytes> {
    let mut page = Page::<RepositoryEntry>::new(total, Vec::new());
    page.count = usize::try_from(count).unwrap_or(0);
    let mut bytes = serde_json::to_vec(&page).map_err(Error::internal)?;
    if !bytes.ends_with(b"]}") {
        return Err(Error::internal("a page does not end with its entries"));
    }
    bytes.truncate(bytes.len() - 2);
    Ok(web::Bytes::from(bytes))
}

/// Read and write the next batch: its bytes (each entry preceded by a comma but the very
/// first), and the cursor after it, or `None` when nothing is left to read.
async fn read(mut cursor: Cursor) -> Result<(web::Bytes, Option<Cursor>)> {
    let take = cursor.left.min(BATCH);
    let caller = cursor.caller;
    let folder = cursor.folder.clone();
    let after = cursor.after.clone();
    let (skip, mut written) = (cursor.skip, cursor.written);
    let (bytes, last, n) = cursor
        .state
        .store
        .run(move |c| {
            let q = Query {
                folder: folder.as_deref(),
                start_after: after.as_deref(),
                skip,
                take,
            };
            let rows = catalog::batch(c, caller.as_ref(), &q)?;
            let n = rows.len() as i64;
            let last = rows
                .last()
                .map(|l| catalog::display_path(&l.repo.full_path).to_owned());
            let mut out = Vec::new();
            for listed in rows {
                if written {
                    out.push(b',');
                }
                serde_json::to_writer(&mut out, &RepositoryEntry::from(listed))
                    .map_err(Error::internal)?;
                written = true;
            }
            Ok((web::Bytes::from(out), last, n))
        })
        .await?;
    BATCHES_READ.fetch_add(1, Ordering::Relaxed);
    let Some(last) = last else {
        // Rows went while the listing streamed: it ends here.
        return Ok((bytes, None));
    };
    cursor.after = Some(last);
    cursor.skip = 0;
    cursor.left -= n;
    cursor.written = true;
    // A short batch is the end of the range.
    Ok((bytes, (n == take).then_some(cursor)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_is_the_page_without_its_entries_and_tail() {
        let head_bytes = head(20, 17).unwrap();
        assert_eq!(
            &head_bytes[..],
            br#"{"error":null,"total":20,"count":17,"entries":["#
        );
        // Head and tail of an empty listing are exactly the page `Page` writes.
        let whole = serde_json::to_vec(&Page::<RepositoryEntry>::new(3, Vec::new())).unwrap();
        let mut streamed = head(3, 0).unwrap().to_vec();
        streamed.extend_from_slice(b"]}");
        assert_eq!(streamed, whole);
    }
}
