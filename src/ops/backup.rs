//! `berth admin backup` and `berth admin restore`: a verified, atomically written copy of a
//! live store and its secrets key, and a restore into an empty data folder.
//!
//! A backup is two files: `FILE` (the database, compacted) and `FILE.key` (the secrets key
//! that sealed the stored registry credentials, when there is one). The database copy is one
//! `VACUUM INTO` (one consistent snapshot; writers carry on), written to a temporary name in
//! the target's folder, fsynced, verified (`integrity_check`, `foreign_key_check`, schema
//! version), then renamed over `FILE`. The key is copied the same way first, and only a key
//! whose id matches the ids the copied credentials were sealed with is accepted: a key rotation
//! that lands between the snapshot and the key copy makes the backup start again.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::secrets::{self, KEY_FILE, NEW_KEY_FILE};
use crate::store::backup::{self as sql, Summary};
use crate::store::{self, DB_FILE};

/// How often a running copy reports its progress.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Attempts before a backup gives up on keys that keep changing under it.
const ATTEMPTS: usize = 3;

/// Bytes written so far and bytes expected (an estimate: the live pages of the source).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// What a backup wrote.
#[derive(Debug)]
pub struct Written {
    pub summary: Summary,
    pub bytes: u64,
    /// `FILE.key`, when the store has a secrets key.
    pub key_file: Option<PathBuf>,
    /// The registry's blobs, in `FILE.blobs/`.
    pub blobs: super::backup_blobs::Copied,
}

/// Where the key of backup `file` goes: beside it, as `FILE.key`.
pub fn key_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

fn io<'a>(what: &'a str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |e| Error::operator(format!("{what} {}: {e}", path.display()))
}

/// A temporary name beside `path`, so the final rename stays within one file system.
fn partial(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io("syncing", path))
}

fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("syncing", dir))
}

/// Write `bytes` to `target` owner-only and durably, replacing it atomically.
fn replace_private(target: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = partial(target);
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io("creating", &tmp))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(io("writing", &tmp))?;
    fs::rename(&tmp, target).map_err(io("renaming onto", target))?;
    sync_dir(parent(target))
}

/// Run `work` while a thread reports how large `watched` has grown, every `every`.
fn with_progress<T>(
    watched: &Path,
    total: u64,
    every: Duration,
    progress: Progress<'_>,
    work: impl FnOnce() -> T,
) -> T {
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Acquire) {
                std::thread::park_timeout(every);
                if done.load(Ordering::Acquire) {
                    break;
                }
                let now = fs::metadata(watched).map_or(0, |m| m.len());
                progress(now.min(total), total);
            }
        });
        let out = work();
        done.store(true, Ordering::Release);
        out
    })
}

/// The key file content in `data_dir` that fits credentials sealed with `ids`: the current
/// key, or the `.new` key of a rotation that has committed but not yet been renamed.
/// `Ok(None)`: the store has no key file and needs none.
fn matching_key(data_dir: &Path, ids: &[String]) -> Result<Option<String>> {
    let mut found_any = false;
    for name in [KEY_FILE, NEW_KEY_FILE] {
        let path = data_dir.join(name);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io("reading", &path)(e)),
        };
        found_any = true;
        let Some(id) = secrets::key_id_of(&text) else {
            continue;
        };
        if ids.iter().all(|i| *i == id) {
            return Ok(Some(text));
        }
    }
    if !found_any && ids.is_empty() {
        return Ok(None);
    }
    Err(Error::operator(if found_any {
        format!(
            "the key file in {} does not match the stored credentials (sealed with key {})",
            data_dir.display(),
            ids.join(", ")
        )
    } else {
        format!(
            "{} is missing, but stored credentials are sealed with key {}",
            data_dir.join(KEY_FILE).display(),
            ids.join(", ")
        )
    }))
}

/// Back up the store in `data_dir` to `target` (and `target.key`), while it serves.
pub fn backup(
    data_dir: &Path,
    target: &Path,
    every: Duration,
    progress: Progress<'_>,
) -> Result<Written> {
    let db = data_dir.join(DB_FILE);
    if !db.is_file() {
        return Err(Error::operator(format!(
            "no Berth store at {} (set --data-dir)",
            db.display()
        )));
    }
    // Read-write without create: never makes a store where there was none, and can read a
    // WAL database whatever state its -shm file is in.
    let conn = Connection::open_with_flags(
        &db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::operator(format!("cannot open {}: {e}", db.display())))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let tmp = partial(target);
    let mut last_error = None;
    for _ in 0..ATTEMPTS {
        let _ = fs::remove_file(&tmp);
        let total = sql::size_in_use(&conn)?;
        let copied = with_progress(&tmp, total, every, progress, || {
            sql::vacuum_into(&conn, &tmp)
        });
        if let Err(e) = copied {
            let _ = fs::remove_file(&tmp);
            return Err(Error::operator(format!(
                "copying {} to {}: {}",
                db.display(),
                tmp.display(),
                e.message
            )));
        }
        let outcome = (|| {
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600))
                .map_err(io("securing", &tmp))?;
            sync_file(&tmp)?;
            let summary = sql::verify(&tmp)?;
            let key = matching_key(data_dir, &summary.key_ids)?;
            // The rows are fixed; now the blobs they name (a pass of garbage collection that
            // took one since the snapshot makes the backup start again).
            let blobs = super::backup_blobs::backup(
                &tmp,
                data_dir,
                &super::backup_blobs::blobs_dir(target),
                progress,
            )?;
            Ok::<_, Error>((summary, key, blobs))
        })();
        let (summary, key, blobs) = match outcome {
            Ok(v) => v,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                last_error = Some(e);
                continue;
            }
        };
        let key_file = match key {
            Some(text) => {
                let path = key_path(target);
                replace_private(&path, text.as_bytes())?;
                Some(path)
            }
            None => None,
        };
        let bytes = fs::metadata(&tmp).map_or(0, |m| m.len());
        fs::rename(&tmp, target).map_err(io("renaming onto", target))?;
        sync_dir(parent(target))?;
        progress(bytes, bytes);
        return Ok(Written {
            summary,
            bytes,
            key_file,
            blobs,
        });
    }
    Err(last_error.unwrap_or_else(|| Error::operator("backup failed")))
}

/// Restore backup `source` (and `source.key`) into `data_dir`, which must be empty or absent.
pub fn restore(
    source: &Path,
    data_dir: &Path,
    progress: Progress<'_>,
) -> Result<(Summary, super::backup_blobs::Copied)> {
    let summary = sql::verify(source)?;
    let key_source = key_path(source);
    let key = match fs::read_to_string(&key_source) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io("reading", &key_source)(e)),
    };
    match (&key, summary.key_ids.as_slice()) {
        (None, []) => {}
        (None, ids) => {
            return Err(Error::operator(format!(
                "{} is missing, but the backup's registry credentials are sealed with key {}",
                key_source.display(),
                ids.join(", ")
            )))
        }
        (Some(text), ids) => {
            let id = secrets::key_id_of(text)
                .ok_or_else(|| Error::operator(format!("{} holds no key", key_source.display())))?;
            if let Some(other) = ids.iter().find(|i| **i != id) {
                return Err(Error::operator(format!(
                    "{} holds key {id}, but the backup's credentials are sealed with key {other}",
                    key_source.display()
                )));
            }
        }
    }
    if data_dir.exists() {
        let mut entries = fs::read_dir(data_dir).map_err(io("reading", data_dir))?;
        if entries.next().is_some() {
            return Err(Error::operator(format!(
                "{} is not empty: restore writes only into an empty or new data folder",
                data_dir.display()
            )));
        }
    }
    store::create_private_dir(data_dir).map_err(|e| Error::operator(e.message))?;
    let db = data_dir.join(DB_FILE);
    let tmp = partial(&db);
    let copied = copy_private(source, &tmp, progress).and_then(|()| {
        sql::verify(&tmp)?;
        // Every blob the store names, each checked against its digest.
        super::backup_blobs::restore(
            &tmp,
            &super::backup_blobs::blobs_dir(source),
            data_dir,
            progress,
        )
    });
    let blobs = match copied {
        Ok(b) => b,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if let Some(text) = key {
        replace_private(&data_dir.join(KEY_FILE), text.as_bytes())?;
    }
    fs::rename(&tmp, &db).map_err(io("renaming onto", &db))?;
    sync_dir(data_dir)?;
    Ok((summary, blobs))
}

/// Copy `from` to a new owner-only file `to`, durably, reporting progress as it goes.
fn copy_private(from: &Path, to: &Path, progress: Progress<'_>) -> Result<()> {
    let mut src = fs::File::open(from).map_err(io("opening", from))?;
    let total = src.metadata().map_or(0, |m| m.len());
    let mut dst = fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(to)
        .map_err(io("creating", to))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    let mut last = std::time::Instant::now();
    loop {
        let n = src.read(&mut buf).map_err(io("reading", from))?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n]).map_err(io("writing", to))?;
        done += n as u64;
        if last.elapsed() >= PROGRESS_EVERY {
            progress(done, total);
            last = std::time::Instant::now();
        }
    }
    dst.sync_all().map_err(io("syncing", to))?;
    progress(done, total);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn store_with_data(dir: &Path) -> PathBuf {
        let data = dir.join("data");
        let store = store::Store::open(&data).unwrap();
        let mut conn = store.conn().unwrap();
        crate::core::accounts::bootstrap(&mut conn, Some("a-long-password"), 4).unwrap();
        data
    }

    #[test]
    fn progress_is_reported_while_copying_and_ends_at_the_total() {
        let dir = tempfile::tempdir().unwrap();
        let data = store_with_data(dir.path());
        let seen = Mutex::new(Vec::new());
        let record = |done: u64, total: u64| seen.lock().unwrap().push((done, total));
        let target = dir.path().join("b.db");
        let written = backup(&data, &target, Duration::from_millis(1), &record).unwrap();
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.last(), Some(&(written.bytes, written.bytes)));
        assert!(seen.iter().all(|(d, t)| d <= t), "{seen:?}");
        assert_eq!(written.summary.accounts, 2);
        // No secrets stored yet, and no key file: nothing to copy.
        assert!(written.key_file.is_none());
        let restored = dir.path().join("restored");
        let (summary, _) = restore(&target, &restored, &|_, _| {}).unwrap();
        assert_eq!(summary, written.summary);
        assert!(restored.join(DB_FILE).is_file());
    }

    #[test]
    fn the_key_must_match_the_ids_the_copied_credentials_use() {
        let dir = tempfile::tempdir().unwrap();
        let key = secrets::SecretKey::generate();
        let other = secrets::SecretKey::generate();
        let text = |k: &secrets::SecretKey| k.file_content().to_string();
        // No key file and no sealed credential: nothing to copy.
        assert_eq!(matching_key(dir.path(), &[]).unwrap(), None);
        // Sealed credentials but no key file.
        let ids = [key.id().to_owned()];
        let e = matching_key(dir.path(), &ids).unwrap_err();
        assert!(e.message.contains("is missing"), "{}", e.message);
        // The wrong key.
        fs::write(dir.path().join(KEY_FILE), text(&other)).unwrap();
        let e = matching_key(dir.path(), &ids).unwrap_err();
        assert!(e.message.contains("does not match"), "{}", e.message);
        // A rotation that committed but has not renamed its `.new` key yet.
        fs::write(dir.path().join(NEW_KEY_FILE), text(&key)).unwrap();
        assert_eq!(matching_key(dir.path(), &ids).unwrap(), Some(text(&key)));
        // The current key.
        fs::write(dir.path().join(KEY_FILE), text(&key)).unwrap();
        fs::remove_file(dir.path().join(NEW_KEY_FILE)).unwrap();
        assert_eq!(matching_key(dir.path(), &ids).unwrap(), Some(text(&key)));
    }
}
