//! The `berth` binary as an operator runs it: first start, data folder, signals, admin CLI.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::basic;
use common::process::{admin, free_port, get, start, terminate, BIN};

fn logged_password(log: &str) -> Option<String> {
    let rest = log.split("with the random password ").nth(1)?;
    Some(rest.split_whitespace().next()?.to_owned())
}

#[test]
fn first_start_bootstraps_admin_with_a_password_logged_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = start(&data, &[]);
    let base = run.base.clone();
    let log = fs::read_to_string(&run.log).unwrap();
    let password = logged_password(&log).expect("random admin password in the log");
    assert_eq!(password.len(), 24);
    let ok = get(
        &format!("{base}/v1/users"),
        Some(&basic("admin", &password)),
    )
    .unwrap();
    assert_eq!((ok.status, ok.body.as_str()), (200, "\"OK\""));
    let (code, _) = terminate(run);
    assert_eq!(code, 0);

    // A second start finds the admin and prints no password.
    let run = start(&data, &[]);
    let log = fs::read_to_string(&run.log).unwrap();
    assert_eq!(logged_password(&log), None, "{log}");
    let ok = get(
        &format!("{}/v1/users", run.base),
        Some(&basic("admin", &password)),
    )
    .unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(terminate(run).0, 0);
}

#[test]
fn admin_password_comes_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let run = start(
        &dir.path().join("data"),
        &[("BERTH_ADMIN_PASSWORD", "chosen-password")],
    );
    let log = fs::read_to_string(&run.log).unwrap();
    assert!(
        !log.contains("chosen-password"),
        "the chosen password must not be logged"
    );
    let ok = get(
        &format!("{}/v1/users", run.base),
        Some(&basic("admin", "chosen-password")),
    )
    .unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(terminate(run).0, 0);
}

#[test]
fn the_data_folder_and_its_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let run = start(&data, &[]);
    assert_eq!(terminate(run).0, 0);
    assert_eq!(
        fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for entry in fs::read_dir(&data).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode & 0o077,
            0,
            "{} has mode {mode:o}",
            entry.path().display()
        );
    }
}

#[test]
fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    // A high bcrypt cost makes one login take a while: the request is still in flight when
    // the signal arrives.
    let run = start(
        &dir.path().join("data"),
        &[
            ("BERTH_ADMIN_PASSWORD", "slow-password"),
            ("BERTH_BCRYPT_COST", "13"),
        ],
    );
    let url = format!("{}/v1/users", run.base);
    let in_flight = std::thread::spawn(move || get(&url, Some(&basic("admin", "slow-password"))));
    std::thread::sleep(Duration::from_millis(300));
    let (code, log) = terminate(run);
    let answer = in_flight
        .join()
        .unwrap()
        .expect("the in-flight request was answered");
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "\"OK\""),
        "{log}"
    );
    assert_eq!(code, 0, "{log}");
}

#[test]
fn reset_password_prints_a_new_password_that_replaces_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = start(&data, &[("BERTH_ADMIN_PASSWORD", "old-password")]);
    assert_eq!(terminate(run).0, 0);

    let out = Command::new(BIN)
        .args(["admin", "reset-password", "admin"])
        .env("BERTH_DATA_DIR", &data)
        .env("BERTH_BCRYPT_COST", "4")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_password = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(new_password.len(), 24);

    let run = start(&data, &[]);
    let url = format!("{}/v1/users", run.base);
    assert_eq!(
        get(&url, Some(&basic("admin", &new_password)))
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        get(&url, Some(&basic("admin", "old-password")))
            .unwrap()
            .status,
        401
    );
    assert_eq!(terminate(run).0, 0);

    let missing = Command::new(BIN)
        .args(["admin", "reset-password", "nobody"])
        .env("BERTH_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such account"));
}

/// Issue 12, finding 8: `berth admin reset-password` on a running server ends the user's
/// Index access tokens and web sessions at once, and the server forgets the old password
/// it had remembered within a second or so (the credential epoch), not when the cache expires.
#[test]
fn reset_password_on_a_running_server_revokes_tokens_and_the_remembered_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = start(&data, &[("BERTH_ADMIN_PASSWORD", "old-password")]);
    let old = basic("admin", "old-password");
    let users = format!("{}/v1/users", run.base);
    assert_eq!(get(&users, Some(&old)).unwrap().status, 200); // now remembered
                                                              // A write token, as `docker push` gets one.
    let pushed = ureq::put(&format!("{}/v1/repositories/admin/app/", run.base))
        .set("Authorization", &old)
        .set("X-Docker-Token", "true")
        .send_json(serde_json::json!([]))
        .expect("create-and-push");
    let token = pushed
        .header("x-docker-token")
        .expect("a write token")
        .to_owned();
    let auth =
        |token: &str| match ureq::put(&format!("{}/v1/repositories/admin/app/auth", run.base))
            .set("Authorization", &format!("Token {token}"))
            .call()
        {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{e}"),
        };

    let out = admin(&data, &["reset-password", "admin"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_password = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    assert_eq!(auth(&token), 403, "the token outlived the reset");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = 200;
    while Instant::now() < deadline && status == 200 {
        std::thread::sleep(Duration::from_millis(200));
        status = get(&users, Some(&old)).unwrap().status;
    }
    assert_eq!(status, 401, "the old password still works after the reset");
    assert_eq!(
        get(&users, Some(&basic("admin", &new_password)))
            .unwrap()
            .status,
        200
    );
    assert_eq!(terminate(run).0, 0);
}

#[test]
fn subcommand_serve_takes_flags() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path().join("d"))
        .env("BERTH_BCRYPT_COST", "4")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut up = false;
    while Instant::now() < deadline && !up {
        up =
            get(&format!("http://127.0.0.1:{port}/healthz"), None).is_some_and(|r| r.status == 200);
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(up, "berth serve --listen did not come up");
    assert_eq!(status.code(), Some(0));
    assert!(dir.path().join("d").join("berth.db").exists());
}

#[test]
fn admin_set_registration_changes_who_may_sign_up() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = start(&data, &[("BERTH_ADMIN_PASSWORD", "admin-password")]);
    assert_eq!(terminate(run).0, 0);
    let set = |mode: &str| {
        let out = Command::new(BIN)
            .args(["admin", "set", "registration", mode])
            .env("BERTH_DATA_DIR", &data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(set("open"), "registration is open\n");
    let run = start(&data, &[]);
    let post = |name: &str| {
        let body =
            format!(r#"{{"username":"{name}","password":"password-123","email":"{name}@x.io"}}"#);
        match ureq::post(&format!("{}/v1/users", run.base)).send_string(&body) {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(post("opener"), 201);
    let ok = get(
        &format!("{}/v1/users", run.base),
        Some(&basic("opener", "password-123")),
    )
    .unwrap();
    assert_eq!(ok.status, 200, "open registration gives an active account");
    assert_eq!(set("closed"), "registration is closed\n");
    // The running server reads the setting on the next request.
    assert_eq!(post("closer"), 403);
    assert_eq!(terminate(run).0, 0);

    let bad = Command::new(BIN)
        .args(["admin", "set", "registration", "sometimes"])
        .env("BERTH_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

fn post_json(url: &str, auth: &str, body: &serde_json::Value) -> Option<u16> {
    match ureq::post(url)
        .timeout(Duration::from_secs(30))
        .set("Authorization", auth)
        .send_json(body.clone())
    {
        Ok(r) => Some(r.status()),
        Err(ureq::Error::Status(code, _)) => Some(code),
        Err(_) => None,
    }
}

fn stdout_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "berth admin failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Names of the repositories `GET /api/v0/repositories/admin` lists on `base`.
fn dtr_repo_names(base: &str, auth: &str) -> std::collections::BTreeSet<String> {
    let r = get(
        &format!("{base}/api/v0/repositories/admin?limit=1000000"),
        Some(auth),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    v["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn backup_of_a_live_store_under_writes_restores_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = start(&data, &[("BERTH_ADMIN_PASSWORD", "admin-password")]);
    let auth = basic("admin", "admin-password");
    let base = run.base.clone();
    // A stored registry credential: the backup must carry the key that opens it.
    let cloud = post_json(
        &format!("{base}/api/repo/v1/repository/"),
        &auth,
        &serde_json::json!({"name": "registry.local/admin/app", "username": "robot", "password": "s3cret-pw"}),
    );
    assert_eq!(cloud, Some(201));

    // A writer creates repositories without pause while backups are taken.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writer = {
        let (stop, acked, base, auth) = (stop.clone(), acked.clone(), base.clone(), auth.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let name = format!("repo-{i}");
                let body = serde_json::json!({"name": name, "shortDescription": "x", "visibility": "public"});
                if post_json(&format!("{base}/api/v0/repositories/admin"), &auth, &body)
                    == Some(201)
                {
                    acked.lock().unwrap().push(name);
                }
                i += 1;
            }
        })
    };
    let backup = dir.path().join("backups").join("berth.db");
    fs::create_dir_all(backup.parent().unwrap()).unwrap();
    let mut rounds = Vec::new();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(300));
        let before: Vec<String> = acked.lock().unwrap().clone();
        let out = stdout_of(&admin(&data, &["backup", backup.to_str().unwrap()]));
        assert!(out.contains("integrity ok"), "{out}");
        assert!(
            out.contains("berth.db.key"),
            "the key is written beside: {out}"
        );
        rounds.push((before, fs::read(&backup).unwrap()));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(
        acked.lock().unwrap().len() > rounds[0].0.len(),
        "writes went on during the backups"
    );
    // Only the backup and its key: no temporary file left beside them.
    let mut left: Vec<String> = fs::read_dir(backup.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["berth.db", "berth.db.key"]);
    assert_eq!(
        fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(terminate(run).0, 0);

    // Each backup restores into an empty folder, and holds every write acknowledged before
    // it began.
    for (n, (before, bytes)) in rounds.iter().enumerate() {
        let file = dir.path().join(format!("round-{n}.db"));
        fs::write(&file, bytes).unwrap();
        fs::copy(
            backup.with_extension("db.key"),
            dir.path().join(format!("round-{n}.db.key")),
        )
        .unwrap();
        let restored = dir.path().join(format!("restored-{n}"));
        let out = stdout_of(&admin(&restored, &["restore", file.to_str().unwrap()]));
        assert!(out.contains("restored into"), "{out}");
        let run = start(&restored, &[]);
        let names = dtr_repo_names(&run.base, &auth);
        let missing: Vec<_> = before.iter().filter(|n| !names.contains(*n)).collect();
        assert!(missing.is_empty(), "round {n} lost {missing:?}");
        let c = get(
            &format!(
                "{}/api/repo/v1/repository/registry.local/admin/app/",
                run.base
            ),
            Some(&auth),
        )
        .unwrap();
        assert_eq!(c.status, 200, "{}", c.body);
        assert_eq!(terminate(run).0, 0);
        // The restored key opens the restored credentials: rotation decrypts every one.
        let rotated = stdout_of(&admin(&restored, &["rotate-key"]));
        assert!(rotated.starts_with("re-encrypted 1 secret"), "{rotated}");
    }
}

#[test]
fn restore_refuses_a_used_folder_a_missing_key_and_a_damaged_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = start(&data, &[("BERTH_ADMIN_PASSWORD", "admin-password")]);
    let auth = basic("admin", "admin-password");
    let cloud = post_json(
        &format!("{}/api/repo/v1/repository/", run.base),
        &auth,
        &serde_json::json!({"name": "registry.local/admin/app", "username": "robot", "password": "s3cret-pw"}),
    );
    assert_eq!(cloud, Some(201));
    assert_eq!(terminate(run).0, 0);
    let file = dir.path().join("b.db");
    stdout_of(&admin(&data, &["backup", file.to_str().unwrap()]));
    let fails = |target: &Path, file: &Path, why: &str| {
        let out = admin(target, &["restore", file.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success() && err.contains(why), "{why}: {err}");
    };
    // Into the live folder: refused, and the folder is untouched.
    let before = fs::read(data.join("berth.db")).unwrap();
    fails(&data, &file, "is not empty");
    assert_eq!(fs::read(data.join("berth.db")).unwrap(), before);
    // Without its key, credentials could never be opened again.
    let keyless = dir.path().join("keyless.db");
    fs::copy(&file, &keyless).unwrap();
    fails(&dir.path().join("r1"), &keyless, "is missing");
    // With another store's key.
    fs::write(
        dir.path().join("keyless.db.key"),
        format!("{}\n", "ab".repeat(32)),
    )
    .unwrap();
    fails(&dir.path().join("r2"), &keyless, "sealed with key");
    // A damaged copy.
    let mut bytes = fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 4096].fill(0x5a);
    let damaged = dir.path().join("damaged.db");
    fs::write(&damaged, &bytes).unwrap();
    fs::copy(
        dir.path().join("b.db.key"),
        dir.path().join("damaged.db.key"),
    )
    .unwrap();
    fails(&dir.path().join("r3"), &damaged, "");
    for r in ["r1", "r2", "r3"] {
        let p = dir.path().join(r);
        assert!(
            !p.exists() || fs::read_dir(&p).unwrap().next().is_none(),
            "a refused restore wrote into {r}"
        );
    }
    // Backing up a folder that holds no store creates nothing.
    let out = admin(&dir.path().join("nothing"), &["backup", "x.db"]);
    assert!(!out.status.success());
    assert!(!dir.path().join("nothing").exists());
}

/// The `berth::access` lines of a log, parsed.
fn access_lines(log: &str) -> Vec<serde_json::Value> {
    log.lines()
        .filter_map(|l| l.split_once("berth::access] "))
        .map(|(_, json)| serde_json::from_str(json).expect("an access line is one JSON object"))
        .collect()
}

#[test]
fn every_request_gets_one_access_line_with_its_caller_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let run = start(
        &dir.path().join("data"),
        &[("BERTH_ADMIN_PASSWORD", "admin-password-xyz")],
    );
    let base = run.base.clone();
    let auth = basic("admin", "admin-password-xyz");
    assert_eq!(
        get(&format!("{base}/api/v0/repositories/admin"), Some(&auth))
            .unwrap()
            .status,
        200
    );
    // An API key from the Alauda token login, then used as the Basic password.
    let token: serde_json::Value = ureq::post(&format!("{base}/v1/generate-api-token"))
        .send_json(serde_json::json!({"username": "admin", "password": "admin-password-xyz"}))
        .unwrap()
        .into_json()
        .unwrap();
    let key = token["token"].as_str().unwrap().to_owned();
    let with_key = basic("admin", &key);
    assert_eq!(
        get(&format!("{base}/v1/users"), Some(&with_key))
            .unwrap()
            .status,
        200
    );
    // A wrong password, an anonymous miss, a stored credential, a query string.
    let wrong = basic("admin", "wrong-password-qqq");
    assert_eq!(
        get(&format!("{base}/v1/users"), Some(&wrong))
            .unwrap()
            .status,
        401
    );
    assert_eq!(
        get(&format!("{base}/api/v0/repositories/nobody/x"), None)
            .unwrap()
            .status,
        401
    );
    let cloud = post_json(
        &format!("{base}/api/repo/v1/repository/"),
        &auth,
        &serde_json::json!({"name": "registry.local/admin/app", "username": "robot", "password": "cloud-secret-www"}),
    );
    assert_eq!(cloud, Some(201));
    assert_eq!(
        get(&format!("{base}/v1/search?q=needle-in-query"), None)
            .unwrap()
            .status,
        200
    );
    let (code, log) = terminate(run);
    assert_eq!(code, 0);

    // One line per request, besides the start-up polls of /healthz.
    let lines: Vec<_> = access_lines(&log)
        .into_iter()
        .filter(|l| l["path"] != "/healthz")
        .collect();
    assert_eq!(lines.len(), 7, "{log}");
    let line = |path: &str, status: u64| {
        lines
            .iter()
            .find(|l| l["path"] == path && l["status"] == status)
            .unwrap_or_else(|| panic!("no line for {path} {status}:\n{log}"))
            .clone()
    };
    let dtr = line("/api/v0/repositories/admin", 200);
    assert_eq!(dtr["method"], "GET");
    assert_eq!(dtr["route"], "/api/v0/repositories/{namespace}");
    assert_eq!(dtr["dialect"], "dtr");
    assert_eq!(
        (&dtr["caller"], &dtr["via"]),
        (&serde_json::json!("admin"), &serde_json::json!("password"))
    );
    assert_eq!(dtr["peer"], "127.0.0.1");
    assert!(dtr["ms"].as_f64().unwrap() >= 0.0);
    let keyed = lines
        .iter()
        .find(|l| l["path"] == "/v1/users" && l["status"] == 200)
        .unwrap();
    assert_eq!(
        (&keyed["caller"], &keyed["via"]),
        (&serde_json::json!("admin"), &serde_json::json!("apikey"))
    );
    assert_eq!(line("/v1/users", 401)["caller"], serde_json::Value::Null);
    let miss = line("/api/v0/repositories/nobody/x", 401);
    assert_eq!(
        (&miss["caller"], &miss["dialect"]),
        (&serde_json::Value::Null, &serde_json::json!("dtr"))
    );
    assert_eq!(line("/v1/search", 200)["dialect"], "index");
    // The path as the client sent it (before the trailing slash is trimmed for routing).
    let added = line("/api/repo/v1/repository/", 201);
    assert_eq!(
        (&added["dialect"], &added["route"]),
        (
            &serde_json::json!("cloud"),
            &serde_json::json!("/api/repo/v1/repository")
        )
    );
    let login = line("/v1/generate-api-token", 200);
    assert_eq!(
        (&login["caller"], &login["via"]),
        (&serde_json::json!("admin"), &serde_json::json!("password"))
    );

    // No secret anywhere in the log: passwords, the API key, Basic headers, stored
    // credentials, query strings.
    for secret in [
        "admin-password-xyz",
        key.as_str(),
        "wrong-password-qqq",
        "cloud-secret-www",
        auth.trim_start_matches("Basic "),
        with_key.trim_start_matches("Basic "),
        "needle-in-query",
    ] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
}

/// Pulls are counted in memory and written together (`--pull-flush-ms`): nothing is written
/// per pull, what is gathered is written within the interval while Berth serves, and a
/// graceful stop writes what is left.
#[test]
fn pull_counts_are_written_together_and_when_berth_stops() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pulls = || -> i64 {
        rusqlite::Connection::open(data.join("berth.db"))
            .unwrap()
            .query_row(
                "SELECT pull_count FROM repositories WHERE full_path = 'admin/app'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let pull = |base: &str| {
        let r = ureq::get(&format!("{base}/v1/repositories/admin/app/images"))
            .set("X-Docker-Token", "true")
            .call()
            .expect("pull");
        assert_eq!(r.status(), 200);
    };
    let run = start(
        &data,
        &[
            ("BERTH_ADMIN_PASSWORD", "admin-password"),
            ("BERTH_PULL_FLUSH_MS", "60000"),
        ],
    );
    ureq::put(&format!("{}/v1/repositories/admin/app/", run.base))
        .set("Authorization", &basic("admin", "admin-password"))
        .send_json(serde_json::json!([]))
        .expect("create-and-push");
    for _ in 0..3 {
        pull(&run.base);
    }
    assert_eq!(pulls(), 0, "a pull is not written by itself");
    assert_eq!(terminate(run).0, 0);
    assert_eq!(pulls(), 3, "a graceful stop writes the gathered pulls");

    let run = start(&data, &[("BERTH_PULL_FLUSH_MS", "200")]);
    pull(&run.base);
    let deadline = Instant::now() + Duration::from_secs(10);
    while pulls() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(pulls(), 4, "written within the interval while serving");
    assert_eq!(terminate(run).0, 0);
}
