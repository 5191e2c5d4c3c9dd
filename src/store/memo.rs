//! A read cache that every commit invalidates.
//!
//! Listings are read far more often than anything changes, and even a fast query costs more
//! than the rest of a request. Results are kept under the number of commits seen before they
//! were read; any later commit makes them stale at once. The count is bumped by SQLite's WAL
//! hook, which runs after a commit is in the WAL and visible to new readers, for every commit
//! on every pooled connection, whatever code made it. SQLite's hook takes a plain function,
//! so the count is process-wide: a commit to one store also expires another store's entries,
//! which costs a re-read, never a stale answer. Commits by other processes (the `berth admin`
//! commands, none of which changes what is cached today) are not seen; entries also expire
//! after [`TTL`], which bounds that staleness.
//!
//! Concurrent misses of one key take turns ([`Memo::gate`]): the first reads, the others
//! find its result, so a burst of identical requests on a cold or expired entry costs one
//! read, not one per request. A waiter accepts any result read after it arrived, even if a
//! commit has happened since: under steady writes, insisting on the newest count would make
//! every waiter read again, one after another.

use std::any::Any;
use std::collections::HashMap;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::hooks::{CheckpointMode, Wal};

/// How long an entry may live even when no commit is seen.
pub const TTL: Duration = Duration::from_secs(30);

/// Entries above which the cache is emptied.
const LIMIT: usize = 10_000;

/// Longest key kept. Keys carry request input (search terms, folders, names, the `Host`
/// header), which may be as long as a request head (128 KiB); a count limit alone would let
/// 10,000 such keys and their answers (search echoes its term) hold gigabytes. Reads under
/// longer keys are simply not cached.
pub const KEY_MAX: usize = 1024;

/// Pages in the WAL above which a commit checkpoints (SQLite's own auto-checkpoint default,
/// which a WAL hook replaces).
const CHECKPOINT_PAGES: c_int = 1000;

static COMMITS: AtomicU64 = AtomicU64::new(0);

/// The WAL hook installed on every pooled connection.
pub(super) fn after_commit(wal: &Wal, pages: c_int) -> rusqlite::Result<()> {
    COMMITS.fetch_add(1, Ordering::SeqCst);
    if pages >= CHECKPOINT_PAGES {
        // Passive: never blocks; a busy checkpoint is simply retried on a later commit.
        let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
    }
    Ok(())
}

/// Commits seen so far.
pub fn commits() -> u64 {
    COMMITS.load(Ordering::SeqCst)
}

struct Entry {
    commits: u64,
    at: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

/// One turn at reading a key.
pub type Gate = Arc<tokio::sync::Mutex<()>>;

#[derive(Default)]
pub struct Memo {
    entries: Mutex<HashMap<String, Entry>>,
    gates: Mutex<HashMap<String, Gate>>,
}

impl Memo {
    /// The value kept under `key`, if it was read after at least `since` commits: for a
    /// request that arrived when `since` commits had happened, such a value is as fresh as
    /// one it would read itself (it reflects every write acknowledged before the request
    /// came). A newly arrived request passes the current count, so any later commit makes
    /// the entry stale for it.
    pub fn get<T: Any + Send + Sync>(&self, key: &str, since: u64) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = entries.get(key)?;
        if e.commits < since || e.at.elapsed() > TTL {
            return None;
        }
        e.value.clone().downcast::<T>().ok()
    }

    /// The gate of `key`: hold its lock while reading the key on a miss.
    pub fn gate(&self, key: &str) -> Gate {
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        gates.entry(key.to_owned()).or_default().clone()
    }

    /// Give a gate back; the last holder removes it.
    pub fn release(&self, key: &str, gate: Gate) {
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        // The map's reference and ours: nobody else is waiting.
        if Arc::strong_count(&gate) <= 2 {
            gates.remove(key);
        }
    }

    /// Keep `value`, read when `seen` commits had happened.
    pub fn put<T: Any + Send + Sync>(&self, key: String, seen: u64, value: Arc<T>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= LIMIT {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                commits: seen,
                at: Instant::now(),
                value,
            },
        );
    }
}
