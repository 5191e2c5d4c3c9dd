//! The real `berth` binary as a child process: start it on a free port with a data folder,
//! stop it, run its admin commands.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::Resp;

pub const BIN: &str = env!("CARGO_BIN_EXE_berth");

pub struct Running {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn get(url: &str, auth: Option<&str>) -> Option<Resp> {
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
pub fn start(data: &Path, envs: &[(&str, &str)]) -> Running {
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

pub fn terminate(mut r: Running) -> (i32, String) {
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

/// Run `berth admin ARGS...` on the data folder `data`.
pub fn admin(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("admin")
        .args(args)
        .env("BERTH_DATA_DIR", data)
        .env("BERTH_BCRYPT_COST", "4")
        .output()
        .expect("run berth admin")
}
