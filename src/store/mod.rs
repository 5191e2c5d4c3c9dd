//! The store: the only code that knows SQL. A pooled SQLite file with the same pragmas on
//! every connection, an ordered embedded migration runner, and one file per aggregate.
//!
//! A `LIMIT` takes its parameter as `+:limit`: SQLite (3.53) prepares a statement whose
//! `LIMIT` is a plain parameter again, parse and plan, every time it runs, so that it may plan
//! for the value; the plans here are fixed by their indexes, and a listing's SQL is long.

pub mod accounts;
pub mod activity;
pub mod backup;
pub mod cache_key;
pub mod catalog;
pub mod changes;
pub mod external;
pub mod gc;
pub mod grants;
pub mod images;
pub mod keys;
pub mod memo;
mod migrations;
pub mod ordered;
pub mod pulls;
pub mod pushed;
pub mod registry;
pub mod repos;
pub mod retention;
pub mod search;
#[cfg(test)]
mod search_oracle;
pub mod sessions;
pub mod settings;
pub mod stars;
pub mod tags;
pub mod teams;
pub mod usage;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

pub type Conn = PooledConnection<SqliteConnectionManager>;

use migrations::{migrate, MIGRATIONS};

/// File name of the database inside the data folder.
pub const DB_FILE: &str = "berth.db";

/// Prepared statements kept per pooled connection.
const STATEMENT_CACHE: usize = 256;

const PRAGMAS: &str = "PRAGMA foreign_keys = ON;
     PRAGMA busy_timeout = 5000;
     PRAGMA synchronous = FULL;";

/// Connections open, idle and allowed in the store's pool.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

#[derive(Clone)]
pub struct Store {
    pool: Pool<SqliteConnectionManager>,
    path: PathBuf,
    memo: std::sync::Arc<memo::Memo>,
    pulls: std::sync::Arc<pulls::Pulls>,
}

impl Store {
    /// Open (creating owner-only) the data folder and its database, and migrate it.
    pub fn open(data_dir: &Path) -> Result<Store> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        create_private_file(&path)?;
        // WAL is a property of the file: set it once, before the pool opens connections.
        let conn = Connection::open(&path)?;
        conn.execute_batch("PRAGMA journal_mode = WAL;")?;
        drop(conn);
        let manager = SqliteConnectionManager::file(&path).with_init(|c| {
            c.wal_hook(Some(memo::after_commit));
            // Room for every statement the store prepares (about 120, some built per order
            // or range shape): rusqlite keeps 16 by default, so busy listings parsed and
            // planned their SQL again on most requests.
            c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            c.execute_batch(PRAGMAS)
        });
        let pool = Pool::builder()
            .max_size(16)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        let store = Store {
            pool,
            path,
            memo: Default::default(),
            pulls: std::sync::Arc::new(pulls::Pulls::new(Duration::ZERO)),
        };
        let mut conn = store.conn()?;
        migrate(&mut conn)?;
        Ok(store)
    }

    /// How the connection pool is used right now (for metrics).
    pub fn pool_state(&self) -> PoolState {
        let s = self.pool.state();
        PoolState {
            connections: s.connections,
            idle: s.idle_connections,
            max: self.pool.max_size(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A pooled connection, for synchronous callers (the CLI, tests, the bench seeder).
    pub fn conn(&self) -> Result<Conn> {
        Ok(self.pool.get()?)
    }

    /// Run `f` with a connection on the blocking thread pool, off the async executor.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}

impl Store {
    /// This store with a read cache of at most `max_bytes` (see [`memo`]); a fresh store's
    /// holds [`memo::DEFAULT_BYTES`].
    pub fn with_read_cache_bytes(mut self, max_bytes: u64) -> Store {
        self.memo = std::sync::Arc::new(memo::Memo::new(max_bytes));
        self
    }

    /// The read cache, for its counts (metrics, tests).
    pub fn read_cache(&self) -> &memo::Memo {
        &self.memo
    }

    /// This store with pull counts gathered in memory and written every `every` (see
    /// [`pulls`]; zero, a fresh store's: each pull is written as it happens). Whoever sets an
    /// interval runs [`Store::flush_pulls`] that often, and once more at the end.
    pub fn with_pull_flush(mut self, every: Duration) -> Store {
        self.pulls = std::sync::Arc::new(pulls::Pulls::new(every));
        self
    }

    /// Where pulls are counted.
    pub fn pulls(&self) -> std::sync::Arc<pulls::Pulls> {
        self.pulls.clone()
    }

    /// Write the pull counts gathered so far (one transaction); returns how many
    /// repositories and tags were written.
    pub fn flush_pulls(&self) -> Result<usize> {
        let mut conn = self.conn()?;
        self.pulls.flush(&mut conn)
    }

    /// `f`'s result, read through the read cache (see [`memo`]): `key` names everything the
    /// result depends on ([`cache_key`]: the view, the caller, the arguments, and the scope
    /// whose writes expire it), and nothing a client can vary without changing the result (no
    /// request headers). Errors are not kept, nor results under keys longer than
    /// [`memo::KEY_MAX`]; with the cache off, every call reads.
    pub async fn cached<T, F>(&self, key: cache_key::Key, f: F) -> Result<std::sync::Arc<T>>
    where
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
        T: memo::Weigh + Send + Sync + 'static,
    {
        if self.memo.is_off() || key.text().len() > memo::KEY_MAX {
            return self.run(f).await.map(std::sync::Arc::new);
        }
        let arrived = self.look_at_changes().await?;
        self.memo.get_or_read(key, arrived, self.run(f)).await
    }

    /// Bring the read cache up to date with the store's changes for a request arriving now,
    /// and return how far it has read (see [`changes`]). After a commit of this process, the
    /// first request reads the new changes and the others wait for it; otherwise one request
    /// per [`changes::POLL`] reads them (other processes' writes) while the others go on.
    async fn look_at_changes(&self) -> Result<i64> {
        let seen = self.memo.seen();
        let commits = memo::commits();
        if seen.covers(commits) {
            if seen.claim_poll() {
                self.read_changes(commits).await?;
            }
            return Ok(seen.read());
        }
        let _turn = seen.turn.lock().await;
        if !seen.covers(commits) {
            // Counted before reading: every commit counted by now is in what the read sees.
            self.read_changes(memo::commits()).await?;
        }
        Ok(seen.read())
    }

    async fn read_changes(&self, commits: u64) -> Result<()> {
        let after = self.memo.seen().read();
        let found = self.run(move |c| changes::since(c, after)).await?;
        self.memo.seen().apply(&found, commits);
        Ok(())
    }
}

/// Writers of this process take turns here before they ask SQLite for its write lock. Waiting
/// on a mutex, the next writer starts the moment the last one commits; waiting in SQLite's
/// busy handler, it sleeps and retries (1, 2, 5 ... 100 ms), and under steady writes those
/// naps turned a few milliseconds of queueing into a second. Writes to another store wait
/// their turn too, which costs nothing a server notices (it has one store).
static WRITE_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Run `f` inside one `BEGIN IMMEDIATE` transaction: all of it commits, or none of it. A
/// function whose statements must commit together takes the `&Transaction` it is given, so
/// its signature says it cannot be called outside one.
pub fn write<T>(conn: &mut Connection, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    let _turn = WRITE_TURN.lock().unwrap_or_else(|p| p.into_inner());
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// The schema version the store is at (the number of migrations applied).
pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

pub fn create_private_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::internal(format_args!("creating {}: {e}", dir.display())))?;
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::internal(format_args!("securing {}: {e}", dir.display())))
}

/// Create `path` with mode 0600 if missing (SQLite gives its -wal and -shm files the same mode).
pub fn create_private_file(path: &Path) -> Result<()> {
    let io = |e: std::io::Error| Error::internal(format_args!("creating {}: {e}", path.display()));
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io)
}

/// Write `bytes` to a new owner-only file at `path`, durably, refusing to overwrite. The file
/// appears whole or not at all: it is written and synced as `path.tmp` (replacing one a crash
/// left) and then linked into place, so a crash never leaves a short `path` behind.
pub fn write_new_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| Error::internal(format_args!("writing {}: {e}", path.display()));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    let mut f = fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    // Unlike a rename, a link fails when `path` exists.
    let linked = fs::hard_link(&tmp, path).map_err(io);
    let _ = fs::remove_file(&tmp);
    linked
}

pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation
            && matches!(f.extended_code, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY))
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
pub(crate) fn memory() -> Connection {
    let mut conn = Connection::open_in_memory().expect("in-memory sqlite");
    conn.execute_batch(PRAGMAS).expect("pragmas");
    migrate(&mut conn).expect("migrate");
    conn
}

/// Run `f` in a transaction on a shared connection and commit it (unit tests, whose
/// in-memory connections are not `mut`).
#[cfg(test)]
pub(crate) fn in_tx<T>(conn: &Connection, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
    let tx = conn.unchecked_transaction()?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_applied_once_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let conn = store.conn().unwrap();
        assert_eq!(schema_version(&conn).unwrap(), MIGRATIONS.len() as i64);
        drop(conn);
        drop(store);
        // A second open finds nothing to do and keeps the data.
        let store = Store::open(dir.path()).unwrap();
        let conn = store.conn().unwrap();
        assert_eq!(schema_version(&conn).unwrap(), MIGRATIONS.len() as i64);
    }

    #[test]
    fn every_connection_has_foreign_keys_wal_and_busy_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let conn = store.conn().unwrap();
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let busy: i64 = conn
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .unwrap();
        assert_eq!((fk, mode.as_str(), busy), (1, "wal", 5000));
    }

    use cache_key::{Key, View};

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        actix_web::rt::System::new().block_on(f)
    }

    /// How many repositories `ns` holds, read through the cache under `key`.
    fn count_in(store: &Store, key: &Key, ns: &'static str) -> std::sync::Arc<i64> {
        let (store, key) = (store.clone(), key.clone());
        block(async move {
            store
                .cached(key, move |c| {
                    Ok(c.query_row(
                        "SELECT count(*) FROM repositories r JOIN accounts a ON a.id = r.namespace_id
                          WHERE a.name = ?1",
                        [ns],
                        |r| r.get::<_, i64>(0),
                    )?)
                })
                .await
                .unwrap()
        })
    }

    fn add_repo(conn: &Connection, ns: &str, name: &str) {
        conn.execute(
            "INSERT INTO repositories (namespace_id, name, full_path, created_at)
             SELECT id, ?2, ?1 || '/' || ?2, 0 FROM accounts WHERE name = ?1",
            [ns, name],
        )
        .unwrap();
    }

    fn two_namespaces() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .conn()
            .unwrap()
            .execute_batch(
                "INSERT INTO accounts (name, kind, created_at) VALUES ('alice', 'organization', 0);
                 INSERT INTO accounts (name, kind, created_at) VALUES ('bob', 'organization', 0);",
            )
            .unwrap();
        (dir, store)
    }

    #[test]
    fn reads_under_overlong_keys_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let q = "q".repeat(memo::KEY_MAX);
        let key = Key::search(View::IndexSearch, None).arg(q.as_str());
        let (first, again) = block(async move {
            let first = store.cached(key.clone(), |_| Ok(1)).await.unwrap();
            let again = store.cached(key, |_| Ok(1)).await.unwrap();
            (first, again)
        });
        assert!(!std::sync::Arc::ptr_eq(&first, &again));
    }

    /// A write on a plain pooled connection (an autocommit statement, outside store::write)
    /// expires the listings of its namespace at once and leaves another namespace's alone;
    /// a search may lag it by at most `memo::LAG`; a permission change expires everything.
    #[test]
    fn a_write_expires_what_it_can_change_and_nothing_else() {
        let (_dir, store) = two_namespaces();
        let alice = Key::namespace(View::DtrRepositories, "alice", None);
        let bob = Key::namespace(View::DtrRepositories, "bob", None);
        let search = Key::search(View::IndexSearch, None);
        let (a0, b0, s0) = (
            count_in(&store, &alice, "alice"),
            count_in(&store, &bob, "bob"),
            count_in(&store, &search, "alice"),
        );
        assert!(std::sync::Arc::ptr_eq(&b0, &count_in(&store, &bob, "bob")));
        add_repo(&store.conn().unwrap(), "alice", "web");
        let started = std::time::Instant::now();
        assert_eq!((*a0, *count_in(&store, &alice, "alice")), (0, 1));
        assert!(
            std::sync::Arc::ptr_eq(&b0, &count_in(&store, &bob, "bob")),
            "another namespace's listing is kept"
        );
        let s1 = count_in(&store, &search, "alice");
        if started.elapsed() < memo::LAG {
            assert!(std::sync::Arc::ptr_eq(&s0, &s1), "a search may lag");
        }
        std::thread::sleep(memo::LAG);
        assert_eq!(
            *count_in(&store, &search, "alice"),
            1,
            "but not longer than LAG"
        );
        // A permission: every entry goes, at once, searches included.
        let b1 = count_in(&store, &bob, "bob");
        let s2 = count_in(&store, &search, "alice");
        store
            .conn()
            .unwrap()
            .execute(
                "INSERT INTO teams (org_id, name, created_at) SELECT id, 'owners', 0 FROM accounts WHERE name = 'bob'",
                [],
            )
            .unwrap();
        assert!(!std::sync::Arc::ptr_eq(&b1, &count_in(&store, &bob, "bob")));
        assert!(!std::sync::Arc::ptr_eq(
            &s2,
            &count_in(&store, &search, "alice")
        ));
    }

    /// A write by another process (a connection without this process's commit hook) is seen
    /// within `changes::POLL`.
    #[test]
    fn another_process_write_is_seen_within_the_poll() {
        let (dir, store) = two_namespaces();
        let alice = Key::namespace(View::DtrRepositories, "alice", None);
        assert_eq!(*count_in(&store, &alice, "alice"), 0);
        let foreign = Connection::open(dir.path().join(DB_FILE)).unwrap();
        add_repo(&foreign, "alice", "web");
        std::thread::sleep(changes::POLL + Duration::from_millis(50));
        assert_eq!(*count_in(&store, &alice, "alice"), 1);
    }

    #[test]
    fn concurrent_misses_of_one_key_read_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // Other tests' commits make this store look at its changes, but none of them is
        // this store's: every burst must read once.
        for round in 0..3 {
            let reads = std::sync::Arc::new(AtomicUsize::new(0));
            let key = Key::any_repository(View::RegistryUiRepositories, None).arg(round);
            block(async {
                let burst = (0..8).map(|_| {
                    let (store, reads, key) = (store.clone(), reads.clone(), key.clone());
                    async move {
                        store
                            .cached(key, move |_| {
                                reads.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(20));
                                Ok(1_u8)
                            })
                            .await
                            .unwrap()
                    }
                });
                futures_util::future::join_all(burst).await;
            });
            assert_eq!(
                reads.load(Ordering::SeqCst),
                1,
                "eight concurrent misses, one read"
            );
        }
    }

    #[test]
    fn waiters_take_a_read_made_after_they_came_even_if_a_change_followed() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for round in 0..3 {
            let reads = std::sync::Arc::new(AtomicUsize::new(0));
            let key = Key::any_repository(View::RegistryUiRepositories, None).arg(round);
            block(async {
                let burst = (0..8).map(|i| {
                    let (store, reads, key) = (store.clone(), reads.clone(), key.clone());
                    async move {
                        store
                            .cached(key, move |c| {
                                let n = reads.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(20));
                                // A write this entry depends on lands while the burst waits.
                                c.execute(
                                    "INSERT INTO accounts (name, kind, created_at) VALUES (?1, 'organization', 0)",
                                    [format!("busy{round}x{i}x{n}")],
                                )?;
                                Ok(1_u8)
                            })
                            .await
                            .unwrap()
                    }
                });
                futures_util::future::join_all(burst).await;
            });
            assert_eq!(
                reads.load(Ordering::SeqCst),
                1,
                "the waiters took the first read, made after they came"
            );
            // A request that comes after that write reads again.
            let again = block({
                let (store, reads, key) = (store.clone(), reads.clone(), key.clone());
                async move {
                    store
                        .cached(key, move |_| {
                            reads.fetch_add(1, Ordering::SeqCst);
                            Ok(2_u8)
                        })
                        .await
                        .unwrap()
                }
            });
            assert_eq!(*again, 2);
        }
    }

    /// Why listings write `LIMIT +:limit`: a plain parameter makes SQLite prepare the
    /// statement again on every run; the unary plus keeps the prepared one.
    #[test]
    fn a_limit_written_with_a_plus_is_not_prepared_again() {
        use rusqlite::StatementStatus::RePrepare;
        let conn = memory();
        let reprepared = |sql: &str| {
            let mut stmt = conn.prepare(sql).unwrap();
            for n in 1..4_i64 {
                let mut rows = stmt.query([n]).unwrap();
                while rows.next().unwrap().is_some() {}
            }
            stmt.get_status(RePrepare)
        };
        assert_eq!(
            reprepared("SELECT name FROM accounts ORDER BY name LIMIT +?1"),
            0
        );
        // The reason, should SQLite ever stop doing it (then the plus is merely harmless).
        let plain = reprepared("SELECT name FROM accounts ORDER BY name LIMIT ?1");
        assert!(plain <= 3, "{plain}");
    }

    #[test]
    fn data_folder_and_database_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let _store = Store::open(&data).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join(DB_FILE)), 0o600);
    }
}
