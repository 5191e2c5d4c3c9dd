//! Crash loop for registry operations (issue 15): the real `berth` binary is killed with
//! SIGKILL during a garbage-collection pass (`berth admin gc`, and the server's own periodic
//! pass) and during a backup (`berth admin backup`), for several rounds of pushes and deletes.
//! After every round the next start must be sound and every remaining image must pull
//! byte-identical (and a deleted one must not); at the end a pass and fsck finish cleanly, and
//! a backup made after all those kills restores, verifies and serves every image.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{basic, process};
use sha2::{Digest as _, Sha256};

const ADMIN_PASSWORD: &str = "admin-pass-123";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const ROUNDS: usize = 5;

/// A small deterministic generator (xorshift), seeded per run and printed, so a failing run
/// can be repeated with `BERTH_CRASH_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn auth() -> String {
    basic("admin", ADMIN_PASSWORD)
}

fn send(method: &str, url: &str, ctype: &str, body: &[u8]) -> u16 {
    let mut req = ureq::request(method, url)
        .timeout(Duration::from_secs(60))
        .set("Authorization", &auth());
    if !ctype.is_empty() {
        req = req.set("Content-Type", ctype);
    }
    let sent = if body.is_empty() {
        req.call()
    } else {
        req.send_bytes(body)
    };
    match sent {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

fn fetch(url: &str) -> (u16, Vec<u8>) {
    let resp = match ureq::get(url)
        .timeout(Duration::from_secs(60))
        .set("Authorization", &auth())
        .set("Accept", MANIFEST)
        .call()
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {url}: {e}"),
    };
    let status = resp.status();
    let mut body = Vec::new();
    resp.into_reader()
        .read_to_end(&mut body)
        .unwrap_or_else(|e| panic!("GET {url}: body broke off: {e}"));
    (status, body)
}

fn push_blob(base: &str, repo: &str, bytes: &[u8]) {
    let url = format!("{base}/v2/{repo}/blobs/uploads/?digest={}", sha(bytes));
    assert_eq!(send("POST", &url, "application/octet-stream", bytes), 201);
}

struct Image {
    repo: String,
    tag: String,
    manifest: Vec<u8>,
    blobs: Vec<Vec<u8>>,
}

fn push_image(base: &str, rng: &mut Rng, repo: &str, tag: &str) -> Image {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","tag":"{tag}"}}"#).into_bytes();
    let layers = [rng.bytes(64 * 1024), rng.bytes(16 * 1024)];
    let m = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(&config), "size": config.len()},
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": sha(l), "size": l.len()})).collect::<Vec<_>>(),
    });
    let mut blobs = vec![config];
    blobs.extend(layers);
    for b in &blobs {
        push_blob(base, repo, b);
    }
    let manifest = serde_json::to_vec(&m).unwrap();
    let url = format!("{base}/v2/{repo}/manifests/{tag}");
    assert_eq!(send("PUT", &url, MANIFEST, &manifest), 201);
    Image {
        repo: repo.to_owned(),
        tag: tag.to_owned(),
        manifest,
        blobs,
    }
}

/// Every live image pulls byte-identical; every deleted one is gone by digest.
fn check(base: &str, live: &[Image], deleted: &[Image], when: &str) {
    for img in live {
        let (status, body) = fetch(&format!("{base}/v2/{}/manifests/{}", img.repo, img.tag));
        assert_eq!(status, 200, "{when}: {}:{}", img.repo, img.tag);
        assert_eq!(
            body, img.manifest,
            "{when}: {}:{} manifest",
            img.repo, img.tag
        );
        for b in &img.blobs {
            let (status, body) = fetch(&format!("{base}/v2/{}/blobs/{}", img.repo, sha(b)));
            assert_eq!(status, 200, "{when}: blob of {}:{}", img.repo, img.tag);
            assert!(body == *b, "{when}: blob bytes of {}:{}", img.repo, img.tag);
        }
    }
    for img in deleted {
        let url = format!("{base}/v2/{}/manifests/{}", img.repo, sha(&img.manifest));
        assert_eq!(
            fetch(&url).0,
            404,
            "{when}: deleted {}:{}",
            img.repo,
            img.tag
        );
    }
}

fn admin_child(data: &Path, args: &[&str]) -> Child {
    Command::new(process::BIN)
        .arg("admin")
        .args(args)
        .env("BERTH_DATA_DIR", data)
        .env("BERTH_BCRYPT_COST", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn berth admin")
}

/// Let `child` run for `ms` milliseconds, then SIGKILL it (when it has not finished).
fn kill_after(mut child: Child, ms: u64) -> bool {
    std::thread::sleep(Duration::from_millis(ms));
    let finished = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill();
    let _ = child.wait();
    !finished
}

fn sigkill(mut server: process::Running) {
    let _ = server.child.kill();
    let _ = server.child.wait();
}

fn serve(data: &Path, gc_interval: &str) -> process::Running {
    process::start(
        data,
        &[
            ("BERTH_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("BERTH_GC_INTERVAL_SECS", gc_interval),
            ("BERTH_GC_GRACE_SECS", "0"),
        ],
    )
}

fn must(out: std::process::Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn killed_during_gc_and_backup_the_next_start_is_sound_and_every_image_pulls() {
    let seed = std::env::var("BERTH_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("registry crash loop: BERTH_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("backups/berth.db");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let file_arg = file.to_str().unwrap().to_owned();
    let mut live: Vec<Image> = Vec::new();
    let mut deleted: Vec<Image> = Vec::new();
    let (mut gc_kills, mut backup_kills, mut server_kills) = (0, 0, 0);
    let mut mid_removal = 0;

    for round in 0..ROUNDS {
        // Pushes (collection off while they run: with no grace period a pass could take a
        // blob a push has uploaded and not yet referenced, which is the grace period's job).
        let server = serve(&data, "0");
        let base = server.base.clone();
        for i in 0..2 {
            let repo = format!("admin/app{}", i % 2);
            live.push(push_image(&base, &mut rng, &repo, &format!("r{round}-{i}")));
        }
        for _ in 0..150 {
            push_blob(&base, "admin/junk", &rng.bytes(2048));
        }
        if live.len() > 3 {
            let gone = live.remove(rng.below(live.len() as u64 - 1) as usize);
            let url = format!("{base}/v2/{}/manifests/{}", gone.repo, sha(&gone.manifest));
            assert_eq!(send("DELETE", &url, "", b""), 202);
            deleted.push(gone);
        }
        // A pass of `berth admin gc`, killed part-way, while the server serves.
        let gc = admin_child(&data, &["gc", "--gc-grace-secs", "0"]);
        if kill_after(gc, rng.below(150)) {
            gc_kills += 1;
            // Files in the trash: killed in the middle of removing blobs.
            if std::fs::read_dir(data.join("gc-trash")).is_ok_and(|mut d| d.next().is_some()) {
                mid_removal += 1;
            }
        }
        check(
            &base,
            &live,
            &deleted,
            &format!("round {round}, after a killed gc"),
        );
        // A backup, killed part-way.
        let backup = admin_child(&data, &["backup", &file_arg]);
        if kill_after(backup, rng.below(200)) {
            backup_kills += 1;
        }
        check(
            &base,
            &live,
            &deleted,
            &format!("round {round}, after a killed backup"),
        );
        // The server itself, killed (SIGKILL) while its own passes run every second.
        sigkill(server);
        let server = serve(&data, "1");
        std::thread::sleep(Duration::from_millis(500 + rng.below(1500)));
        sigkill(server);
        server_kills += 1;
        // The next start is sound and serves every image.
        let server = serve(&data, "0");
        check(
            &server.base,
            &live,
            &deleted,
            &format!("round {round}, after restarts"),
        );
        let (code, log) = process::terminate(server);
        assert_eq!(code, 0, "{log}");
    }
    eprintln!(
        "registry crash loop: {ROUNDS} rounds, {gc_kills} gc pass(es) ({mid_removal} while removing blob files), {backup_kills} backup(s) and {server_kills} server(s) killed"
    );

    // The next pass finishes the job, and nothing is left damaged or in the trash.
    let server = serve(&data, "0");
    let out = must(
        process::admin(&data, &["gc", "--gc-grace-secs", "0"]),
        "final gc",
    );
    assert!(out.starts_with("gc: removed"), "{out}");
    let again = must(
        process::admin(&data, &["gc", "--gc-grace-secs", "0"]),
        "second gc",
    );
    assert!(
        again.starts_with("gc: removed 0 blob(s) (0 bytes)"),
        "{again}"
    );
    check(&server.base, &live, &deleted, "after the final gc");
    let (code, log) = process::terminate(server);
    assert_eq!(code, 0, "{log}");
    let trash = std::fs::read_dir(data.join("gc-trash")).map_or(0, |d| d.count());
    assert_eq!(trash, 0, "gc-trash is empty");
    let fsck = must(process::admin(&data, &["fsck"]), "fsck");
    assert!(fsck.contains(": 0 problem(s)"), "{fsck}");

    // A backup to the same file after all the killed ones restores and verifies every blob.
    let out = must(process::admin(&data, &["backup", &file_arg]), "backup");
    assert!(out.contains("integrity ok"), "{out}");
    let restored = dir.path().join("restored");
    let out = must(
        process::admin(&restored, &["restore", &file_arg]),
        "restore",
    );
    assert!(out.contains("blobs verified"), "{out}");
    let server = serve(&restored, "0");
    check(&server.base, &live, &deleted, "restored");
    let (code, log) = process::terminate(server);
    assert_eq!(code, 0, "{log}");
}
