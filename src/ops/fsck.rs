//! `berth admin fsck [--repair]`: every blob is read and checked against its digest and size,
//! every manifest against its digest and its references (issue 15). With `--repair`, a damaged
//! blob's file is moved into `quarantine/` and its rows (the blob and every link to it) are
//! removed in the same write transaction, so it is never served again (a pull then answers
//! `BLOB_UNKNOWN` and a push of the right bytes stores it anew); a row whose file is missing
//! is removed; a manifest whose bytes do not match its digest is written to `quarantine/` and
//! its row removed. Manifests that reference what is gone are reported, never changed (they
//! need their blobs pushed again). Safe while the server runs.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};

use super::gc::{io_err, Files};
use crate::blobs::{Digest, Hasher};
use crate::error::Result;
use crate::store::{self, gc as rows, now_ms};

/// Where damaged blobs and manifests are moved.
pub const QUARANTINE_DIR: &str = "quarantine";

#[derive(Debug, Default)]
pub struct Report {
    pub blobs: u64,
    pub bytes: u64,
    pub manifests: u64,
    /// Problems found, one line each.
    pub problems: Vec<String>,
    /// Blobs and manifests quarantined or rows removed (`--repair`).
    pub repaired: u64,
}

enum BlobState {
    Good,
    Missing,
    Damaged(String),
}

fn check_blob(path: &Path, digest: &Digest, size: u64) -> Result<BlobState> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BlobState::Missing),
        Err(e) => return Err(io_err("opening", path)(e)),
    };
    let on_disk = file.metadata().map_err(io_err("reading", path))?.len();
    if on_disk != size {
        return Ok(BlobState::Damaged(format!(
            "{on_disk} bytes on disk, {size} in the store"
        )));
    }
    let mut reader = io::BufReader::with_capacity(1 << 20, file);
    let mut hasher = Hasher::new(digest.algorithm());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).map_err(io_err("reading", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    if &hasher.finish() != digest {
        return Ok(BlobState::Damaged(
            "its bytes do not match its digest".into(),
        ));
    }
    Ok(BlobState::Good)
}

fn quarantine_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.{}", now_ms()))
}

/// Check everything in `data_dir`; repair when asked.
pub fn run(conn: &mut Connection, data_dir: &Path, repair: bool) -> Result<Report> {
    let files = Files::open(data_dir)?;
    let quarantine = data_dir.join(QUARANTINE_DIR);
    if repair {
        store::create_private_dir(&quarantine)?;
    }
    let mut report = Report::default();
    let mut after = String::new();
    loop {
        let batch = rows::blobs_after(conn, &after, 1000)?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        after.clone_from(last);
        for (text, size) in batch {
            let Ok(digest) = Digest::parse(&text) else {
                report.problems.push(format!("blob {text}: not a digest"));
                continue;
            };
            let size = size.max(0).unsigned_abs();
            let path = files.blob_path(&digest);
            report.blobs += 1;
            report.bytes += size;
            let state = check_blob(&path, &digest, size)?;
            let what = match &state {
                BlobState::Good => continue,
                BlobState::Missing => "its file is missing".to_owned(),
                BlobState::Damaged(why) => why.clone(),
            };
            report.problems.push(format!("blob {text}: {what}"));
            if !repair {
                continue;
            }
            let target = quarantine_path(
                &quarantine,
                &format!("{}-{}", digest.algorithm().as_str(), digest.hex()),
            );
            store::write(conn, |tx| {
                if let BlobState::Damaged(_) = state {
                    match fs::rename(&path, &target) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => {
                            return Err(io_err("quarantining", &path)(e))
                        }
                        _ => {}
                    }
                }
                rows::forget_blob(tx, &text)?;
                Ok(())
            })?;
            report.repaired += 1;
        }
    }
    check_manifests(conn, &quarantine, repair, &mut report)?;
    Ok(report)
}

fn check_manifests(
    conn: &mut Connection,
    quarantine: &Path,
    repair: bool,
    report: &mut Report,
) -> Result<()> {
    let mut last_id = 0i64;
    loop {
        let batch: Vec<(i64, String, String, Vec<u8>)> = {
            let mut stmt = conn.prepare(
                "SELECT m.id, r.full_path, m.digest, m.content FROM manifests m
                   JOIN repositories r ON r.id = m.repository_id
                  WHERE m.id > ?1 ORDER BY m.id LIMIT 200",
            )?;
            let rows = stmt.query_map([last_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some((id, ..)) = batch.last() else {
            return Ok(());
        };
        last_id = *id;
        for (id, repo, text, content) in batch {
            report.manifests += 1;
            let good = Digest::parse(&text).is_ok_and(|d| {
                let mut h = Hasher::new(d.algorithm());
                h.update(&content);
                h.finish() == d
            });
            if !good {
                report.problems.push(format!(
                    "manifest {repo}@{text}: its bytes do not match its digest"
                ));
                if repair {
                    let target = quarantine_path(quarantine, &format!("manifest-{id}"));
                    fs::write(&target, &content).map_err(io_err("quarantining", &target))?;
                    store::write(conn, |tx| {
                        tx.execute("DELETE FROM manifests WHERE id = ?1", [id])?;
                        Ok(())
                    })?;
                    report.repaired += 1;
                }
                continue;
            }
            let missing: Vec<(String, String)> = {
                let mut stmt = conn.prepare_cached(
                    "SELECT r.digest, r.kind FROM manifest_references r
                       JOIN manifests m ON m.id = r.manifest_id
                      WHERE r.manifest_id = ?1 AND CASE r.kind
                        WHEN 'blob' THEN NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = r.digest)
                        ELSE NOT EXISTS (SELECT 1 FROM manifests c
                              WHERE c.repository_id = m.repository_id AND c.digest = r.digest) END",
                )?;
                let rows = stmt.query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for (digest, kind) in missing {
                report.problems.push(format!(
                    "manifest {repo}@{text}: references the missing {kind} {digest} (push it again)"
                ));
            }
        }
    }
}
