//! Crash safety of the registry (issue 14): the real `berth` binary is killed with SIGKILL
//! while several clients push images (chunked and monolithic blob uploads, manifests by tag)
//! and leave uploads half done, then restarted on the same data folder. After every restart:
//!
//! - every manifest whose `PUT` was acknowledged (201) pulls back by its tag, byte for byte,
//!   with its digest, and so does every blob it references;
//! - no blob file differs from its digest (a file appears only whole and verified);
//! - every upload session left is resumable: its file holds exactly the bytes acknowledged,
//!   and a session whose `PATCH` was acknowledged goes on from there to a 201; no upload file
//!   is left without its session.

mod common;

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest as _, Sha256};

use common::basic;
use common::process::{self, Running};

const PASSWORD: &str = "crash-admin-password";

fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// (status, headers we need, body); `None` when the server went away.
struct Got {
    status: u16,
    location: Option<String>,
    range: Option<String>,
    digest: Option<String>,
    body: Vec<u8>,
}

fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Option<Got> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut req = agent
        .request(method, url)
        .set("Authorization", &basic("admin", PASSWORD));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(_) => return None,
    };
    let got = |h: &str| resp.header(h).map(str::to_owned);
    let (status, location, range, digest) = (
        resp.status(),
        got("location"),
        got("range"),
        got("docker-content-digest"),
    );
    let mut body = Vec::new();
    resp.into_reader().read_to_end(&mut body).ok()?;
    Some(Got {
        status,
        location,
        range,
        digest,
        body,
    })
}

/// An acknowledged push: repository, tag, manifest bytes, and the blobs it references.
#[derive(Clone)]
struct Pushed {
    repo: String,
    tag: String,
    manifest: Vec<u8>,
    blobs: Vec<String>,
}

/// An upload left half done: its session URL, all its bytes, and how many were
/// acknowledged by a 202.
#[derive(Clone)]
struct HalfDone {
    location: String,
    bytes: Vec<u8>,
    acknowledged: usize,
}

#[derive(Default)]
struct Seen {
    pushed: Vec<Pushed>,
    half: Vec<HalfDone>,
}

/// Upload `bytes` as a session in two chunks; `None` unless it reached its 201.
fn chunked(base: &str, repo: &str, bytes: &[u8]) -> Option<String> {
    let digest = sha256(bytes);
    let start = send(
        "POST",
        &format!("{base}/v2/{repo}/blobs/uploads/"),
        &[],
        None,
    )?;
    let location = start.location.filter(|_| start.status == 202)?;
    let cut = bytes.len() / 2;
    let range = format!("0-{}", cut - 1);
    let first = send(
        "PATCH",
        &format!("{base}{location}"),
        &[("Content-Range", &range)],
        Some(&bytes[..cut]),
    )?;
    if first.status != 202 {
        return None;
    }
    let range = format!("{cut}-{}", bytes.len() - 1);
    let done = send(
        "PUT",
        &format!("{base}{location}?digest={digest}"),
        &[("Content-Range", &range)],
        Some(&bytes[cut..]),
    )?;
    (done.status == 201).then_some(digest)
}

fn monolithic(base: &str, repo: &str, bytes: &[u8]) -> Option<String> {
    let digest = sha256(bytes);
    let r = send(
        "POST",
        &format!("{base}/v2/{repo}/blobs/uploads/?digest={digest}"),
        &[],
        Some(bytes),
    )?;
    (r.status == 201).then_some(digest)
}

/// Push images to `repo` until the server goes away, each followed by an upload left half
/// done.
fn client(base: String, repo: String, seed: u64, seen: Arc<Mutex<Seen>>, stop: Arc<AtomicBool>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let size = rng.random_range(32 * 1024..768 * 1024);
        let layer: Vec<u8> = (0..size).map(|_| rng.random()).collect();
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"n":"{seed}-{n}"}}"#
        )
        .into_bytes();
        let Some(l) = chunked(&base, &repo, &layer) else {
            return;
        };
        let Some(c) = monolithic(&base, &repo, &config) else {
            return;
        };
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": c, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": l, "size": layer.len()}],
        })
        .to_string()
        .into_bytes();
        let tag = format!("t{seed}-{n}");
        let Some(put) = send(
            "PUT",
            &format!("{base}/v2/{repo}/manifests/{tag}"),
            &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
            Some(&manifest),
        ) else {
            return;
        };
        if put.status != 201 {
            return;
        }
        seen.lock().unwrap().pushed.push(Pushed {
            repo: repo.clone(),
            tag,
            manifest,
            blobs: vec![c, l],
        });
        {
            let bytes: Vec<u8> = (0..rng.random_range(1024..256 * 1024))
                .map(|_| rng.random())
                .collect();
            let Some(start) = send(
                "POST",
                &format!("{base}/v2/{repo}/blobs/uploads/"),
                &[],
                None,
            ) else {
                return;
            };
            let Some(location) = start.location else {
                return;
            };
            let cut = bytes.len() / 3;
            let mut half = HalfDone {
                location: location.clone(),
                bytes: bytes.clone(),
                acknowledged: 0,
            };
            if let Some(r) = send(
                "PATCH",
                &format!("{base}{location}"),
                &[],
                Some(&bytes[..cut]),
            ) {
                if r.status == 202 {
                    half.acknowledged = cut;
                }
            }
            seen.lock().unwrap().half.push(half);
        }
    }
}

/// Every blob file's name is its content's digest.
fn check_blob_files(data: &Path) -> usize {
    let mut checked = 0;
    let root = data.join("blobs").join("sha256");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return 0;
    };
    for dir in dirs {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            assert_eq!(
                sha256(&bytes),
                format!("sha256:{name}"),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    checked
}

/// Upload files and sessions agree: each file has its row, holding exactly the bytes the
/// row acknowledges.
fn check_uploads(data: &Path) {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("berth.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn.prepare("SELECT id, size FROM uploads").unwrap();
    let rows: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let files: Vec<String> = std::fs::read_dir(data.join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_owned())
        .collect();
    for f in &files {
        let row = rows.iter().find(|(id, _)| id == f);
        let (_, size) = row.unwrap_or_else(|| panic!("upload file {f} without its session"));
        let len = std::fs::metadata(data.join("uploads").join(f))
            .unwrap()
            .len();
        assert_eq!(len as i64, *size, "upload {f}");
    }
    for (id, _) in &rows {
        assert!(files.contains(id), "session {id} without its file");
    }
}

fn check_pushed(base: &str, pushed: &[Pushed]) {
    for p in pushed {
        let r = send(
            "GET",
            &format!("{base}/v2/{}/manifests/{}", p.repo, p.tag),
            &[],
            None,
        )
        .expect("server up");
        assert_eq!(r.status, 200, "{}:{}", p.repo, p.tag);
        assert_eq!(r.body, p.manifest, "{}:{}", p.repo, p.tag);
        assert_eq!(r.digest.as_deref(), Some(sha256(&p.manifest).as_str()));
        for b in &p.blobs {
            let r = send("GET", &format!("{base}/v2/{}/blobs/{b}", p.repo), &[], None)
                .expect("server up");
            assert_eq!(r.status, 200, "{b}");
            assert_eq!(&sha256(&r.body), b);
        }
    }
}

/// Sessions whose first chunk was acknowledged go on where they stood.
fn resume(base: &str, half: &[HalfDone]) -> usize {
    let mut resumed = 0;
    for h in half.iter().filter(|h| h.acknowledged > 0) {
        let url = format!("{base}{}", h.location);
        let status = send("GET", &url, &[], None).expect("server up");
        assert_eq!(status.status, 204, "{}", h.location);
        let expected = format!("0-{}", h.acknowledged - 1);
        assert_eq!(status.range.as_deref(), Some(expected.as_str()));
        let digest = sha256(&h.bytes);
        let done = send(
            "PUT",
            &format!("{url}?digest={digest}"),
            &[],
            Some(&h.bytes[h.acknowledged..]),
        )
        .expect("server up");
        assert_eq!(done.status, 201, "{}", String::from_utf8_lossy(&done.body));
        resumed += 1;
    }
    resumed
}

/// A running server that is killed if the test fails before it stops it.
struct Server(Option<Running>);

impl Server {
    fn base(&self) -> String {
        self.0.as_ref().map(|r| r.base.clone()).unwrap_or_default()
    }

    fn sigkill(mut self) {
        if let Some(mut r) = self.0.take() {
            r.child.kill().unwrap();
            r.child.wait().unwrap();
        }
    }

    /// SIGTERM, and the exit code.
    fn stop(mut self) -> i32 {
        let r = self.0.take().expect("running");
        process::terminate(r).0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut r) = self.0.take() {
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
    }
}

fn start(data: &Path) -> Server {
    Server(Some(process::start(
        data,
        &[("BERTH_ADMIN_PASSWORD", PASSWORD)],
    )))
}

#[test]
fn acknowledged_pushes_survive_sigkill_and_uploads_stay_resumable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut rng = StdRng::seed_from_u64(14);
    let (mut resumed, mut kills) = (0, 0);
    for round in 0..4u64 {
        let server = start(&data);
        // What was acknowledged before is all there.
        let (pushed, half) = {
            let mut s = seen.lock().unwrap();
            (s.pushed.clone(), std::mem::take(&mut s.half))
        };
        check_uploads(&data);
        check_pushed(&server.base(), &pushed);
        resumed += resume(&server.base(), &half);
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..4)
            .map(|i| {
                let (base, seen, stop) = (server.base(), seen.clone(), stop.clone());
                let repo = format!("admin/crash{i}");
                std::thread::spawn(move || client(base, repo, round * 10 + i, seen, stop))
            })
            .collect();
        // Kill at a random moment once this round has acknowledged a few pushes (however
        // slow the machine), so that every round has something to lose.
        let before = pushed.len();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while seen.lock().unwrap().pushed.len() < before + 2 && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..600)));
        server.sigkill();
        kills += 1;
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().unwrap();
        }
        // The data folder as the kill left it, before a start puts anything right.
        check_blob_files(&data);
    }
    let server = start(&data);
    let (pushed, half) = {
        let mut s = seen.lock().unwrap();
        (s.pushed.clone(), std::mem::take(&mut s.half))
    };
    check_pushed(&server.base(), &pushed);
    check_uploads(&data);
    resumed += resume(&server.base(), &half);
    let files = check_blob_files(&data);
    eprintln!(
        "registry crash: {kills} kills, {} acknowledged pushes, {resumed} uploads resumed, {files} blob files checked",
        pushed.len()
    );
    assert!(pushed.len() >= 8, "too few pushes to mean anything");
    assert!(resumed > 0, "no interrupted upload was resumed");
    assert_eq!(server.stop(), 0);
}

/// A small tmpfs for a data folder, unmounted when dropped; `None` where this machine does
/// not let the test mount one (not root, no tmpfs).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_full_disk_is_a_507_that_stores_nothing_and_the_next_push_works() {
    let Some(disk) = SmallDisk::mount(3 << 20) else {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the full-disk test did not run"
        );
        return;
    };
    let data = disk.dir.path().join("data");
    let server = start(&data);
    let base = server.base();
    let octets = [("Content-Type", "application/octet-stream")];
    let big: Vec<u8> = (0..4_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let digest = sha256(&big);
    let mono = send(
        "POST",
        &format!("{base}/v2/admin/full/blobs/uploads/?digest={digest}"),
        &octets,
        Some(&big),
    )
    .expect("answer");
    assert_eq!(mono.status, 507, "{}", String::from_utf8_lossy(&mono.body));
    let body: serde_json::Value = serde_json::from_slice(&mono.body).unwrap();
    assert_eq!(body["errors"][0]["code"], "INSUFFICIENT_STORAGE");
    // A session keeps what it had acknowledged (nothing), and goes on.
    let start = send(
        "POST",
        &format!("{base}/v2/admin/full/blobs/uploads/"),
        &[],
        None,
    )
    .unwrap();
    let location = start.location.unwrap();
    let patch = send("PATCH", &format!("{base}{location}"), &octets, Some(&big)).unwrap();
    assert_eq!(patch.status, 507);
    let status = send("GET", &format!("{base}{location}"), &[], None).unwrap();
    assert_eq!((status.status, status.range.as_deref()), (204, Some("0-0")));
    let got = send(
        "GET",
        &format!("{base}/v2/admin/full/blobs/{digest}"),
        &[],
        None,
    )
    .unwrap();
    assert_eq!(got.status, 404);
    assert_eq!(check_blob_files(&data), 0);
    for entry in std::fs::read_dir(data.join("uploads")).unwrap() {
        assert_eq!(
            entry.unwrap().metadata().unwrap().len(),
            0,
            "bytes left behind"
        );
    }
    // The next push that fits works.
    let small = b"fits on the disk";
    let done = send(
        "PUT",
        &format!("{base}{location}?digest={}", sha256(small)),
        &octets,
        Some(small),
    )
    .unwrap();
    assert_eq!(done.status, 201);
    assert_eq!(server.stop(), 0);
}
