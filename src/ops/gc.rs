//! Online garbage collection of the registry (issue 15): `berth admin gc [--dry-run]`, and a
//! pass the server runs every `--gc-interval-secs`.
//!
//! What goes, in this order (README, "Registry operations"):
//! 1. pushed tags past their repository's retention (off by default), then untagged
//!    manifests of repositories with a retention (older than the grace period) and of all
//!    repositories older than `--gc-untagged-days` (off by default: they are kept), and
//!    referrers whose subject is gone (older than the grace period);
//! 2. links of a repository to a blob none of its manifests references, made or renewed more
//!    than the grace period ago (uploads a push never used, layers of deleted manifests);
//! 3. blobs that no repository links and no manifest references: in one write transaction
//!    per batch the blob's file is renamed into `gc-trash/` and its row deleted, and only
//!    after the commit is the trashed file removed. Rows first, then files: a row never names
//!    a missing file. A crash leaves files in `gc-trash/`: each pass (and each start) puts
//!    back those whose row is still there (the transaction did not commit) and removes the
//!    rest;
//! 4. upload sessions idle for more than an hour (row first, then the file), upload files
//!    without a session, and blob files without a row (a crash between a blob's rename and its
//!    row) older than the grace period.
//!
//! Racing a push: a push checks its blobs inside its own write transaction (the manifest `PUT`
//! checks each link, the upload's final step checks that the blob's file is there before it
//! writes the row), and garbage collection decides and removes inside its write transactions,
//! so the two never interleave: a manifest never names a blob that is gone. The grace period
//! keeps what a push in progress has uploaded but not yet referenced.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::blobs::files::FileStore;
use crate::blobs::{BlobStore, Digest};
use crate::error::{Error, Result};
use crate::store::{self, gc as rows, now_ms, Store};

/// Where collected blob files wait for their transaction's outcome.
pub const TRASH_DIR: &str = "gc-trash";
/// Upload sessions idle longer than this are removed.
pub const UPLOAD_IDLE: Duration = Duration::from_secs(3600);
/// Default grace period: a blob or link younger than this is kept.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);
/// Blobs removed per write transaction.
const BATCH: i64 = 500;

/// What a pass removes.
#[derive(Debug, Clone)]
pub struct Options {
    /// Blobs, links, orphan files and referrers younger than this are kept.
    pub grace: Duration,
    /// Untagged manifests older than this go; `None` keeps them all.
    pub untagged_after: Option<Duration>,
    /// Upload sessions idle longer than this go.
    pub upload_idle: Duration,
    /// Report what would go, remove nothing.
    pub dry_run: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            grace: DEFAULT_GRACE,
            untagged_after: None,
            upload_idle: UPLOAD_IDLE,
            dry_run: false,
        }
    }
}

/// What a pass removed (or, dry, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Pushed tags past their repository's retention, untagged.
    pub expired_tags: u64,
    pub untagged_manifests: u64,
    pub orphan_referrers: u64,
    pub links: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub uploads: u64,
    pub upload_bytes: u64,
    /// Blob files without a row (a crash between a blob's rename and its row).
    pub orphan_files: u64,
    pub orphan_bytes: u64,
    /// Files a crashed pass left in `gc-trash/`, put back or removed.
    pub recovered: u64,
}

impl Report {
    pub fn bytes(&self) -> u64 {
        self.blob_bytes + self.upload_bytes + self.orphan_bytes
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} blob(s) ({} bytes), {} link(s), {} tag(s) past retention, {} untagged manifest(s), {} orphan referrer(s), {} idle upload(s) ({} bytes), {} orphan file(s) ({} bytes); {} bytes in all",
            self.blobs,
            self.blob_bytes,
            self.links,
            self.expired_tags,
            self.untagged_manifests,
            self.orphan_referrers,
            self.uploads,
            self.upload_bytes,
            self.orphan_files,
            self.orphan_bytes,
            self.bytes()
        )
    }
}

/// One pass at a time in this process (another process's pass is safe too, only wasteful).
static PASS: Mutex<()> = Mutex::new(());

pub(crate) fn io_err<'a>(what: &'a str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |e| match e.kind() {
        io::ErrorKind::StorageFull => {
            Error::operator(format!("{what} {}: disk full: {e}", path.display()))
        }
        _ => Error::internal(format_args!("{what} {}: {e}", path.display())),
    }
}

fn cutoff(age: Duration) -> i64 {
    now_ms().saturating_sub(age.as_millis().min(i64::MAX as u128) as i64)
}

/// The data folder's blob files, for the collector.
pub struct Files {
    store: FileStore,
    blobs: PathBuf,
    uploads: PathBuf,
    trash: PathBuf,
}

impl Files {
    pub fn open(data_dir: &Path) -> Result<Files> {
        let store = FileStore::open(data_dir)
            .map_err(|e| Error::internal(format_args!("opening the blob store: {e}")))?;
        let trash = data_dir.join(TRASH_DIR);
        store::create_private_dir(&trash)?;
        Ok(Files {
            store,
            blobs: data_dir.join("blobs"),
            uploads: data_dir.join("uploads"),
            trash,
        })
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.store.blob_path(digest)
    }

    fn trash_path(&self, digest: &Digest) -> PathBuf {
        self.trash
            .join(format!("{}-{}", digest.algorithm().as_str(), digest.hex()))
    }

    /// Move a blob's file into the trash; its size, or `None` when there was no file.
    fn to_trash(&self, digest: &Digest) -> Result<Option<u64>> {
        let from = self.blob_path(digest);
        let size = match fs::metadata(&from) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("reading", &from)(e)),
        };
        let to = self.trash_path(digest);
        match fs::rename(&from, &to) {
            Ok(()) => Ok(Some(size)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("moving", &from)(e)),
        }
    }

    fn empty_trash(&self, digest: &Digest) {
        let path = self.trash_path(digest);
        if let Err(e) = fs::remove_file(&path) {
            if e.kind() != io::ErrorKind::NotFound {
                log::warn!("gc: removing {}: {e}", path.display());
            }
        }
    }

    /// Every blob file there is, as `(digest, path)` (names that are not digests are skipped).
    pub fn blob_files(&self) -> Result<Vec<(Digest, PathBuf)>> {
        let mut out = Vec::new();
        for algorithm in read_dir(&self.blobs)? {
            let Some(alg) = algorithm
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_owned)
            else {
                continue;
            };
            if !algorithm.is_dir() {
                continue;
            }
            for prefix in read_dir(&algorithm)? {
                if !prefix.is_dir() {
                    continue;
                }
                for file in read_dir(&prefix)? {
                    let Some(hex) = file.file_name().and_then(|n| n.to_str()) else {
                        continue;
                    };
                    if let Ok(digest) = Digest::parse(&format!("{alg}:{hex}")) {
                        out.push((digest, file));
                    }
                }
            }
        }
        Ok(out)
    }
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.map(|e| e.path()))
            .collect::<io::Result<Vec<_>>>()
            .map_err(io_err("reading", dir)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_err("reading", dir)(e)),
    }
}

fn age_of(meta: &fs::Metadata) -> Duration {
    // The change time: a rename into place sets it, so a blob just committed is young even
    // when its bytes were written long ago.
    let changed = UNIX_EPOCH + Duration::from_secs(meta.ctime().max(0) as u64);
    let modified = meta.modified().unwrap_or(changed);
    SystemTime::now()
        .duration_since(changed.max(modified))
        .unwrap_or_default()
}

/// Put right what a pass interrupted by a crash left in `gc-trash/`: a file whose row is
/// still there goes back (its transaction never committed), any other is removed.
pub fn recover(conn: &Connection, files: &Files) -> Result<u64> {
    let mut fixed = 0;
    for path in read_dir(&files.trash)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let digest = name
            .split_once('-')
            .and_then(|(alg, hex)| Digest::parse(&format!("{alg}:{hex}")).ok());
        fixed += 1;
        match digest {
            Some(d) if rows::blob_exists(conn, &d.to_string())? => {
                let to = files.blob_path(&d);
                if to.exists() {
                    fs::remove_file(&path).map_err(io_err("removing", &path))?;
                } else {
                    fs::rename(&path, &to).map_err(io_err("restoring", &path))?;
                    log::info!("gc: put back {d}, whose removal did not commit");
                }
            }
            _ => fs::remove_file(&path).map_err(io_err("removing", &path))?,
        }
    }
    Ok(fixed)
}

/// One pass over the store and the blob files in `data_dir`.
pub fn run(conn: &mut Connection, data_dir: &Path, options: &Options) -> Result<Report> {
    let _one = PASS.lock().unwrap_or_else(|p| p.into_inner());
    let files = Files::open(data_dir)?;
    let mut report = Report {
        recovered: recover(conn, &files)?,
        ..Report::default()
    };
    let dry = options.dry_run;
    let grace = cutoff(options.grace);
    // 1 and 2: manifests and links, one transaction.
    let (expired, untagged, referrers, links) = store::write(conn, |tx| {
        // Tags past their repository's retention are untagged first; the manifests that
        // leaves untagged (older than the grace period) go in this same pass.
        let expired = store::retention::expire_tags(tx, now_ms(), dry)?;
        let untagged_cutoff = options.untagged_after.map(cutoff);
        let mut untagged = rows::retention_manifests(tx, grace, dry, untagged_cutoff)?;
        untagged += match untagged_cutoff {
            Some(before) => rows::untagged_manifests(tx, before, dry)?,
            None => 0,
        };
        let referrers = rows::orphan_referrers(tx, grace, dry)?;
        let links = rows::stale_links(tx, grace, dry)?;
        Ok((expired, untagged, referrers, links))
    })?;
    report.expired_tags = expired;
    report.untagged_manifests = untagged;
    report.orphan_referrers = referrers;
    report.links = links;
    // 3: blobs, in batches.
    if dry {
        for (_, size) in rows::unreferenced_blobs(conn, grace, true, i64::MAX)? {
            report.blobs += 1;
            report.blob_bytes += size.max(0).unsigned_abs();
        }
    } else {
        loop {
            let batch = rows::unreferenced_blobs(conn, grace, false, BATCH)?;
            if batch.is_empty() {
                break;
            }
            let removed = remove_blobs(conn, &files, &batch);
            let removed = match removed {
                Ok(r) => r,
                Err(e) => {
                    // The transaction rolled back: put the files back.
                    recover(conn, &files)?;
                    return Err(e);
                }
            };
            for (digest, size) in &removed {
                files.empty_trash(digest);
                report.blobs += 1;
                report.blob_bytes += size;
            }
            if (batch.len() as i64) < BATCH || removed.is_empty() {
                break;
            }
        }
    }
    // 4: idle uploads, stray upload files, orphan blob files.
    collect_uploads(conn, &files, options, &mut report)?;
    collect_orphans(conn, &files, options, &mut report)?;
    Ok(report)
}

/// Remove a batch of unreferenced blobs: in one write transaction, each still unreferenced
/// blob's file goes to the trash and its row is deleted.
fn remove_blobs(
    conn: &mut Connection,
    files: &Files,
    batch: &[(String, i64)],
) -> Result<Vec<(Digest, u64)>> {
    store::write(conn, |tx| {
        let mut removed = Vec::new();
        for (text, size) in batch {
            if !rows::still_unreferenced(tx, text)? {
                continue;
            }
            let Ok(digest) = Digest::parse(text) else {
                continue;
            };
            let on_disk = files.to_trash(&digest)?;
            rows::delete_blob(tx, text)?;
            removed.push((digest, on_disk.unwrap_or(size.max(&0).unsigned_abs())));
        }
        Ok(removed)
    })
}

fn collect_uploads(
    conn: &mut Connection,
    files: &Files,
    options: &Options,
    report: &mut Report,
) -> Result<()> {
    let idle = cutoff(options.upload_idle);
    for id in rows::idle_uploads(conn, idle)? {
        let size = files.store.upload_len(&id).ok().flatten().unwrap_or(0);
        if !options.dry_run {
            if !store::write(conn, |tx| rows::delete_idle_upload(tx, &id, idle))? {
                continue;
            }
            if let Err(e) = files.store.remove_upload(&id) {
                log::warn!("gc: removing upload {id}: {e}");
            }
        }
        report.uploads += 1;
        report.upload_bytes += size;
    }
    // Upload files without a session (a monolithic upload a crash cut off), idle as long.
    for id in files
        .store
        .upload_ids()
        .map_err(io_err("reading", &files.uploads))?
    {
        let path = files.uploads.join(&id);
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if age_of(&meta) < options.upload_idle || rows::upload_exists(conn, &id)? {
            continue;
        }
        if !options.dry_run {
            if let Err(e) = files.store.remove_upload(&id) {
                log::warn!("gc: removing upload {id}: {e}");
                continue;
            }
        }
        report.uploads += 1;
        report.upload_bytes += meta.len();
    }
    Ok(())
}

fn collect_orphans(
    conn: &mut Connection,
    files: &Files,
    options: &Options,
    report: &mut Report,
) -> Result<()> {
    for (digest, path) in files.blob_files()? {
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if age_of(&meta) < options.grace || rows::blob_exists(conn, &digest.to_string())? {
            continue;
        }
        if options.dry_run {
            report.orphan_files += 1;
            report.orphan_bytes += meta.len();
            continue;
        }
        // Decided again inside a write transaction: an upload's row is written in one, after
        // checking that its file is there.
        let text = digest.to_string();
        let moved = store::write(conn, |tx| {
            if rows::blob_exists(tx, &text)? {
                return Ok(None);
            }
            files.to_trash(&digest)
        })?;
        if let Some(size) = moved {
            files.empty_trash(&digest);
            report.orphan_files += 1;
            report.orphan_bytes += size;
        }
    }
    Ok(())
}

/// The server's periodic pass: a thread that runs [`run`] every `interval` until dropped.
pub struct Periodic {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Periodic {
    /// `None` when `interval` is zero (periodic collection off).
    pub fn start(
        store: Store,
        data_dir: PathBuf,
        options: Options,
        interval: Duration,
    ) -> Result<Option<Periodic>> {
        if interval.is_zero() {
            return Ok(None);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("berth-gc".into())
            .spawn(move || {
                let step = Duration::from_millis(200);
                let mut waited = Duration::ZERO;
                while !stopping.load(Ordering::Relaxed) {
                    std::thread::sleep(step);
                    waited += step;
                    if waited < interval {
                        continue;
                    }
                    waited = Duration::ZERO;
                    let result = store
                        .conn()
                        .and_then(|mut c| run(&mut c, &data_dir, &options));
                    match result {
                        Ok(r) => log::info!("gc: removed {r}"),
                        Err(e) => log::error!("gc: pass failed (the next one finishes it): {e}"),
                    }
                }
            })
            .map_err(|e| Error::internal(format_args!("starting the gc thread: {e}")))?;
        Ok(Some(Periodic {
            stop,
            thread: Some(thread),
        }))
    }
}

impl Drop for Periodic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
