//! The store: the only code that knows SQL. A pooled SQLite file with the same pragmas on
//! every connection, an ordered embedded migration runner, and one file per aggregate.

pub mod accounts;
pub mod backup;
pub mod catalog;
pub mod external;
pub mod grants;
pub mod keys;
pub mod memo;
mod migrations;
pub mod repos;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod stars;
pub mod tags;
pub mod teams;

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

    /// `f`'s result, read through the commit-invalidated cache (see [`memo`]): `key` must
    /// name everything the result depends on (the operation, its arguments, the caller), and
    /// nothing a client can vary without changing the result (no request headers).
    /// Errors are not kept, nor results under keys longer than [`memo::KEY_MAX`].
    pub async fn cached<T, F>(&self, key: String, f: F) -> Result<std::sync::Arc<T>>
    where
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
        T: memo::Weigh + Send + Sync + 'static,
    {
        if key.len() > memo::KEY_MAX {
            return self.run(f).await.map(std::sync::Arc::new);
        }
        self.memo.get_or_read(key, self.run(f)).await
    }
}

/// Run `f` inside one `BEGIN IMMEDIATE` transaction: all of it commits, or none of it. A
/// function whose statements must commit together takes the `&Transaction` it is given, so
/// its signature says it cannot be called outside one.
pub fn write<T>(conn: &mut Connection, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
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

    #[test]
    fn reads_under_overlong_keys_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let key = format!("search|{}", "q".repeat(memo::KEY_MAX));
        let (first, again) = actix_web::rt::System::new().block_on(async move {
            let first = store.cached(key.clone(), |_| Ok(1)).await.unwrap();
            let again = store.cached(key, |_| Ok(1)).await.unwrap();
            (first, again)
        });
        assert!(!std::sync::Arc::ptr_eq(&first, &again));
    }

    #[test]
    fn a_commit_on_any_connection_expires_cached_reads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let read = |store: &Store| {
            let store = store.clone();
            actix_web::rt::System::new().block_on(async move {
                store
                    .cached("users".to_owned(), |c| {
                        Ok(c.query_row("SELECT count(*) FROM settings", [], |r| {
                            r.get::<_, i64>(0)
                        })?)
                    })
                    .await
                    .unwrap()
            })
        };
        // Commits are counted process-wide (other tests commit too): a second read is served
        // from the cache whenever no commit happened in between.
        let mut first = read(&store);
        let mut served_from_cache = false;
        for _ in 0..100 {
            let before = memo::commits();
            first = read(&store);
            let again = read(&store);
            if memo::commits() == before {
                served_from_cache = std::sync::Arc::ptr_eq(&first, &again);
                break;
            }
        }
        assert!(served_from_cache, "a second read is served from the cache");
        // An autocommit statement on a plain pooled connection, outside store::write.
        store
            .conn()
            .unwrap()
            .execute("INSERT INTO settings (key, value) VALUES ('x', 'y')", [])
            .unwrap();
        let after = read(&store);
        assert_eq!((*first, *after), (*first, *first + 1));
    }

    #[test]
    fn concurrent_misses_of_one_key_read_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut quiet_bursts = 0;
        for round in 0..50 {
            let reads = std::sync::Arc::new(AtomicUsize::new(0));
            let before = memo::commits();
            let key = format!("burst-{round}");
            actix_web::rt::System::new().block_on(async {
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
            // Another test's commit may expire the entry mid-burst; judge quiet bursts only.
            if memo::commits() == before {
                assert_eq!(
                    reads.load(Ordering::SeqCst),
                    1,
                    "eight concurrent misses, one read"
                );
                quiet_bursts += 1;
                if quiet_bursts == 3 {
                    break;
                }
            }
        }
        assert!(quiet_bursts > 0, "no burst ran without a commit elsewhere");
    }

    #[test]
    fn waiters_take_a_read_made_after_they_came_even_if_a_commit_followed() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut judged = 0;
        for round in 0..50 {
            let reads = std::sync::Arc::new(AtomicUsize::new(0));
            let before = memo::commits();
            let key = format!("busy-{round}");
            actix_web::rt::System::new().block_on(async {
                let burst = (0..8).map(|i| {
                    let (store, reads, key) = (store.clone(), reads.clone(), key.clone());
                    async move {
                        store
                            .cached(key, move |c| {
                                let n = reads.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(20));
                                // A write lands while the burst waits for this read.
                                c.execute(
                                    "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, 'v')",
                                    [format!("busy-{round}-{i}-{n}")],
                                )?;
                                Ok(1_u8)
                            })
                            .await
                            .unwrap()
                    }
                });
                futures_util::future::join_all(burst).await;
            });
            let reads = reads.load(Ordering::SeqCst);
            // Judge bursts in which only their own reads committed (other tests commit too).
            if memo::commits() - before == reads as u64 {
                assert_eq!(
                    reads, 1,
                    "the waiters took the first read, made after they came"
                );
                judged += 1;
                if judged == 3 {
                    break;
                }
            }
        }
        assert!(judged > 0, "no burst ran without a commit elsewhere");
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
