//! Pull counts, gathered in memory and written together.
//!
//! A pull (an Index client fetching a repository's image list, or a tag with the repository's
//! token) adds one to a count in memory; every [`Pulls`] interval the counts of all pulls
//! since are written in one transaction (`AppState` runs the writer, and the server writes
//! what is left when it stops). A busy registry's pulls then cost one write a second, not one
//! per pull, and expire the read cache once a second at most. A crash loses the pulls of the
//! last interval at most; a failed write keeps them for the next one. With an interval of
//! zero each pull is written as it happens, in its request.
//!
//! Pushes are not gathered: a push writes its images anyway, and counts itself in that
//! transaction, so an acknowledged push is never lost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection};

use super::now_ms;
use crate::error::Result;

/// Pulls counted and not yet written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Pending {
    /// By repository id: pulls, and when the latest was (ms).
    repositories: HashMap<i64, (i64, i64)>,
    /// By repository id and UTC day (`store::activity`): pulls, for the activity charts.
    days: HashMap<(i64, i64), i64>,
    /// By repository id and tag name: pulls, and when the latest was (ms).
    tags: HashMap<(i64, String), (i64, i64)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.repositories.is_empty() && self.tags.is_empty()
    }

    fn merge(&mut self, other: Pending) {
        for (id, (n, at)) in other.repositories {
            let e = self.repositories.entry(id).or_insert((0, at));
            *e = (e.0 + n, e.1.max(at));
        }
        for (key, n) in other.days {
            *self.days.entry(key).or_insert(0) += n;
        }
        for (key, (n, at)) in other.tags {
            let e = self.tags.entry(key).or_insert((0, at));
            *e = (e.0 + n, e.1.max(at));
        }
    }

    /// Add these counts to the store's (inside one transaction).
    fn write(&self, conn: &Connection) -> Result<()> {
        let mut repo = conn.prepare_cached(
            "UPDATE repositories SET pull_count = pull_count + ?2,
                 pulled_at = MAX(COALESCE(pulled_at, 0), ?3) WHERE id = ?1",
        )?;
        for (id, (n, at)) in &self.repositories {
            repo.execute(params![id, n, at])?;
        }
        let mut tag = conn.prepare_cached(
            "UPDATE tags SET pull_count = pull_count + ?3,
                 pulled_at = MAX(COALESCE(pulled_at, 0), ?4) WHERE repository_id = ?1 AND name = ?2",
        )?;
        for ((id, name), (n, at)) in &self.tags {
            tag.execute(params![id, name, n, at])?;
        }
        for ((id, day), n) in &self.days {
            super::activity::add_pulls(conn, *id, *day, *n)?;
        }
        Ok(())
    }
}

/// What was pulled.
#[derive(Debug, Clone, Copy)]
pub enum Pull<'a> {
    /// A repository's images (`download` + 1, `pulled_at` now, one pull on today's
    /// activity).
    Repository(i64),
    /// One tag of a repository (its `pull_count` + 1, its `pulled_at` now).
    Tag(i64, &'a str),
}

/// One pull, counted now.
fn one(pull: Pull<'_>) -> Pending {
    let mut one = Pending::default();
    let now = now_ms();
    match pull {
        Pull::Repository(id) => {
            one.repositories.insert(id, (1, now));
            one.days.insert((id, super::activity::day_of(now)), 1);
        }
        Pull::Tag(id, name) => {
            one.tags.insert((id, name.to_owned()), (1, now));
        }
    }
    one
}

/// The pull counts of one store.
pub struct Pulls {
    pending: Mutex<Pending>,
    every: Duration,
}

impl Pulls {
    /// Counts written every `every` (zero: at each pull).
    pub fn new(every: Duration) -> Pulls {
        Pulls {
            pending: Mutex::new(Pending::default()),
            every,
        }
    }

    /// How often the counts are written (zero: at each pull).
    pub fn every(&self) -> Duration {
        self.every
    }

    /// Count a pull: in memory, or written now on `conn` when the interval is zero.
    pub fn count(&self, conn: &mut Connection, pull: Pull<'_>) -> Result<()> {
        if self.gather(pull) {
            return Ok(());
        }
        super::write(conn, |tx| one(pull).write(tx))
    }

    /// Count a pull in memory, without a connection; false (nothing counted) when pulls are
    /// written as they happen: then [`Pulls::count`] it.
    pub fn gather(&self, pull: Pull<'_>) -> bool {
        if self.every.is_zero() {
            return false;
        }
        self.lock().merge(one(pull));
        true
    }

    /// Write every count gathered so far in one transaction; on failure they are kept for
    /// the next write. Returns how many repositories and tags were written.
    pub fn flush(&self, conn: &mut Connection) -> Result<usize> {
        let taken = std::mem::take(&mut *self.lock());
        if taken.is_empty() {
            return Ok(0);
        }
        match super::write(conn, |tx| taken.write(tx)) {
            Ok(()) => Ok(taken.repositories.len() + taken.tags.len()),
            Err(e) => {
                self.lock().merge(taken);
                Err(e)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Writes a store's gathered pull counts every interval, on a thread of its own, until it is
/// dropped; then once more, so nothing counted before is left behind.
pub struct Writer {
    /// Dropping it wakes the thread for its last write.
    _stop: std::sync::mpsc::Sender<()>,
}

impl Writer {
    /// The writer of `store`'s pulls; `None` when they are written as they happen.
    pub fn start(store: super::Store) -> Result<Option<Writer>> {
        let every = store.pulls().every();
        if every.is_zero() {
            return Ok(None);
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("berth-pulls".to_owned())
            .spawn(move || loop {
                let last = !matches!(
                    stopped.recv_timeout(every),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                );
                if let Err(e) = store.flush_pulls() {
                    log::warn!("writing pull counts failed (kept for the next write): {e}");
                }
                if last {
                    return;
                }
            })
            .map_err(|e| {
                crate::error::Error::internal(format_args!("starting the pull writer: {e}"))
            })?;
        Ok(Some(Writer { _stop: stop }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Connection {
        let conn = crate::store::memory();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, created_at) VALUES (1, 'acme', 'organization', 0);
             INSERT INTO repositories (id, namespace_id, name, full_path, created_at) VALUES (7, 1, 'web', 'acme/web', 0);
             INSERT INTO images (repository_id, image_id, created_at) VALUES (7, 'i', 0);
             INSERT INTO tags (repository_id, name, image_id, updated_at) VALUES (7, 'latest', 'i', 0);",
        )
        .unwrap();
        conn
    }

    fn counts(conn: &Connection) -> (i64, Option<i64>, i64) {
        conn.query_row(
            "SELECT r.pull_count, r.pulled_at, t.pull_count FROM repositories r
               JOIN tags t ON t.repository_id = r.id WHERE r.id = 7",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    /// Gathered pulls reach the store only when written, all in one go, and a pull of a
    /// repository deleted meanwhile is simply dropped.
    #[test]
    fn pulls_are_kept_until_written_together() {
        let mut conn = fixture();
        let pulls = Pulls::new(Duration::from_secs(60));
        for _ in 0..5 {
            pulls.count(&mut conn, Pull::Repository(7)).unwrap();
        }
        pulls.count(&mut conn, Pull::Tag(7, "latest")).unwrap();
        pulls.count(&mut conn, Pull::Tag(7, "latest")).unwrap();
        pulls.count(&mut conn, Pull::Repository(99)).unwrap();
        assert_eq!(counts(&conn), (0, None, 0));
        assert_eq!(pulls.flush(&mut conn).unwrap(), 3);
        let (repo, at, tag) = counts(&conn);
        assert_eq!((repo, tag), (5, 2));
        assert!(at.is_some_and(|at| at > 0));
        assert_eq!(pulls.flush(&mut conn).unwrap(), 0, "nothing left to write");
    }

    /// The same write stamps the tag's last pull and adds the repository's pulls to
    /// today's activity, with every pull gathered since.
    #[test]
    fn a_write_stamps_last_pulled_and_adds_to_the_day() {
        let mut conn = fixture();
        let pulls = Pulls::new(Duration::from_secs(60));
        for _ in 0..3 {
            pulls.count(&mut conn, Pull::Repository(7)).unwrap();
        }
        pulls.count(&mut conn, Pull::Tag(7, "latest")).unwrap();
        pulls.flush(&mut conn).unwrap();
        let today = super::super::activity::day_of(now_ms());
        let days = super::super::activity::of_repository(&conn, 7, 0).unwrap();
        assert_eq!(days.len(), 1);
        assert!(
            days[0].day == today || days[0].day + 1 == today,
            "written at midnight"
        );
        assert_eq!((days[0].pulls, days[0].pushes), (3, 0));
        let pulled: Option<i64> = conn
            .query_row(
                "SELECT pulled_at FROM tags WHERE repository_id = 7",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(pulled.is_some_and(|at| at > 0));
    }

    /// With no interval, each pull is written in its own request.
    #[test]
    fn with_no_interval_each_pull_is_written_at_once() {
        let mut conn = fixture();
        let pulls = Pulls::new(Duration::ZERO);
        pulls.count(&mut conn, Pull::Repository(7)).unwrap();
        pulls.count(&mut conn, Pull::Tag(7, "latest")).unwrap();
        assert_eq!((counts(&conn).0, counts(&conn).2), (1, 1));
    }

    /// Gathering needs no connection; with no interval it counts nothing and says so, so the
    /// caller writes the pull instead.
    #[test]
    fn gathering_counts_in_memory_only_when_there_is_an_interval() {
        let mut conn = fixture();
        let now = Pulls::new(Duration::ZERO);
        assert!(!now.gather(Pull::Repository(7)));
        assert_eq!(now.flush(&mut conn).unwrap(), 0, "nothing was gathered");
        let later = Pulls::new(Duration::from_secs(60));
        assert!(later.gather(Pull::Repository(7)));
        assert!(later.gather(Pull::Tag(7, "latest")));
        assert_eq!(counts(&conn), (0, None, 0));
        assert_eq!(later.flush(&mut conn).unwrap(), 2);
        assert_eq!((counts(&conn).0, counts(&conn).2), (1, 1));
    }

    /// A write that fails keeps its counts for the next one.
    #[test]
    fn a_failed_write_keeps_the_counts() {
        let mut conn = fixture();
        let pulls = Pulls::new(Duration::from_secs(60));
        pulls.count(&mut conn, Pull::Repository(7)).unwrap();
        conn.execute_batch("CREATE TRIGGER no_pulls BEFORE UPDATE OF pull_count ON repositories BEGIN SELECT RAISE(ABORT, 'no'); END;")
            .unwrap();
        assert!(pulls.flush(&mut conn).is_err());
        conn.execute_batch("DROP TRIGGER no_pulls").unwrap();
        pulls.count(&mut conn, Pull::Repository(7)).unwrap();
        assert_eq!(pulls.flush(&mut conn).unwrap(), 1);
        assert_eq!(counts(&conn).0, 2);
    }
}
