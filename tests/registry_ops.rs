//! Registry operations (issue 15): garbage collection while Berth serves, integrity checks
//! and what a pull of a damaged blob gets, over HTTP and through the binary.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{basic, process, TestApp, PASSWORD};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use berth::ops::gc::{self, Options};

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn auth(user: &str) -> String {
    basic(user, PASSWORD)
}

/// A raw request with a binary body: status and body bytes (`None` when the transfer broke).
fn raw(
    method: &str,
    url: &str,
    user: &str,
    ctype: Option<&str>,
    body: &[u8],
) -> (u16, Option<Vec<u8>>) {
    let mut req = ureq::request(method, url)
        .timeout(Duration::from_secs(60))
        .set("Authorization", &auth(user));
    if let Some(c) = ctype {
        req = req.set("Content-Type", c);
    }
    let resp = match if body.is_empty() && method == "GET" {
        req.call()
    } else {
        req.send_bytes(body)
    } {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let mut out = Vec::new();
    let read = resp.into_reader().read_to_end(&mut out);
    (status, read.ok().map(|_| out))
}

fn push_blob(base: &str, user: &str, repo: &str, bytes: &[u8]) -> String {
    let digest = sha(bytes);
    let (status, _) = raw(
        "POST",
        &format!("{base}/v2/{repo}/blobs/uploads/?digest={digest}"),
        user,
        Some("application/octet-stream"),
        bytes,
    );
    assert_eq!(status, 201, "blob push to {repo}");
    digest
}

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// An image: its manifest bytes and its blobs (config first).
struct Image {
    manifest: Vec<u8>,
    blobs: Vec<Vec<u8>>,
}

fn image(config: &str, layers: &[&[u8]], subject: Option<(&str, usize)>) -> Image {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","c":"{config}"}}"#).into_bytes();
    let mut m = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(&config), "size": config.len()},
        "layers": layers.iter().map(|l| json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": sha(l), "size": l.len()})).collect::<Vec<_>>(),
    });
    if let Some((digest, size)) = subject {
        m["subject"] = json!({"mediaType": MANIFEST, "digest": digest, "size": size});
    }
    let mut blobs = vec![config];
    blobs.extend(layers.iter().map(|l| l.to_vec()));
    Image {
        manifest: serde_json::to_vec(&m).unwrap(),
        blobs,
    }
}

/// Push an image's blobs and its manifest under `reference`; its digest.
fn push(base: &str, user: &str, repo: &str, img: &Image, reference: &str) -> String {
    for b in &img.blobs {
        push_blob(base, user, repo, b);
    }
    let (status, body) = raw(
        "PUT",
        &format!("{base}/v2/{repo}/manifests/{reference}"),
        user,
        Some(MANIFEST),
        &img.manifest,
    );
    assert_eq!(
        status,
        201,
        "manifest push: {}",
        String::from_utf8_lossy(&body.unwrap_or_default())
    );
    sha(&img.manifest)
}

/// Pull an image by `reference` and check every byte against what was pushed.
fn assert_pulls(base: &str, user: &str, repo: &str, img: &Image, reference: &str) {
    let (status, body) = raw(
        "GET",
        &format!("{base}/v2/{repo}/manifests/{reference}"),
        user,
        None,
        b"",
    );
    assert_eq!(status, 200, "{repo}:{reference}");
    assert_eq!(body.unwrap(), img.manifest, "{repo}:{reference} manifest");
    for b in &img.blobs {
        let (status, body) = raw(
            "GET",
            &format!("{base}/v2/{repo}/blobs/{}", sha(b)),
            user,
            None,
            b"",
        );
        assert_eq!(status, 200, "{repo} blob");
        assert_eq!(body.as_deref(), Some(&b[..]), "{repo} blob bytes");
    }
}

fn blob_status(base: &str, user: &str, repo: &str, digest: &str) -> u16 {
    raw(
        "GET",
        &format!("{base}/v2/{repo}/blobs/{digest}"),
        user,
        None,
        b"",
    )
    .0
}

fn blob_file(data: &Path, digest: &str) -> PathBuf {
    let hex = digest.trim_start_matches("sha256:");
    data.join("blobs/sha256").join(&hex[..2]).join(hex)
}

/// Make every registry row look `secs` older (what the grace period measures).
fn age_everything(app: &TestApp, secs: i64) {
    let ms = secs * 1000;
    app.exec(&format!(
        "UPDATE blobs SET created_at = created_at - {ms};
         UPDATE repository_blobs SET created_at = created_at - {ms};
         UPDATE manifests SET created_at = created_at - {ms};
         UPDATE uploads SET updated_at = updated_at - {ms}, created_at = created_at - {ms};"
    ));
}

fn data_dir(app: &TestApp) -> PathBuf {
    app.state.config.data_dir.clone()
}

fn layer(tag: &str, n: usize) -> Vec<u8> {
    format!("{tag}-").repeat(n).into_bytes()
}

/// Push, delete, collect while another push runs: the deleted image's own blobs go (files and
/// rows, bytes reported), a blob it shared stays, and every remaining image (and the one
/// pushed during the pass) pulls byte-identical.
#[test]
fn gc_removes_what_deleted_images_left_and_every_remaining_image_pulls_byte_identical() {
    let app = TestApp::start();
    app.user("alice");
    let base = app.base.clone();
    let shared = layer("shared", 5000);
    let own_a = layer("only-a", 7000);
    let a = image("a", &[&shared, &own_a], None);
    let b = image("b", &[&shared, &layer("only-b", 3000)], None);
    let da = push(&base, "alice", "alice/app", &a, "v1");
    push(&base, "alice", "alice/app", &b, "v2");
    let (status, _) = raw(
        "DELETE",
        &format!("{base}/v2/alice/app/manifests/{da}"),
        "alice",
        None,
        b"",
    );
    assert_eq!(status, 202);
    age_everything(&app, 7200);

    // A push while the pass runs: its blobs are young, so the pass leaves them alone.
    let c = image("c", &[&layer("only-c", 4000)], None);
    let pusher = {
        let base = base.clone();
        let c_manifest = c.manifest.clone();
        let c_blobs = c.blobs.clone();
        std::thread::spawn(move || {
            let img = Image {
                manifest: c_manifest,
                blobs: c_blobs,
            };
            for i in 0..5 {
                push(&base, "alice", "alice/app", &img, &format!("c{i}"));
            }
        })
    };
    let mut conn = app.conn();
    let report = gc::run(&mut conn, &data_dir(&app), &Options::default()).unwrap();
    pusher.join().unwrap();
    let a_config = sha(&a.blobs[0]);
    assert_eq!(report.blobs, 2, "{report:?}");
    assert_eq!(report.blob_bytes, (a.blobs[0].len() + own_a.len()) as u64);
    assert_eq!(
        report.untagged_manifests, 0,
        "untagged manifests are kept by default"
    );
    for gone in [&a_config, &sha(&own_a)] {
        assert!(!blob_file(&data_dir(&app), gone).exists());
        assert_eq!(blob_status(&base, "alice", "alice/app", gone), 404);
    }
    assert_pulls(&base, "alice", "alice/app", &b, "v2");
    for i in 0..5 {
        assert_pulls(&base, "alice", "alice/app", &c, &format!("c{i}"));
    }
    // A second pass finds nothing more; the trash is empty.
    let again = gc::run(&mut conn, &data_dir(&app), &Options::default()).unwrap();
    assert_eq!(again.blobs, 0, "{again:?}");
    assert_eq!(
        std::fs::read_dir(data_dir(&app).join(gc::TRASH_DIR))
            .unwrap()
            .count(),
        0
    );
}

/// A dry run reports what a pass would remove and removes nothing.
#[test]
fn a_dry_run_reports_the_same_and_removes_nothing() {
    let app = TestApp::start();
    app.user("alice");
    let a = image("a", &[&layer("dry", 100)], None);
    let da = push(&app.base, "alice", "alice/app", &a, "v1");
    raw(
        "DELETE",
        &format!("{}/v2/alice/app/manifests/{da}", app.base),
        "alice",
        None,
        b"",
    );
    age_everything(&app, 7200);
    let mut conn = app.conn();
    let dry = Options {
        dry_run: true,
        ..Options::default()
    };
    let would = gc::run(&mut conn, &data_dir(&app), &dry).unwrap();
    assert_eq!(would.blobs, 2);
    assert_eq!(would.links, 2);
    for blob in &a.blobs {
        assert!(blob_file(&data_dir(&app), &sha(blob)).exists());
        assert_eq!(
            blob_status(&app.base, "alice", "alice/app", &sha(blob)),
            200
        );
    }
    let did = gc::run(&mut conn, &data_dir(&app), &Options::default()).unwrap();
    assert_eq!(
        (did.blobs, did.links, did.blob_bytes),
        (would.blobs, would.links, would.blob_bytes)
    );
}

/// Within the grace period an uploaded blob no manifest uses yet stays (a push in progress).
#[test]
fn young_blobs_are_kept_for_the_push_that_is_about_to_use_them() {
    let app = TestApp::start();
    app.user("alice");
    let d = push_blob(&app.base, "alice", "alice/app", b"in flight");
    let report = gc::run(&mut app.conn(), &data_dir(&app), &Options::default()).unwrap();
    assert_eq!((report.blobs, report.links), (0, 0));
    assert_eq!(blob_status(&app.base, "alice", "alice/app", &d), 200);
}

/// Untagged manifests go only when a retention asks; referrers whose subject is gone go.
#[test]
fn untagged_manifests_with_a_retention_and_orphan_referrers_are_collected() {
    let app = TestApp::start();
    app.user("alice");
    let base = app.base.clone();
    let subject = image("s", &[&layer("s", 10)], None);
    let ds = push(&base, "alice", "alice/app", &subject, "s");
    let sig = image(
        "sig",
        &[&layer("sig", 10)],
        Some((&ds, subject.manifest.len())),
    );
    let dsig = push(&base, "alice", "alice/app", &sig, &sha(&sig.manifest));
    let untagged = image("u", &[&layer("u", 10)], None);
    let du = push(
        &base,
        "alice",
        "alice/app",
        &untagged,
        &sha(&untagged.manifest),
    );
    raw(
        "DELETE",
        &format!("{base}/v2/alice/app/manifests/{ds}"),
        "alice",
        None,
        b"",
    );
    age_everything(&app, 3 * 86_400);
    let mut conn = app.conn();
    let report = gc::run(&mut conn, &data_dir(&app), &Options::default()).unwrap();
    assert_eq!(report.orphan_referrers, 1);
    assert_eq!(report.untagged_manifests, 0);
    let manifest = |d: &str| {
        raw(
            "GET",
            &format!("{base}/v2/alice/app/manifests/{d}"),
            "alice",
            None,
            b"",
        )
        .0
    };
    assert_eq!(manifest(&dsig), 404);
    assert_eq!(manifest(&du), 200, "kept without a retention");
    let with_retention = Options {
        untagged_after: Some(Duration::from_secs(86_400)),
        ..Options::default()
    };
    let report = gc::run(&mut conn, &data_dir(&app), &with_retention).unwrap();
    assert_eq!(report.untagged_manifests, 1);
    assert_eq!(manifest(&du), 404);
    assert_eq!(report.blobs, 2, "its config and layer: {report:?}");
}

/// Upload sessions idle for over an hour end (row and file); active ones stay.
#[test]
fn idle_upload_sessions_are_removed() {
    let app = TestApp::start();
    app.user("alice");
    let start = |app: &TestApp| {
        let r = app
            .post("/v2/alice/app/blobs/uploads/")
            .basic("alice", PASSWORD)
            .send();
        assert_eq!(r.status, 202);
        r.header("location").unwrap().to_owned()
    };
    let old = start(&app);
    age_everything(&app, 2 * 3600);
    let fresh = start(&app);
    let report = gc::run(&mut app.conn(), &data_dir(&app), &Options::default()).unwrap();
    assert_eq!(report.uploads, 1);
    let status = |loc: &str| app.get(loc).basic("alice", PASSWORD).send();
    let gone = status(&old);
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["errors"][0]["code"], "BLOB_UPLOAD_UNKNOWN");
    assert_eq!(status(&fresh).status, 204);
    assert_eq!(
        std::fs::read_dir(data_dir(&app).join("uploads"))
            .unwrap()
            .count(),
        1
    );
}

/// A pass a crash cut short left files in the trash: the next start (or pass) puts back the
/// ones whose rows are still there and removes the rest; blob files without a row go.
#[test]
fn a_crashed_pass_is_put_right_by_the_next() {
    let app = TestApp::start();
    app.user("alice");
    let img = image("k", &[b"kept layer"], None);
    push(&app.base, "alice", "alice/app", &img, "v1");
    let kept = sha(&img.blobs[0]);
    let data = data_dir(&app);
    let trash = data.join(gc::TRASH_DIR);
    // Moved to the trash, but the transaction that would remove the row never committed.
    std::fs::rename(blob_file(&data, &kept), trash.join(kept.replace(':', "-"))).unwrap();
    // Removed from the rows, the file not yet deleted.
    let gone = sha(b"gone blob");
    std::fs::write(trash.join(gone.replace(':', "-")), b"gone blob").unwrap();
    // A blob file whose row was never written (a crash between rename and row), old enough.
    let stray = sha(b"stray");
    let stray_path = blob_file(&data, &stray);
    std::fs::create_dir_all(stray_path.parent().unwrap()).unwrap();
    std::fs::write(&stray_path, b"stray").unwrap();
    let mut conn = app.conn();
    let report = gc::run(
        &mut conn,
        &data,
        &Options {
            grace: Duration::ZERO,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(report.recovered, 2);
    assert_eq!(report.orphan_files, 1);
    assert!(!stray_path.exists());
    assert_eq!(std::fs::read_dir(&trash).unwrap().count(), 0);
    let (status, body) = raw(
        "GET",
        &format!("{}/v2/alice/app/blobs/{kept}", app.base),
        "alice",
        None,
        b"",
    );
    assert_eq!((status, body.as_deref()), (200, Some(&img.blobs[0][..])));
    assert_pulls(&app.base, "alice", "alice/app", &img, "v1");
}

/// A bit flip or a truncation on the disk is never served whole; fsck finds both, exits
/// non-zero, and `--repair` quarantines them so a pull says `BLOB_UNKNOWN`.
#[test]
fn damaged_blobs_are_never_served_and_fsck_quarantines_them() {
    let app = TestApp::start();
    app.user("alice");
    let flipped_bytes = layer("flip", 500_000); // several read batches
    let cut_bytes = layer("cut", 1000);
    let flipped = push_blob(&app.base, "alice", "alice/app", &flipped_bytes);
    let cut = push_blob(&app.base, "alice", "alice/app", &cut_bytes);
    let data = data_dir(&app);
    let mut bytes = flipped_bytes.clone();
    let at = bytes.len() - 10;
    bytes[at] ^= 0x20;
    std::fs::write(blob_file(&data, &flipped), &bytes).unwrap();
    std::fs::write(blob_file(&data, &cut), &cut_bytes[..500]).unwrap();

    let (status, body) = raw(
        "GET",
        &format!("{}/v2/alice/app/blobs/{flipped}", app.base),
        "alice",
        None,
        b"",
    );
    assert_eq!(status, 200, "the head goes out before the damage is found");
    assert_ne!(
        body.as_deref(),
        Some(&bytes[..]),
        "the wrong bytes never arrive whole"
    );
    assert!(body.is_none(), "the transfer breaks off");
    let (status, _) = raw(
        "GET",
        &format!("{}/v2/alice/app/blobs/{cut}", app.base),
        "alice",
        None,
        b"",
    );
    assert_eq!(
        status, 500,
        "a truncated file is refused before anything is sent"
    );

    let check = process::admin(&data, &["fsck"]);
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(!check.status.success(), "{out}");
    assert!(
        out.contains(&format!(
            "blob {flipped}: its bytes do not match its digest"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("blob {cut}: 500 bytes on disk, 4000 in the store")),
        "{out}"
    );

    let repair = process::admin(&data, &["fsck", "--repair"]);
    let out = String::from_utf8_lossy(&repair.stdout);
    assert!(repair.status.success(), "{out}");
    assert!(out.contains("2 problem(s), 2 repaired"), "{out}");
    for d in [&flipped, &cut] {
        let r = app
            .get(&format!("/v2/alice/app/blobs/{d}"))
            .basic("alice", PASSWORD)
            .send();
        assert_eq!(r.status, 404);
        assert_eq!(r.json()["errors"][0]["code"], "BLOB_UNKNOWN");
        assert!(!blob_file(&data, d).exists());
    }
    assert_eq!(
        std::fs::read_dir(data.join("quarantine")).unwrap().count(),
        2
    );
    // The right bytes can be pushed again, and then they are served.
    push_blob(&app.base, "alice", "alice/app", &cut_bytes);
    assert_eq!(blob_status(&app.base, "alice", "alice/app", &cut), 200);
    let clean = process::admin(&data, &["fsck"]);
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
}

/// The binary: `berth admin gc --dry-run` and `berth admin gc` against a running server.
#[test]
fn admin_gc_runs_against_a_serving_berth_and_reports_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = process::start(&data, &[("BERTH_ADMIN_PASSWORD", "admin-pass-123")]);
    let admin = basic("admin", "admin-pass-123");
    let bytes = b"unused upload".to_vec();
    let digest = sha(&bytes);
    let resp = ureq::post(&format!(
        "{}/v2/admin/app/blobs/uploads/?digest={digest}",
        server.base
    ))
    .set("Authorization", &admin)
    .send_bytes(&bytes)
    .unwrap();
    assert_eq!(resp.status(), 201);
    let dry = process::admin(&data, &["gc", "--dry-run", "--gc-grace-secs", "0"]);
    let out = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        out.starts_with("gc: would remove 1 blob(s) (13 bytes), 1 link(s)"),
        "{out}"
    );
    assert!(blob_file(&data, &digest).exists());
    let real = process::admin(&data, &["gc", "--gc-grace-secs", "0"]);
    let out = String::from_utf8_lossy(&real.stdout);
    assert!(real.status.success(), "{out}");
    assert!(
        out.starts_with("gc: removed 1 blob(s) (13 bytes), 1 link(s)"),
        "{out}"
    );
    assert!(!blob_file(&data, &digest).exists());
    let r = process::get(
        &format!("{}/v2/admin/app/blobs/{digest}", server.base),
        Some(&admin),
    )
    .unwrap();
    assert_eq!(r.status, 404);
    let (code, log) = process::terminate(server);
    assert_eq!(code, 0, "{log}");
}

/// `berth admin backup` copies the store and every blob it names while Berth serves; a second
/// backup copies no blob again; `restore` checks every blob's digest (a damaged one refuses
/// the restore), and the restored Berth pulls the image byte-identical.
#[test]
fn backup_and_restore_carry_every_blob_incrementally_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = process::start(&data, &[("BERTH_ADMIN_PASSWORD", "admin-pass-123")]);
    let admin = basic("admin", "admin-pass-123");
    let img = image("bk", &[&layer("backed-up", 1000)], None);
    let put = |url: String, ctype: &str, body: &[u8]| {
        ureq::request(
            if url.contains("?digest=") {
                "POST"
            } else {
                "PUT"
            },
            &url,
        )
        .set("Authorization", &admin)
        .set("Content-Type", ctype)
        .send_bytes(body)
        .unwrap()
        .status()
    };
    for b in &img.blobs {
        let url = format!(
            "{}/v2/admin/app/blobs/uploads/?digest={}",
            server.base,
            sha(b)
        );
        assert_eq!(put(url, "application/octet-stream", b), 201);
    }
    let url = format!("{}/v2/admin/app/manifests/v1", server.base);
    assert_eq!(put(url, MANIFEST, &img.manifest), 201);

    let file = dir.path().join("backups/berth.db");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let first = process::admin(&data, &["backup", file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.contains("blobs: 2 copied, 0 already there"), "{out}");
    let again = process::admin(&data, &["backup", file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(out.contains("blobs: 0 copied, 2 already there"), "{out}");
    let (code, log) = process::terminate(server);
    assert_eq!(code, 0, "{log}");

    // A damaged blob in the backup refuses the restore, and nothing is left behind.
    let blobs = dir.path().join("backups/berth.db.blobs");
    let layer_path = {
        let d = sha(&img.blobs[1]);
        let hex = d.trim_start_matches("sha256:").to_owned();
        blobs.join("sha256").join(&hex[..2]).join(hex)
    };
    let good = std::fs::read(&layer_path).unwrap();
    let mut bad = good.clone();
    bad[0] ^= 1;
    std::fs::write(&layer_path, &bad).unwrap();
    let broken = dir.path().join("broken");
    let refused = process::admin(&broken, &["restore", file.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is damaged"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!broken.join("berth.db").exists());

    std::fs::write(&layer_path, &good).unwrap();
    let restored = dir.path().join("restored");
    let ok = process::admin(&restored, &["restore", file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(out.contains("2 blobs verified"), "{out}");
    let server = process::start(&restored, &[]);
    let get = |path: &str| {
        let resp = ureq::get(&format!("{}{path}", server.base))
            .set("Authorization", &admin)
            .call()
            .unwrap();
        let mut body = Vec::new();
        resp.into_reader().read_to_end(&mut body).unwrap();
        body
    };
    assert_eq!(get("/v2/admin/app/manifests/v1"), img.manifest);
    for b in &img.blobs {
        assert_eq!(&get(&format!("/v2/admin/app/blobs/{}", sha(b))), b);
    }
    let (code, log) = process::terminate(server);
    assert_eq!(code, 0, "{log}");
}
