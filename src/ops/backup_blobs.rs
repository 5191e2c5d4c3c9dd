//! The registry's blobs in a backup (issue 15): `FILE.blobs/` beside `FILE`, laid out as the
//! data folder's `blobs/`. The rows are snapshotted first (the `VACUUM INTO` copy), then every
//! blob the snapshot names is copied; blobs are immutable, so a blob already in the target is
//! kept (incremental backups). Each blob is hashed as it is copied and written under a
//! temporary name, fsynced and renamed, so the target holds only whole, verified blobs; only
//! then is the snapshot renamed over `FILE`, which therefore never names a blob that
//! `FILE.blobs/` lacks. Restore checks every blob's digest as it copies it back.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{Connection, OpenFlags};

use super::backup::{Progress, PROGRESS_EVERY};
use crate::blobs::{Digest, Hasher};
use crate::error::{Error, Result};

/// Where the blobs of backup `file` go: `FILE.blobs/`.
pub fn blobs_dir(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".blobs");
    PathBuf::from(name)
}

/// What a blob copy did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Copied {
    pub copied: u64,
    /// Already in the target (incremental).
    pub kept: u64,
    pub bytes: u64,
}

fn op(what: &str, path: &Path, e: io::Error) -> Error {
    Error::operator(format!("{what} {}: {e}", path.display()))
}

/// The blobs a database file names, `(digest, size)`.
fn named_blobs(db: &Path) -> Result<Vec<(Digest, u64)>> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| Error::operator(format!("opening {}: {e}", db.display())))?;
    let has: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'blobs'",
        [],
        |r| r.get(0),
    )?;
    if has == 0 {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT digest, size FROM blobs ORDER BY digest")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (text, size) = row?;
        let digest = Digest::parse(&text)
            .map_err(|_| Error::operator(format!("{}: {text} is not a digest", db.display())))?;
        out.push((digest, size.max(0).unsigned_abs()));
    }
    Ok(out)
}

fn path_in(root: &Path, d: &Digest) -> PathBuf {
    let hex = d.hex();
    root.join(d.algorithm().as_str())
        .join(hex.get(..2).unwrap_or(hex))
        .join(hex)
}

/// Copy `from` to `to` (a new file, via a temporary name), checking the bytes against `digest`
/// and `size`. Nothing is left at `to` unless it is whole and right.
fn copy_verified(from: &Path, to: &Path, digest: &Digest, size: u64) -> Result<()> {
    let dir = to.parent().unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| op("creating", dir, e))?;
    let tmp = to.with_extension(format!("partial-{}", std::process::id()));
    let result = (|| {
        let mut src = fs::File::open(from).map_err(|e| op("opening", from, e))?;
        let mut dst = fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| op("creating", &tmp, e))?;
        let mut hasher = Hasher::new(digest.algorithm());
        let mut buf = vec![0u8; 1 << 20];
        let mut len = 0u64;
        loop {
            let n = src.read(&mut buf).map_err(|e| op("reading", from, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            dst.write_all(&buf[..n])
                .map_err(|e| op("writing", &tmp, e))?;
            len += n as u64;
        }
        if len != size || &hasher.finish() != digest {
            return Err(Error::operator(format!(
                "blob {digest} at {} is damaged (run `berth admin fsck`)",
                from.display()
            )));
        }
        dst.sync_all().map_err(|e| op("syncing", &tmp, e))?;
        fs::rename(&tmp, to).map_err(|e| op("renaming onto", to, e))?;
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| op("syncing", dir, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn copy_all(
    wanted: &[(Digest, u64)],
    from_root: &Path,
    to_root: &Path,
    progress: Progress<'_>,
) -> Result<Copied> {
    let total: u64 = wanted.iter().map(|(_, s)| s).sum();
    let mut done = Copied::default();
    let mut last = Instant::now();
    for (digest, size) in wanted {
        let to = path_in(to_root, digest);
        let present = fs::metadata(&to).is_ok_and(|m| m.len() == *size);
        if present {
            done.kept += 1;
        } else {
            copy_verified(&path_in(from_root, digest), &to, digest, *size)?;
            done.copied += 1;
        }
        done.bytes += size;
        if last.elapsed() >= PROGRESS_EVERY {
            progress(done.bytes, total);
            last = Instant::now();
        }
    }
    progress(done.bytes, total);
    Ok(done)
}

/// Copy every blob the snapshot `db` names from `data_dir/blobs` into `target`.
pub fn backup(db: &Path, data_dir: &Path, target: &Path, progress: Progress<'_>) -> Result<Copied> {
    let wanted = named_blobs(db)?;
    if wanted.is_empty() {
        // A store without registry blobs makes no `FILE.blobs/`.
        return Ok(Copied::default());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(target)
        .map_err(|e| op("creating", target, e))?;
    copy_all(&wanted, &data_dir.join("blobs"), target, progress)
}

/// Copy every blob the restored `db` names from the backup's `source` into `data_dir/blobs`,
/// verifying each digest.
pub fn restore(
    db: &Path,
    source: &Path,
    data_dir: &Path,
    progress: Progress<'_>,
) -> Result<Copied> {
    let wanted = named_blobs(db)?;
    copy_all(&wanted, source, &data_dir.join("blobs"), progress)
}
