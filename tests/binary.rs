//! The `berth` binary as an operator runs it: first start, data folder, signals, admin CLI.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{basic, Resp};

const BIN: &str = env!("CARGO_BIN_EXE_berth");

struct Running {
    child: Child,
    base: String,
    log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(url: &str, auth: Option<&str>) -> Option<Resp> {
    let mut req = ureq::get(url).timeout(Duration::from_secs(60));
    if let Some(a) = auth {
        req = req.set("Authorization", a);
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(_) => return None,
    };
    let status = resp.status();
    Some(Resp {
        status,
        headers: vec![],
        body: resp.into_string().unwrap_or_default(),
    })
}

/// Start `berth` (no subcommand: it serves) on a fresh port and wait for /healthz. The child
/// is returned to the caller, who waits for it in [`terminate`].
#[allow(clippy::zombie_processes)]
fn start(data: &Path, envs: &[(&str, &str)]) -> Running {
    let port = free_port();
    let log = data.with_extension(format!("{port}.log"));
    fs::create_dir_all(data.parent().unwrap()).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.env_remove("BERTH_ADMIN_PASSWORD")
        .env("BERTH_DATA_DIR", data)
        .env("BERTH_LISTEN", format!("127.0.0.1:{port}"))
        .env("BERTH_BCRYPT_COST", "4")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).unwrap());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn berth");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if get(&format!("{base}/healthz"), None).is_some_and(|r| r.status == 200) {
            return Running { child, base, log };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "berth did not come up: {}",
        fs::read_to_string(&log).unwrap_or_default()
    );
}

fn terminate(mut r: Running) -> (i32, String) {
    Command::new("kill")
        .arg("-TERM")
        .arg(r.child.id().to_string())
        .status()
        .unwrap();
    let status = r.child.wait().unwrap();
    (
        status.code().unwrap_or(-1),
        fs::read_to_string(&r.log).unwrap_or_default(),
    )
}

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
