//! A backup onto a full disk (issue 15, "Bad input and faults"): `berth admin backup` fails
//! with a clear error, leaves no backup file and no blob under its final name that is not its
//! digest, and the server it ran beside keeps serving reads. The target is a small tmpfs, so
//! the test needs root (CI runs as root); elsewhere it says SKIPPED and checks nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{basic, process};
use sha2::{Digest, Sha256};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A tmpfs of `bytes`, unmounted when dropped; `None` where it cannot be mounted.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn a_backup_onto_a_full_disk_fails_clearly_leaves_nothing_half_made_and_reads_go_on() {
    let Some(disk) = SmallDisk::mount(2 << 20) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root); the full-disk backup test did not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = process::start(&data, &[("BERTH_ADMIN_PASSWORD", "admin-pass-123")]);
    let admin = basic("admin", "admin-pass-123");
    let send = |method: &str, path: &str, ctype: &str, body: &[u8]| {
        ureq::request(method, &format!("{}{path}", server.base))
            .set("Authorization", &admin)
            .set("Content-Type", ctype)
            .send_bytes(body)
            .map(|r| r.status())
            .unwrap_or_else(|e| match e {
                ureq::Error::Status(s, _) => s,
                e => panic!("{method} {path}: {e}"),
            })
    };
    // A layer larger than the whole target disk, and a small config.
    let layer: Vec<u8> = (0..(3u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    for blob in [&layer[..], &config[..]] {
        let path = format!("/v2/admin/app/blobs/uploads/?digest={}", sha(blob));
        assert_eq!(send("POST", &path, "application/octet-stream", blob), 201);
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha(&layer), "size": layer.len()}],
    })
    .to_string();
    assert_eq!(
        send(
            "PUT",
            "/v2/admin/app/manifests/v1",
            MANIFEST,
            manifest.as_bytes()
        ),
        201
    );

    let file = disk.path().join("berth.db");
    let out = process::admin(&data, &["backup", file.to_str().unwrap()]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success(),
        "a backup onto a full disk succeeded: {said}"
    );
    let lower = said.to_lowercase();
    assert!(
        lower.contains("no space") || lower.contains("full"),
        "the error does not say the disk is full: {said}"
    );
    assert!(!file.exists(), "a backup file was left: {said}");
    // Whatever was copied before the disk filled is either its digest under its final name,
    // or a temporary file nothing names.
    for f in files(&disk.path().join("berth.db.blobs")) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            let bytes = std::fs::read(&f).unwrap();
            assert_eq!(
                sha(&bytes),
                format!("sha256:{name}"),
                "{} is not its digest",
                f.display()
            );
        }
    }

    // The server it ran beside still serves reads.
    let get = |path: &str, accept: &str| {
        ureq::get(&format!("{}{path}", server.base))
            .set("Authorization", &admin)
            .set("Accept", accept)
            .call()
            .map(|r| {
                let mut body = Vec::new();
                let status = r.status();
                std::io::Read::read_to_end(&mut r.into_reader(), &mut body).unwrap();
                (status, body)
            })
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    };
    assert_eq!(
        get("/v2/admin/app/manifests/v1", MANIFEST),
        (200, manifest.into_bytes())
    );
    assert_eq!(
        get(&format!("/v2/admin/app/blobs/{}", sha(&layer)), "*/*"),
        (200, layer)
    );
    let (code, log) = process::terminate(server);
    assert_eq!(code, 0, "{log}");
}
