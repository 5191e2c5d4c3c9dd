//! What changed in the store, for the read cache: the `changes` table and what this process
//! has seen of it.
//!
//! Triggers (migration 2, `migrations/002-changes.sql`) keep one row per scope with the
//! sequence number of its latest change: a namespace (its repositories were created, changed,
//! deleted, starred or counted, or its account was created), or permissions (grants, teams,
//! members, visibility, an account's state or deletion). Triggers fire for every writer, so a
//! write by another process (`berth admin`, a SQL shell) leaves its rows too.
//!
//! [`Seen`] holds, per scope, the latest sequence number this process has read. An entry of
//! the read cache remembers how far [`Seen`] had read before the entry was read, and is stale
//! once a scope it depends on has a later change. When the table is read:
//! - after a commit of this process: SQLite's WAL hook counts every commit on every pooled
//!   connection once it is visible (`memo::commits`). A request that finds the count ahead of
//!   what has been read reads the new rows before it looks at the cache (one request reads,
//!   the others wait for it), so the request after a write never gets an entry it expired;
//! - at most every [`POLL`] otherwise, for other processes' writes: one request reads, the
//!   others go on with what has been seen.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::cache_key::Scope;
use crate::error::Result;

/// How often the table is read when this process has committed nothing: the delay after
/// which another process's write expires what it changed.
pub const POLL: Duration = Duration::from_millis(500);

/// Namespaces are tracked in this many buckets (by a hash of the name): memory stays fixed
/// however many namespaces exist, and two namespaces in one bucket only cost re-reads.
const BUCKETS: usize = 4096;

/// One row of the table as the cache applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The namespace that changed; `None` for permissions (or a namespace whose account is
    /// gone), which every entry depends on.
    pub namespace: Option<String>,
    pub seq: i64,
}

/// The changes after sequence number `after`, oldest first.
pub fn since(conn: &Connection, after: i64) -> Result<Vec<Change>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.name, c.seq FROM changes c LEFT JOIN accounts a ON a.id = c.scope AND c.scope > 0
          WHERE c.seq > ?1 ORDER BY c.seq",
    )?;
    let rows = stmt.query_map([after], |r| {
        Ok(Change {
            namespace: r.get(0)?,
            seq: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What an entry depends on, as [`Seen`] tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dep {
    Namespace(u16),
    AnyRepository,
    Search,
}

/// The latest change this process has read, per scope.
pub(super) struct Seen {
    namespaces: Box<[AtomicI64]>,
    any: AtomicI64,
    permissions: AtomicI64,
    /// The highest sequence number read.
    read: AtomicI64,
    /// This process's commits (`memo::commits`) that the rows read so far cover.
    commits: AtomicU64,
    /// When the table was last read, in ms since `started` (0: never).
    looked_ms: AtomicU64,
    started: Instant,
    /// Held by a request reading the table after a commit, so the others wait for it.
    pub turn: tokio::sync::Mutex<()>,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            namespaces: (0..BUCKETS).map(|_| AtomicI64::new(0)).collect(),
            any: AtomicI64::new(0),
            permissions: AtomicI64::new(0),
            read: AtomicI64::new(0),
            commits: AtomicU64::new(0),
            looked_ms: AtomicU64::new(0),
            started: Instant::now(),
            turn: tokio::sync::Mutex::new(()),
        }
    }
}

fn bucket(namespace: &str) -> u16 {
    let mut h = DefaultHasher::new();
    namespace.hash(&mut h);
    (h.finish() % BUCKETS as u64) as u16
}

impl Seen {
    pub fn dep(scope: &Scope) -> Dep {
        match scope {
            Scope::Namespace(ns) => Dep::Namespace(bucket(ns)),
            Scope::AnyRepository => Dep::AnyRepository,
            Scope::Search => Dep::Search,
        }
    }

    /// The highest sequence number read: an entry read from now on reflects every change up
    /// to it.
    pub fn read(&self) -> i64 {
        self.read.load(Ordering::Acquire)
    }

    /// The table has been read since `commits` of this process's commits.
    pub fn covers(&self, commits: u64) -> bool {
        self.commits.load(Ordering::Acquire) >= commits
    }

    fn now_ms(&self) -> u64 {
        (self.started.elapsed().as_millis() as u64).max(1)
    }

    /// Claim the periodic read when it is due: true for one caller per [`POLL`].
    pub fn claim_poll(&self) -> bool {
        let now = self.now_ms();
        let last = self.looked_ms.load(Ordering::Acquire);
        let due = last == 0 || now.saturating_sub(last) >= POLL.as_millis() as u64;
        due && self
            .looked_ms
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Record rows read by a look that began when this process had made `commits` commits.
    pub fn apply(&self, changes: &[Change], commits: u64) {
        for c in changes {
            match &c.namespace {
                Some(ns) => {
                    self.namespaces[usize::from(bucket(ns))].fetch_max(c.seq, Ordering::AcqRel)
                }
                None => self.permissions.fetch_max(c.seq, Ordering::AcqRel),
            };
            self.any.fetch_max(c.seq, Ordering::AcqRel);
            self.read.fetch_max(c.seq, Ordering::AcqRel);
        }
        self.commits.fetch_max(commits, Ordering::AcqRel);
        self.looked_ms.fetch_max(self.now_ms(), Ordering::AcqRel);
    }

    /// Whether an entry that depends on `dep`, read after `seen` had been read and `age` ago,
    /// still holds; `lag` is how late a search may be.
    pub fn holds(&self, dep: Dep, seen: i64, age: Duration, lag: Duration) -> bool {
        if self.permissions.load(Ordering::Acquire) > seen {
            return false;
        }
        match dep {
            Dep::Namespace(b) => self.namespaces[usize::from(b)].load(Ordering::Acquire) <= seen,
            Dep::AnyRepository => self.any.load(Ordering::Acquire) <= seen,
            Dep::Search => self.any.load(Ordering::Acquire) <= seen || age < lag,
        }
    }
}
