//! The read cache: answers of listings and searches, each expired by the writes that can
//! change it.
//!
//! Listings are read far more often than anything changes, and even a fast query costs more
//! than the rest of a request. Each entry is kept under a [`Key`] that names everything the
//! answer depends on (view, viewer, arguments) and its scope: one namespace, any repository,
//! or a search. The store's `changes` table, kept by triggers for every writer, says which
//! scopes changed; [`super::changes`] says when it is read (after every commit of this
//! process, before the next cached read, and every `changes::POLL` for other processes). An
//! entry is stale once a scope it depends on, or any permission, changed after it was read:
//! a write to one namespace leaves the other namespaces' listings alone. Searches and the
//! explore page may show a repository change up to [`LAG`] late (they read every namespace,
//! so under steady writes they would otherwise never be kept); a permission change is never
//! late.
//!
//! Concurrent misses of one key take turns: the first reads, the others find its result, so
//! a burst of identical requests on a cold or expired entry costs one read, not one per
//! request. A waiter accepts any result read after it arrived, even if a change has been seen
//! since: under steady writes, insisting on the newest would make every waiter read again,
//! one after another.
//!
//! The cache is bounded by bytes, not entries ([`Memo::new`], `--read-cache-bytes`; 0 turns it
//! off): each entry weighs its key plus an estimate of its value ([`Weigh`]) plus a fixed
//! overhead, and the least useful entries go when the sum would pass the bound. Entries also
//! expire after [`TTL`] and are then dropped, not just ignored. Keys must never hold what a
//! client can vary without bound beyond [`KEY_MAX`] (request headers, say): the byte bound
//! caps the memory, but distinct keys for one answer would still push useful entries out.
//!
//! It is a `moka` cache: its weigher and time to live give the bound and the expiry, and
//! its per-key compute (`and_try_compute_with`, calls on one key run one after another)
//! gives the turns.

use std::any::Any;
use std::future::Future;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};
use rusqlite::hooks::{CheckpointMode, Wal};

use super::cache_key::Key;
use super::changes::{Dep, Seen};
use crate::error::{Error, Result};

/// How long an entry may live even when nothing it depends on changed: a backstop, and what
/// lets cold entries go before the byte bound needs the room.
pub const TTL: Duration = Duration::from_secs(30);

/// How late a search or the explore page may show a change to a repository or namespace.
pub const LAG: Duration = Duration::from_millis(500);

/// The default bound of the cache, in bytes (keys and values as [`Weigh`] estimates them).
pub const DEFAULT_BYTES: u64 = 64 << 20;

/// Bytes counted for an entry beyond its key and value: the entry itself and the cache's
/// bookkeeping for it.
const ENTRY_OVERHEAD: usize = 160;

/// Longest key kept. Keys carry request input (search terms, folders, names), which may be
/// as long as a request head (128 KiB); reads under longer keys are simply not cached.
pub const KEY_MAX: usize = 1024;

/// Pages in the WAL above which a commit checkpoints (the WAL hook replaces SQLite's own
/// auto-checkpoint). A quarter of SQLite's default: the other writers wait while a checkpoint
/// copies pages back, and 1 MiB at a time kept that wait short under steady writes (issue
/// 17's mixed load: p99 about 80-110 ms, against 140-170 ms with 1,000 pages).
const CHECKPOINT_PAGES: c_int = 256;

static COMMITS: AtomicU64 = AtomicU64::new(0);

/// The WAL hook installed on every pooled connection. The checkpoint runs in the committing
/// thread, inside `store::write`'s turn: with the other writers waiting, it completes and the
/// WAL starts over. (Left for after the turn, it raced the next writers, rarely completed,
/// and the WAL grew by megabytes a second under steady writes.)
pub(super) fn after_commit(wal: &Wal, pages: c_int) -> rusqlite::Result<()> {
    COMMITS.fetch_add(1, Ordering::SeqCst);
    if pages >= CHECKPOINT_PAGES {
        // Passive: never blocks; a busy checkpoint is simply retried on a later commit.
        let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
    }
    Ok(())
}

/// Commits made by this process so far (on any store).
pub fn commits() -> u64 {
    COMMITS.load(Ordering::SeqCst)
}

/// Roughly how many bytes a cached value holds (its own size and what it owns on the heap).
/// An estimate that errs high is fine; one that ignores what a client can make large is not.
pub trait Weigh {
    fn weigh(&self) -> usize;
}

impl Weigh for actix_web::web::Bytes {
    fn weigh(&self) -> usize {
        size_of::<Self>() + self.len()
    }
}

impl Weigh for String {
    fn weigh(&self) -> usize {
        size_of::<Self>() + self.capacity()
    }
}

impl<T: Weigh> Weigh for Vec<T> {
    fn weigh(&self) -> usize {
        size_of::<Self>()
            + (self.capacity() - self.len()) * size_of::<T>()
            + self.iter().map(Weigh::weigh).sum::<usize>()
    }
}

impl<A: Weigh, B: Weigh> Weigh for (A, B) {
    fn weigh(&self) -> usize {
        self.0.weigh() + self.1.weigh()
    }
}

macro_rules! weigh_plain {
    ($($t:ty),*) => {$(
        impl Weigh for $t {
            fn weigh(&self) -> usize {
                std::mem::size_of::<Self>()
            }
        }
    )*};
}
weigh_plain!(u8, i32, i64, u64, bool);

impl Weigh for crate::core::model::Repository {
    fn weigh(&self) -> usize {
        size_of::<Self>()
            + [
                &self.namespace,
                &self.name,
                &self.full_path,
                &self.short_description,
                &self.long_description,
                &self.long_description_html,
            ]
            .iter()
            .map(|s| s.capacity())
            .sum::<usize>()
    }
}

impl Weigh for crate::core::registry::Pulled {
    fn weigh(&self) -> usize {
        let m = &self.manifest;
        size_of::<Self>() + m.digest.capacity() + m.media_type.capacity() + m.content.capacity()
    }
}

impl Weigh for crate::core::search::SearchPage {
    fn weigh(&self) -> usize {
        size_of::<Self>() + self.results.weigh()
    }
}

#[derive(Clone)]
struct Entry {
    /// The highest change sequence number read before the value was read: the value reflects
    /// every change up to it.
    seen: i64,
    /// When the value was read.
    read_at: Instant,
    dep: Dep,
    /// Key and value bytes and the overhead, as the bound counts them.
    weight: u32,
    value: Arc<dyn Any + Send + Sync>,
}

/// The cache: keys to values with what they depend on, bounded by bytes, expiring after
/// [`TTL`].
pub struct Memo {
    entries: Cache<String, Entry>,
    seen: Seen,
    off: bool,
}

impl Default for Memo {
    fn default() -> Self {
        Memo::new(DEFAULT_BYTES)
    }
}

impl Memo {
    /// A cache that keeps at most `max_bytes` of keys and values (0: no cache, every read
    /// goes to the store).
    pub fn new(max_bytes: u64) -> Memo {
        Memo::with_ttl(max_bytes, TTL)
    }

    fn with_ttl(max_bytes: u64, ttl: Duration) -> Memo {
        Memo {
            entries: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_key: &String, entry: &Entry| entry.weight)
                .time_to_live(ttl)
                .build(),
            seen: Seen::default(),
            off: max_bytes == 0,
        }
    }

    /// The cache keeps nothing (`--read-cache-bytes 0`).
    pub fn is_off(&self) -> bool {
        self.off
    }

    /// What has been read of the store's changes.
    pub(super) fn seen(&self) -> &Seen {
        &self.seen
    }

    /// The value, if it is a `T` that a request which arrived when changes up to `arrived`
    /// had been read may be given: one read after it arrived (it reflects every write
    /// acknowledged before the request came), or one that nothing it depends on has changed
    /// since (searches: not for longer than [`LAG`]).
    fn fresh<T: Any + Send + Sync>(&self, entry: &Entry, arrived: i64) -> Option<Arc<T>> {
        let holds = entry.seen >= arrived
            || self
                .seen
                .holds(entry.dep, entry.seen, entry.read_at.elapsed(), LAG);
        if !holds {
            return None;
        }
        entry.value.clone().downcast::<T>().ok()
    }

    /// The value under `key` if one that may be given to a request that arrived when changes
    /// up to `arrived` had been read is there (see [`Memo::fresh`]), else `read`'s result,
    /// kept under `key`. Calls on one key take turns, so a burst of misses awaits one read.
    /// Errors are returned, never kept.
    pub async fn get_or_read<T, R>(&self, key: Key, arrived: i64, read: R) -> Result<Arc<T>>
    where
        T: Weigh + Send + Sync + 'static,
        R: Future<Output = Result<T>>,
    {
        let (key, scope) = key.into_parts();
        if let Some(hit) = self
            .entries
            .get(&key)
            .await
            .and_then(|e| self.fresh(&e, arrived))
        {
            return Ok(hit);
        }
        let key_bytes = key.len();
        let dep = Seen::dep(&scope);
        let done = self
            .entries
            .entry(key)
            .and_try_compute_with(|current| async move {
                // Whoever had the turn before may have read it meanwhile, after we came.
                if current.is_some_and(|e| self.fresh::<T>(e.value(), arrived).is_some()) {
                    return Ok(Op::Nop);
                }
                // Taken before reading: a change seen during the read leaves the entry stale.
                let seen = self.seen.read();
                let read_at = Instant::now();
                let value = read.await?;
                let weight = key_bytes
                    .saturating_add(value.weigh())
                    .saturating_add(ENTRY_OVERHEAD);
                Ok::<_, Error>(Op::Put(Entry {
                    seen,
                    read_at,
                    dep,
                    weight: u32::try_from(weight).unwrap_or(u32::MAX),
                    value: Arc::new(value),
                }))
            })
            .await?;
        match done {
            CompResult::Inserted(e) | CompResult::ReplacedWith(e) | CompResult::Unchanged(e) => e
                .into_value()
                .value
                .downcast::<T>()
                .map_err(|_| Error::internal("read cache: a key holds a value of another type")),
            CompResult::StillNone(_) | CompResult::Removed(_) => {
                Err(Error::internal("read cache: the entry vanished"))
            }
        }
    }

    /// Entries kept now.
    pub fn entry_count(&self) -> u64 {
        self.entries.entry_count()
    }

    /// Bytes kept now, as the bound counts them.
    pub fn weighted_size(&self) -> u64 {
        self.entries.weighted_size()
    }

    /// Apply pending evictions and expiries, so the two counts above are exact (the cache
    /// does this on its own as it is used).
    pub async fn settle(&self) {
        self.entries.run_pending_tasks().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::cache_key::View;
    use actix_web::web::Bytes;

    fn key(text: &str) -> Key {
        Key::search(View::IndexSearch, None).arg(text)
    }

    fn block<T>(f: impl Future<Output = T>) -> T {
        actix_web::rt::System::new().block_on(f)
    }

    /// Two hundred distinct keys with 1 MiB values into a 16 MiB cache: what it holds stays
    /// within the bound, counting keys and values, and the newest value is served.
    #[test]
    fn the_byte_bound_holds_with_large_values() {
        let bound = 16 << 20;
        let memo = Memo::new(bound);
        block(async {
            for i in 0..200 {
                let key = key(&format!("big-{i}-{}", "k".repeat(900)));
                let value = memo
                    .get_or_read(key, 0, async { Ok(Bytes::from(vec![i as u8; 1 << 20])) })
                    .await
                    .unwrap();
                assert_eq!(value.len(), 1 << 20);
                memo.settle().await;
                assert!(
                    memo.weighted_size() <= bound,
                    "{} bytes held after {i} inserts",
                    memo.weighted_size()
                );
            }
            assert!(memo.entry_count() <= 16, "{} entries", memo.entry_count());
            assert!(memo.entry_count() > 0, "nothing kept at all");
        });
    }

    /// An entry counts its key, its value and the overhead.
    #[test]
    fn an_entry_weighs_its_key_and_value() {
        let memo = Memo::new(DEFAULT_BYTES);
        block(async {
            let key = key(&"k".repeat(1000));
            memo.get_or_read(key, 0, async { Ok(Bytes::from(vec![0; 5000])) })
                .await
                .unwrap();
            memo.settle().await;
        });
        assert_eq!(memo.entry_count(), 1);
        assert!(memo.weighted_size() >= 6000, "{}", memo.weighted_size());
        assert!(memo.weighted_size() <= 6000 + 2 * ENTRY_OVERHEAD as u64);
    }

    /// Expired entries are dropped (their memory goes), not just ignored, and a read after
    /// expiry reads again.
    #[test]
    fn expired_entries_go() {
        let memo = Memo::with_ttl(DEFAULT_BYTES, Duration::from_millis(200));
        block(async {
            for i in 0..50 {
                memo.get_or_read(key(&format!("e-{i}")), 0, async {
                    Ok(Bytes::from(vec![1; 10_000]))
                })
                .await
                .unwrap();
            }
            memo.settle().await;
            assert_eq!(memo.entry_count(), 50);
            std::thread::sleep(Duration::from_millis(400));
            memo.settle().await;
            assert_eq!(memo.entry_count(), 0);
            assert_eq!(memo.weighted_size(), 0);
            let again = memo
                .get_or_read(key("e-0"), 0, async { Ok(7_u8) })
                .await
                .unwrap();
            assert_eq!(*again, 7);
        });
    }

    /// A failed read is not kept: the next call reads again.
    #[test]
    fn errors_are_not_kept() {
        let memo = Memo::new(DEFAULT_BYTES);
        block(async {
            let failed = memo
                .get_or_read::<u8, _>(key("x"), 0, async { Err(Error::internal("no")) })
                .await;
            assert!(failed.is_err());
            let ok = memo
                .get_or_read(key("x"), 0, async { Ok(3_u8) })
                .await
                .unwrap();
            assert_eq!(*ok, 3);
        });
    }
}
